"""Logging: one format, the running task's id on every line, secrets redacted, optional JSON lines."""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime
from typing import IO

from shelfkeeper.adapters.redaction import SecretFilter, guard_library_loggers

current_task_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("current_task_id", default=None)


class TaskIdFilter(logging.Filter):
    """Adds ``task_id`` (the Task row of the job run that logged, or "-") to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        task_id = current_task_id.get()
        record.task_id = task_id if task_id is not None else "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "task_id": getattr(record, "task_id", "-"),
            "message": record.getMessage(),
        }
        # exc_text is where the SecretFilter leaves the redacted traceback; formatting exc_info afresh would undo it.
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            payload["exception"] = record.exc_text
        return json.dumps(payload, default=str)


def configure_logging(level: str = "INFO", *, json_lines: bool = False, stream: IO[str] | None = None) -> None:
    """Install one handler on the root logger (stderr unless ``stream``) with the task-id and secret filters.

    The HTTP libraries' own loggers get a secret filter too, and stay at WARNING unless given a level.
    """
    guard_library_loggers()
    handler: logging.Handler = logging.StreamHandler(stream)
    handler.addFilter(TaskIdFilter())
    handler.addFilter(SecretFilter())  # secrets registered by the settings and the clients, and credential patterns
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [task %(task_id)s] %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_shelfkeeper", False):
            root.removeHandler(existing)
    handler._shelfkeeper = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())


def configure_error_reporting(dsn: str | None) -> str | None:
    """Send unhandled errors to Sentry when a DSN is set; returns a note when it cannot (package missing)."""
    if not dsn:
        return None
    try:
        import sentry_sdk
    except ImportError:
        return "SENTRY_DSN is set but sentry-sdk is not installed: pip install 'shelfkeeper[sentry]'"
    sentry_sdk.init(dsn=dsn, send_default_pii=False, traces_sample_rate=0.0)
    return None
