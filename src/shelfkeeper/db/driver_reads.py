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

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import JSON, Connection, Dialect, Select
from sqlalchemy.dialects import sqlite

SQLITE = sqlite.dialect()
AnySelect = Select[*tuple[Any, ...]]  # a select of any columns


@cache
def sqlite_sql(statement: AnySelect) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """``statement`` as SQLite's SQL, with its parameters in order (each with its value when it has one)."""
    compiled = statement.compile(dialect=SQLITE)
    assert compiled.positiontup is not None
    return str(compiled), tuple((name, compiled.binds[name].effective_value) for name in compiled.positiontup)


_scan = json._default_decoder.scan_once  # type: ignore[attr-defined]  # the scanner ``json.loads`` runs


def json_text(text: str) -> Any:
    """``json.loads(text)``, without its three Python-level calls and two whitespace matches when ``text`` is one
    JSON value with no whitespace around it (what SQLAlchemy and SQLite store): the same scanner, called at once.
    A stored ``[]`` cost 1.7 µs through ``json.loads``, 0.3 µs here; a page of 50 series reads 100 of them. Any
    other text (spaces around the value, more after it, none at all) goes to ``json.loads`` itself, which answers
    it or raises its own error."""
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def _json_reader(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """SQLite's JSON result processor (``process``) with its text read by ``json_text``: SQLAlchemy's JSON type
    reads text with ``json.loads`` (no engine here sets another deserializer, which ``_processors`` checks) and
    hands anything else (NULL, a number SQLite's JSON functions gave) to its own processor."""

    def read(value: Any) -> Any:  # json_text's reading written out: one Python call a value, not two
        if type(value) is not str:
            return process(value)
        try:
            parsed, end = _scan(value, 0)
        except StopIteration:
            return json.loads(value)
        return parsed if end == len(value) else json.loads(value)

    return read


@cache
def _processors(statement: AnySelect, dialect: Dialect) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """What SQLAlchemy does to each column of ``statement``'s rows on ``dialect`` (its types' result processors),
    by position: the columns it leaves as they are are not listed."""
    found: list[tuple[int, Callable[[Any], Any]]] = []
    for position, column in enumerate(statement.selected_columns):
        process = column.type._cached_result_processor(dialect, None)
        if process is not None:
            found.append((position, _json_reader(process) if _plain_json(column.type, dialect) else process))
    return tuple(found)


def _plain_json(column_type: Any, dialect: Dialect) -> bool:
    """Whether SQLAlchemy reads a column of ``column_type`` on ``dialect`` as ``json.loads`` of its text: a JSON
    column on SQLite, no deserializer set on the engine, no processor of the text before it."""
    if dialect.name != "sqlite" or not isinstance(column_type, JSON):
        return False
    implementation: Any = column_type.dialect_impl(dialect)
    text = implementation._str_impl.result_processor(dialect, None)
    return text is None and getattr(dialect, "_json_deserializer", None) is None


def fetch_typed(connection: Connection, statement: AnySelect, values: Mapping[str, Any]) -> Sequence[Any]:
    """``fetch``, each value read as SQLAlchemy reads it (its types' own result processors: JSON parsed, SQLite's
    0 and 1 as booleans…), as lists on SQLite."""
    rows = fetch(connection, statement, values)
    if connection.dialect.name != "sqlite":
        return rows
    processors = _processors(statement, connection.dialect)
    if not processors:
        return rows
    read = []
    for row in rows:  # each row as a list: its readers take it as it is (no tuple made again)
        values_read = list(row)
        for position, process in processors:
            values_read[position] = process(values_read[position])
        read.append(values_read)
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
