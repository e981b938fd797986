"""Series completion against the live fakes: providers asked, failures skipped, unplaced books placed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from shelfkeeper.api.app import create_app
from shelfkeeper.automation.series_completion import series_completion_task
from shelfkeeper.context import AppContext
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import Series, WantedBook
from tests.automation.wanted_world import (  # noqa: F401  (the fixtures boards and world)
    API_KEY,
    KINGS,
    RADIANCE,
    RHYTHM,
    STORMLIGHT,
    World,
    add_book,
    boards_fixture,
    make_context,
    run_job,
    stormlight,
    world_fixture,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def context(engine: Engine, world: World, tmp_path: Path) -> AppContext:
    return make_context(world.settings(tmp_path / "data"), engine)


def own_stormlight(context: AppContext, radiance_position: str | None = "2") -> None:
    add_book(context, "The Way of Kings", series=[(STORMLIGHT, "1")], asin=KINGS)
    add_book(context, "Words of Radiance", series=[(STORMLIGHT, radiance_position)], asin=RADIANCE)
    add_book(context, "Rhythm of War", series=[(STORMLIGHT, "4")], asin=RHYTHM)


def series_rows(context: AppContext) -> dict[str, tuple[str, str, list[str]]]:
    with unit_of_work(context.sessions) as session:
        found = session.scalars(select(WantedBook).where(WantedBook.reason == "series_gap"))
        return {row.series_position: (row.title, row.source, row.flags) for row in found}


def known(context: AppContext, name: str) -> tuple[list[str], datetime | None]:
    with unit_of_work(context.sessions) as session:
        series = session.scalar(select(Series).where(Series.name == name))
        return series.known_positions, series.last_checked_at


def test_a_provider_that_is_down_is_skipped_and_the_others_still_count(context, world):
    own_stormlight(context)
    stormlight(world.catalog)
    world.mam.add_torrent("Oathbringer", authors=["Brandon Sanderson"], series=[[STORMLIGHT, "3"]])
    world.audible.faults.set("down")
    result = run_job(context, series_completion_task, NOW)
    assert result.counts["provider_failures"] == 1 and result.counts["series_checked"] == 1
    assert [f["provider"] for f in result.metrics["provider_failures"]] == ["audible"]
    assert series_rows(context) == {"3": ("Oathbringer", "mam", [])}  # MAM alone still names the hole
    assert known(context, STORMLIGHT)[0] == ["1", "2", "3", "4"]


def test_owned_books_without_a_position_are_placed_through_audnexus(context, world):
    own_stormlight(context, radiance_position=None)
    stormlight(world.catalog)
    world.audible.faults.set("down")  # only Audnexus can say where Words of Radiance stands
    run_job(context, series_completion_task, NOW)
    asked = [request["path"] for request in world.audnexus.state()["requests"]]
    assert asked == [f"/books/{RADIANCE}"]
    # Position 2 is owned through the ASIN, so only 3 is a hole (untitled: nothing else lists it).
    assert series_rows(context) == {"3": (f"{STORMLIGHT} #3", "library", ["untitled"])}


def test_other_languages_do_not_name_a_gap(context, world):
    own_stormlight(context)
    world.mam.add_torrent(
        "Der Ruf der Klingen", authors=["Brandon Sanderson"], series=[[STORMLIGHT, "3"]], lang_code="GER"
    )
    run_job(context, series_completion_task, NOW)
    assert series_rows(context) == {"3": (f"{STORMLIGHT} #3", "library", ["untitled"])}


def test_mam_is_asked_for_a_limited_number_of_series(context, world):
    own_stormlight(context)
    add_book(context, "Leviathan Wakes", authors=["James S. A. Corey"], series=[("The Expanse", "1")])
    result = run_job(context, series_completion_task, NOW, mam_series_lookups=1)
    searches = [r for r in world.mam.state()["requests"] if r[1].endswith("loadSearchJSONbasic.php")]
    assert len(searches) == 1 and result.counts["series_checked"] == 2


def test_unmonitored_series_wait_for_the_endpoint(context, world):
    own_stormlight(context)
    stormlight(world.catalog)
    with unit_of_work(context.sessions) as session:
        session.scalar(select(Series).where(Series.name == STORMLIGHT)).monitored = False
    result = run_job(context, series_completion_task, NOW)
    assert result.counts.get("series_checked", 0) == 0 and series_rows(context) == {}
    assert known(context, STORMLIGHT)[1] is None

    with TestClient(create_app(context=context), headers={"X-Api-Key": API_KEY}) as client:
        series_id = client.get("/api/series", params={"q": "stormlight"}).json()["data"]["items"][0]["id"]
        answer = client.post(f"/api/series/{series_id}/complete")
        assert answer.status_code == 200, answer.text
        found = answer.json()["data"]
        assert [(row["series_position"], row["title"]) for row in found["missing"]] == [
            ("2.5", "Edgedancer"),
            ("3", "Oathbringer"),
            ("5", "Wind and Truth"),
        ]
        assert found["counts"]["wanted_created"] == 3 and found["provider_failures"] == []
        missing = client.get(f"/api/series/{series_id}/missing").json()["data"]
        assert [row["title"] for row in missing] == ["Edgedancer", "Oathbringer", "Wind and Truth"]
        summary = client.get("/api/series/completion-summary").json()["data"]["items"][0]
        assert summary["missing_positions"] == ["2.5", "3", "5"] and summary["known_total"] == 6
        assert client.post("/api/series/999999/complete").json()["error_code"] == "SERIES_NOT_FOUND"


def test_a_provider_failure_is_reported_by_the_endpoint_not_raised(context, world):
    own_stormlight(context)
    world.audible.faults.set("server_error")
    with TestClient(create_app(context=context), headers={"X-Api-Key": API_KEY}) as client:
        series_id = client.get("/api/series").json()["data"]["items"][0]["id"]
        found = client.post(f"/api/series/{series_id}/complete").json()["data"]
    assert [(f["provider"], f["error_code"]) for f in found["provider_failures"]] == [("audible", "SERVICE_ERROR")]
    assert [row["series_position"] for row in found["missing"]] == ["3"]


def test_found_books_go_on_to_acquisition_unless_asked_not_to(context, world):
    own_stormlight(context)
    stormlight(world.catalog)
    quiet = run_job(context, series_completion_task, NOW)  # run_job passes acquire=False
    assert not [name for name in quiet.counts if name.startswith("acquire_")]
    result = run_job(context, series_completion_task, NOW, acquire=True)
    # Edgedancer and Oathbringer are handed over; Wind and Truth is not out yet.
    assert result.counts["acquire_considered"] == 2 and result.counts["acquire_no_release"] == 2
