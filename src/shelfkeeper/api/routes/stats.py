"""Figures for the charts: `GET /api/stats/library-growth` (series completion: /api/series/completion-summary)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from shelfkeeper.api.deps import SessionDep
from shelfkeeper.api.envelope import Envelope, error_responses, ok
from shelfkeeper.api.schemas.common import ApiModel
from shelfkeeper.services.library_growth import Interval, growth

router = APIRouter(prefix="/api/stats", tags=["system"])


class GrowthPointRead(ApiModel):
    start: date = Field(description="The period's first day (a month's 1st, a week's Monday).")
    added: int = Field(description="Books added to the library in the period.")
    total: int = Field(description="Books in the library at the period's end.")


class GrowthRead(ApiModel):
    interval: Interval
    points: list[GrowthPointRead]


@router.get("/library-growth", response_model=Envelope[GrowthRead], responses=error_responses())
def library_growth(
    session: SessionDep,
    interval: Annotated[Interval, Query(description="month or week.")] = "month",
    periods: Annotated[int, Query(ge=1, le=120, description="How many periods back from now (1-120).")] = 12,
) -> dict[str, object]:
    """Books added per period and the running total, oldest first, counted from when Audiobookshelf added each."""
    points = growth(session, interval, periods, datetime.now(UTC))
    read = [GrowthPointRead(start=p.start, added=p.added, total=p.total) for p in points]
    return ok(GrowthRead(interval=interval, points=read))
