"""Library sync after the listing, database side: which books the listing did not show, marking them removed,
and the audio formats still to read. Every function works inside the caller's unit of work and never commits."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shelfkeeper.db.base import core_table
from shelfkeeper.db.tables import Book
from shelfkeeper.services.library_series import chunks, refresh_stats, series_of_books


def unlisted_books(
    session: Session, *, library_id: str | None, other_than: Collection[str] = (), listed: Callable[[str], bool]
) -> list[str]:
    """Item ids of in-library books from Audiobookshelf that the listing did not show (``listed``), in book order.

    With ``library_id``, the books of that library; without it, those of every library not in ``other_than``
    (libraries that no longer exist in Audiobookshelf). One read of two columns, without the ORM: a library's
    books are nearly all listed, and only the few that are not are kept.
    """
    books = core_table(Book)
    query = select(books.c.abs_id).where(books.c.in_library.is_(True), books.c.abs_id.is_not(None))
    if library_id is not None:
        query = query.where(books.c.library_id == library_id)
    else:
        query = query.where(books.c.library_id.not_in(list(other_than)))
    ids = session.connection().execute(query.order_by(books.c.id)).scalars()
    return [abs_id for part in ids.partitions(2000) for abs_id in part if not listed(abs_id)]


def mark_removed(session: Session, abs_ids: Collection[str], now: datetime) -> int:
    """Mark the books of items gone from the library as removed (kept, with the time); returns how many."""
    ids: list[int] = []
    for chunk in chunks(sorted(abs_ids)):
        query = select(Book.id).where(Book.abs_id.in_(chunk), Book.in_library.is_(True))
        ids.extend(session.scalars(query))
    for chunk in chunks(ids):
        session.execute(update(Book).where(Book.id.in_(chunk)).values(in_library=False, removed_at=now))
    refresh_stats(session, series_of_books(session, ids))
    return len(ids)


def books_without_format(session: Session, *, before_id: int | None, limit: int) -> list[tuple[int, str]]:
    """(book id, item id) of in-library books whose audio format is not known yet, newest first (keyset)."""
    query = select(Book.id, Book.abs_id).where(
        Book.format.is_(None), Book.in_library.is_(True), Book.abs_id.is_not(None)
    )
    if before_id is not None:
        query = query.where(Book.id < before_id)
    rows = session.execute(query.order_by(Book.id.desc()).limit(limit))
    return [(book_id, abs_id) for book_id, abs_id in rows if abs_id is not None]


def set_formats(session: Session, formats: dict[str, str]) -> int:
    """Store the audio format read for each item's book ("" when the item has no audio or e-book file)."""
    ids = dict(session.execute(select(Book.abs_id, Book.id).where(Book.abs_id.in_(list(formats)))).all())
    rows = [{"id": ids[abs_id], "format": value[:20]} for abs_id, value in formats.items() if abs_id in ids]
    if rows:
        session.execute(update(Book), rows)
    return len(rows)
