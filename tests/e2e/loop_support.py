"""What the qBittorrent end-to-end tests share: the loopback stack (the Prowlarr, MyAnonamouse and Audiobookshelf
fakes served over HTTP, a seeder and a leecher qBittorrent, a temporary library seen through a link, Shelfkeeper
configured over them) and the helpers that drive it; ``Data``, ``wait_for`` and ``loop_folders`` also serve the
Transmission/Deluge loop.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from shelfkeeper.adapters.qbittorrent import QbittorrentClient, build
from shelfkeeper.automation.download_monitor import download_monitor_task
from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.context import AppContext
from shelfkeeper.db.tables import Download, WantedBook
from shelfkeeper.domain.torrents.status import AddTorrent, TorrentInfo
from shelfkeeper.integrations import Integrations
from shelfkeeper.settings import Settings
from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf
from shelfkeeper.testing.fakes.mam import FakeMam
from shelfkeeper.testing.fakes.prowlarr import FakeProwlarr
from shelfkeeper.testing.qbittorrent import QbittorrentProcess
from shelfkeeper.testing.server import serve

ABS_TOKEN = "abs-e2e-token"
PROWLARR_KEY = "prowlarr-e2e-key"
MAM_COOKIE = "mam-e2e-cookie"
TITLE, AUTHOR, SERIES = "The Way of Kings", "Brandon Sanderson", "The Stormlight Archive"
BOOK_DIR = Path(AUTHOR) / SERIES / "01 - The Way of Kings"

Job = Callable[[RunContext], Awaitable[JobResult]]


@dataclass(frozen=True)
class Data:
    """Generated audio in ``folder`` and the .torrent made of it."""

    folder: Path
    torrent: bytes
    info_hash: str


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


def loop_folders(tmp_path: Path, save: Path) -> dict[str, Path]:
    """``data``, ``library`` and ``seeded`` under ``tmp_path``; the client's ``save`` folder made, and ``view``: the
    same folder as Shelfkeeper reaches it through a link (as it would from another container)."""
    dirs = {name: tmp_path / name for name in ("data", "library", "seeded")}
    for path in dirs.values():
        path.mkdir()
    save.mkdir()
    dirs["view"] = tmp_path / "downloads-as-shelfkeeper-sees-them"
    dirs["view"].symlink_to(save)
    return dirs


@contextmanager
def open_loop(
    engine: Engine,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    seeder: QbittorrentProcess,
    leecher: QbittorrentProcess,
    *,
    stock_mam: Callable[[FakeMam], None] = lambda mam: None,
    settings: dict[str, Any] | None = None,
) -> Iterator[Loop]:
    """The fakes served, the folders made, Shelfkeeper configured over the leecher; ``stock_mam`` fills the
    MyAnonamouse fake before it serves, ``settings`` adds to (or overrides) the loop's settings."""
    dirs = loop_folders(tmp_path, leecher.save_dir / "shelfkeeper")
    prowlarr, mam, abs_fake = (
        FakeProwlarr(PROWLARR_KEY),
        FakeMam(MAM_COOKIE, rotate_every=None),
        FakeAudiobookshelf(ABS_TOKEN),
    )
    prowlarr.add_indexer(1, "Audio Tracker", definition_name="AudioTracker")
    abs_fake.add_library("Audiobooks", [str(dirs["library"])])
    stock_mam(mam)
    with serve(prowlarr.app) as p, serve(mam.app) as m, serve(abs_fake.app) as a:
        servers = {"prowlarr": p.url, "mam": m.url, "abs": a.url}
        values = settings_values(dirs, servers, leecher) | {"database_url": engine.url.render_as_string(False)}
        configured = Settings(**(values | (settings or {})), _env_file=None)
        context = AppContext.from_settings(configured, engine=engine)
        yield Loop(prowlarr, mam, abs_fake, seeder, leecher, dirs["library"], dirs["seeded"], configured, context,
                   sessions)  # fmt: skip


def add_wanted(sessions: sessionmaker[Session], **extra: Any) -> int:
    """The Way of Kings on the wanted list, approved (``extra``: more columns, e.g. ``evidence``)."""
    with sessions() as session:
        row = WantedBook(
            title=TITLE, author_name=AUTHOR, series_name=SERIES, series_position="1", reason="series_gap",
            source="e2e", dedupe_key="the way of kings|brandon sanderson", status="wanted", approved=True, **extra,
        )  # fmt: skip
        session.add(row)
        session.commit()
        return row.id


def assert_hardlinked(book_dir: Path, seeded_dir: Path, data: Data) -> None:
    """The book folder holds exactly the torrent's files, each a hardlink of what the client seeds, same bytes."""
    placed = sorted(p for p in book_dir.iterdir() if p.is_file())
    seeded = sorted(seeded_dir.iterdir())
    assert [p.name for p in placed] == [p.name for p in seeded] == sorted(p.name for p in data.folder.iterdir())
    for in_library, in_client in zip(placed, seeded, strict=True):
        assert os.stat(in_library).st_ino == os.stat(in_client).st_ino, "hardlinked: same inode"
        assert in_library.read_bytes() == (data.folder / in_library.name).read_bytes()
