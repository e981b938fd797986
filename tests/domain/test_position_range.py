"""format_position_range: how match penalties and release verification show a series position."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shelfkeeper.domain.text import format_position_range, parse_position


@pytest.mark.parametrize(
    ("position", "shown"),
    [
        ((Decimal(2), Decimal(2)), "2"),
        ((Decimal("2.0"), Decimal("2.00")), "2"),
        ((Decimal("1.50"), Decimal("1.50")), "1.5"),
        ((Decimal(1), Decimal(3)), "1-3"),
        ((Decimal("0.5"), Decimal(10)), "0.5-10"),
        ((Decimal(10), Decimal(10)), "10"),
    ],
)
def test_format_position_range(position: tuple[Decimal, Decimal], shown: str) -> None:
    assert format_position_range(position) == shown


@pytest.mark.parametrize("label", ["2", "1.5", "1-3", "Book 4", "0.5-10"])
def test_a_shown_range_reads_back_the_same(label: str) -> None:
    position = parse_position(label)
    assert position is not None
    assert parse_position(format_position_range(position)) == position
