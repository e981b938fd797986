"""Daily request budgets per outside service: the store protocol and its in-memory implementation."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from shelfkeeper.errors import QuotaExhausted


class BudgetStore(Protocol):
    """Counts the requests made to each service per UTC day, shared by every client of that service."""

    async def consume(self, service: str, day: date, limit: int) -> int:
        """Take one request from ``service``'s budget for ``day``; return what is left after it.

        Raises ``QuotaExhausted`` (and consumes nothing) when ``limit`` requests were already made that day.
        """
        ...

    async def remaining(self, service: str, day: date, limit: int) -> int:
        """How many requests ``service`` may still make on ``day``."""
        ...


class MemoryBudgetStore:
    """A ``BudgetStore`` in process memory; forgets earlier days as soon as a later one is used."""

    def __init__(self) -> None:
        self._used: dict[tuple[str, date], int] = {}

    async def consume(self, service: str, day: date, limit: int) -> int:
        # No await between the read and the write: consume is atomic within one event loop.
        used = self._used.get((service, day), 0)
        if used >= limit:
            raise QuotaExhausted(
                service,
                f"daily request budget of {limit} used up for {day.isoformat()} (UTC)",
                details={"limit": limit, "day": day.isoformat()},
            )
        self._forget_before(service, day)
        self._used[(service, day)] = used + 1
        return limit - used - 1

    async def remaining(self, service: str, day: date, limit: int) -> int:
        return max(0, limit - self._used.get((service, day), 0))

    def _forget_before(self, service: str, day: date) -> None:
        stale = [key for key in self._used if key[0] == service and key[1] < day]
        for key in stale:
            del self._used[key]
