"""Alembic migrations, run by the program itself (on start and by ``shelfkeeper db upgrade``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from shelfkeeper.db.plain_driver import MIGRATIONS_DIR, head_from_files

if TYPE_CHECKING:  # alembic loads when a migration command runs, not with the app
    from alembic.config import Config


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


def upgrade_if_needed(engine: Engine) -> bool:
    """``upgrade`` unless the database is already at the head; whether it ran.

    The check reads the migration files and ``alembic_version`` without alembic, whose import and script
    loading would otherwise take a good part of every start (docs/performance.md); ``serve`` asks
    ``plain_driver.at_head`` first, without SQLAlchemy either.
    """
    head = head_from_files()
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
