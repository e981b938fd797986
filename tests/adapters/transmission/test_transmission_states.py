"""Transmission's status/error/progress folded into TorrentState (the daemon's documented values)."""

from __future__ import annotations

import pytest

from shelfkeeper.adapters.transmission import fold_state, parse_torrent, rpc_address
from shelfkeeper.domain.torrents.status import TorrentState
from shelfkeeper.errors import ServiceBadResponse

BASE = {"hashString": "AB" * 20, "name": "Book", "sizeWhenDone": 100, "metadataPercentComplete": 1}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"status": 4, "leftUntilDone": 50, "peersSendingToUs": 1, "rateDownload": 10}, TorrentState.DOWNLOADING),
        ({"status": 4, "leftUntilDone": 50, "peersSendingToUs": 0, "rateDownload": 0}, TorrentState.STALLED),
        ({"status": 4, "leftUntilDone": 50, "peersSendingToUs": 1, "isStalled": True}, TorrentState.STALLED),
        ({"status": 4, "leftUntilDone": 0, "percentDone": 1, "peersSendingToUs": 1}, TorrentState.DOWNLOADING),
        ({"status": 6, "leftUntilDone": 0}, TorrentState.COMPLETED),
        ({"status": 0, "leftUntilDone": 0}, TorrentState.COMPLETED),
        ({"status": 0, "leftUntilDone": 50}, TorrentState.PAUSED),
        ({"status": 3, "leftUntilDone": 50}, TorrentState.QUEUED),
        ({"status": 2, "leftUntilDone": 0}, TorrentState.CHECKING),
        (
            {"status": 0, "leftUntilDone": 0, "error": 3, "errorString": "No data found! Ensure"},
            TorrentState.MISSING_FILES,
        ),
        ({"status": 0, "leftUntilDone": 50, "error": 3, "errorString": "disk full"}, TorrentState.ERROR),
        ({"status": 4, "leftUntilDone": 0, "sizeWhenDone": 0, "metadataPercentComplete": 0}, TorrentState.METADATA),
    ],
)
def test_fold_state(fields, expected):
    assert fold_state({**BASE, **fields}) is expected


def test_parse_maps_labels_eta_and_paths():
    info = parse_torrent(
        {**BASE, "status": 4, "leftUntilDone": 40, "labels": ["audiobooks", "mam"], "eta": -2, "downloadDir": "/dl/"}
    )
    assert (info.info_hash, info.category, info.tags, info.eta_seconds) == ("ab" * 20, "audiobooks", ("mam",), None)
    assert info.content_path == "/dl/Book"


def test_parse_refuses_an_entry_without_hash():
    with pytest.raises(ServiceBadResponse):
        parse_torrent({"name": "x"})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:9091", ("http", "127.0.0.1", 9091, "/transmission/rpc")),
        ("http://nas:9091/", ("http", "nas", 9091, "/transmission/rpc")),
        ("https://nas/tr/rpc", ("https", "nas", 443, "/tr/rpc")),
        ("nas", ("http", "nas", 9091, "/transmission/rpc")),
    ],
)
def test_rpc_address(url, expected):
    assert rpc_address(url) == expected


def test_rpc_address_refuses_other_schemes():
    with pytest.raises(ValueError, match="TRANSMISSION_URL"):
        rpc_address("ftp://nas")
