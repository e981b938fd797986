"""Logging: one format, the running task's id on every line, secrets redacted, optional JSON lines."""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime

from shelfkeeper.adapters.redaction import SecretFilter

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
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def configure_logging(level: str = "INFO", *, json_lines: bool = False) -> None:
    """Install one handler on the root logger with the task-id and secret filters."""
    handler = logging.StreamHandler()
    handler.addFilter(TaskIdFilter())
    handler.addFilter(SecretFilter())
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
