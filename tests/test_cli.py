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

import shelfkeeper
from shelfkeeper import __version__
from shelfkeeper.db.migrate import head_revision
from shelfkeeper.db.session import make_engine
from shelfkeeper.testing.server import free_port

SOURCE = str(Path(shelfkeeper.__file__).resolve().parents[1])  # the tree under test, whatever the cwd
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
        "PYTHONPATH": SOURCE,
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


def test_config_show_prints_variable_names_redacts_every_secret_and_names_the_data_dir(home):
    result = shelfkeeper(home, "config", "show", ABS_URL="http://abs.local:13378", **SECRETS)
    assert result.returncode == 0, result.stderr
    for secret in SECRETS.values():
        assert secret not in result.stdout and secret not in result.stderr
    config = json.loads(result.stdout)
    for variable in SECRETS:
        assert config[variable] == ("set" if variable == "API_KEY" else "********"), variable
    assert config["QB_PASSWORD"] == "********" and config["GOOGLE_BOOKS_API_KEY"] is None
    assert config["ABS_URL"] == "http://abs.local:13378" and config["DATA_DIR"] == str(home / "data")
    assert f"data directory: {home / 'data'} (DATA_DIR)" in result.stderr


def test_config_show_says_api_key_set_when_the_key_file_exists(home):
    assert shelfkeeper(home, "db", "upgrade").returncode == 0
    assert json.loads(shelfkeeper(home, "config", "show").stdout)["API_KEY"] is None
    assert shelfkeeper(home, "api-key", "rotate").returncode == 0
    assert json.loads(shelfkeeper(home, "config", "show").stdout)["API_KEY"] == "set"


def without_data_dir(home: Path, *args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in environment(home, **extra).items() if k != "DATA_DIR"}
    return subprocess.run(
        [sys.executable, "-m", "shelfkeeper", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_the_default_data_dir_is_the_same_from_any_folder_and_follows_xdg(home):
    one, two = home / "one", home / "two" / "deeper"
    one.mkdir()
    two.mkdir(parents=True)
    expected = str(home / ".local" / "share" / "shelfkeeper")
    for folder in (one, two):
        shown = without_data_dir(home, "config", "show", cwd=folder)
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["DATA_DIR"] == expected
        assert "(the default)" in shown.stderr
    xdg = without_data_dir(home, "config", "show", cwd=one, XDG_DATA_HOME=str(home / "xdg"))
    assert json.loads(xdg.stdout)["DATA_DIR"] == str(home / "xdg" / "shelfkeeper")
    assert not (one / "data").exists() and not (two / "data").exists(), "config show creates nothing"


def test_api_key_show_never_creates_a_data_dir(home):
    shown = shelfkeeper(home, "api-key", "show")
    assert shown.returncode == 1 and shown.stdout == ""
    assert "no data directory at" in shown.stderr and "shelfkeeper serve" in shown.stderr
    rotated = shelfkeeper(home, "api-key", "rotate")
    assert rotated.returncode == 1
    assert not (home / "data").exists()


def test_api_key_rotate_then_show_agree_with_the_key_file(home):
    assert shelfkeeper(home, "db", "upgrade").returncode == 0  # the data directory exists, no key yet
    missing = shelfkeeper(home, "api-key", "show")
    assert missing.returncode == 1 and "no API key in" in missing.stderr
    rotated = shelfkeeper(home, "api-key", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    key = rotated.stdout.strip()
    stored = home / "data" / "api_key"
    assert len(key) == 32 and stored.read_text(encoding="utf-8").strip() == key
    assert shelfkeeper(home, "api-key", "show").stdout.strip() == key
    again = shelfkeeper(home, "api-key", "rotate").stdout.strip()
    assert len(again) == 32 and again != key and stored.read_text(encoding="utf-8").strip() == again


def test_help_shows_flags_without_a_type(home):
    result = shelfkeeper(home, "restore", "--help")
    assert result.returncode == 0
    assert "--yes" in result.stdout and "<bool>" not in result.stdout
    assert "<bool>" not in shelfkeeper(home, "sync", "--help").stdout


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
            output.append(lines.get(timeout=120))  # uvicorn says so once it listens (slowly on a busy machine)
        base = f"http://127.0.0.1:{port}"
        health = httpx.get(f"{base}/health", timeout=10)
        assert health.status_code == 200 and health.json()["success"] is True
        refused = httpx.get(f"{base}/api/books", timeout=10)
        assert refused.status_code == 401
        assert refused.json()["error_code"] == "UNAUTHORIZED" and refused.json()["success"] is False
        key = (home / "data" / "api_key").read_text(encoding="utf-8").strip()
        # printed once, at first start, on a line `grep "API key"` finds (docs/deployment.md)
        assert any("API key" in line and key in line for line in output)
        while not any("api-key show" in line for line in output):
            output.append(lines.get(timeout=120))
        assert any(f"Shelfkeeper is ready: open {base}/" in line for line in output), output
        elsewhere = home / "elsewhere"
        elsewhere.mkdir()
        shown = subprocess.run(
            [sys.executable, "-m", "shelfkeeper", "api-key", "show"],
            cwd=elsewhere, env=environment(home), capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert shown.stdout.strip() == key, "the key the server accepts, from any folder"
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
