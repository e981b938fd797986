"""Settings edited through the API and the page, kept in the database and applied without a restart.

Precedence, highest first: the environment (and ``.env``), the database, the defaults. The environment's values are
the fields the start-up ``Settings`` was given; they cannot be changed here. Secrets are sealed with the data
directory's key (``secret_store``) and never answered, only whether each is set. Every change bumps a version;
each process compares it with the one it applied (per API request and per scheduler tick) and, when it moved,
rebuilds ``AppContext.settings`` and lets the integrations build their adapters again from the new values.

An API request does not ask the database every time: ``due`` lets it check at most once per ``RECHECK_SECONDS``
(a change saved by another process is applied within that delay; one saved through this process at once, and
``GET /api/settings`` always checks).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Literal, get_args, get_origin

from pydantic import SecretStr, ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from shelfkeeper.adapters.redaction import register_secret
from shelfkeeper.context import AppContext
from shelfkeeper.db.tables import ServiceState, StoredSetting
from shelfkeeper.errors import ConfigurationError, InvalidInput
from shelfkeeper.integrations import Integrations, IntegrationStatus
from shelfkeeper.secret_store import SecretBox
from shelfkeeper.settings import DEFAULT_SCHEDULES, METADATA_SOURCES, Settings, setting_help, validation_problems

logger = logging.getLogger("shelfkeeper.settings")

# How long an API request may go on settings another process saved before this one checks their version again.
RECHECK_SECONDS = 1.0

# Read once when the process starts (where the database is, how to listen, how to log): environment only.
START_UP_ONLY = frozenset(
    {"data_dir", "database_url", "api_key", "host", "port", "log_level", "log_json", "run_scheduler", "sentry_dsn"}
    | {"runner_lease_seconds"}
)

# The page's groups, laid out as the *arr apps do; each with the services its "Test" checks.
GROUPS: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    (
        "Media management",
        ("abs_", "library_path", "remote_path_mappings", "audio_", "import_mode"),
        ("audiobookshelf",),
    ),
    (
        "Profiles",
        (
            "quality_",
            "mam_ratio_floor",
            "mam_use_wedges",
            "mam_wedge_",
            "mam_buy_wedges",
            "mam_points_reserve",
            "mam_daily_purchase_cap",
            "mam_upload_",
            "auto_grab",
            "followed_genres",
            "wanted_",
        ),
        (),
    ),
    ("Indexers", ("prowlarr_", "mam_"), ("prowlarr", "mam")),
    (
        "Download clients",
        ("qb_", "transmission_", "deluge_", "nzbget_", "download_"),
        ("qbittorrent", "transmission", "deluge", "nzbget"),
    ),
    (
        "Metadata",
        ("metadata_", "google_books_", "audnexus_", "audible_", "openlibrary_", "provider_cache_hours"),
        ("google_books", "audnexus", "audible", "openlibrary"),
    ),
    ("Connect", ("notify_",), ()),
    ("Schedules", ("schedule_", "task_retention_days", "job_retry_", "release_day_"), ()),
    ("General", ("",), ()),  # everything else
]


def secret_fields() -> frozenset[str]:
    """The settings typed ``SecretStr``: write-only, stored sealed."""
    return frozenset(
        name
        for name, field in Settings.model_fields.items()
        if field.annotation is SecretStr or SecretStr in get_args(field.annotation)
    )


def choices() -> dict[str, list[str]]:
    """The allowed values of the settings typed ``Literal[...]`` (one of them) and of METADATA_SOURCES (some)."""
    known = {
        name: [str(value) for value in get_args(field.annotation)]
        for name, field in Settings.model_fields.items()
        if get_origin(field.annotation) is Literal
    }
    return {**known, "metadata_sources": list(METADATA_SOURCES)}


def group_of(key: str) -> str:
    for name, prefixes, _services in GROUPS:
        if any(key.startswith(prefix) for prefix in prefixes):
            return name
    return "General"


def _field_named(message: str) -> str:
    """The setting a check across settings names in its message (``METADATA_REVIEW_THRESHOLD must ...``)."""
    named = [key for key in Settings.model_fields if key.upper() in message]
    return max(named, key=len) if named else ""


class SettingsStore:
    """The stored settings of one process: reads, validates, saves and applies them."""

    def __init__(self, app: AppContext) -> None:
        self.app = app
        self.environment = app.settings  # what the process started with: its given fields win
        self.box = SecretBox(app.settings.data_dir)
        self.secrets = secret_fields()
        self.applied_version: int | None = None
        self.checked_at = -RECHECK_SECONDS  # time.monotonic() of the last version check
        self._lock = threading.Lock()

    def fixed(self) -> frozenset[str]:
        """The settings the environment (or ``.env``, or the caller of ``Settings``) gave: not editable here."""
        return frozenset(self.environment.model_fields_set)

    # ---- reading and applying ----

    def due(self) -> bool:
        """Whether ``RECHECK_SECONDS`` have passed since the version was last checked (no I/O)."""
        return time.monotonic() - self.checked_at >= RECHECK_SECONDS

    def refresh(self, *, force: bool = False) -> bool:
        """Apply the stored settings when their version moved since this process last applied them (one query);
        ``force`` applies them whatever their version (a restored backup has its own, maybe an older one)."""
        self.checked_at = time.monotonic()
        with self.app.sessions() as session:
            try:
                version = session.scalar(select(func.max(StoredSetting.version)))
            except (OperationalError, ProgrammingError):  # not migrated yet, or the database is down:
                logger.debug("stored settings not readable", exc_info=True)  # the request meets it on its own
                return False
            if version == self.applied_version and not force:
                return False
            stored = self._stored(session)
        with self._lock:
            if force or version != self.applied_version:
                self._apply(self._merge_or_environment(stored), version)
        return True

    def _stored(self, session: Session) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for row in session.scalars(select(StoredSetting)):
            if row.value is None or row.key not in Settings.model_fields or row.key in START_UP_ONLY:
                continue
            if row.key in self.secrets:
                try:
                    values[row.key] = self.box.open(row.value, secret=row.key.upper())
                except (ConfigurationError, ValueError) as exc:
                    logger.warning("%s; it is left unset", exc)
                    continue
            else:
                values[row.key] = row.value
        return values

    def merged(self, stored: dict[str, Any]) -> Settings:
        """Environment > ``stored`` > defaults, validated as at start-up; InvalidInput naming each bad setting."""
        fixed = self.fixed()
        values = {key: value for key, value in stored.items() if key not in fixed}
        values |= {key: getattr(self.environment, key) for key in fixed}
        try:
            # The environment's values are passed in (they win); no .env is read again: its values are among them.
            return Settings(_env_file=None, **values)
        except ValidationError as exc:
            problems = [(field or _field_named(line), line) for field, line in validation_problems(exc)]
            raise InvalidInput(
                "Invalid configuration: " + "; ".join(line for _field, line in problems),
                details=[{"field": field, "message": line} for field, line in problems],
            ) from None

    def _merge_or_environment(self, stored: dict[str, Any]) -> Settings:
        try:
            return self.merged(stored)
        except InvalidInput as exc:  # e.g. a rule got stricter after an upgrade: keep running on the environment
            logger.warning("stored settings ignored: %s", exc.message)
            return self.environment

    def _apply(self, settings: Settings, version: int | None) -> None:
        for value in settings.secret_values():
            register_secret(value)
        self.app.settings = settings
        self.app.integrations.reset()
        self.applied_version = version
        logger.info("settings applied (version %s)", version)

    # ---- changing ----

    def candidate(self, changes: dict[str, Any]) -> Settings:
        """The settings ``changes`` would give (``None`` = back to the default), validated; nothing is saved."""
        self._check_keys(changes)
        with self.app.sessions() as session:
            stored = self._stored(session)
        for key, value in changes.items():
            if value is None:
                stored.pop(key, None)
            else:
                stored[key] = value
        return self.merged(stored)

    def save(self, session: Session, changes: dict[str, Any]) -> Settings:
        """Validate ``changes`` against everything in force and write them (in the caller's transaction)."""
        settings = self.candidate(changes)
        version = (session.scalar(select(func.max(StoredSetting.version))) or 0) + 1
        for key, value in changes.items():
            row = session.get(StoredSetting, key) or StoredSetting(key=key)
            row.value = None if value is None else self._stored_form(settings, key)
            row.version = version
            session.add(row)
        state = session.get(ServiceState, "mam") if "mam_id" in changes else None
        if state is not None:  # a new cookie from the user replaces the one MAM rotated to
            state.data = {**state.data, "cookie": None}
        return settings

    def _stored_form(self, settings: Settings, key: str) -> Any:
        value = getattr(settings, key)
        if key in self.secrets:
            return self.box.seal(value.get_secret_value())
        return settings.model_dump(mode="json", include={key})[key]

    def _check_keys(self, changes: dict[str, Any]) -> None:
        problems = []
        fixed = self.fixed()
        for key in changes:
            if key not in Settings.model_fields:
                problems.append((key, f"{key}: no such setting (the keys are the lower-case variable names)"))
            elif key in START_UP_ONLY:
                problems.append((key, f"{key.upper()}: read at start-up only; set it in the environment or .env"))
            elif key in fixed:
                problems.append((key, f"{key.upper()}: set by the environment, which wins; change it there"))
        if problems:
            raise InvalidInput(
                "Invalid configuration: " + "; ".join(line for _key, line in problems),
                details=[{"field": key, "message": line} for key, line in problems],
            )

    # ---- answering ----

    def describe(self) -> dict[str, Any]:
        """What ``GET /api/settings`` answers: values (never a secret's), where each comes from, the groups."""
        settings = self.app.settings
        with self.app.sessions() as session:
            stored = sorted(row.key for row in session.scalars(select(StoredSetting)) if row.value is not None)
        plain = settings.model_dump(mode="json", exclude=set(self.secrets))
        fields = Settings.model_fields
        return {
            "version": self.applied_version,
            "values": plain,
            "secrets": {key: _is_set(getattr(settings, key)) for key in sorted(self.secrets)},
            "environment": sorted(self.fixed()),
            "stored": [key for key in stored if key in fields],
            "start_up_only": sorted(START_UP_ONLY),
            "groups": [
                {"name": name, "keys": [key for key in fields if group_of(key) == name], "services": list(services)}
                for name, _prefixes, services in GROUPS
            ],
            "descriptions": {key: describe_field(key) for key in fields},
            "choices": choices(),
        }


def _is_set(secret: SecretStr | None) -> bool:
    return bool(secret is not None and secret.get_secret_value())


def describe_field(key: str) -> str:
    if key.startswith("schedule_"):
        job = key.removeprefix("schedule_")
        return f"Cron schedule of {job} (five fields, in TIMEZONE); empty: the default, {DEFAULT_SCHEDULES[job]}."
    return setting_help(key)


async def test_unsaved(registry: Integrations, settings: Settings, name: str) -> IntegrationStatus:
    """Check ``name`` with settings not saved yet, through adapters of their own; nothing is remembered."""
    for value in settings.secret_values():
        register_secret(value)  # an error message of the check must not show them either
    trial = Integrations(
        replace(registry.app, settings=settings), check_timeout=registry.check_timeout, **registry.build_options
    )
    try:
        report = await trial.test(name, remember=False)
    finally:
        await trial.aclose()
    now = datetime.now(UTC)
    return IntegrationStatus(
        name=name,
        configured=report.configured,
        checked=report.configured,
        checked_at=now if report.configured else None,
        reachable=report.reachable,
        auth_ok=report.auth_ok,
        version=report.version,
        last_error=report.error,
        last_error_code=report.error_code,
        last_error_at=now if report.error and report.configured else None,
        budget_limit=None,
        budget_left=None,
    )
