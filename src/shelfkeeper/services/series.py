"""Series use cases: list, create, read, update, delete, a series' books, and the completion summary."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from shelfkeeper.db.base import UTCDateTime
from shelfkeeper.db.driver_reads import fetch, fetch_typed
from shelfkeeper.db.repositories import refresh_books_naming, refresh_series_stats, start_following
from shelfkeeper.db.tables import Book, BookSeries, Series
from shelfkeeper.domain.discovery.positions import covered_positions
from shelfkeeper.domain.text import format_positions, parse_position, series_key
from shelfkeeper.errors import Conflict, NotFound
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
    "name": Series.name_key,
    "completion": Series.completion,
    "owned": Series.owned_count,
    "created": Series.created_at,
    "updated": Series.updated_at,
    "id": Series.id,
}
EDITABLE = (
    "name",
    "description",
    "provider_ids",
    "known_total",
    "known_positions",
    "monitored",
    "abs_id",
    "future_only",
)


@dataclass(frozen=True)
class SeriesFilters:
    q: str | None = None
    monitored: bool | None = None
    complete: bool | None = None  # True: every known position owned; False: some missing

    def shape(self) -> SeriesFilters:
        """What the list's statements depend on (``q`` only as set or not): one cached statement per shape."""
        return SeriesFilters(q="q" if self.q else None, monitored=self.monitored, complete=self.complete)

    def values(self) -> dict[str, Any]:
        """The bound values of the statements (``LIKE ... ESCAPE '/'``, the words' wildcards literal)."""
        if not self.q:
            return {}
        return {"q_key": like_escaped(series_key(self.q)), "q_name": like_escaped(self.q.strip().lower())}


def _conditions(filters: SeriesFilters) -> list[ColumnElement[bool]]:
    """The filters of ``filters.shape()``, with bound values (``SeriesFilters.values``)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.q:
        # The key drops series words ("Saga", "Series"): a search for them looks in the name as well.
        conditions.append(
            or_(
                Series.name_key.contains(bindparam("q_key", type_=String), escape="/"),
                func.lower(Series.name).contains(bindparam("q_name", type_=String), escape="/"),
            )
        )
    if filters.monitored is not None:
        conditions.append(Series.monitored.is_(filters.monitored))
    if filters.complete is True:
        conditions.append(Series.completion >= 1.0)
    elif filters.complete is False:
        conditions.append(Series.completion < 1.0)
    return conditions


@cache
def _count(shape: SeriesFilters) -> Select[Any]:
    return select(func.count()).select_from(Series).where(*_conditions(shape))


@cache
def _page(shape: SeriesFilters, sort: str, columns: tuple[ColumnElement[Any], ...]) -> Select[Any]:
    order = order_by(sort, SORTS, "name")
    window = select(*columns).where(*_conditions(shape)).order_by(*order, Series.id)
    return window.limit(bindparam("limit")).offset(bindparam("offset"))


# The API's order of a listed series' keys, as SeriesRead declares them (tests/api/test_series_rows.py).
ROW_KEYS = (
    "id",
    "name",
    "abs_id",
    "description",
    "provider_ids",
    "known_total",
    "known_positions",
    "owned_count",
    "completion",
    "monitored",
    "future_only",
    "monitored_since",
    "last_checked_at",
    "created_at",
    "updated_at",
)
_COLUMNS = tuple(Series.__table__.c[key] for key in ROW_KEYS)
TIMESTAMPS = tuple(column.key for column in _COLUMNS if isinstance(column.type, UTCDateTime))
# On SQLite the timestamps as stored text, which ``write_timestamps`` rewrites without parsing them.
_SQLITE_COLUMNS = tuple(type_coerce(c, String).label(c.key) if c.key in TIMESTAMPS else c for c in _COLUMNS)


def list_series_rows(
    connection: Connection, filters: SeriesFilters, page: PageRequest, sort: str | None
) -> PageResult[dict[str, Any]]:
    """One page of series matching every filter, in the asked order (name by default), as the API's rows
    (``SeriesRow``): read with Core, two statements (the count straight from the table, the page) built once per
    shape and run through the driver (``driver_reads``), no ORM object per series; a listing changes nothing."""
    sort = known_sort(sort, SORTS, "name")  # an unknown sort: the 422, before any statement
    shape, values = filters.shape(), filters.values()
    total = fetch(connection, _count(shape), values)[0][0] or 0
    columns = _SQLITE_COLUMNS if connection.dialect.name == "sqlite" else _COLUMNS
    query = _page(shape, sort, columns)
    rows = fetch_typed(connection, query, {**values, "limit": page.limit, "offset": page.offset})
    items = [dict(zip(ROW_KEYS, row, strict=True)) for row in rows]
    write_timestamps(items, connection.dialect, TIMESTAMPS)
    return PageResult(items=items, total=total, limit=page.limit, offset=page.offset)


def get_series(session: Session, series_id: int) -> Series:
    series = session.get(Series, series_id)
    if series is None:
        raise NotFound(f"Series {series_id} not found.", code="SERIES_NOT_FOUND")
    return series


def _check_name(session: Session, name: str, series_id: int | None = None) -> str:
    key = series_key(name)
    clash = session.scalar(select(Series.id).where(Series.name_key == key, Series.id != (series_id or -1)))
    if clash is not None:
        raise Conflict(
            f"Series {clash} is already called {name!r}.", code="SERIES_ALREADY_EXISTS", details={"existing_id": clash}
        )
    return key


def create_series(session: Session, fields: Mapping[str, Any]) -> Series:
    series = Series(
        name_key=_check_name(session, fields["name"]), **{k: fields[k] for k in EDITABLE if fields.get(k) is not None}
    )
    start_following(series)
    session.add(series)
    session.flush()
    refresh_series_stats(session, [series.id])
    return series


def update_series(session: Session, series_id: int, fields: Mapping[str, Any]) -> Series:
    series = get_series(session, series_id)
    series.name_key = _check_name(session, fields["name"], series_id)
    renamed = fields["name"] != series.name
    for name in EDITABLE:
        if name in fields:
            setattr(series, name, fields[name])
    start_following(series)
    session.flush()
    refresh_series_stats(session, [series.id])
    if renamed:
        refresh_books_naming(session, _book_ids(session, series_id))
    return series


def delete_series(session: Session, series_id: int) -> None:
    book_ids = _book_ids(session, series_id)
    session.delete(get_series(session, series_id))
    session.flush()
    refresh_books_naming(session, book_ids)


def _book_ids(session: Session, series_id: int) -> list[int]:
    return list(session.scalars(select(BookSeries.book_id).where(BookSeries.series_id == series_id)))


def series_books(session: Session, series_id: int, page: PageRequest) -> PageResult[Book]:
    """A series' books in reading order (unnumbered ones last)."""
    get_series(session, series_id)
    query: Select[Any] = (
        select(Book).join(BookSeries, BookSeries.book_id == Book.id).where(BookSeries.series_id == series_id)
    )
    order: list[SortColumn] = [BookSeries.position_sort.is_(None).asc(), BookSeries.position_sort.asc()]
    return paginate(session, query, page, order, Book.id)


_POSITIONS_OWNED = (
    select(BookSeries.series_id, BookSeries.position)
    .join(Book, Book.id == BookSeries.book_id)
    .where(BookSeries.series_id.in_(bindparam("ids", expanding=True)), Book.in_library.is_(True))
)


# SQLite: the ids as one JSON array, so the statement's SQL is the same for every page (``driver_reads``).
_SQLITE_POSITIONS_OWNED = (
    select(BookSeries.series_id, BookSeries.position)
    .join(Book, Book.id == BookSeries.book_id)
    .where(
        BookSeries.series_id.in_(
            select(literal_column("value")).select_from(func.json_each(bindparam("ids", type_=String)))
        ),
        Book.in_library.is_(True),
    )
)


def positions_owned(connection: Session | Connection, series_ids: list[int]) -> dict[int, list[str]]:
    """The positions of the books in the library, per series, as given ("1", "1.5", "1-3"), in no set order."""
    owned: dict[int, list[str]] = defaultdict(list)
    if isinstance(connection, Connection) and connection.dialect.name == "sqlite":
        rows = fetch(connection, _SQLITE_POSITIONS_OWNED, {"ids": json.dumps(series_ids)})
    else:
        rows = connection.execute(_POSITIONS_OWNED, {"ids": series_ids}).all()
    for series_id, position in rows:
        if position:
            owned[series_id].append(position)
    return owned


def completion_entry(series: Any, owned: list[str]) -> dict[str, Any]:
    """Owned against known positions of one series (a ``Series`` or a row of ``_COMPLETION_COLUMNS``);
    ``missing`` lists known positions not owned."""
    covered = covered_positions(owned)
    known = [str(p) for p in series.known_positions or []]
    missing = [p for p in known if (parsed := parse_position(p)) is not None and parsed[0] not in covered]
    return {
        "id": series.id,
        "name": series.name,
        "monitored": series.monitored,
        # the positions in order, then written: distinct numbers write distinct labels in the same order (what
        # sorting the labels by their value gave, without reading each label back into a Decimal)
        "owned_positions": format_positions(sorted(covered)),
        "owned_count": series.owned_count,
        "known_positions": known,
        "known_total": series.known_total,
        "missing_positions": missing,
        "completion": series.completion,
    }


class CompletionRow(NamedTuple):
    """A row of ``_COMPLETION_COLUMNS``, for ``completion_entry``."""

    id: int
    name: str
    monitored: bool
    owned_count: int
    known_positions: list[Any] | None
    known_total: int | None
    completion: float | None


_COMPLETION_COLUMNS = (
    Series.id,
    Series.name,
    Series.monitored,
    Series.owned_count,
    Series.known_positions,
    Series.known_total,
    Series.completion,
)
# Both library-wide totals in one pass over the completion index (series of unknown size are not in it).
_COMPLETION_TOTALS = select(func.count(case((Series.completion >= 1.0, 1))), func.count(Series.completion)).where(
    Series.completion.is_not(None)
)


def completion_summary(connection: Connection, filters: SeriesFilters, page: PageRequest) -> dict[str, Any]:
    """Owned vs known positions for every series (a page of them), with library-wide totals: read with Core, the
    API's ``CompletionSummary`` as plain rows (``CompletionSummaryRows``), no ORM object per series."""
    shape, values = filters.shape(), filters.values()
    total = fetch(connection, _count(shape), values)[0][0] or 0
    query = _page(shape, "name", _COMPLETION_COLUMNS)
    parameters = {**values, "limit": page.limit, "offset": page.offset}
    rows = [CompletionRow(*row) for row in fetch_typed(connection, query, parameters)]
    owned = positions_owned(connection, [row.id for row in rows])
    complete, with_known = fetch(connection, _COMPLETION_TOTALS, {})[0]
    return {
        "items": [completion_entry(row, owned.get(row.id, [])) for row in rows],
        "total": total,
        "limit": page.limit,
        "offset": page.offset,
        "complete_series": complete,
        "series_with_known_positions": with_known,
    }
