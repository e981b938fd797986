"""A real transmission-daemon on loopback for the adapter tests (``book`` is in tests/adapters/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shelfkeeper.testing.transmission import TransmissionProcess


@pytest.fixture(scope="session")
def daemon() -> Iterator[TransmissionProcess]:
    """One transmission-daemon for the whole run (it starts within a second)."""
    with TransmissionProcess() as process:
        yield process
