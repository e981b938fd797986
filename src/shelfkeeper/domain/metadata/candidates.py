"""What a metadata provider proposes for a book: a candidate to match, merge or list as missing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from shelfkeeper.domain.library.items import SeriesRef


@dataclass(frozen=True)
class BookCandidate:
    """One book as a provider (Google Books, Audnexus/Audible, Open Library, MAM) describes it."""

    source: str  # "google_books", "audnexus", "audible", "openlibrary", "mam"
    source_id: str
    title: str
    subtitle: str | None = None
    authors: tuple[str, ...] = ()
    narrators: tuple[str, ...] = ()
    series: tuple[SeriesRef, ...] = ()
    asin: str | None = None
    isbn: str | None = None
    publisher: str | None = None
    published_year: int | None = None
    release_date: date | None = None
    language: str | None = None
    genres: tuple[str, ...] = ()
    description: str | None = None
    duration_minutes: int | None = None
    cover_url: str | None = None
    format_type: str | None = None  # "unabridged", "abridged", "dramatized" when the provider says
    extra: dict[str, object] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class AuthorProfile:
    """An author as a provider describes them."""

    source: str
    source_id: str  # e.g. the Audible author ASIN
    name: str
    description: str | None = None
    image_url: str | None = None
    genres: tuple[str, ...] = ()
