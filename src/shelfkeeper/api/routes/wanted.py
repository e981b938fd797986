"""Wanted-list endpoints: list, get, add by hand, approve, ignore, delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from shelfkeeper.api.deps import IdPath, PageDep, SessionDep
from shelfkeeper.api.envelope import Envelope, Page, error_responses, ok
from shelfkeeper.api.schemas.common import Deleted
from shelfkeeper.api.schemas.wanted import (
    ExclusionRead,
    ProviderFailureRead,
    WantedCreate,
    WantedFound,
    WantedRead,
    WantedReasonName,
    WantedStatusName,
)
from shelfkeeper.automation.run_context import utc_now
from shelfkeeper.services import wanted_list as service

router = APIRouter(prefix="/api/wanted", tags=["wanted"])
NOT_FOUND = {404: ("WANTED_NOT_FOUND", "Wanted book 42 not found.")}
STATE = {409: ("WANTED_STATE_CONFLICT", "Wanted book 42 is imported; it cannot be ignored.")}
EXISTS = {409: ("WANTED_ALREADY_EXISTS", "'Oathbringer' is already on the wanted list as 7 ('Oathbringer', wanted).")}


def found_read(outcome: Any) -> WantedFound:
    """What a series gap search or an author discovery found, for the response."""
    return WantedFound(
        subject_id=outcome.subject_id,
        name=outcome.name,
        missing=[WantedRead.of(row) for row in outcome.missing],
        counts=outcome.counts,
        provider_failures=[ProviderFailureRead(**failure.__dict__) for failure in outcome.failures],
        excluded=[ExclusionRead(**facts) for facts in outcome.excluded],
    )


def page_read(result: Any) -> Page[WantedRead]:
    return Page.of(result, WantedRead.of)


@router.get("", response_model=Envelope[Page[WantedRead]], responses=error_responses())
def list_wanted(
    session: SessionDep,
    page: PageDep,
    reason: WantedReasonName | None = None,
    status_: Annotated[WantedStatusName | None, Query(alias="status")] = None,
    approved: bool | None = None,
    series_id: Annotated[int | None, Query(ge=1)] = None,
    author_id: Annotated[int | None, Query(ge=1)] = None,
    upcoming: bool | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Words of the title or author.")] = None,
    sort: Annotated[
        str | None,
        Query(
            description="created, updated, title, author, release_date, priority, reason, status, last_searched, "
            "id; '-' for descending (default -created)."
        ),
    ] = None,
) -> dict[str, object]:
    """The wanted list, filtered by reason, status, approval, series, author or upcoming, sorted and paged."""
    filters = service.WantedFilters(
        reason=reason,
        status=status_,
        approved=approved,
        series_id=series_id,
        author_id=author_id,
        upcoming=upcoming,
        q=q,
    )
    return ok(page_read(service.list_wanted(session, filters, page, sort)))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Envelope[WantedRead],
    responses=error_responses(409, codes=EXISTS),
)
def add_wanted(session: SessionDep, body: WantedCreate) -> dict[str, object]:
    """Want a book by hand (reason manual).

    409 WANTED_ALREADY_EXISTS when it is listed already, 409 BOOK_ALREADY_EXISTS when the library has it.
    """
    row = service.add_manual(session, body.model_dump(), utc_now())
    return ok(WantedRead.of(row))


@router.get("/{wanted_id}", response_model=Envelope[WantedRead], responses=error_responses(404, codes=NOT_FOUND))
def get_wanted(session: SessionDep, wanted_id: IdPath) -> dict[str, object]:
    """One wanted book with its evidence."""
    return ok(WantedRead.of(service.get_wanted(session, wanted_id)))


@router.post(
    "/{wanted_id}/approve",
    response_model=Envelope[WantedRead],
    responses=error_responses(404, 409, codes={**NOT_FOUND, **STATE}),
)
def approve_wanted(session: SessionDep, wanted_id: IdPath) -> dict[str, object]:
    """Approve a book for grabbing (top-10 finds wait for this); an ignored or failed one is wanted again."""
    return ok(WantedRead.of(service.approve_wanted(session, wanted_id)))


@router.post(
    "/{wanted_id}/ignore",
    response_model=Envelope[WantedRead],
    responses=error_responses(404, 409, codes={**NOT_FOUND, **STATE}),
)
def ignore_wanted(session: SessionDep, wanted_id: IdPath) -> dict[str, object]:
    """Put a book on the ignore list: later runs leave it alone (approve it to want it again)."""
    return ok(WantedRead.of(service.ignore_wanted(session, wanted_id)))


@router.delete(
    "/{wanted_id}", response_model=Envelope[Deleted], responses=error_responses(404, 409, codes={**NOT_FOUND, **STATE})
)
def delete_wanted(session: SessionDep, wanted_id: IdPath) -> dict[str, object]:
    """Forget a wanted book (a later run may find it again: ignore it to keep it off the list)."""
    service.delete_wanted(session, wanted_id)
    return ok(Deleted(id=wanted_id))
