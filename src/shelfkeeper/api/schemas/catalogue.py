"""Catalogue schemas: what the providers' catalogues answer for "Add a book", and the edition a wanted book keeps."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from shelfkeeper.api.schemas.common import ApiModel, StrictModel

if TYPE_CHECKING:  # only annotations: the automation stays out of start-up
    from shelfkeeper.automation.catalogue_search import CatalogueHit, CatalogueSearch


class EditionIn(StrictModel):
    """The edition picked from a provider's catalogue; kept in the wanted book's evidence."""

    source: str = Field(min_length=1, max_length=40, description="The provider: google_books, audnexus, openlibrary.")
    source_id: str = Field(min_length=1, max_length=200, description="The book's id at that provider.")
    narrators: list[str] = Field(default_factory=list, max_length=20)
    publisher: str | None = Field(None, max_length=300)
    published_year: int | None = Field(None, ge=1000, le=3000)
    format_type: Literal["unabridged", "abridged", "dramatized"] | None = None
    duration_minutes: int | None = Field(None, ge=0, le=100_000)
    cover_url: str | None = Field(None, max_length=1000, pattern=r"^https?://")


class HoldingRead(ApiModel):
    kind: Literal["owned", "wanted"] = Field(description="owned: the library has it; wanted: it is on the list.")
    id: int = Field(description="The book's id (owned) or the wanted book's id (wanted).")
    detail: str


class CatalogueBookRead(ApiModel):
    source: str
    source_id: str
    sources: list[str] = Field(description="Every provider that gave this book (by ASIN, ISBN or title).")
    title: str
    subtitle: str | None
    authors: list[str]
    narrators: list[str]
    series_name: str | None
    series_position: str | None
    asin: str | None
    isbn: str | None
    publisher: str | None
    published_year: int | None
    release_date: date | None
    language: str | None
    format_type: str | None
    duration_minutes: int | None
    cover_url: str | None
    held: HoldingRead | None = Field(description="Where the book is already; null when it can be wanted.")

    @classmethod
    def of(cls, hit: CatalogueHit) -> CatalogueBookRead:
        c = hit.candidate
        series = c.series[0] if c.series else None
        held = hit.held
        return cls(
            source=c.source,
            source_id=c.source_id,
            sources=list(hit.sources),
            title=c.title,
            subtitle=c.subtitle,
            authors=list(c.authors),
            narrators=list(c.narrators),
            series_name=series.name if series else None,
            series_position=series.sequence if series else None,
            asin=c.asin,
            isbn=c.isbn,
            publisher=c.publisher,
            published_year=c.published_year,
            release_date=c.release_date,
            language=c.language,
            format_type=c.format_type,
            duration_minutes=c.duration_minutes,
            cover_url=c.cover_url,
            held=HoldingRead(kind=held.kind, id=held.id, detail=held.detail) if held else None,
        )


class CatalogueProviderRead(ApiModel):
    provider: str
    status: Literal["ok", "failed", "timed_out"]
    results: int
    error: str | None
    error_code: str | None


class CatalogueSearchRead(ApiModel):
    """Every configured catalogue's answer: the books merged across providers, and how each provider did."""

    query: str
    author: str | None
    results: list[CatalogueBookRead]
    providers: list[CatalogueProviderRead]

    @classmethod
    def of(cls, found: CatalogueSearch) -> CatalogueSearchRead:
        return cls(
            query=found.query,
            author=found.author,
            results=[CatalogueBookRead.of(hit) for hit in found.hits],
            providers=[CatalogueProviderRead.model_validate(p, from_attributes=True) for p in found.providers],
        )
