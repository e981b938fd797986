"""A real BitTorrent transfer on loopback: one qbittorrent-nox seeds, a second one downloads."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator

import pytest

from shelfkeeper.domain.torrents.status import AddTorrent, TorrentInfo, TorrentState
from shelfkeeper.testing.qbittorrent import QbittorrentProcess

pytestmark = pytest.mark.qbittorrent

DOWNLOAD_LIMIT = 200 * 1024  # bytes/s: slow enough to watch a ~600 KB book arrive over a few refreshes


@pytest.fixture(scope="module")
def leecher() -> Iterator[QbittorrentProcess]:
    with QbittorrentProcess() as process:
        yield process


def watch_until_complete(client, torrent_id: str, timeout: float = 20.0) -> list[TorrentInfo]:
    """Every state seen while downloading, in order, ending with the completed one."""
    seen: list[TorrentInfo] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = asyncio.run(client.info(hashes=[torrent_id]))
        if found:
            seen.append(found[0])
            if found[0].state is TorrentState.COMPLETED:
                return seen
        time.sleep(0.2)
    pytest.fail(f"no completion within {timeout} s; last seen: {seen[-1:]!r}")


def test_a_book_travels_from_one_instance_to_another(qbt, leecher, connect, new_book, wait):
    seeder, downloader = connect(qbt), connect(leecher)
    book = new_book(qbt.save_dir / "transfer", n_files=3, seconds=12)
    seeded = asyncio.run(seeder.add(AddTorrent(torrent_file=book.torrent, save_path=str(book.save_path))))
    wait(lambda: asyncio.run(seeder.info(hashes=[seeded])), lambda f: f and f[0].state is TorrentState.COMPLETED)

    target = leecher.save_dir / "incoming"
    torrent_id = asyncio.run(
        downloader.add(
            AddTorrent(torrent_file=book.torrent, save_path=str(target), category="transfer"),
            download_limit=DOWNLOAD_LIMIT,
        )
    )
    assert torrent_id == seeded == book.info_hash
    wait(lambda: asyncio.run(downloader.info(hashes=[torrent_id])), bool)
    # no tracker, DHT or LSD on loopback: tell the downloader where the seeder is
    asyncio.run(downloader.add_peers([torrent_id], [f"127.0.0.1:{qbt.bt_port}"]))

    seen = watch_until_complete(downloader, torrent_id)
    progress = [info.progress for info in seen]
    assert progress == sorted(progress), "progress never goes back"
    assert any(0 < a < b < 1 for a, b in itertools.pairwise(progress)), progress
    assert TorrentState.DOWNLOADING in {info.state for info in seen}
    done = seen[-1]
    assert (done.progress, done.downloaded_bytes, done.size_bytes) == (1.0, book.size, book.size)
    assert done.content_path == str(target / book.folder.name)
    for original in sorted(p for p in book.folder.rglob("*") if p.is_file()):
        copy = target / book.folder.name / original.relative_to(book.folder)
        assert copy.read_bytes() == original.read_bytes()
