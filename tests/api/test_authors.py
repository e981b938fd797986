"""Author endpoints on both backends: create, list, get, update, delete, an author's books and series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from shelfkeeper.db.tables import Author
from tests.api.envelope_checks import failed, ok


def names(page: dict[str, Any]) -> list[str]:
    return [item["name"] for item in page["items"]]


def titles(page: dict[str, Any]) -> list[str]:
    return [item["title"] for item in page["items"]]


def test_create_and_get(client):
    body = {
        "name": "Brandon Sanderson",
        "asin": "b001igfhw6",
        "provider_ids": {"audible": "B001IGFHW6"},
        "description": "Writes a lot.",
        "image_url": "https://example.org/bs.jpg",
        "monitored": False,
        "abs_id": "aut_1",
    }
    created = ok(client.post("/api/authors", json=body), 201)
    assert created["asin"] == "B001IGFHW6" and created["sort_name"] == "Sanderson, Brandon"
    for field in ("name", "provider_ids", "description", "image_url", "monitored", "abs_id"):
        assert created[field] == body[field], field
    assert created["book_count"] == 0 and created["last_catalogue_check_at"] is None
    assert ok(client.get(f"/api/authors/{created['id']}")) == created
    assert ok(client.post("/api/authors", json={"name": "Plato"}), 201)["sort_name"] == "Plato"


def test_an_author_name_is_unique_in_every_spelling(client):
    existing = ok(client.post("/api/authors", json={"name": "Brandon Sanderson"}), 201)
    for clash in (
        "Sanderson, Brandon",
        "brandon  sanderson",
        "BRANDON SANDERSON",
        "Brandón Sanderson",
        " Sanderson ,Brandon ",
    ):
        body = failed(client.post("/api/authors", json={"name": clash}), 409, "AUTHOR_ALREADY_EXISTS")
        assert body["details"] == {"existing_id": existing["id"]}, clash
    tolkien = ok(client.post("/api/authors", json={"name": "J.R.R. Tolkien"}), 201)
    for clash in ("J R R Tolkien", "JRR Tolkien", "Tolkien, J. R. R."):
        failed(client.post("/api/authors", json={"name": clash}), 409, "AUTHOR_ALREADY_EXISTS")
    failed(
        client.put(f"/api/authors/{tolkien['id']}", json={"name": "Sanderson, Brandon"}), 409, "AUTHOR_ALREADY_EXISTS"
    )
    assert (
        ok(client.put(f"/api/authors/{tolkien['id']}", json={"name": "Tolkien, J.R.R."}))["name"] == "Tolkien, J.R.R."
    )  # its own name in another form is no clash
    assert ok(client.get("/api/authors"))["total"] == 2


def test_a_missing_author_is_404_everywhere(client):
    for response in (
        client.get("/api/authors/999999"),
        client.get("/api/authors/999999/books"),
        client.get("/api/authors/999999/series"),
        client.put("/api/authors/999999", json={"name": "X"}),
        client.delete("/api/authors/999999"),
    ):
        assert "999999" in failed(response, 404, "AUTHOR_NOT_FOUND")["error"]


BAD_AUTHORS = [
    ({"name": ""}, "name"),
    ({}, "name"),
    ({"name": "A", "asin": "short"}, "asin"),
    ({"name": "A", "image_url": "ftp://example.org/a.jpg"}, "image_url"),
    ({"name": "A", "nickname": "Brando"}, "nickname"),
    ({"name": "A", "monitored": "often"}, "monitored"),
    ({"name": "A", "provider_ids": ["B001"]}, "provider_ids"),
]


def test_bad_author_input_is_422(client):
    for body, field in BAD_AUTHORS:
        for response in (client.post("/api/authors", json=body), client.put("/api/authors/1", json=body)):
            error = failed(response, 422, "VALIDATION_ERROR")
            assert field in {entry["field"] for entry in error["details"]}, body
    for query, field in (
        ("sort=age", "sort"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("offset=-1", "offset"),
        ("has_asin=sometimes", "has_asin"),
    ):
        error = failed(client.get(f"/api/authors?{query}"), 422, "VALIDATION_ERROR")
        assert [entry["field"] for entry in error["details"]] == [field], query
    error = failed(client.get("/api/authors?sort=-age"), 422, "VALIDATION_ERROR")
    for allowed in ("name", "created", "updated", "last_check", "id"):
        assert allowed in error["error"]
    assert ok(client.get("/api/authors"))["total"] == 0


AUTHORS = [  # name, asin, monitored, days ago created / updated / last checked (None: never)
    ("Ursula K. Le Guin", "B000APL6BQ", True, 3, 1, 2),
    ("Stanisław Lem", None, False, 1, 3, None),
    ("Iain M. Banks", "B000AQ0ZHO", True, 2, 2, 5),
]


def test_list_filters_sorts_and_pages(client, session):
    now = datetime.now(UTC).replace(microsecond=0)
    for name, asin, monitored, created, updated, checked in AUTHORS:
        author = ok(client.post("/api/authors", json={"name": name, "asin": asin, "monitored": monitored}), 201)
        session.execute(
            update(Author)
            .where(Author.id == author["id"])
            .values(
                created_at=now - timedelta(days=created),
                updated_at=now - timedelta(days=updated),
                last_catalogue_check_at=None if checked is None else now - timedelta(days=checked),
            )
        )
        session.commit()
    ok(client.post("/api/books", json={"title": "Solaris", "authors": ["Stanisław Lem"]}), 201)
    ok(client.post("/api/books", json={"title": "Eden", "authors": ["Stanislaw Lem"]}), 201)  # same author
    ok(client.post("/api/books", json={"title": "Gone", "authors": ["Lem, Stanisław"], "in_library": False}), 201)
    cases = [
        ({}, ["Iain M. Banks", "Ursula K. Le Guin", "Stanisław Lem"]),  # by sort name: Banks, Le Guin, Lem
        ({"q": "lem"}, ["Stanisław Lem"]),
        ({"q": "stanislaw"}, ["Stanisław Lem"]),
        ({"q": "Le Guin, Ursula K."}, ["Ursula K. Le Guin"]),
        ({"q": "tolkien"}, []),
        ({"monitored": "false"}, ["Stanisław Lem"]),
        ({"has_asin": "true"}, ["Iain M. Banks", "Ursula K. Le Guin"]),
        ({"has_asin": "false", "monitored": "false"}, ["Stanisław Lem"]),
        ({"sort": "-name"}, ["Stanisław Lem", "Ursula K. Le Guin", "Iain M. Banks"]),
        ({"sort": "created"}, ["Ursula K. Le Guin", "Iain M. Banks", "Stanisław Lem"]),
        ({"sort": "-created"}, ["Stanisław Lem", "Iain M. Banks", "Ursula K. Le Guin"]),
        ({"sort": "updated"}, ["Stanisław Lem", "Iain M. Banks", "Ursula K. Le Guin"]),
        ({"sort": "-updated"}, ["Ursula K. Le Guin", "Iain M. Banks", "Stanisław Lem"]),
        ({"sort": "last_check"}, ["Iain M. Banks", "Ursula K. Le Guin", "Stanisław Lem"]),  # never checked: last
        ({"sort": "-last_check"}, ["Ursula K. Le Guin", "Iain M. Banks", "Stanisław Lem"]),
        ({"sort": "id"}, ["Ursula K. Le Guin", "Stanisław Lem", "Iain M. Banks"]),
        ({"sort": "-id"}, ["Iain M. Banks", "Stanisław Lem", "Ursula K. Le Guin"]),
    ]
    for params, expected in cases:
        page = ok(client.get("/api/authors", params=params))
        assert (names(page), page["total"]) == (expected, len(expected)), params
    lem = ok(client.get("/api/authors", params={"q": "lem"}))["items"][0]
    assert lem["book_count"] == 2  # the removed book is not counted
    pages = [names(ok(client.get("/api/authors", params={"limit": 2, "offset": offset}))) for offset in (0, 2, 4)]
    assert pages == [["Iain M. Banks", "Ursula K. Le Guin"], ["Stanisław Lem"], []]


def test_an_authors_books_and_series(client):
    def book(title: str, year: int, authors: list[str], series: list[dict[str, str]], **extra: Any) -> None:
        ok(
            client.post(
                "/api/books",
                json={"title": title, "published_year": year, "authors": authors, "series": series, **extra},
            ),
            201,
        )

    book("The Way of Kings", 2010, ["Brandon Sanderson"], [{"name": "The Stormlight Archive", "position": "1"}])
    book("The Final Empire", 2006, ["Brandon Sanderson"], [{"name": "Mistborn", "position": "1"}])
    book("Elantris", 2005, ["Brandon Sanderson"], [])
    book("Words of Radiance", 2014, ["Brandon Sanderson"], [{"name": "The Stormlight Archive", "position": "2"}])
    book("The Wheel", 2013, ["Robert Jordan", "Brandon Sanderson"], [{"name": "Wheel of Time", "position": "14"}])
    book("The Eye of the World", 1990, ["Robert Jordan"], [{"name": "Wheel of Time", "position": "1"}])
    sanderson = ok(client.get("/api/authors", params={"q": "sanderson"}))["items"][0]
    assert sanderson["book_count"] == 5
    books = ok(client.get(f"/api/authors/{sanderson['id']}/books"))
    assert titles(books) == ["Elantris", "The Final Empire", "The Way of Kings", "The Wheel", "Words of Radiance"]
    assert books["total"] == 5  # by year by default
    assert (
        titles(ok(client.get(f"/api/authors/{sanderson['id']}/books", params={"sort": "-title"})))[0]
        == "Words of Radiance"
    )
    window = ok(client.get(f"/api/authors/{sanderson['id']}/books", params={"limit": 2, "offset": 4}))
    assert (titles(window), window["total"]) == (["Words of Radiance"], 5)
    failed(client.get(f"/api/authors/{sanderson['id']}/books", params={"sort": "pages"}), 422, "VALIDATION_ERROR")
    series = ok(client.get(f"/api/authors/{sanderson['id']}/series"))
    assert [(row["series"]["name"], row["books_by_author"]) for row in series] == [
        ("Mistborn", 1),
        ("The Stormlight Archive", 2),
        ("Wheel of Time", 1),
    ]
    assert series[1]["series"]["owned_count"] == 2


def test_put_replaces_and_a_rename_reaches_the_books(client):
    book = ok(client.post("/api/books", json={"title": "Story", "authors": ["Old Name", "Zed Zorro"]}), 201)
    author_id = book["authors"][0]["id"]
    ok(
        client.put(
            f"/api/authors/{author_id}",
            json={"name": "Old Name", "asin": "B000000001", "description": "d", "monitored": False},
        )
    )
    updated = ok(client.put(f"/api/authors/{author_id}", json={"name": "Aaron Newman"}))
    assert (updated["asin"], updated["description"], updated["monitored"]) == (None, None, True)
    assert updated["sort_name"] == "Newman, Aaron" and updated["book_count"] == 1
    assert ok(client.get(f"/api/authors/{author_id}")) == updated
    assert ok(client.get(f"/api/books/{book['id']}"))["authors"][0]["name"] == "Aaron Newman"
    assert titles(ok(client.get("/api/books", params={"q": "newman"}))) == ["Story"]
    assert ok(client.get("/api/books", params={"q": "old name"}))["total"] == 0
    other = ok(client.post("/api/books", json={"title": "Other", "authors": ["Mike Oldfield"]}), 201)
    assert titles(ok(client.get("/api/books", params={"sort": "author"}))) == ["Story", "Other"]
    assert other["authors"][0]["name"] == "Mike Oldfield"


def test_deleting_an_author_keeps_the_book(client):
    book = ok(
        client.post(
            "/api/books",
            json={
                "title": "Story",
                "authors": ["Gone Writer", "Kept Writer"],
                "series": [{"name": "Saga", "position": "1"}],
            },
        ),
        201,
    )
    gone = book["authors"][0]["id"]
    assert ok(client.delete(f"/api/authors/{gone}")) == {"id": gone, "deleted": True}
    failed(client.get(f"/api/authors/{gone}"), 404, "AUTHOR_NOT_FOUND")
    kept = ok(client.get(f"/api/books/{book['id']}"))
    assert [a["name"] for a in kept["authors"]] == ["Kept Writer"]
    assert [s["name"] for s in kept["series"]] == ["Saga"]
    assert ok(client.get("/api/books", params={"q": "gone"}))["total"] == 0
    assert titles(ok(client.get("/api/books", params={"q": "kept"}))) == ["Story"]
    assert ok(client.get("/api/books", params={"author_id": gone}))["total"] == 0
    assert ok(client.get("/api/books/stats"))["total"] == 1
