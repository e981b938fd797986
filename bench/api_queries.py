"""Benchmark: list, filter and search requests against 50,000 books, each beside its floor.

The app is called in-process over ASGI (routing, auth, validation, SQL, serialization). Its floor, measured in
the same rounds and through the same call, is a bare ASGI callable that runs the very SQL the app ran for that
request (recorded from the engine on the warm-up request) through the raw driver (``sqlite3`` or ``psycopg``)
and answers ``json.dumps`` of every row; the table also shows that SQL + ``json.dumps`` part alone.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from bench.asgi import Asgi, Receive, Scope, Send, get, load, median, percentile
from bench.library_data import LibraryShape, load_library
from shelfkeeper.api.app import create_app
from shelfkeeper.context import AppContext
from shelfkeeper.db.migrate import upgrade
from shelfkeeper.db.session import make_engine
from shelfkeeper.settings import Settings

KEY = "bench-key"
QUERIES = {
    "list, first page": "/api/books?limit=50",
    "list, deep page": "/api/books?limit=50&offset=40000",
    "list, sorted by author desc": "/api/books?limit=50&sort=-author",
    "list, sorted by added": "/api/books?limit=50&sort=-added",
    "filter: language": "/api/books?language=German&limit=50",
    "filter: has_asin=false": "/api/books?has_asin=false&limit=50",
    "filter: metadata_status": "/api/books?metadata_status=needs_review&limit=50",
    "filter: author_id": "/api/books?author_id=42",
    "filter: series_id": "/api/books?series_id=5",
    "filter: combined": "/api/books?language=English&has_asin=true&metadata_status=ok&sort=-year&limit=50",
    "search: one word": "/api/books?q=citadel&limit=50",
    "search: two words": "/api/books?q=winter%20garden&limit=50",
    "search: author name": "/api/books?q=sorensen&limit=50",
    "search: rare word": "/api/books?q=requiem%20ember%20atlas&limit=50",
    "series list": "/api/series?limit=50",
    "authors list": "/api/authors?limit=50",
    "series completion summary": "/api/series/completion-summary?limit=50",
}


@dataclass(frozen=True)
class Goal:
    median_ms: float
    p99_ms: float
    max_ratio: float | None  # app median over floor median


GOALS = {"sqlite": Goal(10.0, 50.0, 2.0), "postgresql": Goal(15.0, 60.0, None)}


@dataclass(frozen=True)
class Timing:
    name: str
    total: int
    statements: int
    median_ms: float
    p99_ms: float
    floor_median_ms: float
    floor_p99_ms: float
    sql_median_ms: float

    @property
    def ratio(self) -> float:
        return self.median_ms / self.floor_median_ms


@dataclass(frozen=True)
class Result:
    dialect: str
    timings: list[Timing]
    rounds: int
    load_before: str
    load_after: str


Statement = tuple[str, Any]


def _record(engine: Engine) -> tuple[list[Statement], Callable[[], None]]:
    recorded: list[Statement] = []

    def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        if not many:
            recorded.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    return recorded, lambda: event.remove(engine, "before_cursor_execute", before)


def _raw_connection(engine: Engine) -> Any:
    if engine.dialect.name == "sqlite":
        return sqlite3.connect(str(engine.url.database), check_same_thread=False)
    import psycopg

    return psycopg.connect(engine.url.set(drivername="postgresql").render_as_string(hide_password=False))


def _run_sql(connection: Any, statements: list[Statement]) -> bytes:
    """The floor's work: the app's statements through the driver, every row answered as JSON."""
    cursor = connection.cursor()
    rows = []
    for statement, parameters in statements:
        cursor.execute(statement, parameters)
        rows.append(cursor.fetchall())
    connection.rollback()
    return json.dumps(rows, default=str).encode()


def _floor_app(connection: Any, statements: dict[str, list[Statement]]) -> Asgi:
    async def app(scope: Scope, _receive: Receive, send: Send) -> None:
        url = scope["path"] + ("?" + scope["query_string"].decode() if scope["query_string"] else "")
        body = _run_sql(connection, statements[url])
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})

    return app


async def _measure(engine: Engine, app: Asgi, rounds: int) -> list[Timing]:
    headers = {"X-Api-Key": KEY}
    statements: dict[str, list[Statement]] = {}
    totals: dict[str, int] = {}
    for url in QUERIES.values():
        await get(app, url, headers)  # warm-up: caches, prepared statements
        recorded, stop = _record(engine)
        status, body = await get(app, url, headers)
        stop()
        assert status == 200, (url, body[:500])
        totals[url] = json.loads(body)["data"]["total"]
        statements[url] = list(recorded)
    connection = _raw_connection(engine)
    floor = _floor_app(connection, statements)
    samples: dict[str, dict[str, list[float]]] = {url: {"app": [], "floor": [], "sql": []} for url in QUERIES.values()}
    for round_number in range(rounds):
        for url in QUERIES.values():
            order = [("app", app), ("floor", floor)]
            for kind, target in order if round_number % 2 == 0 else reversed(order):
                started = time.perf_counter()
                status, _body = await get(target, url, headers)
                samples[url][kind].append((time.perf_counter() - started) * 1000)
                assert status == 200
            started = time.perf_counter()
            _run_sql(connection, statements[url])
            samples[url]["sql"].append((time.perf_counter() - started) * 1000)
    connection.close()
    return [
        Timing(
            name,
            totals[url],
            len(statements[url]),
            median(samples[url]["app"]),
            percentile(samples[url]["app"], 0.99),
            median(samples[url]["floor"]),
            percentile(samples[url]["floor"], 0.99),
            median(samples[url]["sql"]),
        )
        for name, url in QUERIES.items()
    ]


async def _serve_and_measure(engine: Engine, directory: Path, rounds: int) -> list[Timing]:
    settings = Settings(data_dir=directory, api_key=KEY, run_scheduler=False, _env_file=None)  # type: ignore[call-arg]
    app = create_app(context=AppContext.from_settings(settings, engine=engine))
    async with app.router.lifespan_context(app):  # start-up as served, gc.freeze() included
        return await _measure(engine, app, rounds)


def run(database_url: str | None = None, *, rounds: int = 100, shape: LibraryShape = LibraryShape()) -> Result:
    """Load the library into a fresh database (SQLite in a temp dir by default) and time each request."""
    with tempfile.TemporaryDirectory() as directory:
        url = database_url or f"sqlite:///{Path(directory) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        load_library(engine, shape)
        gc.collect()
        load_before = load()
        timings = asyncio.run(_serve_and_measure(engine, Path(directory), rounds))
        load_after = load()
        engine.dispose()
        return Result(engine.dialect.name, timings, rounds, load_before, load_after)


def run_postgresql(admin_url: str, *, rounds: int = 100) -> Result | None:
    """``run`` on a fresh database made through ``admin_url`` (dropped afterwards); None when unreachable."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"shelfkeeper_bench_{os.getpid()}"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        return None
    url = make_url(admin_url).set(drivername="postgresql+psycopg", database=name)
    try:
        return run(url.render_as_string(hide_password=False), rounds=rounds)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _verdict(t: Timing, goal: Goal) -> str:
    misses = []
    if t.median_ms >= goal.median_ms:
        misses.append("median")
    if t.p99_ms >= goal.p99_ms:
        misses.append("p99")
    if goal.max_ratio is not None and t.ratio > goal.max_ratio:
        misses.append("ratio")
    return "yes" if not misses else "**no** (" + ", ".join(misses) + ")"


def markdown(title: str, result: Result) -> str:
    goal = GOALS[result.dialect]
    ratio_goal = f", at most {goal.max_ratio:g}× the floor" if goal.max_ratio else ""
    lines = [
        f"### {title}",
        "",
        f"Goal: median under {goal.median_ms:g} ms, p99 under {goal.p99_ms:g} ms{ratio_goal}. "
        f"{result.rounds} interleaved rounds; load average (1/5/15 min) {result.load_before} before, "
        f"{result.load_after} after.",
        "",
        "| request | matches | SQL statements | median ms | p99 ms | floor median ms | floor p99 ms "
        "| of which SQL + JSON ms | ratio | goal met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for t in result.timings:
        lines.append(
            f"| {t.name} | {t.total} | {t.statements} | {t.median_ms:.1f} | {t.p99_ms:.1f} | "
            f"{t.floor_median_ms:.1f} | {t.floor_p99_ms:.1f} | {t.sql_median_ms:.1f} | {t.ratio:.2f}× | "
            f"{_verdict(t, goal)} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m bench.api_queries [postgresql admin url]
    import sys

    outcome = run_postgresql(sys.argv[1]) if len(sys.argv) > 1 else run()
    if outcome is not None:
        sys.stdout.write(markdown(outcome.dialect, outcome))
