"""Scheduler use cases: each job's effective schedule, its next and last run, and changes through the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import JobSetting, Lease, Task
from shelfkeeper.domain.lifecycle import FINISHED_TASK_STATUSES, TaskStatus
from shelfkeeper.errors import InvalidInput, NotFound
from shelfkeeper.settings import DEFAULT_SCHEDULES, Settings


class Described(Protocol):
    """What the scheduler reads of a registered job (``jobs.registry.JobSpec``)."""

    @property
    def description(self) -> str: ...

    @property
    def frequent(self) -> bool: ...


@dataclass(frozen=True)
class JobPlan:
    name: str
    description: str
    schedule: str
    default_schedule: str
    enabled: bool
    overridden: bool
    frequent: bool = False  # as the registry says: missed runs get a shorter grace


def job_plans(session: Session, settings: Settings, registry: Mapping[str, Described]) -> list[JobPlan]:
    """Every registered job with its schedule: the API's change, else the setting, else the default."""
    stored = {row.name: row for row in session.scalars(select(JobSetting))}
    plans = []
    for name in sorted(registry):
        row = stored.get(name)
        configured = settings.schedule_for(name) if name in DEFAULT_SCHEDULES else "0 0 * * *"
        plans.append(
            JobPlan(
                name=name,
                description=registry[name].description,
                schedule=(row.schedule if row and row.schedule else configured),
                default_schedule=configured,
                enabled=row.enabled if row else True,
                overridden=bool(row and row.schedule),
                frequent=registry[name].frequent,
            )
        )
    return plans


def parse_cron(expression: str, timezone: str, now: datetime | None = None) -> Any:
    """A CronTrigger for a five-field crontab expression; 422 naming the problem when it is not one.

    An expression that never fires ("0 0 31 2 *": there is no 31 February) is refused too: accepted,
    it would leave the job silently never running.
    """
    from apscheduler.triggers.cron import CronTrigger

    try:
        trigger = CronTrigger.from_crontab(expression.strip(), timezone=timezone)
    except ValueError as exc:
        raise InvalidInput(
            f"schedule: {expression!r} is not a valid cron expression ({exc})",
            details=[{"field": "schedule", "message": str(exc)}],
        ) from None
    if trigger.get_next_fire_time(None, now or datetime.now(UTC)) is None:
        reason = "it never fires: no date matches its day and month fields"
        raise InvalidInput(
            f"schedule: {expression!r} {reason}", details=[{"field": "schedule", "message": reason}]
        ) from None
    return trigger


def next_fire_time(trigger: Any, stored: datetime | None, now: datetime) -> datetime | None:
    """The job store's next run when it belongs to this schedule, else the schedule's own next time.

    Right after a schedule change the store still holds the old schedule's next run until the scheduler
    applies the change; the answer shows the new schedule's.
    """
    if stored is not None and trigger.get_next_fire_time(None, stored - timedelta(microseconds=1)) == stored:
        return stored
    fire: datetime | None = trigger.get_next_fire_time(None, now)
    return fire


def _stored_next_runs(session: Session) -> dict[str, datetime]:
    """Next run times from APScheduler's job store (shared by every process), when it exists."""
    from sqlalchemy import inspect, text

    if not inspect(session.get_bind()).has_table("apscheduler_jobs"):
        return {}
    rows = session.execute(text("SELECT id, next_run_time FROM apscheduler_jobs")).all()
    return {job_id: datetime.fromtimestamp(when, UTC) for job_id, when in rows if when is not None}


def job_views(
    session: Session, settings: Settings, registry: Mapping[str, Described], now: datetime
) -> list[dict[str, Any]]:
    """What the API shows of each job: schedule, enabled, next run, last run, whether it runs now."""
    stored_next = _stored_next_runs(session)
    last_ids = dict(
        session.execute(
            select(Task.name, func.max(Task.id))
            .where(Task.status.in_([*FINISHED_TASK_STATUSES - {TaskStatus.CANCELLED}, TaskStatus.RUNNING]))
            .group_by(Task.name)
        ).all()
    )
    last = {t.name: t for t in session.scalars(select(Task).where(Task.id.in_(list(last_ids.values()))))}
    locks = {
        row.name.removeprefix("job:"): row
        for row in session.scalars(select(Lease).where(Lease.name.startswith("job:"), Lease.expires_at >= now))
    }
    views = []
    for plan in job_plans(session, settings, registry):
        next_run = None
        if plan.enabled:
            trigger = parse_cron(plan.schedule, settings.timezone, now)
            next_run = next_fire_time(trigger, stored_next.get(plan.name), now)
        task = last.get(plan.name)
        views.append(
            {
                "name": plan.name,
                "description": plan.description,
                "schedule": plan.schedule,
                "default_schedule": plan.default_schedule,
                "overridden": plan.overridden,
                "enabled": plan.enabled,
                "timezone": settings.timezone,
                "next_run_at": next_run,
                "running": plan.name in locks,
                "running_task_id": locks[plan.name].task_id if plan.name in locks else None,
                "last_run": None
                if task is None
                else {
                    "task_id": task.id,
                    "status": task.status,
                    "trigger": task.trigger,
                    "started_at": task.started_at,
                    "finished_at": task.finished_at,
                    "duration_seconds": task.duration_seconds,
                    "error": task.error,
                },
            }
        )
    return views


def job_view(
    session: Session, settings: Settings, registry: Mapping[str, Described], name: str, now: datetime
) -> dict[str, Any]:
    for view in job_views(session, settings, registry, now):
        if view["name"] == name:
            return view
    raise NotFound(f"No job called {name!r}; known jobs: {', '.join(sorted(registry))}.", code="JOB_NOT_FOUND")


def change_job(
    session: Session,
    settings: Settings,
    registry: Mapping[str, Described],
    name: str,
    *,
    schedule: str | None = None,
    enabled: bool | None = None,
    reset_schedule: bool = False,
    now: datetime | None = None,
) -> None:
    """Store a new schedule and/or enabled flag for a job; the scheduler applies it within one poll."""
    if name not in registry:
        raise NotFound(f"No job called {name!r}; known jobs: {', '.join(sorted(registry))}.", code="JOB_NOT_FOUND")
    if schedule is not None:
        parse_cron(schedule, settings.timezone, now)
    row = session.get(JobSetting, name)
    if row is None:
        row = JobSetting(name=name, enabled=True)
        session.add(row)
    if reset_schedule:
        row.schedule = None
    elif schedule is not None:
        row.schedule = " ".join(schedule.split())
    if enabled is not None:
        row.enabled = enabled
    session.flush()
