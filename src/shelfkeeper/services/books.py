"""Book use cases: create, read, update, delete and statistics (listing, search and filters: book_list.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    Select,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from shelfkeeper.db.repositories import refresh_series_stats, set_book_people
from shelfkeeper.db.tables import Author, Book, BookNarrator, BookSeries, MetadataCorrection, Series
from shelfkeeper.errors import Conflict, NotFound
from shelfkeeper.services.paging import PageRequest, PageResult, paginate

SCALAR_FIELDS = (
    "abs_id",
    "library_id",
    "title",
    "subtitle",
    "asin",
    "isbn",
    "publisher",
    "published_year",
    "language",
    "genres",
    "description",
    "duration_seconds",
    "size_bytes",
    "format",
    "path",
    "has_cover",
    "metadata_status",
    "quality_score",
    "in_library",
)


def get_book(session: Session, book_id: int) -> Book:
    book = session.get(Book, book_id)
    if book is None:
        raise NotFound(f"Book {book_id} not found.", code="BOOK_NOT_FOUND")
    return book


def _check_unique(session: Session, fields: Mapping[str, Any], book_id: int | None = None) -> None:
    for column_name in ("abs_id", "asin", "isbn"):
        value = fields.get(column_name)
        if not value:
            continue
        column = getattr(Book, column_name)
        clash = session.scalar(select(Book.id).where(column == value, Book.id != (book_id or -1)))
        if clash is not None:
            raise Conflict(
                f"Book {clash} already has {column_name} {value!r}.",
                code="BOOK_ALREADY_EXISTS",
                details={"field": column_name, "existing_id": clash},
            )


def create_book(session: Session, fields: Mapping[str, Any]) -> Book:
    """A new book with its authors, narrators and series; 409 when its ids are already taken."""
    _check_unique(session, fields)
    book = Book(**{name: fields[name] for name in SCALAR_FIELDS if fields.get(name) is not None})
    book.genres = list(fields.get("genres") or [])
    session.add(book)
    touched = set_book_people(
        session,
        book,
        fields.get("authors") or [],
        fields.get("narrators") or [],
        [(s["name"], s.get("position")) for s in fields.get("series") or []],
    )
    session.flush()
    refresh_series_stats(session, touched)
    return book


def update_book(session: Session, book_id: int, fields: Mapping[str, Any]) -> Book:
    """Replace the given fields (a full PUT body: absent optional fields become empty)."""
    book = get_book(session, book_id)
    _check_unique(session, fields, book_id)
    for name in SCALAR_FIELDS:
        if name in fields:
            setattr(book, name, fields[name] if name != "genres" else list(fields[name] or []))
    series = fields.get("series")
    touched = set_book_people(
        session,
        book,
        fields.get("authors"),
        fields.get("narrators"),
        [(s["name"], s.get("position")) for s in series] if series is not None else None,
    )
    session.flush()
    refresh_series_stats(session, touched)
    return book


def delete_book(session: Session, book_id: int) -> None:
    book = get_book(session, book_id)
    touched = {link.series_id for link in book.series_links}
    session.delete(book)
    session.flush()
    refresh_series_stats(session, touched)


def book_stats(session: Session) -> dict[str, Any]:
    """Counts for the dashboard: totals, removed, identifiers, duration, size, and per metadata status."""
    in_library = Book.in_library.is_(True)
    row = session.execute(
        select(
            func.count(Book.id),
            func.count(Book.id).filter(in_library),
            func.count(Book.id).filter(in_library, Book.asin.is_not(None), Book.asin != ""),
            func.count(Book.id).filter(in_library, Book.isbn.is_not(None), Book.isbn != ""),
            func.coalesce(func.sum(Book.duration_seconds).filter(in_library), 0),
            func.coalesce(func.sum(Book.size_bytes).filter(in_library), 0),
        )
    ).one()
    statuses = dict(
        session.execute(
            select(Book.metadata_status, func.count(Book.id)).where(in_library).group_by(Book.metadata_status)
        ).all()
    )
    # Grouped on the column itself: PostgreSQL refuses GROUP BY coalesce(language, $2) against SELECT ... $1.
    languages: dict[str, int] = {}
    for language, count in session.execute(
        select(Book.language, func.count(Book.id)).where(in_library).group_by(Book.language)
    ).all():
        languages[language or "unknown"] = languages.get(language or "unknown", 0) + count
    in_series = (
        session.scalar(
            select(func.count(func.distinct(BookSeries.book_id)))
            .join(Book, Book.id == BookSeries.book_id)
            .where(in_library)
        )
        or 0
    )
    return {
        "total": row[0],
        "in_library": row[1],
        "removed": row[0] - row[1],
        "with_asin": row[2],
        "with_isbn": row[3],
        "in_series": in_series,
        "total_duration_hours": round(float(row[4] or 0) / 3600, 1),
        "total_size_bytes": int(row[5] or 0),
        "by_metadata_status": statuses,
        "by_language": languages,
        "authors": session.scalar(select(func.count(Author.id))) or 0,
        "series": session.scalar(select(func.count(Series.id))) or 0,
    }


def incomplete_books(session: Session, page: PageRequest) -> PageResult[Book]:
    """Books in the library that lack an ASIN, a series, a narrator, a description or a cover."""
    no_narrator = ~exists().where(BookNarrator.book_id == Book.id)
    no_series = ~exists().where(BookSeries.book_id == Book.id)
    missing = or_(
        Book.asin.is_(None),
        Book.asin == "",
        Book.description.is_(None),
        Book.has_cover.is_(False),
        no_narrator,
        no_series,
    )
    query: Select[Any] = select(Book).where(Book.in_library.is_(True), missing)
    return paginate(session, query, page, [Book.title_sort.asc()], Book.id)


def book_corrections(session: Session, book_id: int, page: PageRequest) -> PageResult[MetadataCorrection]:
    get_book(session, book_id)
    query: Select[Any] = select(MetadataCorrection).where(MetadataCorrection.book_id == book_id)
    return paginate(session, query, page, [MetadataCorrection.created_at.desc()], MetadataCorrection.id.desc())
