"""The outside services of a running Shelfkeeper: each adapter built once from settings, on first use.

A service the user has not configured raises ``ServiceNotConfigured`` when a use case asks for it and is
reported as "not configured" by the integrations endpoint; it never stops the program.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shelfkeeper.adapters import (
    audible,
    audiobookshelf,
    audnexus,
    google_books,
    mam,
    openlibrary,
    prowlarr,
    qbittorrent,
)
from shelfkeeper.adapters.audiobookshelf import AudiobookshelfClient
from shelfkeeper.adapters.http import ServiceClient
from shelfkeeper.adapters.mam import MamClient
from shelfkeeper.adapters.prowlarr import ProwlarrClient
from shelfkeeper.adapters.qbittorrent import QbittorrentClient
from shelfkeeper.context import AppContext
from shelfkeeper.db.service_state import DatabaseBudgetStore, ServiceStateStore
from shelfkeeper.errors import ServiceError, ServiceNotConfigured
from shelfkeeper.ports import ConnectionReport

logger = logging.getLogger("shelfkeeper.integrations")

SERVICES = ("audiobookshelf", "qbittorrent", "prowlarr", "mam", "google_books", "audnexus", "audible", "openlibrary")
BUDGETS = {"mam": "mam_daily_request_cap", "google_books": "google_books_daily_budget"}


@dataclass
class IntegrationStatus:
    """One row of ``GET /api/system/integrations``."""

    name: str
    configured: bool
    reachable: bool | None
    auth_ok: bool | None
    version: str | None
    last_error: str | None
    last_error_code: str | None
    budget_left: int | None
    checked: bool


class Integrations:
    """Builds and keeps one adapter per service; ``test`` checks one and remembers what it found."""

    def __init__(self, app: AppContext, **build_options: Any) -> None:
        self.app = app
        self.budgets = DatabaseBudgetStore(app.sessions)
        self.state = ServiceStateStore(app.sessions)
        self.build_options = build_options  # tests pass sleep/clock to the clients
        self._clients: dict[str, Any] = {}
        self._reports: dict[str, ConnectionReport] = {}
        self._lock = asyncio.Lock()

    # ---- the adapters ----

    def configured(self, name: str) -> bool:
        return self.app.settings.configured_services().get(name, False)

    def get(self, name: str) -> Any:
        """The adapter for ``name``; ServiceNotConfigured when its settings are missing."""
        if name not in SERVICES:
            raise KeyError(name)
        if not self.configured(name):
            raise ServiceNotConfigured(name, f"{name} is not configured (see docs/configuration.md)")
        if name not in self._clients:
            self._clients[name] = self._builders()[name]()
        return self._clients[name]

    def library(self) -> AudiobookshelfClient:
        client: AudiobookshelfClient = self.get("audiobookshelf")
        return client

    def download_client(self) -> QbittorrentClient:
        client: QbittorrentClient = self.get("qbittorrent")
        return client

    def prowlarr(self) -> ProwlarrClient:
        client: ProwlarrClient = self.get("prowlarr")
        return client

    def mam(self) -> MamClient:
        client: MamClient = self.get("mam")
        return client

    def metadata_sources(self) -> dict[str, Any]:
        """Google Books, Audnexus (with the Audible catalog) and Open Library, in the order they are asked."""
        return {name: self.get(name) for name in ("google_books", "audnexus", "openlibrary")}

    def _secret(self, name: str) -> str:
        value = getattr(self.app.settings, name)
        return value.get_secret_value() if value is not None else ""

    def _builders(self) -> dict[str, Callable[[], Any]]:
        s, options = self.app.settings, self.build_options
        budget = self.budgets
        return {
            "audiobookshelf": lambda: audiobookshelf.build(s.abs_url or "", self._secret("abs_token"), **options),
            "qbittorrent": lambda: qbittorrent.build(
                s.qb_host or "", s.qb_port, s.qb_username or "", self._secret("qb_password"), use_https=s.qb_use_https
            ),
            "prowlarr": lambda: prowlarr.build(
                s.prowlarr_url or "", self._secret("prowlarr_api_key"), indexer_ids=s.prowlarr_indexer_ids, **options
            ),
            "mam": self._build_mam,
            "google_books": lambda: google_books.build(
                s.google_books_url,
                self._secret("google_books_api_key") or None,
                budget=budget,
                daily_budget=s.google_books_daily_budget,
                **options,
            ),
            "audnexus": lambda: audnexus.build(
                s.audnexus_url, region=s.audible_region, catalog=self.get("audible"), **options
            ),
            "audible": lambda: audible.build(s.audible_url, region=s.audible_region, **options),
            "openlibrary": lambda: openlibrary.build(s.openlibrary_url, **options),
        }

    def _build_mam(self) -> MamClient:
        s = self.app.settings
        remembered = self.state.get("mam").get("cookie")
        cookie = remembered or self._secret("mam_id")

        async def remember(new_cookie: str) -> None:
            await self.state.aupdate("mam", cookie=new_cookie)

        return mam.build(
            s.mam_url,
            cookie,
            on_cookie_rotated=remember,
            budget=self.budgets,
            daily_budget=s.mam_daily_request_cap,
            min_interval=s.mam_request_pause_seconds,
            **self.build_options,
        )

    # ---- checks ----

    async def test(self, name: str) -> ConnectionReport:
        """Check one service now (reachability, version, credentials); never raises for a service failure."""
        if name not in SERVICES:
            raise KeyError(name)
        if not self.configured(name):
            report = ConnectionReport(
                service=name,
                configured=False,
                reachable=False,
                auth_ok=None,
                error="not configured",
                error_code="SERVICE_NOT_CONFIGURED",
            )
        else:
            try:
                report = await self.get(name).test_connection()
            except ServiceError as exc:
                report = ConnectionReport(
                    service=name, configured=True, reachable=False, auth_ok=None, error=exc.message, error_code=exc.code
                )
        self._reports[name] = report
        return report

    async def status(self, name: str, *, check: bool = False) -> IntegrationStatus:
        report = await self.test(name) if check else self._reports.get(name)
        health = self._health(name)
        budget_left = None
        if name in BUDGETS and self.configured(name):
            client = self._clients.get(name)
            if client is not None and hasattr(client, "http"):
                budget_left = await client.http.budget_left()
        return IntegrationStatus(
            name=name,
            configured=self.configured(name),
            reachable=report.reachable if report else None,
            auth_ok=report.auth_ok if report else None,
            version=report.version if report else None,
            last_error=(report.error if report and report.error else health.get("last_error")),
            last_error_code=(report.error_code if report and report.error_code else health.get("last_error_code")),
            budget_left=budget_left,
            checked=report is not None,
        )

    def _health(self, name: str) -> dict[str, Any]:
        client = self._clients.get(name)
        http = getattr(client, "http", None)
        if isinstance(http, ServiceClient):
            health = http.health
            return {"last_error": health.last_error, "last_error_code": health.last_error_code}
        return {}

    async def aclose(self) -> None:
        for client in self._clients.values():
            closer = getattr(client, "aclose", None)
            if closer is not None:
                try:
                    await closer()
                except Exception:  # closing is best effort at shutdown
                    logger.debug("closing %s failed", type(client).__name__, exc_info=True)
        self._clients.clear()
