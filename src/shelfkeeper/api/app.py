"""The FastAPI application: routers, envelope, error handlers, API-key auth, OpenAPI docs."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request

from shelfkeeper import __version__
from shelfkeeper.api import docs_pages, exception_handlers
from shelfkeeper.api.auth import authorization_header, require_api_key, x_api_key_header
from shelfkeeper.api.body_limit import BodyLimitMiddleware
from shelfkeeper.api.deps import refuse_control_characters
from shelfkeeper.api.envelope import declare_body_errors, declare_links
from shelfkeeper.api.live import LiveHub
from shelfkeeper.api.routes import (
    authors,
    books,
    calendar,
    catalogue,
    covers,
    downloads,
    events,
    health,
    maintenance,
    metadata,
    scheduler,
    series,
    stats,
    stream,
    system,
    system_logs,
    tracker,
    wanted,
    web,
)
from shelfkeeper.api.routes import settings as settings_routes
from shelfkeeper.automation.download_refresh import DownloadRefresher
from shelfkeeper.context import AppContext
from shelfkeeper.jobs.registry import default_jobs
from shelfkeeper.jobs.runner import JobRunner
from shelfkeeper.jobs.scheduler import SchedulerService
from shelfkeeper.logs import configure_error_reporting, configure_logging, keep_recent_logs
from shelfkeeper.metrics import Metrics, MetricsMiddleware
from shelfkeeper.settings import Settings, load_settings
from shelfkeeper.stored_settings import SettingsStore

DESCRIPTION = """
Shelfkeeper keeps an Audiobookshelf library complete and correct.

Every response is an envelope: `{"success", "data", "error", "error_code", "timestamp"}`.
Every route but `/health` needs the API key, sent as `Authorization: <key>`, `Authorization: Bearer <key>`
or `X-Api-Key: <key>`. Error codes are listed in docs/error-codes.md.
"""

PROTECTED_ROUTERS = (
    books.router,
    series.router,
    authors.router,
    downloads.router,
    metadata.router,
    scheduler.router,
    system.router,
    system.metrics_router,
    wanted.router,
    health.router,
    events.router,
    calendar.router,
    settings_routes.router,
    tracker.router,
    maintenance.router,
    catalogue.router,
    system_logs.router,
    covers.router,
    stats.router,
)


def create_app(settings: Settings | None = None, *, context: AppContext | None = None) -> FastAPI:
    """Build the app for ``settings`` (or an already built context, as the tests do)."""
    context = context or AppContext.from_settings(settings or load_settings())
    keep_recent_logs()  # the page's log viewer (GET /api/system/logs) reads the last records from memory

    integrations = context.integrations
    store = context.settings_store = context.settings_store or SettingsStore(context)
    runner = JobRunner(context, default_jobs())
    scheduler = SchedulerService(runner)
    context.runner = runner
    context.scheduler = scheduler
    refresher = context.download_refresher = context.download_refresher or DownloadRefresher(context)
    hub = LiveHub(context, refresher)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _key, generated = context.api_keys.ensure()
        if generated:  # started without `shelfkeeper serve` (e.g. plain uvicorn): say where the key is, not the key
            logging.getLogger("shelfkeeper").warning(
                "generated an API key in %s; `shelfkeeper api-key show` prints it", context.api_keys.path
            )
        await asyncio.to_thread(store.refresh)  # settings saved through the API, before the scheduler plans jobs
        if context.settings.run_scheduler:
            await scheduler.start()
        # Everything alive now (modules, routes, schemas, mappers) lives as long as the process: moved out of the
        # collector's reach, a full collection no longer walks it in the middle of a request. `shelfkeeper serve`
        # starts with the collector off (start-up leaves almost no garbage, ~1,000 objects): what little there
        # is gets frozen with the rest instead of a full collection (~0.1 s) before the first answer.
        if gc.isenabled():
            gc.collect()
        gc.freeze()
        gc.enable()
        try:
            yield
        finally:
            await hub.stop()
            await scheduler.stop()
            await integrations.aclose()
            context.engine.dispose()

    app = FastAPI(
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
    app.state.live = hub
    build_openapi = app.openapi
    app.openapi = lambda: declare_links(declare_body_errors(build_openapi()))  # type: ignore[method-assign]
    exception_handlers.install(app)
    metrics = Metrics(context)
    context.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(BodyLimitMiddleware, max_bytes=context.settings.max_request_body_bytes)
    app.include_router(system.public_router)
    app.include_router(calendar.feed_router)  # checks the key itself: it also takes ?apikey= (calendar apps)
    app.include_router(stream.router)  # the same: EventSource cannot send headers
    docs_pages.install(app)
    web.install(app)  # the page and its assets: public, they hold no data
    # The two header schemes are there for the OpenAPI document ("Authorize"); ``guard`` does the checks.
    guard = [Depends(authorization_header), Depends(x_api_key_header), Depends(guard_request)]
    for router in PROTECTED_ROUTERS:
        app.include_router(router, dependencies=guard)
    return app


async def guard_request(request: Request) -> None:
    """Every protected request, in this order: the API key (401), no control character in the path or query
    (422), then settings another process saved applied (at most one check a second). One dependency, not three:
    FastAPI's work per dependency cost more than the checks themselves."""
    await require_api_key(request)
    await refuse_control_characters(request)
    await settings_routes.fresh_settings(request)


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory`` (one per worker): settings from the environment, logging set up."""
    settings = load_settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    note = configure_error_reporting(settings.sentry_dsn.get_secret_value() if settings.sentry_dsn else None)
    if note:
        logging.getLogger("shelfkeeper").warning(note)
    return create_app(settings)
