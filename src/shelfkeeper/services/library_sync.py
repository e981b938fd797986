"""Library sync, database side: a page of listed items written set-based, absences marked, failures recorded.

Every function works inside the caller's unit of work and never commits; none makes a network call. A page
costs a fixed number of statements whatever its size: one read of its books, one look-up of its authors
and series, bulk inserts and updates, one grouped refresh of its series' statistics. No ORM object is loaded.
What the items alone decide was prepared before the transaction (services/library_rows.py).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, false, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler

from shelfkeeper.db.base import core_table
from shelfkeeper.db.repositories import position_sort
from shelfkeeper.db.session import checkpoint_less_often
from shelfkeeper.db.tables import Author, Book, BookAuthor, BookNarrator, BookSeries, FailedAttempt, Series
from shelfkeeper.domain.library.items import LibraryItem
from shelfkeeper.domain.library.sync import is_unchanged, item_title
from shelfkeeper.services.library_rows import PreparedItem, author_key, clean, search_text, text
from shelfkeeper.services.library_series import (
    SOURCE_KEY,
    SeriesWanted,
    chunks,
    ensure_authors,
    ensure_series,
    padded,
    refresh_stats,
    series_of_books,
)

_INSERT_BATCH = {"insertmanyvalues_page_size": 100}


@dataclass(frozen=True)
class ItemFailure:
    """An item that could not be synced this time: recorded as a FailedAttempt, tried again next run."""

    item: LibraryItem
    stage: str  # "fetch" (reading it from Audiobookshelf) or "write" (saving it)
    error_code: str
    message: str


@dataclass(slots=True)
class _Stored:
    id: int
    updated_at: datetime | None
    in_library: bool
    extra: dict[str, Any]
    size_bytes: int | None


@dataclass(slots=True)
class _Plan:
    """One book to write: its row, and the people and series rewritten (None: the book keeps its own)."""

    prepared: PreparedItem
    stored: _Stored | None
    row: dict[str, Any]
    authors: tuple[str, ...] | None
    narrators: tuple[str, ...] | None
    series: list[tuple[SeriesWanted, str | None]] | None


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
    items: Sequence[PreparedItem],
    failures: Sequence[ItemFailure] = (),
    *,
    now: datetime,
    task_id: int | None,
) -> Counter[str]:
    """Create, update, restore or mark each item's book, and record the failures; one transaction per page.

    ``items`` come from ``library_rows.prepare_items`` (one per item id). Returns counts of created, updated,
    unchanged, removed, restored and errors. An item whose ``updatedAt`` and presence the book already has is
    unchanged and not written. Series touched by the page get their owned count and completion refreshed. A
    database error raises: the caller writes the page again item by item, so that one refused item is
    recorded and skipped.
    """
    counts: Counter[str] = Counter()
    checkpoint_less_often(session)  # a page is a bulk write, and can be written again
    stored = _stored(session, [prepared.write.item.id for prepared in items])
    returning = _removed_books_by_path(session, library_id, [p for p in items if p.write.item.id not in stored])
    plans: list[_Plan] = []
    for prepared in items:
        write = prepared.write
        book = stored.get(write.item.id)
        if book is not None and is_unchanged(book.updated_at, book.in_library, write.item) and not write.audio_format:
            counts["unchanged"] += 1
            continue
        plan, outcome = _plan(prepared, book or returning.get(prepared.path), now)
        plans.append(plan)
        counts[outcome] += 1
    if plans:
        _write_plans(session, plans)
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


def _removed_books_by_path(session: Session, lib_id: str, items: Sequence[PreparedItem]) -> dict[str, _Stored]:
    """Removed books at the paths of new items: an item deleted and added again gets its old book back."""
    paths = padded([prepared.path for prepared in items if prepared.write.item.path])
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


def _write_plans(session: Session, plans: list[_Plan]) -> None:
    authors = ensure_authors(session, {author_key(n): n for p in plans for n in p.authors or ()})
    # In order of appearance (not a set's): new series get their ids in the order the page names them.
    series = ensure_series(session, list(dict.fromkeys(wanted for p in plans for wanted, _ in p.series or ())))
    existing = [p for p in plans if p.stored is not None]
    touched = series_of_books(session, [p.stored.id for p in existing if p.stored is not None])
    kept = _names_kept(session, existing)
    for plan in plans:
        _finish_row(plan, kept)
    new_rows = [plan.row for plan in plans if plan.stored is None]
    if new_rows:
        # RETURNING makes SQLAlchemy send the rows as multi-row INSERTs (its "insertmanyvalues"): a statement per
        # hundred rows instead of one per row, and the new ids with it. On SQLite this matters beyond the round trips:
        # each statement of an executemany opens a savepoint, at which the FTS5 index (kept by a trigger) flushes its
        # pending terms, so one row per statement wrote and merged one tiny FTS segment per book. A hundred rows,
        # not a page: SQLite's driver keeps the prepared statement, whose size grows with its rows.
        statement = insert(core_table(Book)).returning(Book.abs_id, Book.id).execution_options(**_INSERT_BATCH)
        inserted = session.execute(statement, _same_keys(new_rows))
        ids: dict[str | None, int] = {abs_id: id_ for abs_id, id_ in inserted}
        for plan in plans:
            if plan.stored is None:
                plan.row["id"] = ids[plan.prepared.write.item.id]
    if existing:
        session.execute(update(Book), [plan.row for plan in existing])
    touched |= _write_links(session, plans, authors, series)
    refresh_stats(session, touched)


def _plan(prepared: PreparedItem, stored: _Stored | None, now: datetime) -> tuple[_Plan, str]:
    """The book's new column values, and which of its people and series are rewritten; with the outcome."""
    item = prepared.write.item
    source = prepared.source
    remembered = _remembered(stored)
    row = dict(prepared.row)
    new = stored is None
    authors = prepared.authors if new or remembered.get("authors") != source["authors"] else None
    narrators = prepared.narrators if new or remembered.get("narrators") != source["narrators"] else None
    series: list[tuple[SeriesWanted, str | None]] | None = None
    if not item.series:
        series = [] if new or remembered.get("series") != "" else None
    elif prepared.series is not None and (new or source["series"] != remembered.get("series")):
        series = prepared.series
    if series is None and item.series:
        source = {**source, "series": remembered.get("series", "")}  # unchanged, or still to be read exactly
    if stored is not None and prepared.write.audio_format is None and _audio_changed(stored, item, remembered):
        row["format"] = None  # the files changed: read again by the format pass
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
    return _Plan(prepared, stored, row, authors, narrators, series), outcome


def _audio_changed(stored: _Stored, item: LibraryItem, remembered: dict[str, Any]) -> bool:
    files = item.extra.get("num_audio_files")
    return stored.size_bytes != item.size_bytes or (
        "num_audio_files" in remembered and remembered["num_audio_files"] != files
    )


_Kept = dict[str, defaultdict[int, list[str]]]


def _names_kept(session: Session, plans: Sequence[_Plan]) -> _Kept:
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
    names: _Kept = {kind: defaultdict(list) for kind in kept}
    for kind, ids in kept.items():
        for chunk in chunks(ids):
            for book_id, name in session.execute(queries[kind].where(columns[kind].in_(chunk))):
                names[kind][book_id].append(name)
    return names


def _finish_row(plan: _Plan, kept: _Kept) -> None:
    """Sort keys and the folded search text, from the names the book ends up with."""
    row, prepared, book_id = plan.row, plan.prepared, plan.stored.id if plan.stored else 0
    authors = plan.authors if plan.authors is not None else kept["authors"].get(book_id, [])
    narrators = plan.narrators if plan.narrators is not None else kept["narrators"].get(book_id, [])
    series = [w.name for w, _ in plan.series] if plan.series is not None else kept["series"].get(book_id, [])
    row["title_sort"] = prepared.title_sort
    if plan.authors is not None:
        row["author_sort"] = prepared.author_sort
    row["search_text"] = search_text(prepared.title_words, authors, narrators, series)


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
            _insert_plain(session, core_table(table), rows)
    return {row["series_id"] for row in series_rows}


def _insert_plain(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Rows of plain values (numbers, strings, None) through the driver's own executemany: SQLAlchemy has nothing to
    convert in them, and its per-row parameter handling was a third of the links' cost."""
    dialect = session.get_bind().dialect
    key = (table.name, tuple(rows[0]), dialect.name)
    compiled = _PLAIN_INSERTS.get(key)
    if compiled is None:
        compiled = _PLAIN_INSERTS[key] = insert(table).compile(dialect=dialect, column_keys=list(rows[0]))
    if compiled.positiontup is not None:  # "?" placeholders (SQLite): values in the statement's order
        order = compiled.positiontup
        session.connection().exec_driver_sql(compiled.string, [tuple(row[k] for k in order) for row in rows])
    else:  # named placeholders (psycopg)
        session.connection().exec_driver_sql(compiled.string, rows)


_PLAIN_INSERTS: dict[tuple[str, tuple[str, ...], str], SQLCompiler] = {}


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
            subject=text(f"Audiobookshelf item '{item_title(item)}' ({item.id})")[:1000],
            reason=text(failure.message),
            evidence=clean(evidence),
            book_id=book_id,
            task_id=task_id,
        )
    )
