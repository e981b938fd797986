"""The author list answers its rows without building AuthorRead models: its bytes must be exactly AuthorRead's.

Each listed author is compared, byte for byte, with ``AuthorRead`` of the same author read through the ORM with
its book count and serialised by pydantic (what the list answered before), on both databases: nulls, unicode,
JSON columns, counts (books out of the library not counted), and timestamps with and without microseconds, as
SQLAlchemy and CURRENT_TIMESTAMP store them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from shelfkeeper.api.envelope import Page
from shelfkeeper.api.schemas.authors import AuthorRead, AuthorRow
from shelfkeeper.db.tables import Author
from shelfkeeper.services import authors as service
from shelfkeeper.services import books
from tests.api.envelope_checks import listed_data

AUTHORS: list[dict[str, Any]] = [
    {
        "name": 'Stanisław Lem ✓ "quoted" \\ back',
        "asin": "B000APLEM1",
        "provider_ids": {"audible": "B0ŁEM", "nested": "x"},
        "description": "Line one\nLine two\ttab \u2028 sep 😀",
        "image_url": "https://example.com/lem.jpg",
        "monitored": False,
        "future_only": True,
        "abs_id": "au_1",
    },
    {"name": "Bare", "monitored": False},  # every optional field null or empty
    {"name": "Zoë Counted"},
]
BOOKS: list[dict[str, Any]] = [
    {"title": "One", "authors": ["Zoë Counted", 'Stanisław Lem ✓ "quoted" \\ back']},
    {"title": "Two", "authors": ["Zoë Counted"]},
    {"title": "Gone", "authors": ["Zoë Counted"], "in_library": False},  # not counted
]
TIMESTAMPS: dict[str, dict[str, datetime]] = {
    'Stanisław Lem ✓ "quoted" \\ back': {
        "monitored_since": datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        "last_catalogue_check_at": datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=UTC),
    },
    "Zoë Counted": {"last_catalogue_check_at": datetime(2026, 12, 7, 16, 11, 9, tzinfo=UTC)},
}


def expected_data(session: Session, ids: list[int], total: int, limit: int = 50, offset: int = 0) -> bytes:
    session.expire_all()
    counts = service.book_counts(session, ids)
    items = [
        AuthorRead.model_validate(session.get_one(Author, author_id)).model_copy(
            update={"book_count": counts.get(author_id, 0)}
        )
        for author_id in ids
    ]
    return TypeAdapter(Page[AuthorRead]).dump_json(
        Page[AuthorRead](items=items, total=total, limit=limit, offset=offset)
    )


def arrange(session: Session) -> None:
    for fields in AUTHORS:
        service.create_author(session, fields)
    for fields in BOOKS:
        books.create_book(session, fields)
    for name, values in TIMESTAMPS.items():
        session.execute(update(Author).where(Author.name == name).values(**values))
    session.commit()


def ids_by_name(session: Session) -> list[int]:
    return [author.id for author in session.query(Author).order_by(Author.sort_name, Author.id)]


def test_the_row_schema_is_authorreads_fields_in_its_order() -> None:
    assert tuple(AuthorRead.model_fields) == service.ROW_KEYS
    assert tuple(AuthorRow.__annotations__) == tuple(AuthorRead.model_fields)


def test_listed_rows_are_authorreads_bytes(client: TestClient, session: Session) -> None:
    arrange(session)
    ids = ids_by_name(session)
    assert len(ids) == 3
    zoe = session.query(Author).filter_by(name="Zoë Counted").one()
    assert service.book_counts(session, [zoe.id]) == {zoe.id: 2}
    assert listed_data(client, "/api/authors") == expected_data(session, ids, total=3)
    assert listed_data(client, "/api/authors?sort=-id&limit=2&offset=1") == expected_data(
        session, sorted(ids, reverse=True)[1:3], total=3, limit=2, offset=1
    )
    assert listed_data(client, "/api/authors?q=zo%C3%AB") == expected_data(session, [zoe.id], total=1)
    lem = session.query(Author).filter_by(asin="B000APLEM1").one()
    assert listed_data(client, "/api/authors?has_asin=true&monitored=false") == expected_data(
        session, [lem.id], total=1
    )


def test_timestamps_as_current_timestamp_stores_them(client: TestClient, session: Session) -> None:
    arrange(session)
    session.execute(text("UPDATE authors SET created_at = CURRENT_TIMESTAMP, monitored_since = NULL"))
    session.commit()
    assert listed_data(client, "/api/authors") == expected_data(session, ids_by_name(session), total=3)
