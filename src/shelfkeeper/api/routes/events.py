"""The event history (the *arr History): what was wanted, grabbed, imported, failed, released, found unhealthy."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from shelfkeeper.api.deps import PageDep, SessionDep
from shelfkeeper.api.envelope import Envelope, Page, error_responses, ok
from shelfkeeper.api.schemas.events import EventRead
from shelfkeeper.domain.events import EventType
from shelfkeeper.services import events

router = APIRouter(prefix="/api/events", tags=["system"])


@router.get("", response_model=Envelope[Page[EventRead]], responses=error_responses())
def list_events(
    session: SessionDep,
    page: PageDep,
    type: Annotated[list[EventType] | None, Query(description="Only these event types (repeat the parameter).")] = None,
    book_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    wanted_book_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    download_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> dict[str, Any]:
    """The history, newest first, filtered by type and by the book, wanted book or download it is about."""
    result = events.list_events(
        session, page, types=type or (), book_id=book_id, wanted_book_id=wanted_book_id, download_id=download_id
    )
    return ok(Page.of(result, EventRead.of))
