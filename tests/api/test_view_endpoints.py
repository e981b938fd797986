"""The endpoints behind the page's newer views, on both databases: catalogue search and adding a book by hand,
the log viewer, the cover proxy, the library's growth."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from shelfkeeper.api.app import create_app
from shelfkeeper.db.tables import Book
from shelfkeeper.services.books import create_book
from shelfkeeper.services.library_growth import period_start
from shelfkeeper.testing.fakes.audiobookshelf import COVER_PNG
from tests.automation.metadata_world import (
    ABS_TOKEN,
    API_KEY,
    COREY,
    World,
    boards_fixture,  # noqa: F401 - a fixture
    world_fixture,  # noqa: F401 - a fixture
)


@pytest.fixture
def api(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(context=world.make_context()), headers={"X-Api-Key": API_KEY}) as client:
        yield client


def data(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()["data"]


def error(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    assert body["success"] is False and body["error_code"] == code
    return body


# ---- catalogue search and "want it" ------------------------------------------------------------------------------


def test_catalogue_search_merges_providers_and_says_what_is_owned(world: World, api: TestClient) -> None:
    found = data(api.get("/api/catalogue/search", params={"q": "Dune", "author": "Frank Herbert"}))
    assert {p["provider"]: p["status"] for p in found["providers"]} == {
        "google_books": "ok",
        "audnexus": "ok",
        "openlibrary": "ok",
    }
    dune = [r for r in found["results"] if r["title"] == "Dune" and r["held"]]
    assert dune, found["results"]
    assert all(r["held"]["kind"] == "owned" and r["held"]["id"] == world.books["dune"] for r in dune)
    messiah = [r for r in found["results"] if r["title"].startswith("Dune Messiah")]
    assert messiah and all(r["held"] is None for r in messiah)  # another book of the author: it can be wanted
    identities = [r["asin"] for r in found["results"] if r["asin"]]
    assert len(identities) == len(set(identities))  # one row per book, with every provider that gave it


def test_a_failing_provider_is_reported_and_the_others_answer(world: World, api: TestClient) -> None:
    world.google.faults.set("down")
    found = data(api.get("/api/catalogue/search", params={"q": "Leviathan Wakes", "author": COREY}))
    world.google.faults.clear()
    by_name = {p["provider"]: p for p in found["providers"]}
    assert by_name["google_books"]["status"] == "failed" and by_name["google_books"]["error_code"]
    assert "google_books" in by_name["google_books"]["error"]
    assert by_name["audnexus"]["status"] == "ok" and by_name["audnexus"]["results"] >= 1
    assert found["results"] and "google_books" not in {r["source"] for r in found["results"]}


def test_catalogue_search_refuses_bad_queries(api: TestClient) -> None:
    error(api.get("/api/catalogue/search"), 422, "VALIDATION_ERROR")
    error(api.get("/api/catalogue/search", params={"q": "   "}), 422, "VALIDATION_ERROR")
    error(api.get("/api/catalogue/search", params={"q": "x" * 301}), 422, "VALIDATION_ERROR")


def test_want_a_catalogue_book_with_its_edition_then_duplicates_are_refused(world: World, api: TestClient) -> None:
    found = data(api.get("/api/catalogue/search", params={"q": "Caliban's War", "author": COREY}))
    pick = next(r for r in found["results"] if r["asin"] == "B0DECOY002")
    assert pick["held"] is None
    body = {
        "title": pick["title"],
        "authors": pick["authors"],
        "asin": pick["asin"],
        "edition": {
            "source": pick["source"],
            "source_id": pick["source_id"],
            "narrators": pick["narrators"],
            "duration_minutes": pick["duration_minutes"],
            "format_type": "unabridged",
        },
    }
    wanted = data(api.post("/api/wanted", json=body), 201)
    assert wanted["reason"] == "manual" and wanted["status"] == "wanted"
    assert "by hand" in wanted["explanation"] and pick["source"] in wanted["explanation"]
    edition = wanted["evidence"]["edition"]
    assert edition["source_id"] == pick["source_id"] and edition["narrators"] == ["Jefferson Mays"]
    assert edition["duration_minutes"] == 1245
    again = data(api.get("/api/catalogue/search", params={"q": "Caliban's War", "author": COREY}))
    held = next(r for r in again["results"] if r["asin"] == "B0DECOY002")["held"]
    assert held == {"kind": "wanted", "id": wanted["id"], "detail": held["detail"]} and "wanted list" in held["detail"]
    twice = error(api.post("/api/wanted", json=body), 409, "WANTED_ALREADY_EXISTS")
    assert twice["details"]["existing_id"] == wanted["id"]
    owned = error(
        api.post("/api/wanted", json={"title": "Dune", "authors": ["Frank Herbert"]}), 409, "BOOK_ALREADY_EXISTS"
    )
    assert owned["details"]["existing_id"] == world.books["dune"]
    bad = {**body, "title": "Another", "edition": {"source": "google_books", "source_id": "x", "format_type": "odd"}}
    error(api.post("/api/wanted", json=bad), 422, "VALIDATION_ERROR")


# ---- the log viewer ----------------------------------------------------------------------------------------------


def test_recent_logs_are_filtered_by_level_and_redacted(api: TestClient) -> None:
    log = logging.getLogger("shelfkeeper.test.viewer")
    run = uuid.uuid4().hex[:8]  # the buffer lives as long as the process: this run's records carry their own mark
    log.warning("viewer %s warning: calling http://host/api?apikey=s3cretvalue99 failed", run)
    log.error("viewer %s error: disk full", run)
    warnings = data(api.get("/api/system/logs", params={"level": "warning", "limit": 1000}))
    mine = [r for r in warnings["items"] if f"viewer {run}" in r["message"]]
    assert [r["level"] for r in mine] == ["ERROR", "WARNING"]  # newest first
    assert all(r["logger"] == "shelfkeeper.test.viewer" and r["task_id"] is None for r in mine)
    assert "s3cretvalue99" not in mine[1]["message"] and "apikey=[REDACTED]" in mine[1]["message"]
    errors = data(api.get("/api/system/logs", params={"level": "error", "limit": 1000}))
    assert {r["level"] for r in errors["items"]} <= {"ERROR", "CRITICAL"}
    assert any(r["message"] == f"viewer {run} error: disk full" for r in errors["items"])
    assert len(data(api.get("/api/system/logs", params={"limit": 1}))["items"]) == 1
    error(api.get("/api/system/logs", params={"level": "loud"}), 422, "VALIDATION_ERROR")
    error(api.get("/api/system/logs", params={"limit": 0}), 422, "VALIDATION_ERROR")
    error(api.get("/api/system/logs", params={"limit": 1001}), 422, "VALIDATION_ERROR")


# ---- covers ------------------------------------------------------------------------------------------------------


def _give_cover(world: World, story: str, *, in_abs: bool = True) -> int:
    if in_abs:
        world.abs.item(world.items[story]).cover_path = f"/metadata/items/{story}/cover.jpg"
    with Session(world.engine) as session:
        book = session.get(Book, world.books[story])
        assert book is not None
        book.has_cover = True
        session.commit()
    return world.books[story]


def test_the_cover_comes_through_shelfkeeper_with_its_token(world: World, api: TestClient) -> None:
    book_id = _give_cover(world, "dune")
    answer = api.get(f"/api/books/{book_id}/cover")
    assert answer.status_code == 200, answer.text
    assert answer.content == COVER_PNG and answer.headers["content-type"] == "image/png"
    assert answer.headers["cache-control"].startswith("private")
    asked = [
        h for (_m, path, _q), h in zip(world.abs.requests, world.abs.headers_seen, strict=True) if "/cover" in path
    ]
    assert asked and all(headers.get("authorization") == f"Bearer {ABS_TOKEN}" for headers in asked)
    assert ABS_TOKEN not in answer.text and ABS_TOKEN not in str(answer.headers)


def test_no_cover_is_a_precise_404(world: World, api: TestClient) -> None:
    error(api.get(f"/api/books/{world.books['omens']}/cover"), 404, "COVER_NOT_FOUND")  # the library says none
    listed_only = _give_cover(world, "kings", in_abs=False)  # the library says one, the server has none
    error(api.get(f"/api/books/{listed_only}/cover"), 404, "COVER_NOT_FOUND")
    error(api.get("/api/books/999999/cover"), 404, "BOOK_NOT_FOUND")
    error(api.get("/api/books/0/cover"), 422, "VALIDATION_ERROR")


def test_without_audiobookshelf_the_cover_is_unavailable(world: World) -> None:
    book_id = _give_cover(world, "dune")
    context = world.make_context(abs_url=None, abs_token=None)
    with TestClient(create_app(context=context), headers={"X-Api-Key": API_KEY}) as client:
        error(client.get(f"/api/books/{book_id}/cover"), 503, "SERVICE_NOT_CONFIGURED")


def test_a_silent_audiobookshelf_holds_the_cover_request_no_longer_than_the_bound(world: World) -> None:
    book_id = _give_cover(world, "dune")
    world.abs.faults.set("slow", delay=6.0)  # beyond the bound: the answer comes from the bound, not the fake
    try:
        context = world.make_context(outside_wait_seconds=1)
        with TestClient(create_app(context=context), headers={"X-Api-Key": API_KEY}) as client:
            refused = error(client.get(f"/api/books/{book_id}/cover"), 503, "SERVICE_UNREACHABLE")
        assert "no cover within 1 s" in refused["error"]
    finally:
        world.abs.faults.clear()


# ---- the library's growth ----------------------------------------------------------------------------------------


def test_library_growth_counts_books_by_when_they_were_added(client: TestClient, session: Session) -> None:
    now = datetime.now(UTC)
    added = {"Old": now - timedelta(days=3 * 365), "New": now, "Gone": now, "Unsaid": None}
    for title, when in added.items():
        book = create_book(session, {"title": title, "authors": ["Someone"], "in_library": title != "Gone"})
        book.abs_added_at = when
    session.commit()
    growth = data(client.get("/api/stats/library-growth", params={"interval": "month", "periods": 3}))
    points = growth["points"]
    assert len(points) == 3 and points[-1]["start"] == period_start(now.date(), "month").isoformat()
    assert [p["total"] for p in points] == [1, 1, 3]  # Old before the window; New and Unsaid (created now) this month
    assert [p["added"] for p in points] == [0, 0, 2]
    long = data(client.get("/api/stats/library-growth", params={"periods": 14}))["points"]
    months = [(int(p["start"][:4]), int(p["start"][5:7])) for p in long]
    assert all(p["start"].endswith("-01") for p in long)
    assert all(b == ((a[0] + a[1] // 12), a[1] % 12 + 1) for a, b in pairwise(months))  # no gap
    weeks = data(client.get("/api/stats/library-growth", params={"interval": "week", "periods": 2}))["points"]
    assert [p["start"] for p in weeks][-1] == period_start(now.date(), "week").isoformat()
    assert datetime.fromisoformat(weeks[-1]["start"]).weekday() == 0
    error(client.get("/api/stats/library-growth", params={"interval": "year"}), 422, "VALIDATION_ERROR")
    error(client.get("/api/stats/library-growth", params={"periods": 0}), 422, "VALIDATION_ERROR")
    error(client.get("/api/stats/library-growth", params={"periods": 121}), 422, "VALIDATION_ERROR")
