"""What a running Shelfkeeper holds: settings, database, API key, and the long-lived service clients."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from shelfkeeper.adapters.redaction import register_secret
from shelfkeeper.apikeys import ApiKeyStore
from shelfkeeper.db.session import make_engine, make_session_factory
from shelfkeeper.settings import Settings


@dataclass
class AppContext:
    """Built once per process by ``create_app`` or a CLI command; shared by routes and jobs."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    api_keys: ApiKeyStore
    started_at: float = field(default_factory=time.time)
    extras: dict[str, Any] = field(default_factory=dict)  # the integrations registry, the scheduler

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine | None = None) -> AppContext:
        engine = engine or make_engine(settings.resolved_database_url)
        for value in settings.secret_values():
            register_secret(value)
        configured = settings.api_key.get_secret_value() if settings.api_key else None
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            api_keys=ApiKeyStore(settings.data_dir, configured),
        )
