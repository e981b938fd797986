"""The Open Library adapter and its fake, served for real: search fields, key forms, author catalogues, faults."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from shelfkeeper.adapters.openlibrary import OpenLibraryClient, build, doc_to_candidate
from shelfkeeper.domain.metadata.candidates import AuthorProfile
from shelfkeeper.errors import ServiceAuthFailed, ServiceBadResponse, ServiceError, ServiceUnreachable
from shelfkeeper.ports import BookQuery
from shelfkeeper.testing.fakes.openlibrary import FakeOpenLibrary, create_fake
from shelfkeeper.testing.server import LiveServer, free_port, serve


class Sleeps:
    """A recording sleep: no test waits in real time."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def fake() -> FakeOpenLibrary:
    fake = FakeOpenLibrary()
    fake.add_work(
        "The Hobbit",
        ["J.R.R. Tolkien"],
        author_key=["OL26320A"],
        key="/works/OL27482W",
        first_publish_year=1937,
        edition_count=500,
        cover_i=12345,
        isbn=["0261102214", "9780261102217"],
        language=["eng"],
        publisher=["Allen & Unwin"],
        subject=["Fantasy", "Dragons", "Dwarves", "Elves", "Wizards", "Quests"],
    )
    fake.add_work(
        "The Fellowship of the Ring",
        ["J.R.R. Tolkien"],
        author_key=["OL26320A"],
        key="/works/OL27448W",
        subtitle="Being the First Part of The Lord of the Rings",
        first_publish_year=1954,
        edition_count=300,
        cover_edition_key="OL1M",
        language=["eng", "ger"],
    )
    fake.add_work("Tolkien and the Critics", ["Neil Isaacs"], first_publish_year=1968, edition_count=2)
    fake.add_work(
        "The Children of Hurin",
        ["J.R.R. Tolkien", "Christopher Tolkien"],
        author_key=["OL26320A", "OL2622837A"],
        first_publish_year=2007,
        edition_count=80,
    )
    return fake


@pytest.fixture
def server(fake: FakeOpenLibrary) -> Iterator[LiveServer]:
    with serve(fake.app) as live:
        yield live


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def _client(url: str, sleeps: Sleeps, **policy: Any) -> OpenLibraryClient:
    return build(url, contact="admin@example.org", sleep=sleeps, **{"min_interval": 0.0, **policy})


def run(client: OpenLibraryClient, method: str, *args: Any, **kwargs: Any) -> Any:
    async def call() -> Any:
        try:
            return await getattr(client, method)(*args, **kwargs)
        finally:
            await client.http.aclose()

    return asyncio.run(call())


# ---- doc -> candidate --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "field", "expected"),
    [
        ({"key": "/works/OL1W", "title": "T"}, "source_id", "OL1W"),
        ({"key": "OL1W", "title": "T"}, "source_id", "OL1W"),  # very old answers: a bare key
        ({"key": "/works/OL1W", "title": "T"}, "source", "openlibrary"),
        (
            {"key": "/works/OL1W", "title": "T", "cover_i": 7},
            "cover_url",
            "https://covers.openlibrary.org/b/id/7-L.jpg",
        ),
        (
            {"key": "/works/OL1W", "title": "T", "cover_edition_key": "OL9M"},
            "cover_url",
            "https://covers.openlibrary.org/b/olid/OL9M-L.jpg",
        ),
        ({"key": "/works/OL1W", "title": "T"}, "cover_url", None),
        ({"key": "/works/OL1W", "title": "T", "isbn": ["0261102214", "9780261102217"]}, "isbn", "9780261102217"),
        ({"key": "/works/OL1W", "title": "T", "isbn": ["0261102214"]}, "isbn", "0261102214"),
        ({"key": "/works/OL1W", "title": "T", "first_publish_year": 1937}, "published_year", 1937),
        ({"key": "/works/OL1W", "title": "T", "language": ["eng"]}, "language", "eng"),
        ({"key": "/works/OL1W", "title": "T", "language": ["eng", "fre"]}, "language", None),
        ({"key": "/works/OL1W", "title": "T", "author_name": ["A", "B"]}, "authors", ("A", "B")),
        ({"key": "/works/OL1W", "title": "T", "publisher": ["P1", "P2"]}, "publisher", "P1"),
        ({"key": "/works/OL1W", "title": "T", "subject": list("abcdefg")}, "genres", ("a", "b", "c", "d", "e")),
    ],
)
def test_doc_to_candidate(doc: dict[str, Any], field: str, expected: Any):
    assert getattr(doc_to_candidate(doc), field) == expected


# ---- the fake ----------------------------------------------------------------------------------------------


def test_fake_search_answer_shape_paging_and_null_omission(fake: FakeOpenLibrary, server: LiveServer):
    answer = httpx.get(f"{server.url}/search.json", params={"author": "tolkien", "limit": 2, "page": 2}).json()
    assert (answer["numFound"], answer["num_found"], answer["start"], answer["numFoundExact"]) == (3, 3, 2, True)
    assert [d["title"] for d in answer["docs"]] == ["The Children of Hurin"]
    by_offset = httpx.get(f"{server.url}/search.json", params={"author": "tolkien", "offset": 1}).json()
    assert by_offset["start"] == 1 and [d["title"] for d in by_offset["docs"]] == [
        "The Fellowship of the Ring",
        "The Children of Hurin",
    ]
    doc = httpx.get(f"{server.url}/search.json", params={"title": "critics"}).json()["docs"][0]
    assert "cover_i" not in doc and "subtitle" not in doc  # absent fields are left out, not null
    assert "isbn" not in httpx.get(f"{server.url}/search.json", params={"q": "hobbit"}).json()["docs"][0]


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({"title": "hobbit"}, ["The Hobbit"]),
        ({"author": "Christopher Tolkien"}, ["The Children of Hurin"]),
        ({"isbn": "978-0-261-10221-7"}, ["The Hobbit"]),
        ({"q": 'key:"/works/OL27448W"'}, ["The Fellowship of the Ring"]),
        ({"q": "author_key:OL2622837A"}, ["The Children of Hurin"]),
        ({"q": "dragons"}, ["The Hobbit"]),
        (
            {"q": "tolkien", "sort": "new"},
            ["The Children of Hurin", "Tolkien and the Critics", "The Fellowship of the Ring", "The Hobbit"],
        ),
        (
            {"q": "tolkien", "sort": "old"},
            ["The Hobbit", "The Fellowship of the Ring", "Tolkien and the Critics", "The Children of Hurin"],
        ),
        (
            {"author": "tolkien", "sort": "editions"},
            ["The Hobbit", "The Fellowship of the Ring", "The Children of Hurin"],
        ),
        ({"title": "nothing like this"}, []),
    ],
)
def test_fake_search_parameters(server: LiveServer, params: dict[str, str], titles: list[str]):
    docs = httpx.get(f"{server.url}/search.json", params=params).json()["docs"]
    assert [d["title"] for d in docs] == titles


def test_fake_fields_select_what_comes_back(server: LiveServer):
    doc = httpx.get(f"{server.url}/search.json", params={"title": "hobbit", "fields": "key,isbn"}).json()["docs"][0]
    assert doc == {"key": "/works/OL27482W", "isbn": ["0261102214", "9780261102217"]}
    everything = httpx.get(f"{server.url}/search.json", params={"title": "hobbit", "fields": "*"}).json()["docs"][0]
    assert "isbn" in everything and "ebook_access" in everything


def test_fake_seed_and_state():
    fake = create_fake({"works": [{"title": "Seeded", "authors": ["Ann"], "first_publish_year": 2001}]})
    with serve(fake.app) as live:
        httpx.post(f"{live.url}/__fake__/seed", json={"works": [{"title": "Posted", "author_name": ["Bob"]}]})
        docs = httpx.get(f"{live.url}/search.json", params={"author": "bob"}).json()["docs"]
        state = httpx.get(f"{live.url}/__fake__/state").json()
    assert [d["title"] for d in docs] == ["Posted"] and [w["title"] for w in state["works"]] == ["Seeded", "Posted"]
    assert state["requests"] == [["GET", "/search.json", "author=bob"]]


# ---- the adapter -------------------------------------------------------------------------------------------


def test_search_by_title_and_author_asks_for_the_fields_and_names_itself(
    fake: FakeOpenLibrary, server: LiveServer, sleeps: Sleeps
):
    found = run(_client(server.url, sleeps), "search", BookQuery(title="The Hobbit", author="Tolkien"), limit=5)
    (hobbit,) = found
    assert (hobbit.source, hobbit.source_id, hobbit.title, hobbit.authors) == (
        "openlibrary",
        "OL27482W",
        "The Hobbit",
        ("J.R.R. Tolkien",),
    )
    assert hobbit.isbn == "9780261102217" and hobbit.published_year == 1937
    query = fake.requests[-1][2]
    assert "title=The+Hobbit" in query and "author=Tolkien" in query and "limit=5" in query
    assert "fields=key%2Ctitle" in query and "isbn" in query
    assert fake.user_agents[-1].startswith("Shelfkeeper/") and "admin@example.org" in fake.user_agents[-1]


@pytest.mark.parametrize(
    ("query", "expected_params", "titles"),
    [
        (BookQuery(isbn="0-261-10221-4"), {"isbn": "0261102214"}, ["The Hobbit"]),
        (
            BookQuery(title="Fellowship", language="en"),
            {"title": "Fellowship", "lang": "en"},
            ["The Fellowship of the Ring"],
        ),
        (BookQuery(series="Hobbit"), {"q": "Hobbit"}, ["The Hobbit"]),
    ],
)
def test_search_query_forms(
    fake: FakeOpenLibrary,
    server: LiveServer,
    sleeps: Sleeps,
    query: BookQuery,
    expected_params: dict[str, str],
    titles: list[str],
):
    found = run(_client(server.url, sleeps), "search", query)
    sent = dict(httpx.QueryParams(fake.requests[-1][2]))
    assert {k: sent.get(k) for k in expected_params} == expected_params
    assert [c.title for c in found] == titles


def test_empty_query_asks_nothing(fake: FakeOpenLibrary, server: LiveServer, sleeps: Sleeps):
    assert run(_client(server.url, sleeps), "search", BookQuery()) == []
    assert fake.requests == []


@pytest.mark.parametrize(
    ("identifier", "title"),
    [
        ("9780261102217", "The Hobbit"),
        ("0-261-10221-4", "The Hobbit"),
        ("OL27448W", "The Fellowship of the Ring"),
        ("/works/OL27448W", "The Fellowship of the Ring"),
        ("OL99999W", None),
        ("9999999999999", None),
        ("not an id", None),
    ],
)
def test_by_id(server: LiveServer, sleeps: Sleeps, identifier: str, title: str | None):
    found = run(_client(server.url, sleeps), "by_id", identifier)
    assert (found.title if found else None) == title


def test_bare_keys_and_legacy_counts_are_tolerated(fake: FakeOpenLibrary, server: LiveServer, sleeps: Sleeps):
    fake.bare_keys = True
    fake.legacy_count_only = True
    found = run(_client(server.url, sleeps), "by_id", "OL27448W")
    assert found is not None and found.source_id == "OL27448W" and found.extra["key"] == "/works/OL27448W"


def test_author_books_keeps_only_that_author(fake: FakeOpenLibrary, server: LiveServer, sleeps: Sleeps):
    books = run(_client(server.url, sleeps), "author_books", "J. R. R. Tolkien")
    assert [b.title for b in books] == ["The Hobbit", "The Fellowship of the Ring", "The Children of Hurin"]
    assert "sort=editions" in fake.requests[-1][2]


def test_author_books_by_author_key(fake: FakeOpenLibrary, server: LiveServer, sleeps: Sleeps):
    books = run(_client(server.url, sleeps), "author_books", "Christopher Tolkien", author_id="/authors/OL2622837A")
    assert [b.title for b in books] == ["The Children of Hurin"]
    assert "author_key%3AOL2622837A" in fake.requests[-1][2]


def test_find_author(server: LiveServer, sleeps: Sleeps):
    assert run(_client(server.url, sleeps), "find_author", "Tolkien, J.R.R.") == AuthorProfile(
        source="openlibrary", source_id="OL26320A", name="J.R.R. Tolkien"
    )
    assert run(_client(server.url, sleeps), "find_author", "Nobody Known") is None


def test_requests_are_paced(server: LiveServer, sleeps: Sleeps):
    client = build(server.url, sleep=sleeps)  # the default pace: one request a second

    async def two_searches() -> None:
        try:
            await client.search(BookQuery(title="Hobbit"))
            await client.search(BookQuery(title="Fellowship"))
        finally:
            await client.http.aclose()

    asyncio.run(two_searches())
    assert len(sleeps.calls) == 1 and 0.5 < sleeps.calls[0] <= 1.0


def test_connection(server: LiveServer, sleeps: Sleeps):
    report = run(_client(server.url, sleeps), "test_connection")
    assert (report.service, report.reachable, report.auth_ok, report.error) == ("openlibrary", True, None, None)


def test_connection_to_nothing(sleeps: Sleeps):
    report = run(_client(f"http://127.0.0.1:{free_port()}", sleeps), "test_connection")
    assert (report.reachable, report.error_code) == (False, "SERVICE_UNREACHABLE")


# ---- faults ------------------------------------------------------------------------------------------------


def test_down_retries_then_fails(fake: FakeOpenLibrary, server: LiveServer, sleeps: Sleeps):
    fake.faults.set("down")
    with pytest.raises(ServiceError) as caught:
        run(_client(server.url, sleeps, max_attempts=3), "search", BookQuery(title="Hobbit"))
    assert caught.value.details["status"] == 502 and len(sleeps.calls) == 2


def test_slow_times_out(fake: FakeOpenLibrary, server: LiveServer, sleeps: Sleeps):
    fake.faults.set("slow", delay=0.5)
    with pytest.raises(ServiceUnreachable):
        run(_client(server.url, sleeps, timeout=0.1, max_attempts=1), "search", BookQuery(title="Hobbit"))


def test_rate_limit_honours_retry_after(fake: FakeOpenLibrary, server: LiveServer, sleeps: Sleeps):
    fake.faults.set("rate_limit", retry_after="12", times=1)
    found = run(_client(server.url, sleeps), "search", BookQuery(title="Hobbit"))
    assert [c.title for c in found] == ["The Hobbit"] and sleeps.calls == [12.0]


def test_server_error_then_success(fake: FakeOpenLibrary, server: LiveServer, sleeps: Sleeps):
    fake.faults.set("server_error", status=503, times=1)
    assert len(run(_client(server.url, sleeps), "search", BookQuery(title="Hobbit"))) == 1


def test_garbage_is_a_bad_response(fake: FakeOpenLibrary, server: LiveServer, sleeps: Sleeps):
    fake.faults.set("garbage")
    with pytest.raises(ServiceBadResponse):
        run(_client(server.url, sleeps), "search", BookQuery(title="Hobbit"))
    fake.faults.set("garbage", body=b'{"error": "no docs"}')
    with pytest.raises(ServiceBadResponse):
        run(_client(server.url, sleeps), "search", BookQuery(title="Hobbit"))


def test_blocked_client_is_an_auth_failure(fake: FakeOpenLibrary, server: LiveServer, sleeps: Sleeps):
    fake.faults.set("expired_auth")
    with pytest.raises(ServiceAuthFailed):
        run(_client(server.url, sleeps), "search", BookQuery(title="Hobbit"))
    report = run(_client(server.url, sleeps), "test_connection")
    assert (report.reachable, report.auth_ok) == (True, False)


def test_attempts_are_logged_without_credentials(
    fake: FakeOpenLibrary, server: LiveServer, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG, logger="shelfkeeper")
    fake.faults.set("server_error", status=500, times=1)
    run(_client(server.url, sleeps), "search", BookQuery(title="Hobbit", author="Tolkien"))
    assert any(r.name == "shelfkeeper.http" for r in caplog.records)
    assert "apikey" not in caplog.text.lower() and "token" not in caplog.text.lower()
