"""Series gaps: the books a series lacks, from owned position labels and the providers' series lists, with evidence."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from operator import itemgetter

from shelfkeeper.domain.discovery.ownership import (
    OwnedBook,
    OwnedBy,
    OwnedIndex,
    book_key,
    identifier_keys,
    label_positions,
    source_rank,
    wanted_key,
)
from shelfkeeper.domain.discovery.series_entries import SeriesEntry, entries_from_candidates, entries_from_releases
from shelfkeeper.domain.metadata.editions import Edition, edition_of
from shelfkeeper.domain.text import format_position, normalize_asin, normalize_isbn, series_key

__all__ = [
    "Gap",
    "GapReason",
    "OwnedBook",
    "OwnedIndex",
    "SeriesEntry",
    "entries_from_candidates",
    "entries_from_releases",
    "find_all_series_gaps",
    "find_series_gaps",
    "wanted_key",
]

# Owned positions above this are data errors (a year typed as the position); they must not invent 2,000 holes.
_HIGHEST_PLAUSIBLE_POSITION = Decimal(1000)
_ZERO = Decimal(0)
_FIRST = itemgetter(0)


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


def find_series_gaps(
    series_name: str, owned: Sequence[OwnedBook] | OwnedIndex, known: Sequence[SeriesEntry], *, today: date
) -> list[Gap]:
    """Every book the series lacks, sorted by position (unnumbered last).

    Holes are the integer positions up to the last owned one that nothing owned covers, listed or not; decimals,
    prequels (0, 0.5) and unnumbered books only when a provider lists them. A provider's book is owned when its
    position is covered ("1-3" covers 1, 2, 3), or its ASIN/ISBN or normalised title + author is owned (then its
    position counts as owned too). One position listed by several providers is one gap with every source; an
    entry with no position, title or identifier names nothing to search for and is dropped.
    """
    index = owned if isinstance(owned, OwnedIndex) else OwnedIndex(owned)
    wanted = series_key(series_name)
    return _series_gaps(series_name, index, [entry for entry in known if series_key(entry.series) == wanted], today)


def find_all_series_gaps(
    owned: Sequence[OwnedBook] | OwnedIndex, known: Sequence[SeriesEntry], *, today: date
) -> dict[str, list[Gap]]:
    """``find_series_gaps`` for every series the library has a book of; an empty list means complete."""
    index = owned if isinstance(owned, OwnedIndex) else OwnedIndex(owned)
    by_series: dict[str, list[SeriesEntry]] = {}
    for entry in known:
        key = series_key(entry.series)
        listed = by_series.get(key)
        if listed is None:
            by_series[key] = [entry]
        else:
            listed.append(entry)
    return {
        name: _series_gaps(name, index, by_series.get(series_key(name), []), today) for name in index.series_names()
    }


def _series_gaps(series_name: str, index: OwnedIndex, entries: Sequence[SeriesEntry], today: date) -> list[Gap]:
    """``find_series_gaps`` over the entries of this series alone."""
    covered = dict(index.positions(series_name))
    authors = index.series_authors(series_name)
    unowned = _unowned_entries(series_name, entries, index, covered, authors)
    slots = _slots(unowned, covered)
    ordered = sorted(covered)  # the owned positions, for the nearest ones on either side of a gap
    plausible = bisect_right(ordered, _HIGHEST_PLAUSIBLE_POSITION)
    last = ordered[plausible - 1] if plausible else None
    _add_holes(slots, covered, last)
    # Positioned gaps first, by position (the one a gap shows reads back as the same number), unnumbered last; then by
    # title. The sort is stable: gaps alike keep the order of their slots.
    gaps = []
    for slot in slots.values():
        gap = _gap(series_name, slot, covered, ordered, last, authors, today)
        position = slot.position
        order = (False, position, gap.title or "") if position is not None else (True, _ZERO, gap.title or "")
        gaps.append((order, gap))
    gaps.sort(key=_FIRST)
    return [gap for _, gap in gaps]


def _identity(entry: SeriesEntry, positions: frozenset[Decimal], index: OwnedIndex) -> tuple[str, ...]:
    """The keys naming the entry's book: its identifiers and, within the series, its title (distinct keys)."""
    # Within one series a title names one book, but a box set never shares a title identity with a single.
    if not entry.asin and not entry.isbn:  # most entries: the title alone
        if not entry.title:
            return ()
        return (f"{'set' if len(positions) > 1 else 'single'}:{index.title_keys(entry.title)[0]}",)
    keys = identifier_keys(entry.asin, entry.isbn)
    if entry.title:
        keys.append(f"{'set' if len(positions) > 1 else 'single'}:{index.title_keys(entry.title)[0]}")
    return tuple(keys)


class _Listing:
    """A provider's entry left unowned, with what is read from it, each read once: positions, identity and rank."""

    __slots__ = ("_markers", "_rank", "entry", "identity", "positions")

    def __init__(self, entry: SeriesEntry, positions: frozenset[Decimal], identity: tuple[str, ...]) -> None:
        self.entry = entry
        self.positions = positions
        self.identity = identity
        # Read when first asked for: only the listings that make a gap are ranked and described.
        self._markers: frozenset[Edition] | None = None
        self._rank: tuple[int, int, int] | None = None

    @property
    def markers(self) -> frozenset[Edition]:
        """The edition markers of the entry's own data."""
        if self._markers is None:
            self._markers = _markers(self.entry.title, self.entry.position, self.entry.format_type)
        return self._markers

    @property
    def rank(self) -> tuple[int, int, int]:
        """Lower names the book better: the plain single edition from the most trusted source, with a title."""
        if self._rank is None:
            # "2, Dramatized Adaptation" is an edition of the book, not the book.
            markers = self.markers - {Edition.OMNIBUS}
            self._rank = len(markers), source_rank(self.entry.source), int(self.entry.title is None)
        return self._rank


@dataclass
class _Slot:
    position: Decimal | None
    entries: list[_Listing] = field(default_factory=list)  # single books (one position or none)
    collections: list[SeriesEntry] = field(default_factory=list)  # box sets holding this position
    other_positions: set[Decimal] = field(default_factory=set)  # where other providers put the same book


def _unowned_entries(
    series_name: str,
    entries: Sequence[SeriesEntry],
    index: OwnedIndex,
    covered: dict[Decimal, str],
    series_authors: tuple[str, ...],
) -> list[_Listing]:
    """The listings not owned; extends ``covered`` with the positions of books owned under another label."""
    unmatched: list[_Listing] = []
    owned_ids: set[str] = set()
    series = (series_name,)
    owned_positions = covered.keys()
    for entry in entries:
        positions = label_positions(entry.position, entry.title)
        identity = _identity(entry, positions, index)
        if positions and positions <= owned_positions:
            # Every position it names is owned already: owned, and nothing to add, whether it matches or not.
            owned_ids.update(identity)
            continue
        # An entry without authors (MAM often) is taken to be by the series' authors, as its gap will say.
        found = index.match(entry.title, entry.authors or series_authors, entry.asin, entry.isbn, series)
        if found is None:
            unmatched.append(_Listing(entry, positions, identity))
            continue
        owned_ids.update(identity)
        # A box set only recognised by a title like "Mistborn" must not claim the books it holds are owned.
        if len(positions) <= 1 or found.by is not OwnedBy.TITLE:
            for position in positions:
                covered.setdefault(position, found.owned_title)
    unowned = []
    for listing in unmatched:
        if listing.positions and listing.positions <= owned_positions:
            owned_ids.update(listing.identity)
        else:
            unowned.append(listing)
    # The same book listed by another provider elsewhere (or unnumbered) is owned as well.
    return [listing for listing in unowned if owned_ids.isdisjoint(listing.identity)]


def _slots(unowned: Sequence[_Listing], covered: dict[Decimal, str]) -> dict[object, _Slot]:
    """Listings grouped into one slot per missing position, box sets attached to the positions they hold."""
    slots: dict[object, _Slot] = {}
    # Single books first, then the box sets, each in the order listed.
    for listing in unowned:
        if len(listing.positions) == 1:
            (position,) = listing.positions
            _slot(slots, position, position).entries.append(listing)
    for listing in unowned:
        if len(listing.positions) > 1:
            for position in listing.positions - covered.keys():
                _slot(slots, position, position).collections.append(listing.entry)
    for listing in unowned:
        # An entry with neither position nor title nor identifier names nothing that could be searched for.
        if not listing.positions and listing.identity:
            home = next((s for s in slots.values() if not _identities(s).isdisjoint(listing.identity)), None)
            (home or _slot(slots, min(listing.identity), None)).entries.append(listing)
    _fold_same_books(slots)
    return slots


def _slot(slots: dict[object, _Slot], key: object, position: Decimal | None) -> _Slot:
    slot = slots.get(key)
    if slot is None:
        slot = slots[key] = _Slot(position)
    return slot


def _identities(slot: _Slot) -> set[str]:
    found: set[str] = set()
    for listing in slot.entries:
        found.update(listing.identity)
    return found


def _fold_same_books(slots: dict[object, _Slot]) -> None:
    """One book placed at two positions by two providers: keep the better source's position, note the other."""
    if not _any_shared(slots):
        return  # no book is in two slots: nothing to fold, and no need to rank the slots
    # A slot's identities change only once it has been folded into: each is read before, when nothing has been.
    identities = {key: _identities(slot) for key, slot in slots.items()}
    first_owner: dict[str, object] = {}
    for key, slot in sorted(slots.items(), key=lambda item: _slot_rank(item[1])):
        ids = identities[key]
        target_key = next((first_owner[i] for i in sorted(ids) if i in first_owner), None)
        if target_key is None or target_key == key:
            first_owner.update(dict.fromkeys(ids, key))
            continue
        target = slots[target_key]
        first_owner.update({i: target_key for i in ids if i not in first_owner})
        target.entries += slot.entries
        if slot.position is not None:
            target.other_positions.add(slot.position)
        if slot.collections:
            slot.entries = []  # the position stays missing, known through its box sets
        else:
            del slots[key]


@lru_cache(maxsize=32768)  # providers often list one book alike (same title, position and format)
def _markers(title: str | None, position: str | None, format_type: str | None) -> frozenset[Edition]:
    return edition_of(title or "", position, format_type)


def _any_shared(slots: dict[object, _Slot]) -> bool:
    """Whether an identity key is in two slots."""
    seen: dict[str, object] = {}
    for key, slot in slots.items():
        for listing in slot.entries:
            for identity in listing.identity:
                if seen.setdefault(identity, key) is not key:
                    return True
    return False


def _slot_rank(slot: _Slot) -> tuple[int, int]:
    best = min((listing.rank for listing in slot.entries), default=(9, 99, 1))
    return best[1], int(slot.position is None)


def _add_holes(slots: dict[object, _Slot], covered: dict[Decimal, str], last: Decimal | None) -> None:
    for number in range(1, math.floor(last or 0) + 1):
        position = Decimal(number)
        if position not in covered and position not in slots:
            slots[position] = _Slot(position)


def _reason(position: Decimal | None, last: Decimal | None) -> GapReason:
    if position is None or last is None:
        return GapReason.KNOWN_UNOWNED
    if position > last:
        return GapReason.AFTER_LAST
    if position >= 1 and position == position.to_integral_value():
        return GapReason.HOLE
    return GapReason.KNOWN_UNOWNED


def _gap(
    series_name: str,
    slot: _Slot,
    covered: dict[Decimal, str],
    ordered: Sequence[Decimal],
    last: Decimal | None,
    series_authors: tuple[str, ...],
    today: date,
) -> Gap:
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
    reason = _reason(slot.position, last)
    return Gap(
        series=series_name,
        position=format_position(slot.position) if slot.position is not None else None,
        title=titled.title if titled else None,
        # The title's own entry names the authors, so the title and authors checked for ownership are the ones shown.
        authors=(titled.authors if titled else ()) or series_authors,
        asin=asin,
        isbn=isbn,
        reason=reason,
        upcoming=bool(release_date and release_date > today),
        release_date=release_date,
        evidence=_evidence(series_name, slot, listings, entries, covered, ordered, reason),
    )


def _listing_rank(listing: _Listing) -> tuple[int, int, int]:
    return listing.rank


def _evidence(
    series_name: str,
    slot: _Slot,
    listings: Sequence[_Listing],
    entries: Sequence[SeriesEntry],
    covered: dict[Decimal, str],
    ordered: Sequence[Decimal],
    reason: GapReason,
) -> dict[str, object]:
    # Only the facts known, in this order (an absent or empty one is left out).
    facts: dict[str, object] = {"series": series_name, "reason": reason.value}
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
        below = bisect_left(ordered, position)
        if below:
            facts["owned_before"] = format_position(ordered[below - 1])
            facts["owned_before_title"] = covered[ordered[below - 1]]
        above = bisect_right(ordered, position)
        if above < len(ordered):
            facts["owned_after"] = format_position(ordered[above])
            facts["owned_after_title"] = covered[ordered[above]]
    if slot.other_positions:
        facts["other_positions"] = sorted(format_position(p) for p in slot.other_positions)
    if len(listings) == 1:
        markers: frozenset[Edition] | set[Edition] = listings[0].markers
    else:
        markers = {marker for listing in listings for marker in listing.markers}
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
