"""PostgreSQL: how many books there are, kept by triggers (``book_list_count``), and an index of the books without
an ASIN.

Counting every book read 50,000 index entries for each unfiltered page (2 ms). ``book_list_count`` holds *delta
rows*: statement-level triggers on ``books`` add one row per INSERT or DELETE statement, ``+n`` or ``-n`` (read from
the statement's transition table), and the count is their sum. It is exact in every snapshot: a writer's delta row
commits (or rolls back) with its books, so a reader's statement sums the deltas of exactly the transactions whose
books it sees. Writers never wait for each other: each inserts its own row (one counter row updated by every
writer would make them queue behind its lock until each commits). The writer of every 64th delta row folds the 64
rows up to its own (an index range: the same cost however long its transaction, which a fold of the whole table
would not have: inside one transaction the rows it folded stay in the table, dead, until it ends) into one row of
their sum, skipping any another transaction holds (``FOR UPDATE SKIP LOCKED``: it never waits, so it cannot
deadlock); the writer of every 4,096th folds every row (what an earlier fold skipped), so readers sum a handful
of rows. A TRUNCATE of ``books`` (which no writer runs alongside: it locks the table) empties
it. The migration fills it with the current count, under the lock its CREATE TRIGGER takes (no book is written
between the two).

``ix_pg_books_no_asin``: the books with no ASIN (``asin IS NULL OR asin = ''``, as the list's ``has_asin=false``
reads it), in title order: their count and their first page come from it alone (the count read every book's entry
of the ASIN index).

SQLite needs neither (its count of 50,000 books reads a small index, as fast as its page). Not in db/tables.py: the
``book_list_`` and ``ix_pg_`` prefixes are in env.py's UNMANAGED_PREFIXES.

Revision ID: 0019_pg_book_count
Revises: 0018_pg_book_search
Create Date: 2026-12-07
"""

from alembic import op

revision = "0019_pg_book_count"
down_revision = "0018_pg_book_search"
branch_labels = None
depends_on = None

NO_ASIN_INDEX = "ix_pg_books_no_asin"
FOLD_EVERY = 64  # delta rows: the rows each fold takes
FOLD_ALL_EVERY = 4096


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE TABLE book_list_count (id bigserial PRIMARY KEY, books bigint NOT NULL)")
    op.execute(
        """
        CREATE FUNCTION book_list_count_fold(after bigint, up_to bigint) RETURNS void LANGUAGE sql AS $$
            WITH folded AS (
                DELETE FROM book_list_count
                WHERE id IN (
                    SELECT id FROM book_list_count WHERE id > after AND id <= up_to FOR UPDATE SKIP LOCKED
                )
                RETURNING books
            )
            INSERT INTO book_list_count (books) SELECT sum(books) FROM folded HAVING count(*) > 0
        $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION book_list_count_write() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            change bigint;
            added bigint;
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                DELETE FROM book_list_count;
                RETURN NULL;
            ELSIF TG_OP = 'INSERT' THEN
                SELECT count(*) INTO change FROM written;
            ELSE
                SELECT -count(*) INTO change FROM written;
            END IF;
            IF change <> 0 THEN
                INSERT INTO book_list_count (books) VALUES (change) RETURNING id INTO added;
                IF added % {FOLD_ALL_EVERY} = 0 THEN
                    PERFORM book_list_count_fold(0, added);
                ELSIF added % {FOLD_EVERY} = 0 THEN
                    PERFORM book_list_count_fold(added - {FOLD_EVERY}, added);
                END IF;
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER book_list_count_insert AFTER INSERT ON books REFERENCING NEW TABLE AS written"
        " FOR EACH STATEMENT EXECUTE FUNCTION book_list_count_write()"
    )
    op.execute(
        "CREATE TRIGGER book_list_count_delete AFTER DELETE ON books REFERENCING OLD TABLE AS written"
        " FOR EACH STATEMENT EXECUTE FUNCTION book_list_count_write()"
    )
    op.execute(
        "CREATE TRIGGER book_list_count_truncate AFTER TRUNCATE ON books"
        " FOR EACH STATEMENT EXECUTE FUNCTION book_list_count_write()"
    )
    op.execute("INSERT INTO book_list_count (books) SELECT count(*) FROM books")
    op.execute(f"CREATE INDEX {NO_ASIN_INDEX} ON books (title_sort, id) WHERE asin IS NULL OR asin = ''")
    op.execute("ANALYZE book_list_count")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX IF EXISTS {NO_ASIN_INDEX}")
    op.execute("DROP TRIGGER book_list_count_insert ON books")
    op.execute("DROP TRIGGER book_list_count_delete ON books")
    op.execute("DROP TRIGGER book_list_count_truncate ON books")
    op.execute("DROP FUNCTION book_list_count_write()")
    op.execute("DROP FUNCTION book_list_count_fold(bigint, bigint)")
    op.execute("DROP TABLE book_list_count")
