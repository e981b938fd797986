"""Prometheus metrics: request counts and latencies per route, and library/queue gauges read at scrape time."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shelfkeeper.context import AppContext

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class DatabaseCollector(Collector):
    """Gauges computed from the database on each scrape, so every worker reports the same numbers."""

    def __init__(self, context: AppContext) -> None:
        self.context = context

    def collect(self) -> Iterator[GaugeMetricFamily]:
        # The tables load at the first scrape: the middleware counts requests from the start, /health's too.
        from shelfkeeper.db.tables import Book, Download, FailedAttempt, Task, WantedBook

        with self.context.sessions() as session:
            books = GaugeMetricFamily(
                "shelfkeeper_books", "Books known, by presence in the library", labels=["in_library"]
            )
            for present, count in session.execute(select(Book.in_library, func.count()).group_by(Book.in_library)):
                books.add_metric([str(bool(present)).lower()], count)
            yield books
            for name, column, doc in (
                ("shelfkeeper_wanted", WantedBook.status, "Wanted books by status"),
                ("shelfkeeper_downloads", Download.status, "Downloads by status"),
                ("shelfkeeper_tasks", Task.status, "Job runs by status (within retention)"),
            ):
                family = GaugeMetricFamily(name, doc, labels=["status"])
                for status, count in session.execute(select(column, func.count()).group_by(column)):
                    family.add_metric([str(status)], count)
                yield family
            failed = GaugeMetricFamily("shelfkeeper_failed_attempts", "Failed attempts recorded", labels=["kind"])
            for kind, count in session.execute(select(FailedAttempt.kind, func.count()).group_by(FailedAttempt.kind)):
                failed.add_metric([str(kind)], count)
            yield failed


class Metrics:
    """One registry per app (tests build many apps in one process)."""

    def __init__(self, context: AppContext) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "shelfkeeper_http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "shelfkeeper_http_request_seconds", "HTTP request duration", ["method", "route"], registry=self.registry
        )
        self.registry.register(DatabaseCollector(context))
        self._children: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}

    def count(self, method: str, template: str, status: str, seconds: float) -> None:
        """One answered request: counted and its latency observed.

        Each labelled counter and histogram is looked up once and kept (``_children``): ``labels()`` validates the
        values and takes a lock on every call, a tenth of a small list's time; the children are the very ones it
        returns, so the scrape is the same."""
        key = (method, template, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (self.requests.labels(*key), self.latency.labels(method, template))
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts every request by method, route template (not the raw path) and status (``Metrics.count``; the
    direct reads count theirs there too, api/direct_reads.py)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            self.metrics.count(scope["method"], template, str(status), time.perf_counter() - started)
