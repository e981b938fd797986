"""What the Transmission and Deluge adapter tests share: a book already seeded under the daemon's save dir.

Each of tests/adapters/transmission and tests/adapters/deluge has a ``daemon`` fixture of its own (one real
daemon for the whole run); ``book`` works with either.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest

from shelfkeeper.testing.daemon import DaemonProcess
from shelfkeeper.testing.torrents import info_hash, make_audio_book, make_torrent

_book_numbers = itertools.count(1)


@dataclass(frozen=True)
class Book:
    save_path: Path
    folder: Path
    torrent: bytes
    info_hash: str


@pytest.fixture
def book(daemon: DaemonProcess) -> Book:
    """A book whose data already sits under the daemon's save dir, with its .torrent."""
    number = next(_book_numbers)
    save_path = daemon.save_dir / f"seeded-{number}"
    folder = save_path / f"Author {number} - Book {number}"
    make_audio_book(folder, 2, 1.0, seed=1000 + number)
    torrent = make_torrent(folder)
    return Book(save_path=save_path, folder=folder, torrent=torrent, info_hash=info_hash(torrent))
