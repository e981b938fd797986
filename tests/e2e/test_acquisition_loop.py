"""The whole acquisition loop, end to end: wanted -> searched -> grabbed -> a real loopback transfer between two
qBittorrent instances -> the monitor sees it complete -> imported into a temporary library (hardlinked) ->
scanned by the Audiobookshelf fake -> Book linked -> wanted book imported. Then a kill between the Download
row and the client add, and a dead torrent replaced by the next-best release.

Prowlarr, MyAnonamouse and Audiobookshelf are the fakes served for real over HTTP; the downloads are real.
Only the run clock is moved forward (to pass stall and retry times); waits for the transfer are real.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from shelfkeeper.adapters.qbittorrent import QbittorrentClient, build
from shelfkeeper.automation.acquisition import acquire_wanted
from shelfkeeper.automation.download_monitor import download_monitor_task
from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.context import AppContext
from shelfkeeper.db.tables import BlocklistEntry, Book, Download, FailedAttempt, WantedBook
from shelfkeeper.domain.torrents.status import AddTorrent, TorrentInfo, TorrentState
from shelfkeeper.integrations import Integrations
from shelfkeeper.settings import Settings
from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf
from shelfkeeper.testing.fakes.mam import FakeMam
from shelfkeeper.testing.fakes.prowlarr import FakeProwlarr
from shelfkeeper.testing.qbittorrent import QbittorrentProcess
from shelfkeeper.testing.server import serve
from shelfkeeper.testing.torrents import info_hash, make_audio_book, make_torrent

pytestmark = pytest.mark.qbittorrent

ABS_TOKEN = "abs-e2e-token"
PROWLARR_KEY = "prowlarr-e2e-key"
MAM_COOKIE = "mam-e2e-cookie"
TITLE, AUTHOR, SERIES = "The Way of Kings", "Brandon Sanderson", "The Stormlight Archive"
BOOK_DIR = Path(AUTHOR) / SERIES / "01 - The Way of Kings"
_numbers = itertools.count(1)
LOOKING_FOR_PEERS = (TorrentState.STALLED, TorrentState.DOWNLOADING)

Job = Callable[[RunContext], Awaitable[JobResult]]


@dataclass(frozen=True)
class Data:
    """Generated audio in ``folder`` and the .torrent made of it."""

    folder: Path
    torrent: bytes
    info_hash: str


def make_data(root: Path, name: str) -> Data:
    folder = root / name
    make_audio_book(folder, 3, 4.0, seed=next(_numbers))
    torrent = make_torrent(folder)
    return Data(folder, torrent, info_hash(torrent))


@pytest.fixture(scope="module")
def seeder() -> Iterator[QbittorrentProcess]:
    with QbittorrentProcess() as process:
        yield process


@pytest.fixture
def leecher() -> Iterator[QbittorrentProcess]:
    """The qBittorrent Shelfkeeper is configured with (a fresh one per test: its torrents are the test's)."""
    with QbittorrentProcess() as process:
        yield process


def qb(process: QbittorrentProcess) -> QbittorrentClient:
    return build(process.host, process.port, process.username, process.password, timeout=5.0)


def client_call(process: QbittorrentProcess, call: Callable[[QbittorrentClient], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        client = qb(process)
        try:
            return await call(client)
        finally:
            await client.aclose()

    return asyncio.run(go())


def torrents(process: QbittorrentProcess) -> list[TorrentInfo]:
    found: list[TorrentInfo] = client_call(process, lambda c: c.info())
    return found


def wait_for(probe: Callable[[], Any], what: str, *, timeout: float = 30.0, every: float = 0.3) -> Any:
    """Real-time polling with a deadline: a real transfer takes the time it takes."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s (last: {value!r})")
        time.sleep(every)


@dataclass
class Loop:
    """The fakes, the two qBittorrents, a temporary library, and Shelfkeeper configured over them."""

    prowlarr: FakeProwlarr
    mam: FakeMam
    abs: FakeAudiobookshelf
    seeder: QbittorrentProcess
    leecher: QbittorrentProcess
    library: Path
    data_root: Path
    settings: Settings
    context: AppContext
    sessions: sessionmaker[Session]

    def run(self, job: Job, *, offset: timedelta = timedelta(0), **parameters: Any) -> JobResult:
        """One job run in its own event loop with its own clients, at real time + ``offset``."""

        async def go() -> JobResult:
            integrations = self.context.integrations = Integrations(self.context)
            try:
                clock = lambda: datetime.now(UTC) + offset  # noqa: E731
                return await job(RunContext(app=self.context, parameters=parameters, clock=clock))
            finally:
                await integrations.aclose()

        return asyncio.run(go())

    def offer(self, title: str, data: Data, *, seeded: bool, seeders: int) -> None:
        """A release on the Prowlarr fake serving ``data``'s real .torrent; ``seeded``: the seeder has the data."""
        size = sum(p.stat().st_size for p in data.folder.iterdir())
        self.prowlarr.add_release(title, torrent=data.torrent, size=size, seeders=seeders)
        if seeded:
            torrent_id = client_call(
                self.seeder, lambda c: c.add(AddTorrent(torrent_file=data.torrent, save_path=str(data.folder.parent)))
            )
            wait_for(
                lambda: [t for t in torrents(self.seeder) if t.info_hash == torrent_id and t.is_complete],
                "the seeder has the data",
            )

    def connect_peers(self, torrent_id: str) -> None:
        # no tracker, DHT or LSD on loopback: the downloader is told where the seeder is
        client_call(self.leecher, lambda c: c.add_peers([torrent_id], [f"127.0.0.1:{self.seeder.bt_port}"]))

    def download(self) -> Download:
        with self.sessions() as session:
            return session.scalars(select(Download)).one()

    def wanted(self, wanted_id: int) -> WantedBook:
        with self.sessions() as session:
            found = session.get(WantedBook, wanted_id)
            assert found is not None
            return found

    def count(self, table: type, *where: Any) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(table).where(*where)) or 0

    def monitor_until_imported(self, *, offset: timedelta = timedelta(0)) -> Download:
        def imported() -> Download | None:
            self.run(download_monitor_task, offset=offset)
            row = self.download()
            assert row.status not in ("failed", "cancelled"), row.result
            return row if row.status == "imported" else None

        done: Download = wait_for(imported, "the download imported", timeout=45.0, every=0.2)
        return done


def settings_values(loop_dirs: dict[str, Path], servers: dict[str, str], leecher: QbittorrentProcess) -> dict[str, Any]:
    return {
        "data_dir": str(loop_dirs["data"]),
        "api_key": "e2e-api-key-0123456789abcdef",
        "run_scheduler": False,
        "abs_url": servers["abs"],
        "abs_token": ABS_TOKEN,
        "prowlarr_url": servers["prowlarr"],
        "prowlarr_api_key": PROWLARR_KEY,
        "mam_url": servers["mam"],
        "mam_id": MAM_COOKIE,
        "mam_request_pause_seconds": 0,
        "qb_host": leecher.host,
        "qb_port": leecher.port,
        "qb_username": leecher.username,
        "qb_password": leecher.password,
        # qBittorrent writes here; Shelfkeeper reaches the same folder through another path (a link),
        # as it would from another container
        "qb_save_path": str(leecher.save_dir / "shelfkeeper"),
        "remote_path_mappings": f"{leecher.save_dir / 'shelfkeeper'}={loop_dirs['view']}",
        "library_path": str(loop_dirs["library"]),
        "quality_min_size_mb": 0,
        "download_stall_minutes": 5,
        "download_retry_base_minutes": 1,
    }


@pytest.fixture
def loop(
    engine: Engine,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    seeder: QbittorrentProcess,
    leecher: QbittorrentProcess,
) -> Iterator[Loop]:
    dirs = {name: tmp_path / name for name in ("data", "library", "seeded")}
    for path in dirs.values():
        path.mkdir()
    (leecher.save_dir / "shelfkeeper").mkdir()
    dirs["view"] = tmp_path / "downloads-as-shelfkeeper-sees-them"
    dirs["view"].symlink_to(leecher.save_dir / "shelfkeeper")
    prowlarr, mam, abs_fake = (
        FakeProwlarr(PROWLARR_KEY),
        FakeMam(MAM_COOKIE, rotate_every=None),
        FakeAudiobookshelf(ABS_TOKEN),
    )
    prowlarr.add_indexer(1, "Audio Tracker", definition_name="AudioTracker")
    abs_fake.add_library("Audiobooks", [str(dirs["library"])])
    # MyAnonamouse has only an abridged edition: found, merged, and rejected
    mam.add_torrent(f"{TITLE} [Abridged]", authors=[AUTHOR], series=[[SERIES, "1"]], seeders=80)
    with serve(prowlarr.app) as p, serve(mam.app) as m, serve(abs_fake.app) as a:
        servers = {"prowlarr": p.url, "mam": m.url, "abs": a.url}
        values = settings_values(dirs, servers, leecher) | {"database_url": engine.url.render_as_string(False)}
        settings = Settings(**values, _env_file=None)
        context = AppContext.from_settings(settings, engine=engine)
        yield Loop(prowlarr, mam, abs_fake, seeder, leecher, dirs["library"], dirs["seeded"], settings, context,
                   sessions)  # fmt: skip


def add_wanted(loop: Loop) -> int:
    with loop.sessions() as session:
        row = WantedBook(
            title=TITLE, author_name=AUTHOR, series_name=SERIES, series_position="1", reason="series_gap",
            source="e2e", dedupe_key="the way of kings|brandon sanderson", status="wanted", approved=True,
        )  # fmt: skip
        session.add(row)
        session.commit()
        return row.id


def assert_imported(loop: Loop, wanted_id: int, data: Data) -> None:
    """In the library (hardlinked to what the torrent seeds), listed by Audiobookshelf, Book linked."""
    download = loop.download()
    book_dir = loop.library / BOOK_DIR
    placed = sorted(p for p in book_dir.iterdir() if p.is_file())
    seeded = sorted((loop.leecher.save_dir / "shelfkeeper" / data.folder.name).iterdir())
    assert [p.name for p in placed] == [p.name for p in seeded] == sorted(p.name for p in data.folder.iterdir())
    for in_library, in_client in zip(placed, seeded, strict=True):
        assert os.stat(in_library).st_ino == os.stat(in_client).st_ino, "hardlinked: same inode"
        assert in_library.read_bytes() == (data.folder / in_library.name).read_bytes()
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
    wanted_id = add_wanted(loop)

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
    wanted_id = add_wanted(loop)
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
    wanted_id = add_wanted(loop)

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
