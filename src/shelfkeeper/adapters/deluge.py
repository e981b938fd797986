"""Deluge's daemon RPC through deluge-client (sync, run in worker threads), in domain terms.

Deluge has no categories and no tags: the category of an ``AddTorrent`` becomes a label of the Label
plugin when that plugin is enabled in the daemon (Deluge stores labels lowercased, ``[a-z0-9_-.]`` only);
without it the torrent gets no label (``ensure_category`` enables the plugin when asked). Tags are dropped.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from deluge_client import DelugeRPCClient
from deluge_client.client import DelugeClientException, RemoteException

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

SERVICE = "deluge"
DEFAULT_PORT = 58846
LABEL_PLUGIN = "Label"
PAUSE_SETTLE_SECONDS = 0.5
_TORRENT_ID = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_LABEL = re.compile(r"^[a-z0-9_.-]+$")
_MESSAGE_EXCERPT = 200
KEYS = (
    "hash",
    "name",
    "state",
    "message",
    "progress",
    "total_wanted",
    "total_done",
    "eta",
    "download_payload_rate",
    "num_peers",
    "num_seeds",
    "total_seeds",
    "save_path",
    "label",
    "time_added",
    "completed_time",
)

log = logging.getLogger(__name__)
T = TypeVar("T")

_FIXED = {
    "Error": TorrentState.ERROR,
    "Moving": TorrentState.MOVING,
    "Checking": TorrentState.CHECKING,
    "Seeding": TorrentState.COMPLETED,
}


def fold_state(raw: Mapping[str, Any]) -> TorrentState:
    """One ``get_torrents_status`` entry's state and progress folded into a ``TorrentState``.

    Error, Moving and Checking win over progress (an Error torrent reads 100 % even with no data);
    Seeding, or every wanted byte present while Paused or Queued, is COMPLETED; a Downloading torrent
    without its metadata (nothing wanted yet) is METADATA; one with no peer and no transfer is STALLED.
    """
    state = str(raw.get("state") or "")
    if state in _FIXED:
        return _FIXED[state]
    wanted, done = int(raw.get("total_wanted") or 0), int(raw.get("total_done") or 0)
    if wanted > 0 and done >= wanted:
        return TorrentState.COMPLETED
    if state == "Paused":
        return TorrentState.PAUSED
    if state == "Queued":
        return TorrentState.QUEUED
    if state in ("Downloading", "Allocating"):
        if wanted == 0:
            return TorrentState.METADATA
        idle = int(raw.get("download_payload_rate") or 0) == 0 and int(raw.get("num_peers") or 0) == 0
        return TorrentState.STALLED if idle else TorrentState.DOWNLOADING
    return TorrentState.UNKNOWN


def parse_torrent(torrent_id: str, raw: Mapping[str, Any]) -> TorrentInfo:
    """One status entry as a ``TorrentInfo``; a malformed one is a bad response."""
    try:
        name = str(raw.get("name") or "")
        save_path = str(raw.get("save_path") or "")
        wanted, done = int(raw.get("total_wanted") or 0), int(raw.get("total_done") or 0)
        state = str(raw.get("state") or "unknown")
        # Deluge says 100 % for every Error torrent: count the bytes then.
        progress = done / wanted if state == "Error" and wanted else float(raw.get("progress") or 0.0) / 100
        eta = int(raw.get("eta") or 0)
        completed = int(raw.get("completed_time") or 0)
        added = int(raw.get("time_added") or 0)
        return TorrentInfo(
            info_hash=str(raw.get("hash") or torrent_id).lower(),
            name=name,
            state=fold_state(raw),
            raw_state=state,
            progress=min(max(progress, 0.0), 1.0),
            size_bytes=max(wanted, 0),
            downloaded_bytes=max(done, 0),
            eta_seconds=eta if eta > 0 else None,  # 0 unknown, -1 more than a year
            download_speed=int(raw.get("download_payload_rate") or 0),
            seeders=max(int(raw.get("num_seeds") or 0), int(raw.get("total_seeds") or 0), 0),
            save_path=save_path,
            content_path=f"{save_path.rstrip('/')}/{name}" if save_path and name else save_path,
            category=str(raw.get("label") or ""),
            added_on=added if added > 0 else None,
            completed_on=completed if completed > 0 else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ServiceBadResponse(SERVICE, f"torrent entry not understood ({exc!r})") from exc


def remote_message(exc: Exception) -> str:
    """The first line of a daemon error (deluge-client appends the remote traceback)."""
    return (str(exc).strip().splitlines() or [""])[0][:_MESSAGE_EXCERPT]


def translate_error(exc: Exception) -> ServiceError:
    """A deluge-client / socket exception as the project's ServiceError."""
    if isinstance(exc, RemoteException):
        kind = type(exc).__name__
        if kind in ("BadLoginError", "NotAuthorizedError", "AuthenticationRequired"):
            return ServiceAuthFailed(SERVICE, f"daemon refused the login: {remote_message(exc)}")
        return ServiceBadResponse(SERVICE, f"{kind}: {remote_message(exc)}", details={"remote": kind})
    if isinstance(exc, DelugeClientException | OSError):  # refused, TLS, timeouts, lost connection
        return ServiceUnreachable(SERVICE, f"cannot reach the daemon ({type(exc).__name__})")
    return ServiceBadResponse(SERVICE, f"unexpected answer ({exc!r})"[:_MESSAGE_EXCERPT])


def _remote_kind(error: ServiceError) -> str | None:
    details = error.details
    return details.get("remote") if isinstance(details, dict) else None


def _torrent_ids(hashes: Sequence[str]) -> list[str]:
    if isinstance(hashes, str):
        raise ValueError("pass a sequence of info hashes, not one string")
    ids = [h.strip().lower() for h in hashes]
    bad = [h for h in ids if not _TORRENT_ID.match(h)]
    if bad:
        raise ValueError(f"not an info hash: {bad[0]!r}")
    return ids


def label_name(name: str) -> str:
    """Deluge's form of a category: lowercased; only letters, digits, ``_``, ``-`` and ``.``."""
    label = name.strip().lower()
    if not _LABEL.match(label):
        raise ValueError(f"Deluge labels may hold only a-z, 0-9, '_', '-' and '.': {name!r}")
    return label


class DelugeClient:
    """The DownloadClient port on deluged 2.x (daemon RPC, TLS, ``daemon.login``).

    One connection, made on first use and again after ``test_connection``; calls run one at a time in a
    worker thread (the socket is not safe to share).
    """

    def __init__(
        self,
        factory: Callable[[], DelugeRPCClient],
        *,
        configured: bool = True,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._factory = factory
        self._sleep = sleep
        self.configured = configured
        self._api: DelugeRPCClient | None = None
        self._lock = threading.Lock()
        self._labels_ready: set[str] = set()

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if not self.configured:
            raise ServiceNotConfigured(SERVICE, "DELUGE_HOST is not set")
        return await asyncio.to_thread(self._call_locked, method, *args, **kwargs)

    def _call_locked(self, method: str, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            try:
                if self._api is None or not self._api.connected:
                    api = self._factory()
                    try:
                        api.connect()
                    except BaseException:
                        _close(api)
                        raise
                    self._api = api
                return self._api.call(method, *args, **kwargs)
            except (TimeoutError, DelugeClientException, OSError) as exc:
                raise translate_error(exc) from exc

    def _drop_connection(self) -> None:
        with self._lock:
            if self._api is not None:
                _close(self._api)
                self._api = None

    async def version(self) -> str:
        """The daemon's version, e.g. ``2.0.3``."""
        return str(await self._call("daemon.info"))

    async def test_connection(self) -> ConnectionReport:
        """Log in afresh (a stale connection cannot hide a wrong password) and read the version; never raises."""

        async def fresh_version() -> str | None:
            await asyncio.to_thread(self._drop_connection)
            return await self.version()

        return await version_probe(SERVICE, self.configured, fresh_version)

    async def add(self, torrent: AddTorrent) -> str:
        """Add a .torrent, magnet or URL; returns the info hash. Adding one already there returns its hash."""
        if (torrent.torrent_file is None) == (torrent.url is None):
            raise ValueError("give exactly one of torrent_file and url")
        label = label_name(torrent.category) if torrent.category else None
        options: dict[str, Any] = {"add_paused": torrent.paused}
        if torrent.save_path:
            options["download_location"] = torrent.save_path
        expected: str | None = None
        try:
            if torrent.torrent_file is not None:
                try:
                    expected = info_hash(torrent.torrent_file)
                except BencodeError as exc:
                    raise ServiceBadResponse(SERVICE, f"not a valid .torrent file ({exc})") from exc
                encoded = base64.b64encode(torrent.torrent_file).decode()
                answer = await self._call("core.add_torrent_file", f"{expected}.torrent", encoded, options)
            elif is_magnet(str(torrent.url)):
                expected = magnet_info_hash(str(torrent.url))
                answer = await self._call("core.add_torrent_magnet", str(torrent.url), options)
            else:
                headers = {"Cookie": torrent.cookie} if torrent.cookie else None
                answer = await self._call("core.add_torrent_url", str(torrent.url), options, headers)
        except ServiceBadResponse as exc:
            if not (expected and "already in session" in exc.message):
                raise
            answer = expected
        torrent_id = str(answer or expected or "").lower()
        if not _TORRENT_ID.match(torrent_id):
            raise ServiceBadResponse(SERVICE, f"the daemon did not say which torrent it added ({answer!r})")
        if label and await self._labels_enabled():
            await self.ensure_category(label)
            await self._call("label.set_torrent", torrent_id, label)
        elif label:
            log.info("deluge: the Label plugin is not enabled; torrent %s gets no label", torrent_id)
            label = None
        log.info("deluge: added torrent %s (label=%s)", torrent_id, label)
        return torrent_id

    async def _labels_enabled(self) -> bool:
        """Whether the daemon's Label plugin is on (asked on every add: it may be switched on any time)."""
        return LABEL_PLUGIN in (await self._call("core.get_enabled_plugins") or [])

    async def info(
        self, *, hashes: Sequence[str] | None = None, tag: str | None = None, category: str | None = None
    ) -> list[TorrentInfo]:
        """Torrents by ids and label (``category``; "" = none). Deluge has no tags: a tag matches nothing."""
        if hashes is not None and not hashes:
            return []
        filters = {"id": _torrent_ids(hashes)} if hashes is not None else {}
        raw = await self._call("core.get_torrents_status", filters, list(KEYS))
        if not isinstance(raw, Mapping):
            raise ServiceBadResponse(SERVICE, "core.get_torrents_status did not return a mapping")
        torrents = [parse_torrent(str(key), entry) for key, entry in raw.items() if isinstance(entry, Mapping)]
        if category is not None:
            wanted = category.strip().lower()
            torrents = [t for t in torrents if t.category == wanted]
        if tag:
            return []
        return torrents

    async def pause(self, hashes: Sequence[str]) -> None:
        if ids := _torrent_ids(hashes):
            await self._call("core.pause_torrents", ids)
            # 2.0.3 on libtorrent 2.0 was seen missing the "paused" alert once a torrent had been removed from
            # the session, and kept reporting Seeding; pausing an already paused torrent makes it re-read the
            # state (Torrent.pause), so the pause is said twice.
            await self._sleep(PAUSE_SETTLE_SECONDS)
            await self._call("core.pause_torrents", ids)

    async def resume(self, hashes: Sequence[str]) -> None:
        if ids := _torrent_ids(hashes):
            await self._call("core.resume_torrents", ids)

    async def delete(self, hashes: Sequence[str], *, delete_files: bool) -> None:
        """Remove torrents; one no longer in the session is already gone, not an error."""
        for torrent_id in _torrent_ids(hashes):
            try:
                await self._call("core.remove_torrent", torrent_id, delete_files)
            except ServiceBadResponse as exc:
                if _remote_kind(exc) != "InvalidTorrentError":
                    raise

    async def ensure_category(self, name: str, save_path: str | None = None) -> None:
        """Enable the Label plugin and create the label (the save path goes with each add, not the label)."""
        label = label_name(name)
        if label in self._labels_ready:
            return
        plugins = await self._call("core.get_enabled_plugins")
        if LABEL_PLUGIN not in (plugins or []) and not await self._call("core.enable_plugin", LABEL_PLUGIN):
            raise ServiceBadResponse(SERVICE, "the daemon would not enable its Label plugin")
        if label not in (await self._call("label.get_labels") or []):
            try:
                await self._call("label.add", label)
            except ServiceBadResponse as exc:
                if "already exists" not in exc.message:
                    raise
        self._labels_ready.add(label)

    async def aclose(self) -> None:
        await asyncio.to_thread(self._drop_connection)


def _close(api: DelugeRPCClient) -> None:
    try:
        api.disconnect()
        sock = getattr(api, "_socket", None)
        if sock is not None:
            sock.close()
    except OSError:
        log.debug("deluge: closing the socket failed", exc_info=True)


def build(host: str, port: int, username: str, password: str, *, timeout: float = 15.0) -> DelugeClient:
    """A client for the daemon at ``host``:``port`` (its RPC port, 58846 by default)."""
    if not host.strip():
        return DelugeClient(lambda: DelugeRPCClient("", 0, "", ""), configured=False)

    def connect() -> DelugeRPCClient:
        return DelugeRPCClient(
            host.strip(), port, username, password, decode_utf8=True, automatic_reconnect=False, timeout=timeout
        )

    return DelugeClient(connect)
