"""Request dependencies: the unit of work, the settings and the app context, as Annotated aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from shelfkeeper.context import AppContext
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.jobs.runner import JobRunner
from shelfkeeper.jobs.scheduler import SchedulerService
from shelfkeeper.services.paging import PageRequest
from shelfkeeper.settings import Settings


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed before the response is sent, rolled back on error."""
    with unit_of_work(get_context(request).sessions) as session:
        yield session


def get_runner(request: Request) -> JobRunner:
    return get_context(request).job_runner()


def get_scheduler(request: Request) -> SchedulerService:
    return get_context(request).job_scheduler()


def get_settings(request: Request) -> Settings:
    return get_context(request).settings


def get_page(
    limit: Annotated[int, Query(ge=1, le=500, description="Items per page (1-500).")] = 50,
    offset: Annotated[int, Query(ge=0, description="Items to skip.")] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


ContextDep = Annotated[AppContext, Depends(get_context)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PageDep = Annotated[PageRequest, Depends(get_page)]
RunnerDep = Annotated[JobRunner, Depends(get_runner)]
SchedulerDep = Annotated[SchedulerService, Depends(get_scheduler)]
