"""PostgreSQL's count of the books, ``book_list_count`` (0019_pg_book_count): filled by its migration, exact after
every kind of write, folded as it grows, exact in every snapshot while many writers insert and delete at once."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from shelfkeeper.db import tables
from shelfkeeper.db.migrate import alembic_config, upgrade
from tests.db.test_migrations import _fresh_engine

SUM = "SELECT coalesce(sum(books), 0) FROM book_list_count"
ROWS = "SELECT count(*) FROM book_list_count"
BOOKS = "SELECT count(*) FROM books"


@pytest.fixture
def pg_engine(tmp_path: Path) -> Iterator[Engine]:
    yield from _fresh_engine("postgresql", tmp_path)


def _insert(connection, count: int, tag: str = "b") -> None:
    """``count`` books in one INSERT statement (one delta row)."""
    rows = [{"title": f"{tag}{i}", "title_sort": f"{tag}{i}", "search_text": f" {tag}{i} "} for i in range(count)]
    connection.execute(tables.Book.__table__.insert().values(rows))


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        return connection.scalar(text(SUM)), connection.scalar(text(BOOKS))


def test_the_migration_counts_the_books_already_there_and_downgrade_removes_it(pg_engine):
    upgrade(pg_engine, "0018_pg_book_search")
    with pg_engine.begin() as connection:
        _insert(connection, 7)
    upgrade(pg_engine)
    assert _counts(pg_engine) == (7, 7)
    command.downgrade(alembic_config(pg_engine), "0018_pg_book_search")
    with pg_engine.connect() as connection:
        assert not inspect(connection).has_table("book_list_count")
        names = "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'book_list_count%'"
        assert connection.scalar(text(names)) == 0
        _insert(connection, 1)  # books are written as before
        connection.commit()
    upgrade(pg_engine)
    assert _counts(pg_engine) == (8, 8)


def test_every_write_keeps_the_count_and_a_rolled_back_one_leaves_it(pg_engine):
    upgrade(pg_engine)
    with pg_engine.begin() as connection:
        _insert(connection, 5)
        connection.execute(text("INSERT INTO books (title, title_sort) SELECT 'x', 'x' WHERE false"))  # no delta row
        connection.execute(text("DELETE FROM books WHERE title IN ('b1', 'b2')"))
        connection.execute(text("DELETE FROM books WHERE title = 'nothing'"))
        connection.execute(text("UPDATE books SET title = 'renamed' WHERE title = 'b3'"))
    assert _counts(pg_engine) == (3, 3)
    with pg_engine.connect() as connection:
        assert connection.scalar(text(ROWS)) == 3  # the migration's 0, +5, -2
        _insert(connection, 4)
        assert connection.scalar(text(SUM)) == 7  # the writer sees its own books counted
        connection.rollback()
    assert _counts(pg_engine) == (3, 3)
    with pg_engine.begin() as connection:
        connection.execute(text("TRUNCATE books CASCADE"))
    assert _counts(pg_engine) == (0, 0)
    with pg_engine.begin() as connection:
        _insert(connection, 2)
    assert _counts(pg_engine) == (2, 2)


def test_the_delta_rows_are_folded_as_they_grow(pg_engine):
    upgrade(pg_engine)
    with pg_engine.begin() as connection:
        for i in range(200):
            _insert(connection, 1, tag=f"t{i}-")
            if i % 3 == 0:
                connection.execute(text("DELETE FROM books WHERE id = (SELECT min(id) FROM books)"))
    total, books = _counts(pg_engine)
    assert total == books == 200 - 67
    with pg_engine.begin() as connection:
        assert connection.scalar(text(ROWS)) < 64
        connection.execute(text("SELECT book_list_count_fold(0, (SELECT max(id) FROM book_list_count))"))
        assert (connection.scalar(text(ROWS)), connection.scalar(text(SUM))) == (1, 133)
        connection.execute(text("SELECT book_list_count_fold(0, (SELECT max(id) FROM book_list_count))"))  # one row
        assert (connection.scalar(text(ROWS)), connection.scalar(text(SUM))) == (1, 133)


def test_one_long_transaction_folds_its_own_rows_as_it_goes(pg_engine):
    """5,000 one-book statements in one transaction (a library sync): the rows stay few as it goes, each fold
    taking the last 64 (a fold of the whole table would read every row folded before in the transaction)."""
    upgrade(pg_engine)
    with pg_engine.begin() as connection:
        for i in range(5000):
            _insert(connection, 1, tag=f"s{i}-")
            if i % 1000 == 999:
                assert connection.scalar(text(ROWS)) <= 64 + 1
        assert connection.scalar(text(SUM)) == 5000
    assert _counts(pg_engine) == (5000, 5000)


def test_the_count_is_exact_in_every_snapshot_while_writers_insert_and_delete_at_once(pg_engine):
    """Six writers insert, delete and roll back at once for a while; readers check, each in one snapshot
    (REPEATABLE READ), that the sum is the number of books, and at the end it still is."""
    upgrade(pg_engine)
    with pg_engine.begin() as connection:
        _insert(connection, 50, tag="seed")
    failures: list[str] = []
    stop = threading.Event()

    def write(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for step in range(60):
                with pg_engine.connect() as connection:
                    for _ in range(rng.randint(1, 4)):
                        if rng.random() < 0.6:
                            _insert(connection, rng.randint(1, 5), tag=f"w{seed}-{step}-")
                        else:
                            own = "SELECT id FROM books WHERE title LIKE :mine ORDER BY id LIMIT :n"
                            connection.execute(  # its own books: writers wait for nothing but the count
                                text(f"DELETE FROM books WHERE id IN ({own})"),
                                {"mine": f"w{seed}-%", "n": rng.randint(1, 3)},
                            )
                    if rng.random() < 0.2:
                        connection.rollback()
                    else:
                        connection.commit()
        except Exception as exc:  # a deadlock or any error fails the test
            failures.append(repr(exc))

    def read() -> None:
        while not stop.is_set():
            with pg_engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
                total, books = connection.scalar(text(SUM)), connection.scalar(text(BOOKS))
                if total != books:
                    failures.append(f"sum {total} != {books} books")

    writers = [threading.Thread(target=write, args=(seed,)) for seed in range(6)]
    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in writers + readers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    for thread in readers:
        thread.join()
    assert failures == []
    total, books = _counts(pg_engine)
    assert total == books
    # How many delta rows the writers' folds left depends on how their transactions interleaved (a fold skips the
    # rows other open transactions hold, and cannot see their uncommitted ones): on a loaded machine several
    # hundred of some 900. None is stuck: one fold takes them all, and the count is still exact.
    with pg_engine.begin() as connection:
        connection.execute(text("SELECT book_list_count_fold(0, (SELECT max(id) FROM book_list_count))"))
    with pg_engine.connect() as connection:
        assert connection.scalar(text(ROWS)) == 1
    assert _counts(pg_engine)[0] == books
