"""Book use cases: list, search, filter, create, read, update, delete and statistics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from shelfkeeper.db.repositories import author_key, refresh_series_stats, set_book_people
from shelfkeeper.db.tables import Author, Book, BookAuthor, BookNarrator, BookSeries, MetadataCorrection, Series
from shelfkeeper.domain.text import fold, series_key
from shelfkeeper.errors import Conflict, NotFound
from shelfkeeper.services.paging import PageRequest, PageResult, SortColumn, order_by, paginate

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

SCALAR_FIELDS = (
    "abs_id",
    "library_id",
    "title",
    "subtitle",
    "asin",
    "isbn",
    "publisher",
    "published_year",
    "language",
    "genres",
    "description",
    "duration_seconds",
    "size_bytes",
    "format",
    "path",
    "has_cover",
    "metadata_status",
    "quality_score",
    "in_library",
)


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


def _text_search(words: list[str], dialect: str, book_id: ColumnElement[int]) -> ColumnElement[bool]:
    """Every word must start a word of the book's folded text: FTS5 on SQLite, LIKE on PostgreSQL."""
    if dialect == "sqlite":
        return book_id.in_(
            select(text("rowid"))
            .select_from(text("books_fts"))
            .where(text("books_fts MATCH :m"))
            .params(m=_fts_match(words))
        )
    return and_(*(Book.search_text.contains(" " + word, autoescape=True) for word in words))


def _fts_match(words: list[str]) -> str:
    """An FTS5 query: every word as a quoted prefix."""
    return " ".join('"' + word.replace('"', "") + '"*' for word in words)


def _unindexed(column: InstrumentedAttribute[Any]) -> ColumnElement[Any]:
    """``+books.column``: the same value, in a term SQLite's planner will not answer from an index."""
    return literal_column(f"+{Book.__tablename__}.{column.name}", type_=column.type)


def _conditions(filters: BookFilters, dialect: str, *, unindexed: bool = False) -> list[ColumnElement[bool]]:
    """The filters as SQL; ``unindexed`` (SQLite) keeps the planner from finding the books through them."""

    def c(column: InstrumentedAttribute[Any]) -> ColumnElement[Any]:
        return _unindexed(column) if unindexed else column.expression

    def linked(column: InstrumentedAttribute[int], condition: ColumnElement[bool]) -> ColumnElement[bool]:
        """Books whose id appears in an association table's rows matching ``condition`` (uses its index)."""
        return c(Book.id).in_(select(column).where(condition))

    conditions: list[ColumnElement[bool]] = []
    words = fold(filters.q).split() if filters.q else []
    if words:
        conditions.append(_text_search(words, dialect, c(Book.id)))
    if filters.author_id is not None:
        conditions.append(linked(BookAuthor.book_id, BookAuthor.author_id == filters.author_id))
    if filters.author:
        matching = select(Author.id).where(Author.name_key.contains(author_key(filters.author), autoescape=True))
        conditions.append(linked(BookAuthor.book_id, BookAuthor.author_id.in_(matching)))
    if filters.series_id is not None:
        conditions.append(linked(BookSeries.book_id, BookSeries.series_id == filters.series_id))
    if filters.series:
        matching = select(Series.id).where(Series.name_key.contains(series_key(filters.series), autoescape=True))
        conditions.append(linked(BookSeries.book_id, BookSeries.series_id.in_(matching)))
    if filters.narrator:
        conditions.append(
            linked(
                BookNarrator.book_id, func.lower(BookNarrator.name).contains(filters.narrator.lower(), autoescape=True)
            )
        )
    if filters.status is not None:
        conditions.append(c(Book.in_library).is_(filters.status == "in_library"))
    if filters.language:  # case-insensitive (ASCII on SQLite, as its lower()), as the 0017 indexes are built
        language = c(Book.language)
        folded = language.collate("NOCASE") if dialect == "sqlite" else func.lower(language)
        conditions.append(folded == filters.language.lower())
    if filters.has_asin is not None:  # "has one": not null and not empty, in forms an index on asin answers
        asin = c(Book.asin)
        conditions.append(asin > "" if filters.has_asin else or_(asin.is_(None), asin == ""))
    if filters.metadata_status:
        conditions.append(c(Book.metadata_status) == filters.metadata_status)
    if filters.library_id:
        conditions.append(c(Book.library_id) == filters.library_id)
    return conditions


# What a listing shows of a book (search_text and extra stay in the database).
LISTED_COLUMNS = tuple(column for column in Book.__table__.c if column.key not in ("search_text", "extra"))


def list_books(
    session: Session, filters: BookFilters, page: PageRequest, sort: str | None
) -> PageResult[dict[str, Any]]:
    """One page of books matching every filter, in the asked order (title by default), as plain mappings.

    Three statements whatever the page (four on SQLite for a filtered page): the count; the page's rows, found
    by ids that an index alone can give (a deep page walks the sort index, not 40,000 rows); the page's authors,
    narrators and series in one go. Read with Core, not the ORM: a listing changes nothing, and building 50
    objects with their links cost more than the SQL.
    """
    dialect = session.get_bind().dialect.name
    conditions = _conditions(filters, dialect)
    order = [*order_by(sort, SORTS, "title"), Book.id]
    connection = session.connection()
    total = connection.scalar(_count_statement(filters, conditions, dialect)) or 0
    if dialect == "sqlite" and conditions and _walk_sort_index(connection, total, page):
        # The same filters in terms no index answers: SQLite walks the sort's index, checking each book it meets.
        conditions = _conditions(filters, dialect, unindexed=True)
    window = select(Book.id).where(*conditions).order_by(*order).limit(page.limit).offset(page.offset)
    listed = select(*LISTED_COLUMNS).where(Book.id.in_(window)).order_by(*order)
    rows = [dict(row) for row in connection.execute(listed).mappings()]
    _attach_people(connection, rows)
    return PageResult(items=rows, total=total, limit=page.limit, offset=page.offset)


def _count_statement(filters: BookFilters, conditions: list[ColumnElement[bool]], dialect: str) -> Select[Any]:
    """How many books match. A search alone on SQLite is counted in its FTS index, without reading a book row
    (the index holds exactly one entry per book: triggers keep it in step on every write)."""
    if dialect == "sqlite" and len(conditions) == 1 and filters.q and fold(filters.q).split():
        return (
            select(func.count())
            .select_from(text("books_fts"))
            .where(text("books_fts MATCH :m"))
            .params(m=_fts_match(fold(filters.q).split()))
        )
    return select(func.count()).select_from(Book).where(*conditions)


def _walk_sort_index(connection: Connection, total: int, page: PageRequest) -> bool:
    """Whether SQLite should find a filtered page by walking the sort's index (checking each book on the way)
    rather than by reading every match and sorting them (0017_list_indexes gives every sort its index).

    SQLite keeps no statistics here (no ANALYZE), so it prefers any index the filter can use, and sorts what it
    found: 20 ms when 15,000 books match. Walking the sort index costs about a tenth of a row read per step and
    takes (offset + limit) * books / matches steps; reading the matches costs one row read each. The count just
    made tells which is cheaper.
    """
    books = connection.scalar(select(func.count()).select_from(Book)) or 0
    return total * total * 10 >= (page.offset + page.limit) * books


def _links_statement() -> Select[Any]:
    """The authors, narrators and series of the books ``:ids``, in stored order: built once, reused as is."""
    ids: BindParameter[list[int]] = bindparam("ids", expanding=True)
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
        ).where(BookAuthor.book_id.in_(ids)),
        select(BookNarrator.book_id, literal(1), BookNarrator.ordinal, no_id, BookNarrator.name, no_text).where(
            BookNarrator.book_id.in_(ids)
        ),
        select(
            BookSeries.book_id, literal(2), BookSeries.series_id, BookSeries.series_id, series_name, BookSeries.position
        ).where(BookSeries.book_id.in_(ids)),
    ).subquery()
    return select(links).order_by(links.c.kind, links.c.book_id, links.c.rank)


LINKS = _links_statement()


def _attach_people(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Each row's ``authors`` and ``series`` ({id, name[, position]}) and ``narrators``, in their stored order."""
    by_id = {row["id"]: row for row in rows}
    for row in rows:
        row["authors"], row["narrators"], row["series"] = [], [], []
    if not by_id:
        return
    for book_id, kind, _rank, link_id, name, position in connection.execute(LINKS, {"ids": list(by_id)}):
        row = by_id[book_id]
        if kind == 0:
            row["authors"].append({"id": link_id, "name": name})
        elif kind == 1:
            row["narrators"].append(name)
        else:
            row["series"].append({"id": link_id, "name": name, "position": position})


def get_book(session: Session, book_id: int) -> Book:
    book = session.get(Book, book_id)
    if book is None:
        raise NotFound(f"Book {book_id} not found.", code="BOOK_NOT_FOUND")
    return book


def _check_unique(session: Session, fields: Mapping[str, Any], book_id: int | None = None) -> None:
    for column_name in ("abs_id", "asin", "isbn"):
        value = fields.get(column_name)
        if not value:
            continue
        column = getattr(Book, column_name)
        clash = session.scalar(select(Book.id).where(column == value, Book.id != (book_id or -1)))
        if clash is not None:
            raise Conflict(
                f"Book {clash} already has {column_name} {value!r}.",
                code="BOOK_ALREADY_EXISTS",
                details={"field": column_name, "existing_id": clash},
            )


def create_book(session: Session, fields: Mapping[str, Any]) -> Book:
    """A new book with its authors, narrators and series; 409 when its ids are already taken."""
    _check_unique(session, fields)
    book = Book(**{name: fields[name] for name in SCALAR_FIELDS if fields.get(name) is not None})
    book.genres = list(fields.get("genres") or [])
    session.add(book)
    touched = set_book_people(
        session,
        book,
        fields.get("authors") or [],
        fields.get("narrators") or [],
        [(s["name"], s.get("position")) for s in fields.get("series") or []],
    )
    session.flush()
    refresh_series_stats(session, touched)
    return book


def update_book(session: Session, book_id: int, fields: Mapping[str, Any]) -> Book:
    """Replace the given fields (a full PUT body: absent optional fields become empty)."""
    book = get_book(session, book_id)
    _check_unique(session, fields, book_id)
    for name in SCALAR_FIELDS:
        if name in fields:
            setattr(book, name, fields[name] if name != "genres" else list(fields[name] or []))
    series = fields.get("series")
    touched = set_book_people(
        session,
        book,
        fields.get("authors"),
        fields.get("narrators"),
        [(s["name"], s.get("position")) for s in series] if series is not None else None,
    )
    session.flush()
    refresh_series_stats(session, touched)
    return book


def delete_book(session: Session, book_id: int) -> None:
    book = get_book(session, book_id)
    touched = {link.series_id for link in book.series_links}
    session.delete(book)
    session.flush()
    refresh_series_stats(session, touched)


def book_stats(session: Session) -> dict[str, Any]:
    """Counts for the dashboard: totals, removed, identifiers, duration, size, and per metadata status."""
    in_library = Book.in_library.is_(True)
    row = session.execute(
        select(
            func.count(Book.id),
            func.count(Book.id).filter(in_library),
            func.count(Book.id).filter(in_library, Book.asin.is_not(None), Book.asin != ""),
            func.count(Book.id).filter(in_library, Book.isbn.is_not(None), Book.isbn != ""),
            func.coalesce(func.sum(Book.duration_seconds).filter(in_library), 0),
            func.coalesce(func.sum(Book.size_bytes).filter(in_library), 0),
        )
    ).one()
    statuses = dict(
        session.execute(
            select(Book.metadata_status, func.count(Book.id)).where(in_library).group_by(Book.metadata_status)
        ).all()
    )
    # Grouped on the column itself: PostgreSQL refuses GROUP BY coalesce(language, $2) against SELECT ... $1.
    languages: dict[str, int] = {}
    for language, count in session.execute(
        select(Book.language, func.count(Book.id)).where(in_library).group_by(Book.language)
    ).all():
        languages[language or "unknown"] = languages.get(language or "unknown", 0) + count
    in_series = (
        session.scalar(
            select(func.count(func.distinct(BookSeries.book_id)))
            .join(Book, Book.id == BookSeries.book_id)
            .where(in_library)
        )
        or 0
    )
    return {
        "total": row[0],
        "in_library": row[1],
        "removed": row[0] - row[1],
        "with_asin": row[2],
        "with_isbn": row[3],
        "in_series": in_series,
        "total_duration_hours": round(float(row[4] or 0) / 3600, 1),
        "total_size_bytes": int(row[5] or 0),
        "by_metadata_status": statuses,
        "by_language": languages,
        "authors": session.scalar(select(func.count(Author.id))) or 0,
        "series": session.scalar(select(func.count(Series.id))) or 0,
    }


def incomplete_books(session: Session, page: PageRequest) -> PageResult[Book]:
    """Books in the library that lack an ASIN, a series, a narrator, a description or a cover."""
    no_narrator = ~exists().where(BookNarrator.book_id == Book.id)
    no_series = ~exists().where(BookSeries.book_id == Book.id)
    missing = or_(
        Book.asin.is_(None),
        Book.asin == "",
        Book.description.is_(None),
        Book.has_cover.is_(False),
        no_narrator,
        no_series,
    )
    query: Select[Any] = select(Book).where(Book.in_library.is_(True), missing)
    return paginate(session, query, page, [Book.title_sort.asc()], Book.id)


def book_corrections(session: Session, book_id: int, page: PageRequest) -> PageResult[MetadataCorrection]:
    get_book(session, book_id)
    query: Select[Any] = select(MetadataCorrection).where(MetadataCorrection.book_id == book_id)
    return paginate(session, query, page, [MetadataCorrection.created_at.desc()], MetadataCorrection.id.desc())
