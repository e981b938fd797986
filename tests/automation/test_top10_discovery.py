"""Top-10 discovery against the live fake MAM: genres mapped, owned and ignored books make room, approval waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import Engine, select

from shelfkeeper.automation.top10_discovery import genre_category, top10_discovery_task
from shelfkeeper.context import AppContext
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import WantedBook
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.testing.doubles import InMemoryTracker
from tests.automation.wanted_world import (  # noqa: F401  (the fixtures boards and world)
    World,
    add_book,
    boards_fixture,
    make_context,
    run_job,
    world_fixture,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
RECENT = NOW - timedelta(days=2)
WORDS = [
    "Amber",
    "Birch",
    "Cedar",
    "Dusk",
    "Ember",
    "Frost",
    "Gale",
    "Hollow",
    "Iron",
    "Jade",
    "Kestrel",
    "Lantern",
    "Marrow",
    "Nettle",
]


@pytest.mark.parametrize(
    ("genre", "category"),
    [
        ("Fantasy", 41),
        ("fantasy", 41),
        ("Science Fiction", 47),
        ("Sci-Fi", 47),
        ("SF", 47),
        ("Crime/Thriller", 40),
        ("Thriller", 40),
        ("crime", 40),
        ("Mystery", 87),
        ("Young Adult", 111),
        ("YA", 111),
        ("Self-Help", 53),
        ("self help", 53),
        ("Non-fiction", 52),
        ("General Non-Fic", 52),
        ("Memoir", 50),
        ("Urban Fantasy", 108),
        ("True Crime", 100),
        ("Romance", 46),
        ("Horror", 43),
        ("Humour", 99),
        ("Pol/Soc/Relig", 58),
        ("Religion", 58),
        ("41", 41),
        ("  47 ", 47),
        ("999", None),
        ("Knitting", None),
        ("", None),
    ],
)
def test_genre_names_map_to_mam_audiobook_categories(genre, category):
    assert genre_category(genre) == category


def context_with(engine: Engine, world: World, tmp_path: Path, **settings: object) -> AppContext:
    return make_context(world.settings(tmp_path / "data", followed_genres=["Fantasy"], **settings), engine)


def listed(context: AppContext) -> list[tuple[str, bool, int]]:
    with unit_of_work(context.sessions) as session:
        rows = session.scalars(select(WantedBook).where(WantedBook.status == "wanted").order_by(WantedBook.id))
        return [(row.title, row.approved, row.evidence["rankings"]["Fantasy"]["rank"]) for row in rows]


def test_the_top_ten_not_owned_wait_for_approval_and_skipped_books_make_room(engine, world, tmp_path):
    context = context_with(engine, world, tmp_path)
    for n, word in enumerate(WORDS, start=1):
        world.mam.add_torrent(f"The {word} Crown", authors=["An Author"], times_completed=2000 - n, added=RECENT)
    world.mam.add_torrent("The Cedar Crown", authors=["An Author"], filetype="mp3", times_completed=1996, added=RECENT)
    world.mam.add_torrent("Ein Buch", authors=["Ein Autor"], lang_code="GER", times_completed=1999, added=RECENT)
    world.mam.add_torrent("Science Book", category=47, times_completed=5000, added=RECENT)
    world.mam.add_torrent("Old Fantasy Book", times_completed=9000, added=NOW - timedelta(days=60))
    add_book(context, "The Amber Crown", authors=["An Author"])
    run_job(context, top10_discovery_task, NOW)
    ignored = [row for row in listed(context) if row[0] == "The Ember Crown"]
    with unit_of_work(context.sessions) as session:
        session.scalar(select(WantedBook).where(WantedBook.title == "The Ember Crown")).status = "ignored"

    result = run_job(context, top10_discovery_task, NOW)
    rows = listed(context)
    # Amber is owned, the German book and the mp3 copy of Cedar do not count, Ember is ignored: Lantern is tenth.
    expected = ["Birch", "Cedar", "Dusk", "Frost", "Gale", "Hollow", "Iron", "Jade", "Kestrel", "Lantern"]
    assert [title for title, _, _ in rows] == [f"The {word} Crown" for word in expected]
    assert all(approved is False for _, approved, _ in rows)
    assert rows[0][2] == 3  # ranked after 01 and the German book
    assert ignored and result.counts["wanted_ignored"] == 1 and result.counts["wanted_owned"] == 1
    assert result.counts["wanted_created"] == 1  # only the book that took the ignored one's place


def test_auto_grab_approves_what_top_ten_finds(engine, world, tmp_path):
    context = context_with(engine, world, tmp_path, auto_grab=True)
    tracker = InMemoryTracker()  # MAM's HTTP is not the point here: its top list, in memory
    wind = Release(
        "MyAnonamouse", "The Name of the Wind", "7", source="mam", mam_id=7, grabs=900, authors=("Patrick Rothfuss",)
    )
    tracker.tops[41] = [wind]
    result = run_job(context, top10_discovery_task, NOW, adapters={"mam": tracker})
    assert listed(context) == [("The Name of the Wind", True, 1)]
    assert [call[0] for call in tracker.called("top_snatched")] == [41]
    assert result.metrics["audible_best_sellers"] == "not offered"


def test_mam_is_asked_for_the_most_snatched_in_the_window(engine, world, tmp_path):
    context = context_with(engine, world, tmp_path, top10_window_days=7)
    run_job(context, top10_discovery_task, NOW)
    (request,) = world.mam.state()["requests"]
    params = dict(request[2]) if isinstance(request[2], list) else dict(parse_qsl(request[2]))
    assert params["tor[sortType]"] == "snatchedDesc" and params["tor[cat][0]"] == "41"
    assert (params["tor[startDate]"], params["tor[endDate]"]) == ("2026-11-17", "2026-11-25")


def test_unknown_genres_and_an_unconfigured_mam_are_counted_not_fatal(engine, world, tmp_path):
    settings = world.settings(tmp_path / "data", followed_genres=["Knitting", "Fantasy"], mam_id=None)
    result = run_job(make_context(settings, engine), top10_discovery_task, NOW)
    assert result.counts["genres_unknown"] == 1 and result.counts["genres_checked"] == 0
    assert result.counts["provider_failures"] == 0  # not configured is not a failure


def test_a_top10_find_the_library_got_since_is_closed(engine, world, tmp_path):
    context = context_with(engine, world, tmp_path)
    world.mam.add_torrent("The Name of the Wind", authors=["Patrick Rothfuss"], times_completed=900, added=RECENT)
    run_job(context, top10_discovery_task, NOW)
    add_book(context, "The Name of the Wind", authors=["Patrick Rothfuss"])
    result = run_job(context, top10_discovery_task, NOW + timedelta(days=60))  # it has left the window too
    assert result.counts["wanted_closed_owned"] == 1 and listed(context) == []


@pytest.mark.parametrize(
    ("title", "filetype"),
    [
        ("The Glass Orchard", "epub"),
        ("The Glass Orchard", "mobi azw3"),
        ("The Glass Orchard", "pdf"),
        ("The Glass Orchard [EPUB]", ""),
        ("The Glass Orchard.azw3", ""),
    ],
)
def test_an_ebook_filed_in_an_audiobook_category_is_not_wanted(engine, world, tmp_path, title, filetype):
    context = context_with(engine, world, tmp_path)
    world.mam.add_torrent(title, authors=["Ann Leckie"], filetype=filetype, times_completed=900, added=RECENT)
    world.mam.add_torrent("The Tin Lantern", authors=["Ann Leckie"], times_completed=800, added=RECENT)
    result = run_job(context, top10_discovery_task, NOW)
    # the e-book is first on MAM's Fantasy audiobook list; the audiobook after it is still ranked second
    assert listed(context) == [("The Tin Lantern", False, 2)]
    assert result.counts["skipped_ebooks"] == 1


def test_an_audiobook_with_an_ebook_beside_it_is_still_wanted(engine, world, tmp_path):
    context = context_with(engine, world, tmp_path)
    world.mam.add_torrent(
        "The Glass Orchard", authors=["Ann Leckie"], filetype="m4b epub", times_completed=900, added=RECENT
    )
    run_job(context, top10_discovery_task, NOW)
    assert [title for title, _, _ in listed(context)] == ["The Glass Orchard"]
