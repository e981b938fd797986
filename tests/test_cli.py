"""The real command line in a subprocess, with a clean environment and a temporary data directory (SQLite)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from shelfkeeper import __version__
from shelfkeeper.db.migrate import head_revision
from shelfkeeper.db.session import make_engine
from shelfkeeper.testing.server import free_port

SECRETS = {
    "API_KEY": "cli-secret-api-key-1",
    "ABS_TOKEN": "cli-secret-abs-2",
    "QB_PASSWORD": "cli-secret-qb-3",
    "MAM_ID": "cli-secret-mam-4",
    "PROWLARR_API_KEY": "cli-secret-prowlarr-5",
}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The working directory (no .env in it) and home of the command; DATA_DIR is home/data."""
    return tmp_path


def environment(home: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "DATA_DIR": str(home / "data"),
        "PYTHONIOENCODING": "utf-8",
        "COLUMNS": "200",
        **extra,
    }


def shelfkeeper(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shelfkeeper", *args],
        cwd=home,
        env=environment(home, **extra),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version(home):
    result = shelfkeeper(home, "version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"shelfkeeper {__version__}"


def test_db_upgrade_then_current_says_up_to_date(home):
    head = head_revision(make_engine(f"sqlite:///{home / 'data' / 'shelfkeeper.db'}"))
    upgraded = shelfkeeper(home, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"database at revision {head}" in upgraded.stdout
    assert (home / "data" / "shelfkeeper.db").is_file()
    after = shelfkeeper(home, "db", "current")
    assert f"current: {head}" in after.stdout and "up to date" in after.stdout


def test_config_show_redacts_every_secret(home):
    result = shelfkeeper(home, "config", "show", ABS_URL="http://abs.local:13378", **SECRETS)
    assert result.returncode == 0, result.stderr
    for secret in SECRETS.values():
        assert secret not in result.stdout and secret not in result.stderr
    config = json.loads(result.stdout)
    for variable in SECRETS:
        assert config[variable.lower()] == "********", variable
    assert config["qb_password"] == "********" and config["google_books_api_key"] is None
    assert config["abs_url"] == "http://abs.local:13378" and config["data_dir"] == str(home / "data")


def test_api_key_show_stores_the_key_and_rotate_replaces_it(home):
    shown = shelfkeeper(home, "api-key", "show")
    assert shown.returncode == 0, shown.stderr
    key = shown.stdout.strip()
    stored = home / "data" / "api_key"
    assert len(key) == 32 and stored.read_text(encoding="utf-8").strip() == key
    rotated = shelfkeeper(home, "api-key", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    new = rotated.stdout.strip()
    assert len(new) == 32 and new != key and stored.read_text(encoding="utf-8").strip() == new


def test_rotate_is_refused_while_api_key_is_set(home):
    result = shelfkeeper(home, "api-key", "rotate", API_KEY=SECRETS["API_KEY"])
    assert result.returncode == 2
    assert "API_KEY" in result.stderr and SECRETS["API_KEY"] not in result.stdout + result.stderr
    assert not (home / "data" / "api_key").exists()


def test_a_bad_setting_exits_2_naming_the_variable(home):
    bad = {"QB_PORT": "abc", "TIMEZONE": "Mars/X", "DATABASE_URL": "mysql://u:cli-secret-db@h/d"}
    result = shelfkeeper(home, "db", "current", **bad, **SECRETS)
    assert result.returncode == 2 and "Invalid configuration" in result.stderr
    for variable in bad:
        assert variable in result.stderr
    for secret in (*SECRETS.values(), "cli-secret-db"):
        assert secret not in result.stdout + result.stderr
    assert not (home / "data").exists()  # nothing was started


def _read_lines(stream: Any, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def test_serve_answers_health_and_refuses_a_request_without_the_key(home):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "shelfkeeper", "serve", "--port", str(port)],
        cwd=home,
        env=environment(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    output: list[str] = []
    try:
        while not any("Application startup complete" in line for line in output):
            output.append(lines.get(timeout=30))  # uvicorn says so once it listens
        base = f"http://127.0.0.1:{port}"
        health = httpx.get(f"{base}/health", timeout=10)
        assert health.status_code == 200 and health.json()["success"] is True
        refused = httpx.get(f"{base}/api/books", timeout=10)
        assert refused.status_code == 401
        assert refused.json()["error_code"] == "UNAUTHORIZED" and refused.json()["success"] is False
        key = (home / "data" / "api_key").read_text(encoding="utf-8").strip()
        assert any(key in line for line in output)  # the generated key is printed once, at first start
        books = httpx.get(f"{base}/api/books", headers={"Authorization": key}, timeout=10)
        assert books.status_code == 200 and books.json()["data"]["total"] == 0
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    reader.join(timeout=10)  # the pipe is at its end once the process is gone
    assert process.stdout is not None
    process.stdout.close()
    while not lines.empty():
        output.append(lines.get())
    # uvicorn shuts down cleanly, then re-raises SIGTERM, so the exit status is the signal's.
    assert process.returncode in (0, -15) and any("Finished server process" in line for line in output), output
