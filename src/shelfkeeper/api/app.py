"""The FastAPI application: routers, envelope, error handlers, API-key auth, OpenAPI docs.

Built light: ``/health`` and the middleware; the routers and what they work with load on first need or in the
warm-up right after start-up (shelfkeeper.api.route_areas).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI

from shelfkeeper import __version__
from shelfkeeper.api import exception_handlers
from shelfkeeper.api.body_limit import BodyLimitMiddleware
from shelfkeeper.api.envelope import declare_body_errors, declare_links
from shelfkeeper.api.route_areas import RouteAreas, RouteAreasApp, RouteAreasGate
from shelfkeeper.api.routes import liveness
from shelfkeeper.context import AppContext
from shelfkeeper.logs import configure_error_reporting, configure_logging, keep_recent_logs
from shelfkeeper.metrics import Metrics, MetricsMiddleware
from shelfkeeper.settings import Settings, load_settings

DESCRIPTION = """
Shelfkeeper keeps an Audiobookshelf library complete and correct.

Every response is an envelope: `{"success", "data", "error", "error_code", "timestamp"}`.
Every route but `/health` needs the API key, sent as `Authorization: <key>`, `Authorization: Bearer <key>`
or `X-Api-Key: <key>`. Error codes are listed in docs/error-codes.md.
"""


def create_app(settings: Settings | None = None, *, context: AppContext | None = None) -> RouteAreasApp:
    """Build the app for ``settings`` (or an already built context, as the tests do)."""
    context = context or AppContext.from_settings(settings or load_settings())
    keep_recent_logs()  # the page's log viewer (GET /api/system/logs) reads the last records from memory

    async def finish_start_up() -> None:
        """What the server waited for before answering anything, now that the rest of the app is loaded: settings
        saved through the API applied, then the scheduler started (it plans jobs from them)."""
        if context.settings_store is not None:
            await asyncio.to_thread(context.settings_store.refresh)
        if context.settings.run_scheduler:
            await context.job_scheduler().start()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _key, generated = context.api_keys.ensure()
        if generated:  # started without `shelfkeeper serve` (e.g. plain uvicorn): say where the key is, not the key
            logging.getLogger("shelfkeeper").warning(
                "generated an API key in %s; `shelfkeeper api-key show` prints it", context.api_keys.path
            )
        # Everything alive now (modules, routes, schemas) lives as long as the process: moved out of the
        # collector's reach, a full collection no longer walks it in the middle of a request. `shelfkeeper serve`
        # starts with the collector off (start-up leaves almost no garbage, ~1,000 objects): what little there
        # is gets frozen with the rest instead of a full collection (~0.1 s) before the first answer.
        if gc.isenabled():
            gc.collect()
        gc.freeze()
        gc.enable()
        areas.freeze = True  # the rest of the app, loaded next, is frozen likewise
        areas.warm_up(then=finish_start_up)  # /health is answered meanwhile; any other request waits for it
        try:
            yield
        finally:
            await areas.finish()
            if areas.loaded:
                await app.state.live.stop()
                await context.job_scheduler().stop()
            await context.close_integrations()
            context.engine.dispose()

    app = RouteAreasApp(
        title="Shelfkeeper",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by docs_pages with local assets instead of a CDN's
        redoc_url=None,
        openapi_tags=[
            {"name": name}
            for name in (
                "books",
                "series",
                "authors",
                "wanted",
                "downloads",
                "metadata",
                "scheduler",
                "system",
                "settings",
            )
        ],
    )
    app.state.context = context
    app.state.api_keys = context.api_keys
    build_openapi = app.openapi
    app.openapi = lambda: declare_links(declare_body_errors(build_openapi()))  # type: ignore[method-assign]
    exception_handlers.install(app)
    metrics = Metrics(context)
    context.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(BodyLimitMiddleware, max_bytes=context.settings.max_request_body_bytes)
    app.include_router(liveness.router)  # first in the table, as always: answered before the rest is in
    areas = app.route_areas = RouteAreas(app, answered_early=app.router.routes[-1:])
    app.add_middleware(RouteAreasGate, areas=areas)
    return app


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory`` (one per worker): settings from the environment, logging set up."""
    return serving_app(load_settings())


def serving_app(settings: Settings) -> RouteAreasApp:
    """The app a server runs (``app_factory``, and ``shelfkeeper serve`` behind its front): logging set up from
    ``settings``, error reporting when configured."""
    configure_logging(settings.log_level, json_lines=settings.log_json)
    note = configure_error_reporting(settings.sentry_dsn.get_secret_value() if settings.sentry_dsn else None)
    if note:
        logging.getLogger("shelfkeeper").warning(note)
    return create_app(settings)


def count_early_answers(app: object, answers: Sequence[tuple[int, float]]) -> None:
    """Count the ``/health`` answers ``serve``'s front gave before ``app`` started (api/front.py) into its request
    metrics, as if it had given them."""
    if not isinstance(app, FastAPI):
        return
    metrics = app.state.context.request_metrics()
    for status, seconds in answers:
        metrics.requests.labels("GET", "/health", str(status)).inc()
        metrics.latency.labels("GET", "/health").observe(seconds)
