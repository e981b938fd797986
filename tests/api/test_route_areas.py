"""The rest of the app loads on first need (shelfkeeper.api.route_areas): /health is answered without it; any other
request, whichever comes first and however many at once, loads it exactly once and is answered exactly as by an
app that had everything from the start; reading the route table or the OpenAPI document loads it too."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfkeeper.api import routers
from shelfkeeper.api.app import create_app
from shelfkeeper.api.route_areas import RouteAreasApp
from shelfkeeper.api.routes import liveness
from shelfkeeper.context import AppContext
from shelfkeeper.settings import Settings
from tests.conftest import TEST_API_KEY

KEY = {"X-Api-Key": TEST_API_KEY}
# (method, path, headers): answered by /health itself, refused or redirected by the router, or by a route area.
Probe = tuple[str, str, dict[str, str]]
PROBES: list[Probe] = [
    ("GET", "/health", {}),
    ("GET", "//health", {}),
    ("GET", "/health?x=%00", {}),
    ("HEAD", "/health", {}),
    ("POST", "/health", {}),
    ("GET", "/health/", {}),
    ("GET", "/HEALTH", {}),
    ("GET", "/nope", {}),
    ("DELETE", "/nope", {}),
    ("GET", "/api/books/", KEY),
    ("GET", "/api/books", {}),
    ("GET", "/api/books", {"Authorization": "Bearer wrong"}),
    ("GET", "/api/books", KEY),
    ("PUT", "/api/books", KEY),
    ("GET", "/api/books/abc", KEY),
    ("GET", "/api/books/1", KEY),
    ("GET", "/api/books?search=%00", KEY),
    ("GET", "/api/settings", KEY),
    ("GET", "/feed/calendar.ics", {}),
    ("GET", "/", {}),
    ("GET", "/static/nope.js", {}),
    ("GET", "/docs", {}),
]  # /openapi.json as the first request: test_the_route_table_and_openapi_document_are_the_same_however_loaded


def new_app(settings: Settings, engine: Engine) -> RouteAreasApp:
    return create_app(context=AppContext.from_settings(settings, engine=engine))


def answer(response: httpx.Response) -> tuple[int, dict[str, str], str]:
    """Status, headers and body, without what differs from one moment to the next."""
    headers = {name: value for name, value in response.headers.items() if name not in ("date", "etag", "last-modified")}
    return response.status_code, headers, re.sub(r'"timestamp":"[^"]*"', '"timestamp":""', response.text)


def answers(client: TestClient, probes: list[tuple[str, str, dict[str, str]]]) -> list[tuple[int, dict[str, str], str]]:
    return [
        answer(client.request(method, path, headers=headers, follow_redirects=False))
        for method, path, headers in probes
    ]


def counting_loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Patch ``routers.include`` to count its calls (slowly, so that callers overlap)."""
    calls: list[int] = []
    include: Callable[[Any], None] = routers.include

    def slow_include(app: Any) -> None:
        calls.append(threading.get_ident())
        threading.Event().wait(0.05)
        include(app)

    monkeypatch.setattr(routers, "include", slow_include)
    return calls


def test_health_is_answered_before_the_rest_is_loaded(settings: Settings, engine: Engine) -> None:
    app = new_app(settings, engine)
    assert app.route_areas is not None
    health = TestClient(app).get("/health")
    assert health.status_code == 200 and health.json()["data"]["database"] == {"reachable": True, "error": None}
    assert not app.route_areas.loaded
    assert [getattr(route, "path", None) for route in app.router.routes] == ["/openapi.json", None]


# One first request of each kind: answered early, a wrong method or a redirect of /health, no route, refused,
# answered by a route area, the page.
FIRSTS = [0, 3, 5, 7, 10, 12, 19]


@pytest.mark.parametrize("first", FIRSTS, ids=[f"{PROBES[i][0]} {PROBES[i][1]}" for i in FIRSTS])
def test_every_answer_is_the_same_whichever_request_comes_first(settings: Settings, engine: Engine, first: int) -> None:
    loaded_at_once = new_app(settings, engine)
    loaded_at_once.load_route_areas()
    expected = answers(TestClient(loaded_at_once), PROBES)
    order = [PROBES[first], *PROBES[:first], *PROBES[first + 1 :]]
    lazy = new_app(settings, engine)
    got = answers(TestClient(lazy), order)
    assert [got[0], *got[1 : first + 1], *got[first + 1 :]] == [
        expected[first],
        *expected[:first],
        *expected[first + 1 :],
    ]


def test_the_route_table_and_openapi_document_are_the_same_however_loaded(settings: Settings, engine: Engine) -> None:
    served = new_app(settings, engine)
    document = TestClient(served).get("/openapi.json").content  # the first request: loads the rest itself
    read = new_app(settings, engine)
    table = [
        (type(route).__name__, getattr(route, "path", None), getattr(route, "name", None)) for route in read.routes
    ]
    assert table == [
        (type(route).__name__, getattr(route, "path", None), getattr(route, "name", None)) for route in served.routes
    ]
    assert table[0] == ("Route", "/openapi.json", "openapi")
    assert getattr(read.routes[1], "original_router", None) is liveness.router  # /health: first, as always
    assert json.loads(document) == read.openapi()
    assert document == TestClient(read).get("/openapi.json").content


def test_concurrent_first_requests_load_the_rest_once(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = counting_loads(monkeypatch)
    app = new_app(settings, engine)
    probes = PROBES * 2

    async def all_at_once() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            sent = [client.request(method, path, headers=headers) for method, path, headers in probes]
            return [response.status_code for response in await asyncio.gather(*sent)]

    statuses = asyncio.run(all_at_once())
    assert len(calls) == 1
    reference = new_app(settings, engine)
    reference.load_route_areas()
    with TestClient(reference) as client:
        assert statuses == [client.request(m, p, headers=h, follow_redirects=False).status_code for m, p, h in probes]


def test_threads_reading_the_route_table_at_once_load_the_rest_once(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = counting_loads(monkeypatch)
    app = new_app(settings, engine)
    lengths: list[int] = []
    readers = [threading.Thread(target=lambda: lengths.append(len(app.routes))) for _ in range(8)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert len(calls) == 1
    assert len(set(lengths)) == 1 and lengths[0] > 20


def test_the_warm_up_loads_the_rest_once_and_a_request_waits_until_it_has(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = counting_loads(monkeypatch)
    app = new_app(settings, engine)
    with TestClient(app, headers=KEY) as client:  # the lifespan starts the warm-up
        assert client.get("/api/settings").status_code == 200  # waits for the warm-up, which has the settings store
        assert app.route_areas is not None and app.route_areas.complete
    assert len(calls) == 1


def test_a_failed_load_answers_500_and_health_reports_it(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def broken(app: Any) -> None:
        calls.append(1)
        raise ImportError("No module named 'rapidfuzz'")

    monkeypatch.setattr(routers, "include", broken)
    app = new_app(settings, engine)
    client = TestClient(app, headers=KEY, raise_server_exceptions=False)
    for path in ("/api/books", "/nope", "/api/books"):
        failed = client.get(path)
        assert failed.status_code == 500 and failed.json()["error_code"] == "INTERNAL_ERROR"
    health = client.get("/health")
    assert health.status_code == 503 and health.json()["error_code"] == "START_UP_FAILED"
    assert health.json()["data"]["status"] == "degraded"
    assert calls == [1]  # not tried again: it may have left part of the table behind


def test_a_start_up_that_cannot_finish_is_reported_by_health(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warm-up loads the rest, applies stored settings, then starts the scheduler: if that fails, /health says
    so (503), so a container check restarts the service instead of trusting one whose jobs never run."""
    from shelfkeeper.jobs.scheduler import SchedulerService

    async def broken(self: SchedulerService) -> None:
        raise RuntimeError("job store unreadable")

    monkeypatch.setattr(SchedulerService, "start", broken)
    app = new_app(settings.model_copy(update={"run_scheduler": True}), engine)
    with TestClient(app, headers=KEY) as client:
        assert client.get("/api/books").status_code == 200  # waits for the warm-up; the routes themselves are in
        health = client.get("/health")
    assert health.status_code == 503
    assert health.json()["error_code"] == "START_UP_FAILED"
    assert health.json()["data"]["database"]["reachable"] is True
