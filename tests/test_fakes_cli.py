"""``shelfkeeper fakes serve`` in a subprocess: it prints URLs and settings, serves until terminated, exits cleanly."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from shelfkeeper.cli import app
from shelfkeeper.testing.fakes import FAKES, create_fake, start_fakes, stop_fakes
from shelfkeeper.testing.server import free_port

READY = "Serving"  # the line the command prints once every server answers
STARTUP_SECONDS = 30.0


@dataclass
class Served:
    """What the command printed: service -> URL, and the environment lines."""

    process: subprocess.Popen[str]
    urls: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)


def _read_lines(stream: object, into: queue.Queue[str | None]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line.rstrip("\n"))
    into.put(None)


@contextmanager
def fakes_serve(*args: str) -> Iterator[Served]:
    """Run ``shelfkeeper fakes serve *args`` until it says it is serving; terminate it by PID afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "shelfkeeper", "fakes", "serve", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    served = Served(process)
    try:
        while True:
            line = lines.get(timeout=STARTUP_SECONDS)
            assert line is not None, "the command ended early:\n" + "\n".join(served.lines)
            served.lines.append(line)
            if line.startswith(READY):
                break
            name, _, url = line.partition(" ")
            if name in FAKES or name == "qbittorrent":
                served.urls[name] = url.strip()
            elif "=" in line and not line.startswith("#"):
                key, _, value = line.partition("=")
                served.env[key] = value
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_serves_the_chosen_fakes_with_a_seed_until_terminated(tmp_path: Path) -> None:
    seed = {
        "mam": {"mam_id": "seeded-cookie-0123456789", "rotate_every": None, "user": {"username": "seeded-reader"}},
        "prowlarr": {"api_key": "seeded-prowlarr-key"},  # not started (--only): its seed is ignored
    }
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(seed))
    abs_port = free_port()
    with fakes_serve(
        "--only", "audiobookshelf,mam", "--seed", str(seed_file), "--port", f"audiobookshelf={abs_port}"
    ) as served:
        assert set(served.urls) == {"audiobookshelf", "mam"}
        assert served.urls["audiobookshelf"] == f"http://127.0.0.1:{abs_port}"
        assert served.env["ABS_URL"] == served.urls["audiobookshelf"] and served.env["ABS_TOKEN"]
        assert served.env["MAM_URL"] == served.urls["mam"]
        assert served.env["MAM_ID"] == "seeded-cookie-0123456789"
        assert "PROWLARR_URL" not in served.env
        status = httpx.get(served.urls["audiobookshelf"] + "/status", timeout=5)
        assert status.status_code == 200 and status.json()["isInit"] is True
        user = httpx.get(served.env["MAM_URL"] + "/jsonLoad.php", cookies={"mam_id": served.env["MAM_ID"]}, timeout=5)
        assert user.status_code == 200 and user.json()["username"] == "seeded-reader"
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=20) == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(served.urls["mam"] + "/jsonLoad.php", timeout=2)


def test_every_fake_by_default(tmp_path: Path) -> None:
    with fakes_serve() as served:
        assert set(served.urls) == set(FAKES)
        expected = {"ABS_URL", "ABS_TOKEN", "PROWLARR_URL", "PROWLARR_API_KEY", "MAM_URL", "MAM_ID", "GOOGLE_BOOKS_URL"}
        assert expected | {"AUDNEXUS_URL", "AUDIBLE_URL", "OPENLIBRARY_URL"} <= set(served.env)
        books = httpx.get(served.env["GOOGLE_BOOKS_URL"] + "/volumes", params={"q": "intitle:dune"}, timeout=5)
        assert books.status_code == 200 and books.json()["kind"] == "books#volumes"
        status = httpx.get(
            served.env["PROWLARR_URL"] + "/api/v1/system/status",
            headers={"X-Api-Key": served.env["PROWLARR_API_KEY"]},
            timeout=5,
        )
        assert status.status_code == 200


@pytest.mark.qbittorrent
def test_with_a_real_qbittorrent() -> None:
    with fakes_serve("--only", "openlibrary", "--qbittorrent") as served:
        url = served.urls["qbittorrent"]
        assert url == f"http://{served.env['QB_HOST']}:{served.env['QB_PORT']}"
        login = httpx.post(
            url + "/api/v2/auth/login",
            data={"username": served.env["QB_USERNAME"], "password": served.env["QB_PASSWORD"]},
            headers={"Referer": url},
            timeout=5,
        )
        assert login.text == "Ok."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "sonarr"], "unknown fake 'sonarr'"),
        (["--port", "mam"], "NAME=PORT"),
        (["--port", "mam=http"], "NAME=PORT"),
        (["--port", "sonarr=8080"], "unknown fake 'sonarr'"),
        (["--seed", "/nonexistent/seed.json"], "cannot read"),
    ],
)
def test_bad_options_are_refused(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["fakes", "serve", *args])
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", "a JSON object"),
        ('{"sonarr": {}}', "unknown fake 'sonarr'"),
        ('{"mam": [1]}', "'mam' must be a JSON object"),
        ("{not json", "not valid JSON"),
    ],
)
def test_bad_seed_files_are_refused(tmp_path: Path, content: str, message: str) -> None:
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(content)
    result = CliRunner().invoke(app, ["fakes", "serve", "--seed", str(seed_file)])
    assert result.exit_code == 2
    # The error box wraps at the terminal's width, and the seed's path (the temporary folder) moves the breaks.
    shown = " ".join(result.output.replace("│", " ").split())
    assert message in shown


def test_registry_builds_each_fake_with_its_seed() -> None:
    for name, service in FAKES.items():
        assert service.name == name
        assert hasattr(create_fake(name).app, "set")  # the FaultInjector-wrapped app
    seeded = create_fake("prowlarr", {"api_key": "registry-key", "indexers": [{"id": 7, "name": "Seeded"}]})
    assert seeded.api_key == "registry-key" and 7 in seeded.indexers


def test_start_fakes_serves_and_reports_settings() -> None:
    running = start_fakes(["openlibrary", "mam"], seeds={"mam": {"mam_id": "started-cookie-0000"}})
    try:
        assert [entry.name for entry in running] == ["openlibrary", "mam"]
        assert running[1].env() == {"MAM_URL": running[1].url, "MAM_ID": "started-cookie-0000"}
        assert httpx.get(running[0].url + "/search.json", params={"q": "dune"}, timeout=5).status_code == 200
    finally:
        stop_fakes(running)
