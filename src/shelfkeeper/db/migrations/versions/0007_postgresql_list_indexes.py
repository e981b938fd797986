"""PostgreSQL list indexes: trigram search over ``books.search_text`` and indexes for every book sort.

- ``pg_trgm`` and a GIN trigram index let the word-prefix search (``search_text LIKE '% word%'``) use an index
  instead of reading every row. ``CREATE EXTENSION`` needs a role allowed to create it (a superuser, or on a
  managed PostgreSQL an extension the provider allows, e.g. ``azure.extensions`` or RDS's ``rds_superuser``).
  When it cannot be created the migration says so and goes on without the index: search still works, as a
  sequential scan.
- ``(title_sort, id)`` lets the default order page by index only: a deep page walks the index, not the rows.
- ``(column DESC NULLS LAST, id)`` for the nullable sort columns: the lists sort descending with unknown values
  last, an order a plain index cannot give (it would be a sequential scan and a sort of every row).

SQLite needs none of these: FTS5 serves search (0002), its indexes carry the rowid (our ``id``), and it puts
NULLs last in a descending order by itself. Being PostgreSQL's only, they are not in db/tables.py: their
``ix_pg_`` prefix is in env.py's UNMANAGED_PREFIXES, so the schema comparison leaves them out.

Revision ID: 0007
Revises: 0011
Create Date: 2026-12-07
"""

import logging

from alembic import op
from sqlalchemy.exc import DBAPIError

revision = "0007"
down_revision = "0011"
branch_labels = None
depends_on = None

TRIGRAM_INDEX = "ix_pg_books_search_text_trgm"
# name, column: ORDER BY column DESC NULLS LAST, id
DESCENDING = (
    ("ix_pg_books_added_desc", "abs_added_at"),
    ("ix_pg_books_year_desc", "published_year"),
    ("ix_pg_books_duration_desc", "duration_seconds"),
    ("ix_pg_books_size_desc", "size_bytes"),
    ("ix_pg_books_quality_desc", "quality_score"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_pg_books_title_sort_id ON books (title_sort, id)")
    for name, column in DESCENDING:
        op.execute(f"CREATE INDEX {name} ON books ({column} DESC NULLS LAST, id)")
    if _trigram_available():
        op.execute(f"CREATE INDEX {TRIGRAM_INDEX} ON books USING gin (search_text gin_trgm_ops)")


def _trigram_available() -> bool:
    """Create pg_trgm if it is missing; False (with a warning) when this role may not."""
    bind = op.get_bind()
    if bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first():
        return True
    # A savepoint: a refused CREATE EXTENSION must not abort the migration's transaction.
    with bind.begin_nested() as savepoint:
        try:
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DBAPIError as error:  # refused (no privilege, extension not allowed): go on without the index
            savepoint.rollback()
            logging.getLogger("shelfkeeper").warning(
                "pg_trgm could not be created (%s); book search works without its index, more slowly "
                "(docs/deployment.md, PostgreSQL: how to add it later).",
                str(error).splitlines()[0],
            )
            return False
    return True


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    for name, _column in DESCENDING:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("DROP INDEX IF EXISTS ix_pg_books_title_sort_id")
