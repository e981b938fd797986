"""The unowned listings of a series grouped into slots: one per missing position, box sets attached, one book listed
at two positions folded into one."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache

from shelfkeeper.domain.discovery.ownership import source_rank
from shelfkeeper.domain.discovery.series_entries import SeriesEntry
from shelfkeeper.domain.metadata.editions import Edition, edition_of


class Listing:
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


class Slot:
    """One missing position (or one unnumbered book): its single-book listings and the box sets holding it."""

    __slots__ = ("collections", "entries", "other_positions", "position")

    def __init__(self, position: Decimal | None) -> None:
        self.position = position
        self.entries: list[Listing] = []  # single books (one position or none)
        self.collections: list[SeriesEntry] = []  # box sets holding this position
        self.other_positions: set[Decimal] = set()  # where other providers put the same book


def slots_of(unowned: Sequence[Listing], covered: dict[Decimal, str]) -> dict[object, Slot]:
    """Listings grouped into one slot per missing position, box sets attached to the positions they hold."""
    slots: dict[object, Slot] = {}
    several = []
    unnumbered = []
    # Single books first, then the box sets, each in the order listed.
    for listing in unowned:
        count = len(listing.positions)
        if count == 1:
            (position,) = listing.positions
            slot = slots.get(position)
            if slot is None:
                slot = slots[position] = Slot(position)
            slot.entries.append(listing)
        elif count:
            several.append(listing)
        else:
            unnumbered.append(listing)
    for listing in several:
        for position in listing.positions - covered.keys():
            _slot(slots, position, position).collections.append(listing.entry)
    for listing in unnumbered:
        # An entry with neither position nor title nor identifier names nothing that could be searched for.
        if listing.identity:
            home = next((s for s in slots.values() if not _identities(s).isdisjoint(listing.identity)), None)
            (home or _slot(slots, min(listing.identity), None)).entries.append(listing)
    _fold_same_books(slots)
    return slots


# The whole positions a series can have holes at (owned positions above 1000 are not believed), made once: a Decimal
# costs more to build and hash than the look-ups it is made for.
_WHOLE_POSITIONS = tuple(Decimal(number) for number in range(1001))


def add_holes(slots: dict[object, Slot], covered: dict[Decimal, str], last: Decimal | None) -> None:
    """A slot for every integer position from 1 to the last owned one that nothing owned or listed fills."""
    top = math.floor(last or 0)
    numbers = _WHOLE_POSITIONS[1 : top + 1] if top < len(_WHOLE_POSITIONS) else map(Decimal, range(1, top + 1))
    for position in numbers:
        if position not in covered and position not in slots:
            slots[position] = Slot(position)


def _slot(slots: dict[object, Slot], key: object, position: Decimal | None) -> Slot:
    slot = slots.get(key)
    if slot is None:
        slot = slots[key] = Slot(position)
    return slot


def _identities(slot: Slot) -> set[str]:
    found: set[str] = set()
    for listing in slot.entries:
        found.update(listing.identity)
    return found


def _fold_same_books(slots: dict[object, Slot]) -> None:
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


def _any_shared(slots: dict[object, Slot]) -> bool:
    """Whether an identity key is in two slots."""
    seen: dict[str, object] = {}
    for key, slot in slots.items():
        for listing in slot.entries:
            for identity in listing.identity:
                if seen.setdefault(identity, key) is not key:
                    return True
    return False


def _slot_rank(slot: Slot) -> tuple[int, int]:
    best = min((listing.rank for listing in slot.entries), default=(9, 99, 1))
    return best[1], int(slot.position is None)
