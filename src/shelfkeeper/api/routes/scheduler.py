"""Scheduler endpoints: run history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shelfkeeper.api.deps import PageDep, SessionDep
from shelfkeeper.api.envelope import Envelope, Page, error_responses, ok
from shelfkeeper.api.schemas.records import TaskRead
from shelfkeeper.domain.lifecycle import TaskStatus, TaskTrigger
from shelfkeeper.services.records import TASKS, get_record, list_records

router = APIRouter(prefix="/api/scheduler", tags=["scheduler"])
NOT_FOUND = {404: ("TASK_NOT_FOUND", "Task 42 not found.")}


@router.get("/history", response_model=Envelope[Page[TaskRead]], responses=error_responses())
def history(
    session: SessionDep, page: PageDep,
    name: Annotated[str | None, Query(max_length=100)] = None,
    status: TaskStatus | None = None,
    trigger: TaskTrigger | None = None,
    sort: Annotated[str | None, Query(description="started, created, duration, id; '-' for descending.")] = None,
) -> dict[str, object]:
    """Every job run, newest first."""
    result = list_records(session, TASKS, {"name": name, "status": status, "trigger": trigger}, page, sort)
    return ok(Page(items=[TaskRead.model_validate(t) for t in result.items], total=result.total,
                   limit=result.limit, offset=result.offset))


@router.get("/history/{task_id}", response_model=Envelope[TaskRead], responses=error_responses(404, codes=NOT_FOUND))
def history_entry(session: SessionDep, task_id: int) -> dict[str, object]:
    """One run: status, times, counts, metrics, error and traceback."""
    return ok(TaskRead.model_validate(get_record(session, TASKS, task_id)))
