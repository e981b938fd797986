"""The metadata endpoints against the fake providers and the fake Audiobookshelf, on both databases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shelfkeeper.api.app import create_app
from shelfkeeper.jobs.leases import LeaseManager
from shelfkeeper.jobs.runner import job_lock
from tests.automation.metadata_world import (
    API_KEY,
    DUNE_ASIN,
    LEVIATHAN_ASIN,
    World,
    boards_fixture,  # noqa: F401 - a fixture
    world_fixture,  # noqa: F401 - a fixture
)

Api = Callable[..., TestClient]


@pytest.fixture
def api(world: World) -> Iterator[Api]:
    """``api(**settings)``: a client of an app whose settings point at the fakes."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        client = TestClient(create_app(context=world.make_context(**overrides)), headers={"X-Api-Key": API_KEY})
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def finish_jobs(client: TestClient) -> None:
    """Wait for the background runs the app started (on the app's own event loop)."""
    runner = client.app.state.context.job_runner()  # type: ignore[attr-defined]
    assert client.portal is not None
    client.portal.call(runner.wait_idle)


def data(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["success"] is True
    return body["data"]


def error(answer: Any, status: int, code: str) -> str:
    assert answer.status_code == status, answer.text
    assert answer.json()["error_code"] == code
    return str(answer.json()["error"])


# ---- one book ----------------------------------------------------------------------------------------------------


def test_refresh_metadata_of_one_book(world: World, api: Api) -> None:
    client = api()
    book_id = world.books["leviathan"]
    found = data(client.post(f"/api/books/{book_id}/refresh-metadata"))
    assert found["metadata_status"] == "corrected" and found["written_back"] is True and not found["dry_run"]
    assert [m["provider"] for m in found["matches"]] == ["google_books", "audnexus", "openlibrary"]
    assert found["matches"][1]["source_id"] == LEVIATHAN_ASIN and found["matches"][1]["decision"] == "apply"
    applied = {c["field"]: c for c in found["corrections"]}
    assert applied["asin"]["new_value"] == LEVIATHAN_ASIN and applied["asin"]["status"] == "applied"
    assert applied["asin"]["source"] == "audnexus" and applied["asin"]["confidence"] > 0.9
    book = data(client.get(f"/api/books/{book_id}"))
    assert book["asin"] == LEVIATHAN_ASIN and book["metadata_status"] == "corrected"
    history = data(client.get(f"/api/books/{book_id}/corrections"))
    assert history["total"] == len(found["corrections"])
    assert world.abs_item("leviathan")["asin"] == LEVIATHAN_ASIN
    error(client.post("/api/books/999999/refresh-metadata"), 404, "BOOK_NOT_FOUND")
    error(client.post(f"/api/books/{book_id}/refresh-metadata", json={"dry_run": "perhaps"}), 422, "VALIDATION_ERROR")
    error(client.post(f"/api/books/{book_id}/refresh-metadata", json={"dryrun": True}), 422, "VALIDATION_ERROR")


def test_correct_one_book_as_a_dry_run(world: World, api: Api) -> None:
    client = api()
    book_id = world.books["dune"]
    found = data(client.post(f"/api/metadata/correct/{book_id}", json={"dry_run": True}))
    assert found["dry_run"] is True and {c["status"] for c in found["corrections"]} == {"dry_run"}
    assert {c["field"] for c in found["corrections"]} >= {"asin", "narrators", "series"}
    book = data(client.get(f"/api/books/{book_id}"))
    assert book["asin"] is None and book["metadata_status"] == "unchecked"
    assert world.abs.patches == []
    error(client.post("/api/metadata/correct/999999"), 404, "BOOK_NOT_FOUND")


def test_every_provider_down_is_503_and_a_failed_attempt(world: World, api: Api) -> None:
    client = api()
    for fake in (world.google, world.nexus, world.audible, world.openlibrary):
        fake.faults.set("down")
    message = error(client.post(f"/api/metadata/correct/{world.books['dune']}"), 503, "SERVICE_UNREACHABLE")
    assert "every provider failed" in message
    attempts = data(client.get("/api/system/failed-attempts", params={"kind": "metadata"}))
    assert attempts["total"] == 1 and attempts["items"][0]["book_id"] == world.books["dune"]


def test_quota_exhausted_is_429(world: World, api: Api) -> None:
    client = api(google_books_daily_budget=1)
    data(client.post(f"/api/books/{world.books['dune']}/refresh-metadata"))
    error(client.post(f"/api/books/{world.books['omens']}/refresh-metadata"), 429, "SERVICE_QUOTA_EXHAUSTED")
    assert data(client.get(f"/api/books/{world.books['omens']}"))["metadata_status"] == "unchecked"


# ---- correct-all -------------------------------------------------------------------------------------------------


def test_correct_all_dry_run_changes_nothing_and_reports_what_it_would_change(world: World, api: Api) -> None:
    client = api()
    before = data(client.get("/api/books", params={"limit": 100}))["items"]
    started = data(client.post("/api/metadata/correct-all", json={"dry_run": True}), 202)
    assert started["name"] == "metadata_full_refresh_task" and started["parameters"]["dry_run"] is True
    finish_jobs(client)
    task = data(client.get(f"/api/scheduler/history/{started['task_id']}"))
    assert task["status"] == "success" and task["metrics"]["dry_run"] is True
    would = task["metrics"]["would_change"]
    assert {"book_id": world.books["leviathan"], "field": "asin", "new": LEVIATHAN_ASIN}.items() <= next(
        c for c in would if c["book_id"] == world.books["leviathan"] and c["field"] == "asin"
    ).items()
    recorded = data(client.get("/api/metadata/corrections", params={"task_id": started["task_id"], "limit": 500}))
    assert recorded["total"] == task["counts"]["corrections_dry_run"] == len(would)
    assert {c["status"] for c in recorded["items"]} == {"dry_run"}
    assert data(client.get("/api/books", params={"limit": 100}))["items"] == before
    assert world.abs.patches == []


def test_correct_all_applies_and_is_409_while_running(world: World, api: Api) -> None:
    client = api()
    started = data(client.post("/api/metadata/correct-all", json={"dry_run": False, "limit": 2}), 202)
    finish_jobs(client)
    task = data(client.get(f"/api/scheduler/history/{started['task_id']}"))
    assert task["counts"]["books_checked"] == 2 and task["counts"]["corrections_applied"] > 0
    applied = data(client.get("/api/metadata/corrections", params={"status": "applied", "limit": 500}))
    assert {c["task_id"] for c in applied["items"]} == {started["task_id"]}
    error(client.post("/api/metadata/correct-all", json={"limit": 0}), 422, "VALIDATION_ERROR")
    LeaseManager(world.context.sessions).acquire(  # type: ignore[union-attr]
        job_lock("metadata_full_refresh_task"), "another-process", 60, task_id=99
    )
    error(client.post("/api/metadata/correct-all"), 409, "JOB_ALREADY_RUNNING")


# ---- review ------------------------------------------------------------------------------------------------------


def test_approve_reject_and_revert(world: World, api: Api) -> None:
    client = api()
    found = data(client.post(f"/api/books/{world.books['outsider']}/refresh-metadata"))
    pending = {c["field"]: c["id"] for c in found["corrections"]}
    approved = data(client.post(f"/api/metadata/corrections/{pending['authors']}/approve"))
    assert approved["status"] == "applied" and world.abs_item("outsider")["authors"] == ["Albert Camus"]
    rejected = data(client.post(f"/api/metadata/corrections/{pending['asin']}/reject"))
    assert rejected["status"] == "rejected"
    message = error(
        client.post(f"/api/metadata/corrections/{pending['asin']}/approve"), 409, "CORRECTION_STATE_CONFLICT"
    )
    assert "rejected" in message
    error(client.post(f"/api/metadata/corrections/{pending['authors']}/reject"), 409, "CORRECTION_STATE_CONFLICT")
    reverted = data(client.post(f"/api/metadata/corrections/{pending['authors']}/revert"))
    assert reverted["status"] == "reverted" and world.abs_item("outsider")["authors"] == []
    assert data(client.get(f"/api/books/{world.books['outsider']}"))["authors"] == []
    error(client.post(f"/api/metadata/corrections/{pending['authors']}/revert"), 409, "CORRECTION_STATE_CONFLICT")
    for action in ("approve", "revert", "reject"):
        error(client.post(f"/api/metadata/corrections/999999/{action}"), 404, "CORRECTION_NOT_FOUND")
    one = data(client.get(f"/api/metadata/corrections/{pending['authors']}"))
    assert one["reverted_at"] is not None and one["applied_at"] is not None


def test_revert_of_a_field_changed_again_is_409_saying_why(world: World, api: Api) -> None:
    client = api()
    found = data(client.post(f"/api/books/{world.books['leviathan']}/refresh-metadata"))
    narrators = next(c for c in found["corrections"] if c["field"] == "narrators")
    book = data(client.get(f"/api/books/{world.books['leviathan']}"))
    data(client.put(f"/api/books/{world.books['leviathan']}", json=_book_update(book, narrators=["Another Voice"])))
    message = error(
        client.post(f"/api/metadata/corrections/{narrators['id']}/revert"), 409, "CORRECTION_STATE_CONFLICT"
    )
    assert "narrators is now 'Another Voice'" in message and "later change" in message


def _book_update(book: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A PUT body holding everything the book has, with ``changes``: a person editing one field."""
    kept = ("title", "subtitle", "narrators", "asin", "isbn", "publisher", "published_year", "language", "genres")
    body = {name: book[name] for name in (*kept, "description", "abs_id", "library_id")}
    body["authors"] = [author["name"] for author in book["authors"]]
    body["series"] = [{"name": s["name"], "position": s["position"]} for s in book["series"]]
    return {**body, **changes}


# ---- quality, preview, providers ---------------------------------------------------------------------------------


def test_quality_counts_filled_fields_and_corrections(world: World, api: Api) -> None:
    client = api()
    empty = data(client.get("/api/metadata/quality"))
    assert empty["books"] == len(world.books) and empty["with_asin"] == {"count": 1, "share": round(1 / 7, 4)}
    assert empty["corrections"]["applied"] == 0
    for story in ("leviathan", "outsider"):
        data(client.post(f"/api/books/{world.books[story]}/refresh-metadata"))
    after = data(client.get("/api/metadata/quality"))
    assert after["with_asin"]["count"] == 2 and after["with_narrator"]["count"] == 2
    assert after["with_series"]["count"] == 2 and after["with_description"]["count"] == 1
    assert after["corrections"]["applied"] > 0 and after["corrections"]["pending"] > 0
    assert after["corrections"]["reverted"] == 0
    assert after["by_metadata_status"]["corrected"] == 1 and after["by_metadata_status"]["needs_review"] == 1
    assert 0 < after["average_quality_score"] <= 1


def test_search_preview_scores_every_candidate(world: World, api: Api) -> None:
    client = api()
    found = data(client.get("/api/metadata/search", params={"title": "Dune", "author": "Frank Herbert"}))
    by_id = {c["source_id"]: c for c in found["candidates"]}
    assert by_id[DUNE_ASIN]["decision"] == "apply" and by_id["ok-dune"]["decision"] == "apply"
    assert by_id["B0DECOY004"]["decision"] == "reject"  # Dune Messiah
    assert by_id["B0DECOY003"]["decision"] != "apply"  # the abridged cut, only with a duration to tell them apart
    assert all(c["reasons"] for c in found["candidates"]) and found["errors"] == []
    ranks = [{"apply": 2, "review": 1, "reject": 0}[c["decision"]] for c in found["candidates"]]
    assert ranks == sorted(ranks, reverse=True)
    world.google.faults.set("down")
    down = data(client.get("/api/metadata/search", params={"title": "Good Omens"}))
    assert [e["provider"] for e in down["errors"]] == ["google_books"]
    assert {c["source"] for c in down["candidates"]} == {"audnexus"}
    error(client.get("/api/metadata/search"), 422, "VALIDATION_ERROR")


def test_a_slow_provider_is_reported_timed_out_and_the_others_answer(world: World, api: Api) -> None:
    client = api(outside_wait_seconds=3)
    world.google.faults.set("slow", delay=60.0)
    found = data(client.get("/api/metadata/search", params={"title": "Dune", "author": "Frank Herbert"}))
    world.google.faults.clear()
    statuses = {s["name"]: s["status"] for s in found["sources"]}
    assert statuses == {"google_books": "timed_out", "audnexus": "ok", "openlibrary": "ok"}
    assert {c["source"] for c in found["candidates"]} == {"audnexus", "openlibrary"}
    assert [e["provider"] for e in found["errors"]] == ["google_books"]
    assert "no answer within 3 s" in found["errors"][0]["error"]


def test_providers_show_reachability_budget_and_cache(world: World, api: Api) -> None:
    client = api(google_books_daily_budget=50)
    first = {p["name"]: p for p in data(client.get("/api/metadata/providers"))}
    assert list(first) == ["google_books", "audnexus", "audible", "openlibrary"]
    assert first["google_books"]["reachable"] is None and first["google_books"]["budget_left"] == 50
    assert all(p["configured"] and p["cache_entries"] == 0 for p in first.values())
    data(client.post(f"/api/books/{world.books['dune']}/refresh-metadata"))
    after = {p["name"]: p for p in data(client.get("/api/metadata/providers"))}
    assert after["google_books"]["budget_left"] == 49 and after["audnexus"]["budget_left"] is None
    assert all(p["reachable"] is True and p["cache_entries"] > 0 for name, p in after.items() if name != "audible")
    world.openlibrary.faults.set("down")
    data(client.post(f"/api/books/{world.books['omens']}/refresh-metadata"))
    down = {p["name"]: p for p in data(client.get("/api/metadata/providers"))}["openlibrary"]
    assert down["reachable"] is False and down["last_error_code"] == "SERVICE_ERROR" and down["last_error"]
