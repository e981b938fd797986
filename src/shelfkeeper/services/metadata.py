"""Metadata corrections on the database side: a book's facts, recorded proposals, applied values, status, quality."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from shelfkeeper.db.repositories import refresh_search_fields, refresh_series_stats, set_book_people
from shelfkeeper.db.tables import Book, BookNarrator, BookSeries, FailedAttempt, MetadataCorrection
from shelfkeeper.domain.library.items import SeriesRef
from shelfkeeper.domain.lifecycle import CorrectionStatus, FailureKind, MetadataStatus
from shelfkeeper.domain.metadata.distance import BookFacts, Decision
from shelfkeeper.domain.metadata.matching import FieldValue, item_key, text_key
from shelfkeeper.errors import Conflict
from shelfkeeper.services.records import CORRECTIONS, get_record

LIST_FIELDS = frozenset({"authors", "narrators", "genres"})
# What "filled" means for the quality score: the fields a listener misses when they are empty.
QUALITY_FIELDS = (
    "authors",
    "narrators",
    "series",
    "asin",
    "isbn",
    "publisher",
    "published_year",
    "language",
    "genres",
    "description",
    "cover",
)
# Column widths a value must fit (a provider's 800-character subtitle would fail on PostgreSQL).
_WIDTHS = {"title": 500, "subtitle": 500, "asin": 20, "isbn": 20, "publisher": 300, "language": 50}
_NAME_WIDTH, _SERIES_WIDTH, _POSITION_WIDTH = 300, 500, 40


@dataclass(frozen=True)
class Proposal:
    """One field change the pipeline wants to record, with the match that backs it."""

    field: str
    old: FieldValue
    new: FieldValue
    source: str
    confidence: float
    reasons: tuple[str, ...]
    decision: Decision


# ---- a book's values -------------------------------------------------------------------------------------------


def book_facts(book: Book) -> BookFacts:
    """What matching needs to know of a Book row."""
    return BookFacts(
        title=book.title,
        subtitle=book.subtitle,
        authors=tuple(link.author.name for link in book.author_links),
        narrators=tuple(link.name for link in book.narrator_links),
        series=tuple(SeriesRef(link.series.name, link.position) for link in book.series_links),
        asin=book.asin,
        isbn=book.isbn,
        publisher=book.publisher,
        published_year=book.published_year,
        language=book.language,
        genres=tuple(str(genre) for genre in book.genres or []),
        description=book.description,
        duration_seconds=book.duration_seconds,
        edition="abridged" if (book.extra or {}).get("abridged") is True else None,
    )


def field_value(book: Book, field: str) -> FieldValue:
    value: FieldValue = getattr(book_facts(book), field)
    return value


def to_json(field: str, value: FieldValue) -> Any:
    """A field value as stored in a correction's old/new value: lists for names, {name, sequence} for series."""
    if value is None:
        return [] if field in LIST_FIELDS or field == "series" else None
    if field == "series" and isinstance(value, tuple):
        return [{"name": ref.name, "sequence": ref.sequence} for ref in value if isinstance(ref, SeriesRef)]
    if isinstance(value, tuple):
        return [str(item) for item in value]
    return value


def from_json(field: str, raw: Any) -> FieldValue:
    """The stored value back as the field's own type."""
    if field == "series":
        return tuple(SeriesRef(str(r["name"]), r.get("sequence")) for r in raw or [] if isinstance(r, dict))
    if field in LIST_FIELDS:
        return tuple(str(item) for item in raw or [])
    if raw is None or raw == "":
        return None
    if field == "published_year":
        return int(raw)
    return str(raw)


def is_empty(value: FieldValue) -> bool:
    return value is None or value == () or (isinstance(value, str) and not value.strip())


def comparable(field: str, value: FieldValue) -> Any:
    """A form of a value that ignores case, accents kept, punctuation, spacing and list order."""
    if is_empty(value):
        return ""
    if field == "series" and isinstance(value, tuple):
        return sorted(item_key(ref) for ref in value if isinstance(ref, SeriesRef))
    if isinstance(value, tuple):
        return sorted(text_key(str(item)) for item in value)
    return text_key(str(value))


def same_value(field: str, left: FieldValue, right: FieldValue) -> bool:
    return bool(comparable(field, left) == comparable(field, right))


def fits(field: str, value: FieldValue) -> bool:
    """Whether the value fits the columns it would be stored in."""
    if isinstance(value, str):
        return len(value) <= _WIDTHS.get(field, 100_000)
    if field == "series" and isinstance(value, tuple):
        return all(
            isinstance(r, SeriesRef) and len(r.name) <= _SERIES_WIDTH and len(r.sequence or "") <= _POSITION_WIDTH
            for r in value
        )
    if field in ("authors", "narrators") and isinstance(value, tuple):
        return all(len(str(name)) <= _NAME_WIDTH for name in value)
    return True


def set_field_values(session: Session, book: Book, values: Mapping[str, FieldValue]) -> None:
    """Write field values to the Book row and its authors, narrators and series."""
    people: dict[str, Any] = {}
    for field, value in values.items():
        if field in ("authors", "narrators"):
            people[field] = [str(name) for name in value or ()] if isinstance(value, tuple) else []
        elif field == "series":
            refs = value if isinstance(value, tuple) else ()
            people["series"] = [(ref.name, ref.sequence) for ref in refs if isinstance(ref, SeriesRef)]
        elif field == "genres":
            book.genres = list(value) if isinstance(value, tuple) else []
        else:
            setattr(book, field, value)
    touched = set_book_people(session, book, people.get("authors"), people.get("narrators"), people.get("series"))
    refresh_search_fields(book)
    session.flush()
    refresh_series_stats(session, touched)


# ---- corrections -------------------------------------------------------------------------------------------------


def record_proposals(
    session: Session, book_id: int, proposals: Sequence[Proposal], status: CorrectionStatus, task_id: int | None
) -> list[MetadataCorrection]:
    """One correction row per proposal; a pending one already waiting with the same field, old and new value is
    reused, so checking a book again never duplicates what waits for review."""
    waiting = (
        session.scalars(
            select(MetadataCorrection).where(
                MetadataCorrection.book_id == book_id, MetadataCorrection.status == CorrectionStatus.PENDING
            )
        ).all()
        if status is CorrectionStatus.PENDING
        else []
    )
    rows: list[MetadataCorrection] = []
    for proposal in proposals:
        twin = next((row for row in waiting if _same_change(row, proposal)), None)
        if twin is None:
            twin = MetadataCorrection(
                book_id=book_id,
                field=proposal.field,
                old_value=to_json(proposal.field, proposal.old),
                new_value=to_json(proposal.field, proposal.new),
                source=proposal.source,
                confidence=round(proposal.confidence, 4),
                status=status,
                reasons=list(proposal.reasons),
                task_id=task_id,
            )
            session.add(twin)
        rows.append(twin)
    session.flush()
    return rows


def _same_change(row: MetadataCorrection, proposal: Proposal) -> bool:
    field = proposal.field
    return (
        row.field == field
        and same_value(field, from_json(field, row.new_value), proposal.new)
        and same_value(field, from_json(field, row.old_value), proposal.old)
    )


def get_correction(session: Session, correction_id: int) -> MetadataCorrection:
    row: MetadataCorrection = get_record(session, CORRECTIONS, correction_id)
    return row


def require_status(correction: MetadataCorrection, wanted: CorrectionStatus, action: str) -> None:
    """409 unless the correction is in the state the action starts from."""
    if correction.status != wanted:
        raise Conflict(
            f"Correction {correction.id} is {correction.status}; it must be {wanted} to be {action}.",
            code="CORRECTION_STATE_CONFLICT",
            details={"status": correction.status, "needed": str(wanted)},
        )


def require_current(book: Book, correction: MetadataCorrection, expected: Any, action: str, why: str) -> None:
    """409 when the book's field no longer holds ``expected``: acting would overwrite a later change."""
    field = correction.field
    current = field_value(book, field)
    if not same_value(field, current, from_json(field, expected)):
        raise Conflict(
            f"Cannot {action} correction {correction.id}: book {book.id}'s {field} is now {_shown(current)}, "
            f"not {_shown(from_json(field, expected))}; {why}",
            code="CORRECTION_STATE_CONFLICT",
            details={"field": field, "current": to_json(field, current), "expected": expected},
        )


def _shown(value: FieldValue) -> str:
    if is_empty(value):
        return "empty"
    if isinstance(value, tuple):
        return repr(", ".join(f"{v.name} #{v.sequence}" if isinstance(v, SeriesRef) else str(v) for v in value))
    return repr(value)


def mark(rows: Iterable[MetadataCorrection], status: CorrectionStatus, now: datetime, note: str | None = None) -> None:
    for row in rows:
        row.status = status
        if status is CorrectionStatus.APPLIED:
            row.applied_at = now
        elif status is CorrectionStatus.REVERTED:
            row.reverted_at = now
        if note:
            row.reasons = [*row.reasons, note]


# ---- a book's status and quality ------------------------------------------------------------------------------


def quality_score(book: Book) -> float:
    """The share of QUALITY_FIELDS that hold something, 0..1."""
    facts = book_facts(book)
    filled = sum(
        1 for name in QUALITY_FIELDS if (book.has_cover if name == "cover" else not is_empty(getattr(facts, name)))
    )
    return round(filled / len(QUALITY_FIELDS), 3)


def has_pending(session: Session, book_id: int) -> bool:
    found = session.scalar(
        select(MetadataCorrection.id)
        .where(MetadataCorrection.book_id == book_id, MetadataCorrection.status == CorrectionStatus.PENDING)
        .limit(1)
    )
    return found is not None


def settle_status(session: Session, book: Book, *, applied: bool, matched: bool) -> MetadataStatus:
    """The book's status after a check: waiting corrections first, then corrected, matched (ok) or no match."""
    if has_pending(session, book.id):
        return MetadataStatus.NEEDS_REVIEW
    if applied:
        return MetadataStatus.CORRECTED
    return MetadataStatus.OK if matched else MetadataStatus.NO_MATCH


def finish_check(
    session: Session, book: Book, status: MetadataStatus, now: datetime, summary: Mapping[str, Any] | None
) -> None:
    """Status, check time, quality score and the explanation of the last check, on the Book row."""
    book.metadata_status = status
    book.metadata_checked_at = now
    book.quality_score = quality_score(book)
    if summary is not None:
        book.extra = {**(book.extra or {}), "metadata_match": dict(summary)}


def after_review(session: Session, book: Book) -> None:
    """Status and quality once a person approved, rejected or reverted one of the book's corrections."""
    applied = session.scalar(
        select(MetadataCorrection.id)
        .where(MetadataCorrection.book_id == book.id, MetadataCorrection.status == CorrectionStatus.APPLIED)
        .limit(1)
    )
    book.metadata_status = settle_status(session, book, applied=applied is not None, matched=True)
    book.quality_score = quality_score(book)


def record_failure(
    session: Session, book_id: int, title: str, errors: Mapping[str, str], task_id: int | None
) -> FailedAttempt:
    """The audit row written when every provider failed for a book."""
    attempt = FailedAttempt(
        kind=FailureKind.METADATA,
        subject=f"metadata of book {book_id} {title!r}"[:1000],
        reason="every metadata provider failed: " + "; ".join(f"{name}: {error}" for name, error in errors.items()),
        evidence={"errors": dict(errors)},
        book_id=book_id,
        task_id=task_id,
    )
    session.add(attempt)
    return attempt


# ---- choosing books and reporting ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BookSelection:
    """Which books a batch checks: in the library, not checked since ``checked_before``, and the mode's filter."""

    checked_before: datetime | None = None
    only_unchecked: bool = False
    added_since: datetime | None = None  # with it: books added since then, or never checked


def _selection_conditions(selection: BookSelection) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Book.in_library.is_(True)]
    if selection.checked_before is not None:
        conditions.append(or_(Book.metadata_checked_at.is_(None), Book.metadata_checked_at < selection.checked_before))
    if selection.only_unchecked:
        conditions.append(Book.metadata_checked_at.is_(None))
    if selection.added_since is not None:
        added = func.coalesce(Book.abs_added_at, Book.created_at)
        conditions.append(or_(added >= selection.added_since, Book.metadata_checked_at.is_(None)))
    return conditions


def books_to_check(session: Session, selection: BookSelection, *, after_id: int, limit: int) -> list[int]:
    """The next ``limit`` book ids of the selection after ``after_id``, in id order (a resumable walk)."""
    query = select(Book.id).where(*_selection_conditions(selection), Book.id > after_id).order_by(Book.id).limit(limit)
    return list(session.scalars(query))


def count_books_to_check(session: Session, selection: BookSelection, *, after_id: int = 0) -> int:
    query = select(func.count(Book.id)).where(*_selection_conditions(selection), Book.id > after_id)
    return int(session.scalar(query) or 0)


def quality_report(session: Session) -> dict[str, Any]:
    """Shares of books with an ASIN, series, narrator, cover and description; corrections by status."""
    in_library = Book.in_library.is_(True)
    has_narrator = exists().where(BookNarrator.book_id == Book.id)
    has_series = exists().where(BookSeries.book_id == Book.id)
    row = session.execute(
        select(
            func.count(Book.id),
            func.count(Book.id).filter(and_(Book.asin.is_not(None), Book.asin != "")),
            func.count(Book.id).filter(has_series),
            func.count(Book.id).filter(has_narrator),
            func.count(Book.id).filter(Book.has_cover.is_(True)),
            func.count(Book.id).filter(and_(Book.description.is_not(None), Book.description != "")),
            func.avg(Book.quality_score),
        ).where(in_library)
    ).one()
    total = int(row[0])
    names = ("asin", "series", "narrator", "cover", "description")
    shares = {
        f"with_{name}": {"count": int(count), "share": round(int(count) / total, 4) if total else 0.0}
        for name, count in zip(names, row[1:6], strict=True)
    }
    by_status = select(Book.metadata_status, func.count(Book.id)).where(in_library).group_by(Book.metadata_status)
    statuses = {str(status): int(count) for status, count in session.execute(by_status).all()}
    by_state = select(MetadataCorrection.status, func.count(MetadataCorrection.id)).group_by(MetadataCorrection.status)
    corrections = {str(status): int(count) for status, count in session.execute(by_state).all()}
    return {
        "books": total,
        **shares,
        "average_quality_score": round(float(row[6]), 4) if row[6] is not None else None,
        "by_metadata_status": statuses,
        "corrections": {str(status): corrections.get(str(status), 0) for status in CorrectionStatus},
    }
