"""The outside services of a running Shelfkeeper: each adapter built once from settings, on first use.

A service the user has not configured raises ``ServiceNotConfigured`` when a use case asks for it and is
reported as "not configured" by the integrations endpoint; it never stops the program.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from shelfkeeper.adapters.redaction import redact_text, registered_secrets
from shelfkeeper.db.service_state import DatabaseBudgetStore, ServiceStateStore
from shelfkeeper.domain.releases.release import DownloadProtocol
from shelfkeeper.download_clients import BrokenClient, ordered_clients
from shelfkeeper.errors import NotFound, ServiceError, ServiceNotConfigured
from shelfkeeper.ports import (
    AsinDirectory,
    AudiobookCatalog,
    AudioInspector,
    AudioMerger,
    BookCatalog,
    ConnectionReport,
    DownloadClient,
    Indexer,
    LibraryServer,
    Notifier,
    PrivateTracker,
    Testable,
)
from shelfkeeper.secret_store import MAM_COOKIE_SECRET, SecretBox, SecretUnreadable, is_sealed

if TYPE_CHECKING:  # the adapters themselves load when a service is first used (``_build_*``), not with the app
    from shelfkeeper.adapters.audible import AudibleCatalogClient
    from shelfkeeper.adapters.audiobookshelf import AudiobookshelfClient
    from shelfkeeper.adapters.audnexus import AudnexusClient
    from shelfkeeper.adapters.deluge import DelugeClient
    from shelfkeeper.adapters.google_books import GoogleBooksClient
    from shelfkeeper.adapters.http import ServiceHealth
    from shelfkeeper.adapters.mam import MamClient
    from shelfkeeper.adapters.nzbget import NzbgetClient
    from shelfkeeper.adapters.openlibrary import OpenLibraryClient
    from shelfkeeper.adapters.prowlarr import ProwlarrClient
    from shelfkeeper.adapters.qbittorrent import QbittorrentClient
    from shelfkeeper.adapters.transmission import TransmissionClient
    from shelfkeeper.context import AppContext

logger = logging.getLogger("shelfkeeper.integrations")
T = TypeVar("T")

SERVICES = (
    "audiobookshelf",
    "qbittorrent",
    "transmission",
    "deluge",
    "nzbget",
    "prowlarr",
    "mam",
    "google_books",
    "audnexus",
    "audible",
    "openlibrary",
)
BUDGETS = {"mam": "mam_daily_request_cap", "google_books": "google_books_daily_budget"}


CHECK_TIMEOUT_SECONDS = 10.0
REQUIRED_SETTINGS = {
    "audiobookshelf": "ABS_URL and ABS_TOKEN",
    "qbittorrent": "QB_HOST (with QB_PORT, QB_USERNAME and QB_PASSWORD)",
    "transmission": "TRANSMISSION_URL (with TRANSMISSION_USERNAME and TRANSMISSION_PASSWORD)",
    "deluge": "DELUGE_HOST (with DELUGE_PORT, DELUGE_USERNAME and DELUGE_PASSWORD)",
    "nzbget": "NZBGET_URL (with NZBGET_USERNAME and NZBGET_PASSWORD)",
    "prowlarr": "PROWLARR_URL and PROWLARR_API_KEY",
    "mam": "MAM_ID (the mam_id session cookie)",
}


@dataclass
class IntegrationStatus:
    """One row of ``GET /api/system/integrations``: what is known about one service right now."""

    name: str
    configured: bool
    checked: bool
    checked_at: datetime | None
    reachable: bool | None
    auth_ok: bool | None
    version: str | None
    last_error: str | None
    last_error_code: str | None
    last_error_at: datetime | None
    budget_limit: int | None
    budget_left: int | None


@dataclass(frozen=True)
class CheckResult:
    """The last "test" of one service, kept in the database so every worker and a restart still show it."""

    report: ConnectionReport
    checked_at: datetime

    def to_json(self) -> dict[str, Any]:
        fields = ("reachable", "auth_ok", "version", "error", "error_code")
        return {"checked_at": self.checked_at.isoformat(), **{f: getattr(self.report, f) for f in fields}}

    @classmethod
    def from_json(cls, service: str, data: dict[str, Any]) -> CheckResult | None:
        if "checked_at" not in data:
            return None
        report = ConnectionReport(
            service=service,
            configured=True,
            reachable=bool(data.get("reachable")),
            auth_ok=data.get("auth_ok"),
            version=data.get("version"),
            error=data.get("error"),
            error_code=data.get("error_code"),
        )
        return cls(report, datetime.fromisoformat(data["checked_at"]))


def check_key(name: str) -> str:
    """The ServiceState row of a service's last check (apart from its own row: MAM's cookie lives there)."""
    return f"{name}.last_check"


def unknown_integration(name: str) -> NotFound:
    return NotFound(
        f"No integration named {name!r}; the integrations are {', '.join(SERVICES)}.", code="INTEGRATION_NOT_FOUND"
    )


class Integrations:
    """Builds and keeps one adapter per service, handed out as the port it implements; ``test`` checks one and
    remembers what it found.

    ``adapters`` replaces services by ready-made ones (the in-memory doubles of ``shelfkeeper.testing.doubles``):
    a supplied service counts as configured.
    """

    def __init__(
        self,
        app: AppContext,
        *,
        check_timeout: float = CHECK_TIMEOUT_SECONDS,
        adapters: Mapping[str, Testable] | None = None,
        **build_options: Any,
    ) -> None:
        self.app = app
        self.budgets = DatabaseBudgetStore(app.sessions)
        self.state = ServiceStateStore(app.sessions)
        self.secrets = SecretBox(app.settings.data_dir)
        self.check_timeout = check_timeout
        self.build_options = build_options  # tests pass sleep/clock to the clients
        unknown = sorted(set(adapters or {}) - set(SERVICES))
        if unknown:
            raise KeyError(f"no service named {', '.join(unknown)}")
        self._supplied = frozenset(adapters or {})
        self._clients: dict[str, object] = dict(adapters or {})
        self._retired: list[object] = []  # adapters built from settings since replaced; closed with the rest

    def reset(self) -> None:
        """Forget the built adapters (not those supplied): the next use builds each from the settings in force."""
        for name in [name for name in self._clients if name not in self._supplied]:
            self._retired.append(self._clients.pop(name))

    # ---- the ports ----

    def configured(self, name: str) -> bool:
        return name in self._supplied or self.app.settings.configured_services().get(name, False)

    def get(self, name: str) -> Testable:
        """The service ``name`` as something that can be tested; ServiceNotConfigured when its settings are missing."""
        if name not in SERVICES:
            raise KeyError(name)
        accessors: dict[str, Callable[[], Testable]] = {
            "audiobookshelf": self.library,
            "qbittorrent": self.download_client,
            "transmission": self.transmission,
            "deluge": self.deluge,
            "nzbget": self.nzbget,
            "prowlarr": self.prowlarr,
            "mam": self.mam,
            "google_books": self.google_books,
            "audnexus": self.audnexus,
            "audible": self.audible,
            "openlibrary": self.openlibrary,
        }
        return accessors[name]()

    def _obtain(self, name: str, build: Callable[[], T]) -> T:
        """The kept adapter of ``name``, built by ``build`` on first use."""
        if name not in self._clients:
            if not self.configured(name):
                raise ServiceNotConfigured(name, f"{name} is not configured (see docs/configuration.md)")
            self._clients[name] = build()
        return cast(T, self._clients[name])  # built by this accessor's ``build`` (or supplied for its port)

    def library(self) -> LibraryServer:
        return self._obtain("audiobookshelf", self._build_audiobookshelf)

    def download_client(self) -> DownloadClient:
        """qBittorrent."""
        return self._obtain("qbittorrent", self._build_qbittorrent)

    def transmission(self) -> DownloadClient:
        return self._obtain("transmission", self._build_transmission)

    def deluge(self) -> DownloadClient:
        return self._obtain("deluge", self._build_deluge)

    def nzbget(self) -> DownloadClient:
        """NZBGet, the usenet download client: takes NZBs (``AddTorrent.nzb_file``), reports them like torrents."""
        return self._obtain("nzbget", self._build_nzbget)

    def download_client_named(self, name: str) -> DownloadClient:
        """A download client by service name (the one a download row names); KeyError for an unknown name."""
        clients: dict[str, Callable[[], DownloadClient]] = {
            "qbittorrent": self.download_client,
            "transmission": self.transmission,
            "deluge": self.deluge,
            "nzbget": self.nzbget,
        }
        return clients[name]()

    def download_clients(self, protocol: DownloadProtocol) -> list[tuple[str, DownloadClient]]:
        """The enabled clients of ``protocol`` by priority, first choice first (download_clients.py's order).

        Building one may fail (a malformed address): it is handed out anyway as a client whose every call
        raises that error, so the caller reports it and moves on to the next.
        """
        found: list[tuple[str, DownloadClient]] = []
        for entry in ordered_clients(self.app.settings, self.configured, protocol):
            try:
                found.append((entry.name, self.download_client_named(entry.name)))
            except ServiceError as exc:
                found.append((entry.name, BrokenClient(exc)))
        return found

    def prowlarr(self) -> Indexer:
        return self._obtain("prowlarr", self._build_prowlarr)

    def mam(self) -> PrivateTracker:
        return self._obtain("mam", self._build_mam)

    def indexer(self, name: str) -> Indexer:
        """An indexer by name: ``prowlarr`` or ``mam``."""
        indexers: dict[str, Callable[[], Indexer]] = {"prowlarr": self.prowlarr, "mam": self.mam}
        if name not in indexers:
            raise KeyError(name)
        return indexers[name]()

    def google_books(self) -> BookCatalog:
        return self._obtain("google_books", self._build_google_books)

    def openlibrary(self) -> BookCatalog:
        return self._obtain("openlibrary", self._build_openlibrary)

    def audible(self) -> AudiobookCatalog:
        return self._obtain("audible", self._build_audible)

    def audnexus(self) -> AsinDirectory:
        return self._obtain("audnexus", self._build_audnexus)

    def book_catalog(self, name: str) -> BookCatalog:
        """A source of an author's books by name: ``audible``, ``google_books`` or ``openlibrary``."""
        catalogs: dict[str, Callable[[], BookCatalog]] = {
            "audible": self.audible,
            "google_books": self.google_books,
            "openlibrary": self.openlibrary,
        }
        if name not in catalogs:
            raise KeyError(name)
        return catalogs[name]()

    def notifier(self) -> Notifier:
        """Sends events to the notification targets (NOTIFY_URLS); needs no configuration of its own."""
        if "notifier" not in self._clients:
            from shelfkeeper.adapters.notifier import AppriseNotifier  # apprise: loaded when an event is sent

            self._clients["notifier"] = AppriseNotifier()
        return cast(Notifier, self._clients["notifier"])  # built just above

    def audio_inspector(self) -> AudioInspector:
        """Reads downloaded audio files (mutagen, and ffprobe when installed); needs no configuration."""
        if "audio_inspector" not in self._clients:
            from shelfkeeper.adapters.audio_files import LocalAudioInspector  # mutagen

            inspector: AudioInspector = LocalAudioInspector()
            self._clients["audio_inspector"] = inspector
        return cast(AudioInspector, self._clients["audio_inspector"])  # built just above

    def audio_merger(self) -> AudioMerger:
        """Merges MP3 books into one M4B (ffmpeg); says why not when ffmpeg is missing."""
        if "audio_merger" not in self._clients:
            from shelfkeeper.adapters.ffmpeg_merge import FfmpegMerger

            merger: AudioMerger = FfmpegMerger()
            self._clients["audio_merger"] = merger
        return cast(AudioMerger, self._clients["audio_merger"])  # built just above

    # ---- building the adapters ----

    def _secret(self, name: str) -> str:
        value = getattr(self.app.settings, name)
        return value.get_secret_value() if value is not None else ""

    def _build_audiobookshelf(self) -> AudiobookshelfClient:
        from shelfkeeper.adapters import audiobookshelf

        s = self.app.settings
        return audiobookshelf.build(s.abs_url or "", self._secret("abs_token"), **self.build_options)

    def _build_qbittorrent(self) -> QbittorrentClient:
        from shelfkeeper.adapters import qbittorrent

        s = self.app.settings
        return qbittorrent.build(
            s.qb_host or "", s.qb_port, s.qb_username or "", self._secret("qb_password"), use_https=s.qb_use_https
        )

    def _build_transmission(self) -> TransmissionClient:
        from shelfkeeper.adapters import transmission

        s = self.app.settings
        return transmission.build(
            s.transmission_url or "", s.transmission_username or "", self._secret("transmission_password")
        )

    def _build_deluge(self) -> DelugeClient:
        from shelfkeeper.adapters import deluge

        s = self.app.settings
        return deluge.build(
            s.deluge_host or "", s.deluge_port, s.deluge_username or "", self._secret("deluge_password")
        )

    def _build_nzbget(self) -> NzbgetClient:
        from shelfkeeper.adapters import nzbget

        s = self.app.settings
        return nzbget.build(s.nzbget_url or "", s.nzbget_username or "", self._secret("nzbget_password"))

    def _build_prowlarr(self) -> ProwlarrClient:
        from shelfkeeper.adapters import prowlarr

        s = self.app.settings
        # Usenet results are searched only when a usenet client can take them.
        usenet = (DownloadProtocol.USENET,) if self.configured("nzbget") else ()
        return prowlarr.build(
            s.prowlarr_url or "",
            self._secret("prowlarr_api_key"),
            indexer_ids=s.prowlarr_indexer_ids,
            protocols=(DownloadProtocol.TORRENT, *usenet),
            **self.build_options,
        )

    def _build_google_books(self) -> GoogleBooksClient:
        from shelfkeeper.adapters import google_books

        s = self.app.settings
        return google_books.build(
            s.google_books_url,
            self._secret("google_books_api_key") or None,
            budget=self.budgets,
            daily_budget=s.google_books_daily_budget,
            **self.build_options,
        )

    def _build_audnexus(self) -> AudnexusClient:
        from shelfkeeper.adapters import audnexus
        from shelfkeeper.adapters.audible import AudibleCatalogClient

        s = self.app.settings
        catalog = self.audible()  # title searches go through the Audible catalog when it is the real one
        real = catalog if isinstance(catalog, AudibleCatalogClient) else None
        return audnexus.build(s.audnexus_url, region=s.audible_region, catalog=real, **self.build_options)

    def _build_audible(self) -> AudibleCatalogClient:
        from shelfkeeper.adapters import audible

        s = self.app.settings
        return audible.build(s.audible_url, region=s.audible_region, **self.build_options)

    def _build_openlibrary(self) -> OpenLibraryClient:
        from shelfkeeper.adapters import openlibrary

        return openlibrary.build(self.app.settings.openlibrary_url, **self.build_options)

    def remembered_mam_cookie(self) -> str | None:
        """The rotated MAM cookie kept in service_state, opened; None (and a warning) when it cannot be."""
        stored = self.state.get("mam").get("cookie")
        if not stored:
            return None
        if not is_sealed(stored):  # written before cookies were sealed: used once, sealed at the next rotation
            return str(stored)
        try:
            return self.secrets.open(stored, secret=MAM_COOKIE_SECRET)
        except SecretUnreadable as exc:
            logger.warning("%s Falling back to MAM_ID.", exc.message)
            return None

    def _build_mam(self) -> MamClient:
        from shelfkeeper.adapters import mam

        s = self.app.settings
        cookie = self.remembered_mam_cookie() or self._secret("mam_id")

        async def remember(new_cookie: str) -> None:  # the live cookie is a secret: stored sealed, never clear
            await self.state.aupdate("mam", cookie=self.secrets.seal(new_cookie))

        return mam.build(
            s.mam_url,
            cookie,
            on_cookie_rotated=remember,
            budget=self.budgets,
            daily_budget=s.mam_daily_request_cap,
            min_interval=s.mam_request_pause_seconds,
            purchase_pause=s.mam_purchase_pause_seconds,
            **self.build_options,
        )

    # ---- checks ----

    async def test(self, name: str, *, remember: bool = True) -> ConnectionReport:
        """Check one service now (reachability, version, credentials) within ``check_timeout``; never raises for
        a service failure. The result is remembered for ``status`` without ``check`` (unless ``remember`` is
        false: a test of settings not saved yet)."""
        if name not in SERVICES:
            raise unknown_integration(name)
        if not self.configured(name):
            return self._not_configured(name)
        try:
            report = await asyncio.wait_for(self._probe(name), self.check_timeout)
        except TimeoutError:
            report = ConnectionReport(
                service=name,
                configured=True,
                reachable=False,
                auth_ok=None,
                error=f"{name}: no answer within {self.check_timeout:g} s",
                error_code="SERVICE_UNREACHABLE",
            )
        report = replace(report, error=redact_text(report.error, registered_secrets()) if report.error else None)
        if remember:
            result = CheckResult(report, datetime.now(UTC))
            await asyncio.to_thread(self.state.update, check_key(name), **result.to_json())
        return report

    async def _probe(self, name: str) -> ConnectionReport:
        try:
            report: ConnectionReport = await self.get(name).test_connection()
        except ServiceError as exc:  # test_connection should not raise; a builder may (a bad URL)
            report = ConnectionReport(
                service=name, configured=True, reachable=False, auth_ok=None, error=exc.message, error_code=exc.code
            )
        return report

    def _not_configured(self, name: str) -> ConnectionReport:
        needed = REQUIRED_SETTINGS.get(name, "its settings")
        return ConnectionReport(
            service=name,
            configured=False,
            reachable=False,
            auth_ok=None,
            error=f"{name}: not configured (set {needed})",
            error_code="SERVICE_NOT_CONFIGURED",
        )

    async def statuses(self, *, check: bool = False) -> list[IntegrationStatus]:
        """Every service; with ``check`` each configured one is tested first, all at once."""
        if check:
            await asyncio.gather(*(self.test(name) for name in SERVICES))
        return [await self._status(name) for name in SERVICES]

    async def status(self, name: str, *, check: bool = False) -> IntegrationStatus:
        """One service: its last check (or a new one with ``check``), its last error and its budget."""
        if name not in SERVICES:
            raise unknown_integration(name)
        if check:
            await self.test(name)
        return await self._status(name)

    async def _status(self, name: str) -> IntegrationStatus:
        budget_limit, budget_left = await self._budget(name)
        if not self.configured(name):
            report = self._not_configured(name)
            return IntegrationStatus(
                name=name,
                configured=False,
                checked=False,
                checked_at=None,
                reachable=False,
                auth_ok=None,
                version=None,
                last_error=report.error,
                last_error_code=report.error_code,
                last_error_at=None,
                budget_limit=budget_limit,
                budget_left=budget_left,
            )
        last = CheckResult.from_json(name, await asyncio.to_thread(self.state.get, check_key(name)))
        error, code, error_at = self._last_error(name, last)
        return IntegrationStatus(
            name=name,
            configured=True,
            checked=last is not None,
            checked_at=last.checked_at if last else None,
            reachable=last.report.reachable if last else None,
            auth_ok=last.report.auth_ok if last else None,
            version=last.report.version if last else None,
            last_error=error,
            last_error_code=code,
            last_error_at=error_at,
            budget_limit=budget_limit,
            budget_left=budget_left,
        )

    def _last_error(self, name: str, last: CheckResult | None) -> tuple[str | None, str | None, datetime | None]:
        """The newest error seen: the last check's, or one a job's request met after it (this process only)."""
        seen: list[tuple[datetime, str, str | None]] = []
        if last is not None and last.report.error:
            seen.append((last.checked_at, last.report.error, last.report.error_code))
        health = self._health(name)
        if health is not None and health.last_error and health.last_error_at is not None:
            seen.append((health.last_error_at, health.last_error, health.last_error_code))
        if not seen:
            return None, None, None
        at, error, code = max(seen, key=lambda entry: entry[0])
        return error, code, at

    async def _budget(self, name: str) -> tuple[int | None, int | None]:
        """The daily request budget and what is left of it today (UTC), read from the shared store."""
        setting = BUDGETS.get(name)
        if setting is None:
            return None, None
        limit: int = getattr(self.app.settings, setting)
        return limit, await self.budgets.remaining(name, datetime.now(UTC).date(), limit)

    def _health(self, name: str) -> ServiceHealth | None:
        client = self._clients.get(name)
        if client is None:  # never built: nothing seen (and no reason to load the HTTP adapter)
            return None
        from shelfkeeper.adapters.http import ServiceClient

        # Not every adapter exposes its ServiceClient as ``http``; the others keep it as ``_client``.
        http = getattr(client, "http", None) or getattr(client, "_client", None)
        return http.health if isinstance(http, ServiceClient) else None

    async def aclose(self) -> None:
        for client in [*self._clients.values(), *self._retired]:
            closer = getattr(client, "aclose", None)
            if closer is not None:
                try:
                    await closer()
                except Exception:  # closing is best effort at shutdown
                    logger.debug("closing %s failed", type(client).__name__, exc_info=True)
        self._clients.clear()
        self._retired.clear()
