"""SQLite's tally of the books by the list's plain filters, ``book_list_tally`` (0021_sqlite_list_tally): filled by
its migration, exact after every kind of write, gone with its downgrade; the list's counts from it are the
books' own counts."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from shelfkeeper.db import tables
from shelfkeeper.db.migrate import alembic_config, upgrade
from shelfkeeper.services import book_list
from shelfkeeper.services.paging import PageRequest
from tests.db.test_migrations import _fresh_engine

LANGUAGES = ["English", "english", "ENGLISH", "German", "Égal", "égal", None, ""]
ASINS = ["B0001", "", None, "0"]
STATUSES = ["unchecked", "ok", "needs_review"]
LIBRARIES = ["lib_a", "lib_b", None]
# Each book's key as the tally keeps it, read from the books themselves (the migration's own grouping).
BY_BOOKS = """
    SELECT language, CASE WHEN asin > '' THEN 1 WHEN asin IS NULL OR asin = '' THEN 0 END, metadata_status,
           in_library, library_id, count(*)
    FROM books GROUP BY 1, 2, 3, 4, 5
"""
BY_TALLY = """
    SELECT language, has_asin, metadata_status, in_library, library_id, sum(books)
    FROM book_list_tally GROUP BY 1, 2, 3, 4, 5 HAVING sum(books) <> 0
"""


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    yield from _fresh_engine("sqlite", tmp_path)


def _book(rng: random.Random, i: int) -> dict[str, Any]:
    return {
        "title": f"b{i}",
        "title_sort": f"b{i}",
        "search_text": f" b{i} ",
        "language": rng.choice(LANGUAGES),
        "asin": rng.choice(ASINS),
        "metadata_status": rng.choice(STATUSES),
        "in_library": rng.random() < 0.8,
        "library_id": rng.choice(LIBRARIES),
    }


def _insert(connection: Any, rng: random.Random, count: int, start: int = 0) -> None:
    connection.execute(tables.Book.__table__.insert(), [_book(rng, start + i) for i in range(count)])


def _tallies(engine: Engine) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return set(map(tuple, connection.execute(text(BY_BOOKS)))), set(map(tuple, connection.execute(text(BY_TALLY))))


def test_the_migration_tallies_the_books_already_there_and_downgrade_removes_it(sqlite_engine):
    rng = random.Random(1)
    upgrade(sqlite_engine, "0020_pg_book_words")
    with sqlite_engine.begin() as connection:
        _insert(connection, rng, 40)
    upgrade(sqlite_engine)
    books, tally = _tallies(sqlite_engine)
    assert books == tally and sum(row[-1] for row in tally) == 40
    command.downgrade(alembic_config(sqlite_engine), "0020_pg_book_words")
    with sqlite_engine.begin() as connection:
        assert not inspect(connection).has_table("book_list_tally")
        left = "SELECT count(*) FROM sqlite_master WHERE name LIKE '%book_list_tally%' OR name = :walk"
        assert connection.scalar(text(left), {"walk": "ix_list_books_title_walk"}) == 0
        _insert(connection, rng, 1, start=40)  # books are written as before
    upgrade(sqlite_engine)
    books, tally = _tallies(sqlite_engine)
    assert books == tally and sum(row[-1] for row in tally) == 41


def test_every_write_keeps_the_tally_and_a_rolled_back_one_leaves_it(sqlite_engine):
    rng = random.Random(2)
    upgrade(sqlite_engine)
    with sqlite_engine.begin() as connection:
        _insert(connection, rng, 60)
    for step in range(40):
        with sqlite_engine.connect() as connection:
            book_id = rng.randint(1, 60 + step)
            column, value = rng.choice(
                [
                    ("language", rng.choice(LANGUAGES)),
                    ("asin", rng.choice(ASINS)),
                    ("metadata_status", rng.choice(STATUSES)),
                    ("in_library", rng.random() < 0.5),
                    ("library_id", rng.choice(LIBRARIES)),
                    ("title", "renamed"),
                ]
            )
            update = text(f"UPDATE books SET {column} = :value WHERE id = :id")
            connection.execute(update, {"value": value, "id": book_id})
            if step % 5 == 0:
                connection.execute(text("DELETE FROM books WHERE id = :id"), {"id": rng.randint(1, 60 + step)})
            if step % 3 == 0:
                _insert(connection, rng, 2, start=1000 + 2 * step)
            if step % 7 == 0:
                connection.rollback()
            else:
                connection.commit()
        books, tally = _tallies(sqlite_engine)
        assert books == tally


@pytest.mark.parametrize(
    "filters",
    [
        book_list.BookFilters(language="english"),
        book_list.BookFilters(language="ÉGAL"),
        book_list.BookFilters(language="égal"),
        book_list.BookFilters(has_asin=True),
        book_list.BookFilters(has_asin=False),
        book_list.BookFilters(metadata_status="ok", status="removed"),
        book_list.BookFilters(status="in_library", library_id="lib_b", has_asin=False, language="German"),
    ],
)
def test_a_count_from_the_tally_is_the_books_own(sqlite_engine, filters):
    rng = random.Random(3)
    upgrade(sqlite_engine)
    with sqlite_engine.begin() as connection:
        _insert(connection, rng, 300)
    shape = book_list.Shape.of(filters)
    assert shape.tallied()
    with sqlite_engine.connect() as connection:
        values = filters.values()
        counted = connection.execute(book_list._count(shape, "sqlite"), values).one()
        direct = connection.scalar(
            book_list.select(book_list.func.count())
            .select_from(tables.Book)
            .where(*book_list._conditions(shape, "sqlite")),
            values,
        )
        listed = book_list.list_books(connection, filters, PageRequest(limit=500), None)
    assert counted[0] == direct == len(listed.items) == listed.total
    assert counted[1] == 300
