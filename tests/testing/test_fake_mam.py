"""The fake MyAnonamouse itself: request parsing, filters, sorting, paging, cookies, downloads, seeding."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from shelfkeeper.testing.fakes.mam import FORBIDDEN_BODY, FakeMam, create_fake
from shelfkeeper.testing.fakes.mam_data import human_size, parse_brackets, parse_day, search_fields
from shelfkeeper.testing.server import LiveServer, serve

COOKIE = "fake-mam-cookie-1"
SEARCH = "/tor/js/loadSearchJSONbasic.php"


@pytest.fixture
def fake() -> FakeMam:
    fake = FakeMam(COOKIE, rotate_every=None)
    fake.add_torrent(
        "Alpha Fantasy",
        id=1,
        authors=["Ann Author"],
        category=41,
        times_completed=30,
        seeders=0,
        added=datetime(2026, 1, 10, tzinfo=UTC),
        size=3000,
        free=True,
    )
    fake.add_torrent(
        "Beta Mystery",
        id=2,
        authors=["Bob Writer"],
        narrators=["Ann Author"],
        category=87,
        times_completed=10,
        added=datetime(2026, 1, 20, tzinfo=UTC),
        size=1000,
        vip=True,
    )
    fake.add_torrent(
        "Gamma Fantasy German",
        id=3,
        authors=["Carl Schreiber"],
        category=41,
        language=36,
        times_completed=20,
        added=datetime(2026, 2, 1, tzinfo=UTC),
        size=2000,
        series=[["Gamma Saga", "2"]],
    )
    fake.add_torrent(
        "Delta Ebook", id=4, authors=["Ann Author"], main_cat=14, category=63, added=datetime(2026, 2, 5, tzinfo=UTC)
    )
    return fake  # fmt: skip


@pytest.fixture
def server(fake: FakeMam) -> Iterator[LiveServer]:
    with serve(fake.app) as live:
        yield live


def search(url: str, params: Any, cookie: str = COOKIE) -> httpx.Response:
    return httpx.get(f"{url}{SEARCH}", params=params, cookies={"mam_id": cookie})


def ids(url: str, params: list[tuple[str, str]]) -> list[int]:
    body = search(url, params).json()
    return [item["id"] for item in body.get("data", [])]


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([("tor[text]", "x")], {"tor": {"text": "x"}}),
        ([("tor[cat][]", "0")], {"tor": {"cat": ["0"]}}),
        ([("tor[cat][0]", "41"), ("tor[cat][1]", "47")], {"tor": {"cat": ["41", "47"]}}),
        ([("tor[main_cat][]", "13"), ("tor[main_cat][]", "14")], {"tor": {"main_cat": ["13", "14"]}}),
        ([("tor[srchIn][title]", "true")], {"tor": {"srchIn": {"title": "true"}}}),
        ([("dlLink", ""), ("perpage", "50")], {"dlLink": "", "perpage": "50"}),
        ([("bad]key", "x")], {}),
    ],
)
def test_parse_brackets(items: list[tuple[str, str]], expected: dict[str, Any]) -> None:
    assert parse_brackets(items) == expected


@pytest.mark.parametrize(
    ("size", "text"),
    [(512, "512 B"), (1_040_589, "1,016.2 KiB"), (1_535_450_000, "1.43 GiB"), (5 * 1024**2, "5.00 MiB")],
)
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"title": "true", "author": "false"}, ["title"]),
        (["series", "narrator"], ["series", "narrator"]),
        (None, ["title", "author"]),
    ],
)
def test_search_fields(value: Any, expected: list[str]) -> None:
    assert search_fields(value) == expected


def test_parse_day() -> None:
    assert parse_day("2026-01-02") == datetime(2026, 1, 2, tzinfo=UTC)
    assert parse_day("1767312000") == datetime(2026, 1, 2, tzinfo=UTC)
    assert parse_day("") is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([], [4, 3, 2, 1]),  # no text: newest first
        ([("tor[main_cat][]", "13")], [3, 2, 1]),
        ([("tor[cat][0]", "41")], [3, 1]),
        ([("tor[cat][]", "0")], [4, 3, 2, 1]),
        ([("tor[browse_lang][0]", "1")], [4, 2, 1]),
        ([("tor[text]", "fantasy")], [3, 1]),  # default srchIn: title and author
        ([("tor[text]", "ann author")], [4, 1]),
        ([("tor[text]", "ann author"), ("tor[srchIn][narrator]", "true")], [2]),
        ([("tor[text]", "gamma saga"), ("tor[srchIn][series]", "true")], [3]),
        ([("tor[searchType]", "active")], [4, 3, 2]),
        ([("tor[searchType]", "fl")], [1]),
        ([("tor[searchType]", "VIP")], [2]),
        ([("tor[searchType]", "nVIP")], [4, 3, 1]),
        ([("tor[startDate]", "2026-01-20"), ("tor[endDate]", "2026-02-01")], [2]),  # start in, end out
        ([("tor[sortType]", "snatchedDesc"), ("tor[main_cat][]", "13")], [1, 3, 2]),
        ([("tor[sortType]", "sizeAsc"), ("tor[main_cat][]", "13")], [2, 3, 1]),
        ([("tor[sortType]", "titleAsc")], [1, 2, 4, 3]),
        ([("tor[sortType]", "dateAsc")], [1, 2, 3, 4]),
        ([("tor[id]", "2")], [2]),
        ([("tor[startNumber]", "2"), ("perpage", "5")], [2, 1]),
    ],
)
def test_search_filters_and_sorts(server: LiveServer, params: list[tuple[str, str]], expected: list[int]) -> None:
    assert ids(server.url, params) == expected


def test_hash_filter(fake: FakeMam, server: LiveServer) -> None:
    assert ids(server.url, [("tor[hash]", (fake.torrents[3].info_hash or "").upper())]) == [3]


def test_response_envelope_and_perpage_clamp(fake: FakeMam, server: LiveServer) -> None:
    for number in range(10):
        fake.add_torrent(f"Filler {number}", size=100)
    body = search(server.url, [("perpage", "2")]).json()
    assert (body["perpage"], body["start"], body["total"], body["found"], len(body["data"])) == (5, 0, 14, 14, 5)
    assert search(server.url, [("tor[perpage]", "500")]).json()["perpage"] == 100


def test_nothing_returned(server: LiveServer) -> None:
    assert search(server.url, [("tor[text]", "zzz")]).json() == {"error": "Nothing returned, out of 0"}
    assert search(server.url, [("tor[startNumber]", "50")]).json() == {"error": "Nothing returned, out of 4"}


def test_item_shape_and_flags(fake: FakeMam, server: LiveServer) -> None:
    fake.torrents[3].string_numbers = True
    plain = search(server.url, [("tor[id]", "3")]).json()["data"][0]
    assert "dl" not in plain and "isbn" not in plain and "description" not in plain
    item = search(server.url, [("tor[id]", "3"), ("dlLink", ""), ("isbn", ""), ("description", "")]).json()["data"][0]
    assert item["dl"] == fake.torrents[3].dl and item["isbn"] == "" and item["description"] == ""
    assert item["id"] == "3" and item["seeders"] == "10" and item["free"] == "0"  # numeric strings
    # info fields are JSON *strings*
    assert list(json.loads(item["author_info"]).values()) == ["Carl Schreiber"]
    assert list(json.loads(item["series_info"]).values()) == [["Gamma Saga", "2", 2.0]]
    assert item["narrator_info"] == "" and item["catname"] == "Audiobooks - Fantasy"
    assert item["added"] == "2026-02-01 00:00:00"


def test_post_json_form_matches_get(server: LiveServer) -> None:
    body = {"tor": {"text": "ann author", "srchIn": ["narrator"], "main_cat": [13]}, "perpage": 10, "dlLink": True}
    answer = httpx.post(f"{server.url}{SEARCH}", json=body, cookies={"mam_id": COOKIE}).json()
    assert [i["id"] for i in answer["data"]] == [2] and "dl" in answer["data"][0]


def test_post_form_encoded(server: LiveServer) -> None:
    form = {"tor[text]": "fantasy", "tor[cat][0]": "41"}
    answer = httpx.post(f"{server.url}{SEARCH}", data=form, cookies={"mam_id": COOKIE}).json()
    assert [i["id"] for i in answer["data"]] == [3, 1]


def test_bad_cookie_gets_403_html(server: LiveServer) -> None:
    for cookie in ("", "wrong"):
        response = search(server.url, [], cookie=cookie)
        assert response.status_code == 403 and response.content == FORBIDDEN_BODY
        assert response.headers["content-type"].startswith("text/html")


def test_rotation_retires_the_old_cookie(fake: FakeMam, server: LiveServer) -> None:
    fake.rotate_every = 2
    first = search(server.url, [])
    second = search(server.url, [])
    assert "set-cookie" not in first.headers
    new = second.cookies["mam_id"]
    assert new == fake.current_cookie != COOKIE and fake.rotations == [new]
    assert search(server.url, []).status_code == 403
    assert search(server.url, [], cookie=new).status_code == 200


def test_rotation_can_keep_the_old_cookie(fake: FakeMam, server: LiveServer) -> None:
    fake.retire_rotated = False
    fake.rotate_next = True
    new = search(server.url, []).cookies["mam_id"]
    assert search(server.url, []).status_code == 200 and search(server.url, [], cookie=new).status_code == 200


def test_downloads(fake: FakeMam, server: LiveServer) -> None:
    by_id = httpx.get(f"{server.url}/tor/download.php", params={"tid": "2"}, cookies={"mam_id": COOKIE})
    assert by_id.content == fake.torrents[2].torrent and by_id.headers["content-type"] == "application/x-bittorrent"
    assert httpx.get(f"{server.url}/tor/download.php", params={"tid": "2"}).status_code == 403
    by_dl = httpx.get(f"{server.url}/tor/download.php/{fake.torrents[1].dl}")  # no cookie needed
    assert by_dl.content == fake.torrents[1].torrent
    assert httpx.get(f"{server.url}/tor/download.php/nope").status_code == 404
    assert fake.downloads == [2, 1]


def test_user_endpoint(server: LiveServer) -> None:
    plain = httpx.get(f"{server.url}/jsonLoad.php", cookies={"mam_id": COOKIE}).json()
    assert plain["username"] == "bookworm" and "leeching" not in plain
    summary = httpx.get(f"{server.url}/jsonLoad.php?snatch_summary", cookies={"mam_id": COOKIE}).json()
    assert summary["unsat"]["limit"] == 50 and summary["uploaded"] == "250.0 GiB"


def test_concurrency_is_recorded(fake: FakeMam, server: LiveServer) -> None:
    search(server.url, [])
    assert fake.max_in_flight == 1 and fake.in_flight == 0


def test_seed_endpoint_and_state() -> None:
    fake = create_fake({"mam_id": "seeded", "rotate_every": None, "user": {"username": "seed", "wedges": 9}})
    with serve(fake.app) as live:
        seed = {"torrents": [{"title": "Seeded", "id": 77, "authors": ["S"], "added": "2026-04-01 08:00:00"}]}
        assert httpx.post(f"{live.url}/__fake__/seed", json=seed).json()["torrents"] == 1
        found = search(live.url, [("tor[text]", "seeded")], cookie="seeded").json()["data"]
        user = httpx.get(f"{live.url}/jsonLoad.php", cookies={"mam_id": "seeded"}).json()
        state = httpx.get(f"{live.url}/__fake__/state").json()
    assert [i["id"] for i in found] == [77] and found[0]["added"] == "2026-04-01 08:00:00"
    assert (user["username"], user["wedges"]) == ("seed", 9)
    assert state["requests"][0][:2] == ["GET", SEARCH] and state["current_cookie"] == "seeded"
    assert len(create_fake().torrents) == 3  # the demo catalogue for `fakes serve`
