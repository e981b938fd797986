"""Every route area after ``/health``, in the order the app matches them, and what they work with.

``include`` runs once per app, from ``RouteAreas.load`` (shelfkeeper.api.route_areas): on the first request that
needs a route area or in the warm-up after start-up. Importing this module imports every route, schema and use case
behind them, the ORM's tables with them.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request

from shelfkeeper.api import docs_pages
from shelfkeeper.api.auth import authorization_header, require_api_key, x_api_key_header
from shelfkeeper.api.deps import refuse_control_characters
from shelfkeeper.api.direct_reads import DirectReads
from shelfkeeper.api.live import LiveHub
from shelfkeeper.api.route_areas import RouteAreasApp
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
from shelfkeeper.stored_settings import SettingsStore

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


def include(app: FastAPI) -> None:
    """Build what the route areas work with (stored settings, job runner and scheduler, live hub), then add them to
    ``app`` after its ``/health``."""
    context: AppContext = app.state.context
    context.settings_store = context.settings_store or SettingsStore(context)
    context.runner = JobRunner(context, default_jobs())
    context.scheduler = SchedulerService(context.runner)
    refresher = context.download_refresher = context.download_refresher or DownloadRefresher(context)
    app.state.live = LiveHub(context, refresher)
    app.include_router(calendar.feed_router)  # checks the key itself: it also takes ?apikey= (calendar apps)
    app.include_router(stream.router)  # the same: EventSource cannot send headers
    docs_pages.install(app)
    web.install(app)  # the page and its assets: public, they hold no data
    # The two header schemes are there for the OpenAPI document ("Authorize"); ``guard`` does the checks.
    guard = [Depends(authorization_header), Depends(x_api_key_header), Depends(guard_request)]
    for router in PROTECTED_ROUTERS:
        app.include_router(router, dependencies=guard)
    if isinstance(app, RouteAreasApp) and context.metrics is not None:  # create_app's: counted there too
        app.direct_reads = DirectReads(app, context.metrics, list(app.user_middleware))


async def guard_request(request: Request) -> None:
    """Every protected request, in this order: the API key (401), no control character in the path or query
    (422), then settings another process saved applied (at most one check a second). One dependency, not three:
    FastAPI's work per dependency cost more than the checks themselves."""
    await require_api_key(request)
    await refuse_control_characters(request)
    await settings_routes.fresh_settings(request)
