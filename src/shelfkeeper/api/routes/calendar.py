"""The calendar of upcoming releases and recent imports, as JSON and as an iCal feed for calendar apps.

Calendar apps cannot send headers, so the feed (and only the feed) also takes the key as ``?apikey=``, as
Sonarr's does; every other route keeps refusing a key in the query string.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from shelfkeeper.api.auth import require_key_or_query
from shelfkeeper.api.deps import SessionDep
from shelfkeeper.api.envelope import Envelope, error_responses, ok
from shelfkeeper.api.schemas.events import CalendarEntryRead
from shelfkeeper.services import calendar

router = APIRouter(prefix="/api/calendar", tags=["system"])
feed_router = APIRouter(tags=["system"])
FEED_PAST = timedelta(days=30)
FEED_FUTURE = timedelta(days=365)


@router.get("", response_model=Envelope[list[CalendarEntryRead]], responses=error_responses())
def calendar_entries(
    session: SessionDep,
    start: Annotated[datetime | None, Query(description="From (ISO date or time); default: 7 days ago.")] = None,
    end: Annotated[datetime | None, Query(description="Until (exclusive); default: 60 days from now.")] = None,
) -> dict[str, Any]:
    """Wanted books released (or to be released) in the window, and the books imported in it, by date."""
    now = datetime.now(UTC)
    found = calendar.entries(session, _aware(start) or now - timedelta(days=7), _aware(end) or now + timedelta(days=60))
    return ok([CalendarEntryRead.of(entry) for entry in found])


@feed_router.get(
    "/feed/calendar.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, 401: {"description": "UNAUTHORIZED"}},
)
def calendar_feed(
    request: Request,
    session: SessionDep,
    apikey: Annotated[str | None, Query(description="The API key (calendar apps cannot send headers).")] = None,
) -> Response:
    """The iCal feed: releases from 30 days ago to a year ahead, and the imports of the last 30 days."""
    require_key_or_query(request, apikey, "add ?apikey=<key> to the feed's address")
    now = datetime.now(UTC)
    body = calendar.ical(calendar.entries(session, now - FEED_PAST, now + FEED_FUTURE), now)
    return Response(body, media_type="text/calendar; charset=utf-8")


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
