"""Direct reads: a valid ``GET`` of a read route without path parameters (the lists), answered without the
middleware stack and the route table walk (docs/architecture.md, "Direct reads").

A small list costs SQLite a fraction of a millisecond; the app's fixed work per request cost more than the whole
floor: Starlette's error and exception middlewares, FastAPI's body limit, telemetry and exit stacks, our three
middlewares (metrics, body limit, the route areas' gate), and the route table matched twice (each included router
matches its routes, then matches them again to handle the request). ``DirectReads`` looks the path up in a table
built once from the route table itself, and for a request it can answer runs what the stack would have run for it,
in the same order:

- the request goes through the stack as ever when the route areas are not all in (the gate waits for them), when
  it carries a body (the body limit looks at it), has a root path, when FastAPI's telemetry is on or the app
  overrides a dependency;
- its query is validated and its dependencies and endpoint called by the route's own plan (api/read_route.py),
  with the scope the router would give them (the app, the router, the route, its endpoint, no path parameters);
- when anything raises (an invalid query, a missing key, a failed statement), nothing has been sent: the whole
  stack answers the request again from the start, so every refusal and error is the stack's own (the read runs
  twice at worst, as a refused request did not need it);
- the route's response is sent as the stack sends it, and the request counted into the metrics exactly as the
  metrics middleware counts it (method, route template, status; cancelled before answering: 500).

The table holds a path only when the route table itself picks that route for a ``GET`` of it (the first full
match, as the router walks it), and is rebuilt when routes are added. FastAPI's included routers are read through
their internal matching (``_IncludedRouter._match``), pinned like read_route.py's borrowings; tests/api compare the
direct answers with the stack's byte for byte.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi.routing import APIRoute, _IncludedRouter
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from shelfkeeper.api.read_route import ReadRoute, Step

if TYPE_CHECKING:
    from fastapi import FastAPI

    from shelfkeeper.metrics import Metrics


@dataclass(frozen=True)
class DirectRead:
    """One path's route as the router picks it, and the plan that answers it."""

    route: APIRoute  # what the router puts in the scope (its ``path`` is the metrics' route template)
    plan: Step


class DirectReads:
    """The paths answered directly, for one app (see the module)."""

    def __init__(self, app: FastAPI, metrics: Metrics, middleware: list[Any]) -> None:
        self.app = app
        self.metrics = metrics
        self._middleware = middleware  # the app's own: one added later (a test's) sees every request
        self._table: dict[str, DirectRead] = {}
        self._built_for = -1  # the route table's length when the table was built

    def _current(self) -> dict[str, DirectRead]:
        routes = self.app.router.routes
        if len(routes) != self._built_for:
            self._table = _table(self.app)
            self._built_for = len(routes)
        return self._table

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer the request if it is a direct read (True), else leave it untouched for the stack (False)."""
        if scope["method"] != "GET" or scope.get("root_path"):
            return False
        found = self._current().get(scope["path"])
        app = self.app
        if found is None or app.root_path or app.dependency_overrides or app.user_middleware != self._middleware:
            return False
        if _has_body(scope):
            return False
        if app._native_telemetry.enabled():  # the stack observes the request for it
            return False
        started = time.perf_counter()
        route = found.route
        child: Scope = {**scope, "app": app, "router": app.router}
        child.update(endpoint=route.endpoint, path_params={}, route=route)
        request = Request(child, receive, send)
        plan = found.plan
        try:
            response = await plan.run(request, plan.read(request.query_params))
        except Exception:
            return False  # nothing sent: the stack answers, its own refusal or error
        except BaseException:
            self.metrics.count("GET", route.path, "500", time.perf_counter() - started)
            raise
        try:
            await response(child, receive, send)
        finally:
            self.metrics.count("GET", route.path, str(response.status_code), time.perf_counter() - started)
        return True


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if (name == b"content-length" and value != b"0") or name == b"transfer-encoding":
            return True
    return False


def _table(app: FastAPI) -> dict[str, DirectRead]:
    """Every read route's path without parameters whose ``GET`` the route table answers with that route."""
    table: dict[str, DirectRead] = {}
    for route in app.router.routes:
        if not isinstance(route, _IncludedRouter):
            continue
        for included in route.effective_route_contexts():
            original = included.original_route
            if not isinstance(original, ReadRoute) or included.param_convertors or included.methods != {"GET"}:
                continue
            plan = original.plan_for(included)
            if plan is not None and _selected(app, included.path) is included:
                table[included.path] = DirectRead(original, plan)
    return table


def _selected(app: FastAPI, path: str) -> Any:
    """What the router hands a ``GET path`` to: the first route that fully matches (as included, for a route of
    an included router)."""
    probe: Scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": [], "query_string": b""}
    for route in app.router.routes:
        match, _ = route.matches(dict(probe))
        if match is not Match.FULL:
            continue
        if isinstance(route, _IncludedRouter):
            match, _, _, included = route._match(dict(probe))
            return included if match is Match.FULL else None
        return route
    return None
