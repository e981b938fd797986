"""Full-text search over books on SQLite (FTS5 kept in step by triggers).

PostgreSQL matches word prefixes with LIKE on the same folded text, fast enough at 50,000 books.
Later batch migrations that rebuild the books table on SQLite must call ``create_sqlite_fts`` again,
since SQLite drops a table's triggers with it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

FTS_STATEMENTS = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS books_fts USING fts5(search_text, content='books', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS books_fts_insert AFTER INSERT ON books BEGIN "
    "INSERT INTO books_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS books_fts_delete AFTER DELETE ON books BEGIN "
    "INSERT INTO books_fts(books_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS books_fts_update AFTER UPDATE OF search_text ON books BEGIN "
    "INSERT INTO books_fts(books_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO books_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO books_fts(books_fts) VALUES ('rebuild')",
)


def create_sqlite_fts() -> None:
    for statement in FTS_STATEMENTS:
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        create_sqlite_fts()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("books_fts_insert", "books_fts_delete", "books_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS books_fts")
