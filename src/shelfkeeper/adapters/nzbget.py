"""NZBGet's JSON-RPC (``POST <url>/jsonrpc``, HTTP Basic auth) as a usenet DownloadClient, in domain terms.

A usenet download is followed by the SHA-1 of its NZB (``domain.torrents.nzb.nzb_id``), which Shelfkeeper
knows before NZBGet sees the file. NZBGet numbers its items itself (NZBID), so the id travels with the item
as its DupeKey ``shelfkeeper-<id>``: ``listgroups`` (the queue) and ``history`` both return it. Items added
by someone else are reported as ``nzbget-<NZBID>``.

Calls and fields were checked against NZBGet 21's source (daemon/remote/XmlRpc.cpp) and a running 21.0:
params are positional; v21 reads a JSON ``params`` list as a flat stream of values (object keys included),
so ``append`` is sent with an empty list of post-processing parameters.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from shelfkeeper.adapters.connection_report import version_probe
from shelfkeeper.adapters.http import ServiceClient, ServicePolicy
from shelfkeeper.domain.torrents.nzb import NzbError, nzb_id, parse_nzb
from shelfkeeper.domain.torrents.status import AddTorrent, TorrentInfo, TorrentState
from shelfkeeper.errors import ServiceBadResponse, ServiceNotConfigured
from shelfkeeper.ports import ConnectionReport

SERVICE = "nzbget"
RPC_PATH = "/jsonrpc"
DUPE_KEY_PREFIX = "shelfkeeper-"
FOREIGN_PREFIX = "nzbget-"
_OWN_ID = re.compile(r"^[0-9a-f]{40}$")
_FOREIGN_ID = re.compile(r"^nzbget-(\d+)$")
_MESSAGE_EXCERPT = 200

# Queue "Status" (ListGroupsXmlCommand::DetectStatus in v21; POST_UNPACK_RENAMING from 24.6).
QUEUE_STATES = {
    "QUEUED": TorrentState.QUEUED,
    "PAUSED": TorrentState.PAUSED,
    "DOWNLOADING": TorrentState.DOWNLOADING,
    "FETCHING": TorrentState.METADATA,  # an NZB URL being fetched: there is nothing to download yet
    **{
        stage: TorrentState.POST_PROCESSING
        for stage in (
            "PP_QUEUED",
            "LOADING_PARS",
            "VERIFYING_SOURCES",
            "REPAIRING",
            "VERIFYING_REPAIRED",
            "RENAMING",
            "UNPACKING",
            "MOVING",
            "EXECUTING_SCRIPT",
            "PP_FINISHED",
            "QS_QUEUED",
            "QS_EXECUTING",
            "POST_UNPACK_RENAMING",
        )
    },
}

# History "Status" is VERDICT/DETAIL (NzbInfo::MakeTextStatus). Why a finished item cannot be imported:
FAILURE_REASONS = {
    "FAILURE/PAR": "par check or repair failed (articles missing or damaged beyond repair)",
    "FAILURE/UNPACK": "unpacking failed",
    "FAILURE/HEALTH": "too many articles missing (health below critical)",
    "FAILURE/MOVE": "moving the files to the destination failed",
    "FAILURE/SCAN": "the NZB could not be read",
    "FAILURE/BAD": "marked bad",
    "FAILURE/FETCH": "the NZB could not be fetched",
    "FAILURE/HIDDEN": "failed (hidden duplicate)",
    "FAILURE/INTERNAL_ERROR": "NZBGet internal error",
    "WARNING/SPACE": "not enough disk space to unpack",
    "WARNING/PASSWORD": "the archive is password protected",
    "WARNING/DAMAGED": "damaged: par repair needed by hand",
    "WARNING/REPAIRABLE": "repairable, but not repaired",
    "WARNING/HEALTH": "articles missing, no par check to repair them",
    "WARNING/SKIPPED": "skipped",
    "DELETED/MANUAL": "deleted in NZBGet by hand",
    "DELETED/DUPE": "deleted by NZBGet as a duplicate",
    "DELETED/COPY": "deleted by NZBGet: the same NZB is already queued",
    "DELETED/GOOD": "deleted by NZBGet: a good duplicate was downloaded",
}
COMPLETE_WARNINGS = frozenset({"WARNING/SCRIPT"})  # downloaded and unpacked; only a post-processing script failed

log = logging.getLogger(__name__)


def fold_history(status: str) -> tuple[TorrentState, str | None]:
    """A history "Status" as a state and, when the item cannot be imported, the reason."""
    verdict = status.split("/", 1)[0]
    if verdict == "SUCCESS" or status in COMPLETE_WARNINGS:
        return TorrentState.COMPLETED, None
    if verdict in ("FAILURE", "WARNING", "DELETED"):
        return TorrentState.ERROR, FAILURE_REASONS.get(status, f"NZBGet reports {status}")
    return TorrentState.UNKNOWN, None


def _size(raw: Mapping[str, Any], name: str) -> int:
    """A 64-bit size from its ``Lo``/``Hi`` 32-bit halves (``…MB`` when only that is given)."""
    lo, hi = raw.get(f"{name}Lo"), raw.get(f"{name}Hi")
    if lo is None and hi is None:
        return int(raw.get(f"{name}MB") or 0) * 1024 * 1024
    return (int(hi or 0) << 32) + int(lo or 0)


def item_id(raw: Mapping[str, Any]) -> str:
    """The id Shelfkeeper knows an item by: its own from the DupeKey, else ``nzbget-<NZBID>``."""
    key = str(raw.get("DupeKey") or "")
    own = key[len(DUPE_KEY_PREFIX) :] if key.startswith(DUPE_KEY_PREFIX) else ""
    return own if _OWN_ID.match(own) else f"{FOREIGN_PREFIX}{int(raw['NZBID'])}"


def _parent(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[0] if "/" in path.rstrip("/") else path


def parse_item(raw: Mapping[str, Any], *, in_history: bool) -> TorrentInfo:
    """One ``listgroups`` or ``history`` entry as a ``TorrentInfo``; a malformed one is a bad response."""
    try:
        status = str(raw.get("Status") or "")
        size = _size(raw, "FileSize")
        downloaded = _size(raw, "DownloadedSize")
        error = None
        if in_history:
            state, error = fold_history(status)
            health = raw.get("Health")
            if error and health is not None and int(health) < 1000 and status.startswith(("FAILURE", "WARNING")):
                error += f"; health {int(health) / 10:g}%, {int(raw.get('FailedArticles') or 0)} articles failed"
            done = size - _size(raw, "RemainingSize") if "RemainingSizeLo" in raw else downloaded
            progress = 1.0 if state is TorrentState.COMPLETED else (done / size if size else 0.0)
        else:
            state = QUEUE_STATES.get(status, TorrentState.UNKNOWN)
            remaining = _size(raw, "RemainingSize")
            progress = (size - remaining) / size if size else 0.0
        folder = str(raw.get("FinalDir") or raw.get("DestDir") or "")
        history_time = int(raw.get("HistoryTime") or 0)
        return TorrentInfo(
            info_hash=item_id(raw),
            name=str(raw.get("NZBName") or ""),
            state=state,
            raw_state=status or "UNKNOWN",
            progress=min(max(progress, 0.0), 1.0),
            size_bytes=max(size, 0),
            downloaded_bytes=max(downloaded, 0),
            save_path=_parent(folder),
            content_path=folder,
            category=str(raw.get("Category") or ""),
            completed_on=history_time if state is TorrentState.COMPLETED and history_time > 0 else None,
            error=error,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ServiceBadResponse(SERVICE, f"queue or history entry not understood ({exc!r})") from exc


def _ids(hashes: Sequence[str]) -> list[str]:
    if isinstance(hashes, str):
        raise ValueError("pass a sequence of download ids, not one string")
    ids = [h.strip().lower() for h in hashes]
    bad = [h for h in ids if not (_OWN_ID.match(h) or _FOREIGN_ID.match(h))]
    if bad:
        raise ValueError(f"not an NZBGet download id: {bad[0]!r}")
    return ids


@dataclass(frozen=True)
class _Item:
    nzb_id: int
    info: TorrentInfo
    in_history: bool


class NzbgetClient:
    """The DownloadClient port on NZBGet 21+ (its JSON-RPC API, version 13+ call forms)."""

    def __init__(self, client: ServiceClient, *, configured: bool = True) -> None:
        self._client = client
        self.configured = configured
        self._request_id = 0

    @property
    def http(self) -> ServiceClient:
        """The underlying client (its ``health`` feeds the integrations endpoint)."""
        return self._client

    async def call(self, method: str, *params: Any) -> Any:
        """One JSON-RPC call; a JSON-RPC error (unknown method, bad parameter) is a bad response."""
        if not self.configured:
            raise ServiceNotConfigured(SERVICE, "NZBGET_URL is not set")
        self._request_id += 1
        # "params" last: v21 reads the parameters as a stream of JSON values up to the end of the body.
        body = {"method": method, "id": self._request_id, "params": list(params)}
        payload = await self._client.get_json(RPC_PATH, method="POST", json=body)
        if not isinstance(payload, Mapping):
            raise ServiceBadResponse(SERVICE, f"{method}: the answer is not a JSON-RPC object")
        error = payload.get("error")
        if error:
            text = str(error.get("message") if isinstance(error, Mapping) else error)[:_MESSAGE_EXCERPT]
            raise ServiceBadResponse(SERVICE, f"{method} refused: {text}", details={"error": error})
        return payload.get("result")

    async def version(self) -> str:
        """NZBGet's version, e.g. ``21.0``."""
        return str(await self.call("version"))

    async def test_connection(self) -> ConnectionReport:
        """Read the version with the credentials (a wrong password is answered 401); never raises."""
        return await version_probe(SERVICE, self.configured, self.version)

    async def _items(self) -> list[_Item]:
        queue = await self.call("listgroups", 0)
        history = await self.call("history", False)
        if not isinstance(queue, list) or not isinstance(history, list):
            raise ServiceBadResponse(SERVICE, "listgroups or history did not return a list")
        found = [
            _Item(int(r["NZBID"]), parse_item(r, in_history=False), False) for r in queue if isinstance(r, Mapping)
        ]
        found += [
            _Item(int(r["NZBID"]), parse_item(r, in_history=True), True)
            for r in history
            if isinstance(r, Mapping) and str(r.get("Kind") or "NZB") in ("NZB", "URL")
        ]
        return found

    async def add(self, torrent: AddTorrent) -> str:
        """Append an NZB with the category; returns its id. An NZB already queued or in the history returns its id."""
        if torrent.nzb_file is None:
            raise ValueError("NZBGet takes NZB files only (AddTorrent.nzb_file)")
        try:
            summary = parse_nzb(torrent.nzb_file)
        except NzbError as exc:
            raise ServiceBadResponse(SERVICE, f"not a valid NZB ({exc})") from exc
        download_id = nzb_id(torrent.nzb_file)
        existing = [i for i in await self._items() if i.info.info_hash == download_id]
        if any(not i.in_history or not i.info.raw_state.startswith("DELETED") for i in existing):
            log.info("nzbget: NZB %s is already there", download_id)
            return download_id
        name = torrent.rename or summary.title or download_id
        content = base64.b64encode(torrent.nzb_file).decode("ascii")
        # append(NZBFilename, Content, Category, Priority, AddToTop, AddPaused, DupeKey, DupeScore, DupeMode,
        # PPParameters): no post-processing parameters (v21 would read their object keys as names).
        answer = await self.call(
            "append", f"{name}.nzb", content, torrent.category or "", 0, False, torrent.paused,
            f"{DUPE_KEY_PREFIX}{download_id}", 0, "SCORE", [],
        )  # fmt: skip
        if not isinstance(answer, int) or isinstance(answer, bool) or answer <= 0:
            raise ServiceBadResponse(SERVICE, f"append refused the NZB {name!r} (answer {answer!r})")
        log.info("nzbget: appended NZB %s as NZBID %s (category=%s)", download_id, answer, torrent.category)
        return download_id

    async def info(
        self, *, hashes: Sequence[str] | None = None, tag: str | None = None, category: str | None = None
    ) -> list[TorrentInfo]:
        """Queue and history items by id and/or category. NZBGet has no tags: only ``tag=""`` (untagged) matches."""
        if hashes is not None and not hashes:
            return []
        wanted = set(_ids(hashes)) if hashes is not None else None
        if tag:
            return []
        found = [i.info for i in await self._items()]
        if wanted is not None:
            found = [info for info in found if info.info_hash in wanted]
        if category is not None:
            found = [info for info in found if info.category == category]
        return found

    async def _edit(self, command: str, nzb_ids: Sequence[int]) -> None:
        if nzb_ids and await self.call("editqueue", command, "", list(nzb_ids)) is not True:
            raise ServiceBadResponse(SERVICE, f"editqueue {command} refused for {list(nzb_ids)}")

    async def _resolve(self, hashes: Sequence[str]) -> tuple[list[int], list[int]]:
        """The NZBIDs of the given ids: those in the queue, those in the history (ids not found are ignored)."""
        wanted = set(_ids(hashes))
        if not wanted:
            return [], []
        items = [i for i in await self._items() if i.info.info_hash in wanted]
        return [i.nzb_id for i in items if not i.in_history], [i.nzb_id for i in items if i.in_history]

    async def pause(self, hashes: Sequence[str]) -> None:
        queued, _ = await self._resolve(hashes)
        await self._edit("GroupPause", queued)

    async def resume(self, hashes: Sequence[str]) -> None:
        queued, _ = await self._resolve(hashes)
        await self._edit("GroupResume", queued)

    async def delete(self, hashes: Sequence[str], *, delete_files: bool) -> None:
        """Remove from the queue (partial data goes with it) and from the history, leaving no record behind.

        NZBGet has no call that deletes a finished item's files: with ``delete_files`` they stay on disk.
        """
        queued, history = await self._resolve(hashes)
        await self._edit("GroupFinalDelete", queued)
        await self._edit("HistoryFinalDelete", history)
        if delete_files and history:
            log.info("nzbget: the files of %s stay on disk (NZBGet cannot delete them)", history)

    async def ensure_category(self, name: str, save_path: str | None = None) -> None:
        """Nothing to create: NZBGet keeps an unknown category name as given (its DestDir is then the main one).

        Categories with their own folder are defined in NZBGet's settings (Categories section).
        """
        if not name.strip():
            raise ValueError("an NZBGet category needs a name")

    async def aclose(self) -> None:
        await self._client.aclose()


def rpc_base(url: str) -> str:
    """``http://host:6789`` (or with a base path) -> the base the RPC path is added to; ``/jsonrpc`` is dropped."""
    text = url.strip() if "://" in url else f"http://{url.strip()}"
    parts = httpx.URL(text)
    if parts.scheme not in ("http", "https") or not parts.host:
        raise ValueError(f"NZBGET_URL must be an http(s) URL, e.g. http://127.0.0.1:6789 (got {url!r})")
    base = str(parts.copy_with(query=None, fragment=None)).rstrip("/")
    return base[: -len(RPC_PATH)] if base.endswith(RPC_PATH) else base


def build(
    url: str, username: str, password: str, *, transport: httpx.AsyncBaseTransport | None = None, **policy: Any
) -> NzbgetClient:
    """A client for the NZBGet at ``url`` (its web address, e.g. ``http://127.0.0.1:6789``)."""
    settings: dict[str, Any] = {"timeout": 15.0, "max_attempts": 2, "max_concurrency": 1, **policy}
    extras = {k: settings.pop(k) for k in ("sleep", "clock", "rng") if k in settings}
    if not url.strip():
        return NzbgetClient(ServiceClient(ServicePolicy(name=SERVICE, base_url="", **settings)), configured=False)
    try:
        base = rpc_base(url)
    except ValueError as exc:
        raise ServiceBadResponse(SERVICE, str(exc)) from exc
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    client = ServiceClient(
        ServicePolicy(name=SERVICE, base_url=base, secrets=(password,) if password else (), **settings),
        # NZBGet drops a kept-alive connection after refusing it (401): a fresh connection per call is safe.
        headers={"Authorization": f"Basic {token}", "Connection": "close"},
        transport=transport,
        **extras,
    )
    return NzbgetClient(client)
