"""The whole acquisition loop, end to end: wanted -> searched -> grabbed -> a real loopback transfer between two
qBittorrent instances -> the monitor sees it complete -> imported into a temporary library (hardlinked) ->
scanned by the Audiobookshelf fake -> Book linked -> wanted book imported. Then a kill between the Download
row and the client add, and a dead torrent replaced by the next-best release.

Prowlarr, MyAnonamouse and Audiobookshelf are the fakes served for real over HTTP; the downloads are real.
Only the run clock is moved forward (to pass stall and retry times); waits for the transfer are real.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from shelfkeeper.automation.acquisition import acquire_wanted
from shelfkeeper.automation.download_monitor import download_monitor_task
from shelfkeeper.db.tables import BlocklistEntry, Book, Download, FailedAttempt, WantedBook
from shelfkeeper.domain.torrents.status import TorrentState
from shelfkeeper.testing.fakes.mam import FakeMam
from shelfkeeper.testing.qbittorrent import QbittorrentProcess
from shelfkeeper.testing.torrents import info_hash, make_audio_book, make_torrent
from tests.e2e.loop_support import (
    AUTHOR,
    BOOK_DIR,
    SERIES,
    TITLE,
    Data,
    Loop,
    add_wanted,
    assert_hardlinked,
    open_loop,
    torrents,
    wait_for,
)

pytestmark = pytest.mark.qbittorrent

_numbers = itertools.count(1)
LOOKING_FOR_PEERS = (TorrentState.STALLED, TorrentState.DOWNLOADING)


def make_data(root: Path, name: str) -> Data:
    folder = root / name
    make_audio_book(folder, 3, 4.0, seed=next(_numbers))
    torrent = make_torrent(folder)
    return Data(folder, torrent, info_hash(torrent))


@pytest.fixture
def loop(
    engine: Engine,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    seeder: QbittorrentProcess,
    leecher: QbittorrentProcess,
) -> Iterator[Loop]:
    def stock_mam(mam: FakeMam) -> None:
        # MyAnonamouse has only an abridged edition: found, merged, and rejected
        mam.add_torrent(f"{TITLE} [Abridged]", authors=[AUTHOR], series=[[SERIES, "1"]], seeders=80)

    with open_loop(engine, sessions, tmp_path, seeder, leecher, stock_mam=stock_mam) as loop:
        yield loop


def assert_imported(loop: Loop, wanted_id: int, data: Data) -> None:
    """In the library (hardlinked to what the torrent seeds), listed by Audiobookshelf, Book linked."""
    download = loop.download()
    book_dir = loop.library / BOOK_DIR
    assert_hardlinked(book_dir, loop.leecher.save_dir / "shelfkeeper" / data.folder.name, data)
    items = [i for i in loop.abs.data.items.values() if i.path == str(book_dir)]
    assert len(items) == 1 and items[0].title == TITLE
    assert [sequence for _, sequence in items[0].series] == ["1"], "the scanner read the volume from the folder"
    with loop.sessions() as session:
        book = session.scalars(select(Book)).one()
        wanted = session.get(WantedBook, wanted_id)
        assert wanted is not None
        assert (book.abs_id, book.title, book.path) == (items[0].id, TITLE, str(book_dir))
        assert [(link.series.name, link.position) for link in book.series_links] == [(SERIES, "1")]
        assert (download.status, download.book_id, download.info_hash) == ("imported", book.id, data.info_hash)
        assert download.imported_at is not None
        assert (wanted.status, wanted.book_id) == ("imported", book.id)
    still_seeding = [t for t in torrents(loop.leecher) if t.info_hash == data.info_hash]
    assert len(still_seeding) == 1 and still_seeding[0].state is TorrentState.COMPLETED, "the torrent keeps seeding"


def test_a_wanted_book_travels_all_the_way_into_the_library(loop: Loop) -> None:
    data = make_data(loop.data_root, f"{AUTHOR} - {TITLE}")
    loop.offer(f"{AUTHOR} - {TITLE} (The Stormlight Archive 1) [MP3]", data, seeded=True, seeders=12)
    wanted_id = add_wanted(loop.sessions)

    acquired = loop.run(acquire_wanted)

    assert (acquired.counts.get("searched"), acquired.counts.get("grabbed")) == (1, 1), acquired
    download = loop.download()
    assert (download.status, download.info_hash, download.indexer) == ("downloading", data.info_hash, "Audio Tracker")
    wanted = loop.wanted(wanted_id)
    assert wanted.status == "grabbed" and wanted.last_searched_at is not None
    assert wanted.evidence["last_search"]["found"] == 2, "Prowlarr's release and MAM's abridged one, merged"
    in_client = [t for t in torrents(loop.leecher) if t.info_hash == data.info_hash]
    assert len(in_client) == 1
    assert (in_client[0].category, set(in_client[0].tags)) == ("audiobooks", {"shelfkeeper", f"sk-{download.id}"})

    loop.connect_peers(data.info_hash)
    loop.monitor_until_imported()

    assert_imported(loop, wanted_id, data)
    assert loop.count(FailedAttempt) == 0
    assert len(loop.abs.scans) == 1
    again = loop.run(download_monitor_task)  # nothing left to do, nothing done twice
    assert loop.count(Book) == 1 and loop.count(Download) == 1
    assert again.counts.get("import_attempts") is None


_KILLED_WORKER = """
import asyncio, json, sys
from shelfkeeper.automation.acquisition import acquire_wanted
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.context import AppContext
from shelfkeeper.settings import Settings

settings = Settings(**json.loads(sys.argv[1]), _env_file=None)
asyncio.run(acquire_wanted(RunContext(app=AppContext.from_settings(settings))))
"""


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A port that accepts connections and never answers: a qBittorrent that hangs the client add."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def test_a_kill_between_the_download_row_and_the_client_add_leaves_one_download_and_loses_nothing(
    loop: Loop, black_hole: int
) -> None:
    data = make_data(loop.data_root, f"{AUTHOR} - {TITLE}")
    loop.offer(f"{AUTHOR} - {TITLE} (The Stormlight Archive 1) [MP3]", data, seeded=True, seeders=12)
    wanted_id = add_wanted(loop.sessions)
    values = {
        name: (value.get_secret_value() if hasattr(value, "get_secret_value") else value)
        for name, value in loop.settings.model_dump().items()
        if value is not None and not name.startswith("schedule_")
    }
    values |= {"qb_port": black_hole, "database_url": loop.settings.database_url}
    worker = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WORKER, json.dumps(values, default=str)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=loop.library.parent,
    )  # fmt: skip
    try:
        wait_for(lambda: loop.count(Download) == 1 or worker.poll() is not None, "the worker wrote its Download")
        assert worker.poll() is None, worker.stderr.read().decode() if worker.stderr else ""
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    killed = loop.download()
    assert (killed.status, killed.info_hash) == ("queued", data.info_hash)
    assert loop.wanted(wanted_id).status == "grabbed", "still tracked"
    assert not [t for t in torrents(loop.leecher) if t.info_hash == data.info_hash], "it never reached the client"

    # restart: the next run (its clock past the stranded-row grace period) finishes the grab, and only that
    later = timedelta(minutes=2)
    loop.run(acquire_wanted, offset=later)
    loop.run(acquire_wanted, offset=later)
    assert loop.count(Download) == 1
    assert loop.download().status == "downloading"
    assert len([t for t in torrents(loop.leecher) if t.info_hash == data.info_hash]) == 1

    loop.connect_peers(data.info_hash)
    loop.monitor_until_imported(offset=later)
    assert_imported(loop, wanted_id, data)


def test_a_dead_torrent_is_detected_and_replaced_by_the_next_best_release(loop: Loop) -> None:
    dead = make_data(loop.data_root, f"{AUTHOR} - {TITLE} m4b")  # no peer anywhere has this data
    alive = make_data(loop.data_root, f"{AUTHOR} - {TITLE}")
    dead_title = f"{AUTHOR} - {TITLE} (The Stormlight Archive 1) [M4B]"
    loop.offer(dead_title, dead, seeded=False, seeders=50)
    loop.offer(f"{AUTHOR} - {TITLE} (The Stormlight Archive 1) [MP3]", alive, seeded=True, seeders=5)
    wanted_id = add_wanted(loop.sessions)

    loop.run(acquire_wanted)
    assert (loop.download().info_hash, loop.download().release_title) == (dead.info_hash, dead_title), "m4b first"
    wait_for(
        lambda: [t for t in torrents(loop.leecher) if t.info_hash == dead.info_hash and t.state in LOOKING_FOR_PEERS],
        "the dead torrent looks for peers (its files checked)",
    )
    loop.run(download_monitor_task)  # seen downloading, no progress yet

    stalled = loop.run(download_monitor_task, offset=timedelta(minutes=6))
    assert stalled.counts.get("failed") == 1 and stalled.counts.get("retry_scheduled") == 1, stalled
    failed = loop.download()
    assert failed.status == "failed" and (failed.result or "").startswith("stalled")
    assert not [t for t in torrents(loop.leecher) if t.info_hash == dead.info_hash], "removed from the client"
    assert loop.count(BlocklistEntry, BlocklistEntry.info_hash == dead.info_hash) == 1
    assert loop.count(FailedAttempt, FailedAttempt.kind == "download") == 1
    assert loop.wanted(wanted_id).status == "wanted", "not lost: waiting for its retry"

    later = timedelta(minutes=8)  # past the retry time: the monitor grabs the next-best release
    retried = loop.run(download_monitor_task, offset=later)
    assert retried.counts.get("retry_grabbed") == 1, retried
    assert loop.download().info_hash == alive.info_hash
    loop.connect_peers(alive.info_hash)
    loop.monitor_until_imported(offset=later)

    assert_imported(loop, wanted_id, alive)
    assert loop.count(Download) == 1, "the failed attempt's row carries the next release"
    assert [t.info_hash for t in torrents(loop.leecher)] == [alive.info_hash]
