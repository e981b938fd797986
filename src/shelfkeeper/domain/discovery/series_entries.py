"""A provider's list of a series: its entries, from candidates' series memberships or MAM's series info."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from shelfkeeper.domain.metadata.candidates import BookCandidate
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.text import series_key


@dataclass(frozen=True)
class SeriesEntry:
    """One book a provider lists in a series, at the provider's position label ("3", "1.5", "1-3", None)."""

    series: str
    position: str | None
    title: str | None
    source: str  # "audible", "audnexus", "google_books", "openlibrary", "mam"
    source_id: str | None = None
    authors: tuple[str, ...] = ()
    asin: str | None = None
    isbn: str | None = None
    release_date: date | None = None
    language: str | None = None
    format_type: str | None = None


def entries_from_candidates(candidates: Iterable[BookCandidate], series_name: str | None = None) -> list[SeriesEntry]:
    """One entry per series a provider's book belongs to (only ``series_name``'s, loosely compared, when given)."""
    wanted = series_key(series_name) if series_name else None
    return [
        SeriesEntry(
            series=ref.name,
            position=ref.sequence,
            title=candidate.title,
            source=candidate.source,
            source_id=candidate.source_id,
            authors=candidate.authors,
            asin=candidate.asin,
            isbn=candidate.isbn,
            release_date=candidate.release_date,
            language=candidate.language,
            format_type=candidate.format_type,
        )
        for candidate in candidates
        for ref in candidate.series
        if wanted is None or series_key(ref.name) == wanted
    ]


def entries_from_releases(releases: Iterable[Release], series_name: str | None = None) -> list[SeriesEntry]:
    """Entries from the (name, number) pairs of MAM's ``series_info`` on its releases."""
    wanted = series_key(series_name) if series_name else None
    entries = []
    for release in releases:
        asin, isbn = release.extra.get("asin"), release.extra.get("isbn")
        isbn_text = isbn if isinstance(isbn, str) and not isbn.upper().startswith("ASIN:") else None
        for name, position in release.series:
            if wanted is not None and series_key(name) != wanted:
                continue
            entries.append(
                SeriesEntry(
                    series=name,
                    position=position,
                    title=release.title,
                    source=release.source,
                    source_id=str(release.mam_id) if release.mam_id is not None else release.guid,
                    authors=release.authors,
                    asin=asin if isinstance(asin, str) else None,
                    isbn=isbn_text,
                    language=release.language,
                )
            )
    return entries
