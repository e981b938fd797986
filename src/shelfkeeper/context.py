"""What a running Shelfkeeper holds: settings, database, API key, the outside services, runner and scheduler."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from shelfkeeper.adapters.redaction import register_secret
from shelfkeeper.apikeys import ApiKeyStore
from shelfkeeper.db.session import make_engine, make_session_factory
from shelfkeeper.settings import Settings

if TYPE_CHECKING:  # the ORM and the outside services load when first used, not to answer /health
    from sqlalchemy.orm import Session, sessionmaker

    from shelfkeeper.automation.download_refresh import DownloadRefresher
    from shelfkeeper.integrations import Integrations
    from shelfkeeper.jobs.runner import JobRunner
    from shelfkeeper.jobs.scheduler import SchedulerService
    from shelfkeeper.metrics import Metrics
    from shelfkeeper.stored_settings import SettingsStore


@dataclass
class AppContext:
    """Built once per process by ``create_app`` or a CLI command; shared by routes and jobs."""

    settings: Settings
    engine: Engine
    api_keys: ApiKeyStore
    started_at: float = field(default_factory=time.time)
    # Set by ``create_app`` (the CLI and the tests run jobs without them).
    runner: JobRunner | None = None
    scheduler: SchedulerService | None = None
    metrics: Metrics | None = None
    settings_store: SettingsStore | None = None  # settings saved through the API, re-read when they change
    download_refresher: DownloadRefresher | None = None  # the fast download refresh (web page open, downloads active)
    _sessions: sessionmaker[Session] | None = field(default=None, init=False, repr=False)
    _integrations: Integrations | None = field(default=None, init=False, repr=False)

    @property
    def sessions(self) -> sessionmaker[Session]:
        """ORM sessions on ``engine``, made on first use (building them loads the ORM)."""
        if self._sessions is None:
            self._sessions = make_session_factory(self.engine)
        return self._sessions

    @property
    def integrations(self) -> Integrations:
        """The outside services, each built from settings on first use."""
        if self._integrations is None:
            from shelfkeeper.integrations import Integrations

            self._integrations = Integrations(self)
        return self._integrations

    @integrations.setter
    def integrations(self, integrations: Integrations) -> None:
        """Use these services instead (a test's integrations, with faked waits or in-memory doubles)."""
        self._integrations = integrations

    async def close_integrations(self) -> None:
        """Close the outside services' clients, if any was built."""
        if self._integrations is not None:
            await self._integrations.aclose()

    def job_runner(self) -> JobRunner:
        if self.runner is None:
            raise RuntimeError("no job runner: the app was not built by create_app")
        return self.runner

    def job_scheduler(self) -> SchedulerService:
        if self.scheduler is None:
            raise RuntimeError("no scheduler: the app was not built by create_app")
        return self.scheduler

    def request_metrics(self) -> Metrics:
        if self.metrics is None:
            raise RuntimeError("no metrics: the app was not built by create_app")
        return self.metrics

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine | None = None) -> AppContext:
        engine = engine or make_engine(settings.resolved_database_url)
        for value in settings.secret_values():
            register_secret(value)
        configured = settings.api_key.get_secret_value() if settings.api_key else None
        return cls(
            settings=settings,
            engine=engine,
            api_keys=ApiKeyStore(settings.data_dir, configured),
        )
