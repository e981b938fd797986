"""The demo's world is the one the docs describe: about 150 books in 25 series, gaps, messy copies, catalogues."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from shelfkeeper.testing.demo_fakes import DemoFakes, load_world
from shelfkeeper.testing.demo_world import build_world

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def test_the_world_has_gaps_messy_copies_and_seeded_wanted_books():
    world = build_world(today=NOW)
    series = Counter(book.series for book in world.books if book.series)
    assert len(series) == 25 and 130 <= len(world.books) <= 170
    owned = [book for book in world.books if book.owned]
    missing = [book for book in world.books if not book.owned]
    assert 0.15 < len(missing) / len(world.books) < 0.4
    assert {book.series for book in missing if book.series} and all(
        any(b.owned for b in world.books if b.series == name) for name in series
    ), "every series is partly owned: its gaps can be found"
    assert 0.1 < sum(1 for book in owned if book.messy) / len(owned) < 0.35
    assert any(book.release_date > NOW.date().isoformat() for book in missing), "an upcoming book"
    seeded = world.seeded_books
    assert len(seeded) == 4 and all(not book.owned and book.series for book in seeded)
    assert len({book.title for book in world.books + world.top10}) == len(world.books) + len(world.top10)
    assert build_world(today=NOW) == world, "the same world every run"


def test_loading_puts_the_owned_books_in_the_library_and_every_book_in_the_catalogue(tmp_path):
    world = build_world(today=NOW)
    fakes = DemoFakes.create()
    load_world(fakes, world, tmp_path, now=NOW)
    owned = [book for book in world.books if book.owned]
    items = list(fakes.audiobookshelf.data.items.values())
    assert len(items) == len(owned)
    messy_titles = {str(book.messy["title"]) for book in owned if "title" in book.messy}
    assert messy_titles <= {item.title for item in items}
    assert {book.asin for book in world.books} <= set(fakes.catalog.books)
    assert len(fakes.mam.torrents) == len(world.top10)
