"""System use cases: status, the redacted configuration and library-wide statistics."""

from __future__ import annotations

import platform
import time
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from shelfkeeper import __version__
from shelfkeeper.context import AppContext
from shelfkeeper.db.migrate import current_revision, head_revision
from shelfkeeper.db.session import database_reachable
from shelfkeeper.db.tables import Author, Book, Download, FailedAttempt, MetadataCorrection, Series, Task, WantedBook
from shelfkeeper.services.backup import secrets_to_enter_again

REDACTED = "********"


def status(context: AppContext) -> dict[str, Any]:
    reachable, error = database_reachable(context.engine)
    revision = current_revision(context.engine) if reachable else None
    scheduler = context.scheduler
    return {
        "version": __version__,
        "python": platform.python_version(),
        "uptime_seconds": round(time.time() - context.started_at, 1),
        "database": {
            "backend": context.engine.dialect.name,
            "reachable": reachable,
            "error": error,
            "revision": revision,
            "head": head_revision(context.engine),
            "url": context.engine.url.render_as_string(hide_password=True),
        },
        "scheduler": _scheduler_status(scheduler),
        "configuration_notes": context.settings.configuration_notes(),
        # sealed with another machine's key (a restored backup): each must be entered again
        "secrets_to_enter_again": secrets_to_enter_again(context.engine, context.settings.data_dir)
        if reachable
        else [],
    }


def _scheduler_status(scheduler: Any) -> dict[str, Any]:
    """The scheduler's state; its lease lives in the database, so an outage leaves only what the process knows."""
    if scheduler is None:
        return {"running": False}
    try:
        answer: dict[str, Any] = scheduler.status()
    except OperationalError as exc:
        return {"running": None, "error": f"database unreachable ({type(exc.orig or exc).__name__})"}
    return answer


def redacted_configuration(context: AppContext) -> dict[str, Any]:
    """Every setting, with secrets replaced by a marker (or null when unset)."""
    values = context.settings.model_dump()
    shown: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, SecretStr):
            shown[name] = REDACTED if value.get_secret_value() else None
        elif name == "database_url" and value:
            shown[name] = context.engine.url.render_as_string(hide_password=True)
        else:
            shown[name] = str(value) if hasattr(value, "__fspath__") else value
    shown["resolved_database_url"] = context.engine.url.render_as_string(hide_password=True)
    shown["configured_services"] = context.settings.configured_services()
    return shown


def statistics(session: Session) -> dict[str, Any]:
    """Row counts per table and per status, for the dashboard."""

    def count(table: Any) -> int:
        return session.scalar(select(func.count()).select_from(table)) or 0

    def by_status(column: Any) -> dict[str, int]:
        return dict(session.execute(select(column, func.count()).group_by(column)).all())

    return {
        "books": count(Book),
        "series": count(Series),
        "authors": count(Author),
        "wanted": by_status(WantedBook.status),
        "downloads": by_status(Download.status),
        "tasks": by_status(Task.status),
        "corrections": by_status(MetadataCorrection.status),
        "failed_attempts": count(FailedAttempt),
    }
