"""Author schemas: AuthorCreate, AuthorUpdate, AuthorRead, AuthorSeriesRead."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field
from typing_extensions import TypedDict

from shelfkeeper.api.schemas.common import ApiModel, Asin, Name, StrictModel
from shelfkeeper.api.schemas.series import SeriesRead


class AuthorFieldsIn(StrictModel):
    name: Name
    asin: Asin | None = None
    provider_ids: dict[str, str] = Field(default_factory=dict)
    description: str | None = Field(None, max_length=100_000)
    image_url: str | None = Field(None, max_length=1000, pattern=r"^https?://")
    monitored: bool = True
    future_only: bool = Field(False, description="Want only books released after the follow began.")
    abs_id: str | None = Field(None, max_length=64)

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{"name": "Brandon Sanderson", "asin": "B001IGFHW6", "monitored": True}]},
    }


class AuthorCreate(AuthorFieldsIn):
    """An author to follow."""


class AuthorUpdate(AuthorFieldsIn):
    """The whole author (PUT)."""


class AuthorRead(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    sort_name: str
    abs_id: str | None
    asin: str | None
    provider_ids: dict[str, Any]
    description: str | None
    image_url: str | None
    monitored: bool
    future_only: bool
    monitored_since: datetime | None
    last_catalogue_check_at: datetime | None
    book_count: int = 0
    created_at: datetime
    updated_at: datetime


class AuthorRow(TypedDict):
    """A listed author as the list query reads it: ``AuthorRead``'s fields in its order, timestamps already in the
    API's text (services/authors.py). Only serialised, never validated: the list answers these bytes, which are
    exactly ``AuthorRead``'s (tests/api/test_author_rows.py); ``AuthorRead`` stays the documented response model."""

    id: int
    name: str
    sort_name: str
    abs_id: str | None
    asin: str | None
    provider_ids: dict[str, Any]
    description: str | None
    image_url: str | None
    monitored: bool
    future_only: bool
    monitored_since: str | None
    last_catalogue_check_at: str | None
    book_count: int
    created_at: str
    updated_at: str


class AuthorSeriesRead(ApiModel):
    series: SeriesRead
    books_by_author: int
