"""A real deluged on loopback for the adapter tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shelfkeeper.testing.deluge import DelugeProcess
from shelfkeeper.testing.torrents import info_hash, make_audio_book, make_torrent

_book_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def daemon() -> Iterator[DelugeProcess]:
    """One deluged for the whole run (it starts within a second)."""
    with DelugeProcess() as process:
        yield process


@dataclass(frozen=True)
class Book:
    save_path: Path
    folder: Path
    torrent: bytes
    info_hash: str


@pytest.fixture
def book(daemon: DelugeProcess) -> Book:
    """A book whose data already sits under the daemon's save dir, with its .torrent."""
    number = next(_book_numbers)
    save_path = daemon.save_dir / f"seeded-{number}"
    folder = save_path / f"Author {number} - Book {number}"
    make_audio_book(folder, 2, 1.0, seed=2000 + number)
    torrent = make_torrent(folder)
    return Book(save_path=save_path, folder=folder, torrent=torrent, info_hash=info_hash(torrent))
