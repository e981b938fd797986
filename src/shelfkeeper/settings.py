"""Settings from the environment and a .env file: the only reader of the environment."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shelfkeeper.errors import ConfigurationError
from shelfkeeper.start_settings import default_data_dir, normal_database_url

if TYPE_CHECKING:
    from shelfkeeper.domain.events import NotifyTarget

DEFAULT_SCHEDULES: dict[str, str] = {
    "mam_scraping_task": "0 2 * * *",
    "top10_discovery_task": "0 3 * * sun",
    "metadata_full_refresh_task": "0 4 1 * *",
    "metadata_new_books_task": "30 4 * * sun",
    "series_completion_task": "0 3 2 * *",
    "author_completion_task": "0 3 3 * *",
    "cleanup_old_tasks": "0 1 * * *",
    "library_sync_task": "*/15 * * * *",
    "download_monitor_task": "* * * * *",
    "notifications_task": "* * * * *",
    "health_check_task": "*/5 * * * *",
    "release_day_task": "15 * * * *",
}
# The jobs themselves are registered in jobs/registry.py (which imports automation, so this lowest layer cannot
# import it); this table gives each registered job its default schedule and SCHEDULE_<JOB> variable, and a test
# keeps the two, and the schedule_* fields below, naming the same jobs.
JOB_NAMES = tuple(DEFAULT_SCHEDULES)
# The metadata sources corrections are asked from (automation/metadata_providers.py), in the default order.
METADATA_SOURCES = ("google_books", "audnexus", "openlibrary")

CommaList = Annotated[list[str], NoDecode]


def _split_commas(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Every setting of the program; see docs/configuration.md for the table."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False, validate_default=True
    )

    # core
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Where the SQLite file, the API key and backups live (default $XDG_DATA_HOME/shelfkeeper, "
        "else ~/.local/share/shelfkeeper).",
    )
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite in DATA_DIR.")
    api_key: SecretStr | None = Field(None, description="API key; generated on first start when unset.")
    host: str = "127.0.0.1"
    port: int = Field(8787, ge=1, le=65535)
    log_level: str = Field("INFO", pattern=r"(?i)^(debug|info|warning|error|critical)$")
    log_json: bool = False
    timezone: str = "UTC"
    max_request_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest request body the API reads (1 MiB); a larger one is a 413."
    )
    outside_wait_seconds: float = Field(
        15.0,
        gt=0,
        le=300,
        description="Longest an API request (manual release search, metadata search) waits on outside services; "
        "it answers with what arrived in time and names the sources that timed out.",
    )
    run_scheduler: bool = Field(True, description="Start the scheduler in this process (one runner is elected).")
    sentry_dsn: SecretStr | None = None

    # Audiobookshelf
    abs_url: str | None = None
    abs_token: SecretStr | None = None
    abs_library_ids: CommaList = Field(default_factory=list)
    # qBittorrent
    qb_host: str | None = None
    qb_port: int = Field(8080, ge=1, le=65535)
    qb_username: str | None = None
    qb_password: SecretStr | None = None
    qb_use_https: bool = False
    qb_category: str = "audiobooks"
    qb_save_path: str | None = None
    qb_priority: int = Field(1, ge=1, le=50)
    qb_enabled: bool = True
    # Transmission
    transmission_url: str | None = None
    transmission_username: str | None = None
    transmission_password: SecretStr | None = None
    transmission_label: str = Field("audiobooks", pattern=r"^[^,]*$")
    transmission_save_path: str | None = None
    transmission_priority: int = Field(1, ge=1, le=50)
    transmission_enabled: bool = True
    # Deluge
    deluge_host: str | None = None
    deluge_port: int = Field(58846, ge=1, le=65535)
    deluge_username: str | None = None
    deluge_password: SecretStr | None = None
    deluge_label: str = Field("audiobooks", pattern=r"^[a-z0-9_.-]*$")
    deluge_save_path: str | None = None
    deluge_priority: int = Field(1, ge=1, le=50)
    deluge_enabled: bool = True

    # NZBGet (usenet)
    nzbget_url: str | None = None
    nzbget_username: str | None = None
    nzbget_password: SecretStr | None = None
    nzbget_priority: int = Field(1, ge=1, le=50)
    nzbget_enabled: bool = True
    # Prowlarr
    prowlarr_url: str | None = None
    prowlarr_api_key: SecretStr | None = None
    prowlarr_indexer_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    # MyAnonamouse
    mam_url: str = "https://www.myanonamouse.net"
    mam_id: SecretStr | None = None
    mam_username: str | None = None
    mam_password: SecretStr | None = None
    mam_request_pause_seconds: float = Field(3.0, ge=0)
    mam_daily_request_cap: int = Field(300, ge=1)
    # metadata providers
    google_books_url: str = "https://www.googleapis.com/books/v1"
    google_books_api_key: SecretStr | None = None
    google_books_daily_budget: int = Field(1000, ge=1)
    audnexus_url: str = "https://api.audnex.us"
    audible_url: str = "https://api.audible.com"
    audible_region: str = "us"
    openlibrary_url: str = "https://openlibrary.org"
    provider_cache_hours: int = Field(24 * 7, ge=0)

    # paths
    library_path: Path | None = Field(None, description="The Audiobookshelf library folder imports go into.")
    remote_path_mappings: CommaList = Field(
        default_factory=list,
        description="Download client path -> local path pairs, 'remote=local', comma-separated; "
        "'client:remote=local' (client qbittorrent, transmission or deluge) applies to that client only.",
    )
    import_mode: Literal["hardlink", "copy"] = Field(
        "hardlink",
        description="How an import puts files in the library: hardlink (no extra space; a copy when the download "
        "is on another filesystem) or copy (always a copy, the download can be deleted).",
    )

    # metadata correction
    metadata_apply_threshold: float = Field(0.90, ge=0, le=1)
    metadata_review_threshold: float = Field(0.70, ge=0, le=1)
    metadata_dry_run: bool = False
    metadata_sources: CommaList = Field(
        default_factory=lambda: list(METADATA_SOURCES),
        description="The metadata sources asked for corrections, best first (on equal confidence the first one's "
        "value wins); a source left out is not asked: google_books, audnexus, openlibrary.",
    )

    # acquisition quality profile and policy
    quality_format_order: CommaList = Field(default_factory=lambda: ["m4b", "m4a", "mp3", "flac", "opus", "ogg"])
    quality_min_bitrate_kbps: int = Field(32, ge=0)
    quality_max_bitrate_kbps: int = Field(320, ge=0)
    quality_min_mb_per_hour: float = Field(10.0, ge=0)
    quality_max_mb_per_hour: float = Field(250.0, ge=0)
    quality_languages: CommaList = Field(default_factory=lambda: ["english"])
    quality_preferred_words: CommaList = Field(default_factory=list)
    quality_forbidden_words: CommaList = Field(default_factory=list)
    quality_min_seeders: int = Field(1, ge=0)
    quality_prefer_freeleech: bool = True
    quality_prefer_vip: bool = Field(False, description="Raise the score of VIP releases a little.")
    quality_preferred_narrators: CommaList = Field(
        default_factory=list, description="Narrators whose releases score higher (comma-separated)."
    )
    quality_min_size_mb: float = Field(20.0, ge=0, description="Smallest release when the runtime is unknown.")
    quality_max_size_mb: float = Field(8000.0, ge=0, description="Largest release when the runtime is unknown.")
    quality_merge_mp3_to_m4b: bool = Field(
        False,
        description="On import, merge a multi-file MP3 book into one M4B with chapters and tags (needs ffmpeg); "
        "the download itself is left as it is.",
    )
    # the audio check before an import (docs/import-checks.md)
    audio_check_enabled: bool = Field(
        True, description="Read each finished download's audio and refuse it when it is not the wanted book, whole."
    )
    audio_min_runtime_ratio: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Refuse audio shorter than this share of the wanted edition's runtime (an abridged cut); "
        "not checked when the providers give no runtime.",
    )
    audio_check_tags: bool = Field(True, description="Refuse audio whose tags name another book or another author.")
    audio_title_min_similarity: float = Field(
        0.6, ge=0, le=1, description="An album/title tag less alike than this to the wanted title is another book."
    )
    audio_author_min_similarity: float = Field(
        0.8, ge=0, le=1, description="An artist tag naming nobody this alike to a wanted author is another author."
    )
    audio_check_narrator: bool = Field(
        True, description="Refuse audio whose narrator tag names another narrator than the wanted one (when known)."
    )
    quality_series_packs: bool = Field(
        True,
        description='Grab one series pack ("Books 1-3") for several wanted books of a series when it is the '
        "better choice than single books; off: every book is grabbed on its own.",
    )
    mam_ratio_floor: float = Field(1.0, ge=0)
    mam_use_wedges: bool = False
    mam_wedge_min_size_mb: int = Field(500, ge=0)
    mam_wedge_reserve: int = Field(0, ge=0, description="Freeleech wedges always kept back, never spent.")
    mam_buy_wedges: bool = Field(
        False, description="When no wedge is left, buy one with bonus points before a grab (needs MAM_USE_WEDGES)."
    )
    mam_wedge_price_points: int = Field(
        50_000, ge=1, description="Bonus points one freeleech wedge costs on MAM (MAM's own answer decides)."
    )
    mam_points_reserve: int = Field(0, ge=0, description="Bonus points always kept back, never spent.")
    mam_daily_purchase_cap: int = Field(
        5, ge=0, description="Most bonus-store requests (wedge and upload purchases, wedges spent) per UTC day."
    )
    mam_upload_autospend: bool = Field(
        False, description="Spend bonus points above the reserve on upload credit after each stats refresh."
    )
    mam_upload_price_points_per_gb: int = Field(
        500, ge=1, description="Bonus points 1 GB of upload credit costs on MAM (MAM's own answer decides)."
    )
    mam_purchase_pause_seconds: float = Field(2.0, ge=0, description="Pause between two MAM bonus-store purchases.")
    download_max_attempts: int = Field(3, ge=1, le=20)
    download_retry_base_minutes: int = Field(15, ge=1)
    download_stall_minutes: int = Field(120, ge=1)
    download_metadata_timeout_minutes: int = Field(30, ge=1)
    download_refresh_seconds: int = Field(
        5,
        ge=0,
        le=300,
        description="While the web page is open or a download is active, the download client's progress is read "
        "this often (seconds) between the download monitor's runs; 0 turns the fast refresh off.",
    )
    auto_grab: bool = Field(False, description="Grab top-10 discoveries without approval.")
    followed_genres: CommaList = Field(default_factory=list)
    top10_window_days: int = Field(30, ge=1)
    wanted_languages: CommaList = Field(default_factory=lambda: ["english"])

    # notifications, health checks, release day
    notify_urls: SecretStr | None = Field(
        None,
        description="Notification targets, comma-separated: Apprise URLs (json://, discord://, ntfy://, mailto://, "
        "...) or webhook:// / webhooks:// for the JSON payload of docs/notifications.md; prefix one with "
        "'grabbed|imported::' to send it only those events.",
    )
    health_min_free_gb: float = Field(5.0, ge=0, description="Less free space than this in the library is a problem.")
    health_failed_runs: int = Field(3, ge=1, le=100, description="A job whose last N runs failed is a problem.")
    release_day_search_days: int = Field(
        3, ge=0, le=60, description="Days after its release date that a wanted book is searched on the short schedule."
    )
    release_day_search_hours: int = Field(6, ge=1, le=168, description="Hours between two release-day searches.")

    # scheduler
    task_retention_days: int = Field(30, ge=1)
    job_retry_attempts: int = Field(3, ge=0, le=10)
    job_retry_base_minutes: int = Field(5, ge=1)
    runner_lease_seconds: int = Field(30, ge=5)
    first_run_wizard: Literal["pending", "completed", "skipped"] = Field(
        "pending",
        description="The web page's first-run wizard: pending (shown while Audiobookshelf is not configured), "
        "completed or skipped (never shown again; set pending to see it again).",
    )
    backup_keep: int = Field(10, ge=1, le=1000, description="How many backups `backup` keeps in DATA_DIR/backups.")
    schedule_mam_scraping_task: str | None = None
    schedule_top10_discovery_task: str | None = None
    schedule_metadata_full_refresh_task: str | None = None
    schedule_metadata_new_books_task: str | None = None
    schedule_series_completion_task: str | None = None
    schedule_author_completion_task: str | None = None
    schedule_cleanup_old_tasks: str | None = None
    schedule_library_sync_task: str | None = None
    schedule_download_monitor_task: str | None = None
    schedule_notifications_task: str | None = None
    schedule_health_check_task: str | None = None
    schedule_release_day_task: str | None = None

    _split = field_validator(
        "abs_library_ids",
        "remote_path_mappings",
        "quality_format_order",
        "metadata_sources",
        "quality_languages",
        "quality_preferred_words",
        "quality_forbidden_words",
        "quality_preferred_narrators",
        "followed_genres",
        "wanted_languages",
        "prowlarr_indexer_ids",
        mode="before",
    )(_split_commas)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        return normal_database_url(value)

    @field_validator(
        "abs_url", "prowlarr_url", "mam_url", "google_books_url", "audnexus_url", "audible_url", "openlibrary_url"
    )
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"must be an http(s) URL with a host, got {value!r}")
        return value.strip().rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("remote_path_mappings")
    @classmethod
    def _check_mappings(cls, value: list[str]) -> list[str]:
        seen: set[tuple[str | None, str]] = set()
        for pair in value:
            client, mapping = split_mapping_client(pair)
            if mapping.count("=") != 1 or not all(side.strip() for side in mapping.split("=")):
                raise ValueError(f"each mapping must be 'remote=local' or 'client:remote=local', got {pair!r}")
            remote, local = (side.strip() for side in mapping.split("="))
            for side in (remote, local):
                if not PurePosixPath(side).is_absolute() and not PureWindowsPath(side).is_absolute():
                    raise ValueError(f"{side!r} in {pair!r} is not an absolute path")
                if ".." in re.split(r"[\\/]", side):
                    raise ValueError(f"{side!r} in {pair!r} must not contain '..'")
            key = (client, remote.rstrip("/\\") or remote)
            if key in seen:
                raise ValueError(f"the remote path {remote!r} is mapped twice")
            seen.add(key)
        return value

    @field_validator("metadata_sources")
    @classmethod
    def _check_metadata_sources(cls, value: list[str]) -> list[str]:
        names = [name.strip().lower() for name in value]
        unknown = [name for name in names if name not in METADATA_SOURCES]
        if unknown:
            raise ValueError(f"unknown source {unknown[0]!r}; the sources are {', '.join(METADATA_SOURCES)}")
        if len(set(names)) != len(names):
            raise ValueError("a source is named twice")
        if not names:
            raise ValueError("name at least one source")
        return names

    @field_validator("notify_urls")
    @classmethod
    def _check_notify_urls(cls, value: SecretStr | None) -> SecretStr | None:
        from shelfkeeper.domain.events import TargetError, parse_target

        if value is None or not value.get_secret_value().strip():
            return None
        for number, entry in enumerate(_split_commas(value.get_secret_value()), start=1):
            try:
                parse_target(entry)
            except TargetError as exc:
                raise ValueError(f"entry {number}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _check_thresholds(self) -> Settings:
        if self.metadata_review_threshold > self.metadata_apply_threshold:
            raise ValueError("METADATA_REVIEW_THRESHOLD must not exceed METADATA_APPLY_THRESHOLD")
        for job in JOB_NAMES:
            expression = getattr(self, f"schedule_{job}")
            if expression is not None:
                _check_cron(f"SCHEDULE_{job.upper()}", expression)
        return self

    # derived values
    @cached_property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'shelfkeeper.db').resolve()}"

    def schedule_for(self, job: str) -> str:
        """The cron expression of a job: the setting when given, else the default."""
        override: str | None = getattr(self, f"schedule_{job}", None)
        return override or DEFAULT_SCHEDULES[job]

    def secret_values(self) -> list[str]:
        """Every secret setting's value, so the log filter can redact it wherever it appears."""
        values = [getattr(self, name) for name in type(self).model_fields]
        secrets = [v.get_secret_value() for v in values if isinstance(v, SecretStr) and v.get_secret_value()]
        return secrets + [target.url for target in self.notify_targets()]  # a webhook URL often holds a token

    def notify_targets(self) -> list[NotifyTarget]:
        """The notification targets of NOTIFY_URLS (validated at start-up)."""
        from shelfkeeper.domain.events import parse_target

        raw = self.notify_urls.get_secret_value() if self.notify_urls else ""
        return [parse_target(entry) for entry in _split_commas(raw)]

    def path_mappings(self, client: str | None = None) -> list[tuple[str, str]]:
        """(remote, local) pairs: those naming ``client`` first (they win a tie), then those naming no client.

        Without ``client``, every mapping (the health check looks at every local folder).
        """
        own, shared = [], []
        for pair in self.remote_path_mappings:
            named, mapping = split_mapping_client(pair)
            remote, local = mapping.split("=", 1)
            if named is None:
                shared.append((remote.strip(), local.strip()))
            elif client is None or named == client:
                own.append((remote.strip(), local.strip()))
        return own + shared

    def configured_services(self) -> dict[str, bool]:
        """Which outside services have what they need to be used."""
        return {
            "audiobookshelf": bool(self.abs_url and self.abs_token),
            "qbittorrent": bool(self.qb_host),
            "transmission": bool(self.transmission_url),
            "deluge": bool(self.deluge_host),
            "nzbget": bool(self.nzbget_url),
            "prowlarr": bool(self.prowlarr_url and self.prowlarr_api_key),
            "mam": bool(self.mam_id),
            "google_books": True,  # works without a key, with a lower quota
            "audnexus": True,
            "audible": True,
            "openlibrary": True,
        }

    def configuration_notes(self) -> list[str]:
        """Warnings to print at start: unconfigured services and the MAM password misunderstanding."""
        configured = self.configured_services()
        optional = {"transmission", "deluge", "nzbget"}  # alternatives to qBittorrent: unset is the usual case
        if configured["transmission"] or configured["deluge"]:
            optional.add("qbittorrent")  # another torrent client is configured: qBittorrent is not needed
        notes = [f"{name} is not configured" for name, ok in configured.items() if not ok and name not in optional]
        if self.mam_username or self.mam_password:
            notes.append(
                "MAM_USERNAME/MAM_PASSWORD are ignored: MyAnonamouse wants a session cookie. Create one under "
                "Preferences > Security on MAM and set MAM_ID to its value."
            )
        return notes


MAPPING_CLIENTS = ("qbittorrent", "transmission", "deluge", "nzbget")  # the clients a remote path mapping may name


def split_mapping_client(pair: str) -> tuple[str | None, str]:
    """``"transmission:/downloads=/mnt/tr"`` -> ("transmission", "/downloads=/mnt/tr"); no known client name
    before the first ":" (``/downloads=/x``, ``D:\\Torrents=/x``) -> (None, the pair as given)."""
    name, colon, rest = pair.partition(":")
    if colon and name.strip().lower() in MAPPING_CLIENTS:
        return name.strip().lower(), rest
    return None, pair


def _check_cron(name: str, expression: str) -> None:
    from datetime import UTC, datetime

    from apscheduler.triggers.cron import CronTrigger

    try:
        trigger = CronTrigger.from_crontab(expression)
    except ValueError as exc:
        raise ValueError(f"{name}: not a valid cron expression {expression!r} ({exc})") from exc
    if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
        raise ValueError(f"{name}: {expression!r} never fires (no date matches its day and month fields)")


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning validation errors into one message that names each variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = [line for _field, line in validation_problems(exc)]
        raise ConfigurationError("Invalid configuration:\n  " + "\n  ".join(lines)) from None


def validation_problems(exc: ValidationError) -> list[tuple[str, str]]:
    """Each error as (setting name, the line start-up prints); the name is "" for a check across settings."""
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        message = _hide_url_passwords(error["msg"])
        if not field:
            problems.append(("", message))
            continue
        shown = "<redacted>" if _is_secret(field) else _hide_url_passwords(repr(error.get("input")))
        problems.append((field, f"{field.upper()}: {message} (got {shown})"))
    return problems


def _is_secret(field: str) -> bool:
    return any(word in field.lower() for word in ("key", "token", "password", "mam_id", "dsn", "notify_urls"))


def _hide_url_passwords(text: str) -> str:
    """ "postgresql://user:hunter2@db/x" -> "postgresql://user:***@db/x": a bad DATABASE_URL must not print it."""
    return re.sub(r"(://[^:/@\s]*):[^@/\s]*@", r"\1:***@", text)


_HELP = {
    "host": "Address `serve` listens on.",
    "port": "Port `serve` listens on.",
    "log_level": "debug, info, warning, error or critical.",
    "log_json": "Write logs as JSON lines.",
    "timezone": "Time zone of the job schedules (IANA name).",
    "sentry_dsn": "Optional Sentry DSN for error reports.",
    "abs_url": "Audiobookshelf base URL, e.g. http://audiobookshelf:13378.",
    "abs_token": "Audiobookshelf API token (Settings > Users > your user > API token).",
    "abs_library_ids": "Only these Audiobookshelf libraries (comma-separated ids); all book libraries when empty.",
    "qb_host": "qBittorrent WebUI host.",
    "qb_port": "qBittorrent WebUI port.",
    "qb_username": "qBittorrent WebUI user.",
    "qb_password": "qBittorrent WebUI password.",
    "qb_use_https": "Talk HTTPS to the WebUI.",
    "qb_category": "qBittorrent category for Shelfkeeper's downloads.",
    "qb_save_path": "Save path for Shelfkeeper's downloads, as qBittorrent sees it.",
    "transmission_url": "Transmission daemon address, e.g. http://127.0.0.1:9091 (/transmission/rpc is added "
    "unless the URL has a path).",
    "transmission_username": "Transmission RPC user (rpc-username).",
    "transmission_password": "Transmission RPC password (rpc-password).",
    "deluge_host": "Deluge daemon (deluged) host, e.g. 127.0.0.1.",
    "deluge_port": "Deluge daemon RPC port (daemon_port).",
    "deluge_username": "Deluge daemon user (a line of the daemon's auth file).",
    "deluge_password": "Deluge daemon password (from the daemon's auth file).",
    "nzbget_url": "NZBGet web address, e.g. http://127.0.0.1:6789 (/jsonrpc is added); the usenet download client.",
    "nzbget_username": "NZBGet control user (ControlUsername in NZBGet's settings).",
    "nzbget_password": "NZBGet control password (ControlPassword in NZBGet's settings).",
    "nzbget_priority": "NZBGet's priority among the usenet download clients, 1 (first choice) to 50.",
    "nzbget_enabled": "Send usenet releases to NZBGet when it is configured.",
    "prowlarr_url": "Prowlarr base URL, e.g. http://prowlarr:9696.",
    "prowlarr_api_key": "Prowlarr API key (Settings > General).",
    "prowlarr_indexer_ids": "Only these Prowlarr indexers (comma-separated ids); all when empty.",
    "mam_url": "MyAnonamouse base URL.",
    "mam_id": "MyAnonamouse session cookie value (mam_id), from Preferences > Security.",
    "mam_username": "Not used: MyAnonamouse wants the mam_id cookie (a note is printed if set).",
    "mam_password": "Not used: MyAnonamouse wants the mam_id cookie (a note is printed if set).",
    "mam_request_pause_seconds": "Pause between two MyAnonamouse requests.",
    "mam_daily_request_cap": "Most MyAnonamouse requests per UTC day.",
    "google_books_url": "Google Books API base URL.",
    "google_books_api_key": "Optional Google Books API key (higher quota).",
    "google_books_daily_budget": "Most Google Books requests per UTC day.",
    "audnexus_url": "Audnexus base URL.",
    "audible_url": "Audible catalog API base URL.",
    "audible_region": "Audible region (us, uk, de, fr, ca, au, in, it, es, jp).",
    "openlibrary_url": "Open Library base URL.",
    "provider_cache_hours": "How long a metadata provider's answer is reused.",
    "metadata_apply_threshold": "Match confidence at or above which a correction is applied by itself.",
    "metadata_review_threshold": "Match confidence at or above which a correction waits for review (below: rejected).",
    "metadata_dry_run": "Record corrections without applying any.",
    "quality_format_order": "Preferred audio formats, best first.",
    "quality_min_bitrate_kbps": "Lowest acceptable bitrate.",
    "quality_max_bitrate_kbps": "Highest acceptable bitrate.",
    "quality_min_mb_per_hour": "Smallest acceptable size per hour of runtime.",
    "quality_max_mb_per_hour": "Largest acceptable size per hour of runtime.",
    "quality_languages": "Acceptable release languages.",
    "quality_preferred_words": "Words that raise a release's score.",
    "quality_forbidden_words": "Words that reject a release.",
    "quality_min_seeders": "Fewest seeders a release may have.",
    "quality_prefer_freeleech": "Prefer freeleech releases on ties.",
    "mam_ratio_floor": "The MAM ratio a grab may not take you under (freeleech or a wedge is needed below it).",
    "mam_use_wedges": "Spend freeleech wedges on large releases whose download would take the ratio under the floor.",
    "mam_wedge_min_size_mb": "Smallest release a wedge is spent on.",
    "download_max_attempts": "Attempts per wanted book before it is marked failed.",
    "download_retry_base_minutes": "First retry delay; doubles on every further attempt.",
    "download_stall_minutes": "A download without progress for this long has failed.",
    "download_metadata_timeout_minutes": "A magnet without metadata for this long has failed.",
    "followed_genres": "Genres whose top-10 books are discovered.",
    "top10_window_days": "The window of the top-10 (most snatched in the last N days).",
    "wanted_languages": "Languages of the books worth wanting.",
    "task_retention_days": "Task and MetadataCorrection rows older than this are deleted.",
    "job_retry_attempts": "Retries of a failed job run.",
    "job_retry_base_minutes": "First retry delay of a failed job run; doubles each time.",
    "runner_lease_seconds": "How long the scheduler lease lasts without renewal (takeover time).",
    "qb_priority": "qBittorrent's priority among the torrent clients, 1 (first choice) to 50.",
    "qb_enabled": "Send torrents to qBittorrent when it is configured (false: keep it configured, unused).",
    "transmission_label": "Transmission label of Shelfkeeper's downloads (no comma; empty: none).",
    "transmission_save_path": "Save path for Shelfkeeper's downloads, as Transmission sees it (default: its own).",
    "transmission_priority": "Transmission's priority among the torrent clients, 1 (first choice) to 50.",
    "transmission_enabled": "Send torrents to Transmission when it is configured.",
    "deluge_label": "Deluge label (Label plugin, when enabled in Deluge) of Shelfkeeper's downloads: a-z 0-9 _ . -.",
    "deluge_save_path": "Save path for Shelfkeeper's downloads, as Deluge sees it (default: its own).",
    "deluge_priority": "Deluge's priority among the torrent clients, 1 (first choice) to 50.",
    "deluge_enabled": "Send torrents to Deluge when it is configured.",
}


def setting_help(name: str) -> str:
    """The one-line meaning of a setting, as the configuration reference gives it."""
    return Settings.model_fields[name].description or _HELP.get(name, "")


def configuration_reference() -> str:
    """The configuration reference as Markdown (docs/configuration.md is this text)."""
    lines = [
        "# Configuration",
        "",
        "Every setting is an environment variable (or a line in a `.env` file in the working directory).",
        "A bad value stops start-up with a message naming the variable; an unconfigured service is reported,",
        "never fatal. Lists are comma-separated. Job schedules are five-field cron expressions in `TIMEZONE`.",
        "This file is generated by `shelfkeeper docs configuration` and checked by the tests.",
        "",
        "| variable | default | meaning |",
        "|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        if name.startswith("schedule_"):
            continue
        default = field.get_default(call_default_factory=True)
        shown = ", ".join(map(str, default)) if isinstance(default, list) else default
        shown = "—" if shown in (None, "", []) else f"`{shown}`"
        if name == "data_dir":  # the default depends on the user: name the rule, not this machine's path
            shown = "`$XDG_DATA_HOME/shelfkeeper`"
        lines.append(f"| `{name.upper()}` | {shown} | {setting_help(name)} |")
    lines += ["", "## Job schedules", "", "| variable | default |", "|---|---|"]
    lines += [f"| `SCHEDULE_{job.upper()}` | `{cron}` |" for job, cron in DEFAULT_SCHEDULES.items()]
    lines += _STORED_SETTINGS_SECTION
    return "\n".join(lines) + "\n"


_STORED_SETTINGS_SECTION = [
    "",
    "## Settings in the database (the web page and `/api/settings`)",
    "",
    "Every setting above can also be changed in the web page's Settings view or with `PATCH /api/settings`, whose",
    "keys are the lower-case variable names (`qb_host`, `quality_min_seeders`, ...). Such a value is validated",
    "with the same rules and messages as at start-up (a bad one is refused with 422 naming the setting), stored",
    "in the database and applied at once, without a restart: the process that saved it rebuilds its settings",
    "and the service clients, and every other process (another worker, the scheduler) does the same when it sees",
    "the stored version moved: on its scheduler tick, on `GET /api/settings`, and on an API request at most one",
    "second after the change (a request checks the version at most once a second, not on every call).",
    "",
    "Precedence, highest first: **the environment** (and `.env`), **the database**, **the defaults**. A value the",
    "environment sets cannot be changed from the page; `GET /api/settings` lists such values under",
    "`environment` and the page shows them read-only. Remove the variable to manage the value from the page.",
    "`DATA_DIR`, `DATABASE_URL`, `API_KEY`, `HOST`, `PORT`, `LOG_LEVEL`, `LOG_JSON`, `RUN_SCHEDULER`,",
    "`SENTRY_DSN` and `RUNNER_LEASE_SECONDS` are read at start-up only and come from the environment alone.",
    "",
    "Secrets (tokens, passwords, API keys, the MAM cookie) are write-only: the API answers only whether each is",
    "set. They are stored encrypted (Fernet) with a key kept in `DATA_DIR/secret.key` (mode 0600, made on the",
    "first save), so a copy of the database or a backup alone does not reveal them. Keep the key file with the",
    "data directory; without it the stored secrets must be entered again (the others still apply).",
    "`POST /api/system/integrations/{name}/test` with a body of setting values tests them before they are saved.",
]
