"""``shelfkeeper demo``: the whole loop on one machine, on 127.0.0.1 only.

Started here, stopped here, by PID: the fakes (seeded with the demo world), a BitTorrent tracker, a seeding
qBittorrent holding generated audio of some wanted books and a downloading one (both with the loopback-only
profile), and ``shelfkeeper serve`` configured against all of it. Then the jobs run once in order through the
server's job runner (sync, corrections, series and author completion with their grabs, top-10), and the
schedule takes over: the download monitor imports what finished, Audiobookshelf scans it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import httpx

from shelfkeeper.apikeys import ApiKeyStore
from shelfkeeper.testing.daemon import tied_to_parent
from shelfkeeper.testing.demo_fakes import DemoFakes, load_world, make_audio, offer, real_torrent, release_folder_name
from shelfkeeper.testing.demo_world import build_world
from shelfkeeper.testing.fakes import RunningFake, stop_fakes
from shelfkeeper.testing.qbittorrent import QbittorrentNotInstalled, QbittorrentProcess
from shelfkeeper.testing.server import LiveServer
from shelfkeeper.testing.tracker import ANNOUNCE_PATH, Tracker

MARKER = ".shelfkeeper-demo"
INSTALL_QBITTORRENT = "Debian/Ubuntu: sudo apt-get install -y qbittorrent-nox (Fedora: dnf install qbittorrent-nox)"
# The order the loop needs: the library first, then its corrections, then what is missing (grabbed at once).
# The metadata providers' polite pace (about a second a request) makes all 90 books take minutes: the first
# pass corrects some, the last one the rest, after the grabs.
KICKOFF: tuple[tuple[str, dict[str, Any]], ...] = (
    ("library_sync_task", {"full": True}),
    ("metadata_full_refresh_task", {"limit": 20}),
    ("series_completion_task", {}),
    ("author_completion_task", {}),
    ("top10_discovery_task", {}),
    ("download_monitor_task", {}),
)
# Started at the end, not waited for: the other books' corrections.
AFTERWARDS: tuple[tuple[str, dict[str, Any]], ...] = (("metadata_full_refresh_task", {"only_unchecked": True}),)
MONITOR_EVERY = 15.0  # seconds between download monitor runs until the first import (then: its schedule)
MONITOR_FOR = 300.0
SERVER_START_SECONDS = 180.0  # migrations and imports take long on a busy machine; the server's exit ends it sooner


class DemoError(RuntimeError):
    """The demo cannot start (a data directory that is not the demo's, a port taken, the server failing)."""


def prepare_data_dir(data_dir: Path) -> None:
    """A fresh demo directory: created, or emptied when an earlier demo made it; refused when it holds other data."""
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / MARKER).exists():
            raise DemoError(f"{data_dir} holds data that is not a demo's; choose another --data-dir")
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("made by `shelfkeeper demo`; emptied at its next start\n", encoding="utf-8")


class Demo:
    """Everything the demo runs; ``start`` then ``stop`` (which is safe to call at any point, and twice)."""

    def __init__(self, data_dir: Path, port: int, echo: Callable[[str], None] = print) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.echo = echo
        self.work = self.data_dir / "demo"
        self.url = f"http://127.0.0.1:{port}"
        self.key = ""
        self.fakes = DemoFakes.create()
        self.tracker = Tracker()
        self.running: list[RunningFake] = []
        self.servers: list[LiveServer] = []
        self.seeder: QbittorrentProcess | None = None
        self.leecher: QbittorrentProcess | None = None
        self.server: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self._log: IO[bytes] | None = None
        self._kickoff: threading.Thread | None = None

    # ---- start ----

    def start(self) -> None:
        prepare_data_dir(self.data_dir)
        for name in ("library", "downloads", "seeded"):
            (self.work / name).mkdir(parents=True)
        world = build_world()
        load_world(self.fakes, world, self.work / "library")
        tracker = LiveServer(self.tracker.app).start()
        self.servers.append(tracker)
        for name, fake in self.fakes.by_name().items():
            self.running.append(RunningFake(name, fake, LiveServer(fake.app).start()))
        self._start_qbittorrents()
        for number, book in enumerate(world.seeded_books):
            torrent, size = None, 480_000_000
            if self.seeder is not None:
                folder = self.work / "seeded" / release_folder_name(book)
                make_audio(folder, book, number)
                torrent, size = real_torrent(folder, tracker.url + ANNOUNCE_PATH)
                self._seed(torrent, folder.parent)
            offer(self.fakes, book, torrent, size, on_mam=number % 2 == 1)
        self.key, _ = ApiKeyStore(self.data_dir, None).ensure()
        self._start_server()
        self._kickoff = threading.Thread(target=self._run_kickoff, name="demo-kickoff", daemon=True)
        self._kickoff.start()

    def _start_qbittorrents(self) -> None:
        try:
            self.seeder = QbittorrentProcess().start()
            self.leecher = QbittorrentProcess().start()
        except QbittorrentNotInstalled:
            self.echo(f"qbittorrent-nox is not installed: no download will finish. Install it ({INSTALL_QBITTORRENT})")
            self.echo("and run the demo again; everything else runs now.")
            if self.seeder is not None:
                self.seeder.stop()
            self.seeder = None

    def _seed(self, torrent: bytes, save_path: Path) -> None:
        from shelfkeeper.adapters.qbittorrent import build
        from shelfkeeper.domain.torrents.status import AddTorrent

        assert self.seeder is not None
        seeder = self.seeder

        async def add() -> None:
            client = build(seeder.host, seeder.port, seeder.username, seeder.password, timeout=10.0)
            try:
                await client.add(AddTorrent(torrent_file=torrent, save_path=str(save_path)))
            finally:
                await client.aclose()

        asyncio.run(add())

    def environment(self) -> dict[str, str]:
        """The settings of the demo's Shelfkeeper: every service on 127.0.0.1, imports into the demo library."""
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DATA_DIR", "DATABASE_URL"))}
        for entry in self.running:
            env.update(entry.env())
        env.update(
            DATA_DIR=str(self.data_dir),
            DATABASE_URL="",
            HOST="127.0.0.1",
            PORT=str(self.port),
            LIBRARY_PATH=str(self.work / "library"),
            MAM_REQUEST_PAUSE_SECONDS="0",
            QUALITY_MIN_SIZE_MB="0",
            FOLLOWED_GENRES="Fantasy,Science Fiction",
            DOWNLOAD_STALL_MINUTES="10",
            PYTHONUNBUFFERED="1",
        )
        env.pop("API_KEY", None)
        if self.leecher is not None:
            env.update(
                QB_HOST=self.leecher.host,
                QB_PORT=str(self.leecher.port),
                QB_USERNAME=self.leecher.username,
                QB_PASSWORD=self.leecher.password,
                QB_SAVE_PATH=str(self.work / "downloads"),
            )
        else:
            env.pop("QB_HOST", None)
        return env

    def _start_server(self) -> None:
        self._log = (self.work / "server.log").open("wb")
        self.server = subprocess.Popen(
            tied_to_parent([sys.executable, "-m", "shelfkeeper", "serve", "--port", str(self.port)]),
            cwd=self.work,  # no .env of the caller's folder
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not self._answers():
            if self.server.poll() is not None:
                raise DemoError(f"the server exited ({self.server.returncode}); see {self.work / 'server.log'}")
            if time.monotonic() > deadline:
                raise DemoError(f"the server did not answer on {self.url}; see {self.work / 'server.log'}")
            time.sleep(0.2)

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def _run_kickoff(self) -> None:
        """Each job once, in order, through the server's job runner; then watch for the first import."""
        headers = {"X-Api-Key": self.key}
        with httpx.Client(base_url=self.url, headers=headers, timeout=30.0) as client:
            try:
                for name, parameters in KICKOFF:
                    if self.stopping.is_set():
                        return
                    self.echo(f"  {name}: {self._run_job(client, name, parameters)}")
                for name, parameters in AFTERWARDS:
                    client.post(f"/api/scheduler/trigger/{name}", json={"parameters": parameters})
                    self.echo(f"  {name}: started for the other books")
                self._watch_imports(client)
            except (httpx.HTTPError, KeyError, ValueError) as exc:
                if not self.stopping.is_set():
                    self.echo(f"  the kick-off stopped: {exc}")

    def _run_job(self, client: httpx.Client, name: str, parameters: dict[str, Any]) -> str:
        answer = client.post(f"/api/scheduler/trigger/{name}", json={"parameters": parameters}).json()
        if not answer.get("success"):
            return f"not started ({answer.get('error_code')}: {answer.get('error')})"
        task_id = answer["data"]["task_id"]
        while not self.stopping.wait(0.5):
            task = client.get(f"/api/scheduler/history/{task_id}").json()["data"]
            if task["status"] in ("success", "failed"):
                counts = ", ".join(f"{k} {v}" for k, v in sorted((task.get("counts") or {}).items()) if v)
                return f"{task['status']} in {task['duration_seconds']} s ({counts or 'nothing to do'})"
        return "stopped"

    def _watch_imports(self, client: httpx.Client) -> None:
        """Report each import; run the download monitor often until the first one (the schedule: each minute)."""
        seen: set[int] = set()
        started = time.monotonic()
        while not self.stopping.wait(MONITOR_EVERY):
            if not seen and time.monotonic() - started < MONITOR_FOR:
                client.post("/api/scheduler/trigger/download_monitor_task", json={"parameters": {}})  # 409: running
            downloads = client.get("/api/downloads", params={"limit": 100}).json()["data"]["items"]
            for row in downloads:
                if row["status"] == "imported" and row["id"] not in seen:
                    seen.add(row["id"])
                    self.echo(f"  imported: {row['release_title']} (download {row['id']})")

    # ---- stop ----

    def pids(self) -> list[int]:
        """The processes the demo started (the server and the qBittorrents)."""
        found = [self.server.pid] if self.server is not None else []
        return found + [p.pid for p in (self.seeder, self.leecher) if p is not None and p.pid is not None]

    def stop(self) -> None:
        """The server (SIGTERM; SIGKILL after 10 s: it waits for running jobs), the qBittorrents, fakes, tracker."""
        self.stopping.set()
        if self.server is not None:
            if self.server.poll() is None:
                os.kill(self.server.pid, signal.SIGTERM)
                try:
                    self.server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.kill(self.server.pid, signal.SIGKILL)
                    self.server.wait(timeout=10)
            self.server = None
        if self._log is not None:
            self._log.close()
            self._log = None
        for process in (self.leecher, self.seeder):
            if process is not None:
                process.stop()
        self.leecher = self.seeder = None
        stop_fakes(self.running)
        self.running = []
        for server in self.servers:
            server.stop()
        self.servers = []
        if self._kickoff is not None:
            self._kickoff.join(timeout=5)
