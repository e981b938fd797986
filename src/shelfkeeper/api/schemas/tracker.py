"""Schemas of the MAM ledger: stats snapshots and bonus-store requests over time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from shelfkeeper.api.envelope import Page
from shelfkeeper.api.schemas.common import ApiModel
from shelfkeeper.db.tables import TrackerPurchase, TrackerSnapshot


class TrackerSnapshotRead(ApiModel):
    id: int
    at: datetime
    ratio: float | None
    uploaded_bytes: int | None
    downloaded_bytes: int | None
    bonus_points: float | None
    wedges: int | None
    user_class: str | None

    @classmethod
    def of(cls, row: TrackerSnapshot) -> TrackerSnapshotRead:
        return cls.model_validate(row, from_attributes=True)


class TrackerPurchaseRead(ApiModel):
    id: int
    at: datetime
    kind: str = Field(description="apply_wedge (a wedge spent on a torrent), buy_wedge or buy_upload.")
    torrent_id: int | None
    wanted_book_id: int | None
    amount: float | None = Field(description="GB of upload credit (buy_upload).")
    cost_points: int | None = Field(description="Bonus points spent (0 when MAM refused).")
    success: bool
    answer: str | None = Field(description="MAM's refusal in its own words, or what else it answered.")
    reasons: list[dict[str, Any]] = Field(description="The autopilot's named reasons for the request.")

    @classmethod
    def of(cls, row: TrackerPurchase) -> TrackerPurchaseRead:
        return cls.model_validate(row, from_attributes=True)


class TrackerPolicyRead(ApiModel):
    ratio_floor: float
    wedge_policy: str = Field(description="never, owned (spend owned wedges) or buy (buy one with points first).")
    points_reserve: int
    daily_purchase_cap: int
    purchases_today: int
    upload_autospend: bool


class TrackerHistoryRead(ApiModel):
    policy: TrackerPolicyRead
    snapshots: Page[TrackerSnapshotRead] = Field(description="Stats snapshots, newest first.")
    purchases: Page[TrackerPurchaseRead] = Field(description="Bonus-store requests, newest first.")
