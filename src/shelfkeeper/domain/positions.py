"""Which series positions a set of owned position labels covers ("1-3" covers 1, 2 and 3)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from shelfkeeper.domain.text import parse_position


def covered_positions(labels: Iterable[str | None]) -> set[Decimal]:
    """Every position the labels cover: "2" -> {2}, "1.5" -> {1.5}, "1-3" -> {1, 2, 3}, "0.5-1" -> {0.5, 1}."""
    covered: set[Decimal] = set()
    for label in labels:
        parsed = parse_position(label)
        if parsed is None:
            continue
        low, high = parsed
        covered.update((low, high))
        if high > low and low == low.to_integral_value():
            covered.update(Decimal(n) for n in range(int(low), int(high) + 1))
    return covered
