"""The work commands (sync, correct, wanted, search, grab, queue, status) as a user runs them: subprocesses
against the fakes served live, once in-process (no server answers) and once through a running server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

import shelfkeeper
from shelfkeeper.testing.fakes import RunningFake, stop_fakes
from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf
from shelfkeeper.testing.fakes.google_books import FakeGoogleBooks
from shelfkeeper.testing.fakes.mam import FakeMam
from shelfkeeper.testing.fakes.prowlarr import FakeProwlarr
from shelfkeeper.testing.server import LiveServer, free_port

SOURCE = str(Path(shelfkeeper.__file__).resolve().parents[1])
pytestmark = pytest.mark.slow
TITLE, AUTHOR, SERIES = "The Way of Kings", "Brandon Sanderson", "The Stormlight Archive"


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, str]]:
    """Audiobookshelf with three books, Prowlarr with a good release and a trap, MAM, Google Books; their env."""
    abs_fake = FakeAudiobookshelf("cli-abs-token")
    library = abs_fake.add_library("Audiobooks", ["/audiobooks"])
    for title, position in ((TITLE, "1"), ("Words of Radiance", "2"), ("Rhythm of War", "4")):
        abs_fake.add_item(library, title, authors=[AUTHOR], series=[(SERIES, position)], language="English")
    prowlarr = FakeProwlarr("cli-prowlarr-key")
    prowlarr.add_indexer(1, "Audio Tracker", definition_name="AudioTracker")
    prowlarr.add_release(f"{AUTHOR} - {TITLE} ({SERIES} 1) [M4B]", seeders=12)
    prowlarr.add_release(f"{AUTHOR} - {TITLE} [Abridged] [MP3]", seeders=30)
    google = FakeGoogleBooks()
    google.add_volume(TITLE, [AUTHOR], published_date="2010-08-31", description="Roshar.")
    mam = FakeMam("cli-mam-cookie", rotate_every=None)
    running = [
        RunningFake(name, fake, LiveServer(fake.app).start())
        for name, fake in (("audiobookshelf", abs_fake), ("prowlarr", prowlarr), ("mam", mam), ("google_books", google))
    ]
    env: dict[str, str] = {}
    for entry in running:
        env.update(entry.env())
    dead = f"http://127.0.0.1:{free_port()}"  # the other providers: nothing answers there
    env |= {"AUDNEXUS_URL": dead, "AUDIBLE_URL": dead, "OPENLIBRARY_URL": dead, "MAM_REQUEST_PAUSE_SECONDS": "0"}
    try:
        yield env
    finally:
        stop_fakes(running)


@dataclass
class Cli:
    home: Path
    env: dict[str, str]

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "shelfkeeper", *args],
            cwd=self.home, env=self.env, capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip


def make_cli(home: Path, fakes: dict[str, str]) -> Cli:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "DATA_DIR": str(home / "data"),
        "PYTHONPATH": SOURCE,
        "PYTHONIOENCODING": "utf-8",
        "COLUMNS": "250",
        "PORT": str(free_port()),  # no server there unless a test starts one
        **fakes,
    }
    return Cli(home, env)


def test_without_a_data_dir_the_commands_say_so_and_create_nothing(tmp_path, fakes):
    cli = make_cli(tmp_path, fakes)
    for command in (["status"], ["wanted"], ["queue"], ["sync"]):
        result = cli(*command)
        assert result.returncode == 1, command
        assert "no data directory at" in result.stderr
    assert not (tmp_path / "data").exists()


def test_in_process_every_command_works_on_the_fakes(tmp_path, fakes):
    cli = make_cli(tmp_path, fakes)
    assert cli("db", "upgrade").returncode == 0

    synced = cli("sync", "--full")
    assert synced.returncode == 0, synced.stderr
    assert "via this process" in synced.stderr
    assert re.search(r"sync done \(task \d+, .*created: 3", synced.stdout), synced.stdout

    corrected = cli("correct", "--dry-run", "1")
    assert corrected.returncode == 0, corrected.stderr
    assert TITLE in corrected.stdout and "field" in corrected.stdout

    everything = cli("correct", "--dry-run")
    assert everything.returncode == 0, everything.stderr
    assert re.search(r"correct done \(task \d+", everything.stdout)

    searched = cli("search", TITLE, "--author", AUTHOR)
    assert searched.returncode == 0, searched.stderr
    lines = searched.stdout.splitlines()
    assert any("[M4B]" in line and "accepted" in line for line in lines), searched.stdout
    assert any("Abridged" in line and "rejected" in line for line in lines), searched.stdout
    assert re.search(r"1 of 2 accepted; sources: prowlarr ok \(2\)", searched.stdout), searched.stdout

    assert "wanted (0)" in cli("wanted").stdout
    assert "downloads (0)" in cli("queue").stdout
    grabbed = cli("grab", "99")
    assert grabbed.returncode == 1 and "99: WANTED_NOT_FOUND" in grabbed.stdout

    status = cli("status")
    assert status.returncode == 0, status.stderr
    assert "none running (read in-process)" in status.stdout
    assert re.search(r"books\s+│\s+3", status.stdout), status.stdout


@pytest.fixture
def server(tmp_path: Path, fakes: dict[str, str]) -> Iterator[Cli]:
    cli = make_cli(tmp_path, fakes)
    process = subprocess.Popen(
        [sys.executable, "-m", "shelfkeeper", "serve", "--port", cli.env["PORT"]],
        cwd=tmp_path, env=cli.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, "the server exited"
            try:
                if httpx.get(f"http://127.0.0.1:{cli.env['PORT']}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not answer"
            time.sleep(0.3)
        yield cli
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_with_a_server_running_the_commands_go_through_its_api(server):
    base = f"http://127.0.0.1:{server.env['PORT']}"
    key = server("api-key", "show").stdout.strip()
    synced = server("sync")
    assert synced.returncode == 0, synced.stderr
    assert f"via the server at {base}" in synced.stderr
    task_id = int(re.search(r"task (\d+)", synced.stdout)[1])  # type: ignore[index]
    history = httpx.get(f"{base}/api/scheduler/history/{task_id}", headers={"X-Api-Key": key}, timeout=10).json()
    assert history["data"]["name"] == "library_sync_task" and history["data"]["status"] == "success"
    assert history["data"]["counts"]["created"] == 3, "the server ran the job, not the command"

    added = httpx.post(
        f"{base}/api/wanted", headers={"X-Api-Key": key}, timeout=10,
        json={"title": "Oathbringer", "authors": [AUTHOR], "series": {"name": SERIES, "position": "3"}},
    )  # fmt: skip
    assert added.status_code == 201, added.text
    wanted = server("wanted")
    assert wanted.returncode == 0 and "Oathbringer" in wanted.stdout and "wanted (1)" in wanted.stdout

    grabbed = server("grab")
    assert grabbed.returncode == 1, "no release of Oathbringer anywhere: the grab fails and says why"
    assert f"{added.json()['data']['id']}: NO_RELEASE_FOUND" in grabbed.stdout

    status = server("status")
    assert status.returncode == 0 and base in status.stdout and "running" in status.stdout
    queue = server("queue")
    assert queue.returncode == 0 and "downloads (0)" in queue.stdout
    shown = json.loads(server("config", "show").stdout)
    assert shown["API_KEY"] == "set" and shown["PORT"] == int(server.env["PORT"])
