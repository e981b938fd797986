"""Which series positions a set of owned position labels covers ("1-3" covers 1, 2 and 3)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from shelfkeeper.domain.discovery.ownership import label_positions


def covered_positions(labels: Iterable[str | None]) -> set[Decimal]:
    """Every position the labels cover: "2" -> {2}, "1.5" -> {1.5}, "1-3" -> {1, 2, 3}, "01-16, 13.5" -> 1..16 and 13.5.

    The same reading as series gap detection (``ownership.label_positions``), so the completion numbers and
    the wanted list always agree.
    """
    covered: set[Decimal] = set()
    for label in labels:
        covered |= label_positions(label)
    return covered
