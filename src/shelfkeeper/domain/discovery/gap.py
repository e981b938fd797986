"""A series gap: the book a series lacks at one position (or unnumbered), why it is missing, and the evidence."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from shelfkeeper.domain.discovery.gap_slots import Listing, Slot
from shelfkeeper.domain.discovery.ownership import book_key
from shelfkeeper.domain.discovery.series_entries import SeriesEntry
from shelfkeeper.domain.metadata.editions import Edition
from shelfkeeper.domain.text import format_position, normalize_asin, normalize_isbn, series_key


class GapReason(StrEnum):
    """Why a position or book is missing from a series."""

    HOLE = "hole"  # an integer position below the last owned one
    AFTER_LAST = "after_last"  # a provider lists it past the last owned position
    KNOWN_UNOWNED = "known_unowned"  # a provider lists it elsewhere: novella 1.5, prequel 0, unnumbered


@dataclass(frozen=True)
class Gap:
    """A book the series lacks: its position, what the providers call it, why it is missing and the evidence."""

    series: str
    position: str | None
    title: str | None
    authors: tuple[str, ...]
    asin: str | None
    isbn: str | None
    reason: GapReason
    upcoming: bool = False
    release_date: date | None = None
    evidence: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def key(self) -> str:
        """The wanted-list de-duplication key: ``wanted_key`` once titled, else the series and position."""
        if self.title:
            return book_key(self.title, self.authors)
        return f"{series_key(self.series)}#{self.position}"

    @property
    def explanation(self) -> str:
        """One sentence saying why this book is wanted and who listed it."""
        where = f"{self.series} #{self.position}" if self.position else f"{self.series}: {self.title}"
        before, after = self.evidence.get("owned_before"), self.evidence.get("owned_after")
        listed, sets = self.evidence.get("listed_by"), self.evidence.get("available_in")
        by = f"; listed by {', '.join(listed)}" if isinstance(listed, list) and listed else "; no provider lists it"
        if isinstance(sets, list) and sets and "sources" not in self.evidence:
            by += f" (only in {', '.join(repr(s.get('title')) for s in sets if isinstance(s, dict))})"
        if self.reason is GapReason.HOLE:
            return f"{where} is missing between owned #{before} and #{after}{by}"
        if self.reason is GapReason.AFTER_LAST:
            return f"{where} comes after the last owned book (#{before}){by}"
        return f"{where} is known but not owned{by}"


_SET = object.__setattr__  # a frozen dataclass' fields are set past its __setattr__


class OwnedRun:
    """What a series' gaps are described against: its owned positions in order, the last plausible one, its
    authors, the day, and each position as written (one ``format_position`` per position of an analysis)."""

    __slots__ = ("authors", "covered", "formatted", "last", "name", "ordered", "today")

    def __init__(
        self,
        name: str,
        covered: Mapping[Decimal, str],
        ordered: Sequence[Decimal],
        last: Decimal | None,
        authors: tuple[str, ...],
        today: date,
        formatted: dict[Decimal, str],
    ) -> None:
        self.name = name
        self.covered = covered  # owned position -> the owned title holding it
        self.ordered = ordered  # the owned positions, sorted
        self.last = last
        self.authors = authors
        self.today = today
        self.formatted = formatted

    def written(self, position: Decimal) -> str:
        """``format_position(position)``, once per position."""
        text = self.formatted.get(position)
        if text is None:
            text = format_position(position)
            if position:  # -0 equals 0 as a key but is written "-0": zeros are not kept
                self.formatted[position] = text
        return text


def gap_of(slot: Slot, series: OwnedRun) -> Gap:
    """The gap a slot makes: the best-ranked listing names it; every listing and box set is evidence."""
    # Most slots hold one listing (or none): nothing to rank then.
    listings = sorted(slot.entries, key=_listing_rank) if len(slot.entries) > 1 else slot.entries
    entries = [listing.entry for listing in listings]
    # The first title, ASIN and ISBN in rank order, and the earliest release date.
    titled = asin = isbn = release_date = None
    for entry in entries:
        if titled is None and entry.title:
            titled = entry
        if asin is None and entry.asin:
            asin = normalize_asin(entry.asin)
        if isbn is None and entry.isbn:
            isbn = normalize_isbn(entry.isbn)
        if entry.release_date and (release_date is None or entry.release_date < release_date):
            release_date = entry.release_date
    position = slot.position
    reason = _reason(position, series.last)
    # Not the dataclass ``__init__`` (its checks and per-field calls were a fifth of the analysis of a large library):
    # the same fields, in the same order (``test_gap_of_sets_every_field`` keeps them in step), each set once. Set one
    # by one, they stay in the instance: no ``__dict__`` is made, one container fewer per gap for the garbage
    # collector to count and walk (a 50,000-book analysis ran one full collection instead of two).
    gap = object.__new__(Gap)
    _SET(gap, "series", series.name)
    _SET(gap, "position", series.written(position) if position is not None else None)
    _SET(gap, "title", titled.title if titled else None)
    # The title's own entry names the authors, so the title and authors checked for ownership are the ones shown.
    _SET(gap, "authors", (titled.authors if titled else ()) or series.authors)
    _SET(gap, "asin", asin)
    _SET(gap, "isbn", isbn)
    _SET(gap, "reason", reason)
    _SET(gap, "upcoming", bool(release_date and release_date > series.today))
    _SET(gap, "release_date", release_date)
    _SET(gap, "evidence", _evidence(slot, listings, entries, series, reason))
    return gap


def _listing_rank(listing: Listing) -> tuple[int, int, int]:
    return listing.rank


def _reason(position: Decimal | None, last: Decimal | None) -> GapReason:
    if position is None or last is None:
        return GapReason.KNOWN_UNOWNED
    if position > last:
        return GapReason.AFTER_LAST
    if position >= 1 and position == position.to_integral_value():
        return GapReason.HOLE
    return GapReason.KNOWN_UNOWNED


def _evidence(
    slot: Slot, listings: Sequence[Listing], entries: Sequence[SeriesEntry], series: OwnedRun, reason: GapReason
) -> dict[str, object]:
    # Only the facts known, in this order (an absent or empty one is left out).
    facts: dict[str, object] = {"series": series.name, "reason": reason.value}
    collections = slot.collections
    if collections or len(entries) > 1:
        facts["listed_by"] = sorted({e.source for e in (*entries, *collections)})
    elif entries:
        facts["listed_by"] = [entries[0].source]
    if entries:
        facts["sources"] = [_entry_facts(e) for e in entries]
    if collections:
        facts["available_in"] = [_entry_facts(e) for e in collections]
    position = slot.position
    if position is not None:  # the nearest owned positions on either side
        ordered, covered = series.ordered, series.covered
        below = bisect_left(ordered, position)
        if below:
            facts["owned_before"] = series.written(ordered[below - 1])
            facts["owned_before_title"] = covered[ordered[below - 1]]
        above = bisect_right(ordered, position, below)
        if above < len(ordered):
            facts["owned_after"] = series.written(ordered[above])
            facts["owned_after_title"] = covered[ordered[above]]
    if slot.other_positions:
        facts["other_positions"] = sorted(format_position(p) for p in slot.other_positions)
    if len(listings) == 1:
        markers: frozenset[Edition] | set[Edition] = listings[0].markers
    elif listings:
        markers = {marker for listing in listings for marker in listing.markers}
    else:
        return facts
    if markers:
        facts["editions"] = sorted(markers)
    return facts


def _entry_facts(entry: SeriesEntry) -> dict[str, object]:
    facts: dict[str, object] = {}  # the facts known, in this order
    if entry.source is not None:
        facts["source"] = entry.source
    if entry.source_id is not None:
        facts["source_id"] = entry.source_id
    if entry.position is not None:
        facts["position"] = entry.position
    if entry.title is not None:
        facts["title"] = entry.title
    if entry.asin and (asin := normalize_asin(entry.asin)):
        facts["asin"] = asin
    if entry.isbn and (isbn := normalize_isbn(entry.isbn)):
        facts["isbn"] = isbn
    if entry.release_date:
        facts["release_date"] = entry.release_date.isoformat()
    return facts
