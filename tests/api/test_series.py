"""Series endpoints on both backends: create, list, get, update, delete, books in reading order, completion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from shelfkeeper.db.tables import Series
from tests.api.envelope_checks import failed, ok


def names(page: dict[str, Any]) -> list[str]:
    return [item["name"] for item in page["items"]]


def add_book(client: Any, title: str, series: str, position: str | None, **fields: Any) -> dict[str, Any]:
    return ok(
        client.post("/api/books", json={"title": title, "series": [{"name": series, "position": position}], **fields}),
        201,
    )


# --- create, read, duplicates ----------------------------------------------------------------------------------


def test_create_and_get(client):
    body = {
        "name": "The Expanse",
        "description": "Space.",
        "provider_ids": {"audible": "B0EXPANSE1"},
        "known_total": 9,
        "known_positions": [str(n) for n in range(1, 10)],
        "monitored": False,
        "abs_id": "ser_1",
    }
    created = ok(client.post("/api/series", json=body), 201)
    for field, value in body.items():
        assert created[field] == value, field
    assert created["owned_count"] == 0 and created["completion"] == 0.0
    assert ok(client.get(f"/api/series/{created['id']}")) == created
    bare = ok(client.post("/api/series", json={"name": "Discworld"}), 201)
    assert (bare["monitored"], bare["completion"], bare["known_positions"]) == (True, None, [])


def test_a_series_name_is_unique_across_case_spacing_and_leading_article(client):
    existing = ok(client.post("/api/series", json={"name": "The Expanse"}), 201)
    for clash in (
        "The Expanse",
        "the expanse",
        "THE EXPANSE",
        "Expanse",
        "  The   Expanse ",
        "An Expanse",
        "The Expanse!",
    ):
        body = failed(client.post("/api/series", json={"name": clash}), 409, "SERIES_ALREADY_EXISTS")
        assert body["details"] == {"existing_id": existing["id"]}, clash
    assert ok(client.get("/api/series"))["total"] == 1


def test_renaming_onto_another_series_is_409_but_recasing_itself_is_fine(client):
    first = ok(client.post("/api/series", json={"name": "Mistborn"}), 201)
    second = ok(client.post("/api/series", json={"name": "Stormlight"}), 201)
    failed(client.put(f"/api/series/{second['id']}", json={"name": "mistborn"}), 409, "SERIES_ALREADY_EXISTS")
    assert ok(client.put(f"/api/series/{first['id']}", json={"name": "MISTBORN"}))["name"] == "MISTBORN"


def test_a_missing_series_is_404_everywhere(client):
    for response in (
        client.get("/api/series/999999"),
        client.get("/api/series/999999/books"),
        client.put("/api/series/999999", json={"name": "X"}),
        client.delete("/api/series/999999"),
    ):
        assert "999999" in failed(response, 404, "SERIES_NOT_FOUND")["error"]


BAD_SERIES = [
    ({"name": ""}, "name"),
    ({}, "name"),
    ({"name": "S", "known_total": -1}, "known_total"),
    ({"name": "S", "known_total": 10_001}, "known_total"),
    ({"name": "S", "known_positions": ["first"]}, "known_positions.0"),
    ({"name": "S", "monitored": "sometimes"}, "monitored"),
    ({"name": "S", "owned_count": 3}, "owned_count"),  # computed, not writable
]


def test_bad_series_input_is_422(client):
    for body, field in BAD_SERIES:
        for response in (client.post("/api/series", json=body), client.put("/api/series/1", json=body)):
            error = failed(response, 422, "VALIDATION_ERROR")
            assert field in {entry["field"] for entry in error["details"]}, body
    assert ok(client.get("/api/series"))["total"] == 0


def test_bad_list_parameters_are_422(client):
    for query, field in (
        ("sort=size", "sort"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("offset=-1", "offset"),
        ("complete=perhaps", "complete"),
    ):
        for path in ("/api/series", "/api/series/completion-summary"):
            if field == "sort" and path.endswith("summary"):
                continue
            error = failed(client.get(f"{path}?{query}"), 422, "VALIDATION_ERROR")
            assert [entry["field"] for entry in error["details"]] == [field], (path, query)
    error = failed(client.get("/api/series?sort=size"), 422, "VALIDATION_ERROR")
    for allowed in ("name", "completion", "owned", "created", "updated", "id"):
        assert allowed in error["error"]


# --- list: filters, sorts, paging ------------------------------------------------------------------------------

SHELF = [  # name, known positions, owned positions, monitored, days ago created / updated
    ("The Expanse", ["1", "2", "3", "4"], ["1", "2", "3", "4"], True, 3, 1),
    ("Mistborn", ["1", "2", "3"], ["1"], True, 1, 3),
    ("Ænima Saga", [], ["1"], False, 2, 2),
    ("Dune", ["1", "2", "3", "4", "5", "6"], ["1", "2", "3"], False, 4, 4),
]


@pytest.fixture
def shelf(client: Any, session: Any) -> dict[str, int]:
    now = datetime.now(UTC).replace(microsecond=0)
    ids = {}
    for name, known, owned, monitored, created, updated in SHELF:
        series = ok(
            client.post("/api/series", json={"name": name, "known_positions": known, "monitored": monitored}), 201
        )
        for position in owned:
            add_book(client, f"{name} {position}", name, position)
        session.execute(
            update(Series)
            .where(Series.id == series["id"])
            .values(created_at=now - timedelta(days=created), updated_at=now - timedelta(days=updated))
        )
        session.commit()
        ids[name] = series["id"]
    return ids


def test_list_filters_and_sorts(client, shelf):
    cases = [
        ({}, ["Ænima Saga", "Dune", "The Expanse", "Mistborn"]),  # by name: accent folded, article ignored
        ({"q": "expanse"}, ["The Expanse"]),
        ({"q": "the expanse"}, ["The Expanse"]),
        ({"q": "aenima"}, ["Ænima Saga"]),
        ({"q": "saga"}, ["Ænima Saga"]),
        ({"q": "nothing"}, []),
        ({"monitored": "true"}, ["The Expanse", "Mistborn"]),
        ({"monitored": "false"}, ["Ænima Saga", "Dune"]),
        ({"complete": "true"}, ["The Expanse"]),
        ({"complete": "false"}, ["Dune", "Mistborn"]),  # a series with no known positions is neither
        ({"monitored": "false", "complete": "false"}, ["Dune"]),
        ({"sort": "-name"}, ["Mistborn", "The Expanse", "Dune", "Ænima Saga"]),
        ({"sort": "completion"}, ["Mistborn", "Dune", "The Expanse", "Ænima Saga"]),  # unknown last
        ({"sort": "-completion"}, ["The Expanse", "Dune", "Mistborn", "Ænima Saga"]),
        ({"sort": "owned"}, ["Mistborn", "Ænima Saga", "Dune", "The Expanse"]),  # ties by id
        ({"sort": "-owned"}, ["The Expanse", "Dune", "Mistborn", "Ænima Saga"]),
        ({"sort": "created"}, ["Dune", "The Expanse", "Ænima Saga", "Mistborn"]),
        ({"sort": "-created"}, ["Mistborn", "Ænima Saga", "The Expanse", "Dune"]),
        ({"sort": "updated"}, ["Dune", "Mistborn", "Ænima Saga", "The Expanse"]),
        ({"sort": "-updated"}, ["The Expanse", "Ænima Saga", "Mistborn", "Dune"]),
        ({"sort": "id"}, ["The Expanse", "Mistborn", "Ænima Saga", "Dune"]),
        ({"sort": "-id"}, ["Dune", "Ænima Saga", "Mistborn", "The Expanse"]),
    ]
    for params, expected in cases:
        page = ok(client.get("/api/series", params=params))
        assert (names(page), page["total"]) == (expected, len(expected)), params
    paged = [names(ok(client.get("/api/series", params={"limit": 3, "offset": offset}))) for offset in (0, 3, 6)]
    assert paged == [["Ænima Saga", "Dune", "The Expanse"], ["Mistborn"], []]
    assert ok(client.get("/api/series", params={"limit": 3, "offset": 6}))["total"] == 4


# --- a series' books in reading order --------------------------------------------------------------------------


def test_books_come_in_reading_order_with_unnumbered_ones_last(client):
    series = ok(client.post("/api/series", json={"name": "Cosmere"}), 201)
    for title, position in (
        ("Ten", "10"),
        ("Unnumbered", None),
        ("Two", "2"),
        ("One", "1"),
        ("Three-Four", "3-4"),
        ("One and a half", "1.5"),
        ("Prequel", "0.5"),
        ("Two again", "2"),
    ):
        add_book(client, title, "Cosmere", position)
    add_book(client, "Elsewhere", "Other", "1")
    page = ok(client.get(f"/api/series/{series['id']}/books"))
    assert [item["title"] for item in page["items"]] == [
        "Prequel",
        "One",
        "One and a half",
        "Two",
        "Two again",
        "Three-Four",
        "Ten",
        "Unnumbered",
    ]
    assert page["total"] == 8
    assert [s["position"] for s in page["items"][5]["series"]] == ["3-4"]
    window = ok(client.get(f"/api/series/{series['id']}/books", params={"limit": 2, "offset": 6}))
    assert [item["title"] for item in window["items"]] == ["Ten", "Unnumbered"]
    past = ok(client.get(f"/api/series/{series['id']}/books", params={"offset": 8}))
    assert (past["items"], past["total"]) == ([], 8)


# --- completion ------------------------------------------------------------------------------------------------


def test_completion_summary_owned_known_and_missing_positions(client):
    expanse = ok(
        client.post("/api/series", json={"name": "The Expanse", "known_positions": ["1", "2", "3", "4", "5"]}), 201
    )
    for title, position in (("Leviathan Wakes", "1"), ("The Churn", "1.5"), ("Omnibus", "3-4")):
        add_book(client, title, "The Expanse", position)
    add_book(client, "Removed", "The Expanse", "5", in_library=False)
    add_book(client, "Mistborn 1", "Mistborn", "1")
    ok(client.post("/api/series", json={"name": "Done", "known_total": 1}), 201)
    add_book(client, "Done 1", "Done", "1")
    summary = ok(client.get("/api/series/completion-summary"))
    assert [item["name"] for item in summary["items"]] == ["Done", "The Expanse", "Mistborn"]
    entry = summary["items"][1]
    assert entry["id"] == expanse["id"]
    assert entry["owned_positions"] == ["1", "1.5", "3", "4"]  # the removed book 5 is not owned
    assert entry["known_positions"] == ["1", "2", "3", "4", "5"]
    assert entry["missing_positions"] == ["2", "5"]
    assert entry["owned_count"] == 4
    assert entry["completion"] == pytest.approx(3 / 5)  # known positions owned; the novella 1.5 is extra
    mistborn = summary["items"][2]
    assert (mistborn["known_positions"], mistborn["missing_positions"], mistborn["completion"]) == ([], [], None)
    assert summary["total"] == 3 and summary["complete_series"] == 1 and summary["series_with_known_positions"] == 2
    assert [
        i["name"] for i in ok(client.get("/api/series/completion-summary", params={"complete": True}))["items"]
    ] == ["Done"]
    assert [i["name"] for i in ok(client.get("/api/series/completion-summary", params={"q": "mist"}))["items"]] == [
        "Mistborn"
    ]
    page = ok(client.get("/api/series/completion-summary", params={"limit": 1, "offset": 1}))
    assert [i["name"] for i in page["items"]] == ["The Expanse"] and page["total"] == 3


def test_a_novella_does_not_make_a_series_complete(client):
    series = ok(client.post("/api/series", json={"name": "Trilogy", "known_positions": ["1", "2", "3"]}), 201)
    for title, position in (("One", "1"), ("Novella", "1.5"), ("Two", "2")):
        add_book(client, title, "Trilogy", position)
    read = ok(client.get(f"/api/series/{series['id']}"))
    assert read["completion"] == pytest.approx(2 / 3) and read["owned_count"] == 3
    assert ok(client.get("/api/series", params={"complete": True}))["total"] == 0
    add_book(client, "Three", "Trilogy", "3")
    assert ok(client.get(f"/api/series/{series['id']}"))["completion"] == 1.0
    assert names(ok(client.get("/api/series", params={"complete": True}))) == ["Trilogy"]


def test_completion_from_a_known_total_counts_whole_positions(client):
    series = ok(client.post("/api/series", json={"name": "Count Only", "known_total": 4}), 201)
    for title, position in (("One", "1"), ("Half", "0.5"), ("Two-Three", "2-3"), ("Extra", "7")):
        add_book(client, title, "Count Only", position)
    assert ok(client.get(f"/api/series/{series['id']}"))["completion"] == pytest.approx(3 / 4)


# --- update and delete -----------------------------------------------------------------------------------------


def test_put_replaces_and_recomputes_completion(client):
    series = ok(
        client.post(
            "/api/series",
            json={
                "name": "Saga",
                "description": "d",
                "known_positions": ["1", "2"],
                "provider_ids": {"audible": "X"},
                "monitored": False,
            },
        ),
        201,
    )
    add_book(client, "One", "Saga", "1")
    assert ok(client.get(f"/api/series/{series['id']}"))["completion"] == 0.5
    updated = ok(client.put(f"/api/series/{series['id']}", json={"name": "The Saga", "known_positions": ["1"]}))
    assert updated["name"] == "The Saga" and updated["description"] is None and updated["provider_ids"] == {}
    assert updated["monitored"] is True and updated["completion"] == 1.0 and updated["owned_count"] == 1
    assert ok(client.get(f"/api/series/{series['id']}")) == updated
    cleared = ok(client.put(f"/api/series/{series['id']}", json={"name": "The Saga"}))
    assert cleared["known_positions"] == [] and cleared["completion"] is None


def test_renaming_a_series_is_seen_by_its_books_and_the_search(client):
    series = ok(client.post("/api/series", json={"name": "Old Name"}), 201)
    book = add_book(client, "Story", "Old Name", "1")
    ok(client.put(f"/api/series/{series['id']}", json={"name": "Brand New"}))
    assert ok(client.get(f"/api/books/{book['id']}"))["series"][0]["name"] == "Brand New"
    assert [b["title"] for b in ok(client.get("/api/books", params={"series": "brand new"}))["items"]] == ["Story"]
    assert [b["title"] for b in ok(client.get("/api/books", params={"q": "brand new"}))["items"]] == ["Story"]
    assert ok(client.get("/api/books", params={"q": "old name"}))["total"] == 0


def test_delete_then_get_is_404_and_the_books_stay(client):
    book = add_book(client, "Story", "Doomed", "1")
    series_id = book["series"][0]["id"]
    assert ok(client.delete(f"/api/series/{series_id}")) == {"id": series_id, "deleted": True}
    failed(client.get(f"/api/series/{series_id}"), 404, "SERIES_NOT_FOUND")
    failed(client.get(f"/api/series/{series_id}/books"), 404, "SERIES_NOT_FOUND")
    assert ok(client.get(f"/api/books/{book['id']}"))["series"] == []
    assert ok(client.get("/api/books/stats"))["in_series"] == 0
