"""The library's growth over time: books added per month (or week) and the running total, for the page's chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import Book

Interval = Literal["month", "week"]


@dataclass(frozen=True)
class GrowthPoint:
    """One period: its first day, the books added in it, and the books in the library at its end."""

    start: date
    added: int
    total: int


def period_start(day: date, interval: Interval) -> date:
    """The first day of the month, or the Monday of the week, holding ``day``."""
    if interval == "month":
        return day.replace(day=1)
    return day - timedelta(days=day.weekday())


def _previous(start: date, interval: Interval) -> date:
    if interval == "week":
        return start - timedelta(days=7)
    return (start - timedelta(days=1)).replace(day=1)


def growth(session: Session, interval: Interval, periods: int, now: datetime) -> list[GrowthPoint]:
    """The last ``periods`` periods up to ``now``, oldest first; a book counts from when Audiobookshelf added it
    (or, when the server did not say, from when Shelfkeeper first saw it). Removed books are left out."""
    starts = [period_start(now.astimezone(UTC).date(), interval)]
    while len(starts) < periods:
        starts.append(_previous(starts[-1], interval))
    starts.reverse()
    first = datetime(starts[0].year, starts[0].month, starts[0].day)
    added_at = func.coalesce(Book.abs_added_at, Book.created_at)
    in_library = Book.in_library.is_(True)
    before = session.scalar(select(func.count()).select_from(Book).where(in_library, added_at < first)) or 0
    counts = dict.fromkeys(starts, 0)
    for (when,) in session.execute(select(added_at).where(in_library, added_at >= first)):
        day = (when.astimezone(UTC) if when.tzinfo else when).date()
        key = period_start(day, interval)
        if key in counts:
            counts[key] += 1
    points: list[GrowthPoint] = []
    total = before
    for start in starts:
        total += counts[start]
        points.append(GrowthPoint(start=start, added=counts[start], total=total))
    return points
