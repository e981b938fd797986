"""What a sync learns of a library's items from its listings and keeps until the end: series and presence.

It lives for the whole sync (50,000 items), so it is compact: one dictionary entry per item id, whose value is
an int that holds the item's first series membership and whether the item listing showed it; the few further
memberships (an item in several series) are kept aside. A membership is a series number and a sequence number
(each series id and each distinct sequence text is stored once).
"""

from __future__ import annotations

from collections.abc import Iterable

from shelfkeeper.domain.library.items import LibrarySeries

_LISTED = 1  # the value's lowest bit: the item listing showed the item
_SERIES_BITS = 32  # a membership: (sequence number << 32) | series number; stored shifted past the listed bit


class ListingIndex:
    """Each item's series (id and sequence, in the series listing's order) and whether the item listing showed it."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}  # series id -> name, in the listing's order
        self._series_ids: list[str] = []
        self._series_numbers: dict[str, int] = {}
        self._sequences: list[str | None] = []
        self._sequence_numbers: dict[str | None, int] = {}
        self._items: dict[str, int] = {}
        self._more: dict[str, tuple[int, ...]] = {}  # memberships after the first one

    def add_series(self, series: LibrarySeries) -> None:
        """A series of the series listing, with its books' (item id, sequence)."""
        self.names[series.id] = series.name
        number = self._series_numbers.get(series.id)
        if number is None:
            number = self._series_numbers[series.id] = len(self._series_ids)
            self._series_ids.append(series.id)
        for item_id, sequence in series.members:
            membership = self._sequence_number(sequence) << _SERIES_BITS | number
            value = self._items.get(item_id, 0)
            if value >> 1:  # a further series of the item
                self._more[item_id] = (*self._more.get(item_id, ()), membership)
            else:
                self._items[item_id] = membership << 1 | value & _LISTED

    def memberships(self, item_id: str) -> tuple[tuple[str, str | None], ...]:
        """The item's (series id, sequence) pairs as the series listing gave them; () for none."""
        value = self._items.get(item_id, 0) >> 1
        if not value:
            return ()
        pairs = [self._pair(value)]
        pairs.extend(self._pair(membership) for membership in self._more.get(item_id, ()))
        return tuple(pairs)

    def mark_listed(self, item_ids: Iterable[str]) -> None:
        """Items the item listing showed."""
        items = self._items
        for item_id in item_ids:
            items[item_id] = items.get(item_id, 0) | _LISTED

    def was_listed(self, item_id: str) -> bool:
        return bool(self._items.get(item_id, 0) & _LISTED)

    def _sequence_number(self, sequence: str | None) -> int:
        number = self._sequence_numbers.get(sequence)
        if number is None:
            # Numbers start at 1: a membership is never 0, which stands for "no series" in an item's value.
            number = self._sequence_numbers[sequence] = len(self._sequences) + 1
            self._sequences.append(sequence)
        return number

    def _pair(self, membership: int) -> tuple[str, str | None]:
        sequence, series = membership >> _SERIES_BITS, membership & ((1 << _SERIES_BITS) - 1)
        return self._series_ids[series], self._sequences[sequence - 1]
