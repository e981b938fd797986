"""The event history: recorded in the same transaction as the change it tells of, read by notifications and the API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import Book, Download, EventRow, MetadataCorrection, WantedBook
from shelfkeeper.domain.events import Event, EventType
from shelfkeeper.services.paging import PageRequest, PageResult

# A target seen for the first time gets the events of the last hour, not the whole history.
FIRST_DELIVERY_WINDOW = timedelta(hours=1)


def record(session: Session, event: Event) -> EventRow:
    """Add ``event`` to the history; it is sent to the notification targets once the caller commits."""
    row = EventRow(
        type=event.type.value,
        message=event.message,
        book_id=_int(event.book.get("book_id")),
        wanted_book_id=_int(event.book.get("wanted_book_id")),
        download_id=_int(event.download.get("id")),
        data={"book": event.book, "release": event.release, "download": event.download, "details": event.details},
    )
    if event.at is not None:
        row.created_at = event.at
    session.add(row)
    session.flush()
    if row.created_at is None:
        session.refresh(row, ["created_at"])
    return row


def event_of(row: EventRow) -> Event:
    data = row.data or {}
    return Event(
        type=EventType(row.type),
        message=row.message,
        at=row.created_at,
        book=dict(data.get("book") or {}),
        release=dict(data.get("release") or {}),
        download=dict(data.get("download") or {}),
        details=dict(data.get("details") or {}),
        id=row.id,
    )


def events_after(session: Session, after_id: int, limit: int) -> list[Event]:
    """The events recorded after ``after_id``, oldest first."""
    rows = session.scalars(select(EventRow).where(EventRow.id > after_id).order_by(EventRow.id).limit(limit))
    return [event_of(row) for row in rows]


def first_cursor(session: Session, now: datetime) -> int:
    """Where a new target starts: after every event older than the first-delivery window."""
    found = session.scalar(select(func.max(EventRow.id)).where(EventRow.created_at < now - FIRST_DELIVERY_WINDOW))
    return int(found or 0)


def list_events(
    session: Session,
    page: PageRequest,
    *,
    types: Sequence[EventType] = (),
    book_id: int | None = None,
    wanted_book_id: int | None = None,
    download_id: int | None = None,
) -> PageResult[Event]:
    """The history, newest first, filtered by event type and by what it is about."""
    query = select(EventRow)
    if types:
        query = query.where(EventRow.type.in_([kind.value for kind in types]))
    for column, value in (
        (EventRow.book_id, book_id),
        (EventRow.wanted_book_id, wanted_book_id),
        (EventRow.download_id, download_id),
    ):
        if value is not None:
            query = query.where(column == value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(EventRow.id.desc()).limit(page.limit).offset(page.offset))
    return PageResult([event_of(row) for row in rows], total, page.limit, page.offset)


def book_facts(wanted: WantedBook | None) -> dict[str, Any]:
    """What an event says about a wanted book."""
    if wanted is None:
        return {}
    facts: dict[str, Any] = {
        "title": wanted.title,
        "author": wanted.author_name or None,
        "series": wanted.series_name,
        "position": wanted.series_position,
        "wanted_book_id": wanted.id,
        "book_id": wanted.book_id,
        "release_date": wanted.release_date.isoformat() if wanted.release_date else None,
    }
    return {key: value for key, value in facts.items() if value is not None}


def download_facts(download: Download) -> dict[str, Any]:
    """What an event says about a download and the release it holds."""
    facts: dict[str, Any] = {"id": download.id, "status": download.status}
    for name in ("save_path", "content_path", "imported_path"):
        value = getattr(download, name, None)
        if value:
            facts[name] = value
    if download.download_client:
        facts["client"] = download.download_client
    return facts


def release_facts(download: Download) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for name, key in (("release_title", "title"), ("indexer", "indexer"), ("size_bytes", "size_bytes")):
        value = getattr(download, name, None)
        if value is not None:
            facts[key] = value
    if download.info_hash:
        facts["info_hash"] = download.info_hash
    return facts


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def record_download_event(
    session: Session,
    download: Download,
    kind: EventType,
    message: str,
    now: datetime | None,
    *,
    about: WantedBook | None = None,
    **details: Any,
) -> EventRow:
    """An event about a download: its wanted book, release and state as they are now.

    ``about``: the wanted book the event is about when it is not the download's own (a series pack's others).
    """
    wanted = about or (session.get(WantedBook, download.wanted_book_id) if download.wanted_book_id else None)
    book = book_facts(wanted) or {"title": download.release_title}
    book_id = about.book_id if about is not None else download.book_id
    if book_id is not None:
        book["book_id"] = book_id
    event = Event(
        type=kind,
        message=message,
        at=now,
        book=book,
        release=release_facts(download),
        download=download_facts(download),
        details={key: value for key, value in details.items() if value is not None},
    )
    return record(session, event)


def record_metadata_event(
    session: Session, book: Book, rows: Sequence[MetadataCorrection], kind: EventType, by: str, now: datetime | None
) -> EventRow | None:
    """One "metadata corrected" (or "reverted") entry per book and action: every field it changed, and by whom."""
    if not rows:
        return None
    fields = sorted({row.field for row in rows})
    verb = "reverted" if kind == EventType.METADATA_REVERTED else "corrected"
    message = f"{book.title}: {', '.join(fields)} {verb} {by}."
    changes = [
        {"field": row.field, "old": row.old_value, "new": row.new_value, "source": row.source, "correction_id": row.id}
        for row in rows
    ]
    facts = {"title": book.title, "book_id": book.id}
    return record(session, Event(kind, message, at=now, book=facts, details={"by": by, "changes": changes}))
