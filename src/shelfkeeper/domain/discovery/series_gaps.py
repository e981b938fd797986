"""Series gaps: the books a series lacks, from owned position labels and the providers' series lists, with evidence."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from operator import itemgetter

from shelfkeeper.domain.discovery.gap import Gap, GapReason, OwnedRun, gap_of
from shelfkeeper.domain.discovery.gap_slots import Listing, add_holes, slots_of
from shelfkeeper.domain.discovery.ownership import (
    OwnedBook,
    OwnedBy,
    OwnedIndex,
    identifier_keys,
    label_positions,
    wanted_key,
)
from shelfkeeper.domain.discovery.series_entries import SeriesEntry, entries_from_candidates, entries_from_releases
from shelfkeeper.domain.text import series_key

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


class _Analysis:
    """What one analysis reads once and shares between its series: each title's identity as a single book, and each
    position as written."""

    __slots__ = ("formatted", "index", "singles", "today")

    def __init__(self, index: OwnedIndex, today: date) -> None:
        self.index = index
        self.today = today
        self.singles: dict[str, str] = {}  # title -> its identity key as a single book without identifiers
        self.formatted: dict[Decimal, str] = {}

    def identity(self, entry: SeriesEntry, positions: frozenset[Decimal]) -> tuple[str, ...]:
        """The keys naming the entry's book (``_identity``), a single's title key read once per title."""
        title = entry.title
        if entry.asin or entry.isbn or len(positions) > 1 or not title:
            return _identity(entry, positions, self.index)
        return (self.single(title),)

    def add_identity(self, keys: set[str], entry: SeriesEntry, positions: frozenset[Decimal]) -> None:
        """``keys.update(self.identity(entry, positions))``, without a tuple for the common single book."""
        title = entry.title
        if entry.asin or entry.isbn or len(positions) > 1 or not title:
            keys.update(_identity(entry, positions, self.index))
        else:
            keys.add(self.single(title))

    def single(self, title: str) -> str:
        """The identity key of a single book named by its title alone, read once per title."""
        key = self.singles.get(title)
        if key is None:
            key = self.singles[title] = f"single:{self.index.full_title_key(title)}"  # as ``_identity`` says
        return key


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
    entries = [entry for entry in known if series_key(entry.series) == wanted]
    return _series_gaps(series_name, entries, _Analysis(index, today))


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
    analysis = _Analysis(index, today)
    return {name: _series_gaps(name, by_series.get(series_key(name), []), analysis) for name in index.series_names()}


def _series_gaps(series_name: str, entries: Sequence[SeriesEntry], analysis: _Analysis) -> list[Gap]:
    """``find_series_gaps`` over the entries of this series alone."""
    index = analysis.index
    covered = dict(index.positions(series_name))
    authors = index.series_authors(series_name)
    unowned = _unowned_entries(series_name, entries, analysis, covered, authors)
    slots = slots_of(unowned, covered)
    ordered = sorted(covered)  # the owned positions, for the nearest ones on either side of a gap
    plausible = bisect_right(ordered, _HIGHEST_PLAUSIBLE_POSITION)
    last = ordered[plausible - 1] if plausible else None
    add_holes(slots, covered, last)
    series = OwnedRun(series_name, covered, ordered, last, authors, analysis.today, analysis.formatted)
    # Positioned gaps first, by position (the one a gap shows reads back as the same number), unnumbered last; then by
    # title. The sort is stable: gaps alike keep the order of their slots.
    gaps = []
    for slot in slots.values():
        gap = gap_of(slot, series)
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
        return (f"{'set' if len(positions) > 1 else 'single'}:{index.full_title_key(entry.title)}",)
    keys = identifier_keys(entry.asin, entry.isbn)
    if entry.title:
        keys.append(f"{'set' if len(positions) > 1 else 'single'}:{index.full_title_key(entry.title)}")
    return tuple(keys)


def _unowned_entries(
    series_name: str,
    entries: Sequence[SeriesEntry],
    analysis: _Analysis,
    covered: dict[Decimal, str],
    series_authors: tuple[str, ...],
) -> list[Listing]:
    """The listings not owned; extends ``covered`` with the positions of books owned under another label.

    Positions decide first: an entry naming only owned positions is owned whatever its title says (most entries of a
    library's series), so only the others are matched by identifier or title. The identities of the entries owned by
    position are read last, and only when a listing is left that another provider's owned entry may name.
    """
    owned_positions = covered.keys()
    by_position: list[tuple[SeriesEntry, frozenset[Decimal]]] = []
    undecided: list[tuple[SeriesEntry, frozenset[Decimal]]] = []
    for entry in entries:
        positions = label_positions(entry.position, entry.title)
        if positions and owned_positions >= positions:
            by_position.append((entry, positions))
        else:
            undecided.append((entry, positions))
    if not undecided:
        return []
    index = analysis.index
    owned_ids: set[str] = set()
    unmatched: list[Listing] = []
    series = (series_name,)
    for entry, positions in undecided:
        # An entry without authors (MAM often) is taken to be by the series' authors, as its gap will say.
        found = index.match(entry.title, entry.authors or series_authors, entry.asin, entry.isbn, series)
        if found is None:
            unmatched.append(Listing(entry, positions, analysis.identity(entry, positions)))
            continue
        analysis.add_identity(owned_ids, entry, positions)
        # A box set only recognised by a title like "Mistborn" must not claim the books it holds are owned.
        if len(positions) <= 1 or found.by is not OwnedBy.TITLE:
            for position in positions:
                covered.setdefault(position, found.owned_title)
    # A listing whose positions a match above covered is owned by position after all (whatever the order listed).
    unowned = []
    for listing in unmatched:
        if listing.positions and owned_positions >= listing.positions:
            owned_ids.update(listing.identity)
        else:
            unowned.append(listing)
    if not unowned:
        return []
    # The same book listed by another provider elsewhere (or unnumbered) is owned as well.
    for entry, positions in by_position:
        analysis.add_identity(owned_ids, entry, positions)
    return [listing for listing in unowned if owned_ids.isdisjoint(listing.identity)]
