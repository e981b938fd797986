"""A log handler that keeps messages as our loggers format them, with no redacting filter in between."""

from __future__ import annotations

import logging


class RawLines(logging.Handler):
    """Formatted messages exactly as our loggers produce them: what a secret check must find clean."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
