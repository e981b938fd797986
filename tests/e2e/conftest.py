"""The two qBittorrents of the loopback end-to-end tests (``loop_support.open_loop``); a module may override them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shelfkeeper.testing.qbittorrent import QbittorrentProcess


@pytest.fixture(scope="module")
def seeder() -> Iterator[QbittorrentProcess]:
    with QbittorrentProcess() as process:
        yield process


@pytest.fixture
def leecher() -> Iterator[QbittorrentProcess]:
    """The qBittorrent Shelfkeeper is configured with (a fresh one per test: its torrents are the test's)."""
    with QbittorrentProcess() as process:
        yield process
