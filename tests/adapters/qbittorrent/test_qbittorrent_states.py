"""Every qBittorrent 4.5 and 5.x state name folded into TorrentState (shelfkeeper.adapters.qbittorrent_states)."""

from __future__ import annotations

import pytest

from shelfkeeper.adapters.qbittorrent_states import RAW_STATES_4X, RAW_STATES_5X, fold_state, is_data_complete
from shelfkeeper.domain.torrents.status import TorrentState as S

# raw state -> (folded at progress 0, folded at progress 0.5, folded at progress 1)
TABLE = {
    "error": (S.ERROR, S.ERROR, S.ERROR),
    "missingFiles": (S.MISSING_FILES, S.MISSING_FILES, S.MISSING_FILES),
    "uploading": (S.COMPLETED, S.COMPLETED, S.COMPLETED),
    "pausedUP": (S.COMPLETED, S.COMPLETED, S.COMPLETED),
    "stoppedUP": (S.COMPLETED, S.COMPLETED, S.COMPLETED),
    "queuedUP": (S.COMPLETED, S.COMPLETED, S.COMPLETED),
    "stalledUP": (S.COMPLETED, S.COMPLETED, S.COMPLETED),
    "checkingUP": (S.CHECKING, S.CHECKING, S.CHECKING),
    "forcedUP": (S.COMPLETED, S.COMPLETED, S.COMPLETED),
    "downloading": (S.DOWNLOADING, S.DOWNLOADING, S.COMPLETED),
    "metaDL": (S.METADATA, S.METADATA, S.METADATA),
    "forcedMetaDL": (S.METADATA, S.METADATA, S.METADATA),
    "pausedDL": (S.PAUSED, S.PAUSED, S.COMPLETED),
    "stoppedDL": (S.PAUSED, S.PAUSED, S.COMPLETED),
    "queuedDL": (S.QUEUED, S.QUEUED, S.COMPLETED),
    "stalledDL": (S.STALLED, S.STALLED, S.COMPLETED),
    "checkingDL": (S.CHECKING, S.CHECKING, S.CHECKING),
    "forcedDL": (S.DOWNLOADING, S.DOWNLOADING, S.COMPLETED),
    "checkingResumeData": (S.CHECKING, S.CHECKING, S.CHECKING),
    "moving": (S.MOVING, S.MOVING, S.MOVING),
    "unknown": (S.UNKNOWN, S.UNKNOWN, S.COMPLETED),
    "allocating": (S.DOWNLOADING, S.DOWNLOADING, S.COMPLETED),  # 4.1-4.3
    "someFutureState": (S.UNKNOWN, S.UNKNOWN, S.COMPLETED),
    "": (S.UNKNOWN, S.UNKNOWN, S.COMPLETED),
}


def test_the_table_covers_every_state_name_of_4_5_and_5_x():
    assert TABLE.keys() >= (RAW_STATES_4X | RAW_STATES_5X)
    assert {"pausedUP", "pausedDL"} <= RAW_STATES_4X - RAW_STATES_5X
    assert {"stoppedUP", "stoppedDL"} <= RAW_STATES_5X - RAW_STATES_4X


@pytest.mark.parametrize(
    ("raw_state", "progress", "expected"),
    [(raw, progress, folded[i]) for raw, folded in TABLE.items() for i, progress in enumerate((0.0, 0.5, 1.0))],
)
def test_fold_state(raw_state, progress, expected):
    assert fold_state(raw_state, progress) is expected


@pytest.mark.parametrize(
    ("raw_state", "progress", "amount_left", "size", "expected"),
    [
        # nothing left of a known size counts as complete even when progress rounds below 1
        ("stalledDL", 0.9999, 0, 1000, S.COMPLETED),
        ("pausedDL", 0.9999, 0, 1000, S.COMPLETED),
        ("stalledDL", 0.9999, 1, 1000, S.STALLED),
        # a magnet without metadata: size 0, nothing "left", but nothing there either
        ("pausedDL", 0.0, 0, 0, S.PAUSED),
        ("stoppedDL", 0.0, 0, 0, S.PAUSED),
        ("metaDL", 0.0, 0, 0, S.METADATA),
        ("downloading", 0.0, 0, None, S.DOWNLOADING),
        # checking and moving win even with all data present
        ("checkingDL", 1.0, 0, 1000, S.CHECKING),
        ("moving", 1.0, 0, 1000, S.MOVING),
        ("error", 1.0, 0, 1000, S.ERROR),
    ],
)
def test_fold_state_with_amount_left(raw_state, progress, amount_left, size, expected):
    assert fold_state(raw_state, progress, amount_left=amount_left, size=size) is expected


@pytest.mark.parametrize(
    ("progress", "amount_left", "size", "complete"),
    [
        (1.0, None, None, True),
        (1.0, 5, 10, True),
        (0.99, None, None, False),
        (0.99, 0, 10, True),
        (0.0, 0, 0, False),
        (0.0, 0, None, False),
        (0.5, 5, 10, False),
    ],
)
def test_is_data_complete(progress, amount_left, size, complete):
    assert is_data_complete(progress, amount_left, size) is complete
