"""The acquisition loop end to end with Transmission, then Deluge, as the only download client: wanted ->
searched -> grabbed into that client -> a real loopback transfer through the loopback tracker -> the monitor
sees it complete in that client -> imported into a temporary library through that client's own remote path
mapping -> scanned by the Audiobookshelf fake -> the torrent still seeding.

The seeder is a Deluge daemon (libtorrent). A Deluge leecher finds it through the tracker. Transmission drops
every loopback peer a tracker hands it, so for Transmission the seeder dials in: once the leecher has announced,
the seeder is told to re-announce (the tracker now hands it the leecher) and to connect to it.
Prowlarr, MyAnonamouse and Audiobookshelf are the fakes served for real over HTTP; only waits are real time.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from shelfkeeper.adapters import deluge, transmission
from shelfkeeper.automation.acquisition import acquire_wanted
from shelfkeeper.automation.download_monitor import download_monitor_task
from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.context import AppContext
from shelfkeeper.db.tables import Book, Download, FailedAttempt, WantedBook
from shelfkeeper.domain.torrents.status import AddTorrent, TorrentInfo, TorrentState
from shelfkeeper.integrations import Integrations
from shelfkeeper.ports import DownloadClient
from shelfkeeper.settings import Settings
from shelfkeeper.testing.deluge import DelugeProcess
from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf
from shelfkeeper.testing.fakes.mam import FakeMam
from shelfkeeper.testing.fakes.prowlarr import FakeProwlarr
from shelfkeeper.testing.server import serve
from shelfkeeper.testing.torrents import info_hash, make_audio_book, make_torrent
from shelfkeeper.testing.tracker import ANNOUNCE_PATH, Tracker
from shelfkeeper.testing.transmission import TransmissionProcess
from tests.e2e.loop_support import (
    AUTHOR,
    BOOK_DIR,
    TITLE,
    Data,
    add_wanted,
    assert_hardlinked,
    loop_folders,
    wait_for,
)

ABS_TOKEN = "abs-clients-token"
PROWLARR_KEY = "prowlarr-clients-key"
MAM_COOKIE = "mam-clients-cookie"
_numbers = itertools.count(100)

Leecher = TransmissionProcess | DelugeProcess
Job = Callable[[RunContext], Awaitable[JobResult]]


def deluge_client(process: DelugeProcess) -> deluge.DelugeClient:
    return deluge.build(process.host, process.port, process.username, process.password, timeout=5.0)


def client_for(process: Leecher) -> DownloadClient:
    if isinstance(process, TransmissionProcess):
        return transmission.build(process.url, process.username, process.password, timeout=5.0)
    return deluge_client(process)


def call(process: Leecher, work: Callable[[Any], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        client = client_for(process)
        try:
            return await work(client)
        finally:
            await client.aclose()  # type: ignore[attr-defined]

    return asyncio.run(go())


def torrents(process: Leecher) -> list[TorrentInfo]:
    found: list[TorrentInfo] = call(process, lambda c: c.info())
    return found


@pytest.fixture(scope="module")
def tracker() -> Iterator[tuple[Tracker, str]]:
    # a short "min interval": libtorrent honours it for a forced re-announce
    swarms = Tracker(interval=2)
    with serve(swarms.app) as server:
        yield swarms, server.url + ANNOUNCE_PATH


@pytest.fixture(scope="module")
def seeder() -> Iterator[DelugeProcess]:
    with DelugeProcess() as process:
        yield process


@dataclass
class Loop:
    """The fakes, the tracker, the seeder, the leecher Shelfkeeper uses, a temporary library."""

    name: str  # the client Shelfkeeper is configured with
    prowlarr: FakeProwlarr
    abs: FakeAudiobookshelf
    tracker: Tracker
    announce: str
    seeder: DelugeProcess
    leecher: Leecher
    library: Path
    data_root: Path
    context: AppContext
    sessions: sessionmaker[Session]

    def run(self, job: Job) -> JobResult:
        async def go() -> JobResult:
            integrations = self.context.integrations = Integrations(self.context)
            try:
                return await job(RunContext(app=self.context, clock=lambda: datetime.now(UTC)))
            finally:
                await integrations.aclose()

        return asyncio.run(go())

    def offer_seeded(self, title: str) -> Data:
        """A release on the Prowlarr fake whose data the seeder has, announced to the loopback tracker."""
        folder = self.data_root / f"{AUTHOR} - {TITLE}"
        make_audio_book(folder, 3, 4.0, seed=next(_numbers))
        torrent = make_torrent(folder, trackers=[self.announce], private=True)
        data = Data(folder, torrent, info_hash(torrent))
        size = sum(p.stat().st_size for p in folder.iterdir())
        self.prowlarr.add_release(title, torrent=torrent, size=size, seeders=3)
        seeded = AddTorrent(torrent_file=torrent, save_path=str(folder.parent))
        call(self.seeder, lambda c: c.add(seeded))
        wait_for(lambda: [t for t in torrents(self.seeder) if t.info_hash == data.info_hash and t.is_complete],
                 "the seeder has the data")  # fmt: skip
        return data

    def seeder_dials_in(self, torrent_id: str) -> None:
        """For a Transmission leecher: the seeder learns the leecher's address from the tracker and connects."""
        swarm = lambda: self.tracker.swarms.get(bytes.fromhex(torrent_id), {})  # noqa: E731
        wait_for(lambda: len(swarm()) >= 2, "the leecher announced itself")
        leecher = next(p for p in swarm().values() if p.left > 0)

        async def connect(client: deluge.DelugeClient) -> None:
            await client._call("core.force_reannounce", [torrent_id])
            await client._call("core.connect_peer", torrent_id, leecher.ip, leecher.port)

        asyncio.run(_with(deluge_client(self.seeder), connect))

    def download(self) -> Download:
        with self.sessions() as session:
            return session.scalars(select(Download)).one()

    def count(self, table: type) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(table)) or 0

    def monitor_until_imported(self) -> Download:
        def imported() -> Download | None:
            self.run(download_monitor_task)
            row = self.download()
            assert row.status not in ("failed", "cancelled"), row.result
            return row if row.status == "imported" else None

        done: Download = wait_for(imported, "the download imported", timeout=90.0, every=0.5)
        return done


async def _with(client: deluge.DelugeClient, work: Callable[[deluge.DelugeClient], Awaitable[None]]) -> None:
    try:
        await work(client)
    finally:
        await client.aclose()


def client_settings(name: str, leecher: Leecher, save: Path) -> dict[str, Any]:
    if isinstance(leecher, TransmissionProcess):
        own = {"transmission_url": leecher.url, "transmission_save_path": str(save)}
    else:
        own = {"deluge_host": leecher.host, "deluge_port": leecher.port, "deluge_save_path": str(save)}
    return own | {f"{name}_username": leecher.username, f"{name}_password": leecher.password}


def make_loop(name: str, leecher: Leecher, seeder: DelugeProcess, tracker: tuple[Tracker, str], engine: Engine,
              sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[Loop]:  # fmt: skip
    save = leecher.save_dir / "shelfkeeper"
    dirs = loop_folders(tmp_path, save)
    view = dirs["view"]
    prowlarr, abs_fake = FakeProwlarr(PROWLARR_KEY), FakeAudiobookshelf(ABS_TOKEN)
    prowlarr.add_indexer(1, "Audio Tracker", definition_name="AudioTracker")
    abs_fake.add_library("Audiobooks", [str(dirs["library"])])
    with serve(prowlarr.app) as p, serve(FakeMam(MAM_COOKIE, rotate_every=None).app) as m, serve(abs_fake.app) as a:
        values = {
            "data_dir": str(dirs["data"]),
            "database_url": engine.url.render_as_string(False),
            "api_key": "e2e-clients-api-key-0123456789",
            "run_scheduler": False,
            "abs_url": a.url,
            "abs_token": ABS_TOKEN,
            "prowlarr_url": p.url,
            "prowlarr_api_key": PROWLARR_KEY,
            "mam_url": m.url,
            "mam_id": MAM_COOKIE,
            "mam_request_pause_seconds": 0,
            # the client writes under `save`; Shelfkeeper sees it through a link: the mapping naming this client
            # wins over the one for every client (which would send the import nowhere)
            "remote_path_mappings": f"{save}={tmp_path / 'nowhere'},{name}:{save}={view}",
            "library_path": str(dirs["library"]),
            "quality_min_size_mb": 0,
            "download_stall_minutes": 5,
            **client_settings(name, leecher, save),
        }
        settings = Settings(**values, _env_file=None)
        assert settings.configured_services()["qbittorrent"] is False, "the only client is the one under test"
        context = AppContext.from_settings(settings, engine=engine)
        yield Loop(name, prowlarr, abs_fake, tracker[0], tracker[1], seeder, leecher, dirs["library"],
                   dirs["seeded"], context, sessions)  # fmt: skip


def travels_all_the_way(loop: Loop, *, label: str) -> None:
    data = loop.offer_seeded(f"{AUTHOR} - {TITLE} (The Stormlight Archive 1) [MP3]")
    wanted_id = add_wanted(loop.sessions)

    acquired = loop.run(acquire_wanted)

    assert (acquired.counts.get("searched"), acquired.counts.get("grabbed")) == (1, 1), acquired
    download = loop.download()
    assert (download.status, download.info_hash, download.download_client) == ("downloading", data.info_hash,
                                                                                loop.name)  # fmt: skip
    (in_client,) = [t for t in torrents(loop.leecher) if t.info_hash == data.info_hash]
    assert in_client.category == label
    assert in_client.save_path == str(loop.leecher.save_dir / "shelfkeeper")

    if isinstance(loop.leecher, TransmissionProcess):
        loop.seeder_dials_in(data.info_hash)
    loop.monitor_until_imported()

    download = loop.download()
    book_dir = loop.library / BOOK_DIR
    assert_hardlinked(book_dir, loop.leecher.save_dir / "shelfkeeper" / data.folder.name, data)
    items = [i for i in loop.abs.data.items.values() if i.path == str(book_dir)]
    assert len(items) == 1 and items[0].title == TITLE
    assert len(loop.abs.scans) == 1
    with loop.sessions() as session:
        book = session.scalars(select(Book)).one()
        wanted = session.get(WantedBook, wanted_id)
        assert wanted is not None and (wanted.status, wanted.book_id) == ("imported", book.id)
    assert (download.status, download.book_id, download.download_client) == ("imported", book.id, loop.name)
    assert loop.count(FailedAttempt) == 0
    (still,) = [t for t in torrents(loop.leecher) if t.info_hash == data.info_hash]
    assert still.state is TorrentState.COMPLETED, "left seeding after the import"


@pytest.mark.transmission
@pytest.mark.deluge  # the seeder
def test_with_transmission_as_the_only_client(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path, seeder: DelugeProcess, tracker: Any
) -> None:
    with TransmissionProcess() as leecher:
        for loop in make_loop("transmission", leecher, seeder, tracker, engine, sessions, tmp_path):
            travels_all_the_way(loop, label="audiobooks")  # TRANSMISSION_LABEL's default


@pytest.mark.deluge
def test_with_deluge_as_the_only_client(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path, seeder: DelugeProcess, tracker: Any
) -> None:
    with DelugeProcess() as leecher:
        # Labels need Deluge's Label plugin switched on (by the user; here through the adapter)
        asyncio.run(_with(deluge_client(leecher), lambda c: c.ensure_category("audiobooks")))
        for loop in make_loop("deluge", leecher, seeder, tracker, engine, sessions, tmp_path):
            travels_all_the_way(loop, label="audiobooks")
