"""An in-memory download client (ports.DownloadClient): torrents (or NZBs) kept by id, moved on by the test."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from shelfkeeper.domain.torrents.files import BencodeError, info_hash, magnet_info_hash
from shelfkeeper.domain.torrents.nzb import nzb_id
from shelfkeeper.domain.torrents.status import AddTorrent, TorrentInfo, TorrentState
from shelfkeeper.errors import ServiceBadResponse
from shelfkeeper.testing.doubles.recorder import Recorder


class InMemoryDownloadClient(Recorder):
    """Adds a torrent as queued (or paused); ``advance`` moves one on. Adding one already there returns its hash."""

    name = "download_client"

    def __init__(self) -> None:
        super().__init__(self.name)
        self.torrents: dict[str, TorrentInfo] = {}
        self.categories: dict[str, str | None] = {}
        self.deleted: dict[str, bool] = {}  # info hash -> its files were deleted too

    async def add(self, torrent: AddTorrent) -> str:
        self._enter("add", torrent)
        found: str | None
        try:
            if torrent.nzb_file is not None:  # a usenet client's download: named by its NZB
                found = nzb_id(torrent.nzb_file)
            elif torrent.torrent_file is not None:
                found = info_hash(torrent.torrent_file)
            else:
                found = magnet_info_hash(torrent.url or "")
        except BencodeError as exc:
            raise ServiceBadResponse(self.name, f"not a valid .torrent file ({exc})") from exc
        if not found:
            raise ServiceBadResponse(self.name, "neither a .torrent file nor a magnet with an info hash")
        found = found.lower()
        if found not in self.torrents:
            state = TorrentState.PAUSED if torrent.paused else TorrentState.QUEUED
            self.torrents[found] = TorrentInfo(
                info_hash=found,
                name=torrent.rename or found,
                state=state,
                raw_state=str(state),
                progress=0.0,
                size_bytes=0,
                save_path=torrent.save_path or "",
                category=torrent.category or "",
                tags=tuple(torrent.tags),
            )
        return found

    def advance(self, torrent_id: str, **changes: Any) -> TorrentInfo:
        """Change what the client reports about a torrent (state, progress, content_path...)."""
        state = changes.get("state")
        if isinstance(state, TorrentState):
            changes.setdefault("raw_state", str(state))
        self.torrents[torrent_id] = dataclasses.replace(self.torrents[torrent_id], **changes)
        return self.torrents[torrent_id]

    async def info(
        self, *, hashes: Sequence[str] | None = None, tag: str | None = None, category: str | None = None
    ) -> list[TorrentInfo]:
        self._enter("info", tuple(hashes) if hashes is not None else None, tag, category)
        wanted = {h.lower() for h in hashes} if hashes is not None else None
        return [
            t
            for t in self.torrents.values()
            if (wanted is None or t.info_hash in wanted)
            and (tag is None or (tag in t.tags if tag else not t.tags))
            and (category is None or t.category == category)
        ]

    async def pause(self, hashes: Sequence[str]) -> None:
        self._enter("pause", tuple(hashes))
        for torrent_id in self._present(hashes):
            if not self.torrents[torrent_id].is_complete:
                self.advance(torrent_id, state=TorrentState.PAUSED)

    async def resume(self, hashes: Sequence[str]) -> None:
        self._enter("resume", tuple(hashes))
        for torrent_id in self._present(hashes):
            if self.torrents[torrent_id].state is TorrentState.PAUSED:
                self.advance(torrent_id, state=TorrentState.DOWNLOADING)

    async def delete(self, hashes: Sequence[str], *, delete_files: bool) -> None:
        self._enter("delete", tuple(hashes), delete_files)
        for torrent_id in self._present(hashes):
            del self.torrents[torrent_id]
            self.deleted[torrent_id] = delete_files

    async def ensure_category(self, name: str, save_path: str | None = None) -> None:
        self._enter("ensure_category", name, save_path)
        self.categories[name] = save_path

    def _present(self, hashes: Sequence[str]) -> list[str]:
        return [h.lower() for h in hashes if h.lower() in self.torrents]
