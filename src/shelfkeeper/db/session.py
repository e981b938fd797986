"""Engines and units of work: the caller opens the transaction, repositories never commit."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from shelfkeeper.db.plain_driver import SQLITE_PRAGMAS

if TYPE_CHECKING:  # the ORM loads with the first session factory, not with every engine (``shelfkeeper serve``)
    from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for SQLite (WAL, foreign keys on, busy timeout) or PostgreSQL (psycopg 3)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            _private_database_files(Path(database))
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "checkin", _usual_checkpoints)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _private_database_files(database: Path) -> None:
    """The database file made 0600 before SQLite opens it; SQLite gives its -wal and -shm the same mode."""
    descriptor = os.open(database, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(descriptor)
    for path in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        if path.exists():
            os.chmod(path, 0o600)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


_BULK_CHECKPOINTS = "shelfkeeper_bulk_checkpoints"  # marks a pooled connection until it goes back to the pool
_USUAL_CHECKPOINT_PAGES = 1000  # SQLite's own
_BULK_CHECKPOINT_PAGES = 10_000  # 40 MiB of 4 KiB pages


def checkpoint_less_often(session: Session) -> None:
    """SQLite: the session's connection checkpoints its write-ahead log every 10,000 pages instead of every 1,000,
    until it goes back to the pool. For bulk writes that can be written again (a library sync's pages).

    A checkpoint copies the log into the database and syncs both files to disk: a first sync of 50,000 books
    writes some 200 MiB of pages, and checkpoints ten times rarer saved about a second of waiting for the disk
    (pages written again and again between two checkpoints are copied once). A killed process loses nothing
    committed either way; a power cut may lose what was committed since the last checkpoint (the house's
    ``synchronous=NORMAL``), here at most 40 MiB of a sync's pages, which the next sync writes again.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    pooled = connection.connection
    if not pooled.info.get(_BULK_CHECKPOINTS):
        connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint={_BULK_CHECKPOINT_PAGES}")
        pooled.info[_BULK_CHECKPOINTS] = True


def _usual_checkpoints(dbapi_connection: Any, record: Any) -> None:
    if record is not None and record.info.pop(_BULK_CHECKPOINTS, False):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA wal_autocheckpoint={_USUAL_CHECKPOINT_PAGES}")
        cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back when it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def database_reachable(engine: Engine) -> tuple[bool, str | None]:
    """Whether ``SELECT 1`` works, with the error text when it does not."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True, None
    except Exception as exc:  # any driver error means "not reachable" for /health
        return False, type(exc).__name__
