"""`shelfkeeper demo` as a user runs it: a subprocess on free ports with its own data directory. Without a click
the loop reaches an imported download (polled through the API with a generous bound), the page is served, and
SIGINT stops every process the demo started, leaving nothing listening."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

import shelfkeeper
from shelfkeeper.testing.server import free_port

SOURCE = str(Path(shelfkeeper.__file__).resolve().parents[1])  # the tree under test, wherever the cwd is

pytestmark = [pytest.mark.qbittorrent, pytest.mark.slow]
IMPORT_BOUND = 600.0  # seconds: generous on a loaded machine; the loop itself is not timed here


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc's children lists)."""
    found: set[int] = set()
    pending = [pid]
    while pending:
        current = pending.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    pending.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_the_demo_imports_a_book_unattended_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    data_dir = tmp_path / "demo-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATA_DIR", "DATABASE_URL", "API_KEY"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "shelfkeeper", "demo", "--port", str(port), "--data-dir", str(data_dir)],
        cwd=tmp_path, env=env | {"PYTHONUNBUFFERED": "1", "COLUMNS": "200", "PYTHONPATH": SOURCE},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(iter(process.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    children: set[int] = set()
    try:
        deadline = time.monotonic() + IMPORT_BOUND
        key = None
        while key is None:
            assert process.poll() is None, "".join(output)
            assert time.monotonic() < deadline, "".join(output)
            key = next((m[1] for line in output if (m := re.match(r"API key: ([0-9a-f]{32})$", line.strip()))), None)
            time.sleep(0.5)
        assert f"open http://127.0.0.1:{port}/" in "".join(output)
        assert key == (data_dir / "api_key").read_text().strip(), "the printed key is the stored one"
        base, headers = f"http://127.0.0.1:{port}", {"X-Api-Key": key}
        imported: list[dict] = []
        while not imported:
            assert process.poll() is None, "".join(output)
            assert time.monotonic() < deadline, f"no imported download within {IMPORT_BOUND} s:\n{''.join(output)}"
            answer = httpx.get(f"{base}/api/downloads", params={"status": "imported"}, headers=headers, timeout=10)
            assert answer.status_code == 200, answer.text
            imported = answer.json()["data"]["items"]
            time.sleep(2)
        download = imported[0]
        assert download["book_id"] is not None and download["progress"] == 1.0, download
        placed = Path(download["result"].removeprefix("imported into "))
        assert placed.is_dir() and sorted(p.suffix for p in placed.iterdir()) == [".mp3"] * 3, "real audio placed"
        wanted = httpx.get(f"{base}/api/wanted/{download['wanted_book_id']}", headers=headers, timeout=10).json()
        assert wanted["data"]["status"] == "imported"
        book = httpx.get(f"{base}/api/books/{download['book_id']}", headers=headers, timeout=10).json()["data"]
        assert book["path"] == str(placed), "Audiobookshelf scanned the folder, the sync linked it"
        assert httpx.get(f"{base}/", timeout=10).status_code == 200, "the page is served"
        children = descendants(process.pid)
        assert len(children) >= 3, "the server and two qBittorrents"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=180)  # a wait, not a timing: stopping takes long on a loaded machine
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            pytest.fail("the demo did not stop within 180 s of SIGINT")
        reader.join(timeout=10)
    assert process.returncode == 0, "".join(output)
    assert "stopped." in "".join(output)
    left = [pid for pid in children if alive(pid)]
    assert not left, f"processes left behind: {left}"
    assert not listening(port), "nothing listens on the demo's port"
