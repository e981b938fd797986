"""Series endpoints: list, create, get, update, delete, a series' books, completion summary."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from shelfkeeper.api.deps import ContextDep, IdPath, PageDep, SessionDep
from shelfkeeper.api.envelope import (
    Envelope,
    EnvelopeRows,
    Page,
    PageRows,
    answer_rows,
    error_responses,
    ok,
    page_rows,
)
from shelfkeeper.api.read_route import ReadRoute
from shelfkeeper.api.routes.wanted import found_read
from shelfkeeper.api.schemas.books import BookRead
from shelfkeeper.api.schemas.common import Deleted
from shelfkeeper.api.schemas.series import (
    CompletionSummary,
    CompletionSummaryRows,
    SeriesCreate,
    SeriesRead,
    SeriesRow,
    SeriesUpdate,
)
from shelfkeeper.api.schemas.wanted import WantedFound, WantedRead, WantedStatusName
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.services import series as service
from shelfkeeper.services import wanted_list

# Automation (providers, domain rules) is imported inside the routes that run it: loaded on first use, it stays
# out of start-up (docs/performance.md).
router = APIRouter(prefix="/api/series", tags=["series"], route_class=ReadRoute)
# The answers' row types, spelled once: not subscripted again for every request.
SERIES_PAGE = EnvelopeRows[PageRows[SeriesRow]]
COMPLETION_PAGE = EnvelopeRows[CompletionSummaryRows]
NOT_FOUND = {404: ("SERIES_NOT_FOUND", "Series 42 not found.")}
EXISTS = {409: ("SERIES_ALREADY_EXISTS", "Series 3 is already called 'The Expanse'.")}


@router.get("", response_model=Envelope[Page[SeriesRead]], responses=error_responses())
async def list_series(
    context: ContextDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=200, description="Words of the series name.")] = None,
    monitored: bool | None = None,
    complete: Annotated[bool | None, Query(description="Only complete (true) or incomplete (false) series.")] = None,
    sort: Annotated[
        str | None, Query(description="name, completion, owned, created, updated, id; '-' for descending.")
    ] = None,
) -> Response:
    """List series with their completion."""
    filters = service.SeriesFilters(q=q, monitored=monitored, complete=complete)

    return await answer_rows(
        context.engine,
        lambda connection: page_rows(service.list_series_rows(connection, filters, page, sort)),
        SERIES_PAGE,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Envelope[SeriesRead],
    responses=error_responses(409, codes=EXISTS),
)
def create_series(session: SessionDep, body: SeriesCreate) -> dict[str, object]:
    """Add a series by hand (library sync adds the rest)."""
    return ok(SeriesRead.model_validate(service.create_series(session, body.model_dump())))


@router.get("/completion-summary", response_model=Envelope[CompletionSummary], responses=error_responses())
async def completion_summary(
    context: ContextDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    monitored: bool | None = None,
    complete: bool | None = None,
) -> Response:
    """Owned against known positions for every series, with the missing positions."""
    filters = service.SeriesFilters(q=q, monitored=monitored, complete=complete)
    return await answer_rows(
        context.engine,
        lambda connection: service.completion_summary(connection, filters, page),
        COMPLETION_PAGE,
    )


@router.get("/{series_id}", response_model=Envelope[SeriesRead], responses=error_responses(404, codes=NOT_FOUND))
def get_series(session: SessionDep, series_id: IdPath) -> dict[str, object]:
    """One series."""
    return ok(SeriesRead.model_validate(service.get_series(session, series_id)))


@router.put(
    "/{series_id}",
    response_model=Envelope[SeriesRead],
    responses=error_responses(404, 409, codes={**NOT_FOUND, **EXISTS}),
)
def update_series(session: SessionDep, series_id: IdPath, body: SeriesUpdate) -> dict[str, object]:
    """Replace a series' fields (name, known positions, monitored…)."""
    return ok(SeriesRead.model_validate(service.update_series(session, series_id, body.model_dump())))


@router.delete("/{series_id}", response_model=Envelope[Deleted], responses=error_responses(404, codes=NOT_FOUND))
def delete_series(session: SessionDep, series_id: IdPath) -> dict[str, object]:
    """Forget a series (its books stay)."""
    service.delete_series(session, series_id)
    return ok(Deleted(id=series_id))


@router.get(
    "/{series_id}/books", response_model=Envelope[Page[BookRead]], responses=error_responses(404, codes=NOT_FOUND)
)
def series_books(session: SessionDep, series_id: IdPath, page: PageDep) -> dict[str, object]:
    """A series' books in reading order."""
    result = service.series_books(session, series_id, page)
    return ok(Page.of(result, BookRead.of))


# ---- the wanted list of a series (series completion) ----


@router.get(
    "/{series_id}/missing", response_model=Envelope[list[WantedRead]], responses=error_responses(404, codes=NOT_FOUND)
)
def series_missing(
    session: SessionDep,
    series_id: IdPath,
    status_: Annotated[
        WantedStatusName | None, Query(alias="status", description="Only this status; imported ones need it.")
    ] = None,
) -> dict[str, object]:
    """The series' books on the wanted list, in reading order, each with its reason and evidence."""
    return ok([WantedRead.of(row) for row in wanted_list.series_missing(session, series_id, status_)])


@router.post(
    "/{series_id}/complete", response_model=Envelope[WantedFound], responses=error_responses(404, codes=NOT_FOUND)
)
async def complete_series(context: ContextDep, series_id: IdPath) -> dict[str, object]:
    """Search the gaps of this series now (Audible, Audnexus, MAM) and return the wanted books found.

    A failing provider is reported in `provider_failures`, never an error; grabbing is left to the scheduled job.
    """
    run = RunContext(app=context, parameters={"series_id": series_id, "acquire": False})
    from shelfkeeper.automation.series_completion import check_series

    return ok(found_read(await check_series(run, series_id)))


@router.post(
    "/{series_id}/monitor", response_model=Envelope[SeriesRead], responses=error_responses(404, codes=NOT_FOUND)
)
def monitor_series(session: SessionDep, series_id: IdPath) -> dict[str, object]:
    """Monitor a series: series completion checks it."""
    return ok(SeriesRead.model_validate(wanted_list.set_series_monitored(session, series_id, True)))


@router.post(
    "/{series_id}/unmonitor", response_model=Envelope[SeriesRead], responses=error_responses(404, codes=NOT_FOUND)
)
def unmonitor_series(session: SessionDep, series_id: IdPath) -> dict[str, object]:
    """Stop monitoring a series: series completion leaves it alone (its wanted books stay)."""
    return ok(SeriesRead.model_validate(wanted_list.set_series_monitored(session, series_id, False)))
