"""Paging, sorting and word matching of list queries, shared by every list use case."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import ColumnExpressionArgument, Select, asc, desc, func, select
from sqlalchemy.orm import Session

from shelfkeeper.errors import InvalidInput

T = TypeVar("T")
SortColumn = ColumnExpressionArgument[Any]


@dataclass(frozen=True)
class PageRequest:
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class PageResult(Generic[T]):
    items: Sequence[T]
    total: int
    limit: int
    offset: int


def canonical_sort(sort: str | None, default: str) -> str:
    """``sort`` spelled one way ("year", "+year", " year": "year"), so a list caches one statement per order."""
    text = (sort or default).strip()
    return ("-" if text.startswith("-") else "") + text.lstrip("-+")


def known_sort(sort: str | None, columns: Mapping[str, Any], default: str) -> str:
    """``canonical_sort``, refused before any statement is built when it names none of ``columns`` (the 422
    ``order_by`` gives, naming the allowed ones)."""
    canonical = canonical_sort(sort, default)
    if canonical.removeprefix("-") not in columns:
        raise _unknown_sort(canonical.removeprefix("-"), columns)
    return canonical


def _unknown_sort(name: str, columns: Mapping[str, Any]) -> InvalidInput:
    allowed = ", ".join(sorted(columns))
    message = f"unknown field {name!r}; one of {allowed} (prefix '-' for descending)"
    return InvalidInput(
        f"sort: {message}",
        details=[{"field": "sort", "location": "query", "message": message, "type": "value_error"}],
    )


def like_escaped(value: str) -> str:
    """``value`` for ``LIKE ... ESCAPE '/'``: its wildcards literal (what ``contains(autoescape=True)`` does to a
    literal value; statements built once take bound values, which it cannot)."""
    return value.replace("/", "//").replace("%", "/%").replace("_", "/_")


def order_by(sort: str | None, columns: Mapping[str, SortColumn], default: str) -> list[SortColumn]:
    """``sort`` is a column name, ``-name`` for descending; unknown names are a 422 naming the allowed ones."""
    text = (sort or default).strip()
    descending = text.startswith("-")
    name = text.lstrip("-+")
    if name not in columns:
        raise _unknown_sort(name, columns)
    column = columns[name]
    ordered = desc(column) if descending else asc(column)
    # Unknown values last in both directions: SQLite and PostgreSQL would otherwise put them at opposite ends.
    if getattr(column, "nullable", True):
        ordered = ordered.nulls_last()
    return [cast(SortColumn, ordered)]


def paginate(
    session: Session, query: Select[Any], page: PageRequest, order: Sequence[SortColumn], tiebreak: SortColumn
) -> PageResult[Any]:
    """Count the whole filtered query, then fetch one window of it in a stable order."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.scalars(query.order_by(*order, tiebreak).limit(page.limit).offset(page.offset)).unique().all()
    return PageResult(items=rows, total=total, limit=page.limit, offset=page.offset)
