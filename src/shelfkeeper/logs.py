"""Logging: one format, the running task's id on every line, secrets redacted, optional JSON lines."""

from __future__ import annotations

import contextvars
import json
import logging
import threading
from collections import deque
from datetime import UTC, datetime
from typing import IO, Any, Literal

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


LogLevelName = Literal["debug", "info", "warning", "error", "critical"]  # the log viewer's filter, lowest first
RECENT_CAPACITY = 1000  # records kept in memory for the page's log viewer (GET /api/system/logs)


class RecentLogs(logging.Handler):
    """The last ``capacity`` records, redacted like every log line, for the page's log viewer.

    Installed beside the output handler with the same task-id and secret filters: a secret is gone before a record
    reaches the buffer, so the viewer can show nothing the log file would not.
    """

    def __init__(self, capacity: int = RECENT_CAPACITY) -> None:
        super().__init__()
        self._records: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._guard = threading.Lock()
        self.addFilter(TaskIdFilter())
        self.addFilter(SecretFilter())

    def emit(self, record: logging.LogRecord) -> None:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC),
            "level": record.levelname,
            "levelno": record.levelno,
            "logger": record.name,
            "task_id": task_id if isinstance(task_id := getattr(record, "task_id", None), int) else None,
            "message": record.getMessage(),
            "exception": record.exc_text or None,  # redacted by the SecretFilter
        }
        with self._guard:
            self._records.append(entry)

    def recent(self, minimum_level: int = logging.NOTSET, limit: int = 200) -> list[dict[str, Any]]:
        """The newest records at ``minimum_level`` or above, newest first, at most ``limit``."""
        with self._guard:
            records = list(self._records)
        found = [entry for entry in reversed(records) if entry["levelno"] >= minimum_level]
        return found[:limit]


RECENT_LOGS = RecentLogs()


def keep_recent_logs() -> RecentLogs:
    """Attach the in-memory buffer of recent records to the root logger (once per process) and return it."""
    root = logging.getLogger()
    if RECENT_LOGS not in root.handlers:
        root.addHandler(RECENT_LOGS)
    return RECENT_LOGS


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
    keep_recent_logs()


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
