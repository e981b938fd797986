"""The states of wanted books, downloads, tasks and corrections, and the moves allowed between them."""

from __future__ import annotations

import enum


class WantedStatus(enum.StrEnum):
    WANTED = "wanted"
    SEARCHING = "searching"
    GRABBED = "grabbed"
    DOWNLOADED = "downloaded"
    IMPORTED = "imported"
    IGNORED = "ignored"
    FAILED = "failed"


class WantedReason(enum.StrEnum):
    SERIES_GAP = "series_gap"
    AUTHOR_CATALOGUE = "author_catalogue"
    TOP10 = "top10"
    MANUAL = "manual"


class DownloadStatus(enum.StrEnum):
    QUEUED = "queued"  # recorded, not yet accepted by the client
    DOWNLOADING = "downloading"
    PAUSED = "paused"
    COMPLETED = "completed"  # data complete in the client, not yet imported
    IMPORTING = "importing"
    IMPORTED = "imported"
    FAILED = "failed"
    CANCELLED = "cancelled"


class TaskStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCESS = "success"
    PARTIAL = "partial"  # ran, but some of its outside services failed: counts say how much was done
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # the process running it stopped (killed, crashed) before it finished
    CANCELLED = "cancelled"


FINISHED_TASK_STATUSES = frozenset(
    {TaskStatus.SUCCESS, TaskStatus.PARTIAL, TaskStatus.FAILED, TaskStatus.INTERRUPTED, TaskStatus.CANCELLED}
)


class TaskTrigger(enum.StrEnum):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    RETRY = "retry"


class CorrectionStatus(enum.StrEnum):
    APPLIED = "applied"
    PENDING = "pending"
    REVERTED = "reverted"
    REJECTED = "rejected"
    DRY_RUN = "dry_run"


class MetadataStatus(enum.StrEnum):
    UNCHECKED = "unchecked"
    OK = "ok"
    CORRECTED = "corrected"
    NEEDS_REVIEW = "needs_review"
    NO_MATCH = "no_match"


class FailureKind(enum.StrEnum):
    DOWNLOAD = "download"
    IMPORT = "import"
    METADATA = "metadata"
    SEARCH = "search"
    SYNC = "sync"


class DuplicateKind(enum.StrEnum):
    """What a refused second grab collides with (``details.kind`` of 409 DOWNLOAD_ALREADY_EXISTS)."""

    BOOK = "book"  # the wanted book has a live download already
    TORRENT = "torrent"  # the torrent belongs to another download: another release may do


# The one list of live download states: the partial unique index, the queries and the page derive from it.
ACTIVE_DOWNLOAD_STATES = frozenset(
    {
        DownloadStatus.QUEUED,
        DownloadStatus.DOWNLOADING,
        DownloadStatus.PAUSED,
        DownloadStatus.COMPLETED,
        DownloadStatus.IMPORTING,
    }
)

# A wanted book in one of these is held by its download: the download's end (failed, cancelled) moves it on.
HELD_BY_DOWNLOAD = frozenset({WantedStatus.GRABBED, WantedStatus.DOWNLOADED})

_WANTED_MOVES: dict[WantedStatus, frozenset[WantedStatus]] = {
    WantedStatus.WANTED: frozenset(
        {WantedStatus.SEARCHING, WantedStatus.GRABBED, WantedStatus.IGNORED, WantedStatus.FAILED, WantedStatus.IMPORTED}
    ),
    WantedStatus.SEARCHING: frozenset(
        {WantedStatus.WANTED, WantedStatus.GRABBED, WantedStatus.FAILED, WantedStatus.IGNORED}
    ),
    WantedStatus.GRABBED: frozenset(
        {WantedStatus.DOWNLOADED, WantedStatus.WANTED, WantedStatus.FAILED, WantedStatus.IGNORED}
    ),
    WantedStatus.DOWNLOADED: frozenset({WantedStatus.IMPORTED, WantedStatus.FAILED, WantedStatus.WANTED}),
    WantedStatus.IMPORTED: frozenset(),
    WantedStatus.IGNORED: frozenset({WantedStatus.WANTED}),
    WantedStatus.FAILED: frozenset({WantedStatus.WANTED, WantedStatus.IGNORED}),
}

_DOWNLOAD_MOVES: dict[DownloadStatus, frozenset[DownloadStatus]] = {
    DownloadStatus.QUEUED: frozenset(
        {
            DownloadStatus.DOWNLOADING,
            DownloadStatus.PAUSED,
            DownloadStatus.COMPLETED,
            DownloadStatus.FAILED,
            DownloadStatus.CANCELLED,
        }
    ),
    DownloadStatus.DOWNLOADING: frozenset(
        {DownloadStatus.PAUSED, DownloadStatus.COMPLETED, DownloadStatus.FAILED, DownloadStatus.CANCELLED}
    ),
    DownloadStatus.PAUSED: frozenset(
        {DownloadStatus.DOWNLOADING, DownloadStatus.COMPLETED, DownloadStatus.FAILED, DownloadStatus.CANCELLED}
    ),
    DownloadStatus.COMPLETED: frozenset(
        {DownloadStatus.IMPORTING, DownloadStatus.IMPORTED, DownloadStatus.FAILED, DownloadStatus.CANCELLED}
    ),
    DownloadStatus.IMPORTING: frozenset({DownloadStatus.IMPORTED, DownloadStatus.FAILED, DownloadStatus.COMPLETED}),
    DownloadStatus.IMPORTED: frozenset(),
    DownloadStatus.FAILED: frozenset({DownloadStatus.QUEUED}),
    DownloadStatus.CANCELLED: frozenset(),
}


def can_move_wanted(current: WantedStatus, target: WantedStatus) -> bool:
    """Whether a wanted book may move from ``current`` to ``target`` (staying put is always allowed)."""
    return current == target or target in _WANTED_MOVES[current]


def can_move_download(current: DownloadStatus, target: DownloadStatus) -> bool:
    """Whether a download may move from ``current`` to ``target`` (staying put is always allowed)."""
    return current == target or target in _DOWNLOAD_MOVES[current]
