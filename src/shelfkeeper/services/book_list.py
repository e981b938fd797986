"""Listing books: search, filters, sorts and one page, from indexes (docs/architecture.md, "Counts and filtered
pages from indexes").

The statements of a listing depend only on its *shape* (which filters are set, how many search words, the sort,
how the page is found), not on the values: each shape's statements are built once, with bound parameters, and
reused, so a request does not pay for building and compiling them again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Integer,
    LargeBinary,
    MetaData,
    Select,
    String,
    Table,
    any_,
    bindparam,
    case,
    cast,
    func,
    intersect,
    literal,
    literal_column,
    null,
    or_,
    select,
    table,
    text,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import InstrumentedAttribute

from shelfkeeper.db.base import UTCDateTime
from shelfkeeper.db.driver_reads import fetch
from shelfkeeper.db.repositories import author_key
from shelfkeeper.db.tables import Author, Book, BookAuthor, BookNarrator, BookSeries, Series
from shelfkeeper.domain.text import fold, series_key
from shelfkeeper.services.book_rows import book_rows
from shelfkeeper.services.paging import PageRequest, PageResult, SortColumn, known_sort, like_escaped, order_by

SORTS: dict[str, SortColumn] = {
    "title": Book.title_sort,
    "author": Book.author_sort,
    "added": Book.abs_added_at,
    "created": Book.created_at,
    "updated": Book.updated_at,
    "year": Book.published_year,
    "duration": Book.duration_seconds,
    "size": Book.size_bytes,
    "quality": Book.quality_score,
    "id": Book.id,
}

# PostgreSQL's index of the words of books.search_text, as UTF-8 bytes (0020_pg_book_words; not in db/tables.py).
BOOK_WORDS = Table(
    "book_list_words",
    MetaData(),
    Column("word", LargeBinary, primary_key=True),
    Column("book_id", Integer, primary_key=True),
)

# PostgreSQL's count of the books, as delta rows to sum, kept by triggers (0019_pg_book_count; not in db/tables.py).
BOOK_COUNT = Table(
    "book_list_count", MetaData(), Column("id", BigInteger, primary_key=True), Column("books", BigInteger)
)

# SQLite's tally of the books by the values of the plain filters, kept by triggers (0021_sqlite_list_tally; not in
# db/tables.py): ``has_asin`` 1 where ``asin > ''``, 0 where ``asin IS NULL OR asin = ''``.
BOOK_TALLY = Table(
    "book_list_tally",
    MetaData(),
    Column("language", String),
    Column("has_asin", Integer),
    Column("metadata_status", String),
    Column("in_library", Integer),
    Column("library_id", String),
    Column("books", Integer),
)

# What a listing shows of a book (search_text and extra stay in the database).
LISTED_COLUMNS = tuple(column for column in Book.__table__.c if column.key not in ("search_text", "extra"))
LISTED_KEYS = tuple(column.key for column in LISTED_COLUMNS)
TIMESTAMPS = frozenset(column.key for column in LISTED_COLUMNS if isinstance(column.type, UTCDateTime))


@dataclass(frozen=True)
class BookFilters:
    q: str | None = None
    author_id: int | None = None
    author: str | None = None
    series_id: int | None = None
    series: str | None = None
    narrator: str | None = None
    status: str | None = None  # "in_library" or "removed"
    language: str | None = None
    has_asin: bool | None = None
    metadata_status: str | None = None
    library_id: str | None = None

    def words(self) -> list[str]:
        return fold(self.q).split() if self.q else []

    def values(self) -> dict[str, Any]:
        """The bound parameters of the statements (``Shape`` says which are used)."""
        words = self.words()
        values: dict[str, Any] = {}
        for i, word in enumerate(words):  # PostgreSQL: the range of the words that start with ``word``
            values[f"word_from_{i}"], values[f"word_to_{i}"] = word_range(word)
        values["fts_match"] = " ".join('"' + word.replace('"', "") + '"*' for word in words)
        values["author_id"] = self.author_id
        values["author_key"] = like_escaped(author_key(self.author)) if self.author else None
        values["series_id"] = self.series_id
        values["series_key"] = like_escaped(series_key(self.series)) if self.series else None
        values["narrator"] = like_escaped(self.narrator.lower()) if self.narrator else None
        values["language"] = self.language.lower() if self.language else None
        values["metadata_status"] = self.metadata_status
        values["library_id"] = self.library_id
        return values


def word_range(word: str) -> tuple[bytes, bytes]:
    """The words (UTF-8 bytes) that start with ``word`` are those from the first up to, not including, the second:
    ``word``'s bytes with the last one higher (UTF-8 sorts as its code points; a character's last byte is at most
    0xBF, so it has a next; a byte prefix that ends a character is a character prefix)."""
    first = word.encode()
    return first, first[:-1] + bytes([first[-1] + 1])


@dataclass(frozen=True)
class Shape:
    """What the statements of a listing depend on: which filters are set (the two booleans by value)."""

    words: int
    author_id: bool
    author: bool
    series_id: bool
    series: bool
    narrator: bool
    status: str | None
    language: bool
    has_asin: bool | None
    metadata_status: bool
    library_id: bool

    @classmethod
    def of(cls, filters: BookFilters) -> Shape:
        return cls(
            words=len(filters.words()),
            author_id=filters.author_id is not None,
            author=bool(filters.author),
            series_id=filters.series_id is not None,
            series=bool(filters.series),
            narrator=bool(filters.narrator),
            status=filters.status,
            language=bool(filters.language),
            has_asin=filters.has_asin,
            metadata_status=bool(filters.metadata_status),
            library_id=bool(filters.library_id),
        )

    def filtered(self) -> bool:
        return self != UNFILTERED

    def search_only(self) -> bool:
        return self.words > 0 and replace(self, words=0) == UNFILTERED

    def tallied(self) -> bool:
        """Whether only filters ``book_list_tally`` counts are set (SQLite)."""
        links = (self.words, self.author_id, self.author, self.series_id, self.series, self.narrator)
        return self.filtered() and not any(links)


UNFILTERED = Shape.of(BookFilters())


def _unindexed(column: InstrumentedAttribute[Any]) -> ColumnElement[Any]:
    """``+books.column``: the same value, in a term SQLite's planner will not answer from an index."""
    return literal_column(f"+{Book.__tablename__}.{column.name}", type_=column.type)


def _fts_rowids() -> Select[Any]:
    return select(text("rowid")).select_from(text("books_fts")).where(text("books_fts MATCH :fts_match"))


def _conditions(shape: Shape, dialect: str, *, unindexed: bool = False) -> list[ColumnElement[bool]]:
    """The filters as SQL with bound values; ``unindexed`` (SQLite) keeps the planner from finding the books
    through them. Search: every word must start a word of the book's folded text (FTS5 on SQLite, LIKE on
    PostgreSQL); association filters are ``id IN (subquery)`` so they use the association tables' indexes."""

    def c(column: InstrumentedAttribute[Any]) -> ColumnElement[Any]:
        return _unindexed(column) if unindexed else column.expression

    def linked(column: InstrumentedAttribute[int], condition: ColumnElement[bool]) -> ColumnElement[bool]:
        return c(Book.id).in_(select(column).where(condition))

    conditions: list[ColumnElement[bool]] = []
    if shape.words and dialect == "sqlite":
        conditions.append(c(Book.id).in_(_fts_rowids()))
    elif shape.words:
        conditions.extend(c(Book.id).in_(found) for found in _word_matches(shape))
    if shape.author_id:
        conditions.append(linked(BookAuthor.book_id, BookAuthor.author_id == bindparam("author_id")))
    if shape.author:
        matching = select(Author.id).where(Author.name_key.contains(bindparam("author_key"), escape="/"))
        conditions.append(linked(BookAuthor.book_id, BookAuthor.author_id.in_(matching)))
    if shape.series_id:
        conditions.append(linked(BookSeries.book_id, BookSeries.series_id == bindparam("series_id")))
    if shape.series:
        matching = select(Series.id).where(Series.name_key.contains(bindparam("series_key"), escape="/"))
        conditions.append(linked(BookSeries.book_id, BookSeries.series_id.in_(matching)))
    if shape.narrator:
        narrated = func.lower(BookNarrator.name).contains(bindparam("narrator"), escape="/")
        conditions.append(linked(BookNarrator.book_id, narrated))
    if shape.status is not None:
        conditions.append(c(Book.in_library).is_(shape.status == "in_library"))
    if shape.language:  # case-insensitive (ASCII on SQLite, as its lower()), as the 0017 indexes are built
        language = c(Book.language)
        folded = language.collate("NOCASE") if dialect == "sqlite" else func.lower(language)
        conditions.append(folded == bindparam("language", type_=String))
    if shape.has_asin is not None:  # "has one": not null and not empty, in forms an index on asin answers
        asin = c(Book.asin)
        # PostgreSQL: '' written in the SQL, not bound, or a prepared statement's generic plan could not use
        # ix_pg_books_no_asin, whose predicate it must match (0019_pg_book_count)
        empty: Any = literal_column("''", String) if dialect == "postgresql" else ""
        conditions.append(asin > empty if shape.has_asin else or_(asin.is_(None), asin == empty))
    if shape.metadata_status:
        conditions.append(c(Book.metadata_status) == bindparam("metadata_status", type_=String))
    if shape.library_id:
        conditions.append(c(Book.library_id) == bindparam("library_id", type_=String))
    return conditions


def _word_matches(shape: Shape) -> list[Select[Any]]:
    """PostgreSQL: for each word, the books with a word of their folded text that starts with it (what
    ``search_text LIKE '% word%'`` finds), as one range of ``book_list_words``' primary key."""
    return [
        select(BOOK_WORDS.c.book_id).where(
            BOOK_WORDS.c.word >= bindparam(f"word_from_{i}", type_=LargeBinary),
            BOOK_WORDS.c.word < bindparam(f"word_to_{i}", type_=LargeBinary),
        )
        for i in range(shape.words)
    ]


def _search_matches(shape: Shape) -> Any:
    """PostgreSQL: the books a search alone finds, each once, from ``book_list_words`` alone."""
    matches = _word_matches(shape)
    return intersect(*matches) if len(matches) > 1 else matches[0].distinct()


@cache
def _count(shape: Shape, dialect: str) -> Select[Any]:
    """How many books match, and, for ``_route``, how many books there are (the second column; not for an
    unfiltered list, whose count is that). SQLite sums the matching rows of ``book_list_tally`` when only its
    filters are set (0021_sqlite_list_tally). A search alone is counted in its own index, without reading a book
    row: SQLite's FTS index, PostgreSQL's ``book_list_words`` (the books each word's range holds, intersected;
    triggers keep both in step on every write); every book, on PostgreSQL, from ``book_list_count``. A PostgreSQL
    search of several words alone gives their ids too (its third column; on PostgreSQL when it finds at most
    ``GATHERED`` books), so that a page found from its matches (``GATHER``, or SQLite's planner when it does not
    ``WALK``) does not match the words again (SQLite: 0.8 ms for 388 books found by two words). (Not for one word:
    keeping its matches to count them cost more than reading its one range again.)"""
    if dialect == "sqlite" and shape.tallied():
        return select(func.coalesce(func.sum(BOOK_TALLY.c.books), 0), _all_books(dialect).scalar_subquery()).where(
            *_tally_conditions(shape)
        )
    if dialect == "sqlite" and shape.search_only():
        fts = select(func.count()).select_from(table("books_fts")).where(text("books_fts MATCH :fts_match"))
        fts = fts.add_columns(_all_books(dialect).scalar_subquery())
        # several words: their matches' ids too, as a JSON array, in the same pass over the FTS index
        return fts.add_columns(func.json_group_array(literal_column("rowid"))) if shape.words > 1 else fts
    if dialect == "postgresql" and shape.search_only() and shape.words > 1:
        matches = _search_matches(shape).cte("matches").prefix_with("MATERIALIZED")
        found = select(func.count().label("found")).select_from(matches).subquery("found")
        ids = select(func.array_agg(matches.c.book_id)).scalar_subquery()
        books = _all_books(dialect).scalar_subquery()
        return select(found.c.found, books, case((found.c.found <= GATHERED, ids), else_=null()))
    if shape.search_only():
        counted = select(func.count()).select_from(_search_matches(shape).subquery())
    elif not shape.filtered():
        return _all_books(dialect)
    else:
        counted = select(func.count()).select_from(Book).where(*_conditions(shape, dialect))
    if dialect == "sqlite" or shape.words:  # and how many books there are, for ``_route``: in the same statement
        counted = counted.add_columns(_all_books(dialect).scalar_subquery())
    return counted


def _tally_conditions(shape: Shape) -> list[ColumnElement[bool]]:
    """SQLite: ``_conditions`` of a ``tallied`` shape as conditions on ``book_list_tally``'s rows, each matching
    a row exactly when it matches the row's books."""
    tally = BOOK_TALLY.c
    conditions: list[ColumnElement[bool]] = []
    if shape.status is not None:
        conditions.append(tally.in_library.is_(1 if shape.status == "in_library" else 0))
    if shape.language:
        conditions.append(tally.language.collate("NOCASE") == bindparam("language", type_=String))
    if shape.has_asin is not None:
        conditions.append(tally.has_asin == literal_column("1" if shape.has_asin else "0", Integer))
    if shape.metadata_status:
        conditions.append(tally.metadata_status == bindparam("metadata_status", type_=String))
    if shape.library_id:
        conditions.append(tally.library_id == bindparam("library_id", type_=String))
    return conditions


@cache
def _all_books(dialect: str) -> Select[Any]:
    """How many books there are: on PostgreSQL the sum of ``book_list_count``'s delta rows, exact in every
    snapshot, instead of reading an index entry per book (0019_pg_book_count)."""
    if dialect == "postgresql":
        return select(cast(func.coalesce(func.sum(BOOK_COUNT.c.books), 0), BigInteger))
    return select(func.count()).select_from(Book)


WALK = "walk"  # SQLite: walk the sort's index, checking each book's filters on the way
GATHER = "gather"  # PostgreSQL: find every match first, then sort them
GATHERED = 2000  # the most matches of a search whose ids a page is found from
FROM_IDS = "ids"  # the page's books among the ids the count returned


@cache
def _page(shape: Shape, dialect: str, sort: str, route: str | None, backward: bool) -> Select[Any]:
    """The page's rows, found by an id window (which an index alone can answer: a deep page walks an index), by
    the ``route`` ``_route`` chose (None: the planner's); ``backward``, the window counted from the end of the
    order (``Window``)."""
    order = [*order_by(sort, SORTS, "title"), Book.id]
    conditions = _conditions(shape, dialect, unindexed=route == WALK)
    if route == FROM_IDS and dialect == "sqlite":
        among: Select[Any] = select(literal_column("value")).select_from(func.json_each(bindparam("ids", type_=String)))
        conditions = [Book.id.in_(among)]
    elif route == FROM_IDS:
        conditions = [Book.id == any_(bindparam("ids", type_=postgresql.ARRAY(Integer)))]
    if route == GATHER:
        found = _search_matches(shape) if shape.search_only() else select(Book.id.label("book_id")).where(*conditions)
        matches = found.cte("matches").prefix_with("MATERIALIZED")
        conditions = [Book.id.in_(select(matches.c.book_id))]
    walked = _reversed(sort) if backward else order
    window = select(Book.id).where(*conditions).order_by(*walked).limit(bindparam("limit")).offset(bindparam("offset"))
    return select(*_listed(dialect)).where(Book.id.in_(window)).order_by(*order)


def _reversed(sort: str) -> list[ColumnElement[Any]]:
    """The exact reverse of the list's order for ``sort`` (``order_by``'s, then id): each direction turned, NULLs
    first where they were last; the order is total (ids are unique), so its reverse is exactly the same rows from
    the other end, which the same index answers walked the other way."""
    descending = sort.startswith("-")
    column = SORTS[sort.lstrip("-")]
    turned = column.asc() if descending else column.desc()  # type: ignore[union-attr]
    if getattr(column, "nullable", True):
        turned = turned.nulls_first()
    return [turned, Book.id.desc()]


@dataclass(frozen=True)
class Window:
    """Where a page's rows are in the whole order: ``limit`` rows after ``offset``, counted from the end when
    ``backward``. A page past the middle is found from the end (the count says where the end is): a walk of the
    sort's index to the 40,000th of 50,000 books takes 10,000 steps that way, not 40,000."""

    backward: bool
    limit: int
    offset: int

    @classmethod
    def of(cls, page: PageRequest, total: int) -> Window:
        if page.offset < total and 2 * page.offset + page.limit > total:
            return cls(True, min(page.limit, total - page.offset), max(0, total - page.offset - page.limit))
        return cls(False, page.limit, page.offset)


def _listed(dialect: str) -> list[ColumnElement[Any]]:
    """The listed columns; on SQLite the timestamps as stored text, which ``book_rows`` rewrites."""
    if dialect != "sqlite":
        return list(LISTED_COLUMNS)
    return [type_coerce(c, String).label(c.key) if c.key in TIMESTAMPS else c for c in LISTED_COLUMNS]


def _fetch(connection: Connection, statement: Select[Any], values: dict[str, Any]) -> Sequence[Any]:
    """Every row of one of the list's cached statements (``driver_reads.fetch``): on SQLite the driver's own rows,
    whose ``SQLITE_RAW`` columns ``book_rows`` reads (PostgreSQL's rows come through SQLAlchemy's types)."""
    return fetch(connection, statement, values)


def list_books(
    connection: Connection, filters: BookFilters, page: PageRequest, sort: str | None
) -> PageResult[dict[str, Any]]:
    """One page of books matching every filter, in the asked order (title by default), as plain mappings.

    Three statements whatever the page: the count (with how many books there are, when filtered); the page's rows; the
    page's authors, narrators and series in one go. Read with Core, not the ORM: a listing changes nothing, and
    building 50 objects with their links cost more than the SQL.
    """
    dialect = connection.dialect.name
    # one cached statement per order, however it was spelled ("year", "+year", " year")
    sort = known_sort(sort, SORTS, "title")  # an unknown sort: the 422, before any statement
    shape = Shape.of(filters)
    values = filters.values()
    counted = _fetch(connection, _count(shape, dialect), values)[0]
    total = counted[0] or 0
    window = Window.of(page, total)
    route = _route(connection, shape, total, window, books=counted[1] if len(counted) > 1 else None)
    parameters = {**values, "limit": window.limit, "offset": window.offset}
    # the matches' ids the count returned (PostgreSQL: up to GATHERED; SQLite: all, used up to GATHERED)
    gathered = route == GATHER or (route is None and dialect == "sqlite" and total <= GATHERED)
    if gathered and len(counted) > 2 and counted[2] is not None:
        route, parameters["ids"] = FROM_IDS, counted[2]
    statement = _page(shape, dialect, sort, route, window.backward)
    rows = _fetch(connection, statement, parameters)
    items = book_rows(rows, LISTED_KEYS, connection.dialect, TIMESTAMPS, raw=dialect == "sqlite")
    _attach_people(connection, items)
    return PageResult(items=items, total=total, limit=page.limit, offset=page.offset)


def _route(connection: Connection, shape: Shape, total: int, window: Window, *, books: int | None) -> str | None:
    """How to find a filtered page when the database's planner would guess wrong (None: as it plans).

    SQLite keeps no statistics here (no ANALYZE), so it prefers any index the filter can use, and sorts what it
    found: 20 ms when 15,000 books match. PostgreSQL has statistics, but none for a search: it guesses how many
    books two words match by multiplying their shares, and walked 24,000 books of the title index to find the
    first 50 of 388 matches (44 ms) where reading the 388 and sorting them took 2 ms. The count just made tells
    which is cheaper: walking the sort's index (0017_list_indexes gives every sort its index) takes (the window's
    offset + limit) * books / matches steps, each costing a ``steps_per_read``-th of reading a match (SQLite:
    a tenth; PostgreSQL, which checks each step through the search table's primary key: about one); reading the
    matches costs one each. SQLite then asks the filters as ``+books.column`` terms, which no index answers
    (``WALK``); PostgreSQL is made to read the matches first (``GATHER``, a materialised CTE).
    """
    dialect = connection.dialect.name
    if dialect == "sqlite" and shape.filtered():
        return WALK if _walk_is_cheaper(connection, total, window, books, steps_per_read=10) else None
    if dialect == "postgresql" and shape.words:
        return None if _walk_is_cheaper(connection, total, window, books, steps_per_read=1) else GATHER
    return None


def _walk_is_cheaper(
    connection: Connection, total: int, window: Window, books: int | None, *, steps_per_read: int
) -> bool:
    """Whether walking the sort index costs less than reading the ``total`` matches (``books``: how many books
    there are, when the count already said; else asked now, unless the answer cannot matter)."""
    wanted = window.offset + window.limit
    if total * steps_per_read < wanted:  # there are at least ``total`` books: the walk cannot be cheaper
        return False
    if books is None:
        books = _fetch(connection, _all_books(connection.dialect.name), {})[0][0] or 0
    return total * total * steps_per_read >= wanted * books


@cache
def _links(dialect: str) -> Select[Any]:
    """The authors, narrators and series of the books ``:ids``, in stored order: built once, reused as is. The
    ids are one value, not one bound parameter each (which SQLAlchemy would write into the SQL anew for every
    page): a JSON array read by ``json_each`` on SQLite, an array on PostgreSQL."""

    def among(column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
        if dialect == "sqlite":
            listed: Select[Any] = select(literal_column("value")).select_from(
                func.json_each(bindparam("ids", type_=String))
            )
            return column.in_(listed)
        return column == any_(bindparam("ids", type_=postgresql.ARRAY(Integer)))

    no_text, no_id = cast(null(), String), cast(null(), Integer)
    # Names by a lookup per link, not a join: PostgreSQL would hash every author to join 50 links.
    author_name = select(Author.name).where(Author.id == BookAuthor.author_id).scalar_subquery()
    series_name = select(Series.name).where(Series.id == BookSeries.series_id).scalar_subquery()
    links = union_all(
        select(
            BookAuthor.book_id,
            literal(0).label("kind"),
            BookAuthor.ordinal.label("rank"),
            BookAuthor.author_id.label("link_id"),
            author_name.label("name"),
            no_text.label("position"),
        ).where(among(BookAuthor.book_id)),
        select(BookNarrator.book_id, literal(1), BookNarrator.ordinal, no_id, BookNarrator.name, no_text).where(
            among(BookNarrator.book_id)
        ),
        select(
            BookSeries.book_id, literal(2), BookSeries.series_id, BookSeries.series_id, series_name, BookSeries.position
        ).where(among(BookSeries.book_id)),
    ).subquery()
    return select(links).order_by(links.c.kind, links.c.book_id, links.c.rank)


def _attach_people(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Each row's ``authors`` and ``series`` ({id, name[, position]}) and ``narrators``, in their stored order."""
    by_id = {row["id"]: row for row in rows}
    if not by_id:
        return
    dialect = connection.dialect.name
    ids = json.dumps(list(by_id)) if dialect == "sqlite" else list(by_id)
    for book_id, kind, _rank, link_id, name, position in _fetch(connection, _links(dialect), {"ids": ids}):
        row = by_id[book_id]
        if kind == 0:
            row["authors"].append({"id": link_id, "name": name})
        elif kind == 1:
            row["narrators"].append(name)
        else:
            row["series"].append({"id": link_id, "name": name, "position": position})
