"""Book schemas: BookCreate, BookUpdate, BookRead, BookStats."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from typing_extensions import TypedDict

from shelfkeeper.api.schemas.common import ApiModel, Asin, Isbn, Name, SeriesRefIn, StrictModel, Title
from shelfkeeper.db.tables import Book

MetadataStatusName = Literal["unchecked", "ok", "corrected", "needs_review", "no_match"]


class BookFieldsIn(StrictModel):
    title: Title
    subtitle: str | None = Field(None, max_length=500)
    authors: list[Name] = Field(default_factory=list, max_length=50)
    narrators: list[Name] = Field(default_factory=list, max_length=50)
    series: list[SeriesRefIn] = Field(default_factory=list, max_length=20)
    asin: Asin | None = None
    isbn: Isbn | None = None
    publisher: str | None = Field(None, max_length=300)
    published_year: int | None = Field(None, ge=0, le=2100)
    language: str | None = Field(None, max_length=50)
    genres: list[Name] = Field(default_factory=list, max_length=50)
    description: str | None = Field(None, max_length=100_000)
    duration_seconds: float | None = Field(None, ge=0)
    size_bytes: int | None = Field(None, ge=0)
    format: str | None = Field(None, max_length=20)
    path: str | None = Field(None, max_length=1000)
    has_cover: bool = False
    abs_id: str | None = Field(None, min_length=1, max_length=64)
    library_id: str | None = Field(None, max_length=64)
    metadata_status: MetadataStatusName = "unchecked"
    quality_score: float | None = Field(None, ge=0, le=1)
    in_library: bool = True

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "title": "The Final Empire",
                    "authors": ["Brandon Sanderson"],
                    "narrators": ["Michael Kramer"],
                    "series": [{"name": "Mistborn", "position": "1"}],
                    "asin": "B002UZMLXM",
                    "published_year": 2006,
                    "language": "English",
                    "genres": ["Fantasy"],
                    "duration_seconds": 88020,
                }
            ]
        },
    }


class BookCreate(BookFieldsIn):
    """A book to add by hand (library sync adds the rest)."""


class BookUpdate(BookFieldsIn):
    """The whole book (PUT): fields left out are cleared to their defaults."""


class AuthorRef(ApiModel):
    id: int
    name: str


class SeriesRef(ApiModel):
    id: int
    name: str
    position: str | None


class BookRead(ApiModel):
    id: int
    abs_id: str | None
    library_id: str | None
    title: str
    subtitle: str | None
    authors: list[AuthorRef]
    narrators: list[str]
    series: list[SeriesRef]
    asin: str | None
    isbn: str | None
    publisher: str | None
    published_year: int | None
    language: str | None
    genres: list[str]
    description: str | None
    duration_seconds: float | None
    size_bytes: int | None
    format: str | None
    path: str | None
    has_cover: bool
    metadata_status: str
    quality_score: float | None
    in_library: bool
    removed_at: datetime | None
    metadata_checked_at: datetime | None
    abs_added_at: datetime | None
    abs_updated_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, book: Book) -> BookRead:
        data: dict[str, Any] = {
            name: getattr(book, name) for name in cls.model_fields if name not in ("authors", "narrators", "series")
        }
        data["authors"] = [AuthorRef(id=link.author.id, name=link.author.name) for link in book.author_links]
        data["narrators"] = [link.name for link in book.narrator_links]
        data["series"] = [
            SeriesRef(id=link.series.id, name=link.series.name, position=link.position) for link in book.series_links
        ]
        data["genres"] = list(book.genres or [])
        return cls(**data)


class AuthorRefRow(TypedDict):
    id: int
    name: str


class SeriesRefRow(TypedDict):
    id: int
    name: str
    position: str | None


class BookRow(TypedDict):
    """A listed book as the list query reads it: ``BookRead``'s fields in its order, timestamps already in the API's
    text (services/book_list.py). Only serialised, never validated: the list answers these bytes, which are
    exactly ``BookRead``'s (tests/api/test_book_rows.py); ``BookRead`` stays the documented response model."""

    id: int
    abs_id: str | None
    library_id: str | None
    title: str
    subtitle: str | None
    authors: list[AuthorRefRow]
    narrators: list[str]
    series: list[SeriesRefRow]
    asin: str | None
    isbn: str | None
    publisher: str | None
    published_year: int | None
    language: str | None
    genres: list[str]
    description: str | None
    duration_seconds: float | None
    size_bytes: int | None
    format: str | None
    path: str | None
    has_cover: bool
    metadata_status: str
    quality_score: float | None
    in_library: bool
    removed_at: str | None
    metadata_checked_at: str | None
    abs_added_at: str | None
    abs_updated_at: str | None
    created_at: str
    updated_at: str


class BookStats(ApiModel):
    total: int
    in_library: int
    removed: int
    with_asin: int
    with_isbn: int
    in_series: int
    total_duration_hours: float
    total_size_bytes: int
    by_metadata_status: dict[str, int]
    by_language: dict[str, int]
    authors: int
    series: int


class BookSyncRequest(StrictModel):
    """Body of ``POST /api/books/sync``."""

    full: bool = Field(False, description="Read every item (and notice removals), not only those updated since.")

    model_config = {"extra": "forbid", "json_schema_extra": {"examples": [{"full": True}]}}
