"""Library sync, database side: a page of listed items written set-based, absences marked, failures recorded.

Every function works inside the caller's unit of work and never commits; none makes a network call. A page
costs a fixed number of statements whatever its size: one read of its books, one look-up of its authors
and series, bulk inserts and updates, one grouped refresh of its series' statistics. No ORM object is loaded.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import String, Table, delete, false, insert, select, update
from sqlalchemy.orm import Session

from shelfkeeper.db import repositories
from shelfkeeper.db.repositories import position_sort, sort_name
from shelfkeeper.db.tables import Author, Book, BookAuthor, BookNarrator, BookSeries, FailedAttempt, Series
from shelfkeeper.domain.library.items import LibraryItem, SeriesRef
from shelfkeeper.domain.library.sync import (
    book_values,
    is_unchanged,
    item_source,
    item_title,
    series_text,
    unique_names,
)
from shelfkeeper.domain.text import fold, normalize_title
from shelfkeeper.services.library_series import (
    SOURCE_KEY,
    SeriesWanted,
    chunks,
    ensure_authors,
    ensure_series,
    refresh_stats,
    series_of_books,
)

_NAME_LENGTH = 300
_POSITION_LENGTH = 40
_LENGTHS = {c.name: c.type.length for c in Book.__table__.c if isinstance(c.type, String) and c.type.length}

# A page names the same people again and again: their normalised keys are computed once (bounded memory).
author_key = lru_cache(maxsize=8192)(repositories.author_key)
narrator_key = lru_cache(maxsize=8192)(fold)


@dataclass(frozen=True)
class ItemWrite:
    """One listed item to bring into the database, with what the network side learnt about it."""

    item: LibraryItem
    # Exact series (from the series listing or the expanded item); None leaves the book's series as they are.
    series: tuple[SeriesRef, ...] | None = None
    # Exact people from the expanded item; None means "split from the list's joined names".
    authors: tuple[str, ...] | None = None
    narrators: tuple[str, ...] | None = None
    # The audio format read from the item's audio files (expanded items only); None: not read this time.
    audio_format: str | None = None


@dataclass(frozen=True)
class ItemFailure:
    """An item that could not be synced this time: recorded as a FailedAttempt, tried again next run."""

    item: LibraryItem
    stage: str  # "fetch" (reading it from Audiobookshelf) or "write" (saving it)
    error_code: str
    message: str


@dataclass
class _Stored:
    id: int
    updated_at: datetime | None
    in_library: bool
    extra: dict[str, Any]
    size_bytes: int | None


@dataclass
class _Plan:
    write: ItemWrite
    stored: _Stored | None
    row: dict[str, Any] = field(default_factory=dict)
    authors: list[str] | None = None
    narrators: list[str] | None = None
    series: list[tuple[SeriesWanted, str | None]] | None = None


def stored_versions(session: Session, abs_ids: Collection[str]) -> dict[str, tuple[datetime | None, bool]]:
    """Item id -> (the ``updatedAt`` its book was written from, whether it is in the library); no ORM objects."""
    found: dict[str, tuple[datetime | None, bool]] = {}
    for chunk in chunks(sorted(abs_ids)):
        query = select(Book.abs_id, Book.abs_updated_at, Book.in_library).where(Book.abs_id.in_(chunk))
        found.update({abs_id: (updated, present) for abs_id, updated, present in session.execute(query) if abs_id})
    return found


def write_items(
    session: Session,
    library_id: str,
    writes: Sequence[ItemWrite],
    failures: Sequence[ItemFailure] = (),
    *,
    now: datetime,
    task_id: int | None,
) -> Counter[str]:
    """Create, update, restore or mark each item's book, and record the failures; one transaction per page.

    Returns counts of created, updated, unchanged, removed, restored and errors. An item whose ``updatedAt``
    and presence the book already has is unchanged and not written. Series touched by the page get their
    owned count and completion refreshed. A database error raises: the caller writes the page again item
    by item, so that one refused item is recorded and skipped.
    """
    counts: Counter[str] = Counter()
    unique = list({write.item.id: write for write in writes}.values())
    stored = _stored(session, [write.item.id for write in unique])
    returning = _removed_books_by_path(session, library_id, [w.item for w in unique if w.item.id not in stored])
    plans: list[_Plan] = []
    for write in unique:
        book = stored.get(write.item.id)
        if book is not None and is_unchanged(book.updated_at, book.in_library, write.item) and not write.audio_format:
            counts["unchanged"] += 1
            continue
        plans.append(_Plan(write, book or returning.get(_stored_path(write.item))))
    if plans:
        counts.update(_write_plans(session, plans, now))
    for failure in failures:
        record_failure(session, failure, task_id)
        counts["errors"] += 1
    return counts


def _stored(session: Session, abs_ids: Sequence[str]) -> dict[str, _Stored]:
    columns = (Book.abs_id, Book.id, Book.abs_updated_at, Book.in_library, Book.extra, Book.size_bytes)
    found: dict[str, _Stored] = {}
    for chunk in chunks(list(abs_ids)):
        for abs_id, *rest in session.execute(select(*columns).where(Book.abs_id.in_(chunk))):
            found[abs_id] = _Stored(rest[0], rest[1], rest[2], rest[3] if isinstance(rest[3], dict) else {}, rest[4])
    return found


def _removed_books_by_path(session: Session, lib_id: str, items: Sequence[LibraryItem]) -> dict[str, _Stored]:
    """Removed books at the paths of new items: an item deleted and added again gets its old book back."""
    paths = [_stored_path(item) for item in items if item.path]
    if not paths:
        return {}
    columns = (Book.path, Book.id, Book.library_id, Book.extra, Book.size_bytes)
    # Equality on in_library (indexed) first: a library holds few removed books, and the path has no index.
    rows = session.execute(
        select(*columns)
        .where(Book.in_library == false(), Book.path.in_(paths))
        .order_by(Book.removed_at.asc(), Book.id.asc())
    )
    # The latest removal wins.
    return {path: _Stored(id_, None, False, extra or {}, size) for path, id_, lib, extra, size in rows if lib == lib_id}


def _stored_path(item: LibraryItem) -> str:
    return str(fit_columns({"path": item.path or ""})["path"])


def _write_plans(session: Session, plans: list[_Plan], now: datetime) -> Counter[str]:
    counts: Counter[str] = Counter()
    for plan in plans:
        counts[_prepare(plan, now)] += 1
    authors = ensure_authors(session, {author_key(n): n for p in plans for n in p.authors or ()})
    series = ensure_series(session, {wanted for p in plans for wanted, _ in p.series or ()})
    existing = [p for p in plans if p.stored is not None]
    touched = series_of_books(session, [p.stored.id for p in existing if p.stored is not None])
    _names_kept(session, existing)
    rows = [_finish_row(plan) for plan in plans]
    new_rows = [row for plan, row in zip(plans, rows, strict=True) if plan.stored is None]
    if new_rows:
        # RETURNING makes SQLAlchemy send the rows as multi-row INSERTs (its "insertmanyvalues"): one statement per
        # page instead of one per row, and the new ids with it. On SQLite this matters beyond the round trips: each
        # statement of an executemany opens a savepoint, at which the FTS5 index (kept by a trigger) flushes its
        # pending terms, so one row per statement wrote and merged one tiny FTS segment per book.
        inserted = session.execute(insert(_table(Book)).returning(Book.abs_id, Book.id), _same_keys(new_rows))
        ids: dict[str | None, int] = {abs_id: id_ for abs_id, id_ in inserted}
        for plan in plans:
            if plan.stored is None:
                plan.row["id"] = ids[plan.write.item.id]
    if existing:
        session.execute(update(Book), [plan.row for plan in existing])
    touched |= _write_links(session, plans, authors, series)
    refresh_stats(session, touched)
    return counts


def _prepare(plan: _Plan, now: datetime) -> str:
    """The book's new column values, and which of its people and series are rewritten; returns the outcome."""
    write, stored, item = plan.write, plan.stored, plan.write.item
    source: dict[str, Any] = _clean(item_source(item))
    remembered = _remembered(stored)
    row: dict[str, Any] = {**fit_columns(book_values(item)), "abs_id": item.id}
    if stored is None or remembered.get("authors") != source["authors"]:
        plan.authors = _authors(write)
    if stored is None or remembered.get("narrators") != source["narrators"]:
        plan.narrators = _narrators(write)
    if not item.series:
        plan.series = [] if stored is None or remembered.get("series") != "" else None
    elif write.series is not None and (stored is None or series_text(item) != remembered.get("series")):
        plan.series = _series_pairs(write.series)
    if plan.series is None and item.series:
        source["series"] = remembered.get("series", "")  # unchanged, or still to be read exactly next time
    if write.audio_format is not None:
        row["format"] = write.audio_format
    elif stored is not None and _audio_changed(stored, item, remembered):
        row["format"] = None  # the files changed: read again by the format pass
    source["num_audio_files"] = item.extra.get("num_audio_files")
    row["extra"] = {**(stored.extra if stored else {}), SOURCE_KEY: source}
    outcome = "created" if stored is None else "updated"
    if stored is None:
        row["in_library"], row["removed_at"] = not item.is_missing, now if item.is_missing else None
    elif item.is_missing and stored.in_library:
        row["in_library"], row["removed_at"], outcome = False, now, "removed"
    elif not item.is_missing and not stored.in_library:
        row["in_library"], row["removed_at"], outcome = True, None, "restored"
    if stored is not None:
        row["id"] = stored.id
    plan.row = row
    return outcome


def _audio_changed(stored: _Stored, item: LibraryItem, remembered: dict[str, Any]) -> bool:
    files = item.extra.get("num_audio_files")
    return stored.size_bytes != item.size_bytes or (
        "num_audio_files" in remembered and remembered["num_audio_files"] != files
    )


def _names_kept(session: Session, plans: Sequence[_Plan]) -> None:
    """Names of the people and series a book keeps (not rewritten), for its search text: three reads."""
    kept = {
        "authors": [p.stored.id for p in plans if p.stored and p.authors is None],
        "narrators": [p.stored.id for p in plans if p.stored and p.narrators is None],
        "series": [p.stored.id for p in plans if p.stored and p.series is None],
    }
    queries = {
        "authors": select(BookAuthor.book_id, Author.name)
        .join(Author, Author.id == BookAuthor.author_id)
        .order_by(BookAuthor.ordinal),
        "narrators": select(BookNarrator.book_id, BookNarrator.name).order_by(BookNarrator.ordinal),
        "series": select(BookSeries.book_id, Series.name).join(Series, Series.id == BookSeries.series_id),
    }
    columns = {"authors": BookAuthor.book_id, "narrators": BookNarrator.book_id, "series": BookSeries.book_id}
    names: dict[str, defaultdict[int, list[str]]] = {kind: defaultdict(list) for kind in kept}
    for kind, ids in kept.items():
        for chunk in chunks(ids):
            for book_id, name in session.execute(queries[kind].where(columns[kind].in_(chunk))):
                names[kind][book_id].append(name)
    for plan in plans:
        assert plan.stored is not None
        plan.row["_kept"] = {kind: names[kind].get(plan.stored.id, []) for kind in kept}


def _finish_row(plan: _Plan) -> dict[str, Any]:
    """Title sort, author sort and the folded search text, from the names the book ends up with."""
    row = plan.row
    kept = row.pop("_kept", {})
    authors = plan.authors if plan.authors is not None else kept.get("authors", [])
    narrators = plan.narrators if plan.narrators is not None else kept.get("narrators", [])
    series = [w.name for w, _ in plan.series] if plan.series is not None else kept.get("series", [])
    title = str(row["title"])
    row["title_sort"] = normalize_title(title) or fold(title)
    if plan.authors is not None:
        row["author_sort"] = sort_name(plan.authors[0]).lower()[:300] if plan.authors else ""
    row["search_text"] = " " + fold(" ".join([title, row.get("subtitle") or "", *authors, *narrators, *series])) + " "
    return row


def _write_links(
    session: Session, plans: Sequence[_Plan], authors: dict[str, int], series: dict[SeriesWanted, int]
) -> set[int]:
    """Replace the rewritten people and series links of the page's books: one delete and one insert each."""
    author_rows, narrator_rows, series_rows = [], [], []
    for plan in plans:
        book_id = plan.row["id"]
        for ordinal, name in enumerate(plan.authors or ()):
            author_rows.append({"book_id": book_id, "author_id": authors[author_key(name)], "ordinal": ordinal})
        for ordinal, name in enumerate(plan.narrators or ()):
            narrator_rows.append({"book_id": book_id, "name": name, "ordinal": ordinal})
        seen: set[int] = set()
        for wanted, position in plan.series or ():
            series_id = series[wanted]
            if series_id not in seen:
                seen.add(series_id)
                series_rows.append(
                    {
                        "book_id": book_id,
                        "series_id": series_id,
                        "position": position,
                        "position_sort": position_sort(position),
                    }
                )
    links = (
        (BookAuthor, [p for p in plans if p.authors is not None], author_rows),
        (BookNarrator, [p for p in plans if p.narrators is not None], narrator_rows),
        (BookSeries, [p for p in plans if p.series is not None], series_rows),
    )
    for table, rewritten, rows in links:
        old = [p.row["id"] for p in rewritten if p.stored is not None]
        for chunk in chunks(old):
            session.execute(delete(table).where(table.book_id.in_(chunk)))
        if rows:
            session.execute(insert(_table(table)), rows)
    return {row["series_id"] for row in series_rows}


def _table(model: type[Any]) -> Table:
    """A mapped class's table, for Core statements."""
    return cast(Table, model.__table__)


def _same_keys(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for one Core ``executemany``: a column some rows leave out is NULL in them (every such one is nullable).

    Core inserts skip the ORM's per-row bookkeeping (a third of a first sync's time), but take one statement
    for all rows, so every row must name the same columns.
    """
    keys = {key for row in rows for key in row}
    return rows if all(len(row) == len(keys) for row in rows) else [dict.fromkeys(keys) | row for row in rows]


def _remembered(stored: _Stored | None) -> dict[str, Any]:
    source = stored.extra.get(SOURCE_KEY) if stored is not None else None
    return dict(source) if isinstance(source, dict) else {}


def _authors(write: ItemWrite) -> list[str]:
    names = [_text(name)[:_NAME_LENGTH] for name in unique_names(write.authors or write.item.authors)]
    return _unique(names, author_key)


def _narrators(write: ItemWrite) -> list[str]:
    names = [_text(name)[:_NAME_LENGTH] for name in unique_names(write.narrators or write.item.narrators)]
    return _unique(names, narrator_key)


def _unique(names: Sequence[str], key: Any) -> list[str]:
    seen: set[str] = set()
    result: list[str] = []
    for name in (" ".join(n.split()) for n in names):
        if name and key(name) not in seen:
            seen.add(key(name))
            result.append(name)
    return result


def _series_pairs(series: Sequence[SeriesRef]) -> list[tuple[SeriesWanted, str | None]]:
    return [
        (SeriesWanted(ref.series_id, _text(ref.name)), _text(ref.sequence or "")[:_POSITION_LENGTH] or None)
        for ref in series
        if _text(ref.name).strip()
    ]


def _text(value: str) -> str:
    """PostgreSQL refuses NUL characters in text and JSON; tags read from audio files sometimes carry them."""
    return value.replace("\x00", "")


def _clean(value: Any) -> Any:
    """``value`` with every string in it (lists and dicts too) free of NUL characters."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    return value


def fit_columns(values: dict[str, object]) -> dict[str, object]:
    """Text without NUL characters, cut to its column's length: PostgreSQL refuses both, SQLite would not mind."""
    fitted: dict[str, object] = {}
    for name, value in values.items():
        if isinstance(value, str):
            value = value.replace("\x00", "")
            length = _LENGTHS.get(name)
            fitted[name] = value[:length] if length else value
        else:
            fitted[name] = _clean(value) if isinstance(value, list | dict) else value
    return fitted


def record_failure(session: Session, failure: ItemFailure, task_id: int | None) -> None:
    """A FailedAttempt of kind "sync" naming the item, the stage and the error (kept forever)."""
    item = failure.item
    book_id = session.scalar(select(Book.id).where(Book.abs_id == item.id))
    evidence = {
        "abs_id": item.id,
        "library_id": item.library_id,
        "stage": failure.stage,
        "error_code": failure.error_code,
        "updated_at": item.updated_at.isoformat() if item.updated_at else None,
        "path": item.path,
    }
    session.add(
        FailedAttempt(
            kind="sync",
            subject=_text(f"Audiobookshelf item '{item_title(item)}' ({item.id})")[:1000],
            reason=_text(failure.message),
            evidence=_clean(evidence),
            book_id=book_id,
            task_id=task_id,
        )
    )
