"""The Audible catalog the fake Audible API and the fake Audnexus share: books, authors, regions, matching."""

from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import dataclass, field
from typing import Any

from shelfkeeper.adapters.audible import AUDIBLE_TLDS

BOOK_DELIVERY_TYPES = ("MultiPartBook", "SinglePartBook")
_WORD = re.compile(r"\w+")


def words(text: str | None) -> list[str]:
    """Lower-case accent-free words, the way a search engine tokenises."""
    if not text:
        return []
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return _WORD.findall(plain)


def all_words_in(wanted: str | None, haystack: list[str]) -> bool:
    """True when every word of ``wanted`` occurs in ``haystack`` (an empty ``wanted`` matches)."""
    have = set(haystack)
    return all(word in have for word in words(wanted))


def _people(raw: Any) -> list[dict[str, str]]:
    """Seed people as plain names or {"name", "asin"} objects; Audible omits a missing asin."""
    people: list[dict[str, str]] = []
    for entry in raw or []:
        person = {"name": entry} if isinstance(entry, str) else {k: v for k, v in entry.items() if v is not None}
        people.append(person)
    return people


def _ladders(raw: Any) -> list[dict[str, Any]]:
    """Category ladders from the seed: [["Genre", "Sub genre"], ...] or Audible's own {"ladder", "root"}."""
    ladders: list[dict[str, Any]] = []
    for entry in raw or []:
        if isinstance(entry, dict):
            ladders.append(entry)
            continue
        names = [entry] if isinstance(entry, str) else list(entry)
        rungs = [{"id": _category_id(name), "name": name} for name in names]
        ladders.append({"ladder": rungs, "root": "Genres"})
    return ladders


def _category_id(name: str) -> str:
    # Audible category ids are 10 to 12 digit strings; a stable one per name keeps genres and tags deduplicated.
    return str(18_000_000_000 + zlib.crc32(name.encode()))


@dataclass
class CatalogBook:
    """One product of the catalog, with Audible's field names."""

    asin: str
    title: str
    authors: list[dict[str, str]] = field(default_factory=list)
    subtitle: str | None = None
    narrators: list[dict[str, str]] = field(default_factory=list)
    series: list[dict[str, str]] = field(default_factory=list)  # [{"asin", "title", "sequence"}]
    publication_name: str | None = None  # the primary series: Audnexus's seriesPrimary is the one named so
    publisher_name: str = "Audible Studios"
    release_date: str | None = "2020-01-07"
    issue_date: str = "2020-01-07"
    runtime_length_min: int | None = 600
    language: str = "english"
    format_type: str = "unabridged"
    content_delivery_type: str | None = "SinglePartBook"
    regions: list[str] = field(default_factory=lambda: list(AUDIBLE_TLDS))
    category_ladders: list[dict[str, Any]] = field(default_factory=list)
    publisher_summary: str | None = None
    merchandising_summary: str | None = None
    isbn: str | None = None
    image_id: str | None = None  # m.media-amazon.com image id; product_images are derived from it
    rating: float = 4.5
    num_ratings: int = 1200
    copyright: str | None = None
    is_adult_product: bool = False
    product_state: str = "AVAILABLE"
    chapters: list[dict[str, Any]] | None = None  # [{"title", "length_ms"}]

    @classmethod
    def from_seed(cls, data: dict[str, Any]) -> CatalogBook:
        values = dict(data)
        values["authors"] = _people(values.get("authors"))
        values["narrators"] = _people(values.get("narrators"))
        values["category_ladders"] = _ladders(values.pop("genres", None) or values.get("category_ladders"))
        series = [_series_entry(entry) for entry in values.get("series") or []]
        values["series"] = series
        if series and not values.get("publication_name"):
            values["publication_name"] = series[0]["title"]
        if values.get("release_date") and "issue_date" not in values:
            values["issue_date"] = values["release_date"]
        return cls(**values)

    def available_in(self, region: str) -> bool:
        return region in self.regions and self.product_state == "AVAILABLE"

    def is_book(self) -> bool:
        return self.content_delivery_type in BOOK_DELIVERY_TYPES

    def image_url(self, size: str | None = None) -> str | None:
        if not self.image_id:
            return None
        suffix = f"._SL{size}_" if size else ""
        return f"https://m.media-amazon.com/images/I/{self.image_id}{suffix}.jpg"

    def searchable_words(self) -> list[str]:
        text = " ".join(
            [self.title, self.subtitle or "", *(p["name"] for p in self.authors), *(p["name"] for p in self.narrators)]
            + [s["title"] for s in self.series]
        )
        return words(text)

    def matches(self, *, title: str | None, author: str | None, narrator: str | None, keywords: str | None) -> bool:
        """Audible's field searches, approximated: every word asked for occurs in that field."""
        return (
            all_words_in(title, words(f"{self.title} {self.subtitle or ''}"))
            and all_words_in(author, words(" ".join(p["name"] for p in self.authors)))
            and all_words_in(narrator, words(" ".join(p["name"] for p in self.narrators)))
            and all_words_in(keywords, self.searchable_words())
        )


def _series_entry(entry: dict[str, Any]) -> dict[str, str]:
    """Seed series as {"title" or "name", "sequence" or "position", "asin"}; Audible omits what is missing."""
    title = entry.get("title") or entry.get("name")
    if not title:
        raise ValueError(f"series needs a title: {entry!r}")
    out = {"title": str(title)}
    sequence = entry.get("sequence", entry.get("position"))
    if sequence is not None:
        out["sequence"] = str(sequence)  # always a string at Audible ("1", "1.5", "Book 2")
    if entry.get("asin"):
        out["asin"] = str(entry["asin"])
    return out


@dataclass
class CatalogAuthor:
    """An author page as Audnexus scrapes it."""

    asin: str
    name: str
    description: str | None = None
    image: str | None = None
    genres: list[dict[str, str]] = field(default_factory=list)  # [{"asin", "name", "type": "genre"}]
    similar: list[dict[str, str]] = field(default_factory=list)
    regions: list[str] = field(default_factory=lambda: list(AUDIBLE_TLDS))

    @classmethod
    def from_seed(cls, data: dict[str, Any]) -> CatalogAuthor:
        values = dict(data)
        values["genres"] = [
            g if isinstance(g, dict) else {"asin": _category_id(g), "name": g, "type": "genre"}
            for g in values.get("genres") or []
        ]
        values["similar"] = _people(values.get("similar"))
        return cls(**values)


class AudibleCatalog:
    """Books and authors by ASIN; one catalog can back a fake Audible and a fake Audnexus at once."""

    def __init__(self) -> None:
        self.books: dict[str, CatalogBook] = {}
        self.authors: dict[str, CatalogAuthor] = {}

    def add_book(self, asin: str, title: str, **fields: Any) -> CatalogBook:
        """Add a product; ``authors`` / ``narrators`` may be plain names, ``genres`` a list of ladders of names."""
        book = CatalogBook.from_seed({"asin": asin, "title": title, **fields})
        self.books[asin] = book
        return book

    def add_author(self, asin: str, name: str, **fields: Any) -> CatalogAuthor:
        author = CatalogAuthor.from_seed({"asin": asin, "name": name, **fields})
        self.authors[asin] = author
        return author

    def seed(self, data: dict[str, Any]) -> None:
        """Load {"books": [{"asin", "title", ...}], "authors": [{"asin", "name", ...}]}."""
        for entry in data.get("books", []):
            self.add_book(**entry)
        for entry in data.get("authors", []):
            self.add_author(**entry)

    def search(
        self,
        region: str,
        *,
        title: str | None = None,
        author: str | None = None,
        narrator: str | None = None,
        keywords: str | None = None,
    ) -> list[CatalogBook]:
        return [
            book
            for book in self.books.values()
            if book.available_in(region)
            and book.matches(title=title, author=author, narrator=narrator, keywords=keywords)
        ]

    def authors_named(self, name: str, limit: int = 25) -> list[CatalogAuthor]:
        """Mongo ``$text`` search: any word matches, the best scored first (Audnexus's author search)."""
        wanted = set(words(name))
        scored = [(len(wanted & set(words(a.name))), a) for a in self.authors.values()]
        ranked = sorted((pair for pair in scored if pair[0] > 0), key=lambda pair: -pair[0])
        return [author for _, author in ranked[:limit]]
