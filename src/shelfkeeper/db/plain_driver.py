"""The database through its own driver (sqlite3, psycopg) without SQLAlchemy: what ``serve`` asks before it listens.

Whether the schema is at the newest migration, and whether the database answers ``/health``, asked the way the
engine would (db/session.make_engine: the same connection options and SQLite pragmas), so that neither SQLAlchemy
nor alembic loads for it. A URL in another form than the two the settings make (``sqlite:///<file>`` and
``postgresql+psycopg://…``) is not read here: the callers ask SQLAlchemy then.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_REVISION = re.compile(r'^(down_revision|revision)\s*=\s*"([^"]*)"', re.MULTILINE)
_SQLITE = "sqlite:///"
_POSTGRES = "postgresql+psycopg://"
# Every SQLite connection's pragmas, the engine's (db/session.py) and this module's alike.
SQLITE_PRAGMAS = ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL", "busy_timeout=30000")


def head_from_files() -> str | None:
    """The one revision no other revision revises, read from the migration files (None when that is unclear)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict(_REVISION.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found:
            return None
        revisions.add(found["revision"])
        revised.add(found.get("down_revision", ""))
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def readable(url: str) -> bool:
    """Whether this module reads ``url`` (else SQLAlchemy must)."""
    return _sqlite_file(url) is not None or url.startswith(_POSTGRES)


def at_head(url: str) -> bool:
    """Whether the database's ``alembic_version`` holds the head revision alone; False when that is unclear (an
    empty or missing database, an error, a URL not read here): then alembic is asked."""
    head = head_from_files()
    if head is None or not readable(url):
        return False
    database = _sqlite_file(url)
    if database is not None and not Path(database).is_file():
        return False  # made by the engine, with its file mode, when the migrations run
    try:
        connection = _connect(url)
        try:
            rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            connection.close()
    except Exception:  # no alembic_version table, or any driver error: the migrations' own path says
        return False
    return [row[0] for row in rows] == [head]


def reachable(url: str) -> tuple[bool, str | None]:
    """``database_reachable`` (db/session.py) through the driver alone: whether ``SELECT 1`` works, else the error's
    class name, which is the name SQLAlchemy gives the driver's error (``OperationalError``, ``DatabaseError``)."""
    try:
        connection = _connect(url)
        try:
            connection.execute("SELECT 1")
        finally:
            connection.close()
        return True, None
    except Exception as exc:  # any driver error means "not reachable" for /health
        return False, type(exc).__name__


def _connect(url: str) -> Any:
    """A driver connection as the engine opens one (SQLite: pragmas run, the file never made here)."""
    database = _sqlite_file(url)
    if database is not None:
        connection = sqlite3.connect(
            f"file:{quote(str(Path(database)))}?mode=rw", uri=True, timeout=30, check_same_thread=False
        )
        for pragma in SQLITE_PRAGMAS:
            connection.execute(f"PRAGMA {pragma}")
        return connection
    if not url.startswith(_POSTGRES):
        raise ValueError(f"not a URL read by the plain driver: {url.split('://', 1)[0]}://…")
    import psycopg  # PostgreSQL's driver loads only where it is the database

    return psycopg.connect("postgresql://" + url.removeprefix(_POSTGRES), autocommit=True)


def _sqlite_file(url: str) -> str | None:
    """The file of ``sqlite:///<file>`` as SQLAlchemy reads it; None for any other form (memory, options, escapes)."""
    if not url.startswith(_SQLITE):
        return None
    database = url.removeprefix(_SQLITE)
    if not database or database == ":memory:" or any(mark in database for mark in "?#%"):
        return None
    return database
