"""Sending the event history to the notification targets: in order, each target at its own pace, never failing a job.

Each target remembers (in ``service_state``) the last event it was sent; a target that fails waits 1, 2, 4 …
minutes (at most 6 hours) and is tried again from the event that failed, so nothing is skipped and nothing is
sent twice unless the target failed after receiving it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.db.tables import ServiceState
from shelfkeeper.domain.events import Event, EventType, NotifyTarget, retry_delay_seconds
from shelfkeeper.errors import ServiceError
from shelfkeeper.ports import Notifier
from shelfkeeper.services import events

STATE_KEY = "notifications"
BATCH = 100


@dataclass(frozen=True)
class TestAnswer:
    """What one target said to the test notification."""

    target: str
    events: list[str] | None
    ok: bool
    error: str | None = None


def notifier_of(run: RunContext) -> Notifier:
    return run.integrations.notifier()


async def notifications_task(run: RunContext) -> JobResult:
    """The job: send each target the events it has not had yet."""
    result = JobResult()
    targets = run.app.settings.notify_targets()
    result.metrics["targets"] = len(targets)
    for target in targets:
        await deliver(run, target, notifier_of(run), result)
    return result


async def deliver(run: RunContext, target: NotifyTarget, notifier: Notifier, result: JobResult) -> None:
    """Send ``target`` its pending events, oldest first, stopping at the first failure (retried later)."""
    now = run.now()
    progress = await run.transaction(lambda s: _progress(s, target, now))
    waiting_until = progress.get("next_attempt_at")
    if waiting_until and datetime.fromisoformat(waiting_until) > now:
        result.add("targets_waiting")
        return
    cursor = int(progress["cursor"])
    pending = await run.transaction(lambda s: events.events_after(s, cursor, BATCH))
    for event in pending:
        if target.wants(event.type):
            try:
                await notifier.send(target, event)
            except ServiceError as exc:
                await _failed(run, target, progress, exc)
                result.add("targets_failing")
                return
            result.add("sent")
        cursor = event.id or cursor
        await run.transaction(_saver(target, {"cursor": cursor, "attempts": 0, "last_error": None}))
    if progress.get("attempts"):
        await run.transaction(lambda s: _save(s, target, {"attempts": 0, "next_attempt_at": None, "last_error": None}))


async def send_test(run: RunContext) -> list[TestAnswer]:
    """Send a test event to every target now, whatever events it asked for; say which accepted it."""
    notifier = notifier_of(run)
    answers: list[TestAnswer] = []
    event = Event(EventType.TEST, "Shelfkeeper can reach this target.", at=run.now())
    for target in run.app.settings.notify_targets():
        wanted = sorted(kind.value for kind in target.events) if target.events is not None else None
        try:
            await notifier.send(target, event)
        except ServiceError as exc:
            answers.append(TestAnswer(target.shown, wanted, ok=False, error=exc.message))
            continue
        answers.append(TestAnswer(target.shown, wanted, ok=True))
    return answers


async def _failed(run: RunContext, target: NotifyTarget, progress: dict[str, Any], error: ServiceError) -> None:
    attempts = int(progress.get("attempts") or 0) + 1
    retry_at = run.now() + timedelta(seconds=retry_delay_seconds(attempts))
    run.log.warning(
        "notifications: %s failed (attempt %s), next try at %s: %s",
        target.shown,
        attempts,
        retry_at.isoformat(),
        error.message,
    )
    values = {"attempts": attempts, "next_attempt_at": retry_at.isoformat(), "last_error": error.message}
    await run.transaction(lambda s: _save(s, target, values))


def _saver(target: NotifyTarget, values: dict[str, Any]) -> Callable[[Session], None]:
    return lambda session: _save(session, target, values)


def _progress(session: Session, target: NotifyTarget, now: datetime) -> dict[str, Any]:
    row = session.get(ServiceState, STATE_KEY)
    known = dict((row.data if row else {}).get(target.key) or {})
    if "cursor" not in known:
        known = {"cursor": events.first_cursor(session, now), "attempts": 0}
        _save(session, target, known)
    return known


def _save(session: Session, target: NotifyTarget, values: dict[str, Any]) -> None:
    row = session.get(ServiceState, STATE_KEY)
    if row is None:
        row = ServiceState(service=STATE_KEY, data={})
        session.add(row)
    data = dict(row.data or {})
    data[target.key] = {**dict(data.get(target.key) or {}), **values, "target": target.shown}
    row.data = data
    session.flush()


def target_states(session: Session) -> dict[str, Any]:
    """Each target's progress (shown host, last event sent, failures), for the API."""
    row = session.get(ServiceState, STATE_KEY)
    return dict(row.data) if row else {}
