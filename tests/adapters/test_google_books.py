"""Google Books adapter against the fake Google Books served for real on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from shelfkeeper.adapters import google_books
from shelfkeeper.adapters.google_books import GoogleBooksClient, build_q, classify, published, volume_to_candidate
from shelfkeeper.errors import (
    QuotaExhausted,
    ServiceAuthFailed,
    ServiceBadResponse,
    ServiceError,
    ServiceRateLimited,
    ServiceUnreachable,
)
from shelfkeeper.ports import BookQuery
from shelfkeeper.testing.clock import FakeTime
from shelfkeeper.testing.fakes.google_books import FakeGoogleBooks, create_fake
from shelfkeeper.testing.fakes.google_books_data import daily_limit_403, parse_q, quota_exhausted_429
from shelfkeeper.testing.server import LiveServer, Switchboard, free_port, serve

API_KEY = "AIzaSy-test-key-0123456789"


@pytest.fixture(scope="module")
def switchboard() -> Iterator[tuple[Switchboard, LiveServer]]:
    board = Switchboard()
    with serve(board) as server:
        yield board, server


@pytest.fixture
def fake(switchboard: tuple[Switchboard, LiveServer]) -> FakeGoogleBooks:
    board, _ = switchboard
    instance = FakeGoogleBooks(api_keys={API_KEY})
    board.target = instance.app
    return instance


@pytest.fixture
def base_url(switchboard: tuple[Switchboard, LiveServer]) -> str:
    return switchboard[1].url + "/books/v1"


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


def client(base_url: str, time_: FakeTime, api_key: str | None = API_KEY, **options: Any) -> GoogleBooksClient:
    return google_books.build(base_url, api_key, sleep=time_.sleep, clock=time_.clock, rng=random.Random(7), **options)


def run(coro: Awaitable[Any]) -> Any:
    async def main() -> Any:
        return await coro

    return asyncio.run(main())


def queries(fake: FakeGoogleBooks) -> list[dict[str, str]]:
    return [dict(query) for _, _, query in fake.requests]


def seed_way_of_kings(fake: FakeGoogleBooks) -> str:
    volume = fake.add_volume(
        "The Way of Kings",
        ["Brandon Sanderson"],
        subtitle="The Stormlight Archive, Book 1",
        publisher="Tor Books",
        published_date="2010-08-31",
        description="<p>Roshar is a world of <b>stone</b> &amp; storms.</p><p>Second paragraph.</p>",
        isbn_10="0765326353",
        isbn_13="9780765326355",
        categories=["Fiction / Fantasy / Epic"],
        language="en",
        page_count=1007,
    )
    return volume.id


# ---- query building and mapping (pure) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            BookQuery(title="The Way of Kings", author="Brandon Sanderson"),
            "intitle:The Way of Kings inauthor:Brandon Sanderson",
        ),
        (BookQuery(title="Dune"), "intitle:Dune"),
        (BookQuery(author="Ursula K. Le Guin"), "inauthor:Ursula K. Le Guin"),
        (BookQuery(title='Dune: "Messiah"'), "intitle:Dune Messiah"),
        (BookQuery(title="X", isbn="978-0-7653-2635-5"), "isbn:9780765326355"),
        (BookQuery(isbn="0765326353"), "isbn:0765326353"),
        (BookQuery(isbn="080442957x"), "isbn:080442957X"),
        (BookQuery(title="Dune", isbn="12345"), "intitle:Dune"),
        (BookQuery(title="   "), None),
        (BookQuery(), None),
    ],
)
def test_q_uses_the_operators(query: BookQuery, expected: str | None) -> None:
    assert build_q(query) == expected


@pytest.mark.parametrize(
    ("raw", "year", "day"),
    [
        ("2010-08-31", 2010, date(2010, 8, 31)),
        ("2010-08", 2010, None),
        ("2010", 2010, None),
        ("2010-02-30", 2010, None),
        ("1999-12-31T00:00:00Z", 1999, date(1999, 12, 31)),
        ("", None, None),
        ("circa 1900", None, None),
        (None, None, None),
        (2010, None, None),
    ],
)
def test_published_date_may_be_partial(raw: object, year: int | None, day: date | None) -> None:
    assert published(raw) == (year, day)


@pytest.mark.parametrize(
    ("identifiers", "isbn"),
    [
        (
            [{"type": "ISBN_10", "identifier": "0765326353"}, {"type": "ISBN_13", "identifier": "9780765326355"}],
            "9780765326355",
        ),
        ([{"type": "ISBN_10", "identifier": "0765326353"}], "0765326353"),
        ([{"type": "OTHER", "identifier": "UOM:39015"}, {"type": "ISSN", "identifier": "1234-5678"}], None),
        (None, None),
    ],
)
def test_isbn_13_is_preferred(identifiers: object, isbn: str | None) -> None:
    info: dict[str, Any] = {"title": "T"}
    if identifiers is not None:
        info["industryIdentifiers"] = identifiers
    candidate = volume_to_candidate({"id": "abc", "volumeInfo": info})
    assert candidate is not None and candidate.isbn == isbn


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        ({"smallThumbnail": "http://b/s", "thumbnail": "http://b/t"}, "https://b/t"),
        ({"thumbnail": "http://b/t&edge=curl", "extraLarge": "http://b/xl"}, "https://b/xl"),
        ({"thumbnail": "https://b/t"}, "https://b/t"),
        ({"thumbnail": "http://127.0.0.1:8123/t.png"}, "http://127.0.0.1:8123/t.png"),  # a local mirror as it is
        ({}, None),
    ],
)
def test_cover_is_the_largest_link_over_https(links: dict[str, str], expected: str | None) -> None:
    candidate = volume_to_candidate({"id": "abc", "volumeInfo": {"title": "T", "imageLinks": links}})
    assert candidate is not None and candidate.cover_url == expected


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (429, quota_exhausted_429(), QuotaExhausted),
        (403, daily_limit_403(), QuotaExhausted),
        (
            403,
            {
                "error": {
                    "code": 403,
                    "message": "Daily Limit for Unauthenticated Use Exceeded.",
                    "errors": [{"reason": "dailyLimitExceededUnreg", "domain": "usageLimits"}],
                }
            },
            QuotaExhausted,
        ),
        (
            429,
            {
                "error": {
                    "code": 429,
                    "message": "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute'",
                    "errors": [{"reason": "rateLimitExceeded"}],
                    "status": "RESOURCE_EXHAUSTED",
                }
            },
            ServiceRateLimited,
        ),
        (403, {"error": {"code": 403, "errors": [{"reason": "userRateLimitExceeded"}]}}, ServiceRateLimited),
        (
            400,
            {"error": {"code": 400, "message": "API key not valid.", "errors": [{"reason": "keyInvalid"}]}},
            ServiceAuthFailed,
        ),
        (
            404,
            {
                "error": {
                    "code": 404,
                    "message": "The volume ID could not be found.",
                    "errors": [{"reason": "notFound"}],
                }
            },
            None,
        ),
        (500, "<html>oops</html>", None),
        (200, {"kind": "books#volumes", "totalItems": 0}, None),
    ],
)
def test_classify_reads_googles_reasons(status: int, body: object, expected: type[ServiceError] | None) -> None:
    request = httpx.Request("GET", "http://books.invalid/volumes")
    content = body if isinstance(body, str) else None
    response = httpx.Response(status, json=None if content else body, content=content, request=request)
    error = classify(response)
    if expected is None:
        assert error is None
    else:
        assert type(error) is expected


# ---- the fake itself ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "keywords", "terms"),
    [
        (
            "intitle:The Way of Kings inauthor:Sanderson",
            "",
            {"intitle": ["The Way of Kings"], "inauthor": ["Sanderson"]},
        ),
        ("intitle:Dune+inauthor:Herbert", "", {"intitle": ["Dune"], "inauthor": ["Herbert"]}),
        ('flowers inauthor:"keyes"', "flowers", {"inauthor": ["keyes"]}),
        ("isbn:9780765326355", "", {"isbn": ["9780765326355"]}),
        ("just words", "just words", {}),
    ],
)
def test_fake_parses_q_operators(q: str, keywords: str, terms: dict[str, list[str]]) -> None:
    parsed = parse_q(q)
    assert (parsed.keywords, parsed.terms) == (keywords, terms)


def test_fake_leaves_items_out_pages_and_refuses_over_40(fake: FakeGoogleBooks, base_url: str) -> None:
    for number in range(5):
        fake.add_volume(f"Mistborn {number}", ["Brandon Sanderson"])
    with httpx.Client(base_url=base_url) as http:
        empty = http.get("/volumes", params={"q": "intitle:nothing"}).json()
        page = http.get("/volumes", params={"q": "inauthor:sanderson", "startIndex": 3, "maxResults": 10}).json()
        past = http.get("/volumes", params={"q": "inauthor:sanderson", "startIndex": 10}).json()
        too_many = http.get("/volumes", params={"q": "mistborn", "maxResults": 41})
        no_q = http.get("/volumes")
    assert empty == {"kind": "books#volumes", "totalItems": 0}
    assert page["totalItems"] == 5 and [v["volumeInfo"]["title"] for v in page["items"]] == ["Mistborn 3", "Mistborn 4"]
    assert "items" not in past and past["totalItems"] == 5
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == 400
    assert no_q.json()["error"]["errors"][0]["reason"] == "queryRequired"


def test_fake_projection_and_order(fake: FakeGoogleBooks, base_url: str) -> None:
    fake.add_volume("Old", ["A Writer"], published_date="1990", description="<p>old</p>")
    fake.add_volume("New", ["A Writer"], published_date="2020-05", description="<p>new</p>")
    with httpx.Client(base_url=base_url) as http:
        lite = http.get("/volumes", params={"q": "inauthor:writer", "projection": "lite"}).json()
        full = http.get("/volumes", params={"q": "inauthor:writer", "orderBy": "newest"}).json()
    assert all("description" not in v["volumeInfo"] for v in lite["items"])
    assert [v["volumeInfo"]["title"] for v in full["items"]] == ["New", "Old"]
    assert full["items"][0]["volumeInfo"]["description"] == "<p>new</p>"  # HTML in the full projection
    assert full["items"][0]["volumeInfo"]["imageLinks"]["thumbnail"].startswith("http://")


def test_fake_seed_and_state_endpoints(base_url: str, fake: FakeGoogleBooks) -> None:
    root = base_url.removesuffix("/books/v1")
    seed = {
        "volumes": [
            {"title": "Dune", "authors": ["Frank Herbert"], "isbn_13": "9780441013593"},
            {"id": "rawVolume001", "volumeInfo": {"title": "Raw", "authors": ["Someone"]}},
        ],
        "daily_quota": 5,
    }
    with httpx.Client(base_url=root) as http:
        assert http.post("/__fake__/seed", json=seed).json() == {"ok": True}
        found = http.get("/books/v1/volumes", params={"q": "isbn:9780441013593"}).json()
        raw = http.get("/books/v1/volumes/rawVolume001").json()
        state = http.get("/__fake__/state").json()
    assert found["items"][0]["volumeInfo"]["title"] == "Dune"
    assert raw["volumeInfo"] == {"title": "Raw", "authors": ["Someone"]}
    assert state["volumes"] == 2 and state["queries_used"] == 2 and len(state["requests"]) == 2
    assert create_fake(seed).daily_quota == 5


# ---- the adapter against the fake --------------------------------------------------------------------------


def test_search_maps_volume_info(fake: FakeGoogleBooks, base_url: str, time_: FakeTime) -> None:
    volume_id = seed_way_of_kings(fake)
    fake.add_volume("Words of Radiance", ["Brandon Sanderson"])
    found = run(client(base_url, time_).search(BookQuery(title="The Way of Kings", author="Brandon Sanderson")))
    assert len(found) == 1
    book = found[0]
    assert (book.source, book.source_id, book.title) == ("google_books", volume_id, "The Way of Kings")
    assert book.subtitle == "The Stormlight Archive, Book 1"
    assert book.authors == ("Brandon Sanderson",)
    assert (book.isbn, book.publisher, book.language) == ("9780765326355", "Tor Books", "en")
    assert (book.published_year, book.release_date) == (2010, date(2010, 8, 31))
    assert book.genres == ("Fiction", "Fantasy", "Epic")
    assert book.description == "Roshar is a world of stone & storms.\nSecond paragraph."
    assert book.cover_url is not None and book.cover_url.startswith("https://books.google.com/")
    assert book.extra["pageCount"] == 1007
    sent = queries(fake)[0]
    assert sent["q"] == "intitle:The Way of Kings inauthor:Brandon Sanderson"
    assert (sent["key"], sent["maxResults"], sent["startIndex"]) == (API_KEY, "10", "0")


def test_no_hits_is_an_empty_list(fake: FakeGoogleBooks, base_url: str, time_: FakeTime) -> None:
    seed_way_of_kings(fake)
    assert run(client(base_url, time_).search(BookQuery(title="Nonexistent Title"))) == []


def test_isbn_search_then_title_fallback(fake: FakeGoogleBooks, base_url: str, time_: FakeTime) -> None:
    seed_way_of_kings(fake)
    adapter = client(base_url, time_)

    async def scenario() -> tuple[Any, Any]:
        by_isbn = await adapter.search(BookQuery(isbn="0-7653-2635-3"))
        return by_isbn, await adapter.search(BookQuery(title="Way of Kings", isbn="9780000000002"))

    by_isbn, fallback = run(scenario())
    assert [b.title for b in by_isbn] == ["The Way of Kings"] == [b.title for b in fallback]
    assert [q["q"] for q in queries(fake)] == ["isbn:0765326353", "isbn:9780000000002", "intitle:Way of Kings"]


def test_language_restriction_is_sent(fake: FakeGoogleBooks, base_url: str, time_: FakeTime) -> None:
    fake.add_volume("Der Weg der Könige", ["Brandon Sanderson"], language="de")
    fake.add_volume("The Way of Kings", ["Brandon Sanderson"], language="en")
    found = run(client(base_url, time_).search(BookQuery(author="Brandon Sanderson", language="de")))
    assert [b.title for b in found] == ["Der Weg der Könige"]
    assert queries(fake)[0]["langRestrict"] == "de"


def test_key_is_optional(fake: FakeGoogleBooks, base_url: str, time_: FakeTime) -> None:
    seed_way_of_kings(fake)
    found = run(client(base_url, time_, api_key=None).search(BookQuery(title="Way of Kings")))
    assert len(found) == 1 and "key" not in queries(fake)[0]


def test_by_id_volume_and_isbn(fake: FakeGoogleBooks, base_url: str, time_: FakeTime) -> None:
    volume_id = seed_way_of_kings(fake)
    adapter = client(base_url, time_)

    async def scenario() -> tuple[Any, Any, Any]:
        return await adapter.by_id(volume_id), await adapter.by_id("978-0765326355"), await adapter.by_id("noSuch")

    by_volume, by_isbn, missing = run(scenario())
    assert by_volume is not None and by_volume.cover_url is not None and "zoom=6" in by_volume.cover_url
    assert by_isbn is not None and by_isbn.source_id == volume_id
    assert missing is None
    assert [path for _, path, _ in fake.requests] == [
        f"/books/v1/volumes/{volume_id}",
        "/books/v1/volumes",
        "/books/v1/volumes/noSuch",
    ]


@pytest.mark.parametrize(
    ("skew", "starts"),
    [(0, ["0", "40", "80"]), (40, ["0", "40", "80", "87"])],  # an over-estimated totalItems costs one empty page
)
def test_author_books_pages_by_40_and_keeps_only_that_author(
    fake: FakeGoogleBooks, base_url: str, time_: FakeTime, skew: int, starts: list[str]
) -> None:
    for number in range(85):
        fake.add_volume(f"Cosmere Story {number}", ["Brandon Sanderson"])
    fake.add_volume("Co-written", ["Brandon Sanderson", "Janci Patterson"])
    fake.add_volume("A Namesake's Book", ["Brandon Sanderson Smith"])
    fake.total_items_skew = skew
    books = run(client(base_url, time_).author_books("Brandon Sanderson"))
    assert len(books) == 86 and all("Brandon Sanderson" in b.authors for b in books)
    assert [q["startIndex"] for q in queries(fake)] == starts
    assert {q["maxResults"] for q in queries(fake)} == {"40"}
    assert all(q["q"] == "inauthor:Brandon Sanderson" for q in queries(fake))


def test_find_author_takes_googles_spelling(fake: FakeGoogleBooks, base_url: str, time_: FakeTime) -> None:
    fake.add_volume("A Wizard of Earthsea", ["Ursula K. Le Guin"])
    adapter = client(base_url, time_)

    async def scenario() -> tuple[Any, Any]:
        return await adapter.find_author("Le Guin, Ursula K."), await adapter.find_author("Nobody Atall")

    profile, nobody = run(scenario())
    assert profile is not None and profile.name == "Ursula K. Le Guin" and profile.source == "google_books"
    assert nobody is None


@pytest.mark.parametrize(("keyed", "status"), [(True, 429), (False, 403)])
def test_daily_quota_is_quota_exhausted_without_retry(
    fake: FakeGoogleBooks, base_url: str, time_: FakeTime, keyed: bool, status: int
) -> None:
    seed_way_of_kings(fake)
    fake.daily_quota = 1
    adapter = client(base_url, time_, api_key=API_KEY if keyed else None)

    async def scenario() -> tuple[Any, Any]:
        await adapter.search(BookQuery(title="Way of Kings"))
        with pytest.raises(QuotaExhausted) as caught:
            await adapter.search(BookQuery(title="Way of Kings"))
        return caught.value, await adapter.test_connection()

    error, report = run(scenario())
    assert error.details["status"] == status
    assert len(fake.requests) == 3 and time_.sleeps == []
    assert report.reachable and report.error_code == "SERVICE_QUOTA_EXHAUSTED"


def test_wrong_key_is_auth_failure(fake: FakeGoogleBooks, base_url: str, time_: FakeTime) -> None:
    adapter = client(base_url, time_, api_key="AIza-wrong-key")

    async def scenario() -> Any:
        with pytest.raises(ServiceAuthFailed):
            await adapter.search(BookQuery(title="Anything"))
        return await adapter.test_connection()

    report = run(scenario())
    assert (report.reachable, report.auth_ok) == (True, False)


def test_test_connection_ok_and_unreachable(fake: FakeGoogleBooks, base_url: str, time_: FakeTime) -> None:
    report = run(client(base_url, time_).test_connection())
    assert (report.service, report.configured, report.reachable, report.auth_ok) == ("google_books", True, True, True)
    nowhere = client(f"http://127.0.0.1:{free_port()}/books/v1", time_, max_attempts=1)
    down = run(nowhere.test_connection())
    assert (down.reachable, down.auth_ok, down.error_code) == (False, None, "SERVICE_UNREACHABLE")


# ---- fault modes -------------------------------------------------------------------------------------------


def test_rate_limit_retry_after_is_honoured(fake: FakeGoogleBooks, base_url: str, time_: FakeTime) -> None:
    seed_way_of_kings(fake)
    fake.faults.set("rate_limit", retry_after="7", times=1)
    found = run(client(base_url, time_).search(BookQuery(title="Way of Kings")))
    assert len(found) == 1 and time_.sleeps == [7.0]


def test_server_error_is_retried(fake: FakeGoogleBooks, base_url: str, time_: FakeTime) -> None:
    seed_way_of_kings(fake)
    fake.faults.set("server_error", status=503, times=2)
    found = run(client(base_url, time_).search(BookQuery(title="Way of Kings")))
    assert len(found) == 1 and len(time_.sleeps) == 2


def test_down_gives_service_error_after_retries(fake: FakeGoogleBooks, base_url: str, time_: FakeTime) -> None:
    fake.faults.set("down")
    with pytest.raises(ServiceError) as caught:
        run(client(base_url, time_, max_attempts=3).search(BookQuery(title="Way of Kings")))
    assert caught.value.code == "SERVICE_ERROR" and len(time_.sleeps) == 2


def test_slow_answer_times_out(fake: FakeGoogleBooks, base_url: str, time_: FakeTime) -> None:
    fake.faults.set("slow", delay=0.5)
    with pytest.raises(ServiceUnreachable):
        run(client(base_url, time_, timeout=0.05, max_attempts=1).search(BookQuery(title="Way of Kings")))


def test_garbage_body_is_bad_response(fake: FakeGoogleBooks, base_url: str, time_: FakeTime) -> None:
    fake.faults.set("garbage")
    with pytest.raises(ServiceBadResponse):
        run(client(base_url, time_).search(BookQuery(title="Way of Kings")))


def test_expired_key_is_auth_failure(fake: FakeGoogleBooks, base_url: str, time_: FakeTime) -> None:
    fake.faults.set("expired_auth")
    with pytest.raises(ServiceAuthFailed):
        run(client(base_url, time_).search(BookQuery(title="Way of Kings")))
    assert time_.sleeps == []


def test_api_key_never_reaches_the_logs(
    fake: FakeGoogleBooks, base_url: str, time_: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seed_way_of_kings(fake)
    adapter = client(base_url, time_)

    async def scenario() -> ServiceAuthFailed:
        await adapter.search(BookQuery(title="Way of Kings"))
        fake.faults.set("server_error", status=500, times=1)
        await adapter.search(BookQuery(title="Way of Kings"))
        fake.faults.set("expired_auth")
        with pytest.raises(ServiceAuthFailed) as caught:
            await adapter.search(BookQuery(title="Way of Kings"))
        return caught.value

    error = run(scenario())
    assert caplog.records, "the HTTP layer logs every attempt"
    assert API_KEY not in caplog.text and API_KEY not in str(error)
    assert "key=" in caplog.text  # the parameter is logged, its value redacted
