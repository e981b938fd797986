"""PostgreSQL: the books' search text in a narrow table of its own, ``book_list_search (book_id, search_text)``.

A search is ``search_text LIKE '% word%'`` for every word, answered by a trigram index, which is lossy: every match
is read again to check it. Read from ``books`` that was a page of the wide table per match (1,700 pages to count
"citadel" in 50,000 books); from this table it is its narrow rows. Triggers keep it in step with ``books`` on every
write (insert, and an update that changes ``search_text``); a book's row goes with it (ON DELETE CASCADE). The
text and the matching are the same, only where it is read from changes; the trigram index moves here from
``books`` (0007), when ``pg_trgm`` is there.

SQLite needs none of it: its FTS5 index (0002) is already such a table, kept in step by triggers. Not in
db/tables.py (PostgreSQL's only): the ``book_list_`` prefix is in env.py's UNMANAGED_PREFIXES.

Revision ID: 0018_pg_book_search
Revises: 0017_list_indexes
Create Date: 2026-12-07
"""

from alembic import op

revision = "0018_pg_book_search"
down_revision = "0017_list_indexes"
branch_labels = None
depends_on = None

OLD_INDEX = "ix_pg_books_search_text_trgm"  # 0007's, on books
INDEX = "ix_pg_book_list_search_trgm"


def _has_trigram() -> bool:
    return op.get_bind().exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first() is not None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE TABLE book_list_search ("
        " book_id integer PRIMARY KEY REFERENCES books (id) ON DELETE CASCADE,"
        " search_text text)"
    )
    op.execute("INSERT INTO book_list_search (book_id, search_text) SELECT id, search_text FROM books")
    op.execute(
        """
        CREATE FUNCTION book_list_search_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO book_list_search (book_id, search_text) VALUES (NEW.id, NEW.search_text)
            ON CONFLICT (book_id) DO UPDATE SET search_text = EXCLUDED.search_text;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER book_list_search_insert AFTER INSERT ON books"
        " FOR EACH ROW EXECUTE FUNCTION book_list_search_write()"
    )
    op.execute(
        "CREATE TRIGGER book_list_search_update AFTER UPDATE OF search_text, id ON books FOR EACH ROW"
        " WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text OR OLD.id <> NEW.id)"
        " EXECUTE FUNCTION book_list_search_write()"
    )
    if _has_trigram():
        op.execute(f"CREATE INDEX {INDEX} ON book_list_search USING gin (search_text gin_trgm_ops)")
        op.execute(f"DROP INDEX IF EXISTS {OLD_INDEX}")
    op.execute("ANALYZE book_list_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TABLE book_list_search")
    op.execute("DROP FUNCTION book_list_search_write() CASCADE")
    if _has_trigram():
        op.execute(f"CREATE INDEX IF NOT EXISTS {OLD_INDEX} ON books USING gin (search_text gin_trgm_ops)")
