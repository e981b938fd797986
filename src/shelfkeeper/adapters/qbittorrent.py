"""qBittorrent's WebUI API through qbittorrent-api (sync, run in worker threads), in domain terms."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import qbittorrentapi
import requests

from shelfkeeper.adapters.connection_report import version_probe
from shelfkeeper.adapters.qbittorrent_states import fold_state
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

SERVICE = "qbittorrent"
INFINITE_ETA = 8_640_000  # qBittorrent's "never" (100 days)
STOP_NAMING_API = (2, 11)  # WebAPI 2.11 = qBittorrent 5.0: pause/resume became stop/start
_TORRENT_ID = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_BODY_EXCERPT = 200

log = logging.getLogger(__name__)
T = TypeVar("T")


def parse_api_version(text: str) -> tuple[int, ...]:
    """``"2.8.19"`` -> ``(2, 8, 19)``; non-numeric parts end the version."""
    parts: list[int] = []
    for piece in text.strip().lstrip("v").split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    if not parts:
        raise ServiceBadResponse(SERVICE, f"unreadable WebAPI version {text[:40]!r}")
    return tuple(parts)


def split_tags(value: object) -> tuple[str, ...]:
    """qBittorrent joins tags with ", " (``"auto, mam"``); a list is accepted too."""
    items = value if isinstance(value, list) else str(value or "").split(",")
    return tuple(tag for tag in (str(item).strip() for item in items) if tag)


def _int(raw: Mapping[str, Any], key: str, default: int = 0) -> int:
    value = raw.get(key)
    return default if value is None else int(value)


def _epoch_or_none(raw: Mapping[str, Any], key: str) -> int | None:
    # 4.5 says 0 for "never", 5.x says -1: both mean absent.
    value = raw.get(key)
    return int(value) if value is not None and int(value) > 0 else None


def parse_torrent(raw: Mapping[str, Any]) -> TorrentInfo:
    """One ``torrents/info`` entry (any version) as a ``TorrentInfo``; a malformed one is a bad response."""
    try:
        progress = float(raw.get("progress") or 0.0)
        size = _int(raw, "size")
        raw_state = str(raw.get("state") or "unknown")
        eta = raw.get("eta")
        amount_left = raw.get("amount_left")
        return TorrentInfo(
            info_hash=str(raw["hash"]).lower(),
            name=str(raw.get("name") or ""),
            state=fold_state(
                raw_state, progress, amount_left=None if amount_left is None else int(amount_left), size=size
            ),
            raw_state=raw_state,
            progress=min(max(progress, 0.0), 1.0),
            size_bytes=max(size, 0),
            # "completed" counts wanted data on disk; "downloaded" also counts wasted and re-fetched bytes.
            downloaded_bytes=_int(raw, "completed"),
            eta_seconds=None if eta is None or not 0 <= int(eta) < INFINITE_ETA else int(eta),
            download_speed=_int(raw, "dlspeed"),
            seeders=_int(raw, "num_seeds"),
            save_path=str(raw.get("save_path") or ""),
            content_path=str(raw.get("content_path") or ""),
            category=str(raw.get("category") or ""),
            tags=split_tags(raw.get("tags")),
            added_on=_epoch_or_none(raw, "added_on"),
            completed_on=_epoch_or_none(raw, "completion_on"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ServiceBadResponse(SERVICE, f"torrent entry not understood ({exc!r})") from exc


def translate_error(exc: Exception) -> ServiceError:
    """A qbittorrent-api / requests exception as the project's ServiceError."""
    if isinstance(exc, qbittorrentapi.LoginFailed):
        return ServiceAuthFailed(SERVICE, "login refused: wrong username or password")
    if isinstance(exc, qbittorrentapi.HTTPError):
        status = int(getattr(exc, "http_status_code", 0) or 0)
        response = getattr(exc, "response", None)
        body = (response.text if response is not None else str(exc))[:_BODY_EXCERPT]
        details = {"status": status, "body": body}
        if status in (401, 403):
            # 403 survives qbittorrent-api's one re-login (banned IP); 401 is the Host/CSRF check.
            return ServiceAuthFailed(SERVICE, f"access refused ({status}): {body}", details=details)
        if status >= 500:
            return ServiceError(SERVICE, f"server error {status}: {body}", details=details)
        return ServiceBadResponse(SERVICE, f"request rejected ({status}): {body}", details=details)
    if isinstance(exc, qbittorrentapi.APIConnectionError | requests.RequestException):
        return ServiceUnreachable(SERVICE, f"cannot reach the WebUI ({type(exc).__name__})")
    return ServiceBadResponse(SERVICE, f"unexpected answer ({exc!r})"[:_BODY_EXCERPT])


def read_add_answer(answer: object) -> list[str] | None:
    """The ids a ``torrents/add`` answer reports as added ([] when it does not say which), None when refused.

    4.x-5.1 answer ``Ok.``/``Fails.``; 5.2+ answers JSON counts with ``added_torrent_ids``.
    """
    if isinstance(answer, str):
        if answer.strip() == "Ok.":
            return []
        if answer.strip() == "Fails.":
            return None
        raise ServiceBadResponse(SERVICE, f"unexpected torrents/add answer {answer[:_BODY_EXCERPT]!r}")
    if isinstance(answer, Mapping):
        ids = [str(i).lower() for i in answer.get("added_torrent_ids") or []]
        accepted = int(answer.get("success_count") or 0) + int(answer.get("pending_count") or 0)
        return ids if accepted or ids else None
    raise ServiceBadResponse(SERVICE, f"unexpected torrents/add answer of type {type(answer).__name__}")


def _torrent_ids(hashes: Sequence[str]) -> list[str]:
    # A stray "all" would hit every torrent in the client: only real ids are ever sent.
    if isinstance(hashes, str):
        raise ValueError("pass a sequence of info hashes, not one string")
    ids = [h.strip().lower() for h in hashes]
    bad = [h for h in ids if not _TORRENT_ID.match(h)]
    if bad:
        raise ValueError(f"not an info hash: {bad[0]!r}")
    return ids


def _status_of(error: ServiceError) -> int | None:
    details = error.details
    return details.get("status") if isinstance(details, dict) else None


PAUSE_TRIES = 3
PAUSE_RECHECK_SECONDS = 0.5


class QbittorrentClient:
    """The DownloadClient port on qBittorrent 4.1+ and 5.x.

    qbittorrent-api logs in on the first call and again once when a call meets 403 (expired or
    logged-out session). Calls run one at a time in a worker thread: the requests session and
    qbittorrent-api's re-login are not safe to share between threads.
    """

    def __init__(
        self,
        api: qbittorrentapi.Client,
        *,
        configured: bool = True,
        url_add_timeout: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api = api
        self.configured = configured
        self.url_add_timeout = url_add_timeout
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._api_version: tuple[int, ...] | None = None

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if not self.configured:
            raise ServiceNotConfigured(SERVICE, "QB_HOST is not set")
        return await asyncio.to_thread(self._call_locked, fn, *args, **kwargs)

    def _call_locked(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._lock:
            try:
                return fn(*args, **kwargs)
            except (qbittorrentapi.APIError, requests.RequestException) as exc:
                raise translate_error(exc) from exc

    async def version(self) -> str:
        """The application version, e.g. ``v4.5.2``."""
        return str(await self._call(self._api.app_version))

    async def api_version(self) -> tuple[int, ...]:
        """The WebAPI version (``(2, 8, 19)`` on 4.5.2), asked once and remembered."""
        if self._api_version is None:
            self._api_version = parse_api_version(str(await self._call(self._api.app_web_api_version)))
        return self._api_version

    async def uses_stop_naming(self) -> bool:
        """True on 5.x: ``stop``/``start`` endpoints and ``stopped*`` states instead of paused/resumed."""
        return await self.api_version() >= STOP_NAMING_API

    async def test_connection(self) -> ConnectionReport:
        """Log in afresh (so a stale session cannot hide a wrong password) and read the version; never raises."""

        async def fresh_version() -> str | None:
            await self._call(self._api.auth_log_in)
            return await self.version()

        return await version_probe(SERVICE, self.configured, fresh_version)

    async def add(self, torrent: AddTorrent, *, download_limit: int | None = None) -> str:
        """Add a .torrent or a URL/magnet; returns the info hash. Adding a torrent already there returns its hash."""
        if (torrent.torrent_file is None) == (torrent.url is None):
            raise ValueError("give exactly one of torrent_file and url")
        expected = self._expected_hash(torrent)
        marker = None if expected else f"shelfkeeper-add-{uuid.uuid4().hex[:12]}"
        tags = [*torrent.tags, *([marker] if marker else [])]
        try:
            answer: object = await self._call(
                self._api.torrents_add,
                urls=torrent.url,
                torrent_files=torrent.torrent_file,
                save_path=torrent.save_path,
                category=torrent.category,
                tags=tags or None,
                is_paused=torrent.paused,  # qbittorrent-api sends it as both "paused" (4.x) and "stopped" (5.x)
                cookie=torrent.cookie,
                rename=torrent.rename,
                download_limit=download_limit,
            )
        except ServiceBadResponse as exc:
            if _status_of(exc) != 409:  # 5.2+: 409 when nothing was added (a duplicate, say)
                raise
            answer = "Fails."
        added_ids = read_add_answer(answer)
        if added_ids is None:
            return await self._confirm_refused(expected, answer)
        torrent_id = expected or (added_ids[0] if added_ids else None)
        if marker is not None:
            torrent_id = await self._settle_marker(marker, torrent_id)
        assert torrent_id is not None  # known from the file or magnet whenever there is no marker
        log.info("qbittorrent: added torrent %s (category=%s)", torrent_id, torrent.category)
        return torrent_id

    @staticmethod
    def _expected_hash(torrent: AddTorrent) -> str | None:
        if torrent.torrent_file is not None:
            try:
                return info_hash(torrent.torrent_file)
            except BencodeError as exc:
                # qBittorrent would answer 415 to these bytes: say so before sending them.
                raise ServiceBadResponse(SERVICE, f"not a valid .torrent file ({exc})") from exc
        if torrent.url is not None and is_magnet(torrent.url):
            return magnet_info_hash(torrent.url)
        return None

    async def _confirm_refused(self, expected: str | None, answer: object) -> str:
        # "Fails." also means "already there": that is success for an idempotent add.
        if expected and await self.info(hashes=[expected]):
            log.info("qbittorrent: torrent %s was already present", expected)
            return expected
        raise ServiceBadResponse(SERVICE, f"torrent refused by qBittorrent ({str(answer)[:_BODY_EXCERPT]!r})")

    async def _settle_marker(self, marker: str, torrent_id: str | None) -> str:
        """Find the torrent by its lookup tag unless its id is known already, then drop the tag."""
        try:
            if torrent_id is None:
                torrent_id = await self._find_by_marker(marker)
            await self._call(self._api.torrents_remove_tags, tags=marker, torrent_hashes=torrent_id)
            return torrent_id
        finally:
            await self._call(self._api.torrents_delete_tags, tags=marker)

    async def _find_by_marker(self, marker: str) -> str:
        # A URL is fetched by qBittorrent in the background; before 5.2 nothing says which torrent it became.
        deadline = self._clock() + self.url_add_timeout
        while True:
            found = await self.info(tag=marker)
            if found:
                return found[0].info_hash
            if self._clock() >= deadline:
                raise ServiceBadResponse(SERVICE, "the URL was accepted but no torrent appeared in time")
            await self._sleep(0.25)

    async def info(
        self, *, hashes: Sequence[str] | None = None, tag: str | None = None, category: str | None = None
    ) -> list[TorrentInfo]:
        """Torrents filtered by ids, tag and/or category ("" = untagged / uncategorized); all when none given."""
        if hashes is not None and not hashes:
            return []
        raw = await self._call(
            self._api.torrents_info,
            torrent_hashes=_torrent_ids(hashes) if hashes is not None else None,
            tag=tag,
            category=category,
            SIMPLE_RESPONSES=True,
        )
        if not isinstance(raw, list) or not all(isinstance(item, Mapping) for item in raw):
            raise ServiceBadResponse(SERVICE, "torrents/info did not return a list of torrents")
        return [parse_torrent(item) for item in raw]

    async def pause(self, hashes: Sequence[str]) -> None:
        """Pause ("stop" from 5.0); asked again while qBittorrent still shows one running: a torrent it is still
        adding ignores the first request (seen on a loaded machine)."""
        pending = list(hashes)
        for attempt in range(PAUSE_TRIES):
            if not (ids := _torrent_ids(pending)):
                return
            await self._call(self._api.torrents_stop, torrent_hashes=ids)  # "pause" before 5.0, "stop" after
            if attempt + 1 < PAUSE_TRIES:
                await asyncio.sleep(PAUSE_RECHECK_SECONDS)
                pending = [t.info_hash for t in await self.info(hashes=pending) if t.state is not TorrentState.PAUSED]

    async def resume(self, hashes: Sequence[str]) -> None:
        if ids := _torrent_ids(hashes):
            await self._call(self._api.torrents_start, torrent_hashes=ids)

    async def delete(self, hashes: Sequence[str], *, delete_files: bool) -> None:
        if ids := _torrent_ids(hashes):
            await self._call(self._api.torrents_delete, delete_files=delete_files, torrent_hashes=ids)

    async def add_peers(self, hashes: Sequence[str], peers: Sequence[str]) -> None:
        """Point torrents at known peers (``"host:port"``): helps a transfer without trackers or DHT."""
        if (ids := _torrent_ids(hashes)) and peers:
            await self._call(self._api.torrents_add_peers, peers=list(peers), torrent_hashes=ids)

    async def categories(self) -> dict[str, str]:
        """Category name -> its save path ("" when it has none)."""
        raw = await self._call(self._api.torrents_categories, SIMPLE_RESPONSES=True)
        if not isinstance(raw, Mapping):
            raise ServiceBadResponse(SERVICE, "torrents/categories did not return an object")
        return {
            str(name): str((entry or {}).get("savePath") or "") if isinstance(entry, Mapping) else ""
            for name, entry in raw.items()
        }

    async def ensure_category(self, name: str, save_path: str | None = None) -> None:
        """Create the category, or align an existing one's save path when one is given."""
        try:
            await self._call(self._api.torrents_create_category, name=name, save_path=save_path)
            return
        except ServiceBadResponse as exc:
            if _status_of(exc) != 409:  # 409 = it exists already, or the name is invalid
                raise
        existing = await self.categories()
        if name not in existing:
            raise ServiceBadResponse(SERVICE, f"qBittorrent refused the category name {name!r}")
        if save_path is not None and existing[name] != save_path:
            await self._call(self._api.torrents_edit_category, name=name, save_path=save_path)

    async def aclose(self) -> None:
        """End the WebUI session (best effort)."""
        if self.configured:
            try:
                await self._call(self._api.auth_log_out)
            except ServiceError as exc:
                log.debug("qbittorrent: logout failed: %s", exc.message)


def build(
    host: str,
    port: int | None,
    username: str,
    password: str,
    *,
    use_https: bool = False,
    timeout: float = 15.0,
    verify_certificate: bool = True,
    url_add_timeout: float = 30.0,
) -> QbittorrentClient:
    """A client for ``host`` (a name, or a URL with scheme and optional base path) and ``port``."""
    base = host if "://" in host else f"{'https' if use_https else 'http'}://{host}"
    api = qbittorrentapi.Client(
        host=base,
        port=port,
        username=username,
        password=password,
        FORCE_SCHEME_FROM_HOST=True,  # no probing HEAD requests to guess http/https
        VERIFY_WEBUI_CERTIFICATE=verify_certificate,
        REQUESTS_ARGS={"timeout": timeout},
    )
    return QbittorrentClient(api, configured=bool(host.strip()), url_add_timeout=url_add_timeout)
