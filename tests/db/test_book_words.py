"""PostgreSQL's index of the books' words, ``book_list_words`` (0020_pg_book_words): filled by its migration, kept
in step on every write, and finding exactly the books ``search_text LIKE '% word%'`` finds, for any text and any
word (hypothesis)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, select, text

from shelfkeeper.db import tables
from shelfkeeper.db.migrate import alembic_config, upgrade
from shelfkeeper.services import book_list
from shelfkeeper.services.paging import like_escaped
from tests.db.test_migrations import _fresh_engine

LIKE = "SELECT id FROM books WHERE search_text LIKE '%' || :word || '%' ESCAPE '/' ORDER BY id"


@pytest.fixture
def pg_engine(tmp_path: Path) -> Iterator[Engine]:
    yield from _fresh_engine("postgresql", tmp_path)


@pytest.fixture(scope="module")
def migrated_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    for engine in _fresh_engine("postgresql", tmp_path_factory.mktemp("words")):
        upgrade(engine)
        yield engine


def _words(engine: Engine) -> list[tuple[str, int]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT convert_from(word, 'UTF8'), book_id FROM book_list_words"))
        return sorted((word, book_id) for word, book_id in rows)


def _add(connection, title: str, search_text: str) -> int:
    table = tables.Book.__table__
    return connection.scalar(
        table.insert().values(title=title, title_sort=title, search_text=search_text).returning(table.c.id)
    )


def test_the_migration_indexes_the_books_there_and_writes_keep_it_in_step(pg_engine):
    upgrade(pg_engine, "0019_pg_book_count")
    with pg_engine.begin() as connection:
        first = _add(connection, "A", " dune  dune frank\therbert ")
        _add(connection, "Empty", "")
        _add(connection, "No leading space", "lead word ")
    upgrade(pg_engine)
    with pg_engine.connect() as connection:
        assert not inspect(connection).has_table("book_list_search")
    assert _words(pg_engine) == [("dune", first), ("frank\therbert", first), ("word", first + 2)]
    with pg_engine.begin() as connection:
        second = _add(connection, "B", " émile zola ")
        connection.execute(text("UPDATE books SET search_text = ' dune messiah ' WHERE id = :id"), {"id": first})
        connection.execute(text("UPDATE books SET title = 'renamed' WHERE id = :id"), {"id": second})
    assert _words(pg_engine) == [
        ("dune", first),
        ("messiah", first),
        ("word", first + 2),
        ("zola", second),
        ("émile", second),
    ]
    with pg_engine.begin() as connection:  # several books in one statement: only the changed texts are rewritten
        connection.execute(text("UPDATE books SET search_text = search_text, title = title || '!'"))
    assert _words(pg_engine) == [
        ("dune", first),
        ("messiah", first),
        ("word", first + 2),
        ("zola", second),
        ("émile", second),
    ]
    with pg_engine.begin() as connection:
        connection.execute(
            text("UPDATE books SET search_text = ' new' || search_text WHERE id IN (:a, :b)"), {"a": first, "b": second}
        )
    assert _words(pg_engine) == [
        ("dune", first),
        ("messiah", first),
        ("new", first),
        ("new", second),
        ("word", first + 2),
        ("zola", second),
        ("émile", second),
    ]
    with pg_engine.begin() as connection:
        connection.execute(text("UPDATE books SET search_text = ' dune messiah ' WHERE id = :id"), {"id": first})
        connection.execute(text("UPDATE books SET search_text = ' émile zola ' WHERE id = :id"), {"id": second})
    with pg_engine.begin() as connection:
        connection.execute(text("DELETE FROM books WHERE id = :id"), {"id": first})
    assert _words(pg_engine) == [("word", first + 2), ("zola", second), ("émile", second)]
    command.downgrade(alembic_config(pg_engine), "0019_pg_book_count")
    with pg_engine.connect() as connection:
        assert not inspect(connection).has_table("book_list_words")
        rows = connection.execute(text("SELECT book_id, search_text FROM book_list_search ORDER BY book_id")).all()
        assert [tuple(row) for row in rows] == [
            (first + 1, ""),
            (first + 2, "lead word "),
            (second, " émile zola "),
        ]
    upgrade(pg_engine)
    assert _words(pg_engine) == [("word", first + 2), ("zola", second), ("émile", second)]


CHARACTERS = list("abcé%&'_/\\Z🙂🙃\u00ff\u0100\u0101\t")
TOKENS = st.text(st.sampled_from(CHARACTERS), max_size=4)
TEXTS = st.lists(  # words between spaces (single, double, with a tab), mostly after a leading space
    st.builds(
        lambda lead, tokens, gap: lead + gap.join(tokens) + " ",
        st.sampled_from([" ", " ", "", "  "]),
        st.lists(TOKENS, max_size=6),
        st.sampled_from([" ", " ", "  ", "\t "]),
    ),
    min_size=1,
    max_size=6,
)
WORDS = st.text(st.sampled_from(CHARACTERS[:-1]), min_size=1, max_size=2)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(texts=TEXTS, typed=st.lists(WORDS, min_size=1, max_size=2))
def test_a_words_range_finds_exactly_what_like_finds(migrated_pg, texts, typed):
    filters = book_list.BookFilters(q=" ".join(typed))
    words = filters.words()
    if not words:
        return
    shape, values = book_list.Shape.of(filters), filters.values()
    with migrated_pg.connect() as connection:
        for i, search_text in enumerate(texts):
            _add(connection, f"t{i}", search_text)
        liked: set[int] | None = None
        for word in words:
            found = set(connection.execute(text(LIKE), {"word": like_escaped(" " + word)}).scalars())
            liked = found if liked is None else liked & found
        conditions = book_list._conditions(shape, "postgresql")
        matched = set(connection.scalars(select(tables.Book.id).where(*conditions), values))
        counted = connection.execute(book_list._count(shape, "postgresql"), values).one()
        connection.rollback()
    assert matched == liked
    assert counted[0] == len(liked)
    if len(words) > 1:  # and the ids of what it found, for the page
        assert sorted(counted[2] or []) == sorted(liked)
