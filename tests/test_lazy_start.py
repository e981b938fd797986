"""Start-up loads what a request needs: `shelfkeeper serve` up to its first `/health` answer leaves the libraries
of the outside services, alembic and the job bodies unloaded (they load when first used), and the collector it
turned off for start-up is on again once the app serves (docs/architecture.md, "Start-up loads what a request
needs").

It runs the real command in a fresh interpreter: `uvicorn.run` is replaced by the app's lifespan and one
`GET /health` spoken in plain ASGI (a test client would load httpx itself), then `sys.modules` is read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import shelfkeeper

SOURCE = str(Path(shelfkeeper.__file__).resolve().parents[1])

# Loaded when a service, a notification, an audio check or a migration first needs it, never to serve.
NOT_AT_START = (
    "alembic",
    "apprise",
    "apscheduler",  # with the scheduler on it loads once this process takes the lease, after start-up
    "deluge_client",
    "httpx",
    "mutagen",
    "qbittorrentapi",
    "requests",
    "transmission_rpc",
    "shelfkeeper.adapters.http",
    "shelfkeeper.adapters.qbittorrent",
    "shelfkeeper.adapters.notifier",
    "shelfkeeper.adapters.audio_files",
    "shelfkeeper.automation.library_sync",
    "shelfkeeper.automation.acquisition",
    "shelfkeeper.testing",
)

SERVE_ONCE = """
import asyncio, gc, importlib, json, sys

import uvicorn

answers = {}


async def lifespan_and_health(app):
    inbox = asyncio.Queue()
    sent = []

    async def receive():
        return await inbox.get()

    async def send(message):
        sent.append(message)

    await inbox.put({"type": "lifespan.startup"})
    lifespan = asyncio.ensure_future(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send))
    while not sent:
        await asyncio.sleep(0.01)
    answers["lifespan"] = sent[0]["type"]
    answers["gc_enabled_after_start"] = gc.isenabled()
    body = []

    async def request():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def respond(message):
        body.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": "/health", "raw_path": b"/health", "root_path": "", "query_string": b"", "headers": [],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8787), "state": {},
    }
    await app(scope, request, respond)
    answers["status"] = body[0]["status"]
    answers["modules"] = sorted(sys.modules)
    await inbox.put({"type": "lifespan.shutdown"})
    await lifespan


def serve_once(target, *, factory, **options):
    module, _, name = target.partition(":")
    answers["gc_enabled_before_app"] = gc.isenabled()
    app = getattr(importlib.import_module(module), name)()
    asyncio.run(lifespan_and_health(app))


uvicorn.run = serve_once
sys.argv = ["shelfkeeper", "serve"]
from shelfkeeper.cli import main

try:
    main()
except SystemExit:
    pass
print(json.dumps(answers))
"""


def _serve_once(tmp_path: Path, **extra: str) -> dict[str, object]:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DATA_DIR": str(tmp_path / "data"),
        "API_KEY": "lazy-start-key",
        "RUN_SCHEDULER": "false",
        "PYTHONPATH": SOURCE,
        **extra,
    }
    done = subprocess.run(
        [sys.executable, "-c", SERVE_ONCE],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answers: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return answers


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    home = tmp_path_factory.mktemp("lazy-start")
    _serve_once(home)  # the first start migrates the new database (alembic runs: it is below the head)
    return _serve_once(home)  # a restart, as users mostly start it


def test_serve_answers_health_after_its_lifespan(served: dict[str, object]) -> None:
    assert served["lifespan"] == "lifespan.startup.complete"
    assert served["status"] == 200


@pytest.mark.parametrize("name", NOT_AT_START)
def test_serve_leaves_unloaded_what_no_request_needs_yet(served: dict[str, object], name: str) -> None:
    modules = served["modules"]
    assert isinstance(modules, list)
    loaded = [module for module in modules if module == name or module.startswith(name + ".")]
    assert loaded == [], f"{name} is imported before the first request needs it: {loaded[:5]}"


def test_the_collector_is_off_for_start_up_and_on_once_the_app_serves(served: dict[str, object]) -> None:
    assert served["gc_enabled_before_app"] is False
    assert served["gc_enabled_after_start"] is True
