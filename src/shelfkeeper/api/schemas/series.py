"""Series schemas: SeriesCreate, SeriesUpdate, SeriesRead, the completion summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field
from typing_extensions import TypedDict

from shelfkeeper.api.schemas.common import ApiModel, Position, StrictModel, Title


class SeriesFieldsIn(StrictModel):
    name: Title
    description: str | None = Field(None, max_length=100_000)
    provider_ids: dict[str, str] = Field(default_factory=dict, description='e.g. {"audible": "B0..."}')
    known_total: int | None = Field(None, ge=0, le=10_000)
    known_positions: list[Position] = Field(default_factory=list, max_length=10_000)
    monitored: bool = True
    future_only: bool = Field(False, description="Want only books released after the follow began.")
    abs_id: str | None = Field(None, max_length=64)

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "name": "The Expanse",
                    "known_total": 9,
                    "known_positions": [str(n) for n in range(1, 10)],
                    "monitored": True,
                }
            ]
        },
    }


class SeriesCreate(SeriesFieldsIn):
    """A series to follow."""


class SeriesUpdate(SeriesFieldsIn):
    """The whole series (PUT)."""


class SeriesRead(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    abs_id: str | None
    description: str | None
    provider_ids: dict[str, Any]
    known_total: int | None
    known_positions: list[Any]
    owned_count: int
    completion: float | None
    monitored: bool
    future_only: bool
    monitored_since: datetime | None
    last_checked_at: datetime | None
    created_at: datetime
    updated_at: datetime


class SeriesRow(TypedDict):
    """A listed series as the list query reads it: ``SeriesRead``'s fields in its order, timestamps already in the
    API's text (services/series.py). Only serialised, never validated: the list answers these bytes, which are
    exactly ``SeriesRead``'s (tests/api/test_series_rows.py); ``SeriesRead`` stays the documented response model."""

    id: int
    name: str
    abs_id: str | None
    description: str | None
    provider_ids: dict[str, Any]
    known_total: int | None
    known_positions: list[Any]
    owned_count: int
    completion: float | None
    monitored: bool
    future_only: bool
    monitored_since: str | None
    last_checked_at: str | None
    created_at: str
    updated_at: str


class SeriesCompletion(ApiModel):
    id: int
    name: str
    monitored: bool
    owned_positions: list[str]
    owned_count: int
    known_positions: list[str]
    known_total: int | None
    missing_positions: list[str]
    completion: float | None


class SeriesCompletionRow(TypedDict):
    """``SeriesCompletion`` as the summary reads it (services/series.py): serialised, never validated."""

    id: int
    name: str
    monitored: bool
    owned_positions: list[str]
    owned_count: int
    known_positions: list[str]
    known_total: int | None
    missing_positions: list[str]
    completion: float | None


class CompletionSummaryRows(TypedDict):
    """``CompletionSummary`` as plain rows, its bytes exactly the model's (tests/api/test_series_rows.py);
    ``CompletionSummary`` stays the documented response model."""

    items: list[SeriesCompletionRow]
    total: int
    limit: int
    offset: int
    complete_series: int
    series_with_known_positions: int


class CompletionSummary(ApiModel):
    items: list[SeriesCompletion]
    total: int
    limit: int
    offset: int
    complete_series: int
    series_with_known_positions: int
