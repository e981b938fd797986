"""A private tracker's account standing (MyAnonamouse): what the grab policy must respect."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrackerStats:
    username: str
    user_class: str | None
    ratio: float | None
    uploaded_bytes: int | None
    downloaded_bytes: int | None
    bonus_points: float | None
    wedges: int | None
    vip_until: str | None = None
