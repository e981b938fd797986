"""What a failed HTTP attempt means: the project's ServiceError, whether to retry it, and how long to wait."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from shelfkeeper.adapters.redaction import redact_text, redact_url
from shelfkeeper.errors import (
    CircuitOpen,
    ServiceAuthFailed,
    ServiceBadResponse,
    ServiceError,
    ServiceRateLimited,
    ServiceUnreachable,
)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# A POST or PATCH that got 500/502/504, or whose answer was lost mid-read, may already have taken effect on
# the server (a torrent added, an item updated); sending it again could do it twice. 429 and 503 say the server
# refused the request before doing anything, and a connect error means it never left this machine: those are safe.
NON_IDEMPOTENT_RETRYABLE_STATUSES = frozenset({429, 503})
# Transport failures that happen before any byte of the request reached the server.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Transport failures after the request may have been received: a timeout or a broken answer.
LOST_ANSWER_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
BODY_EXCERPT_CHARS = 200

Classifier = Callable[[httpx.Response], ServiceError | None]


class AttemptFailed(Exception):
    """One attempt's failure, with what the retry loop and the circuit breaker need to know about it."""

    def __init__(
        self, error: ServiceError, *, retryable: bool, reached: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.retryable = retryable
        self.reached = reached  # the service answered (so it is up, whatever it said)
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay seconds or an HTTP-date); None when absent or bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def counts_against_breaker(error: ServiceError) -> bool:
    """Whether a failed call says the service itself is unwell (unreachable, 5xx, rate limited)."""
    # A 404 or a refused key says the service is up and answering; those do not open the circuit.
    if isinstance(error, CircuitOpen):
        return False
    return isinstance(error, ServiceUnreachable | ServiceRateLimited) or error.code == "SERVICE_ERROR"


def answered_not_found(error: ServiceError) -> bool:
    """Whether the service answered 404: for a lookup by id that means "no such item", not a failure."""
    return isinstance(error.details, dict) and error.details.get("status") == 404


def body_excerpt(response: httpx.Response, secrets: Iterable[str]) -> str:
    """The start of a response body on one line, secrets removed, for messages and logs."""
    try:
        text = response.text
    except (UnicodeDecodeError, LookupError):
        text = repr(response.content[:BODY_EXCERPT_CHARS])
    text = " ".join(text.split())
    if len(text) > BODY_EXCERPT_CHARS:
        text = text[:BODY_EXCERPT_CHARS] + "…"
    return redact_text(text, secrets)


class FailureTranslator:
    """Turns one service's non-2xx answers and transport errors into ``AttemptFailed``."""

    def __init__(
        self,
        service: str,
        *,
        max_retry_after: float,
        secrets: Iterable[str],
        classify: Classifier | None,
        now: Callable[[], datetime],
    ) -> None:
        self.service = service
        self.max_retry_after = max_retry_after
        self._secrets = secrets  # a live view: secrets added later are redacted too
        self._classify = classify
        self._now = now

    def for_response(self, response: httpx.Response, *, idempotent: bool) -> AttemptFailed | None:
        """None when ``response`` is a success (2xx, or 3xx the adapter's hook accepts); else the failure."""
        status = response.status_code
        if status < 300:
            return None
        error = self._classify(response) if self._classify else None
        if error is None and status < 400:
            return None
        retry_after = parse_retry_after(response.headers.get("retry-after"), self._now())
        if error is None:
            error = self._http_error(response, retry_after)
            retryable = status in (RETRYABLE_STATUSES if idempotent else NON_IDEMPOTENT_RETRYABLE_STATUSES)
        else:
            retryable = isinstance(error, ServiceRateLimited)  # an adapter's "slow down" is retried like a 429
            if isinstance(error, ServiceRateLimited) and error.retry_after is not None:
                retry_after = error.retry_after
        if retryable and retry_after is not None and retry_after > self.max_retry_after:
            error = ServiceRateLimited(
                self.service,
                f"asked to wait {retry_after:.0f} s (more than the {self.max_retry_after:.0f} s we wait)",
                retry_after=retry_after,
                details={"status": status, "body": body_excerpt(response, self._secrets)},
            )
            retryable = False
        return AttemptFailed(error, retryable=retryable, reached=True, retry_after=retry_after)

    def _http_error(self, response: httpx.Response, retry_after: float | None) -> ServiceError:
        status = response.status_code
        excerpt = body_excerpt(response, self._secrets)
        details = {"status": status, "body": excerpt}
        where = f"{response.request.method} {redact_url(str(response.request.url), self._secrets)}"
        if status in (401, 403):
            return ServiceAuthFailed(self.service, f"HTTP {status} from {where}: credentials refused", details=details)
        if status == 429:
            return ServiceRateLimited(self.service, f"HTTP 429 from {where}", retry_after=retry_after, details=details)
        if status >= 500:
            return ServiceError(self.service, f"HTTP {status} from {where}: {excerpt!r}", details=details)
        return ServiceBadResponse(self.service, f"HTTP {status} from {where}: {excerpt!r}", details=details)

    def for_transport_error(self, exc: httpx.HTTPError, request: httpx.Request, *, idempotent: bool) -> AttemptFailed:
        """The failure for an exception httpx raised while sending ``request``."""
        where = f"{request.method} {redact_url(str(request.url), self._secrets)}"
        reason = redact_text(str(exc), self._secrets) or type(exc).__name__
        details = {"error": type(exc).__name__}
        if isinstance(exc, httpx.DecodingError):
            bad = ServiceBadResponse(self.service, f"{where}: undecodable body: {reason}", details=details)
            return AttemptFailed(bad, retryable=False, reached=True)
        error = ServiceUnreachable(self.service, f"cannot reach {where}: {reason}", details=details)
        if isinstance(exc, NOT_SENT_ERRORS):
            return AttemptFailed(error, retryable=True, reached=False)
        lost_answer = isinstance(exc, LOST_ANSWER_ERRORS)
        return AttemptFailed(error, retryable=lost_answer and idempotent, reached=False)
