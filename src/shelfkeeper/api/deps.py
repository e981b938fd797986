"""Request dependencies: the unit of work, the settings and the app context, as Annotated aliases.

The ones that do no I/O are ``async``: FastAPI runs a plain ``def`` dependency in a worker thread, a thread hop
(and a wait for a core) per dependency per request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session

from shelfkeeper.api.schemas.common import CONTROL_CHARACTERS_MESSAGE, has_control_characters
from shelfkeeper.context import AppContext
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.jobs.runner import JobRunner
from shelfkeeper.jobs.scheduler import SchedulerService
from shelfkeeper.services.paging import PageRequest
from shelfkeeper.settings import Settings

# Row ids are 32-bit integers in PostgreSQL; a larger one is refused here, not by the database (a 500).
MAX_ID = 2**31 - 1
MAX_OFFSET = 2**31 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="A row id (1 to 2147483647).")]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="A row id (1 to 2147483647).")]


async def refuse_control_characters(request: Request) -> None:
    """A path or query value holding NUL or another control character is a 422, on both databases.

    Async (it only reads the request): a sync dependency would cost every protected request a worker-thread hop.
    """
    values = [("path", name, value) for name, value in request.path_params.items()]
    values += [("query", name, value) for name, value in request.query_params.multi_items()]
    errors = [
        {
            "type": "value_error",
            "loc": (where, name),
            "msg": f"Value error, {CONTROL_CHARACTERS_MESSAGE}",
            "input": value,
        }
        for where, name, value in values
        if has_control_characters(value) or has_control_characters(name)
    ]
    if errors:
        raise RequestValidationError(errors)


async def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed before the response is sent, rolled back on error."""
    context: AppContext = request.app.state.context
    with unit_of_work(context.sessions) as session:
        yield session


def get_runner(request: Request) -> JobRunner:
    context: AppContext = request.app.state.context
    return context.job_runner()


def get_scheduler(request: Request) -> SchedulerService:
    context: AppContext = request.app.state.context
    return context.job_scheduler()


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.context.settings
    return settings


async def get_page(
    limit: Annotated[int, Query(ge=1, le=500, description="Items per page (1-500).")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


ContextDep = Annotated[AppContext, Depends(get_context)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PageDep = Annotated[PageRequest, Depends(get_page)]
RunnerDep = Annotated[JobRunner, Depends(get_runner)]
SchedulerDep = Annotated[SchedulerService, Depends(get_scheduler)]
