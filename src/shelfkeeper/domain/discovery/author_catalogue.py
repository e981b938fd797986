"""Author catalogues: provider books merged into works and checked against what the library owns, with reasons."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from shelfkeeper.domain.discovery.ownership import (
    OwnedBook,
    OwnedBy,
    OwnedIndex,
    OwnedMatch,
    author_keys,
    book_key,
    identifier_keys,
    label_positions,
    source_rank,
    title_keys,
    wanted_key,
)
from shelfkeeper.domain.library.items import SeriesRef
from shelfkeeper.domain.metadata.candidates import BookCandidate
from shelfkeeper.domain.metadata.editions import Edition, edition_of
from shelfkeeper.domain.text import normalize_asin, normalize_isbn, normalize_language, normalize_title, series_key

__all__ = [
    "CatalogueBook",
    "CatalogueResult",
    "Exclusion",
    "ExclusionReason",
    "OwnedBook",
    "OwnedIndex",
    "merge_catalogue",
    "wanted_key",
]


class ExclusionReason(StrEnum):
    """Why a provider's book is not in the catalogue result."""

    OWNED_BY_ASIN = "owned_by_asin"
    OWNED_BY_ISBN = "owned_by_isbn"
    OWNED_BY_TITLE = "owned_by_title"
    OWNED_BY_POSITION = "owned_by_position"
    OTHER_LANGUAGE = "other_language"
    NOT_BY_AUTHOR = "not_by_author"


_OWNED_REASONS = {
    OwnedBy.ASIN: ExclusionReason.OWNED_BY_ASIN,
    OwnedBy.ISBN: ExclusionReason.OWNED_BY_ISBN,
    OwnedBy.TITLE: ExclusionReason.OWNED_BY_TITLE,
    OwnedBy.POSITION: ExclusionReason.OWNED_BY_POSITION,
}


@dataclass(frozen=True)
class Exclusion:
    """A provider's book (or merged work) left out of the catalogue, and why."""

    title: str
    authors: tuple[str, ...]
    reason: ExclusionReason
    detail: str
    sources: tuple[str, ...]  # "audible:B0036UC2LO", "google_books:zyTCAlFPjgYC"


@dataclass(frozen=True)
class CatalogueBook:
    """One work of the author the library lacks, its editions merged; ``evidence`` lists every edition seen."""

    title: str
    authors: tuple[str, ...]
    asins: tuple[str, ...]
    isbns: tuple[str, ...]
    series: tuple[SeriesRef, ...]
    language: str | None
    release_date: date | None
    published_year: int | None
    upcoming: bool
    collection: bool  # box set, omnibus or collection: kept apart from single books
    dramatized: bool  # every known edition is a dramatized adaptation
    abridged: bool  # every known edition is abridged
    sources: tuple[str, ...]
    subtitle: str | None = None
    evidence: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def asin(self) -> str | None:
        """The ASIN of the preferred edition."""
        return self.asins[0] if self.asins else None

    @property
    def key(self) -> str:
        """The wanted-list de-duplication key (see ``wanted_key``)."""
        return book_key(self.title, self.authors)


@dataclass(frozen=True)
class CatalogueResult:
    """The author's books the library lacks (singles and collections apart) and every exclusion with its reason."""

    books: tuple[CatalogueBook, ...]
    collections: tuple[CatalogueBook, ...]
    excluded: tuple[Exclusion, ...]


@dataclass(frozen=True)
class _Edition:
    candidate: BookCandidate
    markers: frozenset[Edition]
    collection: bool

    @property
    def label(self) -> str:
        return f"{self.candidate.source}:{self.candidate.source_id}"

    @property
    def rank(self) -> tuple[int, int, int]:
        # A plain single unabridged edition from the most trusted source names the work best.
        return (len(self.markers - {Edition.OMNIBUS}), source_rank(self.candidate.source), len(self.candidate.title))


def merge_catalogue(
    candidates: Sequence[BookCandidate],
    owned: Sequence[OwnedBook] | OwnedIndex,
    *,
    languages: Collection[str],
    today: date,
    author_names: Collection[str] = (),
) -> CatalogueResult:
    """An author's catalogue from several providers: editions merged, owned, foreign and other authors' books out.

    ``languages`` empty keeps every language; ``author_names`` (the author and pen names) empty keeps every author.
    A book of unknown language is kept. Future releases stay, flagged ``upcoming``.
    """
    index = owned if isinstance(owned, OwnedIndex) else OwnedIndex(owned)
    excluded: list[Exclusion] = []
    kept = [edition for edition in (_screen(c, languages, author_names, excluded) for c in candidates) if edition]
    books: list[CatalogueBook] = []
    for work in _group_editions(kept):
        owned_by = _owned(work, index)
        if owned_by is not None:
            best = min(work, key=lambda e: e.rank).candidate
            reason = _OWNED_REASONS[owned_by.by]
            excluded.append(Exclusion(best.title, best.authors, reason, owned_by.detail, _labels(work)))
        else:
            books.append(_catalogue_book(work, today))
    books.sort(key=lambda b: (b.release_date or date.max, normalize_title(b.title)))
    return CatalogueResult(
        books=tuple(b for b in books if not b.collection),
        collections=tuple(b for b in books if b.collection),
        excluded=tuple(excluded),
    )


def _screen(
    candidate: BookCandidate, languages: Collection[str], author_names: Collection[str], excluded: list[Exclusion]
) -> _Edition | None:
    source = (f"{candidate.source}:{candidate.source_id}",)
    wanted_authors = author_keys(author_names)
    if wanted_authors and set(wanted_authors).isdisjoint(author_keys(candidate.authors)):
        by = ", ".join(candidate.authors) or "no author given"
        detail = f"by {by}, not {', '.join(author_names)}"
        excluded.append(Exclusion(candidate.title, candidate.authors, ExclusionReason.NOT_BY_AUTHOR, detail, source))
        return None
    allowed = {code for code in (normalize_language(lang) for lang in languages) if code}
    language = normalize_language(candidate.language)
    if allowed and language and language not in allowed:
        detail = f"language {language} is not one of {', '.join(sorted(allowed))}"
        excluded.append(Exclusion(candidate.title, candidate.authors, ExclusionReason.OTHER_LANGUAGE, detail, source))
        return None
    markers = edition_of(candidate.title, candidate.subtitle, candidate.format_type, candidate.narrators)
    spans = any(len(label_positions(ref.sequence)) > 1 for ref in candidate.series)
    return _Edition(candidate, markers, Edition.OMNIBUS in markers or spans)


def _group_editions(editions: Sequence[_Edition]) -> list[list[_Edition]]:
    """Editions of one work together: same ASIN or ISBN, or same normalised title and author (never set with single)."""
    parent = list(range(len(editions)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, edition in enumerate(editions):
        for key in _identity_keys(edition, main_title=False):
            parent[root(i)] = root(first.setdefault(key, i))
    # "Elantris: Tenth Anniversary Edition" joins "Elantris", but two subtitles of one main title do not join.
    for i, edition in enumerate(editions):
        for key in _identity_keys(edition, main_title=True):
            if key in first:
                parent[root(i)] = root(first[key])
    groups: dict[int, list[_Edition]] = {}
    for i, edition in enumerate(editions):
        groups.setdefault(root(i), []).append(edition)
    return list(groups.values())


def _identity_keys(edition: _Edition, *, main_title: bool) -> list[str]:
    candidate = edition.candidate
    full, main = title_keys(candidate.title)
    if main_title:
        titles = [main] if main != full else []
        keys = []
    else:
        titles = [full]
        keys = identifier_keys(candidate.asin, candidate.isbn)
    kind = "set" if edition.collection else "single"
    keys += [f"{kind}:{title}|{author}" for title in titles for author in author_keys(candidate.authors)]
    return keys


def _owned(work: Sequence[_Edition], index: OwnedIndex) -> OwnedMatch | None:
    # Identifiers of every edition first, then titles: an ASIN is stronger evidence than a title. Every author of
    # the work goes with every title, since the book shown may take its title from one edition and authors from another.
    authors = tuple(dict.fromkeys(name for edition in work for name in edition.candidate.authors))
    for by_title in (False, True):
        for edition in work:
            c = edition.candidate
            names = [ref.name for ref in c.series]
            found = index.match(c.title if by_title else None, authors, c.asin, c.isbn, names)
            if found is not None:
                return found
    for edition in work:
        found = index.covering(edition.candidate.series, edition.candidate.title)
        if found is not None:
            return found
    return None


def _catalogue_book(work: Sequence[_Edition], today: date) -> CatalogueBook:
    ordered = sorted(work, key=lambda e: e.rank)
    best = ordered[0].candidate
    dates = [e.candidate.release_date for e in work if e.candidate.release_date]
    years = [e.candidate.published_year for e in work if e.candidate.published_year]
    release_date = min(dates) if dates else None
    year = min(years) if years else (release_date.year if release_date else None)
    upcoming = release_date > today if release_date else bool(year and year > today.year)
    languages = [normalize_language(e.candidate.language) for e in ordered]
    return CatalogueBook(
        title=best.title,
        subtitle=best.subtitle,
        authors=best.authors or next((e.candidate.authors for e in ordered if e.candidate.authors), ()),
        asins=_unique(normalize_asin(e.candidate.asin) for e in ordered),
        isbns=_unique(normalize_isbn(e.candidate.isbn) for e in ordered),
        series=_merged_series(e.candidate.series for e in ordered),
        language=next((lang for lang in languages if lang), None),
        release_date=release_date,
        published_year=year,
        upcoming=upcoming,
        collection=ordered[0].collection,
        dramatized=all(Edition.DRAMATIZED in e.markers for e in work),
        abridged=all(Edition.ABRIDGED in e.markers for e in work),
        sources=_labels(ordered),
        evidence={"editions": [_edition_evidence(e) for e in ordered]},
    )


def _edition_evidence(edition: _Edition) -> dict[str, object]:
    c = edition.candidate
    facts: dict[str, object] = {
        "source": c.source,
        "source_id": c.source_id,
        "title": c.title,
        "asin": normalize_asin(c.asin),
        "isbn": normalize_isbn(c.isbn),
        "language": normalize_language(c.language),
        "release_date": c.release_date.isoformat() if c.release_date else None,
        "edition": sorted(edition.markers),
    }
    return {name: value for name, value in facts.items() if value not in (None, [])}


def _merged_series(groups: Iterable[tuple[SeriesRef, ...]]) -> tuple[SeriesRef, ...]:
    seen: dict[str, SeriesRef] = {}
    for refs in groups:
        for ref in refs:
            current = seen.get(series_key(ref.name))
            if current is None or (current.sequence is None and ref.sequence is not None):
                seen[series_key(ref.name)] = ref
    return tuple(seen.values())


def _unique(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value))


def _labels(work: Iterable[_Edition]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(edition.label for edition in work))
