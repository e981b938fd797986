"""Protocols the use cases depend on; one adapter per outside service implements each."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from shelfkeeper.domain.events import Event, NotifyTarget
from shelfkeeper.domain.library.audio import AudioFileFacts, AudioReport
from shelfkeeper.domain.library.items import (
    Library,
    LibraryAccount,
    LibraryItem,
    LibraryPage,
    MetadataUpdate,
    SeriesPage,
)
from shelfkeeper.domain.library.m4b import MergePlan
from shelfkeeper.domain.metadata.candidates import AuthorProfile, BookCandidate
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.tracker import BonusAnswer, TrackerStats
from shelfkeeper.domain.torrents.status import AddTorrent, TorrentInfo


@dataclass(frozen=True)
class ConnectionReport:
    """The answer of a "test connection": what the system/integrations endpoint shows."""

    service: str
    configured: bool
    reachable: bool
    auth_ok: bool | None
    version: str | None = None
    error: str | None = None
    error_code: str | None = None


@dataclass(frozen=True)
class CoverImage:
    """A book's cover as the library server sends it: the image's bytes and its media type (image/...)."""

    content: bytes
    media_type: str


@dataclass(frozen=True)
class BookQuery:
    """What to look for at an indexer or a metadata source."""

    title: str | None = None
    author: str | None = None
    narrator: str | None = None
    series: str | None = None
    isbn: str | None = None
    asin: str | None = None
    language: str | None = None


@runtime_checkable
class Testable(Protocol):
    async def test_connection(self) -> ConnectionReport:
        """Check reachability, version and credentials without raising."""
        ...


class LibraryServer(Testable, Protocol):
    """The library server the books live in (Audiobookshelf)."""

    async def libraries(self) -> list[Library]: ...

    async def account(self) -> LibraryAccount:
        """The user the token belongs to and its permissions."""
        ...

    async def items_page(
        self, library_id: str, page: int, limit: int, *, updated_since: datetime | None = None
    ) -> LibraryPage:
        """One page of book items (minified: series without sequences); those not changed since
        ``updated_since`` only as ids and times (``LibraryPage.older``)."""
        ...

    async def all_items(self, library_id: str, *, updated_since: datetime | None = None) -> list[LibraryItem]:
        """Every item of a library (those changed since ``updated_since`` when given), page by page."""
        ...

    async def items_in_series(self, library_id: str, series_id: str) -> list[LibraryItem]:
        """A series' items, ordered by their place in it."""
        ...

    async def item(self, item_id: str) -> LibraryItem:
        """One item, expanded: authors, narrators, series with sequences."""
        ...

    async def series_page(self, library_id: str, page: int, limit: int) -> SeriesPage:
        """One page of the library's series, each with its books' item ids and sequences."""
        ...

    async def items_batch(self, item_ids: Sequence[str]) -> list[LibraryItem]:
        """Several items expanded at once (with their audio format); ids the server does not know are left out."""
        ...

    async def update_metadata(self, item_id: str, update: MetadataUpdate) -> LibraryItem:
        """Set the fields ``update`` holds (None leaves a field alone)."""
        ...

    async def clear_metadata(self, item_id: str, fields: Collection[str]) -> None:
        """Empty the named fields of the item (MetadataUpdate's names: ``published_year``, ``series``...)."""
        ...

    async def scan_library(self, library_id: str) -> None:
        """Ask for a scan; the server answers at once and scans in the background."""
        ...

    async def cover(self, item_id: str) -> CoverImage | None:
        """The item's cover image (small enough for a list), or None when it has none."""
        ...


class DownloadClient(Testable, Protocol):
    """The download client: takes torrents, reports their state, pauses, resumes and removes them."""

    async def add(self, torrent: AddTorrent) -> str:
        """Add a torrent; returns its info hash (computed when the client does not say)."""
        ...

    async def info(
        self, *, hashes: Sequence[str] | None = None, tag: str | None = None, category: str | None = None
    ) -> list[TorrentInfo]: ...

    async def pause(self, hashes: Sequence[str]) -> None: ...

    async def resume(self, hashes: Sequence[str]) -> None: ...

    async def delete(self, hashes: Sequence[str], *, delete_files: bool) -> None: ...

    async def ensure_category(self, name: str, save_path: str | None = None) -> None: ...


class Indexer(Testable, Protocol):
    """Prowlarr or MyAnonamouse: finds releases."""

    @property
    def name(self) -> str: ...

    async def search(self, query: BookQuery, *, limit: int = 100) -> list[Release]: ...

    async def fetch_download(self, release: Release) -> AddTorrent:
        """What to hand the download client for a release: the .torrent file's bytes, or a magnet link."""
        ...


class TrackerAccount(Protocol):
    """A private tracker's account side (MyAnonamouse): stats, the day's requests left, and the bonus store.

    A purchase MAM refuses is an answer with ``success`` false and MAM's words, not an error; a purchase is
    never retried by itself.
    """

    async def user_stats(self) -> TrackerStats: ...

    async def budget_left(self) -> int | None:
        """Requests left today under the daily cap; None when there is no cap."""
        ...

    async def apply_wedge(self, torrent_id: int) -> BonusAnswer:
        """Spend one freeleech wedge on a torrent (personal freeleech): do it before the torrent is downloaded."""
        ...

    async def buy_wedge_with_points(self) -> BonusAnswer:
        """Buy one freeleech wedge with bonus points."""
        ...

    async def buy_upload(self, amount_gb: float) -> BonusAnswer:
        """Buy ``amount_gb`` GB of upload credit with bonus points."""
        ...


class PrivateTracker(Indexer, TrackerAccount, Protocol):
    """MyAnonamouse: an indexer with an account, and most-snatched lists per category."""

    async def top_snatched(self, category_id: int | None, start: date, end: date, limit: int) -> list[Release]:
        """The most snatched audiobooks added in [start, end) in a category (None: all of them)."""
        ...


class MetadataSource(Testable, Protocol):
    """Google Books, Audnexus/Audible, Open Library."""

    @property
    def name(self) -> str: ...

    async def search(self, query: BookQuery, *, limit: int = 10) -> list[BookCandidate]: ...

    async def by_id(self, identifier: str) -> BookCandidate | None:
        """A book by the provider's id (ASIN for Audnexus, ISBN/volume id otherwise)."""
        ...


class AuthorCatalogSource(Protocol):
    """A provider that can list an author's books."""

    @property
    def name(self) -> str: ...

    async def author_books(self, author: str, *, author_id: str | None = None) -> list[BookCandidate]: ...

    async def find_author(self, name: str) -> AuthorProfile | None: ...


class BookCatalog(MetadataSource, AuthorCatalogSource, Protocol):
    """A source of books and authors (Google Books, Open Library): searched, read by id, listed by author."""


class AudiobookCatalog(BookCatalog, Protocol):
    """A store's audiobook catalogue in one region (Audible): also answers a search with bare ASINs."""

    @property
    def region(self) -> str: ...

    async def search_asins(self, query: BookQuery, *, limit: int = 10) -> list[str]:
        """The ASINs of the best matches (a light answer: each is described by an AsinDirectory)."""
        ...


class AsinDirectory(BookCatalog, Protocol):
    """Books and authors by their Audible ASIN, in one region (Audnexus)."""

    @property
    def region(self) -> str: ...

    async def author(self, asin: str) -> AuthorProfile | None:
        """The author with this ASIN."""
        ...


class Notifier(Protocol):
    """Sends one event to one notification target (Apprise, or a plain JSON webhook)."""

    async def send(self, target: NotifyTarget, event: Event) -> None:
        """Deliver or raise a ``ServiceError`` saying why not; never retries by itself."""
        ...


class AudioInspector(Protocol):
    """Reads a download's audio files: length, bitrate, codec, chapters, tags, and whether each is whole."""

    async def inspect(self, root: str, files: Sequence[str]) -> AudioReport:
        """The facts of ``files`` (paths relative to ``root``, in play order); a bad file is a fact, never raised."""
        ...

    async def inspect_file(self, path: str) -> AudioFileFacts:
        """One file's facts (a merged M4B checked before it is kept)."""
        ...


class AudioMerger(Protocol):
    """Writes a book's MP3 files as one M4B with chapters and tags (ffmpeg)."""

    def unavailable(self) -> str | None:
        """Why no merge can be made here (ffmpeg not installed), or None."""
        ...

    async def merge(self, root: str, plan: MergePlan, target: str) -> None:
        """Write the merged M4B at ``target`` (a temporary name the caller renames); ``MergeFailed`` if it fails.

        The sources are read, never changed."""
        ...


class MergeFailed(Exception):
    """A merge that could not be written; the message says why (ffmpeg's last words)."""
