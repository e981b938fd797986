"""Scheduler endpoints: status, jobs, schedule changes, pause/resume, trigger, running, run history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, status

from shelfkeeper.api.deps import IdPath, PageDep, RunnerDep, SchedulerDep, SessionDep, SettingsDep
from shelfkeeper.api.envelope import Envelope, Page, error_responses, ok
from shelfkeeper.api.schemas.records import TaskRead
from shelfkeeper.api.schemas.scheduler import JobRead, JobUpdate, SchedulerStatus, TriggerAnswer, TriggerRequest
from shelfkeeper.domain.lifecycle import TaskStatus, TaskTrigger
from shelfkeeper.services import scheduler as service
from shelfkeeper.services.records import TASKS, get_record, list_records

router = APIRouter(prefix="/api/scheduler", tags=["scheduler"])
NOT_FOUND = {404: ("TASK_NOT_FOUND", "Task 42 not found.")}
JOB_NOT_FOUND = {404: ("JOB_NOT_FOUND", "No job called 'nope'; known jobs: cleanup_old_tasks, ...")}
RUNNING = {409: ("JOB_ALREADY_RUNNING", "Job cleanup_old_tasks is already running.")}


@router.get("/status", response_model=Envelope[SchedulerStatus], responses=error_responses())
def scheduler_status(session: SessionDep, scheduler: SchedulerDep, runner: RunnerDep) -> dict[str, object]:
    """Whether this process runs the scheduler, which process does, and what runs now."""
    return ok(
        {
            **scheduler.status(),
            "jobs": len(runner.registry),
            "running_tasks": [t.id for t in runner.running_tasks(session)],
        }
    )


@router.get("/jobs", response_model=Envelope[list[JobRead]], responses=error_responses())
def list_jobs(session: SessionDep, settings: SettingsDep, runner: RunnerDep) -> dict[str, object]:
    """Every job with its schedule, next and last run."""
    return ok(service.job_views(session, settings, runner.registry, runner.clock()))


@router.get("/jobs/{name}", response_model=Envelope[JobRead], responses=error_responses(404, codes=JOB_NOT_FOUND))
def get_job(session: SessionDep, settings: SettingsDep, runner: RunnerDep, name: str) -> dict[str, object]:
    """One job: schedule, enabled, next run, last run."""
    return ok(service.job_view(session, settings, runner.registry, name, runner.clock()))


@router.put("/jobs/{name}", response_model=Envelope[JobRead], responses=error_responses(404, codes=JOB_NOT_FOUND))
def change_job(
    session: SessionDep, settings: SettingsDep, runner: RunnerDep, name: str, body: JobUpdate
) -> dict[str, object]:
    """Change a job's schedule (cron) or enable/disable it; the scheduler applies it within seconds."""
    service.change_job(
        session,
        settings,
        runner.registry,
        name,
        schedule=body.schedule,
        enabled=body.enabled,
        reset_schedule=body.reset_schedule,
        now=runner.clock(),
    )
    return ok(service.job_view(session, settings, runner.registry, name, runner.clock()))


@router.post(
    "/jobs/{name}/pause", response_model=Envelope[JobRead], responses=error_responses(404, codes=JOB_NOT_FOUND)
)
def pause_job(session: SessionDep, settings: SettingsDep, runner: RunnerDep, name: str) -> dict[str, object]:
    """Stop a job's scheduled runs (it can still be triggered by hand)."""
    service.change_job(session, settings, runner.registry, name, enabled=False)
    return ok(service.job_view(session, settings, runner.registry, name, runner.clock()))


@router.post(
    "/jobs/{name}/resume", response_model=Envelope[JobRead], responses=error_responses(404, codes=JOB_NOT_FOUND)
)
def resume_job(session: SessionDep, settings: SettingsDep, runner: RunnerDep, name: str) -> dict[str, object]:
    """Resume a paused job's scheduled runs."""
    service.change_job(session, settings, runner.registry, name, enabled=True)
    return ok(service.job_view(session, settings, runner.registry, name, runner.clock()))


@router.post(
    "/trigger/{task_name}",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Envelope[TriggerAnswer],
    responses=error_responses(404, 409, codes={**JOB_NOT_FOUND, **RUNNING}),
)
async def trigger(
    runner: RunnerDep, task_name: str, body: Annotated[TriggerRequest | None, Body()] = None
) -> dict[str, object]:
    """Start a job now; answers at once with the Task id to follow in /api/scheduler/history/{id}."""
    task_id = await runner.trigger(task_name, parameters=body.parameters if body else None)
    return ok(TriggerAnswer(task_id=task_id, name=task_name))


@router.get("/running", response_model=Envelope[list[TaskRead]], responses=error_responses())
def running(session: SessionDep, runner: RunnerDep) -> dict[str, object]:
    """The runs going on now."""
    return ok([TaskRead.model_validate(t) for t in runner.running_tasks(session)])


@router.get("/history", response_model=Envelope[Page[TaskRead]], responses=error_responses())
def history(
    session: SessionDep,
    page: PageDep,
    name: Annotated[str | None, Query(max_length=100)] = None,
    status: TaskStatus | None = None,
    trigger: TaskTrigger | None = None,
    sort: Annotated[str | None, Query(description="started, created, duration, id; '-' for descending.")] = None,
) -> dict[str, object]:
    """Every job run, newest first."""
    result = list_records(session, TASKS, {"name": name, "status": status, "trigger": trigger}, page, sort)
    return ok(Page.of(result, TaskRead.model_validate))


@router.get("/history/{task_id}", response_model=Envelope[TaskRead], responses=error_responses(404, codes=NOT_FOUND))
def history_entry(session: SessionDep, task_id: IdPath) -> dict[str, object]:
    """One run: status, times, counts, metrics, error and traceback."""
    return ok(TaskRead.model_validate(get_record(session, TASKS, task_id)))
