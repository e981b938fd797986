"""The shared HTTP layer against a real local server: retries, Retry-After, translation, breaker, budget, logs."""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from shelfkeeper.adapters.http import (
    MemoryBudgetStore,
    ServiceClient,
    ServicePolicy,
    join_url,
    parse_retry_after,
)
from shelfkeeper.adapters.redaction import REDACTED
from shelfkeeper.errors import (
    CircuitOpen,
    QuotaExhausted,
    ServiceAuthFailed,
    ServiceBadResponse,
    ServiceError,
    ServiceRateLimited,
    ServiceUnreachable,
)
from shelfkeeper.testing.faults import FaultInjector
from shelfkeeper.testing.server import LiveServer, free_port, serve

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


# -- the fake service ----------------------------------------------------------------------------------------


@dataclass
class Recorder:
    """What the fake service saw: requests, and how many were in flight at once."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[dict[str, Any]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.in_flight = self.max_in_flight = 0


def build_app(recorder: Recorder) -> Starlette:
    async def echo(request: Request) -> Response:
        body = (await request.body()).decode()
        seen = {
            "method": request.method,
            "path": request.url.path,
            "query": dict(request.query_params),
            "cookie": request.headers.get("cookie"),
            "authorization": request.headers.get("authorization"),
            "x-extra": request.headers.get("x-extra"),
            "body": body,
        }
        with recorder.lock:
            recorder.requests.append(seen)
        return JSONResponse(seen)

    async def track(request: Request) -> Response:
        with recorder.lock:
            recorder.in_flight += 1
            recorder.max_in_flight = max(recorder.max_in_flight, recorder.in_flight)
        await asyncio.sleep(0.03)  # the fake service's own work time, so overlapping requests can be seen
        with recorder.lock:
            recorder.in_flight -= 1
        return JSONResponse({"ok": True})

    async def rotate(request: Request) -> Response:
        response = JSONResponse({"rotated": True})
        response.set_cookie("mam_id", "ROTATED-MAM-COOKIE-0042", path="/")
        return response

    async def leak(request: Request) -> Response:
        # A careless service that repeats the request, credentials included, in its error page.
        return PlainTextResponse(f"boom for {request.url} with {request.headers.get('authorization')}", 500)

    async def daily_limit(request: Request) -> Response:
        return JSONResponse({"error": {"code": 403, "errors": [{"reason": "dailyLimitExceeded"}]}}, 403)

    async def to_login(request: Request) -> Response:
        return RedirectResponse("/login.php", status_code=302)

    routes = [
        Route("/api/items", echo, methods=["GET", "POST"]),
        Route("/abs/api/items", echo),
        Route("/track", track),
        Route("/rotate", rotate),
        Route("/leak/{rest:path}", leak),
        Route("/daily-limit", daily_limit),
        Route("/to-login", to_login),
    ]
    return Starlette(routes=routes)


@dataclass
class Live:
    url: str
    faults: FaultInjector
    recorder: Recorder


@pytest.fixture(scope="module")
def live_server() -> Iterator[Live]:
    recorder = Recorder()
    faults = FaultInjector(build_app(recorder))
    with serve(faults) as server:
        yield Live(server.url, faults, recorder)


@pytest.fixture
def live(live_server: Live) -> Iterator[Live]:
    live_server.faults.clear()
    live_server.faults.requests_seen = 0
    live_server.recorder.reset()
    yield live_server
    live_server.faults.clear()


# -- injected time and randomness ----------------------------------------------------------------------------


@dataclass
class FakeTime:
    """A monotonic clock that only moves when the client sleeps (or a test moves it); sleeps are recorded."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)
    on_sleep: Callable[[float], None] | None = None

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep(seconds)


def make_client(base_url: str, fake: FakeTime, *, seed: int = 1, **overrides: Any) -> ServiceClient:
    client_args = {k: overrides.pop(k) for k in list(overrides) if k in CLIENT_ARGS}
    policy = ServicePolicy(name="testsvc", base_url=base_url, **overrides)
    return ServiceClient(
        policy,
        clock=fake.clock,
        sleep=fake.sleep,
        rng=random.Random(seed),
        now=client_args.pop("now", lambda: NOW),
        **client_args,
    )


CLIENT_ARGS = {"budget", "headers", "cookies", "classify", "today", "now", "transport"}


def run(scenario: Awaitable[Any]) -> Any:
    async def wrapped() -> Any:
        return await scenario

    return asyncio.run(wrapped())


# -- URLs and Retry-After parsing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "path", "expected"),
    [
        ("http://host/abs", "/api/items", "http://host/abs/api/items"),
        ("http://host/abs/", "/api/items", "http://host/abs/api/items"),
        ("http://host/abs/", "api/items", "http://host/abs/api/items"),
        ("http://host", "/api/v2/app/version", "http://host/api/v2/app/version"),
        ("http://host/prowlarr", "/1/api?t=search", "http://host/prowlarr/1/api?t=search"),
        ("http://host/abs", "", "http://host/abs"),
        ("http://host/abs", "https://cdn.example/tor/download.php/x", "https://cdn.example/tor/download.php/x"),
    ],
)
def test_join_url_keeps_the_base_path(base: str, path: str, expected: str) -> None:
    assert join_url(base, path) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("-3", 0.0),
        (format_datetime(NOW + timedelta(seconds=42), usegmt=True), 42.0),
        (format_datetime(NOW - timedelta(seconds=42), usegmt=True), 0.0),
        ("Sun, 01 Mar 2026 12:01:00 GMT", 60.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, NOW) == expected


# -- success and retries -------------------------------------------------------------------------------------


def test_success_keeps_base_path_and_counts_in_health(live: Live) -> None:
    fake = FakeTime()

    async def scenario() -> None:
        async with make_client(live.url + "/abs", fake) as client:
            answer = await client.get_json("/api/items", params={"q": "dune"})
            assert answer["path"] == "/abs/api/items"
            assert answer["query"] == {"q": "dune"}
            health = client.health
            assert health.last_success_at == NOW
            assert (health.last_error, health.consecutive_failures, health.circuit_open) == (None, 0, False)
            assert (health.requests_today, health.budget_left) == (1, None)

    run(scenario())
    assert fake.sleeps == []


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_retries_server_errors_then_succeeds(live: Live, status: int) -> None:
    fake = FakeTime()
    live.faults.set("server_error", status=status, times=2)

    async def scenario() -> Any:
        async with make_client(live.url, fake) as client:
            return await client.get_json("/api/items")

    assert run(scenario())["method"] == "GET"
    assert live.faults.requests_seen == 3
    assert len(fake.sleeps) == 2


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_retries_connection_refused_until_the_service_comes_up(method: str) -> None:
    port = free_port()
    started: list[LiveServer] = []
    recorder = Recorder()

    def bring_service_up(_seconds: float) -> None:
        if not started:
            started.append(LiveServer(build_app(recorder), port=port).start())

    fake = FakeTime(on_sleep=bring_service_up)

    async def scenario() -> Any:
        async with make_client(f"http://127.0.0.1:{port}", fake) as client:
            return await client.get_json("/api/items", method=method, json={"a": 1} if method == "POST" else None)

    try:
        answer = run(scenario())
    finally:
        for server in started:
            server.stop()
    assert answer["method"] == method
    assert len(fake.sleeps) == 1  # one refused attempt (a POST too: it never reached the server), then success
    assert len(recorder.requests) == 1


def test_connection_refused_to_the_end_is_unreachable() -> None:
    fake = FakeTime()

    async def scenario() -> None:
        async with make_client(f"http://127.0.0.1:{free_port()}", fake, max_attempts=3) as client:
            with pytest.raises(ServiceUnreachable) as caught:
                await client.get_json("/api/items")
            assert caught.value.code == "SERVICE_UNREACHABLE"
            assert caught.value.service == "testsvc"
            assert client.health.last_error_code == "SERVICE_UNREACHABLE"
            assert client.health.consecutive_failures == 1

    run(scenario())
    assert len(fake.sleeps) == 2


def test_backoff_grows_is_capped_and_jittered(live: Live) -> None:
    fake = FakeTime()
    live.faults.set("server_error", status=503, times=5)

    async def scenario() -> None:
        async with make_client(live.url, fake, seed=7, max_attempts=6, backoff_base=0.5, backoff_max=1.5) as client:
            await client.get_json("/api/items")

    run(scenario())
    ceilings = [0.5, 1.0, 1.5, 1.5, 1.5]  # base * 2**n, capped at backoff_max
    same_seed = random.Random(7)
    assert fake.sleeps == [same_seed.uniform(0.0, ceiling) for ceiling in ceilings]
    assert all(0.0 <= slept <= ceiling for slept, ceiling in zip(fake.sleeps, ceilings, strict=True))
    assert fake.sleeps != ceilings  # full jitter: not the bare exponential
    assert len(set(fake.sleeps)) == len(fake.sleeps)


def test_backoff_bounds_hold_for_many_seeds(live: Live) -> None:
    ceilings = [0.2, 0.4, 0.8]
    for seed in range(20):
        fake = FakeTime()
        live.faults.set("server_error", status=502, times=3)

        async def scenario(fake: FakeTime = fake, seed: int = seed) -> None:
            async with make_client(live.url, fake, seed=seed, backoff_base=0.2, backoff_max=10) as client:
                await client.get_json("/api/items")

        run(scenario())
        assert all(0.0 <= slept <= ceiling for slept, ceiling in zip(fake.sleeps, ceilings, strict=True))


@pytest.mark.parametrize(("status", "header", "expected"), [(429, "7", 7.0), (503, "4", 4.0), (429, "0.25", 0.25)])
def test_retry_after_seconds_is_waited_exactly(live: Live, status: int, header: str, expected: float) -> None:
    fake = FakeTime()
    live.faults.set("rate_limit", status=status, retry_after=header, times=1)

    async def scenario() -> Any:
        async with make_client(live.url, fake) as client:
            return await client.get_json("/api/items")

    assert run(scenario())["path"] == "/api/items"
    assert fake.sleeps == [expected]


def test_retry_after_http_date_is_waited_exactly(live: Live) -> None:
    fake = FakeTime()
    live.faults.set("rate_limit", retry_after=format_datetime(NOW + timedelta(seconds=9), usegmt=True), times=1)

    async def scenario() -> None:
        async with make_client(live.url, fake) as client:
            await client.get_json("/api/items")

    run(scenario())
    assert fake.sleeps == [9.0]


def test_retry_after_over_the_cap_raises_at_once(live: Live) -> None:
    fake = FakeTime()
    live.faults.set("rate_limit", retry_after="600")

    async def scenario() -> None:
        async with make_client(live.url, fake, max_retry_after=120) as client:
            with pytest.raises(ServiceRateLimited) as caught:
                await client.get_json("/api/items")
            assert caught.value.retry_after == 600.0
            assert caught.value.details == {"status": 429, "body": "Too Many Requests"}

    run(scenario())
    assert fake.sleeps == []
    assert live.faults.requests_seen == 1


def test_rate_limited_to_the_end_carries_retry_after(live: Live) -> None:
    fake = FakeTime()
    live.faults.set("rate_limit", retry_after="1")

    async def scenario() -> None:
        async with make_client(live.url, fake, max_attempts=3) as client:
            with pytest.raises(ServiceRateLimited) as caught:
                await client.get_json("/api/items")
            assert caught.value.retry_after == 1.0
            assert caught.value.status == 429

    run(scenario())
    assert fake.sleeps == [1.0, 1.0]


@pytest.mark.parametrize("status", [500, 502, 504])
def test_post_is_not_retried_on_errors_that_may_have_done_the_work(live: Live, status: int) -> None:
    fake = FakeTime()
    live.faults.set("server_error", status=status, times=1)

    async def scenario() -> None:
        async with make_client(live.url, fake) as client:
            with pytest.raises(ServiceError) as caught:
                await client.request("POST", "/api/items", json={"hash": "abc"})
            assert caught.value.code == "SERVICE_ERROR"
            assert caught.value.details == {"status": status, "body": "Internal Server Error"}
            assert str(status) in caught.value.message

    run(scenario())
    assert live.faults.requests_seen == 1
    assert fake.sleeps == []


@pytest.mark.parametrize(("mode", "status"), [("server_error", 503), ("rate_limit", 429)])
def test_post_is_retried_when_the_server_refused_it_outright(live: Live, mode: str, status: int) -> None:
    fake = FakeTime()
    live.faults.set(mode, status=status, times=1, retry_after=None)

    async def scenario() -> Any:
        async with make_client(live.url, fake) as client:
            return (await client.request("POST", "/api/items", json={"hash": "abc"})).json()

    assert run(scenario())["body"] == '{"hash":"abc"}'
    assert live.faults.requests_seen == 2
    assert len(fake.sleeps) == 1


def test_multipart_upload_is_sent_whole_again_on_retry(live: Live) -> None:
    fake = FakeTime()
    live.faults.set("server_error", status=503, times=1)

    async def scenario() -> Any:
        async with make_client(live.url, fake) as client:
            files = {"torrents": ("book.torrent", b"d8:announce3:urle", "application/x-bittorrent")}
            return await client.get_json("/api/items", method="POST", files=files, data={"category": "audiobooks"})

    body = run(scenario())["body"]
    assert "d8:announce3:urle" in body and 'name="category"' in body
    assert live.faults.requests_seen == 2


def test_retry_false_makes_one_attempt(live: Live) -> None:
    fake = FakeTime()
    live.faults.set("server_error", status=503)

    async def scenario() -> None:
        async with make_client(live.url, fake) as client:
            with pytest.raises(ServiceError):
                await client.request("GET", "/api/items", retry=False)

    run(scenario())
    assert live.faults.requests_seen == 1
    assert fake.sleeps == []


# -- translation ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "status"), [("expired_auth", 401), ("server_error", 403)])
def test_auth_failures_are_not_retried(live: Live, mode: str, status: int) -> None:
    fake = FakeTime()
    live.faults.set(mode, status=status)

    async def scenario() -> None:
        async with make_client(live.url, fake) as client:
            with pytest.raises(ServiceAuthFailed) as caught:
                await client.get_json("/api/items")
            assert caught.value.details == {
                "status": status,
                "body": "Unauthorized" if status == 401 else "Internal Server Error",
            }
            assert client.health.last_error_code == "SERVICE_AUTH_FAILED"

    run(scenario())
    assert live.faults.requests_seen == 1
    assert fake.sleeps == []


def test_not_found_is_a_bad_response_with_status_in_details(live: Live) -> None:
    fake = FakeTime()

    async def scenario() -> None:
        async with make_client(live.url, fake) as client:
            with pytest.raises(ServiceBadResponse) as caught:
                await client.get_json("/no/such/thing")
            assert caught.value.details == {"status": 404, "body": "Not Found"}
            assert "404" in caught.value.message

    run(scenario())
    assert live.faults.requests_seen == 1
    assert fake.sleeps == []


def test_garbage_json_is_a_bad_response(live: Live) -> None:
    fake = FakeTime()
    live.faults.set("garbage")

    async def scenario() -> None:
        async with make_client(live.url, fake) as client:
            with pytest.raises(ServiceBadResponse) as caught:
                await client.get_json("/api/items")
            assert caught.value.details == {"status": 200, "body": '{"this is": not json <html>'}
            assert client.health.last_error_code == "SERVICE_BAD_RESPONSE"
            assert client.health.circuit_open is False

    run(scenario())


def test_classify_hook_turns_a_403_into_quota_exhausted(live: Live) -> None:
    fake = FakeTime()
    seen: list[int] = []

    def google_style(response: httpx.Response) -> ServiceError | None:
        seen.append(response.status_code)
        if response.status_code == 403 and "dailyLimitExceeded" in response.text:
            return QuotaExhausted("testsvc", "provider quota used up for today")
        return None

    async def scenario() -> None:
        async with make_client(live.url, fake, classify=google_style) as client:
            with pytest.raises(QuotaExhausted):
                await client.get_json("/daily-limit")
            with pytest.raises(ServiceBadResponse):  # the hook passed on a 404: the default translation
                await client.get_json("/missing")
            await client.get_json("/api/items")  # not called for a 2xx

    run(scenario())
    assert seen == [403, 404]
    assert fake.sleeps == []


def test_classify_hook_rate_limit_is_retried_like_a_429(live: Live) -> None:
    fake = FakeTime()
    live.faults.set("server_error", status=403, body=b"slow down please", times=2)

    def slow_down(response: httpx.Response) -> ServiceError | None:
        if "slow down" in response.text:
            return ServiceRateLimited("testsvc", "asked to slow down", retry_after=2.0)
        return None

    async def scenario() -> Any:
        async with make_client(live.url, fake, classify=slow_down) as client:
            return await client.get_json("/api/items")

    assert run(scenario())["path"] == "/api/items"
    assert fake.sleeps == [2.0, 2.0]


def test_redirect_is_returned_unless_the_hook_objects(live: Live) -> None:
    fake = FakeTime()

    def login_redirect(response: httpx.Response) -> ServiceError | None:
        if response.status_code == 302 and "login" in response.headers.get("location", ""):
            return ServiceAuthFailed("testsvc", "session expired: redirected to the login page")
        return None

    async def scenario() -> None:
        async with make_client(live.url, fake) as plain:
            assert (await plain.request("GET", "/to-login")).status_code == 302
        async with make_client(live.url, fake, classify=login_redirect) as hooked:
            with pytest.raises(ServiceAuthFailed):
                await hooked.request("GET", "/to-login")

    run(scenario())


def test_timeout_is_retried_then_unreachable(live: Live) -> None:
    fake = FakeTime()
    live.faults.set("slow", delay=0.5, times=1)

    async def scenario() -> None:
        async with make_client(live.url, fake, timeout=0.1, max_attempts=2) as client:
            assert (await client.get_json("/api/items"))["path"] == "/api/items"  # slow once, then fine
            live.faults.set("slow", delay=0.5)
            with pytest.raises(ServiceUnreachable) as caught:
                await client.get_json("/api/items")
            assert caught.value.details == {"error": "ReadTimeout"}

    run(scenario())
    assert len(fake.sleeps) == 2


def test_post_is_not_retried_after_a_read_timeout(live: Live) -> None:
    fake = FakeTime()
    live.faults.set("slow", delay=0.5)

    async def scenario() -> None:
        async with make_client(live.url, fake, timeout=0.1) as client:
            with pytest.raises(ServiceUnreachable):
                await client.request("POST", "/api/items", data={"urls": "magnet:?xt=1"})

    run(scenario())
    assert live.faults.requests_seen == 1
    assert fake.sleeps == []


def test_per_request_timeout_overrides_the_policy(live: Live) -> None:
    fake = FakeTime()
    live.faults.set("slow", delay=0.3, times=1)

    async def scenario() -> None:
        async with make_client(live.url, fake, timeout=0.05, max_attempts=1) as client:
            assert (await client.get_json("/api/items", timeout=2.0))["path"] == "/api/items"

    run(scenario())


# -- circuit breaker -----------------------------------------------------------------------------------------


def test_breaker_opens_short_circuits_half_opens_and_closes(live: Live) -> None:
    fake = FakeTime()
    live.faults.set("server_error", status=500)

    async def scenario() -> None:
        async with make_client(live.url, fake, max_attempts=1, breaker_threshold=3, breaker_cooldown=60) as client:
            for _ in range(3):
                with pytest.raises(ServiceError):
                    await client.get_json("/api/items")
            assert client.health.circuit_open is True
            assert client.health.consecutive_failures == 3
            sent = live.faults.requests_seen
            with pytest.raises(CircuitOpen):
                await client.get_json("/api/items")
            fake.now += 59
            with pytest.raises(CircuitOpen):
                await client.get_json("/api/items")
            assert live.faults.requests_seen == sent  # held back: nothing reached the service
            assert client.health.last_error_code == "SERVICE_ERROR"  # the real cause stays visible
            live.faults.clear()
            fake.now += 1
            assert (await client.get_json("/api/items"))["path"] == "/api/items"  # the half-open trial
            assert live.faults.requests_seen == sent + 1
            assert (client.health.circuit_open, client.health.consecutive_failures) == (False, 0)

    run(scenario())


def test_failed_trial_reopens_the_circuit(live: Live) -> None:
    fake = FakeTime()
    live.faults.set("down")

    async def scenario() -> None:
        async with make_client(live.url, fake, max_attempts=1, breaker_threshold=2, breaker_cooldown=30) as client:
            for _ in range(2):
                with pytest.raises(ServiceError):
                    await client.get_json("/api/items")
            fake.now += 30
            with pytest.raises(ServiceError) as trial:
                await client.get_json("/api/items")
            assert not isinstance(trial.value, CircuitOpen)  # the trial was sent, and failed
            sent = live.faults.requests_seen
            with pytest.raises(CircuitOpen):
                await client.get_json("/api/items")
            assert live.faults.requests_seen == sent
            live.faults.clear()
            fake.now += 30
            await client.get_json("/api/items")
            assert client.health.circuit_open is False

    run(scenario())


def test_half_open_lets_exactly_one_trial_through(live: Live) -> None:
    fake = FakeTime()
    live.faults.set("server_error", status=503)

    async def scenario() -> list[Any]:
        async with make_client(live.url, fake, max_attempts=1, breaker_threshold=1, breaker_cooldown=10) as client:
            with pytest.raises(ServiceError):
                await client.get_json("/api/items")
            live.faults.clear()
            fake.now += 10
            return await asyncio.gather(*(client.get_json("/track") for _ in range(3)), return_exceptions=True)

    outcomes = run(scenario())
    assert outcomes[0] == {"ok": True}
    assert all(isinstance(outcome, CircuitOpen) for outcome in outcomes[1:])


@pytest.mark.parametrize(("mode", "status"), [("server_error", 404), ("expired_auth", 401), ("server_error", 403)])
def test_client_errors_do_not_open_the_circuit(live: Live, mode: str, status: int) -> None:
    fake = FakeTime()
    live.faults.set(mode, status=status)

    async def scenario() -> None:
        async with make_client(live.url, fake, breaker_threshold=2) as client:
            for _ in range(4):
                with pytest.raises(ServiceError) as caught:
                    await client.get_json("/api/items")
                assert not isinstance(caught.value, CircuitOpen)
            assert (client.health.circuit_open, client.health.consecutive_failures) == (False, 0)

    run(scenario())
    assert live.faults.requests_seen == 4


# -- daily budget --------------------------------------------------------------------------------------------


def test_budget_counts_every_attempt_and_resets_next_day(live: Live) -> None:
    fake = FakeTime()
    day = [date(2026, 3, 1)]
    store = MemoryBudgetStore()
    live.faults.set("server_error", status=502, times=2)

    async def scenario() -> None:
        kwargs: dict[str, Any] = {"budget": store, "today": lambda: day[0], "daily_budget": 3}
        async with make_client(live.url, fake, **kwargs) as client:
            await client.get_json("/api/items")  # two failures and a success: three requests
            assert (client.health.requests_today, client.health.budget_left) == (3, 0)
            assert await client.budget_left() == 0
            sent = live.faults.requests_seen
            with pytest.raises(QuotaExhausted) as caught:
                await client.get_json("/api/items")
            assert caught.value.code == "SERVICE_QUOTA_EXHAUSTED"
            assert live.faults.requests_seen == sent  # refused before sending
            async with make_client(live.url, fake, **kwargs) as sibling:  # the budget is the service's, not a client's
                with pytest.raises(QuotaExhausted):
                    await sibling.get_json("/api/items")
            assert client.health.circuit_open is False
            day[0] = date(2026, 3, 2)
            assert (client.health.requests_today, client.health.budget_left) == (0, 3)
            await client.get_json("/api/items")
            assert (client.health.requests_today, client.health.budget_left) == (1, 2)
            assert await client.budget_left() == 2

    run(scenario())


def test_budget_running_out_during_retries_stops_them(live: Live) -> None:
    fake = FakeTime()
    live.faults.set("server_error", status=500)

    async def scenario() -> None:
        async with make_client(live.url, fake, daily_budget=2, max_attempts=4, today=lambda: NOW.date()) as client:
            with pytest.raises(QuotaExhausted):
                await client.get_json("/api/items")

    run(scenario())
    assert live.faults.requests_seen == 2


# -- pacing --------------------------------------------------------------------------------------------------


def test_min_interval_spaces_request_starts(live: Live) -> None:
    fake = FakeTime()

    async def scenario() -> None:
        async with make_client(live.url, fake, min_interval=3.0, max_concurrency=1) as client:
            for _ in range(3):
                await client.get_json("/api/items")
            assert fake.sleeps == [3.0, 3.0]
            fake.now += 10  # time passed on its own: no pause needed
            await client.get_json("/api/items")
            assert fake.sleeps == [3.0, 3.0]
            fake.now += 1
            await client.get_json("/api/items")
            assert fake.sleeps == [3.0, 3.0, 2.0]

    run(scenario())


def test_min_interval_spaces_concurrent_callers(live: Live) -> None:
    fake = FakeTime()

    async def scenario() -> None:
        async with make_client(live.url, fake, min_interval=3.0, max_concurrency=4) as client:
            await asyncio.gather(*(client.get_json("/api/items") for _ in range(3)))

    run(scenario())
    assert fake.sleeps == [3.0, 3.0]  # starts at t, t+3, t+6: each waits for the one reserved before it
    assert fake.now == 1006.0
    assert len(live.recorder.requests) == 3


@pytest.mark.parametrize(("limit", "expect_overlap"), [(1, False), (4, True)])
def test_max_concurrency_is_observed(live: Live, limit: int, expect_overlap: bool) -> None:
    fake = FakeTime()

    async def scenario() -> None:
        async with make_client(live.url, fake, max_concurrency=limit) as client:
            await asyncio.gather(*(client.get_json("/track") for _ in range(4)))

    run(scenario())
    if expect_overlap:
        assert live.recorder.max_in_flight > 1  # the fake can see overlap when it is allowed
    else:
        assert live.recorder.max_in_flight == 1


# -- cookies, headers, health --------------------------------------------------------------------------------


def test_rotated_cookie_replaces_the_configured_one(live: Live) -> None:
    fake = FakeTime()

    async def scenario() -> None:
        async with make_client(live.url, fake, cookies={"mam_id": "FIRST-MAM-COOKIE-0001"}) as client:
            first = await client.get_json("/api/items")
            assert first["cookie"] == "mam_id=FIRST-MAM-COOKIE-0001"
            await client.get_json("/rotate")
            assert client.cookies["mam_id"] == "ROTATED-MAM-COOKIE-0042"
            after = await client.get_json("/api/items")
            assert after["cookie"] == "mam_id=ROTATED-MAM-COOKIE-0042"
            assert "ROTATED-MAM-COOKIE-0042" in client.secrets

    run(scenario())


def test_per_request_headers_and_cookies_merge_with_the_session(live: Live) -> None:
    fake = FakeTime()

    async def scenario() -> Any:
        headers = {"Authorization": "Bearer SESSION-TOKEN-1"}
        async with make_client(live.url, fake, headers=headers, cookies={"a": "1"}) as client:
            return await client.get_json("/api/items", headers={"X-Extra": "yes"}, cookies={"b": "2"})

    seen = run(scenario())
    assert seen["authorization"] == "Bearer SESSION-TOKEN-1"
    assert seen["x-extra"] == "yes"
    assert sorted(seen["cookie"].split("; ")) == ["a=1", "b=2"]


def test_health_records_errors_and_successes(live: Live) -> None:
    fake = FakeTime()
    moment = [NOW]
    live.faults.set("server_error", status=503)

    async def scenario() -> None:
        async with make_client(live.url, fake, max_attempts=1, now=lambda: moment[0]) as client:
            with pytest.raises(ServiceError):
                await client.get_json("/api/items")
            health = client.health
            assert health.service == "testsvc"
            assert health.last_error is not None and "HTTP 503" in health.last_error
            assert health.last_error_code == "SERVICE_ERROR"
            assert health.last_error_at is not None and health.last_success_at is None
            assert (health.last_error_at, health.consecutive_failures, health.requests_today) == (NOW, 1, 1)
            live.faults.clear()
            moment[0] = NOW + timedelta(minutes=5)
            await client.get_json("/api/items")
            health = client.health
            assert (health.last_success_at, health.last_error_at) == (NOW + timedelta(minutes=5), NOW)
            assert (health.consecutive_failures, health.requests_today) == (0, 2)
            assert health.last_error_code == "SERVICE_ERROR"  # the last error is kept for the integrations page

    run(scenario())


# -- logging and redaction -----------------------------------------------------------------------------------

SECRETS = {
    "query": "QUERY-APIKEY-5f1e2d",
    "bearer": "BEARER-TOKEN-9a8b7c",
    "header_key": "HEADER-APIKEY-3c4d5e",
    "cookie": "MAM-COOKIE-7d6e5f",
    "path": "PATH-SECRET-1a2b3c",
    "runtime": "RUNTIME-SECRET-0f0f0f",
}


def test_logs_carry_every_attempt_and_no_secret(live: Live, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    caplog.set_level(logging.DEBUG, logger="shelfkeeper.http")  # last: set_level also sets the capture handler's level
    fake = FakeTime()
    live.faults.set("server_error", status=503, times=1)

    async def scenario() -> None:
        client = make_client(
            live.url,
            fake,
            max_attempts=2,
            secrets=(SECRETS["path"],),
            headers={"Authorization": f"Bearer {SECRETS['bearer']}", "X-Api-Key": SECRETS["header_key"]},
            cookies={"mam_id": SECRETS["cookie"]},
        )
        async with client:
            await client.get_json("/api/items", params={"apikey": SECRETS["query"], "q": "dune"})
            await client.get_json("/rotate")
            with pytest.raises(ServiceError) as caught:
                await client.get_json(f"/leak/{SECRETS['path']}/feed", params={"apikey": SECRETS["query"]})
            client.set_secret(SECRETS["runtime"])
            with pytest.raises(ServiceBadResponse) as missing:
                await client.get_json(f"/nothing/{SECRETS['runtime']}")
            for error in (caught.value, missing.value):
                assert not any(secret in str(error) or secret in str(error.details) for secret in SECRETS.values())
            assert client.health.last_error is not None and REDACTED in client.health.last_error

    run(scenario())
    text = caplog.text
    leaked = [name for name, secret in SECRETS.items() if secret in text]
    assert leaked == []
    assert "ROTATED-MAM-COOKIE-0042" not in text
    assert REDACTED in text
    assert f"apikey={REDACTED}" in text
    assert f"Bearer {REDACTED}" in text
    attempt_lines = [r for r in caplog.records if r.name == "shelfkeeper.http" and "(attempt" in r.getMessage()]
    assert [r.levelno for r in attempt_lines[:3]] == [logging.WARNING, logging.DEBUG, logging.DEBUG]  # 503, 200, 200
    assert "request_headers=" in attempt_lines[1].getMessage()  # headers are logged (redacted) at DEBUG
    assert "set-cookie" in attempt_lines[2].getMessage()
    first = attempt_lines[0]
    assert (first.service, first.method, first.status, first.attempt) == ("testsvc", "GET", 503, 1)  # type: ignore[attr-defined]
    assert "-> 503 in " in first.getMessage() and " ms (attempt 1/2)" in first.getMessage()
    assert any(r.name == "httpx" for r in caplog.records)  # httpx's own request lines were checked too


def test_client_is_usable_as_plain_object_and_closes(live: Live) -> None:
    fake = FakeTime()
    policy = ServicePolicy(name="plain", base_url=live.url)

    async def scenario() -> None:
        client = ServiceClient(replace(policy, timeout=5.0), sleep=fake.sleep, clock=fake.clock)
        assert client.url_for("/api/items") == live.url + "/api/items"
        assert (await client.request("GET", "/api/items")).status_code == 200
        await client.aclose()

    run(scenario())
