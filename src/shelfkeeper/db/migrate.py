"""Alembic migrations, run by the program itself (on start and by ``shelfkeeper db upgrade``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:  # alembic loads when a migration command runs, not with the app
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


_REVISION = re.compile(r'^(down_revision|revision)\s*=\s*"([^"]*)"', re.MULTILINE)


def _head_from_files() -> str | None:
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


def upgrade_if_needed(engine: Engine) -> bool:
    """``upgrade`` unless the database is already at the head; whether it ran.

    The check reads the migration files and ``alembic_version`` without alembic, whose import and script
    loading would otherwise take a good part of every start (docs/performance.md).
    """
    head = _head_from_files()
    try:
        with engine.connect() as connection:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError:  # no alembic_version table yet: an empty database
        current = []
    if head is not None and current == [head]:
        return False
    upgrade(engine)
    return True


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
