"""Backups of the database into the data directory, and restoring one (SQLite file copy, or pg_dump/pg_restore)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import ServiceState
from shelfkeeper.errors import ConfigurationError, InvalidInput, NotFound
from shelfkeeper.secret_store import SecretBox, unreadable_secrets

BACKUP_DIR = "backups"


@dataclass(frozen=True)
class BackupFile:
    name: str
    path: str
    size_bytes: int
    created_at: datetime
    backend: str


def backup_dir(data_dir: Path) -> Path:
    return data_dir / BACKUP_DIR


def _describe(path: Path) -> BackupFile:
    stat = path.stat()
    backend = "sqlite" if path.suffix == ".db" else "postgresql"
    return BackupFile(
        name=path.name,
        path=str(path),
        size_bytes=stat.st_size,
        created_at=datetime.fromtimestamp(stat.st_mtime).astimezone(),
        backend=backend,
    )


def list_backups(data_dir: Path) -> list[BackupFile]:
    """Every backup in the data directory, newest first."""
    folder = backup_dir(data_dir)
    if not folder.exists():
        return []
    files = [p for p in folder.iterdir() if p.suffix in (".db", ".dump")]
    return sorted((_describe(p) for p in files), key=lambda b: b.name, reverse=True)


def _pg_environment(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection options for the pg_* tools; the password goes in the environment, never on a command line."""
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    args = [
        "-h",
        url.host or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
        "-d",
        url.database or "postgres",
    ]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise ConfigurationError(f"{command[0]} is not installed; install the PostgreSQL client tools")
    finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=3600)
    if finished.returncode != 0:
        raise ConfigurationError(f"{command[0]} failed: {finished.stderr.strip()[:500]}")


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 (or narrow an existing one): only the owner reads a database."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(descriptor)
    os.chmod(path, 0o600)


def create_backup(engine: Engine, data_dir: Path, *, now: datetime, keep: int = 10) -> BackupFile:
    """Write a consistent copy of the database into ``<data_dir>/backups`` (0600) and keep the newest ``keep``."""
    folder = backup_dir(data_dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%d-%H%M%S-%f")
    url = engine.url
    if url.get_backend_name() == "sqlite":
        target = folder / f"shelfkeeper-{stamp}.db"
        private_file(target)
        source = sqlite3.connect(str(url.database))
        try:
            with sqlite3.connect(str(target)) as destination:
                source.backup(destination)  # the online backup API: consistent while others write
        finally:
            source.close()
    else:
        target = folder / f"shelfkeeper-{stamp}.dump"
        private_file(target)
        args, env = _pg_environment(url)
        _run(["pg_dump", "--format=custom", "--no-owner", "-f", str(target), *args], env)
    for old in list_backups(data_dir)[keep:]:
        Path(old.path).unlink(missing_ok=True)
    return _describe(target)


def find_backup(data_dir: Path, name: str) -> Path:
    """The backup file called ``name`` in the data directory; a name that could leave the folder is refused."""
    if "/" in name or "\\" in name or name.startswith(".") or Path(name).suffix not in (".db", ".dump"):
        raise InvalidInput(
            f"{name!r} is not a backup file name", details=[{"field": "name", "message": "not a backup"}]
        )
    path = backup_dir(data_dir) / name
    if not path.is_file():
        raise NotFound(f"No backup called {name!r} in {backup_dir(data_dir)}", code="BACKUP_NOT_FOUND")
    return path


def restore_backup(engine: Engine, data_dir: Path, name: str) -> BackupFile:
    """Replace the database with a backup (best with the service stopped; the web page restores a running one)."""
    path = find_backup(data_dir, name)
    url = engine.url
    engine.dispose()
    if url.get_backend_name() == "sqlite":
        if path.suffix != ".db":
            raise InvalidInput(f"{name} is a PostgreSQL dump; this database is SQLite")
        with sqlite3.connect(str(path)) as source, sqlite3.connect(str(url.database)) as destination:
            source.backup(destination)
    else:
        if path.suffix != ".dump":
            raise InvalidInput(f"{name} is a SQLite file; this database is PostgreSQL")
        args, env = _pg_environment(url)
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", *args, str(path)], env)
    return _describe(path)


def secrets_to_enter_again(engine: Engine, data_dir: Path) -> list[str]:
    """The sealed secrets in the database this data directory's key cannot open (a backup from elsewhere)."""
    with Session(engine) as session:
        states = {row.service: dict(row.data or {}) for row in session.scalars(select(ServiceState))}
    return unreadable_secrets(SecretBox(data_dir), states)
