"""Transmission's RPC through transmission-rpc (sync, run in worker threads), in domain terms.

Transmission has labels but no categories: the category and the tags of an ``AddTorrent`` become its
labels (category first), set right after the add because 3.00 (RPC 16) ignores labels in ``torrent-add``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import transmission_rpc
from transmission_rpc.error import TransmissionAuthError, TransmissionConnectError, TransmissionError

from shelfkeeper.adapters.connection_report import version_probe
from shelfkeeper.domain.torrents.files import BencodeError, info_hash, is_magnet, magnet_info_hash
from shelfkeeper.domain.torrents.status import AddTorrent, TorrentInfo, TorrentState
from shelfkeeper.errors import (
    ServiceAuthFailed,
    ServiceBadResponse,
    ServiceError,
    ServiceNotConfigured,
    ServiceUnreachable,
)
from shelfkeeper.ports import ConnectionReport

SERVICE = "transmission"
RPC_PATH = "/transmission/rpc"
_TORRENT_ID = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_MESSAGE_EXCERPT = 200
FIELDS = (
    "hashString",
    "name",
    "status",
    "error",
    "errorString",
    "isStalled",
    "percentDone",
    "leftUntilDone",
    "sizeWhenDone",
    "haveValid",
    "metadataPercentComplete",
    "eta",
    "rateDownload",
    "peersSendingToUs",
    "trackerStats",
    "downloadDir",
    "labels",
    "addedDate",
    "doneDate",
)

# torrent-get "status" (tr_torrent_activity): the raw state names shown to users.
STATUS_NAMES = {
    0: "stopped",
    1: "check_pending",
    2: "checking",
    3: "download_pending",
    4: "downloading",
    5: "seed_pending",
    6: "seeding",
}
LOCAL_ERROR = 3  # "error": 1 tracker warning, 2 tracker error, 3 local error (disk, missing data)
_NO_DATA = "No data found"

log = logging.getLogger(__name__)
T = TypeVar("T")


def fold_state(raw: Mapping[str, Any]) -> TorrentState:
    """One torrent-get entry's status, error and progress folded into a ``TorrentState``.

    A local error wins (missing data is MISSING_FILES); checking wins over progress; a magnet without its
    metadata is METADATA; no wanted byte left while not downloading (stopped, queued to seed, seeding) or a
    done date is COMPLETED; ``percentDone`` alone is not trusted (it reads 1 a moment before status 6).
    """
    status = int(raw.get("status") or 0)
    if int(raw.get("error") or 0) == LOCAL_ERROR:
        missing = _NO_DATA in str(raw.get("errorString") or "")
        return TorrentState.MISSING_FILES if missing else TorrentState.ERROR
    if status in (1, 2):
        return TorrentState.CHECKING
    if float(raw.get("metadataPercentComplete", 1) or 0) < 1:
        return TorrentState.METADATA
    left, wanted = int(raw.get("leftUntilDone") or 0), int(raw.get("sizeWhenDone") or 0)
    if (left == 0 and wanted > 0 and status in (0, 5, 6)) or int(raw.get("doneDate") or 0) > 0:
        return TorrentState.COMPLETED
    if status == 4:
        idle = int(raw.get("peersSendingToUs") or 0) == 0 and int(raw.get("rateDownload") or 0) == 0
        return TorrentState.STALLED if raw.get("isStalled") or idle else TorrentState.DOWNLOADING
    if status in (3, 5):
        return TorrentState.QUEUED
    if status == 0:
        return TorrentState.PAUSED
    return TorrentState.UNKNOWN


def _seeders(raw: Mapping[str, Any]) -> int:
    counts = [int(t.get("seederCount", -1)) for t in raw.get("trackerStats") or [] if isinstance(t, Mapping)]
    return max([c for c in counts if c >= 0], default=0)


def _epoch_or_none(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) and value > 0 else None


def parse_torrent(raw: Mapping[str, Any]) -> TorrentInfo:
    """One torrent-get entry (camelCase fields) as a ``TorrentInfo``; a malformed one is a bad response."""
    try:
        labels = tuple(str(label) for label in raw.get("labels") or [])
        name = str(raw.get("name") or "")
        save_path = str(raw.get("downloadDir") or "")
        eta = int(raw.get("eta", -1))
        status = int(raw.get("status") or 0)
        return TorrentInfo(
            info_hash=str(raw["hashString"]).lower(),
            name=name,
            state=fold_state(raw),
            raw_state=STATUS_NAMES.get(status, f"status_{status}"),
            progress=min(max(float(raw.get("percentDone") or 0.0), 0.0), 1.0),
            size_bytes=max(int(raw.get("sizeWhenDone") or 0), 0),
            downloaded_bytes=max(int(raw.get("haveValid") or 0), 0),
            eta_seconds=eta if eta >= 0 else None,  # -1 not available, -2 unknown
            download_speed=int(raw.get("rateDownload") or 0),
            seeders=_seeders(raw),
            save_path=save_path,
            content_path=f"{save_path.rstrip('/')}/{name}" if save_path and name else save_path,
            category=labels[0] if labels else "",
            tags=labels[1:],
            added_on=_epoch_or_none(raw.get("addedDate")),
            completed_on=_epoch_or_none(raw.get("doneDate")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ServiceBadResponse(SERVICE, f"torrent entry not understood ({exc!r})") from exc


def translate_error(exc: Exception) -> ServiceError:
    """A transmission-rpc exception as the project's ServiceError."""
    if isinstance(exc, TransmissionAuthError):
        return ServiceAuthFailed(SERVICE, "RPC refused the credentials: wrong username or password")
    if isinstance(exc, TransmissionConnectError):
        return ServiceUnreachable(SERVICE, f"cannot reach the RPC ({type(exc).__name__})")
    if isinstance(exc, TransmissionError):
        original = getattr(exc, "original", None)
        status = int(getattr(original, "status_code", 0) or 0)
        if status in (401, 403):  # 403: IP not whitelisted, or 100 failed logins (until restart)
            return ServiceAuthFailed(SERVICE, f"access refused ({status})", details={"status": status})
        return ServiceBadResponse(SERVICE, f"request failed: {exc}"[:_MESSAGE_EXCERPT])
    return ServiceBadResponse(SERVICE, f"unexpected answer ({exc!r})"[:_MESSAGE_EXCERPT])


def _torrent_ids(hashes: Sequence[str]) -> list[int | str]:
    # Transmission takes hash strings as ids; an empty id list would mean "every torrent".
    if isinstance(hashes, str):
        raise ValueError("pass a sequence of info hashes, not one string")
    ids = [h.strip().lower() for h in hashes]
    bad = [h for h in ids if not _TORRENT_ID.match(h)]
    if bad:
        raise ValueError(f"not an info hash: {bad[0]!r}")
    return list(ids)


def _check_label(label: str) -> str:
    if "," in label or not label.strip():
        raise ValueError(f"Transmission labels cannot be empty or contain a comma: {label!r}")
    return label


class TransmissionClient:
    """The DownloadClient port on transmission-daemon 3.00+ (RPC 16+).

    The transmission-rpc ``Client`` talks to the daemon in its constructor, so it is made on first use and
    made afresh by ``test_connection`` (a stale session cannot hide a wrong password). Calls run one at a
    time in a worker thread.
    """

    def __init__(self, factory: Callable[[], transmission_rpc.Client], *, configured: bool = True) -> None:
        self._factory = factory
        self.configured = configured
        self._api: transmission_rpc.Client | None = None
        self._lock = threading.Lock()

    async def _call(self, fn: Callable[[transmission_rpc.Client], T]) -> T:
        if not self.configured:
            raise ServiceNotConfigured(SERVICE, "TRANSMISSION_URL is not set")
        return await asyncio.to_thread(self._call_locked, fn)

    def _call_locked(self, fn: Callable[[transmission_rpc.Client], T]) -> T:
        with self._lock:
            try:
                if self._api is None:
                    self._api = self._factory()
                return fn(self._api)
            except TransmissionError as exc:
                raise translate_error(exc) from exc

    async def version(self) -> str:
        """The daemon's version, e.g. ``3.00 (bb6b5a062e)``."""
        return await self._call(lambda api: str(api.get_session().version))

    async def test_connection(self) -> ConnectionReport:
        """Connect afresh (the constructor checks the credentials) and read the version; never raises."""

        async def fresh_version() -> str | None:
            self._api = None
            return await self.version()

        return await version_probe(SERVICE, self.configured, fresh_version)

    async def add(self, torrent: AddTorrent) -> str:
        """Add a .torrent or a URL/magnet; returns the info hash. Adding one already there returns its hash."""
        if (torrent.torrent_file is None) == (torrent.url is None):
            raise ValueError("give exactly one of torrent_file and url")
        labels = [_check_label(label) for label in (torrent.category, *torrent.tags) if label]
        if torrent.torrent_file is not None:
            try:
                info_hash(torrent.torrent_file)
            except BencodeError as exc:
                raise ServiceBadResponse(SERVICE, f"not a valid .torrent file ({exc})") from exc
        source: bytes | str = torrent.torrent_file if torrent.torrent_file is not None else str(torrent.url)
        added = await self._call(
            lambda api: api.add_torrent(
                source, download_dir=torrent.save_path, paused=torrent.paused, cookies=torrent.cookie
            )
        )
        torrent_id = str(added.hash_string).lower()
        expected = magnet_info_hash(torrent.url) if torrent.url and is_magnet(torrent.url) else None
        if expected and expected != torrent_id and len(expected) == len(torrent_id):
            raise ServiceBadResponse(SERVICE, f"magnet {expected} came back as torrent {torrent_id}")
        if labels:
            await self._call(lambda api: api.change_torrent(torrent_id, labels=labels))
        log.info("transmission: added torrent %s (labels=%s)", torrent_id, labels)
        return torrent_id

    async def info(
        self, *, hashes: Sequence[str] | None = None, tag: str | None = None, category: str | None = None
    ) -> list[TorrentInfo]:
        """Torrents by ids, and by label: ``category`` is the first label, ``tag`` any other ("" = none)."""
        if hashes is not None and not hashes:
            return []
        ids = _torrent_ids(hashes) if hashes is not None else None
        found = await self._call(lambda api: api.get_torrents(ids, arguments=FIELDS))
        torrents = [parse_torrent(t.fields) for t in found]
        if category is not None:
            torrents = [t for t in torrents if t.category == category]
        if tag is not None:
            torrents = [t for t in torrents if (tag in t.tags if tag else not t.tags)]
        return torrents

    async def pause(self, hashes: Sequence[str]) -> None:
        if ids := _torrent_ids(hashes):
            await self._call(lambda api: api.stop_torrent(ids))

    async def resume(self, hashes: Sequence[str]) -> None:
        if ids := _torrent_ids(hashes):
            await self._call(lambda api: api.start_torrent(ids))

    async def delete(self, hashes: Sequence[str], *, delete_files: bool) -> None:
        if ids := _torrent_ids(hashes):
            await self._call(lambda api: api.remove_torrent(ids, delete_data=delete_files))

    async def ensure_category(self, name: str, save_path: str | None = None) -> None:
        """Nothing to create: a label exists as soon as a torrent carries it (the save path goes with each add)."""
        _check_label(name)

    async def aclose(self) -> None:
        """Nothing to end: every RPC call is a plain HTTP request."""
        self._api = None


def rpc_address(url: str) -> tuple[str, str, int, str]:
    """``http://host:9091`` -> (scheme, host, port, ``/transmission/rpc``); a URL with a path keeps its own."""
    parts = urlsplit(url.strip() if "://" in url else f"http://{url.strip()}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"TRANSMISSION_URL must be an http(s) URL, e.g. http://127.0.0.1:9091 (got {url!r})")
    default_port = 443 if parts.scheme == "https" else 9091
    path = parts.path if parts.path.strip("/") else RPC_PATH
    return parts.scheme, parts.hostname, parts.port or default_port, path


def build(url: str, username: str, password: str, *, timeout: float = 15.0) -> TransmissionClient:
    """A client for the daemon at ``url`` (the RPC path is added unless the URL has one)."""
    if not url.strip():
        return TransmissionClient(lambda: transmission_rpc.Client(), configured=False)
    try:
        scheme, host, port, path = rpc_address(url)
    except ValueError as exc:
        raise ServiceBadResponse(SERVICE, str(exc)) from exc

    def connect() -> transmission_rpc.Client:
        return transmission_rpc.Client(
            protocol="https" if scheme == "https" else "http",
            host=host,
            port=port,
            path=path,
            username=username or None,
            password=password or None,
            timeout=timeout,
        )

    return TransmissionClient(connect)
