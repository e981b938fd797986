"""A real qbittorrent-nox on loopback for the adapter tests, and the small tools they share."""

from __future__ import annotations

import itertools
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

from shelfkeeper.adapters.qbittorrent import QbittorrentClient, build
from shelfkeeper.testing.qbittorrent import QbittorrentProcess
from shelfkeeper.testing.torrents import info_hash, make_audio_book, make_torrent

T = TypeVar("T")
_book_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def qbt() -> Iterator[QbittorrentProcess]:
    """One qbittorrent-nox for the whole run (it starts in well under a second)."""
    with QbittorrentProcess() as process:
        yield process


@pytest.fixture(scope="session")
def installed_version() -> str:
    """What the binary says about itself, e.g. ``v4.5.2`` (from ``qBittorrent v4.5.2``)."""
    out = subprocess.run(
        ["qbittorrent-nox", "--version"], stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True
    )
    return out.stdout.split()[-1]


def client_for(process: QbittorrentProcess, *, password: str | None = None) -> QbittorrentClient:
    return build(process.host, process.port, process.username, password or process.password, timeout=5.0)


@pytest.fixture
def connect() -> Callable[..., QbittorrentClient]:
    """``connect(process, password=None)``: an adapter for an instance, with its password or another."""
    return client_for


@pytest.fixture
def client(qbt: QbittorrentProcess) -> QbittorrentClient:
    return client_for(qbt)


@dataclass(frozen=True)
class Book:
    """Generated audio files in ``folder`` (inside ``save_path``) and the .torrent made from them."""

    save_path: Path
    folder: Path
    torrent: bytes
    info_hash: str

    @property
    def size(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())


def make_book(save_path: Path, *, n_files: int = 3, seconds: float = 2.0, piece_length: int = 16 * 1024) -> Book:
    """A book with its own name and seed, so every torrent of a run has its own info hash."""
    number = next(_book_numbers)
    folder = save_path / f"Author {number} - Book {number}"
    make_audio_book(folder, n_files, seconds, seed=number)
    torrent = make_torrent(folder, piece_length=piece_length)
    return Book(save_path=save_path, folder=folder, torrent=torrent, info_hash=info_hash(torrent))


@pytest.fixture
def new_book() -> Callable[..., Book]:
    """``new_book(save_path, n_files=3, seconds=2.0, piece_length=16384)``: generate a book and its torrent."""
    return make_book


@pytest.fixture
def book(qbt: QbittorrentProcess) -> Book:
    """A book whose data already sits in a folder under the instance's save dir."""
    return make_book(qbt.save_dir / f"seeded-{next(_book_numbers)}")


def wait_for(probe: Callable[[], T], accept: Callable[[T], bool], *, timeout: float = 10.0, every: float = 0.1) -> T:
    """Poll ``probe`` in real time until ``accept`` says yes; fails the test with the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s; last value: {value!r}")
        time.sleep(every)


@pytest.fixture
def wait() -> Callable[..., object]:
    """``wait(probe, accept, timeout=10.0, every=0.1)``: real-time polling with a deadline."""
    return wait_for
