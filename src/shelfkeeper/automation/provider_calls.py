"""Asking outside sources in one run: each failure is logged, counted and skipped, never sinking the run.

The one fault-tolerant way automation calls an indexer or a metadata provider: the release search, the metadata
lookup and the completion jobs all go through ``ProviderCalls``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.errors import CircuitOpen, QuotaExhausted, ServiceAuthFailed, ServiceError, ServiceNotConfigured

T = TypeVar("T")
P = TypeVar("P")
# After these a provider will not answer again in this run: it is dropped instead of asked once per book.
_DROPPING = (ServiceNotConfigured, QuotaExhausted, CircuitOpen, ServiceAuthFailed)


@dataclass(frozen=True)
class ProviderFailure:
    """One provider call that failed, and why."""

    provider: str
    subject: str
    error_code: str
    message: str


@dataclass
class ProviderCalls:
    """The providers asked during one run: their answers, failures, and the ones dropped for the rest of it.

    ``drop_failing`` false keeps asking a provider after an error that would drop it (a lookup that reports
    every provider's answer for every book).
    """

    run: RunContext
    drop_failing: bool = True
    failures: list[ProviderFailure] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)  # provider -> error code that dropped it
    answered: dict[str, int] = field(default_factory=dict)
    errors: dict[str, ServiceError] = field(default_factory=dict)  # provider -> its last error

    def adapter(self, name: str, get: Callable[[], P]) -> P | None:
        """The provider's port from ``get`` (an Integrations accessor), or None (noted once) when it is not
        configured or was dropped."""
        if name in self.dropped:
            return None
        try:
            return get()
        except ServiceError as exc:
            self._fail(name, "setup", exc)
            return None

    async def attempt(
        self,
        provider: str,
        subject: str,
        call: Callable[[], Awaitable[T]],
        default: T,
        *,
        raising: tuple[type[ServiceError], ...] = (),
    ) -> tuple[T, ServiceError | None]:
        """``await call()`` and no error; on a ServiceError (other than ``raising`` ones), logged and remembered,
        ``default`` and the error. A dropped provider is not asked."""
        if provider in self.dropped:
            return default, self.errors.get(provider)
        try:
            answer = await call()
        except raising:
            raise
        except ServiceError as exc:
            self._fail(provider, subject, exc)
            return default, exc
        self.answered[provider] = self.answered.get(provider, 0) + 1
        return answer, None

    async def ask(self, provider: str, subject: str, call: Callable[[], Awaitable[T]], default: T) -> T:
        """``await call()``; on a ServiceError log it, remember it and return ``default``."""
        answer, _error = await self.attempt(provider, subject, call, default)
        return answer

    def _fail(self, provider: str, subject: str, exc: ServiceError) -> None:
        self.errors[provider] = exc
        if isinstance(exc, ServiceNotConfigured):
            self.run.log.info("%s is not configured; going on without it", provider)
        else:
            self.run.log.warning(
                "%s failed for %s: %s (%s); going on without it", provider, subject, exc.message, exc.code
            )
            self.failures.append(ProviderFailure(provider, subject, exc.code, exc.message))
        if self.drop_failing and isinstance(exc, _DROPPING):
            self.dropped[provider] = exc.code

    def counts(self) -> dict[str, int]:
        """Counts for the job result."""
        return {"provider_failures": len(self.failures), "providers_dropped": len(self.dropped)}

    def metrics(self) -> dict[str, Any]:
        """What each provider did, for the Task's metrics."""
        return {
            "provider_answers": dict(self.answered),
            "providers_dropped": dict(self.dropped),
            "provider_failures": [failure.__dict__ for failure in self.failures[:50]],
        }
