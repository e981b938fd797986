"""What a sync writes, compared whole: a varied library synced, changed in Audiobookshelf and synced again
incrementally gives the same database (every book, person, series and link) as a first full sync of the
changed library into an empty one; a few tricky items are checked against their expected rows."""

# ruff: noqa: F811 - the fixtures come from test_library_sync and are named as its tests name them

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bench.sync_library_data import LIBRARY_ID, TRICKY, SyncShape, seed_fake
from shelfkeeper.context import AppContext
from shelfkeeper.db.session import make_session_factory
from shelfkeeper.db.tables import Author, Book, BookAuthor, BookNarrator, BookSeries, Series
from shelfkeeper.integrations import Integrations
from shelfkeeper.settings import Settings
from shelfkeeper.testing.clock import RecordingSleep
from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf
from shelfkeeper.testing.server import LiveServer, serve
from tests.automation.test_library_sync import TOKEN, Clock, clock, sync  # noqa: F401 - clock is a fixture
from tests.conftest import _wipe

BOOK_COLUMNS = [c for c in Book.__table__.c if c.name not in ("id", "created_at", "updated_at", "removed_at")]
SERIES_COLUMNS = [c for c in Series.__table__.c if c.name not in ("id", "created_at", "updated_at")]


def seed_varied(fake: FakeAudiobookshelf) -> dict[str, str]:
    """Generated items (several authors and narrators, runs of series, decimal positions, standalone books)
    and a few hand-written tricky ones in the same library; returns title -> item id of the tricky ones."""
    seed_fake(fake, SyncShape(items=240, authors=40, seed=11))
    return {title: fake.add_item(LIBRARY_ID, title, **fields) for title, fields in TRICKY.items()}


def change_library(fake: FakeAudiobookshelf, clock: Clock, ids: dict[str, str]) -> tuple[str, str]:
    """What happens in Audiobookshelf between two syncs: a series renamed, items deleted, edited, added.
    Returns the renamed series' old and new names."""
    clock.advance(3600)
    data = fake.data
    rng = random.Random(5)
    renamed = next(s for s in data.series.values() if s["name"].endswith("Saga 3"))
    data.update_series(renamed["id"], {"name": renamed["name"] + " (Renamed)"})
    generated = sorted(i for i in data.items if i.startswith("li_"))
    for item_id in rng.sample(generated, 5):
        data.delete_item(item_id)
    edited = data.items[ids["Good Omens"]]
    data.apply_media_patch(edited, {"metadata": {"title": "Good Omens (Revised)", "narrators": ["Stephen Fry"]}})
    fake.add_item(LIBRARY_ID, "The Expanse Boxed Set", authors=["James S. A. Corey"], series=[("The Expanse", "1-3")])
    fake.add_item(LIBRARY_ID, "A Standalone Arrival", authors=["Le Guin, Ursula K.", "Someone Else"])
    return renamed["name"].removesuffix(" (Renamed)"), renamed["name"]


def snapshot(sessions: sessionmaker[Session]) -> dict[str, Any]:
    """Every in-library book with its columns and links, and every series in use, by natural keys (no ids)."""
    with sessions() as session:
        books = {row.abs_id: tuple(row) for row in session.execute(select(*BOOK_COLUMNS).where(Book.in_library))}
        authors = session.execute(
            select(Book.abs_id, Author.name, Author.name_key, Author.sort_name, BookAuthor.ordinal)
            .join(BookAuthor, BookAuthor.book_id == Book.id)
            .join(Author, Author.id == BookAuthor.author_id)
            .where(Book.in_library)
        )
        narrators = session.execute(
            select(Book.abs_id, BookNarrator.name, BookNarrator.ordinal)
            .join(BookNarrator, BookNarrator.book_id == Book.id)
            .where(Book.in_library)
        )
        links = session.execute(
            select(Book.abs_id, Series.name, Series.abs_id, BookSeries.position, BookSeries.position_sort)
            .join(BookSeries, BookSeries.book_id == Book.id)
            .join(Series, Series.id == BookSeries.series_id)
            .where(Book.in_library)
        )
        used = select(BookSeries.series_id).join(Book, Book.id == BookSeries.book_id).where(Book.in_library)
        in_use = session.execute(select(*SERIES_COLUMNS).where(Series.id.in_(used)))
        series = {row.name_key: tuple(row) for row in in_use}
        return {
            "books": books,
            "authors": sorted(tuple(row) for row in authors),
            "narrators": sorted(tuple(row) for row in narrators),
            "series_links": sorted(tuple(row) for row in links),
            "series": series,
        }


@pytest.fixture
def varied(clock: Clock) -> tuple[FakeAudiobookshelf, dict[str, str]]:
    fake = FakeAudiobookshelf(TOKEN, clock=clock)
    return fake, seed_varied(fake)


@pytest.fixture
def varied_server(varied: tuple[FakeAudiobookshelf, dict[str, str]]) -> Any:
    with serve(varied[0].app) as live:
        yield live


def context_for(engine: Engine, tmp_path: Path, server: LiveServer) -> AppContext:
    settings = Settings(
        data_dir=tmp_path / "data", api_key="k" * 32, abs_url=server.url, abs_token=TOKEN, run_scheduler=False
    )  # type: ignore[call-arg]
    context = AppContext.from_settings(settings, engine=engine)
    context.integrations = Integrations(context, sleep=RecordingSleep())
    return context


def test_an_incremental_sync_after_changes_writes_what_a_first_full_sync_writes(
    engine: Engine,
    tmp_path: Path,
    clock: Clock,
    varied: tuple[FakeAudiobookshelf, dict[str, str]],
    varied_server: LiveServer,
) -> None:
    fake, ids = varied
    sessions = make_session_factory(engine)
    first = sync(context_for(engine, tmp_path, varied_server), clock)
    assert first.counts["created"] == len(fake.data.items) and first.counts["errors"] == 0
    before = snapshot(sessions)
    second = sync(context_for(engine, tmp_path, varied_server), clock, full=True)
    assert second.counts["unchanged"] == len(before["books"])
    assert snapshot(sessions) == before  # a second sync, full, changes nothing

    names_at_extra = [c.name for c in BOOK_COLUMNS].index("extra")
    old_name, new_name = change_library(fake, clock, ids)
    again = sync(context_for(engine, tmp_path, varied_server), clock)
    assert again.counts["removed"] == 5 and again.counts["created"] == 2 and again.counts["errors"] == 0
    incremental = snapshot(sessions)
    sources = [row[names_at_extra]["audiobookshelf"]["series"] for row in incremental["books"].values()]
    # The renamed series' books were not changed in Audiobookshelf, yet remember its new name, not the old.
    assert any(new_name + " #" in joined for joined in sources)
    assert not any(old_name + " #" in joined.replace(new_name + " #", "") for joined in sources)

    _wipe(engine)
    fresh = sync(context_for(engine, tmp_path, varied_server), clock)
    assert fresh.counts["created"] == len(fake.data.items)
    full = snapshot(sessions)
    names = [c.name for c in BOOK_COLUMNS]
    differing = [
        (abs_id, name, old, new)
        for abs_id, row in incremental["books"].items()
        for name, old, new in zip(names, row, full["books"].get(abs_id, [None] * len(names)), strict=True)
        if old != new
    ]
    assert differing == [] and incremental["books"].keys() == full["books"].keys()
    for part in ("authors", "narrators", "series_links", "series"):
        assert incremental[part] == full[part], part
    assert len(full["books"]) == len(fake.data.items) and len(full["series_links"]) > 200

    with sessions() as session:
        by_title = {b.title: b for b in session.scalars(select(Book).where(Book.abs_id.in_(list(ids.values()))))}
        expected = {
            "A Wizard of Earthsea": (["Ursula K. Le Guin"], [], [("Earthsea Cycle, The", "1")]),
            "The Word for World": (["Ursula K. Le Guin", "Someone Else"], [], []),
            "Good Omens (Revised)": (["Terry Pratchett", "Neil Gaiman"], ["Stephen Fry"], []),
            "Two Series Book": (["Brandon Sanderson"], [], [("Cosmere", "7"), ("Mistborn", "0.5")]),
            "Déjà Lu": (["Frank Schätzing"], ["Renée Élan"], [("Série Noire", "2")]),
            "三体": (["刘慈欣"], [], [("地球往事", "1")]),
        }
        for title, (authors, narrators, series) in expected.items():
            found = by_title[title]
            assert [link.author.name for link in found.author_links] == authors, title
            assert [link.name for link in found.narrator_links] == narrators, title
            assert sorted((link.series.name, link.position) for link in found.series_links) == series, title
        arrival = session.scalars(select(Book).where(Book.title == "A Standalone Arrival")).one()
        assert [link.author.name for link in arrival.author_links] == ["Ursula K. Le Guin", "Someone Else"]
        assert " deja lu " in by_title["Déjà Lu"].search_text and "renee elan" in by_title["Déjà Lu"].search_text
        butcher = by_title["The Butcher of Anderson Station"]
        assert [(link.position, link.position_sort) for link in butcher.series_links] == [("1.5", 1.5)]
        renamed = [s for s in full["series"] if s.endswith("renamed")]
        assert len(renamed) == 1
