"""The download client's view of a torrent (or a usenet download), in names that do not depend on its version."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from shelfkeeper.domain.releases.release import DownloadProtocol


class TorrentState(enum.StrEnum):
    """qBittorrent's many state names folded into what the monitor needs to decide."""

    DOWNLOADING = "downloading"
    STALLED = "stalled"  # downloading, but no peer sends data
    METADATA = "metadata"  # magnet waiting for its metadata
    QUEUED = "queued"
    PAUSED = "paused"  # 4.x "paused*", 5.x "stopped*" before completion
    CHECKING = "checking"
    MOVING = "moving"
    POST_PROCESSING = "post_processing"  # usenet: par check/repair, unpack, move or script after the download
    COMPLETED = "completed"  # all wanted data present (seeding, stalledUP, pausedUP, ...)
    ERROR = "error"
    MISSING_FILES = "missing_files"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class TorrentInfo:
    info_hash: str
    name: str
    state: TorrentState
    raw_state: str
    progress: float  # 0..1
    size_bytes: int
    downloaded_bytes: int = 0
    eta_seconds: int | None = None  # None when unknown or infinite
    download_speed: int = 0
    seeders: int = 0
    save_path: str = ""
    content_path: str = ""
    category: str = ""
    tags: tuple[str, ...] = ()
    added_on: int | None = None
    completed_on: int | None = None  # None when never completed
    error: str | None = None  # the client's reason for an ERROR state ("par repair failed", "missing articles")

    @property
    def is_complete(self) -> bool:
        return self.state is TorrentState.COMPLETED


@dataclass(frozen=True)
class AddTorrent:
    """What to hand the download client: a .torrent file's bytes, a URL/magnet, or an NZB's bytes, with placement."""

    torrent_file: bytes | None = None
    url: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    save_path: str | None = None
    paused: bool = False
    cookie: str | None = None
    rename: str | None = None
    nzb_file: bytes | None = None  # a usenet release: the NZB, for a usenet client (NZBGet)

    @property
    def protocol(self) -> DownloadProtocol:
        return DownloadProtocol.USENET if self.nzb_file is not None else DownloadProtocol.TORRENT
