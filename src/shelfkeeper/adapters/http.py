"""The one HTTP layer under every outside-service adapter: timeouts, retries, rate limit, budget, breaker, redaction."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from shelfkeeper.adapters.breaker import CircuitBreaker
from shelfkeeper.adapters.budget import BudgetStore, MemoryBudgetStore
from shelfkeeper.adapters.http_failures import (
    IDEMPOTENT_METHODS,
    AttemptFailed,
    Classifier,
    FailureTranslator,
    body_excerpt,
    counts_against_breaker,
    parse_retry_after,
)
from shelfkeeper.adapters.redaction import (
    credentials_in,
    guard_library_loggers,
    is_secret_name,
    redact_headers,
    redact_text,
    redact_url,
    register_secret,
)
from shelfkeeper.errors import CircuitOpen, QuotaExhausted, ServiceBadResponse, ServiceError, ServiceNotConfigured

__all__ = [
    "BudgetStore",
    "MemoryBudgetStore",
    "ServiceClient",
    "ServiceHealth",
    "ServicePolicy",
    "guard_library_loggers",
    "join_url",
    "parse_retry_after",
    "split_options",
]

logger = logging.getLogger("shelfkeeper.http")


guard_library_loggers()


@dataclass(frozen=True)
class ServicePolicy:
    """How one outside service is called: where, how patiently, how often, and which values are secret."""

    name: str
    base_url: str
    timeout: float = 15.0
    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 120.0
    min_interval: float = 0.0
    max_concurrency: int = 4
    daily_budget: int | None = None
    breaker_threshold: int = 5
    breaker_cooldown: float = 60.0
    secrets: tuple[str, ...] = ()


@dataclass
class ServiceHealth:
    """What the integrations endpoint shows about one service, as this client has seen it."""

    service: str
    last_error: str | None = None
    last_error_code: str | None = None
    last_error_at: datetime | None = None
    last_success_at: datetime | None = None
    consecutive_failures: int = 0
    circuit_open: bool = False
    requests_today: int | None = None
    budget_left: int | None = None


def join_url(base_url: str, path: str) -> str:
    """``base_url`` + ``path`` keeping the base's own path (``http://h/abs`` + ``/api/x`` -> ``http://h/abs/api/x``).

    An absolute ``path`` (``http://...``) is used as it is, for links a service hands out.
    """
    if path.startswith(("http://", "https://")):
        return path
    if not path:
        return base_url
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def split_options(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``build`` keyword options into ServicePolicy fields and ServiceClient extras (sleep, clock, rng...)."""
    policy_names = {f.name for f in fields(ServicePolicy)}
    policy = {k: v for k, v in options.items() if k in policy_names}
    client = {k: v for k, v in options.items() if k not in policy_names}
    return policy, client


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ServiceClient:
    """An async HTTP client bound to one service's policy; every adapter sends its requests through one."""

    def __init__(
        self,
        policy: ServicePolicy,
        *,
        budget: BudgetStore | None = None,
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        classify: Classifier | None = None,
        now: Callable[[], datetime] = _utc_now,
        today: Callable[[], date] | None = None,
    ) -> None:
        self.policy = policy
        self._budget = budget if budget is not None else MemoryBudgetStore()
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._now = now
        self._today = today or (lambda: now().astimezone(UTC).date())
        self._client = httpx.AsyncClient(
            headers=dict(headers or {}),
            cookies=dict(cookies or {}),
            transport=transport,
            timeout=policy.timeout,
            follow_redirects=False,
        )
        self._semaphore = asyncio.Semaphore(max(1, policy.max_concurrency))
        self._next_start = float("-inf")
        self._breaker = CircuitBreaker(policy.breaker_threshold, policy.breaker_cooldown, clock)
        self._secrets: set[str] = set()
        self._secret_cookie_names = set(cookies or {})
        for secret in (*policy.secrets, *credentials_in(headers=headers, cookies=cookies)):
            self.set_secret(secret)
        self._failures = FailureTranslator(
            policy.name, max_retry_after=policy.max_retry_after, secrets=self._secrets, classify=classify, now=now
        )
        self._health = ServiceHealth(service=policy.name)
        self._counted_day: date | None = None
        self._requests_today = 0

    # -- public API ----------------------------------------------------------------------------------------

    @property
    def cookies(self) -> httpx.Cookies:
        """The session's cookie jar, updated from every response (MAM's rotated ``mam_id`` lands here)."""
        return self._client.cookies

    def set_secret(self, value: str) -> None:
        """Redact ``value`` from every log line and error message from now on (also process-wide)."""
        if value:
            self._secrets.add(value)
            register_secret(value)

    @property
    def secrets(self) -> frozenset[str]:
        """Every value this client redacts: the policy's, the credentials it was given, rotated cookies."""
        return frozenset(self._secrets)

    def url_for(self, path: str) -> str:
        """The full URL of ``path`` on this service."""
        return join_url(self.policy.base_url, path)

    def redact(self, text: str) -> str:
        """``text`` with this client's secrets and anything credential-like removed."""
        return redact_text(text, self._secrets)

    @property
    def health(self) -> ServiceHealth:
        """A snapshot of this service's health for the integrations endpoint."""
        same_day = self._counted_day == self._today()
        limit = self.policy.daily_budget
        requests_today = self._requests_today if same_day else 0
        budget_left = None if limit is None else (self._health.budget_left if same_day else limit)
        return ServiceHealth(
            service=self.policy.name,
            last_error=self._health.last_error,
            last_error_code=self._health.last_error_code,
            last_error_at=self._health.last_error_at,
            last_success_at=self._health.last_success_at,
            consecutive_failures=self._breaker.consecutive_failures,
            circuit_open=self._breaker.is_open,
            requests_today=requests_today,
            budget_left=budget_left,
        )

    async def budget_left(self) -> int | None:
        """Requests left today according to the budget store (None when the service has no daily budget)."""
        if self.policy.daily_budget is None:
            return None
        return await self._budget.remaining(self.policy.name, self._today(), self.policy.daily_budget)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-request HTTP timeout handed to httpx, not a deadline
        retry: bool = True,
    ) -> httpx.Response:
        """Send a request with retries; return a 2xx/3xx response, raise a ``ServiceError`` for anything else."""
        method = method.upper()
        url = self.url_for(path)
        for secret in credentials_in(headers=headers, cookies=cookies, fields=(params, data, json)):
            self.set_secret(secret)
        if not self._breaker.try_acquire():
            raise self._circuit_open_error()
        request_args: dict[str, Any] = {
            "params": params,
            "json": json,
            "data": data,
            "files": files,
            "headers": dict(headers) if headers else None,
            "cookies": dict(cookies) if cookies else None,  # build_request takes them without httpx's warning
            "timeout": self.policy.timeout if timeout is None else timeout,
        }
        try:
            response = await self._send_with_retries(method, url, request_args, retry=retry)
        except AttemptFailed as failed:
            self._note_failure(failed)
            raise failed.error from failed.__cause__
        except BaseException:
            self._breaker.release()
            raise
        self._breaker.record_success()
        self._health.last_success_at = self._now()
        return response

    def _circuit_open_error(self) -> CircuitOpen:
        # Not recorded as the last error: the integrations page keeps showing the failure that opened the circuit.
        wait = self._breaker.seconds_until_trial()
        return CircuitOpen(
            self.policy.name,
            f"calls paused after {self._breaker.consecutive_failures} failures in a row; next try in {wait:.0f} s "
            f"(last error: {self._health.last_error})",
            details={"retry_in": wait},
        )

    async def get_json(self, path: str, *, method: str = "GET", **kwargs: Any) -> Any:
        """``request`` and decode its JSON body (None for 204); a body that is not JSON is ServiceBadResponse."""
        response = await self.request(method, path, **kwargs)
        if response.status_code == 204:
            return None
        try:
            return response.json()
        except ValueError as exc:
            error = ServiceBadResponse(
                self.policy.name,
                f"{method.upper()} {redact_url(str(response.request.url), self._secrets)} answered "
                f"{response.status_code} with a body that is not JSON: {body_excerpt(response, self._secrets)!r}",
                details={"status": response.status_code, "body": body_excerpt(response, self._secrets)},
            )
            self._note_error(error)
            raise error from exc
        finally:
            # An httpx response and its stream refer to each other, so a read response outlives its last use
            # until the cyclic garbage collector runs, its whole body with it (a listing page is a megabyte):
            # a sync's pages piled up. With the stream let go, the response is freed as soon as it is dropped.
            response.stream = httpx.ByteStream(b"")

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> ServiceClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # -- retry loop ----------------------------------------------------------------------------------------

    async def _send_with_retries(
        self, method: str, url: str, request_args: dict[str, Any], *, retry: bool
    ) -> httpx.Response:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(max(1, self.policy.max_attempts) if retry else 1),
            wait=self._wait_before_retry,
            retry=retry_if_exception(lambda exc: isinstance(exc, AttemptFailed) and exc.retryable),
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        response: httpx.Response | None = None
        async for attempt in retrying:
            with attempt:
                response = await self._attempt(method, url, request_args, attempt.retry_state.attempt_number)
        assert response is not None  # the loop either returned a response or raised
        return response

    def _wait_before_retry(self, state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, AttemptFailed) and failure.retry_after is not None:
            return failure.retry_after  # the server said how long; waiting less would only be refused again
        ceiling = min(self.policy.backoff_max, self.policy.backoff_base * 2 ** (state.attempt_number - 1))
        return self._rng.uniform(0.0, ceiling)  # full jitter: clients that failed together do not retry together

    def _log_retry(self, state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        reason = failure.error.message if isinstance(failure, AttemptFailed) else repr(failure)
        logger.info("%s: retrying in %.2f s after: %s", self.policy.name, wait, self.redact(reason))

    async def _attempt(self, method: str, url: str, request_args: dict[str, Any], attempt: int) -> httpx.Response:
        idempotent = method in IDEMPOTENT_METHODS
        async with self._semaphore:
            await self._consume_budget()
            await self._space_start()
            try:
                # A fresh request each attempt: a multipart body cannot always be replayed.
                request = self._client.build_request(method, url, **request_args)
            except httpx.InvalidURL as exc:
                error = ServiceNotConfigured(self.policy.name, f"invalid URL {redact_url(url, self._secrets)}")
                raise AttemptFailed(error, retryable=False, reached=False) from exc
            started = self._clock()
            try:
                response = await self._client.send(request)
            except httpx.HTTPError as exc:
                self._log_attempt(request, attempt, started, None, exc)
                raise self._failures.for_transport_error(exc, request, idempotent=idempotent) from exc
        self._keep_newest_cookies(response)
        self._log_attempt(request, attempt, started, response, None)
        failure = self._failures.for_response(response, idempotent=idempotent)
        if failure is not None:
            raise failure
        return response

    # -- rate limit and budget -----------------------------------------------------------------------------

    async def _space_start(self) -> None:
        if self.policy.min_interval <= 0:
            return
        # Reserve a start time before sleeping (no await in between), so concurrent callers queue up in order.
        now = self._clock()
        start = max(now, self._next_start)
        self._next_start = start + self.policy.min_interval
        if start > now:
            await self._sleep(start - now)

    async def _consume_budget(self) -> None:
        day = self._today()
        if day != self._counted_day:
            self._counted_day, self._requests_today = day, 0
        limit = self.policy.daily_budget
        if limit is not None:
            try:
                remaining = await self._budget.consume(self.policy.name, day, limit)
            except QuotaExhausted as exc:
                self._health.budget_left = 0
                raise AttemptFailed(exc, retryable=False, reached=False) from exc
            self._health.budget_left = remaining
            self._requests_today = limit - remaining  # the store's count: other clients of the service share it
        else:
            self._requests_today += 1

    # -- health and bookkeeping ----------------------------------------------------------------------------

    def _note_failure(self, failed: AttemptFailed) -> None:
        if counts_against_breaker(failed.error):
            self._breaker.record_failure()
        elif failed.reached:
            self._breaker.record_success()  # it answered: up, even if it refused this request
        else:
            self._breaker.release()  # never sent (budget used up): says nothing about the service
        self._note_error(failed.error)

    def _note_error(self, error: ServiceError) -> None:
        self._health.last_error = self.redact(error.message)
        self._health.last_error_code = error.code
        self._health.last_error_at = self._now()

    def _keep_newest_cookies(self, response: httpx.Response) -> None:
        # A rotated cookie (MAM's mam_id) arrives for the server's domain while the configured one has none;
        # httpx would then keep and send both. Drop the older copies so the newest value is the only one.
        jar = self._client.cookies.jar
        for new in response.cookies.jar:
            for old in list(jar):
                if old.name == new.name and (old.domain, old.path) != (new.domain, new.path):
                    jar.clear(old.domain, old.path, old.name)
            if new.value and (new.name in self._secret_cookie_names or is_secret_name(new.name)):
                self.set_secret(new.value)

    def _log_attempt(
        self,
        request: httpx.Request,
        attempt: int,
        started: float,
        response: httpx.Response | None,
        exc: Exception | None,
    ) -> None:
        failed = response is None or response.status_code >= 400
        level = logging.WARNING if failed else logging.DEBUG
        if not logger.isEnabledFor(level):
            return
        duration_ms = round((self._clock() - started) * 1000)
        url = redact_url(str(request.url), self._secrets)
        outcome = str(response.status_code) if response is not None else f"{type(exc).__name__}: {exc}"
        message = (
            f"{self.policy.name} {request.method} {url} -> {outcome} in {duration_ms} ms "
            f"(attempt {attempt}/{self.policy.max_attempts})"
        )
        if response is not None and failed:
            message += f" body={body_excerpt(response, self._secrets)!r}"
        if logger.isEnabledFor(logging.DEBUG):
            message += f" request_headers={redact_headers(request.headers, self._secrets)}"
            if response is not None:
                message += f" response_headers={redact_headers(response.headers, self._secrets)}"
        extra = {
            "service": self.policy.name,
            "method": request.method,
            "url": url,
            "status": response.status_code if response is not None else None,
            "duration_ms": duration_ms,
            "attempt": attempt,
        }
        logger.log(level, "%s", self.redact(message), extra=extra)
