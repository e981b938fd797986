"""The Alembic migrations on a fresh, empty database of each backend: upgrade, schema = models, downgrade."""

from __future__ import annotations

import ast
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine, Integer, MetaData, Table, inspect, text
from sqlalchemy.engine import make_url

from shelfkeeper.db import tables
from shelfkeeper.db.base import Base
from shelfkeeper.db.migrate import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    head_revision,
    upgrade,
    upgrade_if_needed,
)
from shelfkeeper.db.session import make_engine
from shelfkeeper.services import authors, book_list, records, series

PG_ADMIN_URL = os.environ.get("SHELFKEEPER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _unmanaged_prefixes() -> tuple[str, ...]:
    """What the models do not describe (SQLite's full-text index, APScheduler's jobs, PostgreSQL-only indexes)."""
    tree = ast.parse((MIGRATIONS_DIR / "env.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "UNMANAGED_PREFIXES" for t in node.targets):
            return tuple(ast.literal_eval(node.value))
    return ()


UNMANAGED = _unmanaged_prefixes()


def _managed(name: str | None) -> bool:
    return not (name or "").startswith(UNMANAGED)


def _fresh_engine(backend: str, directory: Path) -> Iterator[Engine]:
    """An engine on a brand-new empty database; the PostgreSQL one is dropped afterwards."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{directory / 'fresh.db'}")
        yield engine
        engine.dispose()
        return
    name = f"shelfkeeper_migrations_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from _fresh_engine(request.param, tmp_path)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def migrated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    for engine in _fresh_engine(request.param, tmp_path_factory.mktemp("migrated")):
        upgrade(engine)
        yield engine


def _indexed_columns(engine: Engine) -> set[tuple[str, str]]:
    """(table, column) pairs that lead an index, a unique constraint or a primary key."""
    inspector = inspect(engine)
    leading: set[tuple[str, str]] = set()
    for table in inspector.get_table_names():
        groups = [index["column_names"] for index in inspector.get_indexes(table)]
        groups += [unique["column_names"] for unique in inspector.get_unique_constraints(table)]
        groups.append(inspector.get_pk_constraint(table)["constrained_columns"])
        leading |= {(table, columns[0]) for columns in groups if columns and columns[0]}
    return leading


def test_an_empty_database_upgrades_to_every_table_and_index(empty_engine):
    assert current_revision(empty_engine) is None
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision(empty_engine) is not None
    inspector = inspect(empty_engine)
    present = set(inspector.get_table_names())
    assert {table.name for table in Base.metadata.sorted_tables} | {"alembic_version"} <= present
    for table in Base.metadata.sorted_tables:
        indexes = {index["name"] for index in inspector.get_indexes(table.name)}
        uniques = {unique["name"] for unique in inspector.get_unique_constraints(table.name)}
        for index in table.indexes:
            assert index.name in indexes, (table.name, index.name)
        for constraint in table.constraints:
            if constraint.__class__.__name__ == "UniqueConstraint":
                assert constraint.name in uniques | indexes, (table.name, constraint.name)


def test_the_migrated_schema_matches_the_models(migrated):
    with migrated.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_object": lambda obj, name, type_, reflected, compare_to: (
                    type_ not in ("table", "index") or _managed(name)
                ),
            },
        )
        differences = compare_metadata(context, Base.metadata)
        probe = MetaData()
        Table("probe", probe, Column("id", Integer, primary_key=True))
        probe_differences = compare_metadata(context, probe)
    assert differences == []
    # The comparison does look at the database: a model it lacks shows up, and so do the tables the probe lacks.
    assert ("add_table", "probe") in [(d[0], d[1].name) for d in probe_differences if d[0] == "add_table"]
    assert {d[1].name for d in probe_differences if d[0] == "remove_table"} >= {"books", "series", "authors"}


def test_the_revision_is_the_head(migrated):
    assert current_revision(migrated) == head_revision(migrated)
    upgrade(migrated)  # a second upgrade changes nothing
    assert current_revision(migrated) == head_revision(migrated)


def test_upgrade_if_needed_runs_alembic_only_below_the_head(empty_engine):
    assert upgrade_if_needed(empty_engine) is True  # empty: migrated
    assert current_revision(empty_engine) == head_revision(empty_engine) is not None
    assert upgrade_if_needed(empty_engine) is False  # at the head: alembic left alone
    command.downgrade(alembic_config(empty_engine), "-1")
    assert current_revision(empty_engine) != head_revision(empty_engine)
    assert upgrade_if_needed(empty_engine) is True
    assert current_revision(empty_engine) == head_revision(empty_engine)


def test_downgrade_to_base_then_upgrade_again(empty_engine):
    upgrade(empty_engine)
    command.downgrade(alembic_config(empty_engine), "base")
    assert current_revision(empty_engine) is None
    left = {name for name in inspect(empty_engine).get_table_names() if _managed(name)}
    assert left <= {"alembic_version"}
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision(empty_engine)
    assert {table.name for table in Base.metadata.sorted_tables} <= set(inspect(empty_engine).get_table_names())


def _listed_columns() -> set[tuple[str, str]]:
    """Every (table, column) a list endpoint sorts or filters on."""
    attributes: list[Any] = [*book_list.SORTS.values(), *series.SORTS.values(), *authors.SORTS.values()]
    for kind in (records.DOWNLOADS, records.CORRECTIONS, records.TASKS, records.FAILED_ATTEMPTS):
        attributes += [*kind.sorts.values(), *(getattr(kind.table, name) for name in kind.filters)]
    table_classes = (
        tables.Book,
        tables.Series,
        tables.Author,
        tables.BookAuthor,
        tables.BookSeries,
        tables.BookNarrator,
    )
    filters = ["library_id", "language", "metadata_status", "in_library", "asin"]
    attributes += [getattr(tables.Book, name) for name in filters]
    attributes += [
        tables.Series.monitored,
        tables.Series.completion,
        tables.Author.monitored,
        tables.Author.asin,
        tables.BookAuthor.author_id,
        tables.BookSeries.series_id,
        tables.BookNarrator.name,
    ]
    assert all(
        attribute.class_ in table_classes
        or attribute.class_ in (tables.Download, tables.MetadataCorrection, tables.Task, tables.FailedAttempt)
        for attribute in attributes
    )
    return {(attribute.expression.table.name, attribute.expression.name) for attribute in attributes}


# Sorted on by a list endpoint but without an index yet: adding them needs tables.py and a new migration.
def _list_indexes(engine: Engine) -> set[str]:
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'books'"
        if engine.dialect.name == "sqlite"
        else "SELECT indexname FROM pg_indexes WHERE tablename = 'books'"
    )
    with engine.connect() as connection:
        return {name for (name,) in connection.execute(text(query)) if name.startswith("ix_list_")}


def test_the_list_indexes_come_and_go_with_their_migration(empty_engine):
    upgrade(empty_engine)
    descending = {"ix_list_books_title_sort_desc", "ix_list_books_author_sort_desc", "ix_list_books_created_at_desc"}
    assert {"ix_list_books_language", "ix_list_books_filters"} | descending <= _list_indexes(empty_engine)
    command.downgrade(alembic_config(empty_engine), "0014_series_packs")
    assert _list_indexes(empty_engine) == set()
    upgrade(empty_engine)
    assert {"ix_list_books_language", "ix_list_books_filters"} | descending <= _list_indexes(empty_engine)


def test_postgresqls_search_table_is_filled_by_its_migration_and_kept_in_step(empty_engine):
    if empty_engine.dialect.name != "postgresql":  # SQLite searches its FTS5 index (0002)
        return
    upgrade(empty_engine, "0017_list_indexes")
    with empty_engine.begin() as connection:
        connection.execute(tables.Book.__table__.insert().values(title="A", title_sort="a", search_text=" a before "))
    upgrade(empty_engine, "0019_pg_book_count")  # 0020_pg_book_words replaces it (tests/db/test_book_words.py)
    search = "SELECT search_text FROM book_list_search ORDER BY book_id"
    with empty_engine.begin() as connection:
        assert connection.execute(text(search)).scalars().all() == [" a before "]
        connection.execute(tables.Book.__table__.insert().values(title="B", title_sort="b", search_text=" b new "))
        connection.execute(text("UPDATE books SET search_text = ' a after ' WHERE title = 'A'"))
        assert connection.execute(text(search)).scalars().all() == [" a after ", " b new "]
        connection.execute(text("DELETE FROM books WHERE title = 'A'"))
        assert connection.execute(text(search)).scalars().all() == [" b new "]
    command.downgrade(alembic_config(empty_engine), "0017_list_indexes")
    with empty_engine.connect() as connection:
        assert not inspect(connection).has_table("book_list_search")
    upgrade(empty_engine)


def test_sorted_and_filtered_columns_are_indexed(migrated):
    assert not _listed_columns() - _indexed_columns(migrated)


def _attempt_count_revision(engine: Engine) -> Any:
    """The migration that adds ``downloads.attempt_count`` (found by its file, whatever its number after a merge)."""
    scripts = ScriptDirectory.from_config(alembic_config(engine))
    (found,) = [s for s in scripts.walk_revisions() if s.path.endswith("_download_attempt_count.py")]
    return found


def test_the_attempt_count_is_filled_from_the_failures_already_recorded(empty_engine):
    revision = _attempt_count_revision(empty_engine)
    command.upgrade(alembic_config(empty_engine), revision.down_revision)
    downloads = Table("downloads", MetaData(), autoload_with=empty_engine)
    base = {"indexer": "MAM", "status": "failed", "progress": 0.0, "priority": 0, "retry_count": 0, "flags": []}
    with empty_engine.begin() as connection:
        for n, release in enumerate(({"failures": [{"reason": "a"}, {"reason": "b"}]}, {"score": 3}, {})):
            connection.execute(downloads.insert().values(id=n + 1, release_title=f"r{n}", guid=f"g{n}",
                                                         release=release, **base))  # fmt: skip
    command.upgrade(alembic_config(empty_engine), revision.revision)
    with empty_engine.connect() as connection:
        counts = dict(connection.execute(text("SELECT id, attempt_count FROM downloads ORDER BY id")).all())
    assert counts == {1: 2, 2: 0, 3: 0}
    command.downgrade(alembic_config(empty_engine), revision.down_revision)
    assert "attempt_count" not in {c["name"] for c in inspect(empty_engine).get_columns("downloads")}
