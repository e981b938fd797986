"""Audnexus adapter against the fake Audnexus (and the fake Audible catalog) served for real on 127.0.0.1."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest

from shelfkeeper.adapters import audible, audnexus
from shelfkeeper.adapters.audnexus import AudnexusClient, BookChapters, Chapter, classify, error_parts
from shelfkeeper.errors import (
    ConfigurationError,
    ServiceBadResponse,
    ServiceError,
    ServiceRateLimited,
    ServiceUnreachable,
)
from shelfkeeper.ports import BookQuery
from shelfkeeper.testing.clock import FakeTime
from shelfkeeper.testing.fakes.audible import FakeAudible
from shelfkeeper.testing.fakes.audible_data import AudibleCatalog
from shelfkeeper.testing.fakes.audnexus import FakeAudnexus, create_fake
from shelfkeeper.testing.server import LiveServer, Switchboard, free_port, serve

KINGS = "B003P2WO5E"
SANDERSON = "B001IGFHW6"


@pytest.fixture(scope="module")
def boards() -> Iterator[tuple[Switchboard, LiveServer, Switchboard, LiveServer]]:
    nexus, catalog = Switchboard(), Switchboard()
    with serve(nexus) as nexus_server, serve(catalog) as catalog_server:
        yield nexus, nexus_server, catalog, catalog_server


@dataclass
class World:
    catalog: AudibleCatalog
    nexus: FakeAudnexus
    audible: FakeAudible
    nexus_url: str
    audible_url: str
    time: FakeTime


def seed(catalog: AudibleCatalog) -> None:
    catalog.add_book(
        KINGS,
        "The Way of Kings",
        authors=[{"name": "Brandon Sanderson", "asin": SANDERSON}],
        narrators=["Michael Kramer", "Kate Reading"],
        series=[
            {"title": "The Stormlight Archive", "sequence": "1", "asin": "B010XKCR92"},
            {"title": "Cosmere", "sequence": "Book 7"},
        ],
        genres=[["Science Fiction & Fantasy", "Fantasy", "Epic"], ["Literature & Fiction", "Action & Adventure"]],
        image_id="91KzZWpgmyL",
        publisher_name="Macmillan Audio",
        publisher_summary="<p>Roshar is a world of <b>stone</b> &amp; storms.</p><p>Second paragraph.</p>",
        merchandising_summary="<p>Short blurb.</p>",
        release_date="2010-08-31",
        runtime_length_min=2740,
        copyright="©2010 Brandon Sanderson (P)2010 Macmillan Audio",
        chapters=[{"title": "Prelude", "length_ms": 600_000}, {"title": "Chapter 1", "length_ms": 900_000}],
    )
    catalog.add_author(
        SANDERSON,
        "Brandon Sanderson",
        description="<p>Epic fantasy author.</p>",
        image="https://img/bs.jpg",
        genres=["Science Fiction & Fantasy"],
    )
    catalog.add_author("B000APZOQA", "Brandon Mull")


@pytest.fixture
def world(boards: tuple[Switchboard, LiveServer, Switchboard, LiveServer]) -> World:
    nexus_board, nexus_server, audible_board, audible_server = boards
    catalog = AudibleCatalog()
    seed(catalog)
    clock = FakeTime()
    nexus = FakeAudnexus(catalog, clock=clock.clock)
    fake_audible = FakeAudible(catalog)
    nexus_board.target, audible_board.target = nexus.app, fake_audible.app
    return World(catalog, nexus, fake_audible, nexus_server.url, audible_server.url, clock)


def client(world: World, *, region: str = "us", with_catalog: bool = False, **options: Any) -> AudnexusClient:
    extras: dict[str, Any] = {"sleep": world.time.sleep, "clock": world.time.clock, "rng": random.Random(3)}
    extras["min_interval"] = 0
    catalog = audible.build(world.audible_url, region=region, **extras) if with_catalog else None
    return audnexus.build(options.pop("base_url", world.nexus_url), region=region, catalog=catalog, **extras, **options)


def run(coro: Awaitable[Any]) -> Any:
    async def main() -> Any:
        return await coro

    return asyncio.run(main())


def paths(fake: FakeAudnexus | FakeAudible) -> list[str]:
    return [path for _, path, _ in fake.requests]


# ---- error bodies (pure) -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"error": {"code": "NOT_FOUND", "message": "No book found for ASIN: X", "details": None}},
            ("NOT_FOUND", "No book found for ASIN: X"),
        ),
        (
            {"error": {"code": "REGION_UNAVAILABLE", "message": "Item not available", "details": {"asin": "X"}}},
            ("REGION_UNAVAILABLE", "Item not available"),
        ),
        ({"statusCode": 404, "error": "Not Found", "message": "X has no chapters"}, (None, "X has no chapters")),
        ({"error": "Bad Request", "message": "q is required"}, (None, "q is required")),
        (
            {"message": "Route GET:/nope not found", "error": "Not Found", "statusCode": 404},
            (None, "Route GET:/nope not found"),
        ),
        ({"error": "Bad Request"}, (None, "Bad Request")),
        ([], (None, None)),
        ("text", (None, None)),
    ],
)
def test_error_parts_reads_every_envelope(body: object, expected: tuple[str | None, str | None]) -> None:
    assert error_parts(body) == expected


@pytest.mark.parametrize(
    ("status", "body", "kind", "not_found"),
    [
        (
            404,
            {"error": {"code": "REGION_UNAVAILABLE", "message": "Item not available in region 'us'"}},
            ServiceBadResponse,
            True,
        ),
        (
            404,
            {"statusCode": 404, "error": "Not Found", "message": "No book found for ASIN: B0"},
            ServiceBadResponse,
            True,
        ),
        (
            404,
            {"message": "Route GET:/bookz/B0 not found", "error": "Not Found", "statusCode": 404},
            ServiceBadResponse,
            False,
        ),
        (400, {"error": {"code": "BAD_REQUEST", "message": "Bad ASIN"}}, ServiceBadResponse, False),
        (422, {"error": {"code": "VALIDATION_ERROR", "message": "Validation failed"}}, ServiceBadResponse, False),
        (429, {"error": {"code": "RATE_LIMIT_EXCEEDED", "message": "Rate limit reached."}}, ServiceRateLimited, False),
        (403, {"error": {"code": "403", "message": "Forbidden"}}, None, False),
        (404, "<html>not json</html>", None, False),
        (500, {"statusCode": 500, "error": "Internal Server Error", "message": "boom"}, None, False),
    ],
)
def test_classify(status: int, body: object, kind: type[ServiceError] | None, not_found: bool) -> None:
    request = httpx.Request("GET", "http://audnexus.invalid/books/B0")
    if isinstance(body, str):
        response = httpx.Response(status, content=body.encode(), request=request)
    else:
        response = httpx.Response(status, json=body, request=request)
    error = classify(response)
    assert (type(error) if error else None) is kind
    if error is not None:
        assert audnexus.is_not_found(error) is not_found


# ---- books -------------------------------------------------------------------------------------------------


def test_book_maps_every_field(world: World) -> None:
    book = run(client(world).by_id(KINGS))
    assert book is not None
    assert (book.source, book.source_id, book.asin, book.title) == ("audnexus", KINGS, KINGS, "The Way of Kings")
    assert book.authors == ("Brandon Sanderson",)
    assert book.narrators == ("Michael Kramer", "Kate Reading")
    assert [(s.name, s.sequence, s.series_id) for s in book.series] == [
        ("The Stormlight Archive", "1", "B010XKCR92"),
        ("Cosmere", "Book 7", None),
    ]
    assert (book.release_date, book.published_year) == (date(2010, 8, 31), 2010)
    assert (book.duration_minutes, book.language, book.format_type) == (2740, "en", "unabridged")
    assert book.publisher == "Macmillan Audio"
    assert book.isbn is None  # Audnexus sends "" for a book without ISBN
    assert book.genres == ("Science Fiction & Fantasy", "Literature & Fiction")
    assert book.extra["tags"] == ("Fantasy", "Epic", "Action & Adventure")
    assert book.description == "Roshar is a world of stone & storms.\nSecond paragraph."
    assert book.cover_url == "https://m.media-amazon.com/images/I/91KzZWpgmyL.jpg"
    assert (book.extra["copyright"], book.extra["region"]) == (2010, "us")
    assert world.nexus.requests[0][2] == [("region", "us")]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"format_type": "abridged"}, {"format_type": "abridged"}),
        ({"format_type": "Unabridged"}, {"format_type": "unabridged"}),
        ({"language": "german", "isbn": "9783453273559"}, {"language": "de", "isbn": "9783453273559"}),
        ({"language": "Mandarin Chinese"}, {"language": "zh"}),
        ({"runtime_length_min": None}, {"duration_minutes": None}),
        (
            {"series": [{"title": "Dune", "sequence": "2, Dramatized Adaptation"}]},
            {"series": (("Dune", "2, Dramatized Adaptation"),)},
        ),
        (
            {"series": [{"title": "Dune", "sequence": "1.5"}, {"title": "Dune Universe", "sequence": "3"}]},
            {"series": (("Dune", "1.5"), ("Dune Universe", "3"))},
        ),
        # seriesPrimary is the series named like publication_name; without such a series Audnexus gives none.
        ({"series": [{"title": "Dune"}], "publication_name": "Something Else"}, {"series": ()}),
        ({"series": [{"title": "Dune"}]}, {"series": (("Dune", None),)}),
        ({"release_date": None, "issue_date": "1999-01-02"}, {"release_date": date(1999, 1, 2)}),
    ],
)
def test_book_field_variants(world: World, fields: dict[str, Any], expected: dict[str, Any]) -> None:
    world.catalog.add_book("B0VARIANT1", "Variant", authors=["Someone Else"], **fields)
    book = run(client(world).by_id("B0VARIANT1"))
    assert book is not None
    for name, value in expected.items():
        got = getattr(book, name)
        if name == "series":
            got = tuple((s.name, s.sequence) for s in got)
        assert got == value, name


@pytest.mark.parametrize("style", ["envelope", "fastify"])
def test_unknown_and_foreign_books_are_none_in_both_envelopes(world: World, style: str) -> None:
    world.nexus.error_style = style
    world.catalog.add_book("B0UKONLY01", "Only in Britain", authors=["A Writer"], regions=["uk"])
    world.catalog.add_book("B0DELISTED", "Gone", authors=["A Writer"], product_state="NOT_AVAILABLE_FOR_PURCHASE")

    async def scenario() -> list[Any]:
        adapter = client(world)
        return [await adapter.by_id(asin) for asin in ("B000000000", "B0UKONLY01", "B0DELISTED")]

    assert run(scenario()) == [None, None, None]
    with httpx.Client(base_url=world.nexus_url) as http:
        body = http.get("/books/B0UKONLY01").json()
    if style == "envelope":
        assert body["error"]["code"] == "REGION_UNAVAILABLE"
        assert body["error"]["message"] == "Item not available in region 'us' for ASIN: B0UKONLY01"
    else:
        assert body == {
            "statusCode": 404,
            "error": "Not Found",
            "message": "Item not available in region 'us' for ASIN: B0UKONLY01",
        }


def test_region_is_sent_and_respected(world: World) -> None:
    world.catalog.add_book("B0UKONLY01", "Only in Britain", authors=["A Writer"], regions=["uk"])

    async def scenario() -> tuple[Any, Any]:
        us, uk = client(world), client(world, region="uk")
        return await us.book("B0UKONLY01"), await uk.book("B0UKONLY01")

    in_us, in_uk = run(scenario())
    assert in_us is None and in_uk is not None and in_uk.extra["region"] == "uk"
    assert [q for _, _, q in world.nexus.requests] == [[("region", "us")], [("region", "uk")]]
    with pytest.raises(ConfigurationError):
        client(world, region="xx")


def test_refresh_asks_audnexus_to_update(world: World) -> None:
    assert run(client(world).book(KINGS, refresh=True)) is not None
    assert world.nexus.requests[0][2] == [("region", "us"), ("update", "1")]


def test_bad_asins(world: World) -> None:
    async def scenario() -> tuple[Any, ServiceBadResponse]:
        adapter = client(world)
        short = await adapter.by_id("B00123")
        with pytest.raises(ServiceBadResponse) as caught:
            await adapter.by_id("A123456789")
        return short, caught.value

    short, error = run(scenario())
    assert short is None
    assert error.details["code"] == "BAD_REQUEST" and error.details["message"] == "Bad ASIN"
    assert paths(world.nexus) == ["/books/A123456789"]  # the short one never left


def test_podcast_is_a_content_type_mismatch(world: World) -> None:
    world.catalog.add_book("B0PODCAST1", "A Podcast", authors=["Host"], content_delivery_type="PodcastParent")
    with pytest.raises(ServiceBadResponse) as caught:
        run(client(world).by_id("B0PODCAST1"))
    assert caught.value.details == {
        "status": 400,
        "code": "CONTENT_TYPE_MISMATCH",
        "not_found": False,
        "message": "Item is a podcast, not a book. ASIN: B0PODCAST1",
    }


def test_chapters(world: World) -> None:
    world.catalog.add_book("B0NOCHAPTR", "No Chapters", authors=["A Writer"])

    async def scenario() -> tuple[Any, Any]:
        adapter = client(world)
        return await adapter.chapters(KINGS), await adapter.chapters("B0NOCHAPTR")

    chapters, none = run(scenario())
    assert chapters == BookChapters(
        asin=KINGS,
        region="us",
        chapters=(Chapter("Prelude", 0, 600_000), Chapter("Chapter 1", 600_000, 900_000)),
        runtime_ms=1_500_000,
        accurate=True,
    )
    assert none is None
    with httpx.Client(base_url=world.nexus_url) as http:
        body = http.get("/books/B0NOCHAPTR/chapters").json()
    assert body == {"statusCode": 404, "error": "Not Found", "message": "B0NOCHAPTR has no chapters"}


# ---- authors -----------------------------------------------------------------------------------------------


def test_author_and_find_author(world: World) -> None:
    async def scenario() -> list[Any]:
        adapter = client(world)
        return [
            await adapter.author(SANDERSON),
            await adapter.author("B0NOBODY00"),
            await adapter.find_author("Sanderson, Brandon"),
            await adapter.find_author("Brandon Nobody"),
            await adapter.find_author("B"),
        ]

    profile, missing, found, nobody, too_short = run(scenario())
    assert profile.source == "audnexus" and profile.source_id == SANDERSON
    assert (profile.description, profile.image_url, profile.genres) == (
        "Epic fantasy author.",
        "https://img/bs.jpg",
        ("Science Fiction & Fantasy",),
    )
    assert missing is None and nobody is None and too_short is None
    assert found == profile
    assert paths(world.nexus) == [
        f"/authors/{SANDERSON}",
        "/authors/B0NOBODY00",
        "/authors",
        f"/authors/{SANDERSON}",
        "/authors",
    ]


def test_fake_author_search_validation(world: World) -> None:
    with httpx.Client(base_url=world.nexus_url) as http:
        missing = http.get("/authors")
        short = http.get("/authors", params={"name": "B"})
        region = http.get("/authors", params={"name": "Brandon", "region": "xx"})
        flag = http.get(f"/books/{KINGS}", params={"update": "2"})
        hits = http.get("/authors", params={"name": "Brandon"}).json()
    assert missing.status_code == 500 and missing.json()["message"] == "Invalid search parameters"
    assert short.status_code == 400 and short.json()["error"]["message"] == "Invalid search parameters"
    assert region.json()["error"]["message"].startswith("Invalid region. Valid regions are: au, ca, de")
    assert flag.json()["error"]["message"] == "Bad query: update"
    assert {h["name"] for h in hits} == {"Brandon Sanderson", "Brandon Mull"}


def test_author_books_come_from_the_catalog(world: World) -> None:
    world.catalog.add_book(
        "B0SECOND01", "Words of Radiance", authors=[{"name": "Brandon Sanderson", "asin": SANDERSON}]
    )

    async def scenario() -> tuple[Any, Any]:
        return await client(world).author_books("Brandon Sanderson"), await client(
            world, with_catalog=True
        ).author_books("Brandon Sanderson", author_id=SANDERSON)

    alone, with_catalog = run(scenario())
    assert alone == []
    assert {b.asin for b in with_catalog} == {KINGS, "B0SECOND01"}


# ---- search ------------------------------------------------------------------------------------------------


def test_search_uses_the_search_route(world: World) -> None:
    found = run(client(world).search(BookQuery(title="Way of Kings", author="Sanderson")))
    assert [b.asin for b in found] == [KINGS]
    assert world.nexus.requests[0][1:] == ("/books/search", [("q", "Way of Kings Sanderson"), ("region", "us")])


def test_search_without_the_route_falls_back_to_the_catalog(world: World) -> None:
    world.nexus.seed({"search_enabled": False})

    async def scenario() -> tuple[Any, Any, Any]:
        adapter, bare = client(world, with_catalog=True), client(world)
        first = await adapter.search(BookQuery(title="Way of Kings"))
        second = await adapter.search(BookQuery(title="Way of Kings"))
        return first, second, await bare.search(BookQuery(title="Way of Kings"))

    first, second, bare = run(scenario())
    assert [b.asin for b in first] == [b.asin for b in second] == [KINGS]
    assert bare == []
    # The route is tried once per client: the first client learned it is missing and went straight to the catalog.
    assert paths(world.nexus) == ["/books/search", f"/books/{KINGS}", f"/books/{KINGS}", "/books/search"]
    assert paths(world.audible) == ["/1.0/catalog/products", "/1.0/catalog/products"]


def test_search_by_asin_and_empty_query(world: World) -> None:
    async def scenario() -> tuple[Any, Any]:
        adapter = client(world)
        return await adapter.search(BookQuery(asin=KINGS)), await adapter.search(BookQuery())

    by_asin, empty = run(scenario())
    assert [b.asin for b in by_asin] == [KINGS] and empty == []
    assert paths(world.nexus) == [f"/books/{KINGS}"]


def test_fake_search_route_errors(world: World) -> None:
    with httpx.Client(base_url=world.nexus_url) as http:
        no_q = http.get("/books/search")
        region = http.get("/books/search", params={"q": "kings", "region": "zz"})
    assert no_q.json() == {"error": "Bad Request", "message": "q is required"}
    assert region.json() == {"error": "Bad Request", "message": "Unknown region: zz"}


def test_wrong_base_url_is_not_read_as_no_book(world: World) -> None:
    with pytest.raises(ServiceBadResponse) as caught:
        run(client(world, base_url=world.nexus_url + "/v2").by_id(KINGS))
    assert not audnexus.is_not_found(caught.value)


# ---- rate limit, faults, connection ------------------------------------------------------------------------


def test_rate_limit_waits_out_the_window(world: World) -> None:
    world.nexus.max_requests = 2

    async def scenario() -> list[Any]:
        adapter = client(world)
        return [await adapter.by_id(KINGS) for _ in range(3)]

    books = run(scenario())
    assert all(b is not None for b in books)
    # The third request got 429 with retry-after 60; the client slept exactly that on the clock the fake uses.
    assert world.time.sleeps == [60.0] and len(world.nexus.requests) == 4


def test_rate_limit_body_is_the_envelope(world: World) -> None:
    world.nexus.max_requests = 0
    with httpx.Client(base_url=world.nexus_url) as http:
        limited = http.get(f"/books/{KINGS}")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "60"
    assert limited.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"


@pytest.mark.parametrize(
    ("mode", "options", "error", "sleeps"),
    [
        ("down", {}, "SERVICE_ERROR", 3),
        ("server_error", {"status": 500}, "SERVICE_ERROR", 3),
        ("rate_limit", {"retry_after": "2"}, "SERVICE_RATE_LIMITED", 3),
        ("garbage", {}, "SERVICE_BAD_RESPONSE", 0),
        ("expired_auth", {}, "SERVICE_AUTH_FAILED", 0),
    ],
)
def test_fault_modes(world: World, mode: str, options: dict[str, Any], error: str, sleeps: int) -> None:
    world.nexus.faults.set(mode, **options)
    with pytest.raises(ServiceError) as caught:
        run(client(world).by_id(KINGS))
    assert caught.value.code == error and len(world.time.sleeps) == sleeps


@pytest.mark.parametrize("mode", ["down", "server_error", "rate_limit"])
def test_transient_faults_are_retried_to_success(world: World, mode: str) -> None:
    world.nexus.faults.set(mode, times=2)
    assert run(client(world).by_id(KINGS)) is not None
    assert len(world.time.sleeps) == 2


def test_slow_answer_times_out(world: World) -> None:
    world.nexus.faults.set("slow", delay=0.5)
    with pytest.raises(ServiceUnreachable):
        run(client(world, timeout=0.05, max_attempts=1).by_id(KINGS))


def test_connection_reports(world: World) -> None:
    async def scenario() -> list[Any]:
        healthy = await client(world).test_connection()
        world.nexus.faults.set("expired_auth")
        blocked = await client(world).test_connection()
        down = await client(world, base_url=f"http://127.0.0.1:{free_port()}", max_attempts=1).test_connection()
        return [healthy, blocked, down]

    healthy, blocked, down = run(scenario())
    assert (healthy.service, healthy.reachable, healthy.auth_ok, healthy.error) == ("audnexus", True, None, None)
    assert (blocked.reachable, blocked.auth_ok) == (True, False)
    assert (down.reachable, down.error_code) == (False, "SERVICE_UNREACHABLE")


def test_fake_seed_and_state_endpoints(world: World) -> None:
    seed_body = {
        "books": [{"asin": "B0SEEDED01", "title": "Seeded", "authors": ["Some One"], "regions": ["us"]}],
        "authors": [{"asin": "B0SEEDAUTH", "name": "Some One"}],
        "error_style": "fastify",
    }
    with httpx.Client(base_url=world.nexus_url) as http:
        assert http.post("/__fake__/seed", json=seed_body).json() == {"ok": True}
        book = http.get("/books/B0SEEDED01").json()
        missing = http.get("/books/B0SEEDED01", params={"region": "de"}).json()
        state = http.get("/__fake__/state").json()
    assert book["title"] == "Seeded" and book["isbn"] == "" and book["narrators"] == []
    assert "seriesPrimary" not in book and "subtitle" not in book  # optional keys are left out, never null
    assert missing["statusCode"] == 404  # the fastify envelope after the seed switched it
    assert state["books"] == 2 and [r["path"] for r in state["requests"]] == ["/books/B0SEEDED01"] * 2
    assert create_fake(seed_body).error_style == "fastify"
