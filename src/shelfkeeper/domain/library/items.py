"""What the library server (Audiobookshelf) knows about its libraries and book items."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class SeriesRef:
    """A book's membership of a series; ``sequence`` is kept as the server's text ("1.5", "1-3")."""

    name: str
    sequence: str | None = None
    series_id: str | None = None


class MediaType(StrEnum):
    """What a library server's library holds; Shelfkeeper keeps only book libraries."""

    BOOK = "book"
    PODCAST = "podcast"


@dataclass(frozen=True)
class Library:
    id: str
    name: str
    media_type: str  # a MediaType value ("book", "podcast"), or whatever else the server says
    folders: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)  # slots: a sync holds a few pages of them, 500 items each
class LibraryItem:
    """One book item of a library, as the library server describes it."""

    id: str
    library_id: str
    title: str
    subtitle: str | None = None
    authors: tuple[str, ...] = ()
    narrators: tuple[str, ...] = ()
    series: tuple[SeriesRef, ...] = ()
    asin: str | None = None
    isbn: str | None = None
    publisher: str | None = None
    published_year: int | None = None
    language: str | None = None
    genres: tuple[str, ...] = ()
    description: str | None = None
    duration_seconds: float | None = None
    size_bytes: int | None = None
    path: str | None = None
    has_cover: bool = False
    is_missing: bool = False
    added_at: datetime | None = None
    updated_at: datetime | None = None
    # True when authors/series were parsed from the minified list form (series without sequences).
    minified: bool = False
    # False when the list form's joined author names could not be split exactly (read the item expanded).
    authors_exact: bool = True
    # The first audio file's extension ("m4b", "mp3"); only a single item (not the list) carries audio files.
    audio_format: str | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class LibraryPage:
    items: tuple[LibraryItem, ...]
    total: int
    page: int
    limit: int
    # The page's items an ``updated_since`` left out, as (id, updatedAt) only: not read any further.
    older: tuple[tuple[str, datetime], ...] = ()


@dataclass(frozen=True)
class LibrarySeries:
    """A series of a library with its books: (item id, sequence) in the order the server lists them."""

    id: str
    name: str
    members: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True)
class SeriesPage:
    series: tuple[LibrarySeries, ...]
    total: int
    page: int
    limit: int


@dataclass(frozen=True)
class MetadataUpdate:
    """Fields to write back to the library server; ``None`` means leave the field alone."""

    title: str | None = None
    subtitle: str | None = None
    authors: tuple[str, ...] | None = None
    narrators: tuple[str, ...] | None = None
    series: tuple[SeriesRef, ...] | None = None
    asin: str | None = None
    isbn: str | None = None
    publisher: str | None = None
    published_year: int | None = None
    language: str | None = None
    genres: tuple[str, ...] | None = None
    description: str | None = None


@dataclass(frozen=True)
class LibraryAccount:
    """The library server's user Shelfkeeper acts as, and what it may do."""

    username: str
    user_type: str  # root, admin, user, guest
    can_update: bool  # edit item metadata
    can_scan: bool  # start a library scan (administrators only)
