"""`serve`'s front (shelfkeeper.api.front): ``GET /health`` answered before the app is in, exactly as the app answers
it (ok, database unreachable, start-up failed), every other request held until the app has started and then
answered by it exactly as by the app alone; the app's lifespan run behind the front's."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine

from shelfkeeper.api.front import ASGIApp, Front
from shelfkeeper.api.route_areas import RouteAreasApp
from shelfkeeper.db import plain_driver
from shelfkeeper.settings import Settings
from tests.api.test_route_areas import KEY, PROBES, answer, new_app
from tests.conftest import TEST_API_KEY

Answer = tuple[int, dict[str, str], str]


def front_of(app: ASGIApp | None, url: str, gate: threading.Event | None = None) -> Front:
    """A front whose app is ``app`` (None: it fails to load), loaded once ``gate`` is set."""

    def load() -> ASGIApp:
        if gate is not None:
            gate.wait(30)
        if app is None:
            raise ImportError("No module named 'fastapi'")  # a broken installation
        return app

    return Front(load, lambda: plain_driver.reachable(url))


async def ask(app: ASGIApp, method: str, path: str, headers: dict[str, str] | None = None) -> Answer:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return answer(await client.request(method, path, headers=headers or {}, follow_redirects=False))


def engine_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def unreachable(engine: Engine, tmp_path: Path) -> str:
    """A URL of the backend that does not answer: a directory for SQLite, a closed port for PostgreSQL."""
    if engine.dialect.name == "sqlite":
        (tmp_path / "a-directory").mkdir()
        return f"sqlite:///{tmp_path / 'a-directory'}"
    return engine.url.set(port=1).render_as_string(hide_password=False)


def test_health_before_the_app_is_the_apps_answer(settings: Settings, engine: Engine) -> None:
    app = new_app(settings, engine)
    front = front_of(app, engine_url(engine), gate=threading.Event())
    early = asyncio.run(ask(front, "GET", "/health"))
    assert front.app is None
    assert early == asyncio.run(ask(app, "GET", "/health"))
    assert early[0] == 200 and '"database":{"reachable":true,"error":null}' in early[2]


def test_health_with_the_database_unreachable_is_the_apps_answer(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    url = unreachable(engine, tmp_path)
    app = new_app(settings, create_engine(url))
    early = asyncio.run(ask(front_of(app, url, gate=threading.Event()), "GET", "/health"))
    assert early == asyncio.run(ask(app, "GET", "/health"))
    assert early[0] == 503 and '"error_code":"DATABASE_UNAVAILABLE"' in early[2]
    assert '"database":{"reachable":false,"error":"OperationalError"}' in early[2]


def test_a_start_that_failed_is_reported_as_the_app_reports_it(settings: Settings, engine: Engine) -> None:
    app = new_app(settings, engine)
    assert app.route_areas is not None
    app.route_areas.failure = ImportError("No module named 'apscheduler'")  # the app's own start-up failed
    expected = asyncio.run(ask(app, "GET", "/health"))

    async def after_the_failure() -> tuple[Answer, Answer, Answer]:
        front = front_of(None, engine_url(engine))
        other = await ask(front, "GET", "/api/books", KEY)  # starts the loading, which fails
        assert front.app is None and isinstance(front.failure, ImportError)
        return await ask(front, "GET", "/health"), other, await ask(front, "GET", "/nope")

    health, books, nope = asyncio.run(after_the_failure())
    assert health == expected and health[0] == 503 and '"error_code":"START_UP_FAILED"' in health[2]
    error = '{"success":false,"data":null,"error":"An unexpected error happened; see the server log.",'
    assert books == nope == (500, books[1], error + '"error_code":"INTERNAL_ERROR","timestamp":""}')


def test_other_requests_wait_for_the_app_then_are_answered_by_it(settings: Settings, engine: Engine) -> None:
    alone = new_app(settings, engine)
    alone.load_route_areas()
    expected = [asyncio.run(ask(alone, method, path, headers)) for method, path, headers in PROBES]
    gate = threading.Event()
    behind = new_app(settings, engine)
    front = front_of(behind, engine_url(engine), gate)

    async def through_the_front() -> list[Answer]:
        waiting = [asyncio.ensure_future(ask(front, method, path, headers)) for method, path, headers in PROBES]
        health = await ask(front, "GET", "/health")  # answered by the front meanwhile
        await asyncio.sleep(0.2)
        held = [task.done() for task in waiting]
        gate.set()
        got = await asyncio.gather(*waiting)
        assert health == got[0] and front.app is behind
        early = [method == "GET" and path.split("?")[0] == "/health" for method, path, _headers in PROBES]
        assert held == early and sum(early) == 2, "only GET /health (whatever its query) is answered before the app"
        return got

    assert asyncio.run(through_the_front()) == expected


def lifespan_messages(front: Front, gate: threading.Event) -> list[str]:
    """The messages the front sends a server through its lifespan, the app's loading held until after start-up."""

    async def run() -> list[str]:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        sent: list[str] = []

        answered = asyncio.Event()

        async def send(message: Any) -> None:
            sent.append(message["type"])
            answered.set()

        await inbox.put({"type": "lifespan.startup"})
        lifespan = asyncio.ensure_future(front({"type": "lifespan", "state": {}}, inbox.get, send))
        await answered.wait()
        gate.set()
        await front.ready()
        await inbox.put({"type": "lifespan.shutdown"})
        await lifespan
        return sent

    return asyncio.run(run())


def test_the_apps_lifespan_runs_behind_the_fronts(settings: Settings, engine: Engine) -> None:
    app = new_app(settings, engine)
    started: list[int] = []
    original = app.router.lifespan_context

    def watched(app_: Any) -> Any:
        started.append(1)
        return original(app_)

    app.router.lifespan_context = watched
    gate = threading.Event()
    assert lifespan_messages(front_of(app, engine_url(engine), gate), gate) == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert len(started) == 1


def test_health_answered_by_the_front_is_counted_in_the_apps_metrics(settings: Settings, engine: Engine) -> None:
    from shelfkeeper.api.app import count_early_answers

    app = new_app(settings, engine)
    gate = threading.Event()
    front = Front(
        lambda: gate.wait(30) and app, lambda: plain_driver.reachable(engine_url(engine)), count_early_answers
    )

    async def run() -> str:
        await ask(front, "GET", "/health")
        await ask(front, "GET", "/health")
        gate.set()
        await front.ready()
        return (await ask(front, "GET", "/metrics", KEY))[2]

    metrics = asyncio.run(run())
    assert 'shelfkeeper_http_requests_total{method="GET",route="/health",status="200"} 2.0' in metrics


@pytest.mark.parametrize(
    ("method", "path", "headers", "root_path", "early"),
    [
        ("GET", "/health", {}, "", True),
        ("HEAD", "/health", {}, "", False),
        ("POST", "/health", {}, "", False),
        ("GET", "/health/", {}, "", False),
        ("GET", "/health", {"content-length": "5"}, "", False),  # the app's body limit looks at it
        ("GET", "/health", {"transfer-encoding": "chunked"}, "", False),
        ("GET", "/sk/health", {}, "/sk", True),
        ("GET", "/health", {}, "/sk", True),
    ],
)
def test_only_a_plain_get_health_is_answered_early(
    method: str, path: str, headers: dict[str, str], root_path: str, early: bool
) -> None:
    from shelfkeeper.api.front import _is_plain_health

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": root_path,
        "headers": [(name.encode(), value.encode()) for name, value in headers.items()],
    }
    assert _is_plain_health(scope) is early


def test_the_app_of_a_failed_start_is_not_used_and_health_says_so(settings: Settings, engine: Engine) -> None:
    app: RouteAreasApp = new_app(settings, engine)

    async def failing(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.failed", "message": "the scheduler could not start"})
            return
        await app(scope, receive, send)

    front = front_of(failing, engine_url(engine))

    async def run() -> tuple[Answer, Answer]:
        other = await ask(front, "GET", "/api/books", {"X-Api-Key": TEST_API_KEY})
        return other, await ask(front, "GET", "/health")

    other, health = asyncio.run(run())
    assert front.app is None and "the scheduler could not start" in str(front.failure)
    assert other[0] == 500 and health[0] == 503 and '"error_code":"START_UP_FAILED"' in health[2]
