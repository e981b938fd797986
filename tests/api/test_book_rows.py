"""The book list answers its rows without building BookRead models: its bytes must be exactly BookRead's.

Each listed book is compared, byte for byte, with ``BookRead.of`` the same book read through the ORM and serialised
by pydantic (what the list answered before), on both databases: nulls, unicode, links, and timestamps with and
without microseconds, as SQLAlchemy and CURRENT_TIMESTAMP store them and (SQLite) in forms only a hand-made row has.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from shelfkeeper.api.envelope import Page
from shelfkeeper.api.schemas.books import BookRead, BookRow
from shelfkeeper.db.tables import Book
from shelfkeeper.services import book_rows, books
from tests.api.envelope_checks import listed_data

BOOKS: list[dict[str, Any]] = [
    {
        "title": 'Les Misérables ✓ "quoted" \\ back',
        "subtitle": "Unabridged — tome 1",
        "authors": ["Victor Hugo", "Stanisław Lem"],
        "narrators": ["George Guidall", "Zoë"],
        "series": [{"name": "Ça", "position": "1.5"}, {"name": "Other", "position": None}],
        "asin": "B00MISERAB",
        "isbn": "9780451419439",
        "publisher": "Łódź Press",
        "published_year": 1862,
        "language": "French",
        "genres": ["Classics", "Drame"],
        "description": "Paris.\nLine two\ttab \u2028 sep 😀",
        "duration_seconds": 88020.125,
        "size_bytes": 123456789012,
        "format": "m4b",
        "path": "/books/Hugo/Les Misérables",
        "has_cover": True,
        "abs_id": "li_1",
        "library_id": "lib-a",
        "metadata_status": "ok",
        "quality_score": 0.1,
        "in_library": False,
    },
    {"title": "Bare"},  # every optional field null or empty
    {"title": "Whole numbers", "duration_seconds": 3600, "quality_score": 1, "published_year": 0},
]
TIMESTAMPS = {
    'Les Misérables ✓ "quoted" \\ back': {
        "removed_at": datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        "metadata_checked_at": datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=UTC),
        "abs_added_at": datetime(2015, 1, 1, 0, 7, tzinfo=UTC),
        "abs_updated_at": datetime(999, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
    },
    "Whole numbers": {"abs_added_at": datetime(2026, 12, 7, 16, 11, 9, tzinfo=UTC)},
}


def expected_data(session: Session, url_ids: list[int], total: int, limit: int = 50, offset: int = 0) -> bytes:
    session.expire_all()
    items = [BookRead.of(session.get_one(Book, book_id)) for book_id in url_ids]
    page = Page[BookRead](items=items, total=total, limit=limit, offset=offset)
    return TypeAdapter(Page[BookRead]).dump_json(page)


def arrange(session: Session) -> None:
    for fields in BOOKS:
        books.create_book(session, fields)
    for title, values in TIMESTAMPS.items():
        session.execute(update(Book).where(Book.title == title).values(**values))
    session.commit()


def ids_by_title(session: Session) -> list[int]:
    return [book.id for book in session.query(Book).order_by(Book.title_sort, Book.id)]


def test_the_row_schema_is_bookreads_fields_in_its_order() -> None:
    assert tuple(BookRead.model_fields) == book_rows.ROW_KEYS
    assert tuple(BookRow.__annotations__) == tuple(BookRead.model_fields)


def test_listed_rows_are_bookreads_bytes(client: TestClient, session: Session) -> None:
    arrange(session)
    ids = ids_by_title(session)
    assert listed_data(client, "/api/books") == expected_data(session, ids, total=3)
    assert listed_data(client, "/api/books?sort=-id&limit=2&offset=1") == expected_data(
        session, sorted(ids, reverse=True)[1:3], total=3, limit=2, offset=1
    )
    assert listed_data(client, "/api/books?q=miserables") == expected_data(session, ids[1:2], total=1)


def test_timestamps_stored_in_other_forms_are_read_as_sqlalchemy_reads_them(
    client: TestClient, session: Session
) -> None:
    arrange(session)
    if session.get_bind().dialect.name != "sqlite":  # PostgreSQL stores timestamps as such: no text forms
        return
    forms = [
        ("2026-01-02 03:04:05.5", "2026-01-02 03:04"),
        ("2026-01-02 03:04:05.000000", "2026-01-02 03:04:05"),
        ("2026-01-02 03:04:05.123+00", "2026-01-02T03:04:05"),  # 26 characters, but not SQLAlchemy's form
    ]
    for book_id, (removed, checked) in zip(ids_by_title(session), forms, strict=True):
        session.execute(
            text("UPDATE books SET removed_at = :removed, metadata_checked_at = :checked WHERE id = :id"),
            {"removed": removed, "checked": checked, "id": book_id},
        )
    session.commit()
    assert listed_data(client, "/api/books") == expected_data(session, ids_by_title(session), total=3)
