"""Wanted-list schemas: WantedCreate, WantedRead, what a gap search or catalogue discovery found, author completion."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from shelfkeeper.api.schemas.catalogue import EditionIn
from shelfkeeper.api.schemas.common import ApiModel, Asin, Isbn, Name, SeriesRefIn, StrictModel, Title

WantedStatusName = Literal["wanted", "searching", "grabbed", "downloaded", "imported", "ignored", "failed"]
WantedReasonName = Literal["series_gap", "author_catalogue", "top10", "manual"]


class WantedCreate(StrictModel):
    """A book to want by hand (reason manual)."""

    title: Title
    authors: list[Name] = Field(default_factory=list, max_length=20)
    subtitle: str | None = Field(None, max_length=500)
    series: SeriesRefIn | None = None
    asin: Asin | None = None
    isbn: Isbn | None = None
    language: str | None = Field(None, max_length=50)
    release_date: date | None = None
    priority: int = Field(0, ge=-100, le=100, description="Higher is searched first.")
    notes: str | None = Field(None, max_length=2000, description="Why you want it; kept in the evidence.")
    edition: EditionIn | None = Field(
        None, description="The edition picked from GET /api/catalogue/search; kept in the evidence."
    )

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "title": "The Lies of Locke Lamora",
                    "authors": ["Scott Lynch"],
                    "series": {"name": "Gentleman Bastard", "position": "1"},
                    "asin": "B0036NF6QO",
                    "priority": 5,
                }
            ]
        },
    }


class WantedRead(ApiModel):
    """A book on the wanted list: why (reason, source, evidence, explanation) and how far it got (status)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    subtitle: str | None
    author_name: str
    author_id: int | None
    series_id: int | None
    series_name: str | None
    series_position: str | None
    asin: str | None
    isbn: str | None
    language: str | None
    release_date: datetime | None
    upcoming: bool
    reason: str
    source: str
    explanation: str | None = Field(None, description="One sentence: why this book is wanted and who listed it.")
    evidence: dict[str, Any]
    flags: list[str]
    status: str
    approved: bool
    priority: int
    search_count: int
    last_searched_at: datetime | None
    book_id: int | None
    created_at: datetime
    updated_at: datetime

    @field_validator("release_date", mode="after")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        """Stored without a zone (a date at midnight); answered as UTC so it is an RFC 3339 date-time."""
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    @classmethod
    def of(cls, row: Any) -> WantedRead:
        read = cls.model_validate(row)
        explanation = (row.evidence or {}).get("explanation")
        return read.model_copy(update={"explanation": explanation if isinstance(explanation, str) else None})


class ProviderFailureRead(ApiModel):
    provider: str
    subject: str
    error_code: str
    message: str


class ExclusionRead(ApiModel):
    """A provider's book left out of the catalogue, and why (owned by ASIN/ISBN/title/position, language...)."""

    title: str
    authors: list[str]
    reason: str
    detail: str
    sources: list[str]


class WantedFound(ApiModel):
    """What checking one series or author found now: the wanted books, and what was skipped and why."""

    subject_id: int
    name: str
    missing: list[WantedRead]
    counts: dict[str, int]
    provider_failures: list[ProviderFailureRead]
    excluded: list[ExclusionRead] = Field(default_factory=list)


class AuthorCompletion(ApiModel):
    id: int
    name: str
    monitored: bool
    owned_books: int
    known_catalogue_size: int = Field(description="Owned books plus the author's books on the wanted list.")
    missing: int
    ignored: int
    upcoming: int
    completion: float | None
    last_catalogue_check_at: datetime | None


class AuthorCompletionSummary(ApiModel):
    items: list[AuthorCompletion]
    total: int
    limit: int
    offset: int
