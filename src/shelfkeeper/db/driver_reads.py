"""Reads of statements built once, run on SQLite through the driver's own cursor (docs/architecture.md, "Lists
read with Core").

A list's statements are built once per shape and reused. Executing one through SQLAlchemy, even as driver SQL
(``exec_driver_sql``), costs some 30 µs of Python a statement (an execution context, the result's metadata and
type processors, Row objects): as much as SQLite needs to run a small one. ``fetch`` compiles each statement's
SQL once and hands it to ``sqlite3`` as it is; its rows are the driver's tuples (the caller reads SQLite's raw
values). Whatever SQLAlchemy would add goes through SQLAlchemy instead: when a listener watches the statements
(``before_cursor_execute`` / ``after_cursor_execute``: it sees the very same SQL and parameters), when the engine
echoes them, and when the driver raises (the statement runs again through SQLAlchemy, which raises its own error
and handles a broken connection; a read is run twice at worst). PostgreSQL's statements go through SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Dialect, Select
from sqlalchemy.dialects import sqlite

SQLITE = sqlite.dialect()
AnySelect = Select[*tuple[Any, ...]]  # a select of any columns


@cache
def sqlite_sql(statement: AnySelect) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """``statement`` as SQLite's SQL, with its parameters in order (each with its value when it has one)."""
    compiled = statement.compile(dialect=SQLITE)
    assert compiled.positiontup is not None
    return str(compiled), tuple((name, compiled.binds[name].effective_value) for name in compiled.positiontup)


@cache
def _processors(statement: AnySelect, dialect: Dialect) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """What SQLAlchemy does to each column of ``statement``'s rows on ``dialect`` (its types' result processors),
    by position: the columns it leaves as they are are not listed."""
    found = (column.type._cached_result_processor(dialect, None) for column in statement.selected_columns)
    return tuple((position, process) for position, process in enumerate(found) if process is not None)


def fetch_typed(connection: Connection, statement: AnySelect, values: Mapping[str, Any]) -> Sequence[Any]:
    """``fetch``, each value read as SQLAlchemy reads it (its types' own result processors: JSON parsed, SQLite's
    0 and 1 as booleans…), as tuples on SQLite."""
    rows = fetch(connection, statement, values)
    if connection.dialect.name != "sqlite":
        return rows
    processors = _processors(statement, connection.dialect)
    if not processors:
        return rows
    read = []
    for row in rows:
        values_read = list(row)
        for position, process in processors:
            values_read[position] = process(values_read[position])
        read.append(tuple(values_read))
    return read


def fetch(connection: Connection, statement: AnySelect, values: Mapping[str, Any]) -> Sequence[Any]:
    """Every row of ``statement`` (built once and reused) with ``values`` for its bound parameters: on SQLite the
    driver's tuples of raw values, else SQLAlchemy's rows."""
    if connection.dialect.name != "sqlite":
        return connection.execute(statement, dict(values)).all()
    sql, parameters = sqlite_sql(statement)
    given = tuple(values.get(name, value) for name, value in parameters)
    dispatch = connection.dispatch
    if dispatch.before_cursor_execute or dispatch.after_cursor_execute or connection._echo:
        return connection.exec_driver_sql(sql, given).all()
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, given)
        rows: list[Any] = cursor.fetchall()
        return rows
    except sqlite3.Error:
        return connection.exec_driver_sql(sql, given).all()
    finally:
        cursor.close()
