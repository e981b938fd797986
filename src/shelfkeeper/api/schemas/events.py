"""Schemas of the event history, notifications, health problems and the calendar."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from pydantic import Field

from shelfkeeper.api.schemas.common import ApiModel
from shelfkeeper.domain.events import Event
from shelfkeeper.domain.health import HealthProblem
from shelfkeeper.services.calendar import CalendarEntry


class EventRead(ApiModel):
    id: int | None
    type: str
    title: str
    message: str
    time: datetime | None
    book: dict[str, Any]
    release: dict[str, Any]
    download: dict[str, Any]
    details: dict[str, Any]

    @classmethod
    def of(cls, event: Event) -> EventRead:
        return cls(
            id=event.id,
            type=event.type.value,
            title=event.title,
            message=event.message,
            time=event.at,
            book=event.book,
            release=event.release,
            download=event.download,
            details=event.details,
        )


class NotificationTestRead(ApiModel):
    target: str = Field(description="The target's scheme and host (never its token).")
    events: list[str] | None = Field(description="The events it asked for; null for every event.")
    ok: bool
    error: str | None = None


class NotificationTargetRead(ApiModel):
    target: str
    events: list[str] | None
    last_event_id: int | None = Field(description="The last event this target was sent (or skipped).")
    failing: bool
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None


class HealthProblemRead(ApiModel):
    level: str
    source: str
    code: str
    message: str
    doc: str = Field(description="The section of docs/troubleshooting.md that explains the fix.")

    @classmethod
    def of(cls, problem: HealthProblem) -> HealthProblemRead:
        data = asdict(problem)
        return cls(level=problem.level.value, source=data["source"], code=data["code"], message=problem.message,
                   doc=problem.doc)  # fmt: skip


class HealthRead(ApiModel):
    checked_at: datetime | None
    healthy: bool
    problems: list[HealthProblemRead]


class CalendarEntryRead(ApiModel):
    kind: str = Field(description="release (a wanted book's release date) or import (a book imported that day).")
    at: datetime
    title: str
    author: str | None
    series: str | None
    position: str | None
    wanted_book_id: int | None
    book_id: int | None
    download_id: int | None
    status: str

    @classmethod
    def of(cls, entry: CalendarEntry) -> CalendarEntryRead:
        return cls(**asdict(entry))
