"""What an automation run is given: the app, its Task id, a logger that names the task, and transactions."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session

from shelfkeeper.context import AppContext
from shelfkeeper.db.session import unit_of_work

if TYPE_CHECKING:
    from shelfkeeper.integrations import Integrations

T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class JobResult:
    """What a run reports: counts (items seen, changed, failed...) and free-form metrics."""

    counts: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    # "success", or "partial"/"failed" when outside services kept some/all of the work from being done.
    status: str = "success"
    error: str | None = None

    def add(self, name: str, amount: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + amount

    def services_failed(self, message: str, *, done: int) -> None:
        """Say that services failed: the run is "partial" when ``done`` items still got done, else "failed"."""
        self.status = "partial" if done else "failed"
        self.error = message


@dataclass
class RunContext:
    """Handed to every automation function by the job runner (or by a CLI command or a test)."""

    app: AppContext
    task_id: int | None = None
    trigger: str = "manual"
    parameters: dict[str, Any] = field(default_factory=dict)
    clock: Callable[[], datetime] = utc_now
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("shelfkeeper.automation"))

    async def transaction(self, work: Callable[[Session], T], *, executor: Executor | None = None) -> T:
        """Run ``work`` in one unit of work on a worker thread, so the event loop keeps serving requests.

        Network calls never go inside ``work``: the transaction is short and the database stays unlocked.
        ``executor``: a job's own thread(s) instead of the loop's default ones.
        """

        def run() -> T:
            with unit_of_work(self.app.sessions) as session:
                return work(session)

        if executor is None:
            return await asyncio.to_thread(run)
        return await asyncio.get_running_loop().run_in_executor(executor, contextvars.copy_context().run, run)

    def now(self) -> datetime:
        return self.clock()

    @property
    def integrations(self) -> Integrations:
        """The outside services, handed out as their ports (built on first use from settings)."""
        return self.app.integrations
