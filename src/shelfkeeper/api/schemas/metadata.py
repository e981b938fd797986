"""Metadata schemas: correction requests and answers, provider preview, provider status, quality."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from shelfkeeper.api.schemas.common import ApiModel, StrictModel
from shelfkeeper.api.schemas.corrections import CorrectionRead

if TYPE_CHECKING:  # only annotations: the automation stays out of start-up
    from shelfkeeper.automation.metadata_correction import CorrectionOutcome, SearchPreview


class MetadataCorrectRequest(StrictModel):
    dry_run: bool | None = Field(
        None, description="Record the proposed changes as dry_run without applying any; default METADATA_DRY_RUN."
    )


class CorrectAllRequest(StrictModel):
    dry_run: bool | None = Field(
        None, description="Record what would change, change nothing; default METADATA_DRY_RUN."
    )
    only_unchecked: bool = Field(False, description="Only books whose metadata was never checked.")
    limit: int | None = Field(None, ge=1, le=1_000_000, description="Check at most this many books.")

    model_config = {"extra": "forbid", "json_schema_extra": {"examples": [{"dry_run": True, "limit": 500}]}}


class CorrectAllAnswer(ApiModel):
    task_id: int = Field(description="Follow the run at /api/scheduler/history/{task_id}.")
    name: str
    parameters: dict[str, Any]


class ReasonRead(ApiModel):
    """A named reason: a stable ``code`` and a sentence."""

    code: str
    message: str


class ProviderMatchRead(ApiModel):
    """One provider's answer for a book: the candidate chosen, its decision and why, or the provider's error.

    ``same_edition`` says whether the candidate is the item's own edition on evidence (``edition_reasons``); when it
    is not, its edition-level fields (ASIN, ISBN, narrators, publisher, year, language) are ``withheld_fields``.
    """

    provider: str
    candidates: int
    source_id: str | None = None
    title: str | None = None
    authors: list[str] = Field(default_factory=list)
    confidence: float | None = None
    decision: str | None = None
    reasons: list[str] = Field(default_factory=list)
    same_edition: bool | None = None
    edition_reasons: list[ReasonRead] = Field(default_factory=list)
    withheld_fields: list[str] = Field(default_factory=list)
    withheld_reason: ReasonRead | None = None
    repairs: list[ReasonRead] = Field(default_factory=list)
    error: str | None = None
    error_code: str | None = None


class BookCorrectionRead(ApiModel):
    """What checking one book did (or, in a dry run, would do)."""

    book_id: int
    title: str
    dry_run: bool
    metadata_status: str = Field(description="The book's status after the check (a dry run: what it would be).")
    written_back: bool | None = Field(description="Whether Audiobookshelf got the applied changes; null: none.")
    message: str
    corrections: list[CorrectionRead]
    matches: list[ProviderMatchRead]


class SeriesRefRead(ApiModel):
    name: str
    sequence: str | None = None


class CandidateRead(ApiModel):
    """A provider's candidate with its score against the searched title and author."""

    source: str
    source_id: str
    title: str
    subtitle: str | None
    authors: list[str]
    narrators: list[str]
    series: list[SeriesRefRead]
    asin: str | None
    isbn: str | None
    published_year: int | None
    language: str | None
    format_type: str | None
    duration_minutes: int | None
    confidence: float
    decision: str
    reasons: list[str]


class ProviderErrorRead(ApiModel):
    provider: str
    error: str
    error_code: str


class SourceStatusRead(ApiModel):
    name: str
    status: Literal["ok", "failed", "timed_out"] = Field(
        description="timed_out: no answer within OUTSIDE_WAIT_SECONDS; the candidates are what arrived in time."
    )


class MetadataSearchRead(ApiModel):
    title: str
    author: str | None
    candidates: list[CandidateRead]
    errors: list[ProviderErrorRead]
    sources: list[SourceStatusRead]


class ProviderRead(ApiModel):
    """A metadata provider as last seen: by the pipeline's lookups or by a connection test, whichever is newer."""

    name: str
    url: str
    configured: bool
    reachable: bool | None = Field(description="null: not contacted since the start of the records.")
    last_seen_at: datetime | None
    last_error: str | None
    last_error_code: str | None
    daily_budget: int | None
    budget_left: int | None
    cache_entries: int = Field(description="Answers cached and not expired.")


class ShareRead(ApiModel):
    count: int
    share: float = Field(description="count / books, 0..1.")


class QualityRead(ApiModel):
    books: int = Field(description="Books in the library.")
    with_asin: ShareRead
    with_series: ShareRead
    with_narrator: ShareRead
    with_cover: ShareRead
    with_description: ShareRead
    average_quality_score: float | None
    by_metadata_status: dict[str, int]
    corrections: dict[str, int] = Field(description="Corrections by status: applied, pending, reverted, ...")


def correction_answer(outcome: CorrectionOutcome) -> BookCorrectionRead:
    """The API form of one book's check."""
    return BookCorrectionRead(
        book_id=outcome.book_id,
        title=outcome.title,
        dry_run=outcome.dry_run,
        metadata_status=str(outcome.status),
        written_back=outcome.written_back,
        message=outcome.message,
        corrections=[CorrectionRead.model_validate(row) for row in outcome.corrections],
        matches=[ProviderMatchRead.model_validate(match.summary()) for match in outcome.matches],
    )


def search_answer(preview: SearchPreview) -> MetadataSearchRead:
    """The API form of a provider preview."""
    candidates = []
    for result in preview.results:
        c = result.candidate
        candidates.append(
            CandidateRead(
                source=c.source,
                source_id=c.source_id,
                title=c.title,
                subtitle=c.subtitle,
                authors=list(c.authors),
                narrators=list(c.narrators),
                series=[SeriesRefRead(name=ref.name, sequence=ref.sequence) for ref in c.series],
                asin=c.asin,
                isbn=c.isbn,
                published_year=c.published_year,
                language=c.language,
                format_type=c.format_type,
                duration_minutes=c.duration_minutes,
                confidence=round(result.confidence, 4),
                decision=str(result.decision),
                reasons=list(result.reasons),
            )
        )
    errors = [
        ProviderErrorRead(provider=name, error=message, error_code=code)
        for name, (message, code) in preview.errors.items()
    ]
    author = preview.facts.authors[0] if preview.facts.authors else None
    sources = [SourceStatusRead(name=name, status=status) for name, status in preview.statuses.items()]
    return MetadataSearchRead(
        title=preview.facts.title, author=author, candidates=candidates, errors=errors, sources=sources
    )
