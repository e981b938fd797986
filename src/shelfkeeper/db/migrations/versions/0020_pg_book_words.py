"""PostgreSQL: a search finds its books in an index of their words, ``book_list_words (word, book_id)``, not with
a trigram index.

A search asks that every word start a word of the book's folded text (``search_text LIKE '% word%'``). The
trigram index (0007, 0018) is lossy: every match was read again to check it (2 ms to count the 3,716 books of
an author's name: most pages of ``book_list_search``), and walking a sorted index checked each book it met in
that table. Here every word of ``search_text`` (split at its spaces, after the first: the text starts with one)
is a row, its UTF-8 bytes as ``bytea``; the books whose text has a word starting with ``w`` are exactly the rows
with ``w`` ≤ ``word`` < ``w`` with its last byte one higher (UTF-8 is ordered as its code points, a character's
last byte is never 0xFF, and a byte prefix that ends a character is a character prefix): one range of the
primary key, read from the index alone. Statement-level triggers keep it in step with ``books`` on insert and on
an update that changes ``search_text``; a book's words go with it (ON DELETE CASCADE). ``book_list_search`` (0018), which nothing
reads any more, goes, with its trigger; the downgrade brings it back as 0018 made it.

SQLite keeps its FTS5 index (0002). Not in db/tables.py (PostgreSQL's only): the ``book_list_`` prefix is in
env.py's UNMANAGED_PREFIXES.

Revision ID: 0020_pg_book_words
Revises: 0019_pg_book_count
Create Date: 2026-12-07
"""

from alembic import op

revision = "0020_pg_book_words"
down_revision = "0019_pg_book_count"
branch_labels = None
depends_on = None

SEARCH_TRIGRAM_INDEX = "ix_pg_book_list_search_trgm"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE TABLE book_list_words ("
        " word bytea NOT NULL,"
        " book_id integer NOT NULL REFERENCES books (id) ON DELETE CASCADE,"
        " PRIMARY KEY (word, book_id))"
    )
    op.execute(
        "INSERT INTO book_list_words (word, book_id)"
        " SELECT DISTINCT convert_to(word, 'UTF8'), books.id"
        " FROM books, unnest((string_to_array(books.search_text, ' '))[2:]) AS word WHERE word <> ''"
    )
    # A book's words: an update or a delete finds them here, and a page that walks a sorted index checks each book
    # it meets here, from the index alone.
    op.execute("CREATE INDEX ix_pg_book_list_words_book ON book_list_words (book_id, word)")
    # One statement per INSERT or UPDATE statement on books, over its transition tables (a row trigger ran a
    # function per book: a bulk insert took three times as long). An update rewrites the words of the books whose
    # text changed (an update of other columns finds none).
    op.execute(
        """
        CREATE FUNCTION book_list_words_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                DELETE FROM book_list_words AS words
                USING (SELECT id, search_text FROM old_books EXCEPT SELECT id, search_text FROM new_books) AS gone
                WHERE words.book_id = gone.id;
                INSERT INTO book_list_words (word, book_id)
                SELECT DISTINCT convert_to(word, 'UTF8'), came.id
                FROM (SELECT id, search_text FROM new_books EXCEPT SELECT id, search_text FROM old_books) AS came,
                     unnest((string_to_array(came.search_text, ' '))[2:]) AS word
                WHERE word <> '';
            ELSE
                INSERT INTO book_list_words (word, book_id)
                SELECT DISTINCT convert_to(word, 'UTF8'), added.id
                FROM new_books AS added, unnest((string_to_array(added.search_text, ' '))[2:]) AS word
                WHERE word <> '';
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER book_list_words_insert AFTER INSERT ON books REFERENCING NEW TABLE AS new_books"
        " FOR EACH STATEMENT EXECUTE FUNCTION book_list_words_write()"
    )
    op.execute(
        "CREATE TRIGGER book_list_words_update AFTER UPDATE ON books"
        " REFERENCING OLD TABLE AS old_books NEW TABLE AS new_books"
        " FOR EACH STATEMENT EXECUTE FUNCTION book_list_words_write()"
    )
    op.execute("DROP TABLE book_list_search")
    op.execute("DROP FUNCTION book_list_search_write() CASCADE")
    op.execute("ANALYZE book_list_words")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # book_list_search as 0018_pg_book_search made it.
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
    if op.get_bind().exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first() is not None:
        op.execute(f"CREATE INDEX {SEARCH_TRIGRAM_INDEX} ON book_list_search USING gin (search_text gin_trgm_ops)")
    op.execute("ANALYZE book_list_search")
    op.execute("DROP TABLE book_list_words")
    op.execute("DROP FUNCTION book_list_words_write() CASCADE")
