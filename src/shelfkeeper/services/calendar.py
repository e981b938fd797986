"""The calendar: upcoming releases of wanted books and the imports of the period, in date order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import Download, WantedBook
from shelfkeeper.domain.lifecycle import DownloadStatus, WantedStatus
from shelfkeeper.errors import InvalidInput

MAX_DAYS = 400


@dataclass(frozen=True)
class CalendarEntry:
    """One day's entry: a wanted book released (or to be released) that day, or a book imported that day."""

    kind: str  # "release" or "import"
    at: datetime
    title: str
    author: str | None
    series: str | None
    position: str | None
    wanted_book_id: int | None
    book_id: int | None
    download_id: int | None
    status: str


def entries(session: Session, start: datetime, end: datetime) -> list[CalendarEntry]:
    """Releases of wanted (not ignored) books and imports between ``start`` and ``end``."""
    if end <= start:
        raise InvalidInput("end must be after start.", details=[_problem("end", "must be after start")])
    if (end - start).days > MAX_DAYS:
        raise InvalidInput(
            f"the calendar spans at most {MAX_DAYS} days.", details=[_problem("end", f"at most {MAX_DAYS} days")]
        )
    found = [_release(row) for row in _releases(session, start, end)]
    found += [_import(download, wanted) for download, wanted in _imports(session, start, end)]
    return sorted(found, key=lambda entry: (entry.at, entry.title))


def _releases(session: Session, start: datetime, end: datetime) -> list[WantedBook]:
    query = select(WantedBook).where(
        WantedBook.release_date.isnot(None),
        WantedBook.release_date >= start,
        WantedBook.release_date < end,
        WantedBook.status != WantedStatus.IGNORED,
    )
    return list(session.scalars(query))


def _imports(session: Session, start: datetime, end: datetime) -> list[tuple[Download, WantedBook | None]]:
    query = (
        select(Download, WantedBook)
        .outerjoin(WantedBook, WantedBook.id == Download.wanted_book_id)
        .where(
            Download.status == DownloadStatus.IMPORTED,
            Download.imported_at.isnot(None),
            Download.imported_at >= start,
            Download.imported_at < end,
        )
    )
    return [(download, wanted) for download, wanted in session.execute(query).all()]


def _release(row: WantedBook) -> CalendarEntry:
    assert row.release_date is not None
    return CalendarEntry(
        kind="release",
        at=row.release_date,
        title=row.title,
        author=row.author_name or None,
        series=row.series_name,
        position=row.series_position,
        wanted_book_id=row.id,
        book_id=row.book_id,
        download_id=None,
        status=row.status,
    )


def _import(download: Download, wanted: WantedBook | None) -> CalendarEntry:
    assert download.imported_at is not None
    return CalendarEntry(
        kind="import",
        at=download.imported_at,
        title=wanted.title if wanted else download.release_title,
        author=(wanted.author_name or None) if wanted else None,
        series=wanted.series_name if wanted else None,
        position=wanted.series_position if wanted else None,
        wanted_book_id=download.wanted_book_id,
        book_id=download.book_id,
        download_id=download.id,
        status=download.status,
    )


def _problem(field: str, message: str) -> dict[str, str]:
    return {"field": field, "location": "query", "message": message, "type": "value_error"}


def ical(items: list[CalendarEntry], now: datetime) -> bytes:
    """The entries as an iCalendar feed (all-day events), for calendar apps."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Shelfkeeper//Calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Shelfkeeper")
    for item in items:
        event = Event()
        ident = f"{item.kind}-{item.wanted_book_id or ''}-{item.download_id or ''}@shelfkeeper"
        event.add("uid", ident)
        event.add("dtstamp", now)
        event.add("dtstart", item.at.date())
        verb = "released" if item.kind == "release" else "imported"
        event.add("summary", f"{item.title} ({verb})")
        details = [part for part in (item.author, _series(item)) if part]
        if details:
            event.add("description", " · ".join(details))
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def _series(item: CalendarEntry) -> str | None:
    if not item.series:
        return None
    return f"{item.series} #{item.position}" if item.position else item.series
