"""The rest of the app loads on first need: ``/health`` answers as soon as the server is up.

``create_app`` builds the app with ``/health`` alone in its route table. The rest (shelfkeeper.api.routers: some
hundred routes, their schemas, the use cases and tables behind them, the job runner and scheduler: most of the
start-up's work) is loaded once, by whichever comes first: the warm-up the lifespan starts when the server is up, or
a request that ``/health`` does not fully match, which waits for it (the loading runs in a worker thread; the event
loop goes on answering ``/health``). The warm-up then does what the lifespan used to do before serving (stored
settings applied, scheduler started); a request that needs the rest waits for that too.

Either way the table ends as if built at once: ``/health`` was already first in it, so every request is routed,
refused (401, 404, 405) or redirected exactly as before. Reading the table (``app.routes``: the OpenAPI document,
the reference docs) loads the rest first too.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from shelfkeeper.api.direct_reads import DirectReads

logger = logging.getLogger("shelfkeeper.api")


class RouteAreas:
    """Loads the rest of one app (shelfkeeper.api.routers) exactly once, from whichever thread asks first."""

    def __init__(self, app: FastAPI, answered_early: Sequence[BaseRoute]) -> None:
        self.app = app
        self.answered_early = tuple(answered_early)
        self.loaded = False
        self.failure: BaseException | None = None  # the loading or the rest of the start-up failed: /health says so
        self.freeze = False  # set by a started app: what loads later leaves the collector's reach as start-up did
        self._lock = threading.Lock()
        self._warming: asyncio.Task[None] | None = None

    @property
    def complete(self) -> bool:
        """Loaded, and the warm-up (if one was started) finished."""
        return self.loaded and (self._warming is None or self._warming.done())

    def answers_now(self, scope: Scope) -> bool:
        """Whether a route already in the table fully matches ``scope``: the one the whole table would pick, since
        nothing is ever included before it."""
        probe = dict(scope)  # matching notes its progress in the scope; the router matches again on its own
        return any(route.matches(probe)[0] is Match.FULL for route in self.answered_early)

    def load(self) -> None:
        """Load the rest unless it is in; a second caller waits for the first. A failed loading is not tried
        again (it may have left part of the rest in the table): every later caller gets its error."""
        if self.loaded:
            return
        with self._lock:
            if self.loaded:
                return
            if self.failure is not None:
                raise RuntimeError("the app could not be loaded at start-up (see the log)") from self.failure
            collecting = gc.isenabled()
            gc.disable()  # some 100,000 objects for the life of the process: not walked again and again meanwhile
            try:
                from shelfkeeper.api import routers

                routers.include(self.app)
            except BaseException as exc:
                self.failure = exc
                raise
            finally:
                if self.freeze:
                    gc.freeze()
                if collecting:
                    gc.enable()
            self.loaded = True

    def warm_up(self, then: Callable[[], Awaitable[None]]) -> None:
        """Start loading (in a worker thread), then run ``then``, in a task of the running loop."""
        self._warming = asyncio.create_task(self._warm_up(then))

    async def _warm_up(self, then: Callable[[], Awaitable[None]]) -> None:
        try:
            await asyncio.to_thread(self.load)
            await then()
        except Exception as exc:
            self.failure = self.failure or exc  # /health answers 503 START_UP_FAILED from now on
            logger.exception("start-up could not finish: /health reports it; restart the service")

    async def ready(self) -> None:
        """Wait until the rest is in: for the warm-up, if one runs, and for ``load`` (in a worker thread)."""
        warming = self._warming
        if warming is not None and not warming.done():
            await asyncio.shield(warming)  # a request that goes away does not cancel the warm-up
        if not self.loaded:
            await asyncio.to_thread(self.load)

    async def finish(self) -> None:
        """At shutdown: a warm-up still going ends first."""
        if self._warming is not None:
            await self._warming


class RouteAreasApp(FastAPI):
    """A FastAPI app whose route table, when read, holds every route; once it is all in, the lists are answered
    directly (``direct_reads``, set by shelfkeeper.api.routers) and every other request by the stack."""

    route_areas: RouteAreas | None = None
    direct_reads: DirectReads | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        direct = self.direct_reads
        if (
            direct is None
            or scope["type"] != "http"
            or self.route_areas is None
            or not self.route_areas.complete
            or not await direct.answer(scope, receive, send)
        ):
            await super().__call__(scope, receive, send)

    @property
    def routes(self) -> list[BaseRoute]:
        self.load_route_areas()
        return self.router.routes

    def load_route_areas(self) -> None:
        """Load the rest of the app now (a test that reaches into it before any request)."""
        if self.route_areas is not None:
            self.route_areas.load()


class RouteAreasGate:
    """ASGI middleware: a request that the routes already in do not fully match waits until the rest is in."""

    def __init__(self, app: ASGIApp, areas: RouteAreas) -> None:
        self.app = app
        self.areas = areas

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.areas.complete and scope["type"] != "lifespan" and not self.areas.answers_now(scope):
            await self.areas.ready()
        await self.app(scope, receive, send)
