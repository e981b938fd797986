"""Library sync, database side: listed items become books, absences are marked, failures recorded.

Every function works inside the caller's unit of work and never commits; none makes a network call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, select
from sqlalchemy.orm import Session

from shelfkeeper.db.repositories import (
    author_key,
    get_or_create_author,
    get_or_create_series,
    refresh_search_fields,
    refresh_series_stats,
    set_book_people,
)
from shelfkeeper.db.tables import Author, Book, FailedAttempt, Series
from shelfkeeper.domain.library.items import LibraryItem, SeriesRef
from shelfkeeper.domain.library.sync import book_values, item_source, item_title, series_text, unique_names
from shelfkeeper.domain.text import series_key

SOURCE_KEY = "audiobookshelf"  # Book.extra[SOURCE_KEY]: what the book remembers of its item
_NAME_LENGTH = 300
_SERIES_NAME_LENGTH = 500
_POSITION_LENGTH = 40


@dataclass(frozen=True)
class ItemWrite:
    """One listed item to bring into the database, with what the network side learnt about it."""

    item: LibraryItem
    # Exact series (from a series listing or the expanded item); None leaves the book's series as they are.
    series: tuple[SeriesRef, ...] | None = None
    # Exact people from the expanded item; None means "split from the list's joined names".
    authors: tuple[str, ...] | None = None
    narrators: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ItemFailure:
    """An item that could not be synced this time: recorded as a FailedAttempt, tried again next run."""

    item: LibraryItem
    stage: str  # "fetch" (reading it from Audiobookshelf) or "write" (saving it)
    error_code: str
    message: str


def remembered_series(session: Session, abs_ids: Collection[str]) -> dict[str, str]:
    """Item id -> the series text its book was last written with (items without a book are absent)."""
    if not abs_ids:
        return {}
    rows = session.execute(select(Book.abs_id, Book.extra).where(Book.abs_id.in_(list(abs_ids))))
    found: dict[str, str] = {}
    for abs_id, extra in rows:
        source = (extra or {}).get(SOURCE_KEY) if isinstance(extra, dict) else None
        if abs_id is not None:
            found[abs_id] = str(source.get("series", "")) if isinstance(source, dict) else ""
    return found


def series_id_hints(session: Session, keys: Collection[str]) -> dict[str, str]:
    """Series key -> the Audiobookshelf series id last seen for it (a hint: a listing confirms it)."""
    if not keys:
        return {}
    rows = session.execute(
        select(Series.name_key, Series.abs_id).where(Series.name_key.in_(list(keys)), Series.abs_id.is_not(None))
    )
    return {key: abs_id for key, abs_id in rows if abs_id}


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

    Returns counts of created, updated, unchanged, removed, restored and errors. Series touched by the page
    get their owned count and completion refreshed. A database error raises: the caller writes the page
    again item by item, so that one refused item is recorded and skipped.
    """
    counts: Counter[str] = Counter()
    ids = [write.item.id for write in writes]
    books = {b.abs_id: b for b in session.scalars(select(Book).where(Book.abs_id.in_(ids)))} if ids else {}
    returning = _removed_books_by_path(session, library_id, [w.item for w in writes if w.item.id not in books])
    touched: set[int] = set()
    targets = [(write, books.get(write.item.id) or returning.get(_stored_path(write.item))) for write in writes]
    _create_people(session, [write for write, book in targets if book is None or _source_changed(write, book)])
    for write, book in targets:
        counts[_write_item(session, write, book, now, touched)] += 1
    session.flush()
    for failure in failures:
        record_failure(session, failure, task_id)
        counts["errors"] += 1
    refresh_series_stats(session, touched)
    return counts


def _create_people(session: Session, writes: Sequence[ItemWrite]) -> None:
    """Create the page's new authors and series first, each once: no flush of half-written books per new name."""
    authors = {author_key(name): name for write in writes for name in _authors(write)}
    series = {series_key(name): name for write in writes for name, _ in _series_pairs(write.series)}
    if authors:
        known = set(session.scalars(select(Author.name_key).where(Author.name_key.in_(list(authors)))))
        for key in authors.keys() - known:
            get_or_create_author(session, authors[key])
    if series:
        known = set(session.scalars(select(Series.name_key).where(Series.name_key.in_(list(series)))))
        for key in series.keys() - known:
            get_or_create_series(session, series[key])


def _removed_books_by_path(session: Session, library_id: str, items: Sequence[LibraryItem]) -> dict[str, Book]:
    """Removed books at the paths of new items: an item deleted and added again gets its old book back."""
    paths = [_stored_path(item) for item in items if item.path]
    if not paths:
        return {}
    rows = session.scalars(
        select(Book)
        .where(Book.in_library.is_(False), Book.library_id == library_id, Book.path.in_(paths))
        .order_by(Book.removed_at.asc(), Book.id.asc())
    )
    return {book.path: book for book in rows if book.path}  # the latest removal wins


def _stored_path(item: LibraryItem) -> str:
    return str(fit_columns({"path": item.path or ""})["path"])


def _write_item(session: Session, write: ItemWrite, book: Book | None, now: datetime, touched: set[int]) -> str:
    item = write.item
    values = fit_columns(book_values(item))
    source: dict[str, Any] = _clean(item_source(item))
    if book is None:
        book = Book(abs_id=item.id, in_library=not item.is_missing, removed_at=now if item.is_missing else None)
        for name, value in values.items():
            setattr(book, name, value)
        if write.series is None:
            source["series"] = ""  # the series are still to be read exactly: the next sync tries again
        book.extra = {SOURCE_KEY: source}
        session.add(book)
        touched |= set_book_people(session, book, _authors(write), _narrators(write), _series_pairs(write.series))
        _remember_series_ids(book, write.series or ())
        return "created"
    changed = _assign(book, {**values, "abs_id": item.id})
    outcome = _presence(book, item, now)
    remembered = _remembered(book)
    authors = None if remembered.get("authors") == source["authors"] else _authors(write)
    narrators = None if remembered.get("narrators") == source["narrators"] else _narrators(write)
    series = _series_change(write, remembered)
    if series is None:
        source["series"] = remembered.get("series", "")  # unchanged, or still to be read exactly next time
    if authors is not None or narrators is not None or series is not None:
        pairs = None if series is None else _series_pairs(series)
        touched |= set_book_people(session, book, authors, narrators, pairs)
        _remember_series_ids(book, series or ())
        changed.add("people")
    elif "title" in changed or "subtitle" in changed:
        refresh_search_fields(book)
    if remembered != source:
        book.extra = {**(book.extra or {}), SOURCE_KEY: source}
        changed.add("source")
    if outcome:
        touched |= {link.series_id for link in book.series_links}
        return outcome
    return "updated" if changed else "unchanged"


def _presence(book: Book, item: LibraryItem, now: datetime) -> str | None:
    """Missing items are marked removed (never deleted); an item back in the library is marked back."""
    if item.is_missing and book.in_library:
        book.in_library, book.removed_at = False, now
        return "removed"
    if not item.is_missing and not book.in_library:
        book.in_library, book.removed_at = True, None
        return "restored"
    return None


def _series_change(write: ItemWrite, remembered: dict[str, Any]) -> tuple[SeriesRef, ...] | None:
    """The book's new series: none when the item has none, the exact ones when they changed, else no change."""
    if not write.item.series:
        return None if remembered.get("series") == "" else ()
    if write.series is not None and series_text(write.item) != remembered.get("series"):
        return write.series
    return None


def _source_changed(write: ItemWrite, book: Book) -> bool:
    return bool(_remembered(book) != _clean(item_source(write.item)))


def _remembered(book: Book) -> dict[str, Any]:
    source = (book.extra or {}).get(SOURCE_KEY)
    return dict(source) if isinstance(source, dict) else {}


def _assign(book: Book, values: dict[str, Any]) -> set[str]:
    """Set only the columns whose value differs, so an unchanged book is not written (no updated_at bump)."""
    changed: set[str] = set()
    for name, value in values.items():
        if getattr(book, name) != value:
            setattr(book, name, value)
            changed.add(name)
    return changed


def _authors(write: ItemWrite) -> list[str]:
    return [_text(name)[:_NAME_LENGTH] for name in unique_names(write.authors or write.item.authors)]


def _narrators(write: ItemWrite) -> list[str]:
    return [_text(name)[:_NAME_LENGTH] for name in unique_names(write.narrators or write.item.narrators)]


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


def _series_pairs(series: Sequence[SeriesRef] | None) -> list[tuple[str, str | None]]:
    return [
        (_text(" ".join(ref.name.split()))[:_SERIES_NAME_LENGTH], _text(ref.sequence or "")[:_POSITION_LENGTH] or None)
        for ref in series or ()
        if _text(ref.name).strip()
    ]


def _remember_series_ids(book: Book, series: Sequence[SeriesRef]) -> None:
    """Keep each series' Audiobookshelf id: the next sync lists a series by it without learning it again."""
    ids = {series_key(ref.name): ref.series_id for ref in series if ref.series_id}
    for link in book.series_links:
        found = ids.get(link.series.name_key)
        if found and link.series.abs_id != found:
            link.series.abs_id = found


def fit_columns(values: dict[str, object]) -> dict[str, object]:
    """Text without NUL characters, cut to its column's length: PostgreSQL refuses both, SQLite would not mind."""
    fitted: dict[str, object] = {}
    for name, value in values.items():
        column_type = Book.__table__.c[name].type
        length = getattr(column_type, "length", None) if isinstance(column_type, String) else None
        value = _clean(value)
        fitted[name] = value[:length] if isinstance(value, str) and length else value
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


def present_books(
    session: Session, *, library_id: str | None, other_than: Collection[str] = (), after_id: int, limit: int
) -> list[tuple[int, str]]:
    """(book id, item id) of in-library books from Audiobookshelf, one keyset chunk at a time.

    With ``library_id``, the books of that library; without it, those of every library not in ``other_than``
    (libraries that no longer exist in Audiobookshelf).
    """
    query = select(Book.id, Book.abs_id).where(Book.in_library.is_(True), Book.abs_id.is_not(None), Book.id > after_id)
    if library_id is not None:
        query = query.where(Book.library_id == library_id)
    else:
        query = query.where(Book.library_id.not_in(list(other_than)))
    rows = session.execute(query.order_by(Book.id).limit(limit))
    return [(book_id, abs_id) for book_id, abs_id in rows if abs_id is not None]


def mark_removed(session: Session, abs_ids: Collection[str], now: datetime) -> int:
    """Mark the books of items gone from the library as removed (kept, with the time); returns how many."""
    if not abs_ids:
        return 0
    books = list(session.scalars(select(Book).where(Book.abs_id.in_(list(abs_ids)), Book.in_library.is_(True))))
    touched: set[int] = set()
    for book in books:
        book.in_library, book.removed_at = False, now
        touched |= {link.series_id for link in book.series_links}
    refresh_series_stats(session, touched)
    return len(books)
