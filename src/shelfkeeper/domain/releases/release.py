"""A release found on an indexer: one torrent that may hold a wanted book."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

# Newznab standard categories (Release.categories of Prowlarr results) that say what a release is.
NEWZNAB_AUDIOBOOK = 3030  # Audio/Audiobook
NEWZNAB_EBOOK = 7020  # Books/EBook


class ReleaseSource(StrEnum):
    """Where a release was found: through Prowlarr, or on MyAnonamouse directly."""

    PROWLARR = "prowlarr"
    MAM = "mam"


class DownloadProtocol(StrEnum):
    """How a release is downloaded: a torrent (qBittorrent, Transmission, Deluge) or an NZB (NZBGet)."""

    TORRENT = "torrent"
    USENET = "usenet"


@dataclass(frozen=True)
class Release:
    """One search result from Prowlarr or MyAnonamouse, before any parsing or ranking."""

    indexer: str  # indexer name, e.g. "MyAnonamouse" or a Prowlarr indexer's name
    title: str
    guid: str
    source: ReleaseSource = ReleaseSource.PROWLARR
    protocol: DownloadProtocol = DownloadProtocol.TORRENT
    indexer_id: int | None = None
    download_url: str | None = None
    magnet_url: str | None = None
    info_hash: str | None = None
    info_url: str | None = None
    size_bytes: int | None = None
    seeders: int | None = None
    leechers: int | None = None
    grabs: int | None = None
    published_at: datetime | None = None
    categories: tuple[int, ...] = ()
    # What MAM states directly (empty for Prowlarr): authors, narrators, series as (name, position)
    authors: tuple[str, ...] = ()
    narrators: tuple[str, ...] = ()
    series: tuple[tuple[str, str | None], ...] = ()
    file_type: str | None = None  # MAM's filetype ("m4b", "mp3 m4b")
    language: str | None = None
    mam_id: int | None = None
    freeleech: bool = False
    personal_freeleech: bool = False
    vip: bool = False
    extra: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def dedupe_key(self) -> str:
        """The key two indexers' answers for the same torrent share: info hash, else MAM id, else guid."""
        if self.info_hash:
            return f"hash:{self.info_hash.lower()}"
        if self.mam_id is not None:
            return f"mam:{self.mam_id}"
        return f"guid:{self.guid}"
