"""Alembic environment: takes the engine from the caller, batch mode on SQLite."""

from alembic import context

from shelfkeeper.db import tables  # noqa: F401  (registers every table)
from shelfkeeper.db.base import Base

# Tables and indexes the models do not describe: SQLite's full-text index, APScheduler's job store, and the
# PostgreSQL-only list indexes of migration 0007 (trigram search, DESC NULLS LAST sorts).
UNMANAGED_PREFIXES = ("books_fts", "apscheduler_", "ix_pg_", "ix_list_", "book_list_")


def include_object(obj, name, type_, reflected, compare_to):
    return not (type_ in ("table", "index") and name and name.startswith(UNMANAGED_PREFIXES))


config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    context.run_migrations()
