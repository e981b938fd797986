"""Alembic environment: takes the engine from the caller, batch mode on SQLite."""

from alembic import context

from shelfkeeper.db import tables  # noqa: F401  (registers every table)
from shelfkeeper.db.base import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
