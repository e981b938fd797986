"""qBittorrent's raw torrent states (4.x and 5.x names) folded into the few the download monitor decides on."""

from __future__ import annotations

from shelfkeeper.domain.torrents.status import TorrentState

# States that say the data cannot be trusted as finished right now, whatever the progress says.
_BLOCKING = {
    "error": TorrentState.ERROR,
    "missingFiles": TorrentState.MISSING_FILES,
    "checkingUP": TorrentState.CHECKING,
    "checkingDL": TorrentState.CHECKING,
    "checkingResumeData": TorrentState.CHECKING,
    "moving": TorrentState.MOVING,
}

# A magnet waiting for its metadata reports size 0 and nothing left, which would look finished.
_WAITING_FOR_METADATA = frozenset({"metaDL", "forcedMetaDL"})

# The "UP" side: qBittorrent itself considers every wanted piece present (5.x says stopped, 4.x paused).
FINISHED_STATES = frozenset({"uploading", "stalledUP", "forcedUP", "queuedUP", "pausedUP", "stoppedUP"})

_UNFINISHED = {
    "downloading": TorrentState.DOWNLOADING,
    "forcedDL": TorrentState.DOWNLOADING,
    "allocating": TorrentState.DOWNLOADING,  # 4.1-4.3 only
    "stalledDL": TorrentState.STALLED,
    "queuedDL": TorrentState.QUEUED,
    "pausedDL": TorrentState.PAUSED,  # 4.x
    "stoppedDL": TorrentState.PAUSED,  # 5.x
}

RAW_STATES_4X = frozenset(
    {
        "error",
        "missingFiles",
        "uploading",
        "pausedUP",
        "queuedUP",
        "stalledUP",
        "checkingUP",
        "forcedUP",
        "downloading",
        "metaDL",
        "forcedMetaDL",
        "pausedDL",
        "queuedDL",
        "stalledDL",
        "checkingDL",
        "forcedDL",
        "checkingResumeData",
        "moving",
        "unknown",
    }
)
RAW_STATES_5X = (RAW_STATES_4X - {"pausedUP", "pausedDL"}) | {"stoppedUP", "stoppedDL"}


def is_data_complete(progress: float, amount_left: int | None = None, size: int | None = None) -> bool:
    """All wanted data is on disk: progress 1, or nothing left of a torrent whose size is known."""
    if progress >= 1.0:
        return True
    return amount_left == 0 and size is not None and size > 0


def fold_state(
    raw_state: str, progress: float, *, amount_left: int | None = None, size: int | None = None
) -> TorrentState:
    """Fold one raw state (any qBittorrent version) and the torrent's progress into a ``TorrentState``.

    Checking, moving and error states win over progress; otherwise complete data means COMPLETED
    (seeding, stalled or paused after finishing alike), whatever the version calls the state.
    An unknown name is COMPLETED when the data is complete and UNKNOWN otherwise.
    """
    if raw_state in _BLOCKING:
        return _BLOCKING[raw_state]
    if raw_state in _WAITING_FOR_METADATA:
        return TorrentState.METADATA
    if raw_state in FINISHED_STATES or is_data_complete(progress, amount_left, size):
        return TorrentState.COMPLETED
    return _UNFINISHED.get(raw_state, TorrentState.UNKNOWN)
