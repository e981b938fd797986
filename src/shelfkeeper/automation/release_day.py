"""Release day: a wanted book whose release date has come is searched at once, again every few hours for its first
days, and its followers are told."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from shelfkeeper.automation.acquisition import acquire_wanted
from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.db.tables import WantedBook
from shelfkeeper.domain.events import Event, EventType
from shelfkeeper.domain.lifecycle import WantedStatus
from shelfkeeper.services import events
from shelfkeeper.services.events import book_facts

RELEASED_FLAG = "release_day_notified"


async def release_day_task(run: RunContext) -> JobResult:
    """The job: mark the books released since the last run, notify, then search every book in its first days."""
    settings = run.app.settings
    now = run.now()
    released = await run.transaction(lambda s: mark_released(s, now))
    window = timedelta(days=settings.release_day_search_days)
    pause = timedelta(hours=settings.release_day_search_hours)
    due = await run.transaction(lambda s: due_for_search(s, now, window, pause))
    result = JobResult(counts={"released": len(released), "due": len(due)})
    if due:
        acquired = await acquire_wanted(run, due)
        for name, count in acquired.counts.items():
            result.add(name, count)
    return result


def mark_released(session: Session, now: datetime) -> list[int]:
    """Upcoming wanted books whose release date has come: no longer upcoming, and a "released" event each."""
    rows = session.scalars(
        select(WantedBook).where(
            WantedBook.upcoming.is_(True), WantedBook.release_date.isnot(None), WantedBook.release_date <= now
        )
    ).all()
    for row in rows:
        row.upcoming = False
        if (row.evidence or {}).get(RELEASED_FLAG):
            continue
        row.evidence = {**(row.evidence or {}), RELEASED_FLAG: now.isoformat()}
        followed = row.series_name or row.author_name or "a followed author"
        message = f"{row.title} by {row.author_name or 'unknown'} is out today ({followed}); searching for it now."
        events.record(session, Event(EventType.BOOK_RELEASED, message, at=now, book=book_facts(row)))
    return [row.id for row in rows]


def due_for_search(session: Session, now: datetime, window: timedelta, pause: timedelta) -> list[int]:
    """Wanted books released in the last ``window`` that were not searched in the last ``pause``."""
    query = select(WantedBook.id).where(
        WantedBook.status == WantedStatus.WANTED,
        WantedBook.approved.is_(True),
        WantedBook.release_date.isnot(None),
        WantedBook.release_date <= now,
        WantedBook.release_date >= now - window,
        or_(WantedBook.last_searched_at.is_(None), WantedBook.last_searched_at < now - pause),
    )
    return list(session.scalars(query.order_by(WantedBook.release_date.desc())))
