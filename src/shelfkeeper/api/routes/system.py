"""System endpoints (backups too): status, configuration, statistics, failed attempts, integrations."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import PlainTextResponse

from shelfkeeper.api.deps import ContextDep, IdPath, IdQuery, PageDep, RunnerDep, SessionDep
from shelfkeeper.api.envelope import Envelope, Page, error_responses, ok
from shelfkeeper.api.routes.settings import settings_store
from shelfkeeper.api.schemas.records import BackupRead, FailedAttemptRead, TaskRead
from shelfkeeper.api.schemas.system import IntegrationRead
from shelfkeeper.context import AppContext
from shelfkeeper.domain.lifecycle import FailureKind
from shelfkeeper.integrations import Integrations
from shelfkeeper.metrics import CONTENT_TYPE
from shelfkeeper.services import backup, system
from shelfkeeper.services.records import FAILED_ATTEMPTS, TASKS, get_record, list_records
from shelfkeeper.stored_settings import test_unsaved

router = APIRouter(prefix="/api/system", tags=["system"])
metrics_router = APIRouter(tags=["system"])
NOT_FOUND = {404: ("FAILED_ATTEMPT_NOT_FOUND", "Failed attempt 42 not found.")}


@metrics_router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"text/plain": {"example": 'shelfkeeper_books{in_library="true"} 4212.0'}}},
        **error_responses(),
    },
)
def prometheus_metrics(context: ContextDep) -> PlainTextResponse:
    """Prometheus metrics in the text exposition format (the one answer that is not an envelope)."""
    return PlainTextResponse(context.request_metrics().render(), media_type=CONTENT_TYPE)


@router.get("/status", response_model=Envelope[dict[str, Any]], responses=error_responses())
def status(context: ContextDep) -> dict[str, object]:
    """Version, database (backend, revision), uptime, scheduler and configuration notes."""
    return ok(system.status(context))


@router.get("/config", response_model=Envelope[dict[str, Any]], responses=error_responses())
def configuration(context: ContextDep) -> dict[str, object]:
    """Every setting in force, secrets redacted."""
    return ok(system.redacted_configuration(context))


@router.get("/stats", response_model=Envelope[dict[str, Any]], responses=error_responses())
def statistics(session: SessionDep) -> dict[str, object]:
    """Counts of books, series, authors, and of wanted books, downloads, tasks and corrections by status."""
    return ok(system.statistics(session))


@router.get("/failed-attempts", response_model=Envelope[Page[FailedAttemptRead]], responses=error_responses())
def failed_attempts(
    session: SessionDep,
    page: PageDep,
    kind: FailureKind | None = None,
    book_id: IdQuery = None,
    wanted_book_id: IdQuery = None,
    download_id: IdQuery = None,
    task_id: IdQuery = None,
    sort: Annotated[str | None, Query(description="created, id; '-' for descending.")] = None,
) -> dict[str, object]:
    """The permanent audit trail of failures, newest first."""
    filters = {
        "kind": kind,
        "book_id": book_id,
        "wanted_book_id": wanted_book_id,
        "download_id": download_id,
        "task_id": task_id,
    }
    result = list_records(session, FAILED_ATTEMPTS, filters, page, sort)
    return ok(Page.of(result, FailedAttemptRead.model_validate))


@router.get(
    "/failed-attempts/{attempt_id}",
    response_model=Envelope[FailedAttemptRead],
    responses=error_responses(404, codes=NOT_FOUND),
)
def failed_attempt(session: SessionDep, attempt_id: IdPath) -> dict[str, object]:
    """One failure with its evidence."""
    return ok(FailedAttemptRead.model_validate(get_record(session, FAILED_ATTEMPTS, attempt_id)))


@router.post(
    "/cleanup",
    response_model=Envelope[TaskRead],
    responses=error_responses(409, codes={409: ("JOB_ALREADY_RUNNING", "Job cleanup_old_tasks is already running.")}),
)
async def cleanup(context: ContextDep, runner: RunnerDep) -> dict[str, object]:
    """Run the retention cleanup now and return its Task with what it deleted."""
    task_id = await runner.run_now("cleanup_old_tasks")
    with context.sessions() as session:
        return ok(TaskRead.model_validate(get_record(session, TASKS, task_id)))


def _integrations(context: AppContext) -> Integrations:
    return context.integrations


@router.get("/integrations", response_model=Envelope[list[IntegrationRead]], responses=error_responses())
async def integrations(
    context: ContextDep,
    check: Annotated[
        bool, Query(description="Test every configured service now (all at once, each within a time limit).")
    ] = False,
) -> dict[str, object]:
    """Each outside service: configured, reachable, version, credentials accepted, last error, budget left.

    Without ``check`` the answer shows the last known result and calls no service.
    """
    statuses = await _integrations(context).statuses(check=check)
    return ok([IntegrationRead.model_validate(status) for status in statuses])


@router.post(
    "/integrations/{name}/test",
    response_model=Envelope[IntegrationRead],
    responses=error_responses(404, codes={404: ("INTEGRATION_NOT_FOUND", "No integration named 'sonarr'.")}),
)
async def check_integration(
    context: ContextDep,
    name: str,
    values: Annotated[
        dict[str, Any] | None,
        Body(
            description="Settings to test before saving them (as for PATCH /api/settings); the others in force.",
            examples=[{"qb_host": "qbittorrent", "qb_port": 8080, "qb_username": "admin", "qb_password": "s3cret"}],
        ),
    ] = None,
) -> dict[str, object]:
    """Test one service now; a failing service is a result (reachable or auth_ok false), not an error.

    With a body the given values are tested (validated as for ``PATCH /api/settings``), nothing is saved or
    remembered."""
    registry = _integrations(context)
    if values:
        candidate = await asyncio.to_thread(settings_store(context).candidate, values)
        return ok(IntegrationRead.model_validate(await test_unsaved(registry, candidate, name)))
    return ok(IntegrationRead.model_validate(await registry.status(name, check=True)))


@router.post("/backup", status_code=201, response_model=Envelope[BackupRead], responses=error_responses())
def backup_now(context: ContextDep) -> dict[str, object]:
    """Write a consistent copy of the database into `<DATA_DIR>/backups` (SQLite copy or pg_dump)."""
    made = backup.create_backup(
        context.engine, context.settings.data_dir, now=datetime.now(UTC), keep=context.settings.backup_keep
    )
    return ok(BackupRead.model_validate(made, from_attributes=True))


@router.get("/backups", response_model=Envelope[list[BackupRead]], responses=error_responses())
def list_backups(context: ContextDep) -> dict[str, object]:
    """The backups kept in the data directory, newest first."""
    return ok(
        [BackupRead.model_validate(b, from_attributes=True) for b in backup.list_backups(context.settings.data_dir)]
    )
