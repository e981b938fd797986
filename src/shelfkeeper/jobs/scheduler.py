"""APScheduler with its SQLAlchemy job store, run by exactly one process: the holder of the scheduler lease.

Every process that may run the scheduler (``RUN_SCHEDULER=true``, the default) competes for one lease row
each ``poll`` seconds. The holder starts an AsyncIOScheduler whose jobs live in the project's database;
the others keep answering the API. When the holder stops renewing (killed, hung, disconnected), its lease
expires and another process takes over within ``lease_seconds + poll`` seconds.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shelfkeeper.domain.lifecycle import TaskTrigger
from shelfkeeper.errors import Conflict
from shelfkeeper.jobs.leases import SCHEDULER_LEASE, utc_now
from shelfkeeper.jobs.runner import JobRunner
from shelfkeeper.services.scheduler import JobPlan, job_plans

if TYPE_CHECKING:  # APScheduler loads with the first tick (``_load_apscheduler``), not with the app
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

STARTUP_CHECK = "health_check_task"
logger = logging.getLogger("shelfkeeper.scheduler")
JOBSTORE_TABLE = "apscheduler_jobs"
# Runs missed while no process held the lease still happen when one takes over, if they are this recent.
MISFIRE_GRACE_SECONDS = 3600
FREQUENT_GRACE_SECONDS = 60

_active_runner: JobRunner | None = None


def _load_apscheduler() -> None:
    """APScheduler's modules: tens of milliseconds (it reads every installed package's entry points), so they
    load when this process first competes for the lease, after start-up, not with the app."""
    for module in ("apscheduler.schedulers.asyncio", "apscheduler.jobstores.sqlalchemy", "apscheduler.triggers.cron"):
        importlib.import_module(module)


async def run_scheduled(name: str) -> None:
    """What APScheduler calls (by reference, so jobs can be stored): one scheduled run of ``name``."""
    runner = _active_runner
    if runner is None:
        logger.warning("scheduled run of %s skipped: this process is not the scheduler", name)
        return
    try:
        await runner.trigger(name, TaskTrigger.SCHEDULE)
    except Conflict:
        logger.info("scheduled run of %s skipped: the previous run is still going", name)


class SchedulerService:
    """Competes for the scheduler lease; while holding it, runs APScheduler and dispatches retries."""

    def __init__(
        self,
        runner: JobRunner,
        *,
        lease_seconds: float | None = None,
        poll_seconds: float | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.runner = runner
        self.app = runner.app
        self.lease_seconds = lease_seconds or float(self.app.settings.runner_lease_seconds)
        self.poll_seconds = poll_seconds or max(1.0, self.lease_seconds / 3)
        self.clock = clock
        self.is_leader = False
        self.scheduler: AsyncIOScheduler | None = None
        self._loop: asyncio.Task[None] | None = None
        self._applied: dict[str, tuple[str, bool]] = {}
        self._refresh: asyncio.Task[None] | None = None  # the fast download refresh, run by the leader

    async def start(self) -> None:
        self._loop = asyncio.create_task(self._leadership_loop())

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
        await self._step_down()
        await self.runner.wait_idle()

    async def _leadership_loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # a database hiccup must not end the loop; the next tick tries again
                logger.exception("scheduler tick failed")
            await asyncio.sleep(self.poll_seconds)

    async def tick(self) -> None:
        """One round: take or keep the lease, then (as leader) apply schedule changes and start due retries."""
        leases = self.runner.leases
        if "apscheduler.schedulers.asyncio" not in sys.modules:  # on a worker thread, before the lease is held:
            await asyncio.to_thread(_load_apscheduler)  # the import does not eat into the lease's time
        held = await asyncio.to_thread(leases.acquire, SCHEDULER_LEASE, self.runner.holder, self.lease_seconds)
        if held and not self.is_leader:
            await self._become_leader()
        elif not held and self.is_leader:
            logger.warning("scheduler lease lost; stepping down")
            await self._step_down()
        if self.is_leader:
            store = self.app.settings_store  # schedules saved through the API by another process
            if store is not None:
                await asyncio.to_thread(store.refresh)
            await self.apply_plans()
            await self.runner.dispatch_due_retries()

    async def _become_leader(self) -> None:
        global _active_runner
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        settings = self.app.settings
        self.scheduler = AsyncIOScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.app.engine, tablename=JOBSTORE_TABLE)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
            timezone=settings.timezone,
        )
        self.scheduler.start()
        self._applied.clear()
        _active_runner = self.runner
        self.is_leader = True
        logger.info("this process (%s) now runs the scheduler", self.runner.holder)
        refresher = self.app.download_refresher
        if refresher is not None:
            self._refresh = asyncio.create_task(refresher.run_forever())
        await self.apply_plans()
        await self._check_health_at_start()

    async def _check_health_at_start(self) -> None:
        """The health checks run once as soon as a process takes the scheduler, then on their schedule."""
        if STARTUP_CHECK not in self.runner.registry:
            return
        try:
            await self.runner.trigger(STARTUP_CHECK, TaskTrigger.SCHEDULE, {"at_start": True})
        except Conflict:
            logger.debug("health check already running at start-up")

    async def _step_down(self) -> None:
        global _active_runner
        if self._refresh is not None:
            self._refresh.cancel()
            await asyncio.gather(self._refresh, return_exceptions=True)
            self._refresh = None
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        if self.is_leader:
            await asyncio.to_thread(self.runner.leases.release, SCHEDULER_LEASE, self.runner.holder)
        if _active_runner is self.runner:
            _active_runner = None
        self.is_leader = False

    async def apply_plans(self) -> None:
        """Make the stored APScheduler jobs match each job's schedule and enabled flag."""
        plans = await asyncio.to_thread(self._plans)
        for plan in plans:
            if self._applied.get(plan.name) != (plan.schedule, plan.enabled):
                await asyncio.to_thread(self._apply, plan)
                self._applied[plan.name] = (plan.schedule, plan.enabled)

    def _plans(self) -> list[JobPlan]:
        with self.app.sessions() as session:
            return job_plans(session, self.app.settings, self.runner.registry)

    def _apply(self, plan: JobPlan) -> None:
        scheduler = self.scheduler
        if scheduler is None:
            return
        from apscheduler.triggers.cron import CronTrigger

        trigger = CronTrigger.from_crontab(plan.schedule, timezone=self.app.settings.timezone)
        existing = scheduler.get_job(plan.name)
        # Keep a stored job whose trigger did not change: its persisted next run time is what lets a run
        # missed while no process was the scheduler still happen (within the misfire grace time).
        if existing is None or str(existing.trigger) != str(trigger):
            grace = FREQUENT_GRACE_SECONDS if plan.frequent else MISFIRE_GRACE_SECONDS
            scheduler.add_job(
                f"{__name__}:run_scheduled",
                trigger,
                args=[plan.name],
                id=plan.name,
                name=plan.name,
                replace_existing=True,
                misfire_grace_time=grace,
            )
        if plan.enabled:
            scheduler.resume_job(plan.name)
        else:
            scheduler.pause_job(plan.name)

    def status(self) -> dict[str, Any]:
        lease = self.runner.leases.current(SCHEDULER_LEASE)
        return {
            "running": self.scheduler is not None and self.scheduler.running,
            "is_leader": self.is_leader,
            "this_process": self.runner.holder,
            "leader": lease.holder if lease else None,
            "leader_lease_expires_at": lease.expires_at.isoformat() if lease else None,
            "lease_seconds": self.lease_seconds,
            "timezone": self.app.settings.timezone,
        }
