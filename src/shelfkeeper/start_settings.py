"""The few settings `shelfkeeper serve` needs before it listens, read without pydantic.

Where to listen, how to log, where the database and the API key are: read from the environment and ``.env`` as
``Settings`` reads them (environment first, names in any case), for values in their plain form only. Anything else
(an unusual port, log level or flag spelling) gives ``None``: ``serve`` then loads the full settings first, as it
always did, and a bad value stops it with the message naming the variable. The full settings are loaded right after
the server listens (shelfkeeper.serving), and a start-up whose full settings disagree with these fails.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shelfkeeper.settings import Settings

ENV_FILE = Path(".env")
_LOG_LEVEL = re.compile(r"(?i)^(debug|info|warning|error|critical)$")
_FLAGS = {"0": False, "off": False, "f": False, "false": False, "n": False, "no": False}
_FLAGS |= {"1": True, "on": True, "t": True, "true": True, "y": True, "yes": True}


@dataclass(frozen=True)
class StartSettings:
    """What serving needs before the full settings: bind address, logging, database, API key."""

    data_dir: Path
    database_url: str | None
    api_key: str | None
    host: str
    port: int
    log_level: str
    log_json: bool

    @property
    def resolved_database_url(self) -> str:
        """As ``Settings.resolved_database_url``: DATABASE_URL, else the SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'shelfkeeper.db').resolve()}"

    @classmethod
    def of(cls, settings: Settings) -> StartSettings:
        """The same values taken from the full settings."""
        return cls(
            data_dir=settings.data_dir,
            database_url=settings.database_url,
            api_key=settings.api_key.get_secret_value() if settings.api_key else None,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            log_json=settings.log_json,
        )


def listening_url(host: str, port: int) -> str:
    """Where a server listening on ``host``:``port`` is reached (a wildcard address on loopback)."""
    host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}"


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/shelfkeeper`` (else ``~/.local/share/shelfkeeper``): the same from whichever folder."""
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "share"
    return root / "shelfkeeper"


def normal_database_url(value: str | None) -> str | None:
    """DATABASE_URL as the settings keep it: blank is none, ``postgres(ql)://`` is psycopg 3's; the check that it is
    SQLite or PostgreSQL at all stays with the settings (``ValueError`` here names the problem)."""
    if value is None or not value.strip():
        return None
    scheme = value.split("://", 1)[0]
    if not scheme.startswith(("sqlite", "postgresql", "postgres")):
        raise ValueError("must start with sqlite:// or postgresql://")
    if scheme in ("postgres", "postgresql"):
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


def read_start_settings(environ: Mapping[str, str] | None = None, env_file: Path = ENV_FILE) -> StartSettings | None:
    """The start settings from the environment and ``env_file``; None when a value is not in its plain form."""
    values = _values(os.environ if environ is None else environ, env_file)
    if values is None:
        return None
    port, log_level, log_json = values.get("port", "8787"), values.get("log_level", "INFO"), values.get("log_json")
    data_dir, host = values.get("data_dir"), values.get("host", "127.0.0.1")
    if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535) or not _LOG_LEVEL.match(log_level):
        return None
    if (log_json is not None and log_json.lower() not in _FLAGS) or (data_dir is not None and not _plain(data_dir)):
        return None
    try:
        database_url = normal_database_url(values.get("database_url"))
    except ValueError:
        return None
    return StartSettings(
        data_dir=default_data_dir() if data_dir is None else Path(data_dir),
        database_url=database_url,
        api_key=values.get("api_key") or None,
        host=host,
        port=int(port),
        log_level=log_level,
        log_json=_FLAGS[log_json.lower()] if log_json is not None else False,
    )


def _values(environ: Mapping[str, str], env_file: Path) -> dict[str, str] | None:
    """Every variable by its lower-case name, the environment over the file (as pydantic-settings merges them)."""
    merged: dict[str, str | None] = {}
    if env_file.is_fifo():
        return None  # read once, by the full settings
    if env_file.is_file():
        from dotenv import dotenv_values  # what pydantic-settings reads it with

        merged.update((name.lower(), value) for name, value in dotenv_values(env_file, encoding="utf-8").items())
    merged.update((name.lower(), value) for name, value in environ.items())
    if any(merged.get(name, "") is None for name in StartSettings.__dataclass_fields__):
        return None  # a bare NAME line in the file: left to the full settings
    return {name: value for name, value in merged.items() if value is not None}


def _plain(path: str) -> bool:
    """A directory name read the same way by ``Path`` and by pydantic: not blank, no surrounding space."""
    return bool(path) and path == path.strip()
