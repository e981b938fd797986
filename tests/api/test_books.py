"""Book endpoints on both backends: create, list (every filter, every sort, paging), get, update, delete, stats."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from shelfkeeper.api.app import create_app
from shelfkeeper.context import AppContext
from shelfkeeper.db.migrate import upgrade
from shelfkeeper.db.tables import Book, MetadataCorrection
from shelfkeeper.services import book_list
from shelfkeeper.settings import Settings
from tests.api.envelope_checks import failed, ok

VALIDATION_KEY = "validation-key-0123456789"


def titles(page: dict[str, Any]) -> list[str]:
    return [item["title"] for item in page["items"]]


LIBRARY = [
    {
        "title": "Les Misérables",
        "subtitle": "Unabridged",
        "authors": ["Victor Hugo"],
        "narrators": ["George Guidall"],
        "asin": "B00MISERAB",
        "language": "French",
        "metadata_status": "ok",
        "library_id": "lib-a",
        "description": "Paris.",
        "has_cover": True,
    },
    {
        "title": "The Final Empire",
        "authors": ["Brandon Sanderson"],
        "narrators": ["Michael Kramer"],
        "series": [{"name": "Mistborn", "position": "1"}],
        "asin": "B002UZMLXM",
        "language": "English",
        "metadata_status": "corrected",
        "library_id": "lib-a",
    },
    {
        "title": "The Well of Ascension",
        "authors": ["Brandon Sanderson"],
        "narrators": ["Michael Kramer"],
        "series": [{"name": "Mistborn", "position": "2"}],
        "language": "english",
        "metadata_status": "needs_review",
        "library_id": "lib-b",
    },
    {
        "title": "Solaris",
        "authors": ["Stanisław Lem"],
        "narrators": ["Zoë Wanamaker"],
        "language": "Polish",
        "library_id": "lib-b",
        "in_library": False,
    },
    {
        "title": "Leviathan Wakes",
        "subtitle": "Expanse Book One",
        "authors": ["James S. A. Corey"],
        "narrators": ["Jefferson Mays"],
        "series": [{"name": "The Expanse", "position": "1"}],
        "asin": "B0047Y0QMK",
        "language": "English",
        "metadata_status": "no_match",
    },
]


@pytest.fixture(scope="module")
def validation_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Input is refused before any query runs, so the validation tests need one backend only (SQLite)."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("validation"),
        api_key=VALIDATION_KEY,
        run_scheduler=False,
        _env_file=None,
    )
    context = AppContext.from_settings(settings)
    upgrade(context.engine)
    with TestClient(create_app(context=context), headers={"X-Api-Key": VALIDATION_KEY}) as test_client:
        yield test_client


@pytest.fixture
def library(client: Any) -> dict[str, int]:
    """The five books above, created through the API; title -> id."""
    return {book["title"]: ok(client.post("/api/books", json=book), 201)["id"] for book in LIBRARY}


# --- create and read -------------------------------------------------------------------------------------------


def test_create_returns_the_whole_book_and_get_returns_the_same(client):
    body = {
        "title": "The Final Empire",
        "subtitle": "Mistborn Book One",
        "authors": ["Brandon Sanderson"],
        "narrators": ["Michael Kramer"],
        "series": [{"name": "Mistborn", "position": "1"}],
        "asin": "b002uzmlxm",
        "isbn": "076531178x",
        "publisher": "Tor",
        "published_year": 2006,
        "language": "English",
        "genres": ["Fantasy", "Epic"],
        "description": "Ash falls.",
        "duration_seconds": 88020,
        "size_bytes": 123456789,
        "format": "m4b",
        "path": "/books/Sanderson",
        "has_cover": True,
        "abs_id": "li_123",
        "library_id": "lib-a",
        "metadata_status": "ok",
        "quality_score": 0.75,
    }
    created = ok(client.post("/api/books", json=body), 201)
    assert created["asin"] == "B002UZMLXM" and created["isbn"] == "076531178X"  # identifiers upper-cased
    assert [a["name"] for a in created["authors"]] == ["Brandon Sanderson"]
    assert created["narrators"] == ["Michael Kramer"]
    assert [(s["name"], s["position"]) for s in created["series"]] == [("Mistborn", "1")]
    for field in (
        "title",
        "subtitle",
        "publisher",
        "published_year",
        "language",
        "genres",
        "description",
        "duration_seconds",
        "size_bytes",
        "format",
        "path",
        "has_cover",
        "abs_id",
        "library_id",
        "metadata_status",
        "quality_score",
    ):
        assert created[field] == body[field], field
    assert created["in_library"] is True and created["removed_at"] is None
    assert datetime.fromisoformat(created["created_at"]).utcoffset() == timedelta(0)
    fetched = ok(client.get(f"/api/books/{created['id']}"))
    assert fetched == created


def test_create_with_only_a_title_uses_the_defaults(client):
    created = ok(client.post("/api/books", json={"title": "  Dune  "}), 201)
    assert created["title"] == "Dune"
    assert created["authors"] == [] and created["narrators"] == [] and created["series"] == []
    assert created["metadata_status"] == "unchecked" and created["in_library"] is True
    assert created["genres"] == [] and created["asin"] is None


def test_authors_and_series_are_shared_between_books(client):
    first = ok(
        client.post(
            "/api/books",
            json={
                "title": "A",
                "authors": ["Brandon Sanderson"],
                "series": [{"name": "The Stormlight Archive", "position": "1"}],
            },
        ),
        201,
    )
    second = ok(
        client.post(
            "/api/books",
            json={
                "title": "B",
                "authors": ["Sanderson, Brandon"],
                "series": [{"name": "stormlight archive", "position": "2"}],
            },
        ),
        201,
    )
    assert first["authors"][0]["id"] == second["authors"][0]["id"]
    assert first["series"][0]["id"] == second["series"][0]["id"]
    series = ok(client.get(f"/api/series/{first['series'][0]['id']}"))
    assert series["owned_count"] == 2


def test_a_missing_book_is_404_everywhere(client):
    for response in (
        client.get("/api/books/999999"),
        client.get("/api/books/999999/corrections"),
        client.put("/api/books/999999", json={"title": "X"}),
        client.delete("/api/books/999999"),
    ):
        assert "999999" in failed(response, 404, "BOOK_NOT_FOUND")["error"]


DUPLICATES = [  # the first book's identifiers, the second book's, the field that clashes
    ({"abs_id": "li_1"}, {"abs_id": "li_1"}, "abs_id"),
    ({"asin": "B002UZMLXM"}, {"asin": "b002uzmlxm"}, "asin"),
    ({"isbn": "9780765311788"}, {"isbn": "9780765311788"}, "isbn"),
]


def test_a_duplicate_identifier_is_409(client):
    for number, (first, second, field) in enumerate(DUPLICATES):
        existing = ok(client.post("/api/books", json={"title": f"One {number}", **first}), 201)
        body = failed(client.post("/api/books", json={"title": "Two", **second}), 409, "BOOK_ALREADY_EXISTS")
        assert body["details"] == {"field": field, "existing_id": existing["id"]}
        assert field in body["error"]
        other = ok(client.post("/api/books", json={"title": f"Three {number}"}), 201)
        failed(client.put(f"/api/books/{other['id']}", json={"title": "Three", **second}), 409, "BOOK_ALREADY_EXISTS")
        # A book keeps its own identifiers on update: no conflict with itself.
        ok(client.put(f"/api/books/{existing['id']}", json={"title": "One again", **first}))
    assert ok(client.get("/api/books"))["total"] == 2 * len(DUPLICATES)


# --- validation (one backend: nothing reaches the database) ----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "X", "asin": "B00"}, "asin"),
        ({"title": "X", "asin": "B002UZMLX!"}, "asin"),
        ({"title": "X", "isbn": "12345"}, "isbn"),
        ({"title": "X", "published_year": 2101}, "published_year"),
        ({"title": "X", "published_year": -1}, "published_year"),
        ({"title": "X", "colour": "red"}, "colour"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({}, "title"),
        ({"title": "X", "metadata_status": "great"}, "metadata_status"),
        ({"title": "X", "quality_score": 1.5}, "quality_score"),
        ({"title": "X", "duration_seconds": -3}, "duration_seconds"),
        ({"title": "X", "authors": [""]}, "authors.0"),
        ({"title": "X", "authors": "Frank Herbert"}, "authors"),
        ({"title": "X", "series": [{"name": "S", "position": "first"}]}, "series.0.position"),
        ({"title": "X", "series": [{"name": "S", "volume": "1"}]}, "series.0.volume"),
    ],
)
def test_bad_input_is_422_naming_the_field(validation_client, body, field):
    for response in (validation_client.post("/api/books", json=body), validation_client.put("/api/books/1", json=body)):
        error = failed(response, 422, "VALIDATION_ERROR")
        fields = {entry["field"]: entry for entry in error["details"]}
        assert field in fields, error["details"]
        assert fields[field]["message"] and fields[field]["location"] == "body"
        assert field.split(".")[0] in error["error"]


def test_every_bad_field_is_reported_at_once(validation_client):
    body = {"title": "", "asin": "x", "published_year": 3000}
    error = failed(validation_client.post("/api/books", json=body), 422, "VALIDATION_ERROR")
    assert {entry["field"] for entry in error["details"]} == {"title", "asin", "published_year"}


@pytest.mark.parametrize("content", [b"{title: 'Dune'", b"", b"[1, 2"])
def test_a_body_that_is_not_json_is_400(validation_client, content):
    response = validation_client.post("/api/books", content=content, headers={"Content-Type": "application/json"})
    if content:
        failed(response, 400, "BAD_REQUEST")
    else:  # no body at all is a missing body, not broken JSON
        assert failed(response, 422, "VALIDATION_ERROR")["details"][0]["location"] == "body"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("status=lost", "status"),
        ("metadata_status=great", "metadata_status"),
        ("has_asin=maybe", "has_asin"),
        ("author_id=abc", "author_id"),
        ("series_id=1.5", "series_id"),
    ],
)
def test_bad_query_parameters_are_422(validation_client, query, field):
    error = failed(validation_client.get(f"/api/books?{query}"), 422, "VALIDATION_ERROR")
    assert [entry["field"] for entry in error["details"]] == [field]
    assert error["details"][0]["location"] == "query" and error["details"][0]["message"]


@pytest.mark.parametrize("sort", ["colour", "-colour", "titel"])
def test_an_unknown_sort_field_is_422_naming_the_allowed_ones(validation_client, sort):
    error = failed(validation_client.get("/api/books", params={"sort": sort}), 422, "VALIDATION_ERROR")
    for allowed in ("title", "author", "added", "created", "updated", "year", "duration", "size", "quality", "id"):
        assert allowed in error["error"]
    assert [entry["field"] for entry in error["details"]] == ["sort"]
    assert error["details"][0]["location"] == "query" and "quality" in error["details"][0]["message"]


def test_a_path_id_that_is_not_a_number_is_422(validation_client):
    error = failed(validation_client.get("/api/books/abc"), 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "book_id" and error["details"][0]["location"] == "path"


# --- filters ---------------------------------------------------------------------------------------------------

ALL_TITLES = ["The Final Empire", "Les Misérables", "Leviathan Wakes", "Solaris", "The Well of Ascension"]
FILTERS = [  # query parameters -> titles in the default order (title, leading article ignored)
    ({}, ALL_TITLES),
    ({"q": "miserables"}, ["Les Misérables"]),  # accents folded in the data
    ({"q": "MISÉRABLES"}, ["Les Misérables"]),  # and in the query
    ({"q": "unabridged"}, ["Les Misérables"]),  # subtitle
    ({"q": "sanderson"}, ["The Final Empire", "The Well of Ascension"]),  # author
    ({"q": "kramer"}, ["The Final Empire", "The Well of Ascension"]),  # narrator
    ({"q": "zoe"}, ["Solaris"]),  # narrator, accent folded
    ({"q": "stanislaw"}, ["Solaris"]),  # author, ł transliterated
    ({"q": "mistborn"}, ["The Final Empire", "The Well of Ascension"]),  # series
    ({"q": "expanse"}, ["Leviathan Wakes"]),
    ({"q": "final sanderson"}, ["The Final Empire"]),  # every word must match
    ({"q": "sanderson hugo"}, []),
    ({"q": "100%"}, []),  # LIKE wildcards are literal
    ({"q": "_"}, ALL_TITLES),  # punctuation alone folds to nothing: no condition
    ({"author": "sanderson"}, ["The Final Empire", "The Well of Ascension"]),
    ({"author": "Sanderson, Brandon"}, ["The Final Empire", "The Well of Ascension"]),
    ({"author": "lem"}, ["Solaris"]),
    ({"author": "Stanisław Lem"}, ["Solaris"]),
    ({"series": "mistborn"}, ["The Final Empire", "The Well of Ascension"]),
    ({"series": "The Expanse"}, ["Leviathan Wakes"]),
    ({"series": "expanse"}, ["Leviathan Wakes"]),
    ({"narrator": "KRAMER"}, ["The Final Empire", "The Well of Ascension"]),
    ({"narrator": "mays"}, ["Leviathan Wakes"]),
    ({"status": "in_library"}, ["The Final Empire", "Les Misérables", "Leviathan Wakes", "The Well of Ascension"]),
    ({"status": "removed"}, ["Solaris"]),
    ({"language": "english"}, ["The Final Empire", "Leviathan Wakes", "The Well of Ascension"]),
    ({"language": "POLISH"}, ["Solaris"]),
    ({"has_asin": "true"}, ["The Final Empire", "Les Misérables", "Leviathan Wakes"]),
    ({"has_asin": "false"}, ["Solaris", "The Well of Ascension"]),
    ({"metadata_status": "corrected"}, ["The Final Empire"]),
    ({"metadata_status": "unchecked"}, ["Solaris"]),
    ({"library_id": "lib-b"}, ["Solaris", "The Well of Ascension"]),
    ({"library_id": "lib-z"}, []),
    ({"author": "sanderson", "has_asin": "false"}, ["The Well of Ascension"]),
    ({"library_id": "lib-a", "language": "english", "q": "empire"}, ["The Final Empire"]),
]


def test_every_list_filter(client, library):
    for params, expected in FILTERS:
        page = ok(client.get("/api/books", params=params))
        assert (titles(page), page["total"]) == (expected, len(expected)), params


def test_every_list_filter_paged_one_book_at_a_time(client, library):
    """One book a page: SQLite then walks the sort's index checking each book (the default page of many matches
    reads the matches and sorts them instead), PostgreSQL reads a search's few matches first (``GATHER``); every
    way finds the same books in the same order."""
    for params, expected in FILTERS:
        found = []
        for offset in range(len(expected) + 1):
            page = ok(client.get("/api/books", params={**params, "limit": 1, "offset": offset}))
            assert page["total"] == len(expected), params
            found += titles(page)
        assert found == expected, params


@pytest.mark.parametrize("sort", ["title", "-title", "author", "-added", "year", "-size", "id"])
def test_every_way_to_find_a_page_finds_the_same_rows(engine, library, sort):
    """The statements of each route ``book_list._route`` can choose (and the page from the ids a search's count
    returned), forward and from the end (``Window``), asked directly for every page of two books: the same rows."""
    dialect = engine.dialect.name
    routes = [None, book_list.WALK if dialect == "sqlite" else book_list.GATHER, book_list.FROM_IDS]
    with engine.begin() as connection:  # years and sizes: some equal, some unknown (NULLs last both ways)
        for title, year in (("Solaris", 1961), ("Leviathan Wakes", 2011), ("Les Misérables", 2011)):
            connection.execute(update(Book).where(Book.title == title).values(published_year=year, size_bytes=year))
    for params, expected in FILTERS:
        values = {key: value == "true" if key == "has_asin" else value for key, value in params.items()}
        filters = book_list.BookFilters(**values)
        shape = book_list.Shape.of(filters)
        total = len(expected)
        with engine.connect() as connection:  # what the count hands a page found from the ids it returned
            conditions = book_list._conditions(shape, dialect)
            ids = list(connection.scalars(select(Book.id).where(*conditions), filters.values()))
        for offset in range(total + 1):
            ways = [(False, 2, offset)]
            if offset < total:
                ways.append((True, min(2, total - offset), max(0, total - offset - 2)))
            found = []
            with engine.connect() as connection:
                for route in routes:
                    for backward, limit, skip in ways:
                        statement = book_list._page(shape, dialect, sort, route, backward)
                        given = json.dumps(ids) if dialect == "sqlite" else ids  # SQLite: the count's JSON array
                        parameters = {**filters.values(), "limit": limit, "offset": skip, "ids": given}
                        found.append(connection.execute(statement, parameters).all())
            assert all(rows == found[0] for rows in found), (params, sort, offset)


def test_filters_by_author_id_and_series_id(client, library):
    final_empire = ok(client.get(f"/api/books/{library['The Final Empire']}"))
    author_id, series_id = final_empire["authors"][0]["id"], final_empire["series"][0]["id"]
    mistborn = ["The Final Empire", "The Well of Ascension"]
    assert titles(ok(client.get("/api/books", params={"author_id": author_id}))) == mistborn
    assert titles(ok(client.get("/api/books", params={"series_id": series_id}))) == mistborn
    assert titles(ok(client.get("/api/books", params={"series_id": series_id, "has_asin": True}))) == mistborn[:1]
    assert ok(client.get("/api/books", params={"author_id": 999999}))["total"] == 0
    assert ok(client.get("/api/books", params={"series_id": 999999}))["items"] == []


# --- sorting ---------------------------------------------------------------------------------------------------

SORTABLE = [  # one row per book: title, first author, year, duration, size, quality, days ago added/created/updated
    ("Charlie", "Bob Moore", 2001, 300.0, 3_000, 0.3, 5, 2, 9),
    ("The Alpha", "Zed Adams", 1999, 100.0, 4_000, 0.9, 1, 9, 3),
    ("bravo", "Amy Zimmer", 2010, 400.0, 1_000, 0.1, 9, 5, 1),
    ("Delta", "Cy Nash", 2005, 200.0, 2_000, 0.5, 3, 1, 5),
]
SORT_KEYS = {  # sort field -> the value each row above sorts by
    "title": lambda row: {"The Alpha": "alpha"}.get(row[0], row[0].lower()),  # article ignored, case folded
    "author": lambda row: row[1].split()[-1],  # surname first
    "year": lambda row: row[2],
    "duration": lambda row: row[3],
    "size": lambda row: row[4],
    "quality": lambda row: row[5],
    "added": lambda row: -row[6],
    "created": lambda row: -row[7],
    "updated": lambda row: -row[8],
    "id": lambda row: SORTABLE.index(row),
}


@pytest.fixture
def sortable(client: Any, session: Any) -> list[int]:
    now = datetime.now(UTC).replace(microsecond=0)
    ids = []
    for title, author, year, duration, size, quality, added, created, updated in SORTABLE:
        book = ok(
            client.post(
                "/api/books",
                json={
                    "title": title,
                    "authors": [author],
                    "published_year": year,
                    "duration_seconds": duration,
                    "size_bytes": size,
                    "quality_score": quality,
                },
            ),
            201,
        )
        session.execute(
            update(Book)
            .where(Book.id == book["id"])
            .values(
                abs_added_at=now - timedelta(days=added),
                created_at=now - timedelta(days=created),
                updated_at=now - timedelta(days=updated),
            )
        )
        session.commit()  # SQLite has one writer: release it before the next request writes
        ids.append(book["id"])
    return ids


def test_every_sort_in_both_directions(client, sortable):
    for field, key in SORT_KEYS.items():
        for descending in (False, True):
            expected = [row[0] for row in sorted(SORTABLE, key=key, reverse=descending)]
            page = ok(client.get("/api/books", params={"sort": f"-{field}" if descending else field}))
            assert titles(page) == expected, (field, descending)
    assert titles(ok(client.get("/api/books", params={"sort": "+year"}))) == titles(
        ok(client.get("/api/books", params={"sort": "year"}))
    )


def test_unknown_values_sort_last_in_both_directions_on_every_backend(client, sortable):
    ok(client.post("/api/books", json={"title": "Unknown"}), 201)
    for field in ("year", "duration", "size", "quality", "added"):
        for sort in (field, f"-{field}"):
            assert titles(ok(client.get("/api/books", params={"sort": sort})))[-1] == "Unknown", sort


# --- paging ----------------------------------------------------------------------------------------------------


@pytest.fixture
def seven_ties(client: Any) -> list[int]:
    """Seven books with the same title, author and year: only the id tells them apart."""
    return [
        ok(client.post("/api/books", json={"title": "Same", "authors": ["Ann Author"], "published_year": 2000}), 201)[
            "id"
        ]
        for _ in range(7)
    ]


def test_pages_of_tied_rows_are_stable_and_cover_everything_once(client, seven_ties):
    for sort in ("title", "-title", "author", "-year", "added", "-quality"):
        seen = []
        for offset in range(0, 9, 3):
            page = ok(client.get("/api/books", params={"sort": sort, "limit": 3, "offset": offset}))
            assert (page["total"], page["limit"], page["offset"]) == (7, 3, offset)
            seen += [item["id"] for item in page["items"]]
        assert seen == sorted(seven_ties), sort  # ties broken by id, the same way on every page


PAGE_WINDOWS = [(1, 0, 1), (1, 6, 1), (3, 6, 1), (3, 5, 2), (7, 0, 7), (500, 0, 7), (5, 7, 0), (5, 1000, 0)]


def test_page_windows_first_last_partial_and_past_the_end(client, seven_ties):
    for limit, offset, count in PAGE_WINDOWS:
        page = ok(client.get("/api/books", params={"limit": limit, "offset": offset}))
        assert (page["total"], page["limit"], page["offset"]) == (7, limit, offset)
        assert [item["id"] for item in page["items"]] == sorted(seven_ties)[offset : offset + limit]
        assert len(page["items"]) == count


def test_default_page_is_fifty(client):
    page = ok(client.get("/api/books"))
    assert (page["limit"], page["offset"], page["total"], page["items"]) == (50, 0, 0, [])


# --- update and delete -----------------------------------------------------------------------------------------


def test_put_replaces_the_book_and_clears_what_is_left_out(client):
    book = ok(client.post("/api/books", json=LIBRARY[0]), 201)
    updated = ok(client.put(f"/api/books/{book['id']}", json={"title": "Les Mis", "authors": ["Victor Hugo"]}))
    assert updated["id"] == book["id"] and updated["title"] == "Les Mis"
    assert updated["subtitle"] is None and updated["asin"] is None and updated["language"] is None
    assert updated["narrators"] == [] and updated["description"] is None and updated["has_cover"] is False
    assert updated["metadata_status"] == "unchecked" and updated["library_id"] is None
    assert ok(client.get(f"/api/books/{book['id']}")) == updated
    assert titles(ok(client.get("/api/books", params={"q": "unabridged"}))) == []
    assert titles(ok(client.get("/api/books", params={"q": "les mis"}))) == ["Les Mis"]


def test_a_search_counts_and_finds_only_the_books_that_are_left(client):
    first = ok(client.post("/api/books", json={"title": "Citadel of Ash"}), 201)
    ok(client.post("/api/books", json={"title": "The Citadel"}), 201)
    assert ok(client.get("/api/books", params={"q": "citadel"}))["total"] == 2
    ok(client.delete(f"/api/books/{first['id']}"))
    page = ok(client.get("/api/books", params={"q": "citadel"}))
    assert (page["total"], titles(page)) == (1, ["The Citadel"])
    assert ok(client.get("/api/books", params={"q": "citadel", "language": "English"}))["total"] == 0


def test_put_relinks_authors_and_series_and_recounts_the_series(client):
    book = ok(
        client.post(
            "/api/books",
            json={"title": "Book", "authors": ["Old Writer"], "series": [{"name": "Old Saga", "position": "1"}]},
        ),
        201,
    )
    old_author, old_series = book["authors"][0]["id"], book["series"][0]["id"]
    assert ok(client.get(f"/api/series/{old_series}"))["owned_count"] == 1
    updated = ok(
        client.put(
            f"/api/books/{book['id']}",
            json={
                "title": "Book",
                "authors": ["New Writer", "Co Writer"],
                "series": [{"name": "New Saga", "position": "3"}],
            },
        )
    )
    assert [a["name"] for a in updated["authors"]] == ["New Writer", "Co Writer"]
    assert [(s["name"], s["position"]) for s in updated["series"]] == [("New Saga", "3")]
    assert ok(client.get(f"/api/series/{old_series}"))["owned_count"] == 0
    assert ok(client.get(f"/api/series/{updated['series'][0]['id']}"))["owned_count"] == 1
    assert ok(client.get(f"/api/authors/{old_author}"))["book_count"] == 0
    assert ok(client.get("/api/books", params={"author_id": old_author}))["total"] == 0
    assert titles(ok(client.get("/api/books", params={"q": "co writer new saga"}))) == ["Book"]
    assert titles(ok(client.get("/api/books", params={"sort": "author", "author": "new writer"}))) == ["Book"]


def test_removing_a_book_from_the_library_lowers_the_series_count(client):
    book = ok(client.post("/api/books", json={"title": "B", "series": [{"name": "S", "position": "1"}]}), 201)
    series_id = book["series"][0]["id"]
    ok(
        client.put(
            f"/api/books/{book['id']}",
            json={"title": "B", "series": [{"name": "S", "position": "1"}], "in_library": False},
        )
    )
    assert ok(client.get(f"/api/series/{series_id}"))["owned_count"] == 0


def test_delete_then_get_is_404_and_the_series_is_recounted(client):
    book = ok(
        client.post(
            "/api/books", json={"title": "B", "authors": ["A Writer"], "series": [{"name": "S", "position": "1"}]}
        ),
        201,
    )
    assert ok(client.delete(f"/api/books/{book['id']}")) == {"id": book["id"], "deleted": True}
    failed(client.get(f"/api/books/{book['id']}"), 404, "BOOK_NOT_FOUND")
    failed(client.delete(f"/api/books/{book['id']}"), 404, "BOOK_NOT_FOUND")
    assert ok(client.get(f"/api/series/{book['series'][0]['id']}"))["owned_count"] == 0
    assert ok(client.get(f"/api/authors/{book['authors'][0]['id']}"))["name"] == "A Writer"  # the author stays


# --- stats, incomplete, corrections ----------------------------------------------------------------------------


def test_stats_count_the_library(client):
    empty = ok(client.get("/api/books/stats"))
    assert empty["total"] == 0 and empty["total_duration_hours"] == 0 and empty["by_language"] == {}
    ok(
        client.post(
            "/api/books",
            json={
                "title": "A",
                "asin": "B000000001",
                "isbn": "9780000000001",
                "duration_seconds": 3600,
                "size_bytes": 100,
                "language": "English",
                "metadata_status": "ok",
                "series": [{"name": "S", "position": "1"}],
                "authors": ["One", "Two"],
            },
        ),
        201,
    )
    ok(
        client.post(
            "/api/books",
            json={
                "title": "B",
                "asin": "B000000002",
                "duration_seconds": 5400,
                "size_bytes": 50,
                "metadata_status": "needs_review",
                "authors": ["Two"],
            },
        ),
        201,
    )
    ok(
        client.post(
            "/api/books",
            json={
                "title": "C",
                "asin": "B000000003",
                "isbn": "9780000000003",
                "duration_seconds": 7200,
                "size_bytes": 1000,
                "language": "French",
                "in_library": False,
                "series": [{"name": "T", "position": "2"}],
            },
        ),
        201,
    )
    stats = ok(client.get("/api/books/stats"))
    assert stats == {
        "total": 3,
        "in_library": 2,
        "removed": 1,
        "with_asin": 2,
        "with_isbn": 1,
        "in_series": 1,
        "total_duration_hours": 2.5,
        "total_size_bytes": 150,
        "by_metadata_status": {"ok": 1, "needs_review": 1},
        "by_language": {"English": 1, "unknown": 1},
        "authors": 2,
        "series": 2,
    }


def test_incomplete_lists_in_library_books_missing_something(client):
    complete = {
        "asin": "B000000001",
        "description": "d",
        "has_cover": True,
        "narrators": ["N"],
        "series": [{"name": "S", "position": "1"}],
    }
    ok(client.post("/api/books", json={"title": "Complete", **complete}), 201)
    for number, missing in enumerate(("asin", "description", "has_cover", "narrators", "series"), start=2):
        fields = {key: value for key, value in complete.items() if key != missing}
        if "asin" in fields:
            fields["asin"] = f"B00000000{number}"
        ok(client.post("/api/books", json={"title": f"No {missing}", **fields}), 201)
    ok(client.post("/api/books", json={"title": "Removed and bare", "in_library": False}), 201)
    page = ok(client.get("/api/books/incomplete"))
    assert sorted(titles(page)) == sorted(
        f"No {m}" for m in ("asin", "description", "has_cover", "narrators", "series")
    )
    assert page["total"] == 5
    assert ok(client.get("/api/books/incomplete", params={"limit": 2, "offset": 4}))["total"] == 5
    failed(client.get("/api/books/incomplete", params={"limit": 0}), 422, "VALIDATION_ERROR")


def test_a_books_corrections_newest_first(client, session):
    book = ok(client.post("/api/books", json={"title": "B"}), 201)
    other = ok(client.post("/api/books", json={"title": "O"}), 201)
    now = datetime.now(UTC)
    for days, field, book_id in ((3, "title", book["id"]), (1, "asin", book["id"]), (2, "year", other["id"])):
        session.add(
            MetadataCorrection(
                book_id=book_id,
                field=field,
                old_value=None,
                new_value=f"new {field}",
                source="google_books",
                confidence=0.9,
                status="applied",
                reasons=["title match"],
                created_at=now - timedelta(days=days),
            )
        )
    session.commit()
    page = ok(client.get(f"/api/books/{book['id']}/corrections"))
    assert [c["field"] for c in page["items"]] == ["asin", "title"] and page["total"] == 2
    assert page["items"][0]["new_value"] == "new asin" and page["items"][0]["reasons"] == ["title match"]
    assert ok(client.get(f"/api/books/{book['id']}/corrections", params={"offset": 1}))["items"][0]["field"] == "title"
    assert ok(client.get(f"/api/books/{other['id']}/corrections"))["total"] == 1
