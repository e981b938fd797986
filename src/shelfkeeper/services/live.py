"""What the live stream tells the page: downloads and job runs that changed since the last look, new events.

Each look reads the live rows (active downloads, pending and running job runs) plus the rows the previous look
saw, and keeps a fingerprint of each: only rows whose fingerprint changed are told, and a row that stopped
being live is told once more (its final state) and then forgotten. Clocks play no part: a transaction that
commits late is still seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import Download, EventRow, Task
from shelfkeeper.domain.events import Event
from shelfkeeper.domain.lifecycle import ACTIVE_DOWNLOAD_STATES, TaskStatus
from shelfkeeper.services import events

_LIVE_TASKS = (str(TaskStatus.PENDING), str(TaskStatus.RUNNING))
EVENTS_PER_LOOK = 100


@dataclass
class LiveCursor:
    """Where the stream is: the last event told, and the fingerprints of the rows it follows."""

    event_id: int = 0
    downloads: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    tasks: dict[int, tuple[Any, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class LiveChanges:
    downloads: list[dict[str, Any]]
    tasks: list[dict[str, Any]]
    events: list[Event]

    def __bool__(self) -> bool:
        return bool(self.downloads or self.tasks or self.events)


def download_state(row: Download) -> dict[str, Any]:
    """A download as the stream tells it: enough to move its progress bar and state on the page."""
    return {
        "id": row.id,
        "status": row.status,
        "progress": row.progress or 0.0,
        "client_state": row.client_state,
        "download_speed": row.download_speed,
        "eta_seconds": row.eta_seconds,
        "release_title": row.release_title,
        "wanted_book_id": row.wanted_book_id,
        "book_id": row.book_id,
    }


def task_state(row: Task) -> dict[str, Any]:
    """A job run as the stream tells it: its status, and its counts once it has finished."""
    return {
        "id": row.id,
        "name": row.name,
        "status": row.status,
        "trigger": row.trigger,
        "started_at": row.started_at.isoformat() if row.started_at else None,
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
        "counts": dict(row.counts or {}),
        "error": row.error,
    }


def _fingerprint(state: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(repr(value) for value in state.values())


def start(session: Session) -> LiveCursor:
    """A cursor at "now": the newest event, and the live rows as they are (nothing to tell yet)."""
    cursor = LiveCursor(event_id=int(session.scalar(select(func.max(EventRow.id))) or 0))
    look(session, cursor)
    return cursor


def _changed(states: list[dict[str, Any]], known: dict[int, tuple[Any, ...]], live: set[int]) -> list[dict[str, Any]]:
    told = []
    for state in states:
        mark = _fingerprint(state)
        if known.get(state["id"]) != mark:
            told.append(state)
        known[state["id"]] = mark
    for gone in set(known) - live:
        known.pop(gone, None)
    return told


def look(session: Session, cursor: LiveCursor) -> LiveChanges:
    """What changed since ``cursor`` (which moves on)."""
    active = [str(status) for status in ACTIVE_DOWNLOAD_STATES]
    download_rows = session.scalars(
        select(Download).where(or_(Download.status.in_(active), Download.id.in_(list(cursor.downloads))))
    ).all()
    downloads = [download_state(row) for row in download_rows]
    live_downloads = {row.id for row in download_rows if row.status in active}
    task_rows = session.scalars(
        select(Task).where(or_(Task.status.in_(_LIVE_TASKS), Task.id.in_(list(cursor.tasks))))
    ).all()
    tasks = [task_state(row) for row in task_rows]
    live_tasks = {row.id for row in task_rows if row.status in _LIVE_TASKS}
    new_events = events.events_after(session, cursor.event_id, EVENTS_PER_LOOK)
    if new_events:
        cursor.event_id = max(event.id or 0 for event in new_events)
    return LiveChanges(
        downloads=_changed(downloads, cursor.downloads, live_downloads),
        tasks=_changed(tasks, cursor.tasks, live_tasks),
        events=new_events,
    )
