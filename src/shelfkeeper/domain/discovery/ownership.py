"""What the library owns, and how a provider's book is recognised as owned: by identifier, title or position."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from shelfkeeper.domain.library.items import LibraryItem, SeriesRef
from shelfkeeper.domain.names import normalize_author
from shelfkeeper.domain.text import (
    fold,
    normalize_asin,
    normalize_isbn,
    normalize_title,
    parse_position,
    series_key,
    title_position,
)

# Audible data names audiobooks best; MAM titles are torrent names, so they come last.
SOURCE_PREFERENCE = ("audible", "audnexus", "google_books", "openlibrary", "hardcover", "mam")
# A range wider than this is a data error ("1-2019"), not a box set: only its ends count.
_WIDEST_RANGE = 200
_LIST_SEPARATOR = re.compile(r"\s*[,;]\s*")


def source_rank(source: str) -> int:
    """How much a provider's naming is trusted: lower is better; unknown sources come last."""
    return SOURCE_PREFERENCE.index(source) if source in SOURCE_PREFERENCE else len(SOURCE_PREFERENCE)


def wanted_key(title: str, author: str) -> str:
    """The stable de-duplication key of a wanted book: normalised title, "|", normalised author."""
    return f"{normalize_title(title) or fold(title)}|{normalize_author(author)}"


def book_key(title: str, authors: Sequence[str]) -> str:
    """``wanted_key`` with the alphabetically first author, so providers listing co-authors in any order agree."""
    names = sorted((name for name in authors if normalize_author(name)), key=normalize_author)
    return wanted_key(title, names[0] if names else "")


@lru_cache(maxsize=32768)  # keys are computed once per title, not once per comparison
def title_keys(title: str) -> tuple[str, str]:
    """The normalised full title and the normalised main title (before the first ":"); equal without a subtitle."""
    return _title_keys(title)


def _title_keys(title: str) -> tuple[str, str]:
    # Uncached: an ``OwnedIndex`` keeps each title's keys itself, for as long as it lives, and ``title_keys`` has a
    # cache of its own. Nor through ``normalize_title``'s cache: it would hold every title of a library a second time
    # (tens of thousands, each a miss), evicting what its other callers read again.
    full = _normalized_title(title)
    if ":" not in title:
        return full, full
    main_part = title.split(":", 1)[0]
    return full, _normalized_title(main_part) if main_part.strip() else full


_normalized_title = normalize_title.__wrapped__  # ``normalize_title`` past its cache


def identifier_keys(asin: str | None, isbn: str | None) -> list[str]:
    """The identity keys of a book's identifiers, normalised: ``["asin:B0036UC2LO", "isbn:9780765326355"]``."""
    keys = []
    if asin and (value := normalize_asin(asin)):
        keys.append(f"asin:{value}")
    if isbn and (value := normalize_isbn(isbn)):
        keys.append(f"isbn:{value}")
    return keys


def author_keys(names: Iterable[str]) -> tuple[str, ...]:
    """Each name normalised, plus the name without lone initials ("Ursula K. Le Guin" ~ "Ursula Le Guin"), in the
    order the names come (not a set's: the first owned title found must not depend on the process' string hashes)."""
    return _author_keys(tuple(names))


@lru_cache(maxsize=16384)
def _author_keys(names: tuple[str, ...]) -> tuple[str, ...]:
    keys: dict[str, None] = {}
    for name in names:
        strict = normalize_author(name)
        if not strict:
            continue
        keys[strict] = None
        # A lone surname ("Smith" from "J. Smith") would join different people, so keep two words at least.
        loose = [token for token in strict.split() if len(token) > 1]
        if len(loose) >= 2:
            keys[" ".join(loose)] = None
    return tuple(keys)


def label_positions(label: str | None, title: str | None = None) -> frozenset[Decimal]:
    """Every position a label names: "3" -> {3}, "1-3" -> {1, 2, 3}, "01-16, 13.5" -> {1..16, 13.5}, "Book 2" -> {2}.

    A title stating a range ("Books 1-3") widens a single label that lies inside it, as box sets are often
    listed at their first position.
    """
    found = _positions_named(label)
    if not title or len(found) > 1:
        return found
    stated = title_position(title)
    if stated and stated[0] < stated[1] and all(stated[0] <= p <= stated[1] for p in found):
        return found | _expand(*stated)
    return found


@lru_cache(maxsize=4096)  # a library has few distinct labels ("1", "2", "1-3"), each read once
def _positions_named(label: str | None) -> frozenset[Decimal]:
    """The positions a label alone names (``label_positions`` without a title)."""
    ranges: list[tuple[Decimal, Decimal] | None] = []
    if label and label.strip():
        whole = parse_position(label)
        ranges = [whole] if whole else [parse_position(piece) for piece in _LIST_SEPARATOR.split(label)]
    found: set[Decimal] = set()
    for span in ranges:
        if span is not None:
            found.update(_expand(*span))
    return frozenset(found)


def _expand(low: Decimal, high: Decimal) -> set[Decimal]:
    ends = {low, high}
    if high - low > _WIDEST_RANGE:
        return ends
    return ends | {Decimal(n) for n in range(math.ceil(low), math.floor(high) + 1)}


@dataclass(frozen=True)
class OwnedBook:
    """A book the library has, reduced to what decides whether a provider's book is the same one."""

    title: str
    authors: tuple[str, ...] = ()
    asin: str | None = None
    isbn: str | None = None
    series: tuple[SeriesRef, ...] = ()  # its series with their position labels ("2", "1-3", "Book 4", None)
    language: str | None = None

    @classmethod
    def from_item(cls, item: LibraryItem) -> OwnedBook:
        """The owned view of a library server item."""
        return cls(item.title, item.authors, item.asin, item.isbn, item.series, item.language)


class OwnedBy(StrEnum):
    """Why a provider's book counts as already owned."""

    ASIN = "asin"
    ISBN = "isbn"
    TITLE = "title"
    POSITION = "position"


@dataclass(frozen=True)
class OwnedMatch:
    """The owned book a provider's book was recognised as, and by what."""

    by: OwnedBy
    owned_title: str
    detail: str


class OwnedIndex:
    """What the library owns, indexed to answer "is this provider's book owned, and why?"."""

    def __init__(self, owned: Iterable[OwnedBook]) -> None:
        # Each title's keys, computed once for the index's life: the owned titles, then the providers' titles that
        # gap analysis compares (many the same as owned ones). The main title is kept only where it differs from the
        # full one: no tuple per title for the garbage collector to count and walk.
        self._full_keys: dict[str, str] = {}  # title -> normalised full title
        self._main_keys: dict[str, str] = {}  # title -> normalised main title, where not the full title
        self._asins: dict[str, str] = {}
        self._isbns: dict[str, str] = {}
        # "normalised full title|author key" -> owned title (``_pair``: strings, not tuples, for the same reason).
        self._full_titles: dict[str, str] = {}
        self._main_titles: dict[str, str] = {}
        # "normalised title|series key" -> owned title: author-less provider entries are compared within a series.
        self._series_full_titles: dict[str, str] = {}
        self._series_main_titles: dict[str, str] = {}
        self._positions: dict[str, dict[Decimal, str]] = {}  # series key -> position -> owned title
        self._series_authors: dict[str, dict[str, int]] = {}  # series key -> author -> books, in order first seen
        self._authors_in_order: dict[str, tuple[str, ...]] = {}  # series key -> its authors, most frequent first
        self._series_names: dict[str, str] = {}  # series key -> the name as first seen in the library
        self._add_all(owned)

    def title_keys(self, title: str) -> tuple[str, str]:
        """``title_keys(title)``, computed once per title for the life of the index."""
        full = self.full_title_key(title)
        return full, self._main_keys.get(title, full)

    def full_title_key(self, title: str) -> str:
        """``title_keys(title)[0]``, computed once per title for the life of the index."""
        full = self._full_keys.get(title)
        if full is None:
            full, main = _title_keys(title)
            self._full_keys[title] = full
            if main != full:
                self._main_keys[title] = main
        return full

    def _add_all(self, owned: Iterable[OwnedBook]) -> None:
        # One loop over the books with every table bound once: a library has tens of thousands of books, and a method
        # call and a dozen attribute reads per book cost as much as the indexing itself.
        fulls, mains, asins, isbns = self._full_keys, self._main_keys, self._asins, self._isbns
        full_titles, main_titles = self._full_titles, self._main_titles
        series_full_titles, series_main_titles = self._series_full_titles, self._series_main_titles
        all_positions, series_authors, series_names = self._positions, self._series_authors, self._series_names
        for book in owned:
            title = book.title
            if book.asin and (asin := normalize_asin(book.asin)):
                asins.setdefault(asin, title)
            if book.isbn and (isbn := normalize_isbn(book.isbn)):
                isbns.setdefault(isbn, title)
            full = fulls.get(title)
            if full is None:
                full, main = _title_keys(title)
                fulls[title] = full
                if main != full:
                    mains[title] = main
            else:
                main = mains.get(title, full)
            # A main-title table is read only for a key no full title has (``_subtitle_tolerant`` reads the full-title
            # table first), so a book without a subtitle (main == full) never answers from it and is not put in it.
            subtitled = main != full
            for author in author_keys(book.authors):
                full_titles.setdefault(f"{full}|{author}", title)
                if subtitled:
                    main_titles.setdefault(f"{main}|{author}", title)
            for ref in book.series:
                key = series_key(ref.name)
                positions = all_positions.get(key)
                if positions is None:  # the series' first book
                    series_names[key] = ref.name
                    positions = all_positions[key] = {}
                    counts = series_authors[key] = {}
                else:
                    counts = series_authors[key]
                series_full_titles.setdefault(f"{full}|{key}", title)
                if subtitled:
                    series_main_titles.setdefault(f"{main}|{key}", title)
                for position in label_positions(ref.sequence, title):
                    positions.setdefault(position, title)
                for name in book.authors:
                    counts[name] = counts.get(name, 0) + 1

    def positions(self, series_name: str) -> Mapping[Decimal, str]:
        """Owned positions of a series (by its loose name), each with the title of the book that holds it."""
        return self._positions.get(series_key(series_name), {})

    def series_names(self) -> list[str]:
        """Every series the library has a book of, one name per loosely-equal spelling."""
        return list(self._series_names.values())

    def series_authors(self, series_name: str) -> tuple[str, ...]:
        """The authors of the owned books of a series, most frequent first."""
        key = series_key(series_name)
        ordered = self._authors_in_order.get(key)
        if ordered is None:
            counts = self._series_authors.get(key, {})
            # A stable sort: authors with as many books keep the order they were first seen in.
            ordered = self._authors_in_order[key] = tuple(sorted(counts, key=counts.__getitem__, reverse=True))
        return ordered

    def match(
        self, title: str | None, authors: Sequence[str], asin: str | None, isbn: str | None, series: Sequence[str] = ()
    ) -> OwnedMatch | None:
        """The owned book this is, by ASIN, then ISBN, then normalised title and author.

        Without authors the title is only compared within the named series, where it cannot be another writer's.
        """
        if asin and (value := normalize_asin(asin)) and value in self._asins:
            holder = self._asins[value]
            return OwnedMatch(OwnedBy.ASIN, holder, f"ASIN {value} is owned as {holder!r}")
        if isbn and (value := normalize_isbn(isbn)) and value in self._isbns:
            holder = self._isbns[value]
            return OwnedMatch(OwnedBy.ISBN, holder, f"ISBN {value} is owned as {holder!r}")
        if not title:
            return None
        owned = self._title_match(title, authors, series)
        if owned is None:
            return None
        how = "by the same author" if authors else "in the same series"
        return OwnedMatch(OwnedBy.TITLE, owned, f"title {title!r} {how} is owned as {owned!r}")

    def _title_match(self, title: str, authors: Sequence[str], series: Sequence[str]) -> str | None:
        full, main = self.title_keys(title)
        for author in author_keys(authors):
            found = _subtitle_tolerant(full, main, self._full_titles, self._main_titles, author)
            if found is not None:
                return found
        if authors:
            return None
        for name in series:
            key = series_key(name)
            found = _subtitle_tolerant(full, main, self._series_full_titles, self._series_main_titles, key)
            if found is not None:
                return found
        return None

    def covering(self, refs: Sequence[SeriesRef], title: str | None = None) -> OwnedMatch | None:
        """The owned book(s) holding every position a book claims in one of its series, if all are owned."""
        for ref in refs:
            wanted = label_positions(ref.sequence, title)
            owned = self.positions(ref.name)
            if wanted and all(position in owned for position in wanted):
                holders = sorted({owned[position] for position in wanted})
                detail = f"{ref.name} #{ref.sequence} is owned as {', '.join(repr(h) for h in holders)}"
                return OwnedMatch(OwnedBy.POSITION, holders[0], detail)
        return None


def _subtitle_tolerant(
    full: str, main: str, full_titles: Mapping[str, str], main_titles: Mapping[str, str], by: str
) -> str | None:
    # A subtitle on either side must not hide the book ("Elantris: Tenth Anniversary Edition" ~ "Elantris"), but two
    # different subtitles of one main title ("Star Wars: Thrawn", "Star Wars: Bloodline") stay different books.
    # The tables' keys are "title|by": a normalised title has no "|" (folding turns it into a space), so each key
    # names one (title, by) pair.
    pair = f"{full}|{by}"
    found = full_titles.get(pair)
    if found is None and main != full:
        found = full_titles.get(f"{main}|{by}")
    if found is None:
        found = main_titles.get(pair)
    return found
