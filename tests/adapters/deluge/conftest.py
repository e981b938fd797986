"""A real deluged on loopback for the adapter tests (``book`` is in tests/adapters/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shelfkeeper.testing.deluge import DelugeProcess


@pytest.fixture(scope="session")
def daemon() -> Iterator[DelugeProcess]:
    """One deluged for the whole run (it starts within a second)."""
    with DelugeProcess() as process:
        yield process
