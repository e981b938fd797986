"""Records and renderers of the fake Prowlarr: indexers, releases, v1 JSON, Torznab XML, .torrent bytes."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape, quoteattr

from shelfkeeper.domain.text import fold
from shelfkeeper.domain.torrents.files import BencodeError, BencodeInput, bencode, info_hash
from shelfkeeper.testing.nzbget import make_nzb

# Newznab standard categories Prowlarr knows (src/NzbDrone.Core/Indexers/NewznabStandardCategory.cs), the book part.
STANDARD_CATEGORIES = {
    3000: "Audio",
    3030: "Audio/Audiobook",
    3040: "Audio/Lossless",
    7000: "Books",
    7010: "Books/Mags",
    7020: "Books/EBook",
    7030: "Books/Comics",
    7040: "Books/Technical",
    7050: "Books/Other",
    7060: "Books/Foreign",
}
# Indexer-specific ids are 100000 + the tracker's own category id (MAM 41 -> 100041).
TRACKER_CATEGORY_NAMES = {
    100039: "Audiobooks - Action/Adventure",
    100040: "Audiobooks - Crime/Thriller",
    100041: "Audiobooks - Fantasy",
    100042: "Audiobooks - General Fiction",
    100047: "Audiobooks - Science Fiction",
    100087: "Audiobooks - Mystery",
}
_BOOK_TOKEN = re.compile(r"\{(author|title|publisher|year|genre):([^}]*)\}", re.IGNORECASE)


def synthetic_torrent(name: str, size: int, *, announce: str = "http://127.0.0.1:1/announce") -> tuple[bytes, str]:
    """A well-formed single-file private .torrent (piece hashes made up) and its info hash."""
    piece_length = 1 << 18
    while size / piece_length > 2000:
        piece_length <<= 1
    count = max(1, -(-size // piece_length))
    pieces = b"".join(hashlib.sha1(f"{name}:{i}".encode(), usedforsecurity=False).digest() for i in range(count))
    info: dict[str, BencodeInput] = {
        "name": name,
        "length": size,
        "piece length": piece_length,
        "pieces": pieces,
        "private": 1,
    }
    torrent = bencode({"announce": announce, "created by": "shelfkeeper fake", "info": info})
    return torrent, info_hash(torrent)


@dataclass
class FakeIndexer:
    id: int
    name: str
    enable: bool = True
    protocol: str = "torrent"
    privacy: str = "private"
    redirect: bool = False  # download answers 301 to the tracker URL instead of proxying the file
    definition_name: str = "MyAnonamouse"
    categories: list[int] = field(default_factory=lambda: [3030, 7020])
    blocked_seconds: int | None = None  # indexer in back-off: Torznab 429, skipped by /api/v1/search

    def resource(self) -> dict[str, Any]:
        cats = [category_resource(c) for c in self.categories]
        return {
            "id": self.id,
            "name": self.name,
            "fields": [{"order": 0, "name": "baseUrl", "label": "Base Url", "type": "select", "advanced": False}],
            "implementationName": "Cardigann" if self.definition_name != "MyAnonamouse" else "MyAnonamouse",
            "implementation": self.definition_name,
            "configContract": f"{self.definition_name}Settings",
            "tags": [],
            "indexerUrls": ["https://tracker.invalid/"],
            "legacyUrls": [],
            "definitionName": self.definition_name,
            "language": "en-US",
            "enable": self.enable,
            "redirect": self.redirect,
            "supportsRss": True,
            "supportsSearch": True,
            "supportsRedirect": True,
            "supportsPagination": True,
            "appProfileId": 1,
            "protocol": self.protocol,
            "privacy": self.privacy,
            "capabilities": {
                "limitsMax": 100,
                "limitsDefault": 100,
                "categories": cats,
                "supportsRawSearch": False,
                "searchParams": ["q"],
                "tvSearchParams": [],
                "movieSearchParams": [],
                "musicSearchParams": [],
                "bookSearchParams": ["q"],
            },
            "priority": 25,
            "added": "2026-01-02T03:04:05Z",
            "sortName": self.name.lower(),
        }


@dataclass
class FakeRelease:
    title: str
    indexer_id: int
    size: int = 500_000_000
    seeders: int | None = 10
    leechers: int | None = 0
    grabs: int | None = None
    files: int | None = None
    categories: list[int] = field(default_factory=lambda: [3030])
    publish_date: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    guid: str | None = None
    info_url: str | None = None
    torrent: bytes | None = None  # None with a magnet: the download answers 301 to the magnet
    nzb: bytes | None = None  # a usenet release (an indexer with protocol "usenet"): the NZB its download serves
    info_hash: str | None = None
    magnet: str | None = None
    expose_info_hash: bool = True  # private trackers often give no infoHash in the v1 JSON
    expose_magnet: bool = False  # magnetUrl (as a proxy link) in search results
    indexer_flags: list[str] = field(default_factory=list)
    author: str | None = None  # Torznab-only attributes
    book_title: str | None = None
    download_volume_factor: float = 1.0
    unavailable: bool = False  # the tracker no longer has it: download answers 410
    key: str = ""  # set by the fake: the opaque id inside proxy links

    def __post_init__(self) -> None:
        if self.nzb is not None:  # usenet: no torrent, no swarm
            self.seeders = self.leechers = None
            self.info_hash = None
        elif self.torrent is None and self.magnet is None:
            self.torrent, computed = synthetic_torrent(self.title, self.size)
            self.info_hash = self.info_hash or computed
        elif self.torrent is not None and self.info_hash is None:
            with contextlib.suppress(BencodeError):
                self.info_hash = info_hash(self.torrent)
        if self.download_volume_factor == 0 and "freeleech" not in self.indexer_flags:
            self.indexer_flags.append("freeleech")  # what IndexerBase does


def synthetic_nzb(title: str, size: int) -> bytes:
    """A well-formed NZB of about ``size`` bytes in 768 KB articles (message ids that exist nowhere)."""
    name = re.sub(r"[^A-Za-z0-9]+", ".", title).strip(".") or "release"
    segment = 768_000
    return make_nzb(name, files=1, segments=max(1, min(size // segment, 4000)), segment_bytes=segment)


def category_resource(category_id: int) -> dict[str, Any]:
    name = STANDARD_CATEGORIES.get(category_id) or TRACKER_CATEGORY_NAMES.get(category_id, "Custom")
    return {"id": category_id, "name": name, "subCategories": []}


def split_book_query(query: str) -> tuple[str, dict[str, str]]:
    """`{author:X}{title:Y} rest` -> ("rest", {"author": "X", "title": "Y"}) as NewznabRequest's BookRegex does."""
    tokens = {m.group(1).lower(): m.group(2).strip() for m in _BOOK_TOKEN.finditer(query)}
    return _BOOK_TOKEN.sub(" ", query).strip(), tokens


def matches_words(text: str, wanted: list[str]) -> bool:
    """Every folded word of ``wanted`` occurs as a word of ``text``: a rough stand-in for tracker search."""
    have = set(fold(text).split())
    return all(word in have for phrase in wanted for word in fold(phrase).split())


def matches_categories(release: FakeRelease, wanted: list[int]) -> bool:
    if not wanted:
        return True
    for asked in wanted:
        for own in release.categories:
            if own == asked or (asked % 1000 == 0 and own < 100000 and own // 1000 == asked // 1000):
                return True
    return False


def proxy_link(base: str, release: FakeRelease, api_key: str, *, magnet: bool = False) -> str:
    """Prowlarr's download proxy link: /{indexerId}/download?apikey=..&link=<opaque>&file=<title>."""
    kind = "magnet" if magnet else "file"
    link = base64.urlsafe_b64encode(f"{kind}:{release.key}".encode()).decode().rstrip("=")
    query = urlencode({"apikey": api_key, "link": link, "file": release.title})
    return f"{base}/{release.indexer_id}/download?{query}"


def parse_link(link: str) -> tuple[str, str] | None:
    """The (kind, release key) inside a proxy link's ``link`` value, None when it is not ours."""
    try:
        raw = base64.urlsafe_b64decode(link + "=" * (-len(link) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    kind, _, key = raw.partition(":")
    return (kind, key) if kind in ("file", "magnet") and key else None


def _age(published: datetime, now: datetime) -> dict[str, Any]:
    seconds = max(0.0, (now - published).total_seconds())
    return {"age": int(seconds // 86400), "ageHours": seconds / 3600, "ageMinutes": seconds / 60}


def release_resource(release: FakeRelease, indexer: FakeIndexer, base: str, api_key: str) -> dict[str, Any]:
    """A ReleaseResource as System.Text.Json writes it: camelCase, null properties left out."""
    now = datetime.now(UTC)
    resource: dict[str, Any] = {
        "id": 0,
        "guid": release.guid,
        **_age(release.publish_date, now),
        "size": release.size,
        "files": release.files,
        "grabs": release.grabs,
        "indexerId": indexer.id,
        "indexer": indexer.name,
        "title": release.title,
        "sortTitle": fold(release.title),
        "imdbId": 0,
        "tmdbId": 0,
        "tvdbId": 0,
        "tvMazeId": 0,
        "publishDate": release.publish_date.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "infoUrl": release.info_url,
        "downloadUrl": proxy_link(base, release, api_key) if release.torrent or release.magnet or release.nzb else None,
        "magnetUrl": proxy_link(base, release, api_key, magnet=True) if release.expose_magnet else None,
        "infoHash": release.info_hash if release.expose_info_hash else None,
        "seeders": release.seeders,
        "leechers": release.leechers,
        "protocol": indexer.protocol,
        "fileName": f"{release.title}.nzb" if release.nzb is not None else f"{release.title}.torrent",
        "indexerFlags": list(release.indexer_flags),
        "categories": [category_resource(c) for c in release.categories],
    }
    return {k: v for k, v in resource.items() if v is not None}


def error_xml(code: int, description: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<error code="{code}" description={quoteattr(description)} />'


def caps_xml(indexer: FakeIndexer) -> str:
    cats = "".join(f'<category id="{c}" name={quoteattr(category_resource(c)["name"])} />' for c in indexer.categories)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<caps><server title="Prowlarr" />'
        '<limits default="100" max="100" /><searching>'
        '<search available="yes" supportedParams="q" /><book-search available="yes" supportedParams="q" />'
        f"</searching><categories>{cats}</categories></caps>"
    )


def rss_xml(releases: list[FakeRelease], indexer: FakeIndexer, base: str, api_key: str) -> str:
    items = "".join(_rss_item(r, indexer, base, api_key) for r in releases)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:torznab="http://torznab.com/schemas/2015/feed"><channel>'
        f"<title>{escape(indexer.name)}</title><description>{escape(indexer.name)} Feed</description>{items}"
        "</channel></rss>"
    )


def _rss_item(release: FakeRelease, indexer: FakeIndexer, base: str, api_key: str) -> str:
    link = escape(proxy_link(base, release, api_key))
    attrs: list[tuple[str, object]] = [("category", c) for c in release.categories]
    attrs += [("seeders", release.seeders), ("peers", _peers(release)), ("grabs", release.grabs)]
    attrs += [("files", release.files), ("infohash", release.info_hash if release.expose_info_hash else None)]
    attrs += [("author", release.author), ("booktitle", release.book_title)]
    attrs += [("downloadvolumefactor", release.download_volume_factor), ("uploadvolumefactor", 1)]
    attrs += [("tag", flag) for flag in release.indexer_flags]
    torznab = "".join(
        f"<torznab:attr name={quoteattr(n)} value={quoteattr(str(v))} />" for n, v in attrs if v is not None
    )
    cats = "".join(f"<category>{c}</category>" for c in release.categories)
    return (
        f"<item><title>{escape(release.title)}</title><guid>{escape(release.guid or '')}</guid>"
        f'<prowlarrindexer id="{indexer.id}" type="{indexer.privacy}">{escape(indexer.name)}</prowlarrindexer>'
        f"<comments>{escape(release.info_url or '')}</comments>"
        f"<pubDate>{format_datetime(release.publish_date)}</pubDate><size>{release.size}</size>"
        f"<link>{link}</link>{cats}"
        f'<enclosure url="{link}" length="{release.size}" type="application/x-bittorrent" />{torznab}</item>'
    )


def _peers(release: FakeRelease) -> int | None:
    if release.seeders is None:
        return None
    return release.seeders + (release.leechers or 0)
