"""identifier_keys: the ASIN/ISBN identity keys catalogue merging and series gaps both compare."""

from __future__ import annotations

import pytest

from shelfkeeper.domain.discovery.ownership import identifier_keys


@pytest.mark.parametrize(
    ("asin", "isbn", "keys"),
    [
        (None, None, []),
        ("", "", []),
        ("B0036UC2LO", None, ["asin:B0036UC2LO"]),
        ("b0036uc2lo", None, ["asin:B0036UC2LO"]),
        (None, "978-0-7653-2635-5", ["isbn:9780765326355"]),
        ("B0036UC2LO", "9780765326355", ["asin:B0036UC2LO", "isbn:9780765326355"]),
    ],
)
def test_identifier_keys(asin: str | None, isbn: str | None, keys: list[str]) -> None:
    assert identifier_keys(asin, isbn) == keys
