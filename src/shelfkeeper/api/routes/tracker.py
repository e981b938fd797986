"""The MAM ratio autopilot's record: the account's stats over time and every bonus-store request."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from shelfkeeper.api.deps import PageDep, SessionDep, SettingsDep
from shelfkeeper.api.envelope import Envelope, Page, error_responses, ok
from shelfkeeper.api.schemas.tracker import (
    TrackerHistoryRead,
    TrackerPolicyRead,
    TrackerPurchaseRead,
    TrackerSnapshotRead,
)
from shelfkeeper.domain.releases.tracker import PurchaseKind
from shelfkeeper.errors import InvalidInput
from shelfkeeper.services import tracker_ledger

router = APIRouter(prefix="/api/tracker", tags=["downloads"])


@router.get("/history", response_model=Envelope[TrackerHistoryRead], responses=error_responses())
def tracker_history(
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    since: Annotated[datetime | None, Query(description="From this time (ISO; UTC when no zone is given).")] = None,
    until: Annotated[datetime | None, Query(description="Before this time (exclusive).")] = None,
    kind: Annotated[list[PurchaseKind] | None, Query(description="Only these purchase kinds (repeatable).")] = None,
) -> dict[str, Any]:
    """MAM stats snapshots and bonus-store requests (both pages use ``limit``/``offset``), and today's count."""
    from shelfkeeper.automation.mam_autopilot import autopilot_policy  # automation stays out of start-up

    start, end = _aware(since), _aware(until)
    if start is not None and end is not None and start >= end:
        message = "must be later than since"
        raise InvalidInput(
            f"until: {message}",
            details=[{"field": "until", "location": "query", "message": message, "type": "value_error"}],
        )
    policy = autopilot_policy(settings)
    snapshots = tracker_ledger.snapshots_page(session, page, since=start, until=end)
    purchases = tracker_ledger.purchases_page(session, page, kinds=kind or (), since=start, until=end)
    history = TrackerHistoryRead(
        policy=TrackerPolicyRead(
            ratio_floor=policy.ratio_floor,
            wedge_policy=policy.wedges.value,
            points_reserve=policy.points_reserve,
            daily_purchase_cap=policy.daily_cap,
            purchases_today=tracker_ledger.used_today(session, datetime.now(UTC)),
            upload_autospend=policy.upload_autospend,
        ),
        snapshots=Page.of(snapshots, TrackerSnapshotRead.of),
        purchases=Page.of(purchases, TrackerPurchaseRead.of),
    )
    return ok(history)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
