"""Audible catalog adapter against the fake Audible catalog API served for real on 127.0.0.1."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest

from shelfkeeper.adapters import audible
from shelfkeeper.adapters.audible import (
    RESPONSE_GROUPS,
    AudibleCatalogClient,
    ladder_names,
    language_code,
    product_to_candidate,
    regional_base_url,
)
from shelfkeeper.adapters.payload import plain_text
from shelfkeeper.errors import ConfigurationError, ServiceError, ServiceUnreachable
from shelfkeeper.ports import BookQuery
from shelfkeeper.testing.clock import FakeTime
from shelfkeeper.testing.fakes.audible import FakeAudible, create_fake
from shelfkeeper.testing.server import LiveServer, Switchboard, free_port, serve

KINGS = "B003P2WO5E"
SANDERSON = "B001IGFHW6"


@pytest.fixture(scope="module")
def board() -> Iterator[tuple[Switchboard, LiveServer]]:
    switch = Switchboard()
    with serve(switch) as server:
        yield switch, server


@dataclass
class World:
    fake: FakeAudible
    url: str
    time: FakeTime


def seed(fake: FakeAudible) -> None:
    fake.add_book(
        KINGS,
        "The Way of Kings",
        authors=[{"name": "Brandon Sanderson", "asin": SANDERSON}],
        narrators=["Michael Kramer", "Kate Reading"],
        # Listed Cosmere first, but publication_name says Stormlight is the book's own series.
        series=[{"title": "Cosmere", "sequence": "7"}, {"title": "The Stormlight Archive", "sequence": "1"}],
        publication_name="The Stormlight Archive",
        genres=[["Science Fiction & Fantasy", "Fantasy", "Epic"]],
        image_id="91KzZWpgmyL",
        publisher_name="Macmillan Audio",
        publisher_summary="<p>Roshar &amp; storms.</p>",
        release_date="2010-08-31",
        runtime_length_min=2740,
        isbn="9781427210319",
    )
    fake.add_book(
        "B0PODCAST1", "Sanderson Podcast", authors=["Brandon Sanderson"], content_delivery_type="PodcastParent"
    )
    fake.add_book("B0UKONLY01", "The Way of Kings (UK)", authors=["Brandon Sanderson"], regions=["uk"])


def make_world(board: tuple[Switchboard, LiveServer], region: str = "us") -> World:
    switch, server = board
    fake = FakeAudible(region=region)
    seed(fake)
    switch.target = fake.app
    return World(fake, server.url, FakeTime())


@pytest.fixture
def world(board: tuple[Switchboard, LiveServer]) -> World:
    return make_world(board)


def client(world: World, *, region: str = "us", base_url: str | None = None, **options: Any) -> AudibleCatalogClient:
    extras = {"sleep": world.time.sleep, "clock": world.time.clock, "rng": random.Random(5), "min_interval": 0}
    return audible.build(base_url or world.url, region=region, **{**extras, **options})


def run(coro: Awaitable[Any]) -> Any:
    async def main() -> Any:
        return await coro

    return asyncio.run(main())


def sent(world: World) -> list[dict[str, str]]:
    return [dict(query) for _, _, query in world.fake.requests]


# ---- mapping (pure) ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("english", "en"),
        ("German", "de"),
        ("mandarin_chinese", "zh"),
        ("en", "en"),
        ("klingon", "klingon"),
        ("", None),
        (None, None),
    ],
)
def test_language_names_become_codes(raw: object, code: str | None) -> None:
    assert language_code(raw) == code


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>One &amp; two</p><p>Three</p>", "One & two\nThree"),
        ("Line<br/>break", "Line\nbreak"),
        ("<b>  spaced   out </b>", "spaced out"),
        ("<p></p>", None),
        (None, None),
    ],
)
def test_plain_text(markup: object, text: str | None) -> None:
    assert plain_text(markup) == text


def test_ladders_give_genres_then_tags() -> None:
    ladders = [
        {"ladder": [{"id": "1", "name": "Fiction"}, {"id": "2", "name": "Fantasy"}], "root": "Genres"},
        {"ladder": [{"id": "3", "name": "Teen"}, {"id": "2", "name": "Fantasy"}], "root": "Genres"},
        {"ladder": [], "root": "Genres"},
    ]
    assert ladder_names(ladders) == (("Fiction", "Teen"), ("Fantasy",))


@pytest.mark.parametrize(
    "product",
    [
        {"asin": KINGS},  # bare: not sold in this marketplace
        {"asin": KINGS, "title": "A Podcast", "content_delivery_type": "PodcastParent"},
        {"title": "No ASIN"},
        None,
    ],
)
def test_products_that_are_not_candidates(product: object) -> None:
    assert product_to_candidate(product, "us") is None


@pytest.mark.parametrize(
    ("base", "region", "expected"),
    [
        ("https://api.audible.com", "uk", "https://api.audible.co.uk"),
        ("https://api.audible.com/", "jp", "https://api.audible.co.jp"),
        ("https://api.audible.com", "us", "https://api.audible.com"),
        ("http://127.0.0.1:9000", "uk", "http://127.0.0.1:9000"),
    ],
)
def test_region_picks_the_marketplace_host(base: str, region: str, expected: str) -> None:
    assert regional_base_url(base, region) == expected


# ---- the fake itself ---------------------------------------------------------------------------------------


def test_fake_validation_errors_and_sorting(world: World) -> None:
    world.fake.add_book("B0NEWER001", "Newer Sanderson", authors=["Brandon Sanderson"], release_date="2024-01-01")
    with httpx.Client(base_url=world.url) as http:
        too_many = http.get("/1.0/catalog/products", params={"num_results": 51})
        not_number = http.get("/1.0/catalog/products", params={"num_results": "ten"})
        bad_group = http.get("/1.0/catalog/products", params={"response_groups": "contributors,bogus"})
        newest = http.get(
            "/1.0/catalog/products",
            params={"author": "sanderson", "products_sort_by": "-ReleaseDate", "response_groups": "product_attrs"},
        ).json()
    assert too_many.status_code == 400 and "less than or equal to 50" in too_many.json()["message"]
    assert "Value 'ten' at 'numResults'" in not_number.json()["message"]
    assert bad_group.status_code == 400
    assert [p["asin"] for p in newest["products"]] == ["B0NEWER001", "B0PODCAST1", KINGS]  # 2024, 2020, 2010
    assert newest["total_results"] == 3


def test_fake_product_groups_and_bare_products(world: World) -> None:
    with httpx.Client(base_url=world.url) as http:
        light = http.get("/1.0/catalog/products", params={"title": "way of kings"}).json()
        foreign = http.get("/1.0/catalog/products/B0UKONLY01", params={"response_groups": RESPONSE_GROUPS}).json()
        media = http.get(
            f"/1.0/catalog/products/{KINGS}", params={"response_groups": "media", "image_sizes": "500,1024"}
        )
    assert light["products"] == [{"asin": KINGS}]  # no response groups: the ASIN only
    assert foreign["product"] == {"asin": "B0UKONLY01"}
    assert set(media.json()["product"]["product_images"]) == {"500", "1024"}


def test_fake_seed_and_state_endpoints(world: World) -> None:
    body = {"books": [{"asin": "B0SEEDED01", "title": "Seeded", "authors": ["Some One"]}]}
    with httpx.Client(base_url=world.url) as http:
        assert http.post("/__fake__/seed", json=body).json() == {"ok": True}
        found = http.get("/1.0/catalog/products", params={"keywords": "seeded"}).json()
        state = http.get("/__fake__/state").json()
    assert found["products"] == [{"asin": "B0SEEDED01"}]
    assert state["books"] == 4 and state["region"] == "us" and len(state["requests"]) == 1
    assert create_fake({"region": "uk", **body}).region == "uk"


# ---- the adapter against the fake --------------------------------------------------------------------------


def test_search_asins_asks_like_audiobookshelf(world: World) -> None:
    asins = run(client(world).search_asins(BookQuery(title="The Way of Kings", author="Brandon Sanderson")))
    assert asins == [KINGS]
    assert sent(world) == [
        {
            "num_results": "10",
            "products_sort_by": "Relevance",
            "title": "The Way of Kings",
            "author": "Brandon Sanderson",
        }
    ]


def test_search_maps_products(world: World) -> None:
    found = run(client(world).search(BookQuery(title="Way of Kings")))
    assert [b.asin for b in found] == [KINGS]  # the podcast and the UK-only edition are left out
    book = found[0]
    assert (book.source, book.source_id, book.title) == ("audible", KINGS, "The Way of Kings")
    assert book.narrators == ("Michael Kramer", "Kate Reading")
    assert [(s.name, s.sequence) for s in book.series] == [("The Stormlight Archive", "1"), ("Cosmere", "7")]
    assert (book.release_date, book.duration_minutes, book.language) == (date(2010, 8, 31), 2740, "en")
    assert (book.isbn, book.publisher, book.format_type) == ("9781427210319", "Macmillan Audio", "unabridged")
    assert book.genres == ("Science Fiction & Fantasy",) and book.extra["tags"] == ("Fantasy", "Epic")
    assert book.description == "Roshar & storms."
    assert book.cover_url == "https://m.media-amazon.com/images/I/91KzZWpgmyL._SL1024_.jpg"
    assert book.extra["author_asins"] == (SANDERSON,)
    query = sent(world)[0]
    assert (query["response_groups"], query["image_sizes"]) == (RESPONSE_GROUPS, "500,1024")


def test_keywords_for_series_and_isbn(world: World) -> None:
    async def scenario() -> tuple[Any, Any]:
        adapter = client(world)
        return await adapter.search(BookQuery(series="Stormlight Archive")), await adapter.search(BookQuery())

    by_series, nothing = run(scenario())
    assert [b.asin for b in by_series] == [KINGS] and nothing == []
    assert sent(world)[0]["keywords"] == "Stormlight Archive" and len(sent(world)) == 1


def test_by_id(world: World) -> None:
    async def scenario() -> list[Any]:
        adapter = client(world)
        return [await adapter.by_id(a) for a in (KINGS, "B0UKONLY01", "B000000000", "B0PODCAST1", "not-an-asin")]

    kings, foreign, unknown, podcast, invalid = run(scenario())
    assert kings is not None and kings.asin == KINGS
    assert foreign is None and unknown is None and podcast is None and invalid is None
    assert len(world.fake.requests) == 4  # "not-an-asin" never left


def test_region_marketplace(board: tuple[Switchboard, LiveServer]) -> None:
    world = make_world(board, region="uk")
    found = run(client(world, region="uk").by_id("B0UKONLY01"))
    assert found is not None and found.extra["region"] == "uk"
    with pytest.raises(ConfigurationError):
        client(world, region="mars")


def test_author_books_pages_and_checks_the_name(world: World) -> None:
    for number in range(105):
        world.fake.add_book(f"B0BULK{number:04d}", f"Cosmere Novella {number}", authors=["Brandon Sanderson"])
    world.fake.add_book("B0COWRITE1", "Co-written", authors=["Mary Robinette Kowal", "Brandon Sanderson"])
    world.fake.add_book("B0NAMESAKE", "Namesake", authors=["Brandon Sanderson Fan"])
    books = run(client(world).author_books("Sanderson, Brandon"))
    assert len(books) == 107  # 105 + co-written + The Way of Kings; not the namesake, the podcast or the UK edition
    assert [(q["page"], q["num_results"]) for q in sent(world)] == [("0", "50"), ("1", "50"), ("2", "50")]
    assert all(q["author"] == "Sanderson, Brandon" for q in sent(world))


def test_find_author(world: World) -> None:
    async def scenario() -> tuple[Any, Any]:
        adapter = client(world)
        return await adapter.find_author("brandon sanderson"), await adapter.find_author("Nobody Known")

    found, nobody = run(scenario())
    assert found is not None and (found.source, found.source_id, found.name) == (
        "audible",
        SANDERSON,
        "Brandon Sanderson",
    )
    assert nobody is None


# ---- faults and connection ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "options", "error", "sleeps"),
    [
        ("down", {}, "SERVICE_ERROR", 3),
        ("server_error", {"status": 504}, "SERVICE_ERROR", 3),
        ("rate_limit", {"retry_after": "4"}, "SERVICE_RATE_LIMITED", 3),
        ("garbage", {}, "SERVICE_BAD_RESPONSE", 0),
        ("expired_auth", {}, "SERVICE_AUTH_FAILED", 0),
    ],
)
def test_fault_modes(world: World, mode: str, options: dict[str, Any], error: str, sleeps: int) -> None:
    world.fake.faults.set(mode, **options)
    with pytest.raises(ServiceError) as caught:
        run(client(world).search(BookQuery(title="Way of Kings")))
    assert caught.value.code == error and len(world.time.sleeps) == sleeps
    if mode == "rate_limit":
        assert world.time.sleeps == [4.0, 4.0, 4.0]


def test_rate_limit_then_success(world: World) -> None:
    world.fake.faults.set("rate_limit", retry_after="9", times=1)
    assert [b.asin for b in run(client(world).search(BookQuery(title="Way of Kings")))] == [KINGS]
    assert world.time.sleeps == [9.0]


def test_slow_answer_times_out(world: World) -> None:
    world.fake.faults.set("slow", delay=0.5)
    with pytest.raises(ServiceUnreachable):
        run(client(world, timeout=0.05, max_attempts=1).search(BookQuery(title="Way of Kings")))


def test_connection_reports(world: World) -> None:
    async def scenario() -> list[Any]:
        fine = await client(world).test_connection()
        world.fake.faults.set("expired_auth")
        blocked = await client(world).test_connection()
        down = await client(world, base_url=f"http://127.0.0.1:{free_port()}", max_attempts=1).test_connection()
        return [fine, blocked, down]

    fine, blocked, down = run(scenario())
    assert (fine.service, fine.reachable, fine.auth_ok, fine.error) == ("audible", True, None, None)
    assert (blocked.reachable, blocked.auth_ok, blocked.error_code) == (True, False, "SERVICE_AUTH_FAILED")
    assert (down.reachable, down.auth_ok, down.error_code) == (False, None, "SERVICE_UNREACHABLE")
