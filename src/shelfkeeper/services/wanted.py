"""The wanted list in the database: WantedBook rows recorded once per book, never for an owned one, with reasons."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shelfkeeper.db.repositories import author_key
from shelfkeeper.db.tables import Author, WantedBook
from shelfkeeper.domain.events import Event, EventType
from shelfkeeper.domain.lifecycle import WantedReason, WantedStatus
from shelfkeeper.domain.metadata.editions import Edition, edition_of
from shelfkeeper.domain.text import parse_position
from shelfkeeper.services import events
from shelfkeeper.services.owned_books import Owner, find_owner
from shelfkeeper.services.status import new_wanted_book, try_move_wanted

# A stronger reason takes the row over: a monitored series wants a book the top-10 only suggested.
REASON_PRECEDENCE = (WantedReason.MANUAL, WantedReason.SERIES_GAP, WantedReason.AUTHOR_CATALOGUE, WantedReason.TOP10)
UNTITLED = "untitled"  # flag of a series hole no provider names: its title is "<series> #<position>"
# Rows the acquisition pipeline holds: their title and key are not changed under it.
_IN_FLIGHT = frozenset({WantedStatus.SEARCHING, WantedStatus.GRABBED, WantedStatus.DOWNLOADED})
# Rows still open: the library may close them (imported) when it has the book now.
_OPEN = (WantedStatus.WANTED, WantedStatus.FAILED)
_KEY_LENGTH = 600
_BOX_SET = re.compile(r"\bbox(ed)?[- ]?set\b", re.IGNORECASE)


def edition_flags(
    title: str, subtitle: str | None = None, format_type: str | None = None, *, collection: bool = False
) -> tuple[str, ...]:
    """The flags a wanted book carries: "abridged", "dramatized", "omnibus" (any collection) and "box_set"."""
    markers = edition_of(title, subtitle, format_type)
    flags = {str(marker) for marker in markers}
    if collection or Edition.OMNIBUS in markers:
        flags.add("omnibus")
        if _BOX_SET.search(f"{title} {subtitle or ''}"):
            flags.add("box_set")
    return tuple(sorted(flags))


@dataclass(frozen=True)
class WantedCandidate:
    """A book some job wants on the list, with everything its WantedBook row holds."""

    title: str
    authors: tuple[str, ...]
    key: str
    reason: WantedReason
    source: str
    evidence: dict[str, Any] = field(default_factory=dict)
    subtitle: str | None = None
    author_id: int | None = None
    series_id: int | None = None
    series_name: str | None = None
    series_position: str | None = None
    asin: str | None = None
    isbn: str | None = None
    language: str | None = None
    release_date: date | None = None
    upcoming: bool = False
    flags: tuple[str, ...] = ()
    approved: bool = True
    priority: int = 0

    @property
    def untitled(self) -> bool:
        return UNTITLED in self.flags


class Recorded(StrEnum):
    """What recording one candidate did."""

    CREATED = "created"
    UPDATED = "updated"
    OWNED = "owned"  # the library has it: not listed (and an open row for it is closed)
    IGNORED = "ignored"  # the user ignored it: left alone
    CLOSED = "closed"  # its row is imported already: not wanted again


@dataclass(frozen=True)
class RecordOutcome:
    candidate: WantedCandidate
    result: Recorded
    row: WantedBook | None
    owner: Owner | None = None


def record_wanted(session: Session, candidate: WantedCandidate, now: datetime) -> RecordOutcome:
    """Add or refresh one wanted book; idempotent by ``dedupe_key``; an owned book is never listed."""
    existing = _existing_row(session, candidate)
    owner = find_owner(
        session,
        None if candidate.untitled else candidate.title,
        candidate.authors,
        candidate.asin,
        candidate.isbn,
        series_id=candidate.series_id,
        position=candidate.series_position,
    )
    if owner is not None:
        if existing is not None:
            close_as_owned(existing, owner, now)
        return RecordOutcome(candidate, Recorded.OWNED, existing, owner)
    if existing is None:
        return RecordOutcome(candidate, Recorded.CREATED, _insert(session, candidate, now))
    if existing.status == WantedStatus.IGNORED:
        return RecordOutcome(candidate, Recorded.IGNORED, existing)
    if existing.status == WantedStatus.IMPORTED:
        return RecordOutcome(candidate, Recorded.CLOSED, existing)
    _refresh(session, existing, candidate, now)
    return RecordOutcome(candidate, Recorded.UPDATED, existing)


def _existing_row(session: Session, candidate: WantedCandidate) -> WantedBook | None:
    row = session.scalar(select(WantedBook).where(WantedBook.dedupe_key == candidate.key[:_KEY_LENGTH]))
    if row is not None or candidate.series_id is None or parse_position(candidate.series_position) is None:
        return row
    # The same series slot under another title: a hole a provider has named since, or a placeholder renamed.
    return session.scalar(
        select(WantedBook)
        .where(
            WantedBook.series_id == candidate.series_id,
            WantedBook.series_position == candidate.series_position,
            WantedBook.reason == WantedReason.SERIES_GAP,
        )
        .order_by(WantedBook.id)
        .limit(1)
    )


def _author_id(session: Session, candidate: WantedCandidate) -> int | None:
    if candidate.author_id is not None or not candidate.authors:
        return candidate.author_id
    keys = [author_key(name) for name in candidate.authors]
    found = session.execute(select(Author.id, Author.name_key).where(Author.name_key.in_(keys))).all()
    by_key = {name_key: author_id for author_id, name_key in found}
    return next((by_key[key] for key in keys if key in by_key), None)


def _release_datetime(value: date | None) -> datetime | None:
    return datetime(value.year, value.month, value.day) if value else None


def _insert(session: Session, candidate: WantedCandidate, now: datetime) -> WantedBook:
    row = new_wanted_book(
        title=candidate.title[:500],
        subtitle=candidate.subtitle[:500] if candidate.subtitle else None,
        author_name=", ".join(candidate.authors)[:300],
        author_id=_author_id(session, candidate),
        series_id=candidate.series_id,
        series_name=candidate.series_name[:500] if candidate.series_name else None,
        series_position=candidate.series_position,
        asin=candidate.asin,
        isbn=candidate.isbn,
        language=candidate.language,
        release_date=_release_datetime(candidate.release_date),
        upcoming=candidate.upcoming,
        reason=candidate.reason.value,
        source=candidate.source[:50],
        evidence={**candidate.evidence, "found_at": now.isoformat()},
        flags=list(candidate.flags),
        approved=candidate.approved,
        priority=candidate.priority,
        dedupe_key=candidate.key[:_KEY_LENGTH],
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another run recorded the same book a moment ago: refresh that row instead.
        winner = session.scalar(select(WantedBook).where(WantedBook.dedupe_key == row.dedupe_key))
        if winner is None:
            raise
        _refresh(session, winner, candidate, now)
        return winner
    _record_wanted_event(session, row, now)
    return row


def _record_wanted_event(session: Session, row: WantedBook, now: datetime) -> None:
    """The history's "wanted" entry: which book, and why (the reason and its explanation)."""
    evidence = row.evidence or {}
    why = str(evidence.get("explanation") or row.reason.replace("_", " "))
    message = f"{row.title} is wanted: {why}"
    message += "" if row.approved else " (waiting for approval)"
    details = {"reason": row.reason, "source": row.source, "explanation": evidence.get("explanation")}
    event = Event(EventType.WANTED, message + ".", at=now, book=events.book_facts(row), details=details)
    events.record(session, event)


def _rank(reason: str) -> int:
    names = [r.value for r in REASON_PRECEDENCE]
    return names.index(reason) if reason in names else len(names)


def _merged(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """``new`` over ``old``, dictionaries merged one level deep (top-10 rankings per genre, also_found_by)."""
    merged = dict(old)
    for name, value in new.items():
        before = merged.get(name)
        merged[name] = {**before, **value} if isinstance(before, dict) and isinstance(value, dict) else value
    return merged


def _refresh(session: Session, row: WantedBook, candidate: WantedCandidate, now: datetime) -> None:
    new_rank, old_rank = _rank(candidate.reason.value), _rank(row.reason)
    if new_rank > old_rank:
        # A weaker reason only notes that it found the book too, and fills what the row lacks.
        note = {candidate.reason.value: {"source": candidate.source, **_summary(candidate.evidence)}}
        row.evidence = _merged(row.evidence or {}, {"also_found_by": note})
        _fill_missing(row, candidate)
        return
    if new_rank < old_rank:
        note = {row.reason: {"source": row.source, **_summary(row.evidence or {})}}
        row.evidence = _merged(row.evidence or {}, {"also_found_by": note})
        row.reason = candidate.reason.value
        row.source = candidate.source[:50]
        row.approved = row.approved or candidate.approved
    row.evidence = _merged(row.evidence or {}, {**candidate.evidence, "checked_at": now.isoformat()})
    still_untitled = UNTITLED in (row.flags or []) and not _retitle(session, row, candidate)
    for name in ("subtitle", "series_id", "series_name", "series_position", "asin", "isbn", "language"):
        value = getattr(candidate, name)
        if value is not None:
            setattr(row, name, value)
    if candidate.release_date is not None:
        row.release_date = _release_datetime(candidate.release_date)
    row.upcoming = candidate.upcoming
    flags = (set(candidate.flags) | set(row.flags or [])) - {UNTITLED}
    row.flags = sorted(flags | ({UNTITLED} if still_untitled else set()))


def _summary(evidence: Mapping[str, Any]) -> dict[str, Any]:
    return {name: evidence[name] for name in ("explanation", "listed_by", "sources") if name in evidence}


def _fill_missing(row: WantedBook, candidate: WantedCandidate) -> None:
    for name in ("asin", "isbn", "language", "series_id", "series_name", "series_position"):
        if getattr(row, name) is None and getattr(candidate, name) is not None:
            setattr(row, name, getattr(candidate, name))
    if row.release_date is None and candidate.release_date is not None:
        row.release_date = _release_datetime(candidate.release_date)


def _retitle(session: Session, row: WantedBook, candidate: WantedCandidate) -> bool:
    """A named book takes over an untitled hole (or a renamed placeholder) unless acquisition holds the row."""
    key = candidate.key[:_KEY_LENGTH]
    if row.dedupe_key == key or candidate.untitled or row.status in _IN_FLIGHT:
        return False
    if session.scalar(select(WantedBook.id).where(WantedBook.dedupe_key == key)) is not None:
        return False
    row.title = candidate.title[:500]
    row.author_name = ", ".join(candidate.authors)[:300] or row.author_name
    row.dedupe_key = key
    return True


def close_as_owned(row: WantedBook, owner: Owner, now: datetime) -> bool:
    """Mark an open wanted row imported because the library has the book now; False when it is not open."""
    if row.status not in _OPEN:
        return False
    if not try_move_wanted(row, WantedStatus.IMPORTED, via=WantedStatus.WANTED):  # failed -> wanted -> imported
        return False
    row.book_id = owner.book_id
    owned = {"book_id": owner.book_id, "by": owner.by, "detail": owner.detail, "at": now.isoformat()}
    row.evidence = {**(row.evidence or {}), "owned": owned}
    return True


def close_owned_wanted(
    session: Session,
    now: datetime,
    *,
    series_id: int | None = None,
    author_id: int | None = None,
    reason: WantedReason | None = None,
) -> int:
    """Close every open (wanted or failed) row whose book the library has now; how many were closed."""
    query = select(WantedBook).where(WantedBook.status.in_(_OPEN))
    if reason is not None:
        query = query.where(WantedBook.reason == reason.value)
    if series_id is not None:
        query = query.where(WantedBook.series_id == series_id)
    if author_id is not None:
        query = query.where(WantedBook.author_id == author_id)
    closed = 0
    for row in session.scalars(query.order_by(WantedBook.id)):
        owner = find_owner(
            session,
            None if UNTITLED in (row.flags or []) else row.title,
            [name for name in row.author_name.split(", ") if name],
            row.asin,
            row.isbn,
            series_id=row.series_id,
            position=row.series_position,
        )
        if owner is not None and close_as_owned(row, owner, now):
            closed += 1
    session.flush()
    return closed


def count_outcomes(outcomes: Sequence[RecordOutcome]) -> dict[str, int]:
    """How many candidates each result had, for a job's counts."""
    counts = {f"wanted_{result.value}": 0 for result in Recorded}
    for outcome in outcomes:
        counts[f"wanted_{outcome.result.value}"] += 1
    return counts
