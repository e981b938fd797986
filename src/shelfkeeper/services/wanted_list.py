"""Wanted-list use cases: list, read, add by hand, approve, ignore, delete; missing books per series and author."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import Author, Series, WantedBook
from shelfkeeper.domain.discovery.ownership import book_key
from shelfkeeper.domain.lifecycle import HELD_BY_DOWNLOAD, WantedReason, WantedStatus
from shelfkeeper.domain.text import fold, normalize_asin, parse_position, series_key
from shelfkeeper.errors import Conflict, NotFound
from shelfkeeper.services.authors import AuthorFilters, book_counts, get_author, list_authors
from shelfkeeper.services.owned_books import find_owner
from shelfkeeper.services.paging import PageRequest, PageResult, SortColumn, order_by, paginate
from shelfkeeper.services.series import get_series
from shelfkeeper.services.status import move_wanted
from shelfkeeper.services.wanted import Recorded, WantedCandidate, edition_flags, record_wanted

SORTS: dict[str, SortColumn] = {
    "created": WantedBook.created_at,
    "updated": WantedBook.updated_at,
    "title": WantedBook.dedupe_key,  # the normalised title comes first in the key
    "author": WantedBook.author_name,
    "release_date": WantedBook.release_date,
    "priority": WantedBook.priority,
    "reason": WantedBook.reason,
    "status": WantedBook.status,
    "last_searched": WantedBook.last_searched_at,
    "id": WantedBook.id,
}
# No longer missing: the library has these.
_DONE = (WantedStatus.IMPORTED.value,)


@dataclass(frozen=True)
class WantedFilters:
    reason: str | None = None
    status: str | None = None
    approved: bool | None = None
    series_id: int | None = None
    author_id: int | None = None
    upcoming: bool | None = None
    q: str | None = None


def _conditions(filters: WantedFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for name in ("reason", "status", "series_id", "author_id"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(getattr(WantedBook, name) == value)
    if filters.approved is not None:
        conditions.append(WantedBook.approved.is_(filters.approved))
    if filters.upcoming is not None:
        conditions.append(WantedBook.upcoming.is_(filters.upcoming))
    if filters.q and fold(filters.q):
        conditions.append(WantedBook.dedupe_key.contains(fold(filters.q), autoescape=True))
    return conditions


def list_wanted(
    session: Session, filters: WantedFilters, page: PageRequest, sort: str | None
) -> PageResult[WantedBook]:
    """One page of the wanted list, filtered and sorted (newest first by default)."""
    query: Select[Any] = select(WantedBook).where(*_conditions(filters))
    # Rows made in the same second tie on their time: the id breaks the tie in the same direction.
    tiebreak = WantedBook.id.desc() if (sort or "-created").strip().startswith("-") else WantedBook.id.asc()
    return paginate(session, query, page, order_by(sort, SORTS, "-created"), tiebreak)


def get_wanted(session: Session, wanted_id: int) -> WantedBook:
    row = session.get(WantedBook, wanted_id)
    if row is None:
        raise NotFound(f"Wanted book {wanted_id} not found.", code="WANTED_NOT_FOUND")
    return row


def _manual_candidate(session: Session, fields: Mapping[str, Any], now: datetime) -> WantedCandidate:
    title, authors = fields["title"], tuple(fields.get("authors") or ())
    series = fields.get("series") or {}
    series_id = None
    if series:
        series_id = session.scalar(select(Series.id).where(Series.name_key == series_key(series["name"])))
    release_date: date | None = fields.get("release_date")
    edition = fields.get("edition") or None
    evidence: dict[str, Any] = {
        "explanation": f"{title} was added to the wanted list by hand",
        "notes": fields.get("notes"),
    }
    if edition:
        evidence["edition"] = {name: value for name, value in edition.items() if value not in (None, [], "")}
        evidence["explanation"] = f"{title} was added to the wanted list by hand, from {edition['source']}"
    return WantedCandidate(
        title=title,
        authors=authors,
        key=book_key(title, authors),
        reason=WantedReason.MANUAL,
        source="manual",
        evidence=evidence,
        subtitle=fields.get("subtitle"),
        series_id=series_id,
        series_name=series.get("name"),
        series_position=series.get("position"),
        asin=fields.get("asin"),
        isbn=fields.get("isbn"),
        language=fields.get("language"),
        release_date=release_date,
        upcoming=bool(release_date and release_date > now.date()),
        flags=edition_flags(title, fields.get("subtitle"), edition.get("format_type") if edition else None),
        priority=int(fields.get("priority") or 0),
    )


def add_manual(session: Session, fields: Mapping[str, Any], now: datetime) -> WantedBook:
    """A book the user wants (reason manual); 409 when it is listed already or the library has it."""
    candidate = _manual_candidate(session, fields, now)
    title = candidate.title
    existing = session.scalar(select(WantedBook).where(WantedBook.dedupe_key == candidate.key))
    if existing is not None:
        raise _already_listed(title, existing)
    # Raising rolls the request's transaction back, so whatever recording touched is undone.
    outcome = record_wanted(session, candidate, now)
    if outcome.result is Recorded.OWNED and outcome.owner is not None:
        raise Conflict(
            f"The library has {title!r} already: {outcome.owner.detail}.",
            code="BOOK_ALREADY_EXISTS",
            details={"existing_id": outcome.owner.book_id, "matched_by": outcome.owner.by},
        )
    assert outcome.row is not None
    if outcome.result is not Recorded.CREATED:
        raise _already_listed(title, outcome.row)  # the same series slot under another title
    session.flush()
    return outcome.row


def _already_listed(title: str, existing: WantedBook) -> Conflict:
    return Conflict(
        f"{title!r} is already on the wanted list as {existing.id} ({existing.title!r}, {existing.status}).",
        code="WANTED_ALREADY_EXISTS",
        details={"existing_id": existing.id, "status": existing.status},
    )


def approve_wanted(session: Session, wanted_id: int) -> WantedBook:
    """Approve a book for grabbing; an ignored or failed one is wanted again; 409 once imported."""
    row = get_wanted(session, wanted_id)
    if row.status in (WantedStatus.IGNORED, WantedStatus.FAILED):
        move_wanted(row, WantedStatus.WANTED)
    elif row.status == WantedStatus.IMPORTED:
        move_wanted(row, WantedStatus.WANTED)  # raises: an imported book is owned
    row.approved = True
    session.flush()
    return row


def ignore_wanted(session: Session, wanted_id: int) -> WantedBook:
    """Put a book on the ignore list: later runs leave it alone; 409 when it is downloaded or imported."""
    row = get_wanted(session, wanted_id)
    move_wanted(row, WantedStatus.IGNORED)
    session.flush()
    return row


def delete_wanted(session: Session, wanted_id: int) -> None:
    """Forget a wanted book (a later run may list it again; ignore it to keep it off); 409 while downloading."""
    row = get_wanted(session, wanted_id)
    if row.status in HELD_BY_DOWNLOAD:
        raise Conflict(
            f"Wanted book {wanted_id} is {row.status}; cancel its download first.",
            code="WANTED_STATE_CONFLICT",
            details={"status": row.status},
        )
    session.delete(row)
    session.flush()


def _position_order(row: WantedBook) -> tuple[bool, Decimal, int]:
    parsed = parse_position(row.series_position)
    return parsed is None, parsed[0] if parsed else Decimal(0), row.id


def series_missing(session: Session, series_id: int, status: str | None = None) -> list[WantedBook]:
    """A series' wanted books in reading order; imported ones (owned now) only when asked by status."""
    get_series(session, series_id)
    query = select(WantedBook).where(WantedBook.series_id == series_id)
    query = query.where(WantedBook.status == status) if status else query.where(WantedBook.status.not_in(_DONE))
    return sorted(session.scalars(query), key=_position_order)


def author_missing(
    session: Session, author_id: int, page: PageRequest, status: str | None = None, sort: str | None = None
) -> PageResult[WantedBook]:
    """An author's wanted books (by release date by default); imported ones only when asked by status."""
    get_author(session, author_id)
    query: Select[Any] = select(WantedBook).where(WantedBook.author_id == author_id)
    query = query.where(WantedBook.status == status) if status else query.where(WantedBook.status.not_in(_DONE))
    return paginate(session, query, page, order_by(sort, SORTS, "release_date"), WantedBook.id)


def _missing_counts(session: Session, author_ids: list[int]) -> dict[int, dict[str, int]]:
    rows = session.execute(
        select(WantedBook.author_id, WantedBook.status, WantedBook.upcoming, func.count(WantedBook.id))
        .where(WantedBook.author_id.in_(author_ids))
        .group_by(WantedBook.author_id, WantedBook.status, WantedBook.upcoming)
    ).all()
    counts: dict[int, dict[str, int]] = {i: {"missing": 0, "ignored": 0, "upcoming": 0, "known": 0} for i in author_ids}
    for author_id, status, upcoming, count in rows:
        entry = counts.get(author_id or 0)
        if entry is None or status == WantedStatus.IMPORTED:
            continue  # counted among the owned books
        entry["known"] += count
        entry["ignored" if status == WantedStatus.IGNORED else "missing"] += count
        entry["upcoming"] += count if upcoming and status != WantedStatus.IGNORED else 0
    return counts


def author_completion_summary(session: Session, filters: AuthorFilters, page: PageRequest) -> dict[str, Any]:
    """Per author: owned books, known catalogue size (owned + listed), missing, ignored, upcoming, last check."""
    result = list_authors(session, filters, page, "name")
    ids = [author.id for author in result.items]
    owned, missing = book_counts(session, ids), _missing_counts(session, ids) if ids else {}
    items = [_author_entry(author, owned.get(author.id, 0), missing[author.id]) for author in result.items]
    return {"items": items, "total": result.total, "limit": result.limit, "offset": result.offset}


def _author_entry(author: Author, owned: int, counts: Mapping[str, int]) -> dict[str, Any]:
    known = owned + counts["known"]
    return {
        "id": author.id,
        "name": author.name,
        "monitored": author.monitored,
        "owned_books": owned,
        "known_catalogue_size": known,
        "missing": counts["missing"],
        "ignored": counts["ignored"],
        "upcoming": counts["upcoming"],
        "completion": owned / known if known else None,
        "last_catalogue_check_at": author.last_catalogue_check_at,
    }


def set_series_monitored(session: Session, series_id: int, monitored: bool) -> Series:
    series = get_series(session, series_id)
    series.monitored = monitored
    session.flush()
    return series


def set_author_monitored(session: Session, author_id: int, monitored: bool) -> Author:
    author = get_author(session, author_id)
    author.monitored = monitored
    session.flush()
    return author


@dataclass(frozen=True)
class Holding:
    """Where a result is already: the library ("owned") or the wanted list ("wanted"), with its row and why."""

    kind: Literal["owned", "wanted"]
    id: int
    detail: str


def where_held(
    session: Session, title: str, authors: tuple[str, ...], asin: str | None, isbn: str | None
) -> Holding | None:
    """Whether a book is in the library already (by ASIN, ISBN or title and author) or on the wanted list."""
    owner = find_owner(session, title, authors, asin, isbn)
    if owner is not None:
        return Holding("owned", owner.book_id, owner.detail)
    wanted = session.scalar(select(WantedBook).where(WantedBook.dedupe_key == book_key(title, authors)))
    if wanted is None and normalize_asin(asin):
        wanted = session.scalar(select(WantedBook).where(WantedBook.asin == normalize_asin(asin)).limit(1))
    if wanted is not None:
        return Holding("wanted", wanted.id, f"on the wanted list as {wanted.title!r} ({wanted.status})")
    return None
