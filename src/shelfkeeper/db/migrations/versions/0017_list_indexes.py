"""Indexes for the book list's filters, counts and descending sorts, on both databases.

- the language, case-insensitively: the filter compares ``lower(language)`` (``language COLLATE NOCASE`` on
  SQLite), which a plain index on ``language`` cannot serve (every row was read to count a language's books).
- ``(metadata_status, language, asin)``: the filters the page combines most, counted from the index alone
  (``has_asin`` is read as ``asin > ''`` / ``asin IS NULL OR asin = ''``, which an index can answer).
- SQLite: ``(column DESC, id)`` for every sort column. The lists order ties by id ascending in both directions;
  an ascending index walked backwards gives ties by id descending, so a descending order sorted every row
  (a deep page of ``-added`` took 20 ms). PostgreSQL has these for the nullable columns since 0007; here it gets
  them for the others.

Their ``ix_list_`` prefix is in env.py's UNMANAGED_PREFIXES (expression and dialect-only indexes are not in
db/tables.py). A later batch migration that rebuilds the books table on SQLite must create them again.

Revision ID: 0017_list_indexes
Revises: 0014_series_packs
Create Date: 2026-12-07
"""

from alembic import op

revision = "0017_list_indexes"
down_revision = "0014_series_packs"
branch_labels = None
depends_on = None

# name: (SQLite columns, PostgreSQL columns). SQLite compares the language with NOCASE (the same ASCII-only folding
# as its lower(), and a column index, not an expression one); PostgreSQL's lower() index carries the column too, so
# a count is answered from the index alone (PostgreSQL does no index-only scan of an expression otherwise).
FILTER_INDEXES = {
    "ix_list_books_language": ("(language COLLATE NOCASE)", "(lower(language)) INCLUDE (language)"),
    "ix_list_books_filters": (
        "(metadata_status, language COLLATE NOCASE, asin)",
        "(metadata_status, lower(language), asin) INCLUDE (language)",
    ),
}
# SQLite puts NULLs last in a descending order by itself, as the lists want.
SQLITE_DESCENDING = (
    "title_sort",
    "author_sort",
    "abs_added_at",
    "created_at",
    "updated_at",
    "published_year",
    "duration_seconds",
    "size_bytes",
    "quality_score",
)
POSTGRESQL_DESCENDING = ("title_sort", "author_sort", "created_at", "updated_at")  # not null: no NULLS clause


def descending_index(column: str) -> str:
    """The name of the ``(column DESC, id)`` index (services/books.py names it to SQLite's planner)."""
    return f"ix_list_books_{column}_desc"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, (sqlite, postgresql) in FILTER_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON books {sqlite if dialect == 'sqlite' else postgresql}")
    for column in SQLITE_DESCENDING if dialect == "sqlite" else POSTGRESQL_DESCENDING:
        op.execute(f"CREATE INDEX {descending_index(column)} ON books ({column} DESC, id)")
    if dialect == "postgresql":
        op.execute("ANALYZE books")  # the planner learns the expression indexes' statistics now, not at autovacuum


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for column in SQLITE_DESCENDING if dialect == "sqlite" else POSTGRESQL_DESCENDING:
        op.execute(f"DROP INDEX IF EXISTS {descending_index(column)}")
    for name in FILTER_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
