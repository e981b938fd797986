"""Author completion against the live fakes: the catalogue merged, exclusions explained, quotas respected."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from shelfkeeper.api.app import create_app
from shelfkeeper.automation.author_completion import author_completion_task
from shelfkeeper.context import AppContext
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import Author, WantedBook
from tests.automation.wanted_world import (  # noqa: F401  (the fixtures boards and world)
    API_KEY,
    SANDERSON,
    SANDERSON_ASIN,
    STORMLIGHT,
    World,
    add_book,
    boards_fixture,
    make_context,
    run_job,
    seed_providers,
    world_fixture,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def context(engine: Engine, world: World, tmp_path: Path) -> AppContext:
    return make_context(world.settings(tmp_path / "data"), engine)


def author(context: AppContext, name: str) -> Author:
    with unit_of_work(context.sessions) as session:
        found = session.scalar(select(Author).where(Author.name == name))
        assert found is not None
        return found


def catalogue_rows(context: AppContext) -> dict[str, tuple[bool, list[str], str]]:
    with unit_of_work(context.sessions) as session:
        rows = session.scalars(select(WantedBook).where(WantedBook.reason == "author_catalogue"))
        return {row.title: (row.approved, row.flags, row.source) for row in rows}


def test_discover_lists_the_missing_books_and_says_why_the_others_are_left_out(context, world):
    add_book(context, "The Way of Kings", series=[(STORMLIGHT, "1")], asin="B003P2WO5E")
    add_book(context, "Mistborn: The Original Trilogy", series=[("Mistborn", "1-3")])
    add_book(context, "Warbreaker")
    seed_providers(world, NOW)
    with TestClient(create_app(context=context), headers={"X-Api-Key": API_KEY}) as client:
        author_id = client.get("/api/authors", params={"q": "sanderson"}).json()["data"]["items"][0]["id"]
        answer = client.post(f"/api/authors/{author_id}/discover")
        assert answer.status_code == 200, answer.text
        found = answer.json()["data"]
        missing = client.get(f"/api/authors/{author_id}/missing", params={"limit": 100}).json()["data"]
        assert client.post("/api/authors/999999/discover").json()["error_code"] == "AUTHOR_NOT_FOUND"
    reasons = {(item["title"], item["reason"]) for item in found["excluded"]}
    assert {
        ("The Way of Kings", "owned_by_asin"),
        ("Warbreaker", "owned_by_title"),
        ("The Final Empire", "owned_by_position"),
        ("Der Weg der Könige", "other_language"),
    } <= reasons
    titles = {row["title"] for row in found["missing"]}
    assert {"Elantris", "Skyward", "The Emperor's Soul", "Oathbringer", "The Alloy of Law"} <= titles
    assert not titles & {title for title, _ in reasons}
    assert {row["title"] for row in missing["items"]} == titles and missing["total"] == len(titles)
    arcanum = next(row for row in found["missing"] if row["title"].startswith("Arcanum"))
    assert arcanum["approved"] is False and "omnibus" in arcanum["flags"]
    assert "waits for approval" in arcanum["explanation"]
    # The author's Audible ASIN was found through Audnexus and kept; the check time is recorded.
    checked = author(context, SANDERSON)
    assert checked.asin == SANDERSON_ASIN and checked.last_catalogue_check_at is not None


def test_a_provider_out_of_quota_is_dropped_for_the_rest_of_the_run(context, world):
    add_book(context, "Warbreaker")
    add_book(context, "Leviathan Wakes", authors=["James S. A. Corey"])
    world.google.add_volume("Skyward", [SANDERSON])
    world.google.daily_quota = 0
    result = run_job(context, author_completion_task, NOW)
    assert result.counts["authors_checked"] == 2
    assert result.metrics["providers_dropped"] == {"google_books": "SERVICE_QUOTA_EXHAUSTED"}
    volume_requests = [r for r in world.google.state()["requests"] if r["path"].endswith("/volumes")]
    assert len(volume_requests) == 1  # the second author was not asked again
    assert catalogue_rows(context) == {}


def test_only_monitored_authors_longest_unchecked_first_and_at_most_max_authors(context, world):
    add_book(context, "Warbreaker")
    add_book(context, "Leviathan Wakes", authors=["James S. A. Corey"])
    add_book(context, "The Name of the Wind", authors=["Patrick Rothfuss"])
    with unit_of_work(context.sessions) as session:
        session.scalar(select(Author).where(Author.name == "Patrick Rothfuss")).monitored = False
        session.scalar(select(Author).where(Author.name == SANDERSON)).last_catalogue_check_at = datetime(2026, 1, 1)
    first = run_job(context, author_completion_task, NOW, max_authors=1)
    assert first.counts["authors_checked"] == 1
    assert author(context, "James S. A. Corey").last_catalogue_check_at is not None  # never checked goes first
    second = run_job(context, author_completion_task, NOW)
    assert second.counts["authors_checked"] == 2
    assert author(context, "Patrick Rothfuss").last_catalogue_check_at is None


def test_books_of_other_languages_and_other_authors_are_not_wanted(context, world):
    add_book(context, "Warbreaker")
    world.openlibrary.add_work("Elantris", [SANDERSON], language=["ger"], key="/works/OL1W")
    world.openlibrary.add_work("Elantris", ["Brandon Sanderson", "Someone Else"], language=["eng"], key="/works/OL2W")
    world.google.add_volume("The Sanderson Companion", ["A Fan"])
    result = run_job(context, author_completion_task, NOW)
    assert catalogue_rows(context) == {"Elantris": (True, [], "openlibrary")}
    assert result.counts["excluded"] == 1  # the German edition (Google's fan book is not Sanderson's at all)
