"""Author use cases: list, create, read, update, delete, an author's books and series."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, String, bindparam, func, literal_column, select, type_coerce
from sqlalchemy.orm import Session

from shelfkeeper.db.base import UTCDateTime
from shelfkeeper.db.driver_reads import fetch, fetch_typed
from shelfkeeper.db.repositories import author_key, refresh_books_naming, sort_name, start_following
from shelfkeeper.db.tables import Author, Book, BookAuthor, BookSeries, Series
from shelfkeeper.errors import Conflict, NotFound
from shelfkeeper.services.book_list import SORTS as BOOK_SORTS
from shelfkeeper.services.book_rows import write_timestamps
from shelfkeeper.services.paging import (
    PageRequest,
    PageResult,
    SortColumn,
    known_sort,
    like_escaped,
    order_by,
    paginate,
)

SORTS: dict[str, SortColumn] = {
    "name": Author.sort_name,
    "created": Author.created_at,
    "updated": Author.updated_at,
    "last_check": Author.last_catalogue_check_at,
    "id": Author.id,
}
EDITABLE = ("name", "asin", "provider_ids", "description", "image_url", "monitored", "abs_id", "future_only")


@dataclass(frozen=True)
class AuthorFilters:
    q: str | None = None
    monitored: bool | None = None
    has_asin: bool | None = None

    def shape(self) -> AuthorFilters:
        """What the list's statements depend on (``q`` only as set or not): one cached statement per shape."""
        return AuthorFilters(q="q" if self.q else None, monitored=self.monitored, has_asin=self.has_asin)

    def values(self) -> dict[str, Any]:
        """The bound values of the statements (``LIKE ... ESCAPE '/'``, the words' wildcards literal)."""
        return {"q_key": like_escaped(author_key(self.q))} if self.q else {}


def _conditions(filters: AuthorFilters, *, bound: bool = False) -> list[ColumnElement[bool]]:
    """The filters: with literal values, or (``bound``) those of ``filters.shape()`` with bound ones."""
    conditions: list[ColumnElement[bool]] = []
    if filters.q and bound:
        conditions.append(Author.name_key.contains(bindparam("q_key", type_=String), escape="/"))
    elif filters.q:
        conditions.append(Author.name_key.contains(author_key(filters.q), autoescape=True))
    if filters.monitored is not None:
        conditions.append(Author.monitored.is_(filters.monitored))
    if filters.has_asin is not None:
        conditions.append(Author.asin.is_not(None) if filters.has_asin else Author.asin.is_(None))
    return conditions


def list_authors(session: Session, filters: AuthorFilters, page: PageRequest, sort: str | None) -> PageResult[Author]:
    query: Select[Any] = select(Author).where(*_conditions(filters))
    return paginate(session, query, page, order_by(sort, SORTS, "name"), Author.id)


# The API's order of a listed author's keys, as AuthorRead declares them (tests/api/test_author_rows.py).
ROW_KEYS = (
    "id",
    "name",
    "sort_name",
    "abs_id",
    "asin",
    "provider_ids",
    "description",
    "image_url",
    "monitored",
    "future_only",
    "monitored_since",
    "last_catalogue_check_at",
    "book_count",
    "created_at",
    "updated_at",
)
_COLUMNS = tuple(Author.__table__.c[key] for key in ROW_KEYS if key != "book_count")
_READ_KEYS = tuple(column.key for column in _COLUMNS)
TIMESTAMPS = tuple(column.key for column in _COLUMNS if isinstance(column.type, UTCDateTime))
# On SQLite the timestamps as stored text, which ``write_timestamps`` rewrites without parsing them.
_SQLITE_COLUMNS = tuple(type_coerce(c, String).label(c.key) if c.key in TIMESTAMPS else c for c in _COLUMNS)


@cache
def _count(shape: AuthorFilters) -> Select[Any]:
    return select(func.count()).select_from(Author).where(*_conditions(shape, bound=True))


@cache
def _page(shape: AuthorFilters, sort: str, sqlite: bool) -> Select[Any]:
    columns = _SQLITE_COLUMNS if sqlite else _COLUMNS
    order = order_by(sort, SORTS, "name")
    query = select(*columns).where(*_conditions(shape, bound=True)).order_by(*order, Author.id)
    return query.limit(bindparam("limit")).offset(bindparam("offset"))


def list_author_rows(
    connection: Connection, filters: AuthorFilters, page: PageRequest, sort: str | None
) -> PageResult[dict[str, Any]]:
    """``list_authors`` with each author's ``book_counts`` as the API's rows (``AuthorRow``): read with Core,
    three statements (the count straight from the table, the page, the page's counts), no ORM object per author;
    a listing changes nothing."""
    sort = known_sort(sort, SORTS, "name")  # an unknown sort: the 422, before any statement
    shape, values = filters.shape(), filters.values()
    total = fetch(connection, _count(shape), values)[0][0] or 0
    sqlite = connection.dialect.name == "sqlite"
    parameters = {**values, "limit": page.limit, "offset": page.offset}
    reads = [
        dict(zip(_READ_KEYS, row, strict=True))
        for row in fetch_typed(connection, _page(shape, sort, sqlite), parameters)
    ]
    counts = book_counts(connection, [read["id"] for read in reads])
    write_timestamps(reads, connection.dialect, TIMESTAMPS)
    items = []
    for read in reads:
        read["book_count"] = counts.get(read["id"], 0)
        items.append({key: read[key] for key in ROW_KEYS})
    return PageResult(items=items, total=total, limit=page.limit, offset=page.offset)


def get_author(session: Session, author_id: int) -> Author:
    author = session.get(Author, author_id)
    if author is None:
        raise NotFound(f"Author {author_id} not found.", code="AUTHOR_NOT_FOUND")
    return author


def _check_name(session: Session, name: str, author_id: int | None = None) -> str:
    key = author_key(name)
    clash = session.scalar(select(Author.id).where(Author.name_key == key, Author.id != (author_id or -1)))
    if clash is not None:
        raise Conflict(
            f"Author {clash} is already called {name!r}.", code="AUTHOR_ALREADY_EXISTS", details={"existing_id": clash}
        )
    return key


def create_author(session: Session, fields: Mapping[str, Any]) -> Author:
    author = Author(
        name_key=_check_name(session, fields["name"]),
        sort_name=sort_name(fields["name"]),
        **{k: fields[k] for k in EDITABLE if fields.get(k) is not None},
    )
    start_following(author)
    session.add(author)
    session.flush()
    return author


def update_author(session: Session, author_id: int, fields: Mapping[str, Any]) -> Author:
    author = get_author(session, author_id)
    author.name_key = _check_name(session, fields["name"], author_id)
    author.sort_name = sort_name(fields["name"])
    renamed = fields["name"] != author.name
    for name in EDITABLE:
        if name in fields:
            setattr(author, name, fields[name])
    start_following(author)
    session.flush()
    if renamed:
        refresh_books_naming(session, _book_ids(session, author_id))
    return author


def delete_author(session: Session, author_id: int) -> None:
    book_ids = _book_ids(session, author_id)
    session.delete(get_author(session, author_id))
    session.flush()
    refresh_books_naming(session, book_ids)


def _book_ids(session: Session, author_id: int) -> list[int]:
    return list(session.scalars(select(BookAuthor.book_id).where(BookAuthor.author_id == author_id)))


def author_books(session: Session, author_id: int, page: PageRequest, sort: str | None) -> PageResult[Book]:
    get_author(session, author_id)
    query: Select[Any] = (
        select(Book).join(BookAuthor, BookAuthor.book_id == Book.id).where(BookAuthor.author_id == author_id)
    )
    return paginate(session, query, page, order_by(sort, BOOK_SORTS, "year"), Book.id)


def author_series(session: Session, author_id: int) -> list[dict[str, Any]]:
    """The series the author's books belong to, with how many of the author's books each holds."""
    get_author(session, author_id)
    rows = session.execute(
        select(Series, func.count(func.distinct(BookSeries.book_id)))
        .join(BookSeries, BookSeries.series_id == Series.id)
        .join(BookAuthor, BookAuthor.book_id == BookSeries.book_id)
        .where(BookAuthor.author_id == author_id)
        .group_by(Series.id)
        .order_by(Series.name_key)
    ).all()
    return [{"series": series, "books_by_author": count} for series, count in rows]


_BOOK_COUNTS = (
    select(BookAuthor.author_id, func.count(BookAuthor.book_id))
    .join(Book, Book.id == BookAuthor.book_id)
    .where(BookAuthor.author_id.in_(bindparam("ids", expanding=True)), Book.in_library.is_(True))
    .group_by(BookAuthor.author_id)
)


# SQLite: the ids as one JSON array, so the statement's SQL is the same for every page (``driver_reads``).
_SQLITE_BOOK_COUNTS = (
    select(BookAuthor.author_id, func.count(BookAuthor.book_id))
    .join(Book, Book.id == BookAuthor.book_id)
    .where(
        BookAuthor.author_id.in_(
            select(literal_column("value")).select_from(func.json_each(bindparam("ids", type_=String)))
        ),
        Book.in_library.is_(True),
    )
    .group_by(BookAuthor.author_id)
)


def book_counts(session: Session | Connection, author_ids: list[int]) -> dict[int, int]:
    """How many books of the library each author has."""
    if not author_ids:
        return {}
    if isinstance(session, Connection) and session.dialect.name == "sqlite":
        rows = fetch(session, _SQLITE_BOOK_COUNTS, {"ids": json.dumps(author_ids)})
    else:
        rows = session.execute(_BOOK_COUNTS, {"ids": author_ids}).all()
    return {author_id: count for author_id, count in rows}
