"""Start-up loads what a request needs: `shelfkeeper serve` up to its first `/health` answer (given by its front,
api/front.py) leaves the web framework, pydantic and the settings, SQLAlchemy, alembic, the libraries of the outside
services, the job bodies and every route unloaded (the app loads right after the server listens; its routes load
when first used, or in the warm-up after its start-up), and the collector it turned off for start-up is on again
once the app serves (docs/architecture.md, "Start-up loads what a request needs").

It runs the real command in a fresh interpreter: uvicorn's `Server.run` is replaced by the front's lifespan and
requests spoken in plain ASGI (a test client would load httpx itself), and `sys.modules` is read after each. The
app's loading is held back until the first `/health` is answered, and its warm-up (it would load the routes at a
moment of its own) except where it is what the test is about.
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
    # the app: loaded right after the server listens, behind the front that answers /health meanwhile
    "fastapi",
    "starlette",
    "pydantic",
    "pydantic_settings",
    "sqlalchemy",
    "typer",
    "rich",
    "shelfkeeper.api.app",
    "shelfkeeper.settings",
    "shelfkeeper.context",
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
    # the rest of the app: loaded by the first request /health does not answer, or by the warm-up
    "sqlalchemy.orm",
    "cryptography",
    "shelfkeeper.db.tables",
    "shelfkeeper.api.routers",
    "shelfkeeper.api.deps",
    "shelfkeeper.api.routes.books",
    "shelfkeeper.api.routes.system",
    "shelfkeeper.api.routes.web",
    "shelfkeeper.api.schemas.books",
    "shelfkeeper.services.book_list",
    "shelfkeeper.stored_settings",
    "shelfkeeper.integrations",
    "shelfkeeper.jobs",
)
# What the first other request loads (and only then).
WITH_THE_REST = ("shelfkeeper.api.routers", "shelfkeeper.db.tables", "shelfkeeper.api.routes.books", "sqlalchemy.orm")

SERVE_ONCE = """
import asyncio, gc, json, os, sys, threading

import uvicorn

answers = {}


async def call(app, path, headers=()):
    body = []

    async def request():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def respond(message):
        body.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"", "headers": list(headers),
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8787), "state": {},
    }
    await app(scope, request, respond)
    return body[0]["status"]


async def lifespan_and_requests(front, let_the_app_load):
    inbox = asyncio.Queue()
    sent = []

    async def receive():
        return await inbox.get()

    async def send(message):
        sent.append(message)

    await inbox.put({"type": "lifespan.startup"})
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    lifespan = asyncio.ensure_future(front(scope, receive, send))
    while not sent:
        await asyncio.sleep(0.01)
    answers["lifespan"] = sent[0]["type"]
    answers["status"] = await call(front, "/health")
    answers["modules"] = sorted(sys.modules)
    let_the_app_load.set()
    await front.ready()
    app = front.app
    answers["gc_enabled_after_start"] = gc.isenabled()
    answers["health_from_the_app"] = await call(front, "/health")
    if os.environ.get("WARM_UP") == "1":  # no request: the warm-up loads the rest by itself
        for _ in range(3000):
            if app.route_areas.complete:
                break
            await asyncio.sleep(0.01)
        answers["warmed_modules"] = sorted(sys.modules)
    else:
        answers["frozen_before"] = gc.get_freeze_count()
        answers["books_status"] = await call(front, "/api/books", [(b"x-api-key", b"lazy-start-key")])
        answers["frozen_after"] = gc.get_freeze_count()
        answers["modules_after_books"] = sorted(sys.modules)
    await inbox.put({"type": "lifespan.shutdown"})
    await lifespan
    answers["shutdown"] = sent[-1]["type"]


def serve_once(server, sockets=None):
    answers["gc_enabled_before_app"] = gc.isenabled()
    front = server.config.app
    load, let_the_app_load = front._load, threading.Event()

    def held_back_load():
        let_the_app_load.wait()
        app = load()
        if os.environ.get("WARM_UP") != "1":
            from shelfkeeper.api.route_areas import RouteAreas

            RouteAreas.warm_up = lambda self, then: None  # held back: only the request loads the rest
        return app

    front._load = held_back_load
    asyncio.run(lifespan_and_requests(front, let_the_app_load))
    server.started = True


uvicorn.Server.run = serve_once
sys.argv = ["shelfkeeper", "serve"]
from shelfkeeper.serving import main

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
    assert served["status"] == 200  # by the front, the app not loaded yet
    assert served["health_from_the_app"] == 200
    assert served["shutdown"] == "lifespan.shutdown.complete"


@pytest.mark.parametrize("name", NOT_AT_START)
def test_serve_leaves_unloaded_what_no_request_needs_yet(served: dict[str, object], name: str) -> None:
    modules = served["modules"]
    assert isinstance(modules, list)
    loaded = [module for module in modules if module == name or module.startswith(name + ".")]
    assert loaded == [], f"{name} is imported before the first request needs it: {loaded[:5]}"


def test_the_collector_is_off_for_start_up_and_on_once_the_app_serves(served: dict[str, object]) -> None:
    assert served["gc_enabled_before_app"] is False
    assert served["gc_enabled_after_start"] is True


def test_the_first_other_request_loads_the_rest_and_is_answered(served: dict[str, object]) -> None:
    assert served["books_status"] == 200
    modules = served["modules_after_books"]
    assert isinstance(modules, list)
    assert [name for name in WITH_THE_REST if name not in modules] == []


def test_what_loads_after_start_up_is_frozen_as_what_loaded_before(served: dict[str, object]) -> None:
    before, after = served["frozen_before"], served["frozen_after"]
    assert isinstance(before, int) and isinstance(after, int)
    assert after > before


def test_the_warm_up_loads_the_rest_without_a_request(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path_factory.mktemp("warm-up")
    answers = _serve_once(home, WARM_UP="1")
    assert answers["status"] == 200
    modules = answers["warmed_modules"]
    assert isinstance(modules, list)
    assert [name for name in WITH_THE_REST if name not in modules] == []
