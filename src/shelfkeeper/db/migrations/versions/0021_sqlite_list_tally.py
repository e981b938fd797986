"""SQLite: the book list's counts from a tally kept by triggers, and its walks from one covering index.

- ``book_list_tally``: how many books there are for each combination of the values the list's plain filters ask
  (language, has an ASIN or not, metadata status, in the library, library id), one row per combination met (some
  hundreds for a library of any size). Row triggers on ``books`` keep it exact on every insert, delete and update
  of those columns, in the writer's own transaction: exact in every snapshot. A count of those filters sums the
  matching rows (``services/book_list.py``) instead of reading an index entry per matching book: counting the
  15,000 books with no ASIN took 1.7 ms (two index ranges merged), the 12,500 of a metadata status 0.5 ms.
  Each row keeps a book's raw values (the language as written: the list compares it with NOCASE, which the sum
  does too); ``has_asin`` is 1 where the list's ``has_asin=true`` matches (``asin > ''``), 0 where ``false`` does
  (``asin IS NULL OR asin = ''``), NULL for neither.
- ``ix_list_books_title_walk``: ``(title_sort, id)`` and those filters' columns. A filtered page in the default order
  walks the title index checking each book's filters (``WALK``); the walk looked up every book it passed in the
  table (1.5 ms to find 50 of the 4,500 German books), and now reads them from the index alone (0.05 ms).

Writing costs more for them: inserting 10,000 books (FTS triggers included) took 1.13-1.25 s of CPU before, 1.31 s
with the index, 1.38-1.42 s with the triggers too (some 20 µs a book); updating the language and status of 10,000
books 0.19 s before, 0.37-0.40 s after.

PostgreSQL has its own count (0019) and plans these pages from statistics: nothing changes there. Both are
SQLite's only and not in db/tables.py (``book_list_`` and ``ix_list_`` are in env.py's UNMANAGED_PREFIXES); a
later batch migration that rebuilds the books table on SQLite must create the triggers and the index again.

Revision ID: 0021_sqlite_list_tally
Revises: 0020_pg_book_words
Create Date: 2026-12-07
"""

from alembic import op

revision = "0021_sqlite_list_tally"
down_revision = "0020_pg_book_words"
branch_labels = None
depends_on = None

TALLY = "book_list_tally"
KEYS = ("language", "has_asin", "metadata_status", "in_library", "library_id")
WALK_INDEX = "ix_list_books_title_walk"
TRIGGERS = ("book_list_tally_insert", "book_list_tally_delete", "book_list_tally_update")


def _values(row: str) -> tuple[str, ...]:
    """A book's tally key, ``row`` being NEW, OLD or the table."""
    has_asin = f"CASE WHEN {row}.asin > '' THEN 1 WHEN {row}.asin IS NULL OR {row}.asin = '' THEN 0 END"
    return (f"{row}.language", has_asin, f"{row}.metadata_status", f"{row}.in_library", f"{row}.library_id")


def _matching(row: str) -> str:
    return " AND ".join(f"{key} IS {value}" for key, value in zip(KEYS, _values(row), strict=True))


def _add(row: str, change: int) -> str:
    """The statements adding ``change`` to ``row``'s tally (a row made for a key not met before)."""
    update = f"UPDATE {TALLY} SET books = books + ({change}) WHERE {_matching(row)};"
    if change < 0:
        return update
    values = ", ".join(_values(row))
    return (
        f"{update} INSERT INTO {TALLY} ({', '.join(KEYS)}, books) SELECT {values}, {change} "
        f"WHERE NOT EXISTS (SELECT 1 FROM {TALLY} WHERE {_matching(row)});"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        f"CREATE TABLE {TALLY} (language TEXT, has_asin INTEGER, metadata_status TEXT, in_library INTEGER,"
        " library_id TEXT, books INTEGER NOT NULL)"
    )
    op.execute(f"CREATE INDEX ix_list_{TALLY} ON {TALLY} ({', '.join(KEYS)})")
    grouped = ", ".join(_values("books"))
    op.execute(f"INSERT INTO {TALLY} SELECT {grouped}, count(*) FROM books GROUP BY {grouped}")
    op.execute(f"CREATE TRIGGER {TRIGGERS[0]} AFTER INSERT ON books BEGIN {_add('NEW', 1)} END")
    op.execute(f"CREATE TRIGGER {TRIGGERS[1]} AFTER DELETE ON books BEGIN {_add('OLD', -1)} END")
    changed = " OR ".join(f"{old} IS NOT {new}" for old, new in zip(_values("OLD"), _values("NEW"), strict=True))
    op.execute(
        f"CREATE TRIGGER {TRIGGERS[2]} AFTER UPDATE OF asin, language, metadata_status, in_library, library_id"
        f" ON books WHEN {changed} BEGIN {_add('OLD', -1)} {_add('NEW', 1)} END"
    )
    op.execute(
        f"CREATE INDEX {WALK_INDEX} ON books"
        " (title_sort, id, language COLLATE NOCASE, metadata_status, asin, in_library, library_id)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"DROP INDEX IF EXISTS {WALK_INDEX}")
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute(f"DROP TABLE IF EXISTS {TALLY}")
