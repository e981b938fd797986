"""Deluge's state names and progress folded into TorrentState (the daemon's documented values)."""

from __future__ import annotations

import pytest

from shelfkeeper.adapters.deluge import fold_state, label_name, parse_torrent
from shelfkeeper.domain.torrents.status import TorrentState

BASE = {"hash": "AB" * 20, "name": "Book", "total_wanted": 100}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"state": "Downloading", "total_done": 10, "download_payload_rate": 5, "num_peers": 1},
            TorrentState.DOWNLOADING,
        ),
        ({"state": "Downloading", "total_done": 10, "download_payload_rate": 0, "num_peers": 0}, TorrentState.STALLED),
        ({"state": "Downloading", "total_wanted": 0, "total_done": 0}, TorrentState.METADATA),
        ({"state": "Seeding", "total_done": 100}, TorrentState.COMPLETED),
        ({"state": "Paused", "total_done": 100}, TorrentState.COMPLETED),
        ({"state": "Paused", "total_done": 10}, TorrentState.PAUSED),
        ({"state": "Queued", "total_done": 10}, TorrentState.QUEUED),
        ({"state": "Checking", "total_done": 100}, TorrentState.CHECKING),
        ({"state": "Moving", "total_done": 100}, TorrentState.MOVING),
        ({"state": "Error", "total_done": 100, "progress": 100.0}, TorrentState.ERROR),
        ({"state": "Something", "total_done": 10}, TorrentState.UNKNOWN),
    ],
)
def test_fold_state(fields, expected):
    assert fold_state({**BASE, **fields}) is expected


def test_error_progress_counts_bytes_not_the_100_percent_deluge_reports():
    info = parse_torrent("x", {**BASE, "state": "Error", "progress": 100.0, "total_done": 25, "message": "Not a dir"})
    assert (info.state, info.progress) == (TorrentState.ERROR, 0.25)


def test_parse_maps_label_eta_and_paths():
    info = parse_torrent(
        "x",
        {
            **BASE,
            "state": "Downloading",
            "progress": 40.0,
            "label": "audiobooks",
            "eta": -1,
            "save_path": "/dl/",
            "total_done": 40,
            "num_peers": 1,
        },
    )
    assert (info.info_hash, info.category, info.tags, info.eta_seconds) == ("ab" * 20, "audiobooks", (), None)
    assert (info.progress, info.content_path) == (0.4, "/dl/Book")


def test_label_name_lowercases_and_refuses_spaces():
    assert label_name(" AudioBooks ") == "audiobooks"
    with pytest.raises(ValueError, match="Deluge labels"):
        label_name("audio books")
