"""Health problems and notification targets: `GET /api/system/health`, `…/notifications`, `…/notifications/test`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from shelfkeeper.api.deps import ContextDep
from shelfkeeper.api.envelope import Envelope, error_responses, ok
from shelfkeeper.api.schemas.events import (
    HealthProblemRead,
    HealthRead,
    NotificationTargetRead,
    NotificationTestRead,
)
from shelfkeeper.automation import health, notifications
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.db.session import unit_of_work

router = APIRouter(prefix="/api/system", tags=["system"])
FRESH = timedelta(seconds=60)  # a check younger than this is answered as it is


@router.get("/health", response_model=Envelope[HealthRead], responses=error_responses())
async def health_problems(
    context: ContextDep,
    refresh: Annotated[bool, Query(description="Check everything now instead of answering the last check.")] = False,
) -> dict[str, Any]:
    """The current problems, as Sonarr's System > Health: level, source, message and where the fix is explained.

    Answers the last scheduled check when it is under a minute old; otherwise (or with ``refresh``) checks now,
    each outside service within its test time limit, and records what changed (notifications follow).
    """
    run = RunContext(app=context, trigger="manual")
    checked_at, problems = await run.transaction(health.stored)
    if refresh or checked_at is None or checked_at < run.now() - FRESH:
        problems = await health.check_all(run)
        now = run.now()
        await run.transaction(lambda s: health.store(s, problems, now))
        checked_at = now
    read = HealthRead(
        checked_at=checked_at, healthy=not problems, problems=[HealthProblemRead.of(problem) for problem in problems]
    )
    return ok(read)


@router.get("/notifications", response_model=Envelope[list[NotificationTargetRead]], responses=error_responses())
def notification_targets(context: ContextDep) -> dict[str, Any]:
    """Each target of NOTIFY_URLS (scheme and host only), the events it wants, and how its deliveries go."""
    with unit_of_work(context.sessions) as session:
        states = notifications.target_states(session)
    answers = []
    for target in context.settings.notify_targets():
        state = states.get(target.key) or {}
        retry = state.get("next_attempt_at")
        answers.append(
            NotificationTargetRead(
                target=target.shown,
                events=sorted(kind.value for kind in target.events) if target.events is not None else None,
                last_event_id=state.get("cursor"),
                failing=bool(state.get("attempts")),
                attempts=int(state.get("attempts") or 0),
                next_attempt_at=datetime.fromisoformat(retry) if retry else None,
                last_error=state.get("last_error"),
            )
        )
    return ok(answers)


@router.post("/notifications/test", response_model=Envelope[list[NotificationTestRead]], responses=error_responses())
async def test_notifications(context: ContextDep) -> dict[str, Any]:
    """Send a test notification to every target now; answers which accepted it (an empty list: none is set)."""
    answers = await notifications.send_test(RunContext(app=context, trigger="manual"))
    return ok([NotificationTestRead(target=a.target, events=a.events, ok=a.ok, error=a.error) for a in answers])
