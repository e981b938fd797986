"""Wanted-list endpoints and the series/author additions: success, 404, 409 and 422 for each."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from shelfkeeper.db.repositories import get_or_create_author, get_or_create_series
from shelfkeeper.db.tables import WantedBook
from shelfkeeper.domain.discovery.ownership import book_key
from shelfkeeper.domain.lifecycle import WantedReason
from shelfkeeper.services.wanted import WantedCandidate, record_wanted

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def wanted_row(session: Session, title: str, reason: str = "series_gap", **fields: Any) -> int:
    authors = fields.pop("authors", ("Brandon Sanderson",))
    status = fields.pop("status", "wanted")
    candidate = WantedCandidate(
        title=title,
        authors=authors,
        key=book_key(title, authors),
        reason=WantedReason(reason),
        source=fields.pop("source", "audible"),
        evidence={"explanation": f"{title} is wanted"},
        **fields,
    )
    row = record_wanted(session, candidate, NOW).row
    assert row is not None
    row.status = status
    session.commit()
    return row.id


@pytest.fixture
def stormlight(session: Session) -> dict[str, int]:
    series = get_or_create_series(session, "The Stormlight Archive")
    author = get_or_create_author(session, "Brandon Sanderson")
    session.commit()
    ids = {"series": series.id, "author": author.id}
    for title, position, extra in (
        ("Oathbringer", "3", {}),
        ("Edgedancer", "2.5", {}),
        ("Book Ten", "10", {}),
        ("Wind and Truth", "5", {"upcoming": True}),
        ("Already Here", "4", {"status": "imported"}),
    ):
        ids[title] = wanted_row(
            session, title, series_id=series.id, series_name=series.name, series_position=position, **extra
        )
    ids["Skyward"] = wanted_row(session, "Skyward", "author_catalogue", author_id=author.id)
    ids["Top"] = wanted_row(session, "The Name of the Wind", "top10", authors=("Patrick Rothfuss",), approved=False)
    return ids


def data(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["success"] is True
    return body["data"]


def error(answer: Any, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error_code"] == code


# ---- GET /api/wanted ----


FILTERS = [
    ({"reason": "top10"}, {"The Name of the Wind"}),
    ({"status": "imported"}, {"Already Here"}),
    ({"approved": "false"}, {"The Name of the Wind"}),
    ({"upcoming": "true"}, {"Wind and Truth"}),
    ({"q": "oath"}, {"Oathbringer"}),
    ({"q": "rothfuss"}, {"The Name of the Wind"}),
    ({"reason": "series_gap", "status": "wanted"}, {"Oathbringer", "Edgedancer", "Book Ten", "Wind and Truth"}),
]


def test_list_filters(client, stormlight):
    for params, titles in FILTERS:
        page = data(client.get("/api/wanted", params=params))
        assert {row["title"] for row in page["items"]} == titles and page["total"] == len(titles), params


def test_list_by_series_and_author_sorted_and_paged(client, stormlight):
    page = data(client.get("/api/wanted", params={"series_id": stormlight["series"], "sort": "title", "limit": 2}))
    assert [row["title"] for row in page["items"]] == ["Already Here", "Book Ten"] and page["total"] == 5
    by_author = data(client.get("/api/wanted", params={"author_id": stormlight["author"]}))
    assert "Skyward" in {row["title"] for row in by_author["items"]}
    newest = data(client.get("/api/wanted"))["items"][0]
    assert newest["title"] == "The Name of the Wind" and newest["explanation"] == "The Name of the Wind is wanted"


def test_list_rejects_bad_filters(client):
    for params in ({"status": "lost"}, {"reason": "whim"}, {"sort": "colour"}, {"limit": 0}, {"series_id": 0}):
        error(client.get("/api/wanted", params=params), 422, "VALIDATION_ERROR")


# ---- GET /api/wanted/{id} ----


def test_get_one(client, stormlight):
    row = data(client.get(f"/api/wanted/{stormlight['Oathbringer']}"))
    assert (row["title"], row["series_position"], row["reason"], row["status"]) == (
        "Oathbringer",
        "3",
        "series_gap",
        "wanted",
    )
    error(client.get("/api/wanted/999999"), 404, "WANTED_NOT_FOUND")
    error(client.get("/api/wanted/abc"), 422, "VALIDATION_ERROR")


# ---- POST /api/wanted ----


def test_add_a_book_by_hand(client, stormlight):
    body = {
        "title": "The Lost Metal",
        "authors": ["Brandon Sanderson"],
        "series": {"name": "The Stormlight Archive", "position": "6"},
        "asin": "b09qgxsj6n",
        "release_date": "2099-01-01",
        "priority": 5,
        "notes": "recommended by a friend",
    }
    row = data(client.post("/api/wanted", json=body), 201)
    assert (row["reason"], row["source"], row["status"], row["approved"]) == ("manual", "manual", "wanted", True)
    assert (row["series_id"], row["asin"], row["upcoming"], row["priority"]) == (
        stormlight["series"],
        "B09QGXSJ6N",
        True,
        5,
    )
    assert row["author_id"] == stormlight["author"] and row["evidence"]["notes"] == "recommended by a friend"
    box = data(client.post("/api/wanted", json={"title": "The Stormlight Archive Box Set"}), 201)
    assert box["flags"] == ["box_set", "omnibus"]


def test_add_by_hand_refuses_a_listed_or_owned_book(client, stormlight):
    error(
        client.post("/api/wanted", json={"title": "Oathbringer", "authors": ["Brandon Sanderson"]}),
        409,
        "WANTED_ALREADY_EXISTS",
    )
    slot = {"title": "Another Name", "series": {"name": "The Stormlight Archive", "position": "3"}}
    error(client.post("/api/wanted", json=slot), 409, "WANTED_ALREADY_EXISTS")  # the series slot is listed
    book = data(client.post("/api/books", json={"title": "Elantris", "authors": ["Brandon Sanderson"]}), 201)
    answer = client.post("/api/wanted", json={"title": "Elantris (Unabridged)", "authors": ["Sanderson, Brandon"]})
    error(answer, 409, "BOOK_ALREADY_EXISTS")
    assert answer.json()["details"] == {"existing_id": book["id"], "matched_by": "title"}
    assert data(client.get("/api/wanted", params={"q": "another"}))["total"] == 0  # nothing half-written


BAD_BODIES = [
    {},
    {"title": ""},
    {"title": "X", "asin": "short"},
    {"title": "X", "colour": "red"},
    {"title": "X", "series": {"name": "S", "position": "first"}},
    {"title": "X", "priority": 1000},
]


def test_add_by_hand_rejects_bad_bodies(client):
    for body in BAD_BODIES:
        error(client.post("/api/wanted", json=body), 422, "VALIDATION_ERROR")


# ---- approve, ignore, delete ----


def test_approve_a_top10_find_and_unignore_an_ignored_book(client, stormlight):
    approved = data(client.post(f"/api/wanted/{stormlight['Top']}/approve"))
    assert approved["approved"] is True and approved["status"] == "wanted"
    ignored = data(client.post(f"/api/wanted/{stormlight['Skyward']}/ignore"))
    assert ignored["status"] == "ignored"
    assert data(client.post(f"/api/wanted/{stormlight['Skyward']}/approve"))["status"] == "wanted"
    error(client.post(f"/api/wanted/{stormlight['Already Here']}/approve"), 409, "WANTED_STATE_CONFLICT")
    error(client.post("/api/wanted/999999/approve"), 404, "WANTED_NOT_FOUND")


def test_ignore_refuses_books_already_downloaded_or_imported(client, session, stormlight):
    downloaded = wanted_row(session, "Downloaded Book", status="downloaded")
    error(client.post(f"/api/wanted/{downloaded}/ignore"), 409, "WANTED_STATE_CONFLICT")
    error(client.post(f"/api/wanted/{stormlight['Already Here']}/ignore"), 409, "WANTED_STATE_CONFLICT")
    error(client.post("/api/wanted/999999/ignore"), 404, "WANTED_NOT_FOUND")
    error(client.post("/api/wanted/x/ignore"), 422, "VALIDATION_ERROR")


def test_delete(client, session, stormlight):
    assert data(client.delete(f"/api/wanted/{stormlight['Edgedancer']}")) == {
        "id": stormlight["Edgedancer"],
        "deleted": True,
    }
    error(client.get(f"/api/wanted/{stormlight['Edgedancer']}"), 404, "WANTED_NOT_FOUND")
    grabbed = wanted_row(session, "Grabbed Book", status="grabbed")
    error(client.delete(f"/api/wanted/{grabbed}"), 409, "WANTED_STATE_CONFLICT")
    error(client.delete("/api/wanted/999999"), 404, "WANTED_NOT_FOUND")
    session.expire_all()
    assert session.get(WantedBook, grabbed) is not None


# ---- series additions ----


def test_series_missing_in_reading_order(client, stormlight):
    rows = data(client.get(f"/api/series/{stormlight['series']}/missing"))
    assert [row["series_position"] for row in rows] == ["2.5", "3", "5", "10"]
    imported = data(client.get(f"/api/series/{stormlight['series']}/missing", params={"status": "imported"}))
    assert [row["title"] for row in imported] == ["Already Here"]
    error(client.get("/api/series/999999/missing"), 404, "SERIES_NOT_FOUND")
    error(client.get(f"/api/series/{stormlight['series']}/missing", params={"status": "x"}), 422, "VALIDATION_ERROR")


def test_series_monitor_and_unmonitor(client, stormlight):
    series_id = stormlight["series"]
    assert data(client.post(f"/api/series/{series_id}/unmonitor"))["monitored"] is False
    assert data(client.get(f"/api/series/{series_id}"))["monitored"] is False
    assert data(client.post(f"/api/series/{series_id}/monitor"))["monitored"] is True
    error(client.post("/api/series/999999/monitor"), 404, "SERIES_NOT_FOUND")
    error(client.post("/api/series/999999/unmonitor"), 404, "SERIES_NOT_FOUND")
    error(client.post("/api/series/abc/complete"), 422, "VALIDATION_ERROR")


# ---- author additions ----


def test_author_missing_and_completion_summary(client, session, stormlight):
    data(client.post("/api/books", json={"title": "Warbreaker", "authors": ["Brandon Sanderson"]}), 201)
    page = data(client.get(f"/api/authors/{stormlight['author']}/missing"))
    # Rows link to the author by name when they were recorded: the series gaps and the catalogue book.
    assert {row["title"] for row in page["items"]} == {
        "Oathbringer",
        "Edgedancer",
        "Book Ten",
        "Wind and Truth",
        "Skyward",
    }
    error(client.get("/api/authors/999999/missing"), 404, "AUTHOR_NOT_FOUND")
    summary = data(client.get("/api/authors/completion-summary", params={"q": "sanderson"}))
    (entry,) = summary["items"]
    assert (entry["owned_books"], entry["missing"], entry["upcoming"], entry["known_catalogue_size"]) == (1, 5, 1, 6)
    assert entry["completion"] == pytest.approx(1 / 6) and entry["last_catalogue_check_at"] is None
    assert data(client.get("/api/authors/completion-summary", params={"monitored": "false"}))["total"] == 0
    error(client.get("/api/authors/completion-summary", params={"limit": 501}), 422, "VALIDATION_ERROR")


def test_author_monitor_and_unmonitor(client, stormlight):
    author_id = stormlight["author"]
    assert data(client.post(f"/api/authors/{author_id}/unmonitor"))["monitored"] is False
    assert data(client.post(f"/api/authors/{author_id}/monitor"))["monitored"] is True
    error(client.post("/api/authors/999999/monitor"), 404, "AUTHOR_NOT_FOUND")
    error(client.post("/api/authors/999999/unmonitor"), 404, "AUTHOR_NOT_FOUND")
    error(client.post("/api/authors/abc/discover"), 422, "VALIDATION_ERROR")


def test_wanted_endpoints_need_the_api_key(anonymous_client):
    error(anonymous_client.get("/api/wanted"), 401, "UNAUTHORIZED")
