"""Retention: delete old Task and MetadataCorrection rows; FailedAttempt rows are never deleted."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.db.tables import MetadataCorrection, ProviderCache, Task
from shelfkeeper.domain.lifecycle import FINISHED_TASK_STATUSES


def delete_old_rows(
    session: Session, now: datetime, retention_days: int, keep_task_id: int | None = None
) -> dict[str, int]:
    """Delete finished tasks and corrections created before the cutoff, and expired provider answers."""
    cutoff = now - timedelta(days=retention_days)
    corrections = session.execute(delete(MetadataCorrection).where(MetadataCorrection.created_at < cutoff))
    tasks = session.execute(
        delete(Task).where(
            Task.created_at < cutoff,
            Task.status.in_(FINISHED_TASK_STATUSES),
            Task.id != (keep_task_id or -1),
        )
    )
    cache = session.execute(delete(ProviderCache).where(ProviderCache.expires_at < now))
    return {
        "tasks_deleted": int(getattr(tasks, "rowcount", 0) or 0),
        "corrections_deleted": int(getattr(corrections, "rowcount", 0) or 0),
        "cache_entries_deleted": int(getattr(cache, "rowcount", 0) or 0),
    }


async def cleanup_old_tasks(run: RunContext) -> JobResult:
    """The daily cleanup job: what it deleted goes into the Task's counts."""
    days = int(run.parameters.get("retention_days") or run.app.settings.task_retention_days)
    now = run.now()
    counts = await run.transaction(lambda session: delete_old_rows(session, now, days, run.task_id))
    run.log.info("cleanup deleted %s", counts)
    return JobResult(counts=counts, metrics={"retention_days": days})
