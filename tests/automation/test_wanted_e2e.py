"""The issue's "Done when": against the fakes, a library with holes yields exactly the expected wanted list, each
entry with its reason and evidence, and ``GET /api/series/completion-summary`` agrees with it.

Everything runs through the API: the three jobs are triggered with ``POST /api/scheduler/trigger/{name}`` and
read back with ``GET /api/wanted`` and the completion summaries, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfkeeper.api.app import create_app
from shelfkeeper.context import AppContext
from tests.automation.wanted_world import (  # noqa: F401  (the fixtures boards and world)
    API_KEY,
    SANDERSON,
    STORMLIGHT,
    World,
    add_book,
    boards_fixture,
    library_with_holes,
    make_context,
    world_fixture,
)

# (title, reason, series, position, approved, upcoming, flags, source): what the library with holes lacks.
EXPECTED = {
    ("Edgedancer", "series_gap", STORMLIGHT, "2.5", True, False, (), "audible"),
    ("Oathbringer", "series_gap", STORMLIGHT, "3", True, False, (), "audible,mam"),
    ("Wind and Truth", "series_gap", STORMLIGHT, "5", True, True, (), "audible"),
    ("The Alloy of Law", "series_gap", "Mistborn", "4", True, False, (), "audible"),
    ("The Expanse #2", "series_gap", "The Expanse", "2", True, False, ("untitled",), "library"),
    ("Elantris", "author_catalogue", None, None, True, False, (), "audible,google_books,openlibrary"),
    ("Skyward", "author_catalogue", None, None, True, False, (), "google_books"),
    ("The Emperor's Soul", "author_catalogue", None, None, True, False, (), "openlibrary"),
    (
        "Arcanum Unbounded: The Cosmere Collection",
        "author_catalogue",
        None,
        None,
        False,
        False,
        ("omnibus",),
        "audible",
    ),
    ("The Name of the Wind", "top10", None, None, False, False, (), "mam"),
}
GAP_REASONS = {
    "Edgedancer": "known_unowned",
    "Oathbringer": "hole",
    "Wind and Truth": "after_last",
    "The Alloy of Law": "after_last",
    "The Expanse #2": "hole",
}
JOBS = ("series_completion_task", "author_completion_task", "top10_discovery_task")


@pytest.fixture
def context(engine: Engine, world: World, tmp_path: Path) -> AppContext:
    settings = world.settings(tmp_path / "data", followed_genres=["Fantasy", "Knitting"])
    return make_context(settings, engine)


@pytest.fixture
def client(context: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(context=context), headers={"X-Api-Key": API_KEY}) as test_client:
        yield test_client


def run_jobs(client: TestClient, *names: str) -> dict[str, dict[str, Any]]:
    """Trigger each job through the scheduler API, one after the other, and wait for its Task."""
    tasks = {}
    for name in names:
        answer = client.post(f"/api/scheduler/trigger/{name}", json={"parameters": {"acquire": False}})
        assert answer.status_code == 202, answer.text
        task_id = answer.json()["data"]["task_id"]
        deadline = time.monotonic() + 30
        while (task := client.get(f"/api/scheduler/history/{task_id}").json()["data"])["status"] not in (
            "success",
            "failed",
        ):
            assert time.monotonic() < deadline, f"{name} did not finish"
            time.sleep(0.05)
        assert task["status"] == "success", task["error"]
        tasks[name] = task
    return tasks


def wanted(client: TestClient, **filters: Any) -> list[dict[str, Any]]:
    answer = client.get("/api/wanted", params={"limit": 500, **filters})
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["items"]


def shape(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        row["title"],
        row["reason"],
        row["series_name"],
        row["series_position"],
        row["approved"],
        row["upcoming"],
        tuple(row["flags"]),
        row["source"],
    )


def summary_missing(client: TestClient) -> dict[str, list[str]]:
    items = client.get("/api/series/completion-summary", params={"limit": 500}).json()["data"]["items"]
    return {item["name"]: item["missing_positions"] for item in items}


def wanted_positions(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    positions: dict[str, list[str]] = {}
    for row in rows:
        if row["reason"] == "series_gap":
            positions.setdefault(row["series_name"], []).append(row["series_position"])
    return {name: sorted(found, key=float) for name, found in positions.items()}


def test_a_library_with_holes_yields_exactly_the_expected_wanted_list(client, context, world):
    library_with_holes(world, context, datetime.now(UTC))
    tasks = run_jobs(client, *JOBS)

    rows = wanted(client, status="wanted")
    assert {shape(row) for row in rows} == EXPECTED
    assert len(rows) == len(EXPECTED)  # one row per book: found by several jobs, listed once
    for row in rows:
        assert row["explanation"] and row["evidence"]["explanation"] == row["explanation"]
        if row["reason"] == "series_gap":
            assert row["evidence"]["gap_reason"] == GAP_REASONS[row["title"]]
            assert row["series_id"] is not None
    by_title = {row["title"]: row for row in rows}
    assert by_title["Oathbringer"]["evidence"]["listed_by"] == ["audible", "mam"]
    assert by_title["Oathbringer"]["evidence"]["owned_before_title"] == "Words of Radiance"
    assert set(by_title["Oathbringer"]["evidence"]["also_found_by"]) == {"author_catalogue", "top10"}
    assert "no provider lists it" in by_title["The Expanse #2"]["explanation"]
    elantris = by_title["Elantris"]["evidence"]["editions"]
    assert {edition["source"] for edition in elantris} == {"audible", "google_books", "openlibrary"}
    assert by_title["The Name of the Wind"]["evidence"]["rankings"]["Fantasy"]["rank"] == 3
    assert by_title["Elantris"]["author_id"] is not None

    # The completion summary agrees with the wanted list, series by series.
    assert (
        summary_missing(client)
        == wanted_positions(rows)
        == {
            STORMLIGHT: ["2.5", "3", "5"],
            "Mistborn": ["4"],
            "The Expanse": ["2"],
        }
    )

    # The jobs say what they did and what they left out.
    assert tasks["series_completion_task"]["counts"]["wanted_created"] == 5
    assert tasks["author_completion_task"]["counts"]["excluded"] >= 5
    assert tasks["top10_discovery_task"]["counts"]["wanted_owned"] == 1  # The Way of Kings
    assert tasks["top10_discovery_task"]["counts"]["genres_unknown"] == 1  # Knitting

    # Owned books are never listed, whichever job found them.
    owned = {"The Way of Kings", "Words of Radiance", "Rhythm of War", "Warbreaker", "The Final Empire"}
    assert not owned & {row["title"] for row in wanted(client)}

    # The author summary counts the same rows.
    authors = client.get("/api/authors/completion-summary").json()["data"]["items"]
    sanderson = next(item for item in authors if item["name"] == SANDERSON)
    listed = [row for row in rows if row["author_id"] == sanderson["id"]]
    assert sanderson["missing"] == len(listed) and sanderson["owned_books"] == 5
    assert sanderson["known_catalogue_size"] == 5 + len(listed)
    assert sanderson["last_catalogue_check_at"] is not None


def test_running_again_changes_nothing_ignored_stays_ignored_and_owned_books_leave(client, context, world):
    library_with_holes(world, context, datetime.now(UTC))
    run_jobs(client, *JOBS)
    first = {row["id"]: shape(row) for row in wanted(client)}

    skyward = next(row for row in wanted(client) if row["title"] == "Skyward")
    assert client.post(f"/api/wanted/{skyward['id']}/ignore").json()["data"]["status"] == "ignored"
    again = run_jobs(client, *JOBS)
    assert {name: task["counts"]["wanted_created"] for name, task in again.items()} == dict.fromkeys(JOBS, 0)
    assert {row["id"]: shape(row) for row in wanted(client)} == first  # same rows, same facts
    assert client.get(f"/api/wanted/{skyward['id']}").json()["data"]["status"] == "ignored"
    assert again["author_completion_task"]["counts"]["wanted_ignored"] == 1

    # The library gets Oathbringer: its row is closed as imported and the series summary agrees.
    book_id = add_book(context, "Oathbringer", series=[(STORMLIGHT, "3")])
    run_jobs(client, "series_completion_task")
    oathbringer = next(row for row in wanted(client) if row["title"] == "Oathbringer")
    assert oathbringer["status"] == "imported" and oathbringer["book_id"] == book_id
    assert oathbringer["evidence"]["owned"]["by"] == "title"
    rows = wanted(client, status="wanted")
    assert "Oathbringer" not in {row["title"] for row in rows}
    assert summary_missing(client)[STORMLIGHT] == wanted_positions(rows)[STORMLIGHT] == ["2.5", "5"]
