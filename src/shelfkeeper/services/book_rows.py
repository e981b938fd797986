"""A listed book as the API's row (``api.schemas.books.BookRow``): ``BookRead``'s fields in its order, its
timestamps already as the API's text, so the list serialises its rows as they are (docs/architecture.md, "Lists
read with Core"; tests/api/test_book_rows.py checks the bytes are ``BookRead``'s).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import cache
from operator import itemgetter
from typing import Any

from shelfkeeper.db.base import UTCDateTime
from shelfkeeper.db.driver_reads import json_text

# The API's order of a row's keys: the table's columns, the links after the subtitle, as BookRead declares them.
ROW_KEYS = (
    "id",
    "abs_id",
    "library_id",
    "title",
    "subtitle",
    "authors",
    "narrators",
    "series",
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
    "removed_at",
    "metadata_checked_at",
    "abs_added_at",
    "abs_updated_at",
    "created_at",
    "updated_at",
)


def api_timestamp(value: datetime) -> str:
    """An aware UTC datetime as the API writes it (as pydantic does): ISO-8601, ``Z``, microseconds when not 0."""
    return value.isoformat().replace("+00:00", "Z")


@cache
def _read_timestamp(dialect: Any) -> Callable[[Any], datetime | None]:
    """How SQLAlchemy reads a stored timestamp on ``dialect`` (for forms ``_sqlite_timestamp`` does not know)."""
    read = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    assert read is not None
    return read


def _sqlite_timestamp(raw: str | None, dialect: Any) -> str | None:
    """A timestamp as SQLite stores it, ``2026-12-07 16:11:09`` (CURRENT_TIMESTAMP) or ``… 16:11:09.123456``
    (SQLAlchemy), as the API writes it (``2026-12-07T16:11:09Z``, ``…09.123456Z``), by moving characters: parsing
    300 timestamps a page into datetimes to print them again cost as much as the page's SQL. The separators are
    checked in one slice (characters 4, 7, 10, 13, 16 and, with a fraction, 19): a page of series has 200 of
    them. Any other form is read as SQLAlchemy reads it."""
    if raw is None:
        return None
    size = len(raw)
    if size == 19 and raw[4:17:3] == "-- ::":
        return f"{raw[:10]}T{raw[11:]}Z"
    if size == 26 and raw[4:20:3] == "-- ::." and raw[20:].isdigit():
        return f"{raw[:10]}T{raw[11:19]}Z" if raw.endswith(".000000") else f"{raw[:10]}T{raw[11:]}Z"
    value = _read_timestamp(dialect)(raw)
    return None if value is None else api_timestamp(value)


def write_timestamps(rows: Iterable[dict[str, Any]], dialect: Any, timestamps: Iterable[str]) -> None:
    """Read rows' ``timestamps`` (stored text on SQLite, datetimes on PostgreSQL) as the API's text, in place; the
    series and author lists use it too. One call a page, and NULLs left as they are without a call: a page of
    series has 200 timestamps."""
    keys = tuple(timestamps)
    sqlite = dialect.name == "sqlite"
    for read in rows:
        for key in keys:
            value = read[key]
            if value is not None:
                read[key] = _sqlite_timestamp(value, dialect) if sqlite else api_timestamp(value)


RAW_BOOLEANS = ("has_cover", "in_library")  # what SQLite gives as 0 and 1
_HEAD = ROW_KEYS[: ROW_KEYS.index("authors")]  # the columns before the links, and after them
_TAIL = ROW_KEYS[ROW_KEYS.index("series") + 1 :]


@cache
def _pickers(listed: tuple[str, ...]) -> tuple[Callable[[Any], tuple[Any, ...]], Callable[[Any], tuple[Any, ...]]]:
    return itemgetter(*(listed.index(key) for key in _HEAD)), itemgetter(*(listed.index(key) for key in _TAIL))


def book_rows(
    rows: Iterable[Sequence[Any]], listed: tuple[str, ...], dialect: Any, timestamps: Iterable[str], *, raw: bool
) -> list[dict[str, Any]]:
    """Listed books (each a row of the ``listed`` columns, its ``timestamps`` as stored text on SQLite) as the
    API's rows (``BookRow``): their keys in ``ROW_KEYS`` order, timestamps as the API's text, empty links for the
    list to fill. Each row's values are picked in that order at once (``itemgetter``), not key by key. ``raw``:
    the rows are SQLite's own, the booleans as 0/1 and the genres as JSON text, read here as SQLAlchemy's types
    would read them."""
    head, tail = _pickers(listed)
    stamps = tuple(timestamps)
    sqlite = dialect.name == "sqlite"
    made = []
    for listed_row in rows:
        row: dict[str, Any] = dict(zip(_HEAD, head(listed_row), strict=True))
        row["authors"], row["narrators"], row["series"] = [], [], []
        row.update(zip(_TAIL, tail(listed_row), strict=True))
        for key in stamps:
            value = row[key]
            if value is not None:
                row[key] = _sqlite_timestamp(value, dialect) if sqlite else api_timestamp(value)
        if raw:
            genres = row["genres"]
            row["genres"] = json_text(genres) if genres is not None else None
            for key in RAW_BOOLEANS:
                value = row[key]
                row[key] = None if value is None else bool(value)
        row["genres"] = list(row["genres"] or [])
        made.append(row)
    return made
