"""Runs jobs: one Task row per run, one run per job at a time, failures retried later with backoff."""

from __future__ import annotations

import asyncio
import logging
import traceback
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.context import AppContext
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import Task
from shelfkeeper.domain.events import Event, EventType
from shelfkeeper.domain.lifecycle import TaskStatus, TaskTrigger
from shelfkeeper.errors import Conflict, NotFound
from shelfkeeper.jobs.leases import LeaseManager, holder_is_gone, process_identity, utc_now
from shelfkeeper.jobs.registry import JobRegistry, JobSpec
from shelfkeeper.logs import current_task_id
from shelfkeeper.services import events

logger = logging.getLogger("shelfkeeper.jobs")
MAX_BACKOFF = timedelta(hours=24)


def job_lock(name: str) -> str:
    return f"job:{name}"


class JobRunner:
    """Starts runs of the registered jobs in this process, guarded by a database lock per job."""

    def __init__(self, app: AppContext, registry: JobRegistry, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.app = app
        self.registry = registry
        self.clock = clock
        self.leases = LeaseManager(app.sessions, clock)
        self.holder = process_identity()
        self._running: set[asyncio.Task[None]] = set()

    def spec(self, name: str) -> JobSpec:
        spec = self.registry.get(name)
        if spec is None:
            known = ", ".join(sorted(self.registry))
            raise NotFound(f"No job called {name!r}; known jobs: {known}.", code="JOB_NOT_FOUND")
        return spec

    # ---- starting runs ----

    def _claim(
        self, spec: JobSpec, trigger: str, attempt: int, parameters: dict[str, Any], task_id: int | None = None
    ) -> tuple[int, str]:
        """Take the job's lock and write (or reuse) its Task row; 409 when a run is already going."""
        lock = job_lock(spec.name)
        # Each run holds the lock under its own name, so this process cannot take it twice either.
        holder = f"{self.holder}/{uuid.uuid4().hex[:8]}"
        acquired = self.leases.acquire(lock, holder, spec.lock_seconds)
        if not acquired and self.recover_interrupted():  # its holder died: the job is free at once
            acquired = self.leases.acquire(lock, holder, spec.lock_seconds)
        if not acquired:
            current = self.leases.current(lock)
            raise Conflict(
                f"Job {spec.name} is already running.",
                code="JOB_ALREADY_RUNNING",
                details={"task_id": current.task_id if current else None},
            )
        try:
            with unit_of_work(self.app.sessions) as session:
                task = session.get(Task, task_id) if task_id else None
                if task is None:
                    task = Task(
                        name=spec.name,
                        trigger=trigger,
                        attempt=attempt,
                        parameters=parameters,
                        status=TaskStatus.PENDING,
                    )
                    session.add(task)
                task.status = TaskStatus.RUNNING
                task.started_at = self.clock()
                task.scheduled_for = None
                session.flush()
                claimed = task.id
        except BaseException:
            self.leases.release(lock, holder)
            raise
        self.leases.acquire(lock, holder, spec.lock_seconds, task_id=claimed)
        return claimed, holder

    async def _start(
        self,
        spec: JobSpec,
        trigger: str,
        attempt: int,
        parameters: dict[str, Any],
        task_id: int | None = None,
        *,
        wait: bool = False,
    ) -> int:
        """Claim the job, then run it in the background (or to the end with ``wait``); returns the Task id."""
        claimed, holder = await asyncio.to_thread(self._claim, spec, trigger, attempt, parameters, task_id)
        run = self._execute(spec, claimed, holder, trigger, attempt, parameters)
        if wait:
            await run
        else:
            background = asyncio.create_task(run)
            self._running.add(background)
            background.add_done_callback(self._running.discard)
        return claimed

    async def trigger(
        self, name: str, trigger: str = TaskTrigger.MANUAL, parameters: dict[str, Any] | None = None
    ) -> int:
        """Start a run now in the background; returns its Task id at once (409 when it is running)."""
        return await self._start(self.spec(name), trigger, 1, dict(parameters or {}))

    async def run_now(
        self, name: str, trigger: str = TaskTrigger.MANUAL, parameters: dict[str, Any] | None = None
    ) -> int:
        """Run to the end and return the Task id (used by /api/system/cleanup and the CLI)."""
        return await self._start(self.spec(name), trigger, 1, dict(parameters or {}), wait=True)

    # ---- one run ----

    async def _execute(
        self, spec: JobSpec, task_id: int, holder: str, trigger: str, attempt: int, parameters: dict[str, Any]
    ) -> None:
        token = current_task_id.set(task_id)
        heartbeat = asyncio.create_task(self._heartbeat(spec, holder))
        started = self.clock()
        try:
            logger.info("job %s started (%s, attempt %d)", spec.name, trigger, attempt)
            context = RunContext(
                app=self.app,
                task_id=task_id,
                trigger=trigger,
                parameters=parameters,
                clock=self.clock,
                log=logging.getLogger(f"shelfkeeper.automation.{spec.name}"),
            )
            result = await spec.run(context)
            await asyncio.to_thread(self._finish, task_id, started, result, None)
            logger.info("job %s finished (%s): %s", spec.name, result.status, result.counts)
            if result.status == TaskStatus.FAILED:  # its services failed: try again later, as for an error
                error = RuntimeError(result.error or "its services failed")
                await asyncio.to_thread(self._schedule_retry, spec, attempt, parameters, error)
        except Exception as exc:  # a job's failure is recorded and retried, never crashes the scheduler
            logger.exception("job %s failed: %s", spec.name, exc)
            await asyncio.to_thread(self._finish, task_id, started, None, exc)
            await asyncio.to_thread(self._schedule_retry, spec, attempt, parameters, exc)
        finally:
            heartbeat.cancel()
            await asyncio.to_thread(self.leases.release, job_lock(spec.name), holder)
            current_task_id.reset(token)

    async def _heartbeat(self, spec: JobSpec, holder: str) -> None:
        while True:
            await asyncio.sleep(spec.lock_seconds / 3)
            await asyncio.to_thread(self.leases.renew, job_lock(spec.name), holder, spec.lock_seconds)

    def _finish(self, task_id: int, started: datetime, result: JobResult | None, error: BaseException | None) -> None:
        finished = self.clock()
        with unit_of_work(self.app.sessions) as session:
            task = session.get(Task, task_id)
            if task is None:  # deleted meanwhile (retention); nothing to record
                return
            task.finished_at = finished
            task.duration_seconds = round((finished - started).total_seconds(), 3)
            if error is None and result is not None:
                task.status = TaskStatus(result.status)
                task.counts, task.metrics = dict(result.counts), dict(result.metrics)
                task.error = result.error
            else:
                task.status = TaskStatus.FAILED
                task.error = f"{type(error).__name__}: {error}"
                task.traceback = "".join(traceback.format_exception(error)) if error else None
            _tell_outcome(session, task, finished)

    def _schedule_retry(
        self,
        spec: JobSpec,
        attempt: int,
        parameters: dict[str, Any],
        error: BaseException,
        *,
        delay: timedelta | None = None,
    ) -> None:
        """A pending retry Task: after a backoff for a failure, at once (``delay`` 0) for an interruption."""
        settings = self.app.settings
        if attempt > settings.job_retry_attempts:
            logger.warning("job %s gave up after %d attempts", spec.name, attempt)
            return
        if delay is None:
            delay = min(timedelta(minutes=settings.job_retry_base_minutes * 2 ** (attempt - 1)), MAX_BACKOFF)
        with unit_of_work(self.app.sessions) as session:
            session.add(
                Task(
                    name=spec.name,
                    trigger=TaskTrigger.RETRY,
                    status=TaskStatus.PENDING,
                    attempt=attempt + 1,
                    parameters=parameters,
                    scheduled_for=self.clock() + delay,
                    error=f"retry of a failed run: {type(error).__name__}: {error}",
                )
            )
        logger.info("job %s will be retried in %s (attempt %d)", spec.name, delay, attempt + 1)

    # ---- retries and recovery (run by the scheduler's leader) ----

    def due_retries(self) -> list[tuple[int, str, int, dict[str, Any]]]:
        with self.app.sessions() as session:
            rows = session.scalars(
                select(Task).where(
                    Task.status == TaskStatus.PENDING,
                    Task.trigger == TaskTrigger.RETRY,
                    Task.scheduled_for <= self.clock(),
                )
            ).all()
            return [(t.id, t.name, t.attempt, dict(t.parameters or {})) for t in rows]

    async def dispatch_due_retries(self) -> list[int]:
        """Start every retry whose time has come (and whose job is free); returns their Task ids."""
        await asyncio.to_thread(self.recover_interrupted)
        started: list[int] = []
        for task_id, name, attempt, parameters in await asyncio.to_thread(self.due_retries):
            spec = self.registry.get(name)
            if spec is None:
                continue
            try:
                started.append(await self._start(spec, TaskTrigger.RETRY, attempt, parameters, task_id))
            except Conflict:
                continue  # the job is running; the retry waits for the next pass
        return started

    def recover_interrupted(self) -> int:
        """Mark runs whose process is gone as interrupted, free their job and retry them at once.

        A run is gone when its job lock's holder is a process on this host that no longer lives (found at
        once, e.g. at start-up after a kill -9), or when its lock lapsed (any host: after the lock period).
        """
        gone = [lease for lease in self.leases.live("job:") if holder_is_gone(lease.holder, self.holder)]
        for lease in gone:
            self.leases.release(lease.name, lease.holder)
        dead_jobs = {lease.name.removeprefix("job:") for lease in gone}
        live = {lease.task_id for lease in self.leases.live("job:")}
        now = self.clock()
        with self.app.sessions() as session:
            orphans = session.scalars(select(Task).where(Task.status == TaskStatus.RUNNING)).all()
            lost = [
                (t.id, t.name, t.attempt, dict(t.parameters or {}))
                for t in orphans
                if t.id not in live and (t.name in dead_jobs or self._lapsed(t, now))
            ]
        for task_id, name, attempt, parameters in lost:
            error = RuntimeError("interrupted: the process running this job stopped before it finished")
            if not self._finish_interrupted(task_id, error):
                continue
            logger.warning("job %s (task %d) was interrupted; retrying it now", name, task_id)
            spec = self.registry.get(name)
            if spec is not None:
                self._schedule_retry(spec, attempt, parameters, error, delay=timedelta(0))
        return len(lost)

    def _lapsed(self, task: Task, now: datetime) -> bool:
        """A run younger than its lock period may still be claiming its lock: not lost yet."""
        spec = self.registry.get(task.name)
        grace = timedelta(seconds=spec.lock_seconds if spec else 120.0)
        return task.started_at is None or task.started_at < now - grace

    def _finish_interrupted(self, task_id: int, error: BaseException) -> bool:
        with unit_of_work(self.app.sessions) as session:
            task = session.get(Task, task_id)
            if task is None or task.status != TaskStatus.RUNNING:
                return False
            task.status = TaskStatus.INTERRUPTED
            task.finished_at = self.clock()
            task.error = str(error)
            return True

    def running_tasks(self, session: Session) -> list[Task]:
        return list(session.scalars(select(Task).where(Task.status == TaskStatus.RUNNING).order_by(Task.id)))

    async def wait_idle(self) -> None:
        """Wait for every background run started here (used at shutdown and by tests)."""
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)


NOTIFICATIONS_JOB = "notifications_task"  # its own failures are logged, not sent through itself
_OUTCOME_EVENTS = {TaskStatus.FAILED: EventType.JOB_FAILED, TaskStatus.PARTIAL: EventType.JOB_PARTIAL}


def _tell_outcome(session: Session, task: Task, now: datetime) -> None:
    """A failed or partial run becomes an event (and so a notification) when the job's previous run ended otherwise:
    a job failing every minute says so once, and again after it has worked in between."""
    kind = _OUTCOME_EVENTS.get(TaskStatus(task.status))
    if kind is None or task.name == NOTIFICATIONS_JOB:
        return
    previous = session.scalar(
        select(Task.status)
        .where(Task.name == task.name, Task.id != task.id, Task.finished_at.isnot(None))
        .order_by(Task.finished_at.desc(), Task.id.desc())
        .limit(1)
    )
    if previous == task.status:
        return
    done = ", ".join(f"{name} {count}" for name, count in sorted((task.counts or {}).items())) or "nothing counted"
    message = f"{task.name} ended {task.status}: {task.error or 'no error given'} ({done})."
    details = {"task_id": task.id, "job": task.name, "status": task.status, "error": task.error}
    events.record(session, Event(kind, message, at=now, details=details))
