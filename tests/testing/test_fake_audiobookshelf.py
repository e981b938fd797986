"""The fake Audiobookshelf itself: shapes, paging, filters, PATCH rules, auth and the real folder scan."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf, create_fake
from shelfkeeper.testing.fakes.audiobookshelf_scan import parse_book_folder
from shelfkeeper.testing.server import serve

TOKEN = "abs-test-token"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> FakeAudiobookshelf:
    return FakeAudiobookshelf(TOKEN, clock=clock)


@pytest.fixture
def http(fake: FakeAudiobookshelf) -> Iterator[httpx.Client]:
    with serve(fake.app) as server, httpx.Client(base_url=server.url, headers=_auth(TOKEN)) as client:
        yield client


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def _library(fake: FakeAudiobookshelf, folder: Path | None = None) -> str:
    return fake.add_library("Audiobooks", [str(folder)] if folder else [])


def _book(root: Path, rel: str, files: tuple[str, ...] = ("book.m4b",)) -> Path:
    folder = root / rel
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"\0" * 64)
    return folder


# ---- shapes ------------------------------------------------------------------------------------------------


def test_list_items_are_minified_with_joined_names_and_no_series_array(fake: FakeAudiobookshelf, http: httpx.Client):
    lib = _library(fake)
    fake.add_item(
        lib,
        "The Final Empire",
        authors=["Brandon Sanderson"],
        narrators=["Michael Kramer", "Kate Reading"],
        series=[("Mistborn", "1"), ("Cosmere", None)],
        published_year=2006,
    )

    body = http.get(f"/api/libraries/{lib}/items").json()

    metadata = body["results"][0]["media"]["metadata"]
    assert "authors" not in metadata and "series" not in metadata and "narrators" not in metadata
    assert metadata["authorName"] == "Brandon Sanderson"
    assert metadata["authorNameLF"] == "Sanderson, Brandon"
    assert metadata["narratorName"] == "Michael Kramer, Kate Reading"
    assert metadata["seriesName"] == "Mistborn #1, Cosmere"
    assert metadata["publishedYear"] == "2006"  # a string, always
    assert metadata["titleIgnorePrefix"] == "Final Empire, The"
    assert body["results"][0]["addedAt"] // 1000 == 1_700_000_000  # epoch milliseconds


def test_single_item_has_arrays_and_only_expanded_has_duration(fake: FakeAudiobookshelf, http: httpx.Client):
    lib = _library(fake)
    item_id = fake.add_item(lib, "Elantris", authors=["Brandon Sanderson"], series=[("Cosmere", "0.5")], duration=99.5)

    plain = http.get(f"/api/items/{item_id}").json()
    expanded = http.get(f"/api/items/{item_id}", params={"expanded": 1}).json()

    assert plain["media"]["metadata"]["series"][0]["sequence"] == "0.5"
    assert plain["media"]["metadata"]["authors"][0]["name"] == "Brandon Sanderson"
    assert "duration" not in plain["media"] and "size" not in plain
    assert expanded["media"]["duration"] == 99.5
    assert expanded["media"]["metadata"]["seriesName"] == "Cosmere #0.5"
    assert "numFiles" in expanded and "tracks" in expanded["media"]


def test_unknown_item_and_library_answer_404_text(fake: FakeAudiobookshelf, http: httpx.Client):
    assert http.get("/api/items/nope").status_code == 404
    missing = http.get("/api/libraries/nope/items")
    assert (missing.status_code, missing.text) == (404, "Library not found")


def test_both_root_and_base_path_answer(fake: FakeAudiobookshelf, http: httpx.Client):
    lib = _library(fake)
    assert http.get("/audiobookshelf/api/libraries").json()["libraries"][0]["id"] == lib
    assert http.get("/api/libraries").json()["libraries"][0]["id"] == lib
    assert http.get("/audiobookshelf/status").json()["serverVersion"] == "2.36.0"


# ---- paging, sorting, filters ------------------------------------------------------------------------------


def test_paging_echoes_limit_and_page_as_strings_and_omits_absent_keys(fake: FakeAudiobookshelf, http: httpx.Client):
    lib = _library(fake)
    for n in range(5):
        fake.add_item(lib, f"Book {n}", authors=["A"])

    paged = http.get(f"/api/libraries/{lib}/items", params={"limit": 2, "page": 2}).json()
    unpaged = http.get(f"/api/libraries/{lib}/items").json()

    assert (paged["limit"], paged["page"], paged["total"], paged["offset"]) == ("2", "2", 5, 4)
    assert [r["media"]["metadata"]["title"] for r in paged["results"]] == ["Book 4"]
    assert (unpaged["limit"], unpaged["page"], len(unpaged["results"])) == (0, 0, 5)
    assert "sortBy" not in unpaged and "filterBy" not in unpaged


@pytest.mark.parametrize(
    ("sort", "desc", "expected"),
    [
        ("media.metadata.title", None, ["alpha", "Bravo", "charlie"]),
        ("media.metadata.title", "1", ["charlie", "Bravo", "alpha"]),
        ("addedAt", "1", ["alpha", "charlie", "Bravo"]),
        ("media.duration", None, ["charlie", "alpha", "Bravo"]),
        ("updatedAt", None, ["Bravo", "charlie", "alpha"]),  # not a sort key: the database order
        (None, None, ["Bravo", "charlie", "alpha"]),
    ],
)
def test_sort_keys(
    fake: FakeAudiobookshelf, http: httpx.Client, clock: Clock, sort: str | None, desc: str | None, expected: list[str]
):
    lib = _library(fake)
    for title, duration in (("Bravo", 30.0), ("charlie", 10.0), ("alpha", 20.0)):
        clock.now += 1
        fake.add_item(lib, title, duration=duration)
    params = {k: v for k, v in (("sort", sort), ("desc", desc)) if v}
    results = http.get(f"/api/libraries/{lib}/items", params=params).json()["results"]
    assert [r["media"]["metadata"]["title"] for r in results] == expected


def test_series_filter_is_base64_and_adds_the_series_object_ordered_by_sequence(
    fake: FakeAudiobookshelf, http: httpx.Client
):
    lib = _library(fake)
    fake.add_item(lib, "Two", series=[("Saga", "2")])
    fake.add_item(lib, "Half", series=[("Saga", "1.5")])
    fake.add_item(lib, "Loose")
    series_id = next(iter(fake.data.series))

    body = http.get(f"/api/libraries/{lib}/items", params={"filter": f"series.{_b64(series_id)}"}).json()
    no_series = http.get(f"/api/libraries/{lib}/items", params={"filter": f"series.{_b64('no-series')}"}).json()

    assert [r["media"]["metadata"]["series"] for r in body["results"]] == [
        {"id": series_id, "name": "Saga", "sequence": "1.5"},
        {"id": series_id, "name": "Saga", "sequence": "2"},
    ]
    assert body["filterBy"] == f"series.{_b64(series_id)}"
    assert [r["media"]["metadata"]["title"] for r in no_series["results"]] == ["Loose"]


@pytest.mark.parametrize(
    ("filter_by", "expected"),
    [
        (f"genres.{_b64('Fantasy')}", ["Elantris"]),
        (f"narrators.{_b64('Kate Reading')}", ["Warbreaker"]),
        (f"missing.{_b64('asin')}", ["Warbreaker"]),
        (f"languages.{_b64('German')}", ["Warbreaker"]),
        ("issues", []),
        (f"progress.{_b64('finished')}", []),
        ("unknown-group", ["Elantris", "Warbreaker"]),
    ],
)
def test_item_filters(fake: FakeAudiobookshelf, http: httpx.Client, filter_by: str, expected: list[str]):
    lib = _library(fake)
    fake.add_item(lib, "Elantris", genres=["Fantasy"], asin="B00X", language="English")
    fake.add_item(lib, "Warbreaker", narrators=["Kate Reading"], language="German")
    results = http.get(f"/api/libraries/{lib}/items", params={"filter": filter_by}).json()["results"]
    assert [r["media"]["metadata"]["title"] for r in results] == expected


def test_series_endpoint_pages_and_lists_minified_books_by_sequence(fake: FakeAudiobookshelf, http: httpx.Client):
    lib = _library(fake)
    fake.add_item(lib, "B3", series=[("Beta", "3")])
    fake.add_item(lib, "B1", series=[("Beta", "1")])
    fake.add_item(lib, "A1", series=[("Alpha", "1")])

    body = http.get(f"/api/libraries/{lib}/series", params={"sort": "name", "limit": 1, "page": 1}).json()

    assert (body["total"], body["limit"], body["page"]) == (2, "1", "1")
    (beta,) = body["results"]
    assert beta["name"] == "Beta" and "totalDuration" not in beta
    assert [b["media"]["metadata"]["title"] for b in beta["books"]] == ["B1", "B3"]
    assert "series" not in beta["books"][0]["media"]["metadata"]


def test_authors_endpoint_changes_shape_with_paging(fake: FakeAudiobookshelf, http: httpx.Client):
    lib = _library(fake)
    fake.add_item(lib, "One", authors=["Zed Zulu", "Amy Alpha"])
    fake.add_item(lib, "Two", authors=["Amy Alpha"])

    plain = http.get(f"/api/libraries/{lib}/authors", params={"sort": "name"}).json()
    paged = http.get(f"/api/libraries/{lib}/authors", params={"limit": 1, "page": 0, "sort": "name"}).json()

    assert [(a["name"], a["numBooks"], a["lastFirst"]) for a in plain["authors"]] == [
        ("Amy Alpha", 2, "Alpha, Amy"),
        ("Zed Zulu", 1, "Zulu, Zed"),
    ]
    assert (paged["total"], paged["limit"], paged["page"]) == (2, 1, 0)  # numbers here, unlike items
    assert [a["name"] for a in paged["results"]] == ["Amy Alpha"]


# ---- PATCH media -------------------------------------------------------------------------------------------


def test_patch_media_rules(fake: FakeAudiobookshelf, http: httpx.Client, clock: Clock):
    lib = _library(fake)
    item_id = fake.add_item(lib, "Old", authors=["Gone Author"], series=[("Old Series", "1")])
    before = fake.item(item_id).updated_at
    clock.now += 10
    body = {
        "metadata": {
            "title": "New",
            "publishedYear": 2019,  # a number is converted to a string
            "authors": [{"name": "New Author"}],
            "series": [{"name": "Saga", "sequence": 3}, {"name": "Other", "sequence": "2.5"}],
            "description": "<p>ok</p><script>alert(1)</script>",
        }
    }

    answer = http.patch(f"/api/items/{item_id}/media", json=body).json()

    metadata = answer["libraryItem"]["media"]["metadata"]
    assert answer["updated"] is True
    assert metadata["publishedYear"] == "2019"
    assert [(s["name"], s["sequence"]) for s in metadata["series"]] == [("Saga", None), ("Other", "2.5")]
    assert [a["name"] for a in metadata["authors"]] == ["New Author"]
    assert metadata["description"] == "<p>ok</p>"
    assert answer["libraryItem"]["updatedAt"] // 1000 == 1_700_000_010 > before // 1000
    assert {a["name"] for a in fake.data.authors.values()} == {"New Author"}  # the orphan went away
    assert fake.patches == [{"itemId": item_id, "body": body}]


def test_patch_without_changes_is_not_updated(fake: FakeAudiobookshelf, http: httpx.Client):
    lib = _library(fake)
    item_id = fake.add_item(lib, "Same")
    before = fake.item(item_id).updated_at
    answer = http.patch(f"/api/items/{item_id}/media", json={"metadata": {"title": "Same"}}).json()
    assert answer["updated"] is False and fake.item(item_id).updated_at == before


# ---- auth --------------------------------------------------------------------------------------------------


def test_auth_rules(fake: FakeAudiobookshelf, http: httpx.Client):
    lib = _library(fake)
    user_token = fake.add_user("listener", "pw", "user")

    no_token = http.get("/api/libraries", headers={"Authorization": ""})
    wrong = http.get("/api/libraries", headers=_auth("wrong"))
    by_query = http.get("/api/libraries", params={"token": TOKEN}, headers={"Authorization": ""})
    user_scan = http.post(f"/api/libraries/{lib}/scan", headers=_auth(user_token))
    login = http.post("/login", json={"username": "root", "password": "root"}, headers={"Authorization": ""})
    bad_login = http.post("/login", json={"username": "root", "password": "x"}, headers={"Authorization": ""})

    assert (no_token.status_code, no_token.text) == (401, "Unauthorized")
    assert wrong.status_code == 401 and by_query.status_code == 200
    assert user_scan.status_code == 403
    assert login.json()["user"]["token"] == TOKEN and bad_login.status_code == 401
    assert http.get("/status", headers={"Authorization": ""}).status_code == 200  # public


def test_expired_auth_fault_answers_like_passport(fake: FakeAudiobookshelf, http: httpx.Client):
    fake.faults.set("expired_auth", times=1)
    response = http.get("/api/libraries")
    assert (response.status_code, response.text) == (401, "Unauthorized")
    assert http.get("/api/libraries").status_code == 200


# ---- scan --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "title", "authors", "series", "sequence", "narrators", "year"),
    [
        (
            "Brandon Sanderson/Mistborn/01 - The Final Empire",
            "The Final Empire",
            ("Brandon Sanderson",),
            "Mistborn",
            "1",
            (),
            None,
        ),
        ("Author/Saga/Book 2 - Title", "Title", ("Author",), "Saga", "2", (), None),
        ("Author/Saga/1.5 - Novella", "Novella", ("Author",), "Saga", "1.5", (), None),
        ("Author/Saga/6. Title", "Title", ("Author",), "Saga", "6", (), None),
        ("Author/Saga/Title - Vol 3", "Title", ("Author",), "Saga", "3", (), None),
        ("Author/Saga/101 Dalmatians", "101 Dalmatians", ("Author",), "Saga", None, (), None),
        ("Author/Standalone", "Standalone", ("Author",), None, None, (), None),
        ("Author/1 - Not A Sequence", "1 - Not A Sequence", ("Author",), None, None, (), None),
        ("A One & B Two/Book {Reader One}", "Book", ("A One", "B Two"), None, None, ("Reader One",), None),
        ("Author/2004 - Dated", "Dated", ("Author",), None, None, (), "2004"),
        ("Lonely Title", "Lonely Title", (), None, None, (), None),
        ("Deep/Author/Series/3 - Three", "Three", ("Author",), "Series", "3", (), None),
    ],
)
def test_folder_names_parse_like_the_abs_scanner(
    rel: str,
    title: str,
    authors: tuple[str, ...],
    series: str | None,
    sequence: str | None,
    narrators: tuple[str, ...],
    year: str | None,
):
    book = parse_book_folder(rel)
    assert (book.title, book.authors, book.series, book.sequence, book.narrators, book.published_year) == (
        title,
        authors,
        series,
        sequence,
        narrators,
        year,
    )


def test_scan_adds_book_folders_and_marks_vanished_ones_missing(
    fake: FakeAudiobookshelf, http: httpx.Client, tmp_path: Path
):
    lib = _library(fake, tmp_path)
    _book(tmp_path, "Brandon Sanderson/Mistborn/01 - The Final Empire", ("part1.mp3", "part2.mp3"))
    _book(tmp_path, "Andy Weir/Project Hail Mary", ("book.m4b",))
    _book(tmp_path, "Author/Two Discs", ("CD1/a.flac", "CD2/b.flac"))
    _book(tmp_path, "Author/Not A Book", ("cover.jpg", "notes.txt"))

    response = http.post(f"/api/libraries/{lib}/scan")
    assert (response.status_code, response.text) == (200, "OK")
    assert fake.wait_for_scans()

    items = {i["media"]["metadata"]["title"]: i for i in http.get(f"/api/libraries/{lib}/items").json()["results"]}
    assert set(items) == {"The Final Empire", "Project Hail Mary", "Two Discs"}
    empire = items["The Final Empire"]["media"]
    assert empire["metadata"]["seriesName"] == "Mistborn #1" and empire["numAudioFiles"] == 2
    assert items["Project Hail Mary"]["media"]["metadata"]["authorName"] == "Andy Weir"
    assert items["Two Discs"]["media"]["numAudioFiles"] == 2
    assert fake.scans[-1]["added"] == 3

    for path in (tmp_path / "Andy Weir" / "Project Hail Mary").iterdir():
        path.unlink()
    (tmp_path / "Andy Weir" / "Project Hail Mary").rmdir()
    http.post(f"/api/libraries/{lib}/scan")
    assert fake.wait_for_scans()

    issues = http.get(f"/api/libraries/{lib}/items", params={"filter": "issues"}).json()["results"]
    assert [(i["media"]["metadata"]["title"], i["isMissing"]) for i in issues] == [("Project Hail Mary", True)]
    assert fake.scans[-1]["added"] == 0 and fake.scans[-1]["missing"] == 1


def test_rescan_is_idempotent_and_a_returning_folder_is_found_again(fake: FakeAudiobookshelf, tmp_path: Path):
    lib = _library(fake, tmp_path)
    folder = _book(tmp_path, "Author/Book")
    fake.scan_now(lib)
    assert fake.scan_now(lib)["added"] == 0
    (folder / "book.m4b").rename(tmp_path / "away.bin")
    folder.rmdir()
    assert fake.scan_now(lib)["missing"] == 1
    _book(tmp_path, "Author/Book")
    result = fake.scan_now(lib)
    assert (result["added"], result["updated"]) == (0, 1)
    assert [i.is_missing for i in fake.data.items.values()] == [False]


def test_seeded_items_without_folders_are_left_alone_by_a_scan(fake: FakeAudiobookshelf, tmp_path: Path):
    lib = _library(fake, tmp_path)
    item_id = fake.add_item(lib, "Only In The Database")
    fake.scan_now(lib)
    assert fake.item(item_id).is_missing is False


def test_synchronous_scan_finishes_before_answering(tmp_path: Path):
    fake = FakeAudiobookshelf(TOKEN, synchronous_scan=True)
    lib = _library(fake, tmp_path)
    _book(tmp_path, "Author/Book")
    with serve(fake.app) as server:
        assert httpx.post(f"{server.url}/api/libraries/{lib}/scan", headers=_auth(TOKEN)).text == "OK"
    assert [i.title for i in fake.data.items.values()] == ["Book"]


# ---- seed and state ----------------------------------------------------------------------------------------


def test_seed_and_state_endpoints(tmp_path: Path):
    seed: dict[str, Any] = {
        "token": "seeded-token",
        "libraries": [{"id": "lib1", "name": "Books", "folders": [str(tmp_path)]}],
        "items": [{"libraryId": "lib1", "title": "Seeded", "authors": ["Ann"], "series": [["S", "1"]], "asin": "B01"}],
    }
    fake = create_fake(seed)
    with serve(fake.app) as server, httpx.Client(base_url=server.url, headers=_auth("seeded-token")) as client:
        more = {"items": [{"libraryId": "lib1", "title": "Posted", "series": [{"name": "S", "sequence": "2"}]}]}
        assert client.post("/__fake__/seed", json=more).json() == {"ok": True}
        titles = [r["media"]["metadata"]["title"] for r in client.get("/api/libraries/lib1/items").json()["results"]]
        state = client.get("/__fake__/state").json()
    assert titles == ["Seeded", "Posted"]
    assert state["requests"] == [["GET", "/api/libraries/lib1/items", ""]]
    assert {i["media"]["metadata"]["seriesName"] for i in state["items"]} == {"S #1", "S #2"}


def test_a_series_rename_keeps_its_id_and_its_books_updated_at(
    fake: FakeAudiobookshelf, http: httpx.Client, clock: Clock
) -> None:
    lib = _library(fake)
    item = fake.add_item(lib, "Book One", series=[("Temeraire", "1")])
    series_id = next(iter(fake.data.series))
    before = fake.item(item).updated_at
    clock.now += 60
    answer = http.patch(f"/api/series/{series_id}", json={"name": "Temeraire Saga"})
    assert answer.status_code == 200
    assert (answer.json()["id"], answer.json()["name"], answer.json()["nameIgnorePrefix"]) == (
        series_id,
        "Temeraire Saga",
        "Temeraire Saga",
    )
    assert fake.item(item).updated_at == before
    listed = http.get(f"/api/libraries/{lib}/items", params={"limit": 10, "page": 0}).json()["results"]
    assert listed[0]["media"]["metadata"]["seriesName"] == "Temeraire Saga #1"
    assert http.get(f"/api/series/{series_id}").json()["name"] == "Temeraire Saga"
    assert http.patch("/api/series/nope", json={"name": "X"}).status_code == 404
    listener = fake.add_user("listener", "pw", "user")
    assert http.patch(f"/api/series/{series_id}", json={"name": "X"}, headers=_auth(listener)).status_code == 403


def test_a_deleted_item_leaves_every_listing(fake: FakeAudiobookshelf, http: httpx.Client) -> None:
    lib = _library(fake)
    gone = fake.add_item(lib, "Gone", authors=["Only Here"], series=[("Lonely", "1")])
    kept = fake.add_item(lib, "Kept")
    listener = fake.add_user("listener", "pw", "user")
    assert http.delete(f"/api/items/{gone}", headers=_auth(listener)).status_code == 403
    assert http.delete(f"/api/items/{gone}").status_code == 200
    assert http.get(f"/api/items/{gone}").status_code == 404
    assert http.delete(f"/api/items/{gone}").status_code == 404
    listed = http.get(f"/api/libraries/{lib}/items").json()["results"]
    assert [row["id"] for row in listed] == [kept]
    assert http.get(f"/api/libraries/{lib}/series").json()["total"] == 0  # its series had no other book
    assert fake.data.authors == {}


def test_batch_get_answers_the_known_items_expanded(fake: FakeAudiobookshelf, http: httpx.Client) -> None:
    lib = _library(fake)
    one = fake.add_item(lib, "One", series=[("Saga", "1")])
    answer = http.post("/api/items/batch/get", json={"libraryItemIds": [one, "unknown"]})
    assert answer.status_code == 200
    items = answer.json()["libraryItems"]
    assert [i["id"] for i in items] == [one] and "tracks" in items[0]["media"]
    assert items[0]["media"]["metadata"]["series"][0]["sequence"] == "1"
    assert http.post("/api/items/batch/get", json={"libraryItemIds": []}).status_code == 403


def test_listings_are_rendered_as_json_response_would_and_follow_every_change(
    fake: FakeAudiobookshelf, http: httpx.Client
) -> None:
    from starlette.responses import JSONResponse

    from shelfkeeper.testing.fakes.audiobookshelf_json import minified, series_json

    lib = _library(fake)
    first = fake.add_item(lib, "Éclair — Part One", authors=["Zoë Ünger"], series=[("Saga", "1")], duration=1.5)
    fake.add_item(lib, "The Other", authors=["Ann Lee"], narrators=["Kim Park"])
    params = {"limit": 10, "page": 0, "sort": "addedAt", "minified": 1}

    def expected_items() -> bytes:
        results = [minified(fake.data, item) for item in fake.data.items.values()]
        payload = {"results": results, "total": 2, "limit": "10", "page": "0", "sortBy": "addedAt"}
        payload |= {"sortDesc": False, "minified": True, "include": "", "mediaType": "book"}
        payload |= {"collapseseries": False, "offset": 0}
        return bytes(JSONResponse(payload).body)

    def expected_series() -> bytes:
        rows = [{**series_json(fake.data, s)} for s in fake.data.series.values()]
        for row in rows:
            row.pop("totalDuration")
            row["books"] = [minified(fake.data, item) for item, _ in fake.data.books_of_series(row["id"])]
        payload = {"results": rows, "total": 1, "limit": "10", "page": "0", "sortDesc": False, "minified": False}
        return bytes(JSONResponse({**payload, "include": ""}).body)

    def listed() -> tuple[bytes, bytes]:
        items = http.get(f"/api/libraries/{lib}/items", params=params)
        series = http.get(f"/api/libraries/{lib}/series", params={"limit": 10, "page": 0})
        assert items.headers["content-type"] == series.headers["content-type"] == "application/json"
        return items.content, series.content

    assert listed() == (expected_items(), expected_series())
    fake.item(first).title = "Changed by assignment"  # no updatedAt move: the rendered item is dropped all the same
    items, series = listed()
    assert (items, series) == (expected_items(), expected_series()) and b"Changed by assignment" in items
    series_id = next(iter(fake.data.series))
    assert http.patch(f"/api/series/{series_id}", json={"name": "Saga Renamed"}).status_code == 200
    items, series = listed()
    assert (items, series) == (expected_items(), expected_series())
    assert b"Saga Renamed #1" in items and b"Saga Renamed #1" in series
