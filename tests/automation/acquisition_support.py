"""What the acquisition, monitor and download API tests share: one real qBittorrent, the fakes, a clock, rows."""

from __future__ import annotations

import asyncio
import atexit
import itertools
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine

from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.context import AppContext
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import WantedBook
from shelfkeeper.integrations import Integrations
from shelfkeeper.settings import Settings
from shelfkeeper.testing.fakes.mam import FakeMam
from shelfkeeper.testing.fakes.prowlarr import FakeProwlarr
from shelfkeeper.testing.qbittorrent import QbittorrentProcess
from shelfkeeper.testing.server import LiveServer, free_port
from shelfkeeper.testing.torrents import info_hash, make_audio_book, make_torrent

T = TypeVar("T")
API_KEY = "test-api-key-0123456789abcdef"
PROWLARR_KEY = "prowlarr-test-key"
MAM_COOKIE = "mam-session-initial"
MIB = 1024 * 1024
_unique = itertools.count(1)
_lock = threading.Lock()
_process: QbittorrentProcess | None = None


def shared_qbittorrent() -> QbittorrentProcess:
    """One qbittorrent-nox for the whole test run (started on first use, stopped when the run ends)."""
    global _process
    with _lock:
        if _process is None:
            _process = QbittorrentProcess().start()
            atexit.register(_process.stop)
        return _process


class Slot:
    """An ASGI app that passes every request to whichever fake a test put in it (one server, many fakes)."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


_servers: dict[str, tuple[Slot, LiveServer]] = {}


def shared_server(name: str) -> tuple[Slot, LiveServer]:
    """One server per fake for the whole run: starting and stopping uvicorn for every test costs seconds."""
    with _lock:
        if name not in _servers:
            slot = Slot()
            server = LiveServer(slot).start()
            atexit.register(server.stop)
            _servers[name] = (slot, server)
        return _servers[name]


def unique_size(megabytes: int = 100) -> int:
    """A release size no other test uses: the fakes' made-up torrents then get an info hash of their own."""
    return megabytes * MIB + next(_unique) * 4096


def wait_until(probe: Callable[[], T], accept: Callable[[T], bool], timeout: float = 15.0) -> T:
    """Poll the real qBittorrent until ``accept`` says yes: its state changes on its own clock, not ours."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"qBittorrent did not get there in {timeout} s; last seen {value!r}")
        time.sleep(0.1)


class FakeClock:
    """The run clock: tests move time on by hand (stall and retry timers)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


async def no_sleep(_seconds: float) -> None:
    """The adapters' retry and politeness waits, made instant."""


@dataclass
class Stack:
    """The fakes served on 127.0.0.1, the settings pointing at them, the app context and a run clock."""

    prowlarr: FakeProwlarr
    mam: FakeMam
    settings: Settings
    context: AppContext
    clock: FakeClock
    save_path: Path
    qbt: QbittorrentProcess | None
    adapters: dict[str, Any] = field(default_factory=dict)  # in-memory doubles in place of some services

    def run(self, **parameters: Any) -> RunContext:
        return RunContext(app=self.context, parameters=parameters, clock=self.clock)

    def go(self, work: Callable[[RunContext], Awaitable[T]], **parameters: Any) -> T:
        """Run ``work`` in its own event loop with fresh integrations (an httpx client never outlives its loop)."""

        async def main() -> T:
            self.fresh_integrations()
            try:
                return await work(self.run(**parameters))
            finally:
                await self.context.integrations.aclose()

        return asyncio.run(main())

    def fresh_integrations(self) -> Integrations:
        integrations = Integrations(self.context, adapters=self.adapters, sleep=no_sleep)
        self.context.integrations = integrations
        return integrations

    def wanted(self, title: str, author: str, **fields: Any) -> int:
        """A wanted (missing) book row; returns its id."""
        values: dict[str, Any] = {
            "reason": "manual",
            "source": "test",
            "dedupe_key": f"{title}|{author}|{next(_unique)}",
        }
        with unit_of_work(self.context.sessions) as session:
            row = WantedBook(title=title, author_name=author, **{**values, **fields})
            session.add(row)
            session.flush()
            return row.id

    def book_folder(self, name: str, *, n_files: int = 3, seconds: float = 2.0) -> tuple[Path, bytes, str]:
        """Audio files under the save path and the .torrent of them: qBittorrent finds the data there."""
        folder = self.save_path / f"{name} {next(_unique)}"
        make_audio_book(folder, n_files, seconds, seed=next(_unique))
        torrent = make_torrent(folder)
        return folder, torrent, info_hash(torrent)


def build_stack(engine: Engine, tmp_path: Path, *, qbittorrent: bool = True, **overrides: Any) -> Iterator[Stack]:
    """Fresh fakes on the shared servers, settings pointing at them (and at the shared qBittorrent), a context."""
    prowlarr, mam = FakeProwlarr(PROWLARR_KEY), FakeMam(MAM_COOKIE, rotate_every=None)
    (prowlarr_slot, prowlarr_server), (mam_slot, mam_server) = shared_server("prowlarr"), shared_server("mam")
    prowlarr_slot.app, mam_slot.app = prowlarr.app, mam.app
    qbt = shared_qbittorrent() if qbittorrent else None
    save_path = tmp_path / "downloads"
    save_path.mkdir()
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "api_key": API_KEY,
        "run_scheduler": False,
        "prowlarr_url": prowlarr_server.url,
        "prowlarr_api_key": PROWLARR_KEY,
        "mam_url": mam_server.url,
        "mam_id": MAM_COOKIE,
        "mam_request_pause_seconds": 0,
        "qb_host": qbt.host if qbt else "127.0.0.1",
        "qb_port": qbt.port if qbt else free_port(),  # nothing listens there
        "qb_username": qbt.username if qbt else "nobody",
        "qb_password": qbt.password if qbt else "nothing",
        "qb_save_path": str(save_path),
        "qb_category": "sk-tests",
        # never the real metadata providers: a subtitle lookup by ASIN finds nothing listening here
        "audnexus_url": f"http://127.0.0.1:{free_port()}",
        "audible_url": f"http://127.0.0.1:{free_port()}",
        **overrides,
    }
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    context = AppContext.from_settings(settings, engine=engine)
    built = Stack(prowlarr, mam, settings, context, FakeClock(), save_path, qbt)
    built.fresh_integrations()
    yield built
