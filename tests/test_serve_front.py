"""`shelfkeeper serve` listens with its front (shelfkeeper.api.front): the real command answers `/health` while the
app is still loading, a request for the app waits for it and is then answered, a start-up that fails is reported by
`/health` as 503 START_UP_FAILED, and a bad setting found once it listens stops it with exit status 2.

The app's loading is held or broken from outside: a `fastapi` package put first on the path waits for a file before
it hands over to the real one, or fails to import as in a broken installation.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shelfkeeper.testing.server import free_port
from tests.test_cli import SOURCE, environment

KEY = "serve-front-key"
HELD = """
import importlib, os, sys, time

while not os.path.exists(os.environ["RELEASE_THE_APP"]):
    time.sleep(0.05)
sys.path.remove(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
del sys.modules["fastapi"]
sys.modules["fastapi"] = importlib.import_module("fastapi")
"""
BROKEN = "raise ImportError(\"No module named 'fastapi' (a broken installation)\")\n"


def _with_fastapi(home: Path, source: str) -> str:
    """A PYTHONPATH on which ``fastapi`` is ``source``, then the tree under test."""
    shim = home / "shim"
    (shim / "fastapi").mkdir(parents=True)
    (shim / "fastapi" / "__init__.py").write_text(source, encoding="utf-8")
    return f"{shim}:{SOURCE}"


class Server:
    """``shelfkeeper serve`` in a subprocess, its output kept."""

    def __init__(self, home: Path, **extra: str) -> None:
        self.base = f"http://127.0.0.1:{free_port()}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shelfkeeper", "serve", "--port", self.base.rsplit(":", 1)[1]],
            cwd=home,
            env=environment(home, API_KEY=KEY, RUN_SCHEDULER="false", **extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        self.output.extend(self.process.stdout)

    def first_health(self, timeout: float = 120) -> httpx.Response:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, "".join(self.output)
            try:
                return httpx.get(f"{self.base}/health", timeout=5)
            except httpx.TransportError:
                assert time.monotonic() < deadline, "no answer from /health"
                time.sleep(0.05)

    def stop(self) -> int:
        self.process.terminate()
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(timeout=10)
        self._reader.join(timeout=10)
        return code


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


def test_health_is_answered_while_the_app_loads_and_a_request_waits_for_it(home: Path) -> None:
    release = home / "release"
    server = Server(home, PYTHONPATH=_with_fastapi(home, HELD), RELEASE_THE_APP=str(release))
    try:
        health = server.first_health()
        assert health.status_code == 200 and health.headers["content-type"] == "application/json"
        body = health.json()
        assert body["success"] is True and body["error_code"] is None
        assert body["data"] == {"status": "ok", "version": "0.1.0", "database": {"reachable": True, "error": None}}
        answered: list[httpx.Response] = []
        waiting = threading.Thread(
            target=lambda: answered.append(
                httpx.get(f"{server.base}/api/books", headers={"X-Api-Key": KEY}, timeout=120)
            )
        )
        waiting.start()
        time.sleep(1.0)
        assert httpx.get(f"{server.base}/health", timeout=5).status_code == 200  # still the front's answer
        assert answered == [], "a request for the app was answered before the app was loaded"
        release.touch()
        waiting.join(timeout=120)
        assert len(answered) == 1 and answered[0].status_code == 200, answered
        assert answered[0].json()["data"]["total"] == 0
        assert httpx.get(f"{server.base}/health", timeout=5).json()["success"] is True  # now the app's answer
    finally:
        code = server.stop()
    assert code in (0, -15) and any("Finished server process" in line for line in server.output), server.output


def test_a_start_up_that_fails_is_reported_by_health(home: Path) -> None:
    server = Server(home, PYTHONPATH=_with_fastapi(home, BROKEN))
    try:
        health = server.first_health()
        deadline = time.monotonic() + 60
        while health.status_code == 200 and time.monotonic() < deadline:  # the front's, until the loading fails
            time.sleep(0.1)
            health = httpx.get(f"{server.base}/health", timeout=5)
        assert health.status_code == 503
        body = health.json()
        assert body["success"] is False and body["error_code"] == "START_UP_FAILED"
        assert body["data"] == {
            "status": "degraded",
            "version": "0.1.0",
            "database": {"reachable": True, "error": None},
        }
        other = httpx.get(f"{server.base}/api/books", headers={"X-Api-Key": KEY}, timeout=10)
        assert other.status_code == 500 and other.json()["error_code"] == "INTERNAL_ERROR"
    finally:
        server.stop()
    log = "".join(server.output)
    assert "start-up could not finish" in log and "a broken installation" in log


def test_a_bad_setting_found_once_listening_stops_serve_with_status_2(home: Path) -> None:
    server = Server(home, QB_PORT="abc")  # not one of the start settings: found by the full settings
    try:
        code = server.process.wait(timeout=120)
    finally:
        server.stop()
    log = "".join(server.output)
    assert code == 2 and "Invalid configuration" in log and "QB_PORT" in log, log


def test_a_bad_start_setting_stops_serve_before_it_listens(home: Path) -> None:
    server = Server(home, PORT="eighty")
    try:
        code = server.process.wait(timeout=120)
    finally:
        server.stop()
    log = "".join(server.output)
    assert code == 2 and "Invalid configuration" in log and "PORT" in log and "Uvicorn running" not in log, log
    assert not (home / "data").exists()  # nothing was started


@pytest.mark.parametrize(
    ("args", "options"),
    [
        (["serve"], (None, None, 1)),
        (["serve", "--port", "9000"], (None, 9000, 1)),
        (["serve", "--port=9000", "--host", "0.0.0.0", "--workers", "4"], ("0.0.0.0", 9000, 4)),
        (["serve", "--port", "1", "--port", "2"], (None, 2, 1)),  # the last one, as click takes it
        (["serve", "--help"], None),
        (["serve", "--port", "x"], None),
        (["serve", "--port", "-1"], None),
        (["serve", "--workers", "0"], None),
        (["serve", "--workers", "33"], None),
        (["serve", "--host"], None),
        (["serve", "--host", "--port"], None),
        (["serve", "--po", "1"], None),
        (["serve", "extra"], None),
        (["db", "upgrade"], None),
        ([], None),
    ],
)
def test_a_plain_serve_command_line_runs_without_typer_anything_else_goes_to_it(
    args: list[str], options: tuple[str | None, int | None, int] | None
) -> None:
    from shelfkeeper.serving import serve_options

    assert serve_options(args) == options
