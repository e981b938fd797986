"""The Audiobookshelf adapter against the fake served for real: every quirk of the reference and each fault."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shelfkeeper.adapters.audiobookshelf import AudiobookshelfClient, build
from shelfkeeper.adapters.audiobookshelf_items import (
    clearing_patch,
    listed_authors,
    media_patch,
    parse_minified_item,
    parse_ms,
    parse_series_name,
    sequence_in_joined,
)
from shelfkeeper.adapters.redaction import REDACTED
from shelfkeeper.domain.library.items import MetadataUpdate, SeriesRef
from shelfkeeper.errors import ServiceAuthFailed, ServiceBadResponse, ServiceError, ServiceUnreachable
from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf
from shelfkeeper.testing.server import LiveServer, free_port, serve

TOKEN = "abs-secret-token-0123456789"
T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class Sleeps:
    """A recording sleep: no test waits in real time."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> FakeAudiobookshelf:
    return FakeAudiobookshelf(TOKEN, clock=clock)


@pytest.fixture
def server(fake: FakeAudiobookshelf) -> Iterator[LiveServer]:
    with serve(fake.app) as live:
        yield live


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def _client(url: str, sleeps: Sleeps, token: str = TOKEN, **policy: Any) -> AudiobookshelfClient:
    return build(url, token, sleep=sleeps, **policy)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _call(client: AudiobookshelfClient, method: str, *args: Any, **kwargs: Any) -> Any:
    try:
        return await getattr(client, method)(*args, **kwargs)
    finally:
        await client.http.aclose()


# ---- pure parsing tables -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("joined", "expected"),
    [
        ("", ()),
        (None, ()),
        ("Mistborn #1", (SeriesRef("Mistborn", "1"),)),
        ("Mistborn #1, Cosmere #3.5", (SeriesRef("Mistborn", "1"), SeriesRef("Cosmere", "3.5"))),
        ("Discworld", (SeriesRef("Discworld"),)),
        ("The Expanse #1-3, Loose", (SeriesRef("The Expanse", "1-3"), SeriesRef("Loose"))),
        ("Book #1 Club", (SeriesRef("Book #1 Club"),)),
    ],
)
def test_series_name_strings_become_refs(joined: str | None, expected: tuple[SeriesRef, ...]):
    assert parse_series_name(joined) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_700_000_000_000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        (1_700_000_000_500.0, datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)),
        ("1700000000000", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        (None, None),
        ("soon", None),
        (True, None),
    ],
)
def test_epoch_milliseconds_become_aware_utc(value: Any, expected: datetime | None):
    parsed = parse_ms(value)
    assert parsed == expected
    assert parsed is None or parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        (MetadataUpdate(), {"metadata": {}}),
        (MetadataUpdate(title="T", asin="B0X"), {"metadata": {"title": "T", "asin": "B0X"}}),
        (MetadataUpdate(published_year=2019), {"metadata": {"publishedYear": "2019"}}),
        (
            MetadataUpdate(series=(SeriesRef("Saga", "3"), SeriesRef("Other"))),
            {"metadata": {"series": [{"name": "Saga", "sequence": "3"}, {"name": "Other", "sequence": None}]}},
        ),
        (MetadataUpdate(authors=("A", "B")), {"metadata": {"authors": [{"name": "A"}, {"name": "B"}]}}),
        (MetadataUpdate(narrators=(), genres=("Fantasy",)), {"metadata": {"narrators": [], "genres": ["Fantasy"]}}),
    ],
)
def test_media_patch_body(update: MetadataUpdate, expected: dict[str, Any]):
    assert media_patch(update) == expected


def test_a_sequence_given_as_a_number_is_still_sent_as_a_string():
    update = MetadataUpdate(series=(SeriesRef("Saga", Decimal("2.5")),))  # type: ignore[arg-type]
    assert media_patch(update)["metadata"]["series"][0]["sequence"] == "2.5"


def test_a_list_item_without_an_id_is_a_bad_response():
    with pytest.raises(ServiceBadResponse):
        parse_minified_item({"media": {}})


# ---- against the fake --------------------------------------------------------------------------------------


def test_connection_reports_version_and_auth(fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps):
    good = run(_call(_client(server.url, sleeps), "test_connection"))
    bad = run(_call(_client(server.url, sleeps, token="wrong-token-value"), "test_connection"))
    unconfigured = run(_call(_client("", sleeps, token=""), "test_connection"))

    assert (good.reachable, good.auth_ok, good.version) == (True, True, "2.36.0")
    assert (bad.reachable, bad.auth_ok, bad.version, bad.error_code) == (True, False, "2.36.0", "SERVICE_AUTH_FAILED")
    assert (unconfigured.configured, unconfigured.reachable) == (False, False)


def test_connection_to_nothing_is_unreachable(sleeps: Sleeps):
    report = run(_call(_client(f"http://127.0.0.1:{free_port()}", sleeps), "test_connection"))
    assert (report.reachable, report.auth_ok, report.error_code) == (False, None, "SERVICE_UNREACHABLE")


def test_libraries_and_base_path(fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps, tmp_path: Path):
    lib = fake.add_library("Audiobooks", [str(tmp_path)])
    (library,) = run(_call(_client(server.url + "/audiobookshelf", sleeps), "libraries"))
    assert (library.id, library.name, library.media_type, library.folders) == (
        lib,
        "Audiobooks",
        "book",
        (str(tmp_path),),
    )
    assert fake.requests[-1][1] == "/api/libraries"


def test_items_page_parses_the_minified_form(fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps):
    lib = fake.add_library("Audiobooks")
    fake.add_item(
        lib,
        "The Final Empire",
        authors=["Brandon Sanderson"],
        narrators=["Michael Kramer", "Kate Reading"],
        series=[("Mistborn", "1"), ("Cosmere", None)],
        published_year=2006,
        asin="B002UZMLXM",
        duration=3600.5,
        size=1234,
        language="English",
        genres=["Fantasy"],
    )
    fake.add_item(lib, "Second", authors=["Ann One", "Bob Two"])
    fake.add_item(lib, "Third")

    page = run(_call(_client(server.url, sleeps), "items_page", lib, 0, 2))

    assert (page.total, page.page, page.limit, len(page.items)) == (3, 0, 2, 2)
    first, second = page.items
    assert first.minified is True
    assert first.authors == ("Brandon Sanderson",)
    assert first.narrators == ("Michael Kramer", "Kate Reading")
    assert first.series == (SeriesRef("Mistborn", "1"), SeriesRef("Cosmere"))
    assert (first.published_year, first.asin, first.duration_seconds, first.size_bytes) == (
        2006,
        "B002UZMLXM",
        3600.5,
        1234,
    )
    assert first.added_at is not None and first.added_at.tzinfo is UTC
    assert int(first.added_at.timestamp()) == int(T0)
    assert second.authors == ("Ann One", "Bob Two")
    assert fake.requests[-1][2] == "limit=2&page=0&sort=addedAt&minified=1"


def test_updated_since_keeps_only_changed_items_but_the_full_total(
    fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps, clock: Clock
):
    lib = fake.add_library("Audiobooks")
    old = fake.add_item(lib, "Old")
    untouched = fake.add_item(lib, "Untouched")
    clock.now += 3600
    since = datetime.fromtimestamp(clock.now, tz=UTC)
    fake.add_item(lib, "New")

    async def scenario(client: AudiobookshelfClient) -> tuple[Any, Any]:
        await client.update_metadata(old, MetadataUpdate(subtitle="Edited"))
        page = await client.items_page(lib, 0, 2, updated_since=since)
        every = await client.all_items(lib, updated_since=since, page_size=2)
        return page, every

    page, every = run(_scenario(_client(server.url, sleeps), scenario))

    assert page.total == 3 and [i.title for i in page.items] == ["Old"]
    # The item left out is only its id and its updatedAt (older than the watermark).
    assert page.older == ((untouched, datetime.fromtimestamp(fake.item(untouched).updated_at / 1000, tz=UTC)),)
    assert page.older[0][1] < since
    assert sorted(i.title for i in every) == ["New", "Old"]


async def _scenario(client: AudiobookshelfClient, body: Any) -> Any:
    try:
        return await body(client)
    finally:
        await client.http.aclose()


def test_item_is_expanded_with_series_ids_and_sequences(fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps):
    lib = fake.add_library("Audiobooks")
    item_id = fake.add_item(
        lib,
        "Elantris",
        authors=["Brandon Sanderson"],
        narrators=["Jack Garrett"],
        series=[("Cosmere", "0.5")],
        duration=99.5,
        size=42,
    )

    item = run(_call(_client(server.url, sleeps), "item", item_id))

    series_id = next(iter(fake.data.series))
    assert item.minified is False
    assert item.series == (SeriesRef("Cosmere", "0.5", series_id),)
    assert (item.authors, item.narrators, item.duration_seconds, item.size_bytes) == (
        ("Brandon Sanderson",),
        ("Jack Garrett",),
        99.5,
        42,
    )
    assert fake.requests[-1] == ("GET", f"/api/items/{item_id}", "expanded=1")


def test_unknown_item_is_a_bad_response_with_status_404(fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps):
    with pytest.raises(ServiceBadResponse) as caught:
        run(_call(_client(server.url, sleeps), "item", "missing-id"))
    assert caught.value.details["status"] == 404


def test_update_metadata_patches_media_with_string_sequences(
    fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps, clock: Clock
):
    lib = fake.add_library("Audiobooks")
    item_id = fake.add_item(lib, "Old Title", authors=["Someone"], series=[("Saga", None)])
    before = fake.item(item_id).updated_at
    clock.now += 60
    update = MetadataUpdate(title="New Title", series=(SeriesRef("Saga", "2"),), published_year=2011, asin="B01")

    item = run(_call(_client(server.url, sleeps), "update_metadata", item_id, update))

    sent = fake.patches[-1]["body"]["metadata"]
    assert sent["series"] == [{"name": "Saga", "sequence": "2"}] and sent["publishedYear"] == "2011"
    assert (item.title, item.series[0].sequence, item.published_year, item.asin) == ("New Title", "2", 2011, "B01")
    assert item.duration_seconds is None  # the PATCH answer is toOldJSON: no duration, no size
    stored = fake.item(item_id)
    assert (stored.title, stored.series[0][1]) == ("New Title", "2") and stored.updated_at > before
    assert fake.requests[-1][:2] == ("PATCH", f"/api/items/{item_id}/media")


def test_clear_metadata_sends_null_or_an_empty_list(
    fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps, clock: Clock
):
    lib = fake.add_library("Audiobooks")
    item_id = fake.add_item(lib, "Title", authors=["Someone"], series=[("Saga", "1")])

    run(_call(_client(server.url, sleeps), "clear_metadata", item_id, ["series", "published_year", "genres"]))

    assert fake.patches[-1]["body"] == {"metadata": {"series": [], "publishedYear": None, "genres": []}}
    assert fake.item(item_id).series == []
    with pytest.raises(ValueError, match="no Audiobookshelf field for colour"):
        clearing_patch(["colour"])


def test_update_by_a_user_without_update_permission_is_refused(
    fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps
):
    lib = fake.add_library("Audiobooks")
    item_id = fake.add_item(lib, "Book")
    token = fake.add_user("listener", "pw", "user", token="listener-token-0123456789")
    with pytest.raises(ServiceAuthFailed) as caught:
        run(_call(_client(server.url, sleeps, token=token), "update_metadata", item_id, MetadataUpdate(title="X")))
    assert "update" in caught.value.message and fake.patches == []


def test_scan_answers_at_once_and_the_fake_imports_the_folder(
    fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps, tmp_path: Path
):
    lib = fake.add_library("Audiobooks", [str(tmp_path)])
    book = tmp_path / "Andy Weir" / "Project Hail Mary"
    book.mkdir(parents=True)
    (book / "book.m4b").write_bytes(b"\0" * 10)

    async def scenario(client: AudiobookshelfClient) -> list[Any]:
        await client.scan_library(lib)
        assert fake.wait_for_scans()
        return await client.all_items(lib)

    items = run(_scenario(_client(server.url, sleeps), scenario))
    assert [(i.title, i.authors, i.path) for i in items] == [("Project Hail Mary", ("Andy Weir",), str(book))]
    assert fake.requests[0][:2] == ("POST", f"/api/libraries/{lib}/scan")


def test_scan_by_a_non_admin_is_an_auth_failure(fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps):
    lib = fake.add_library("Audiobooks")
    token = fake.add_user("listener", "pw", "user", token="listener-token-0123456789")
    with pytest.raises(ServiceAuthFailed):
        run(_call(_client(server.url, sleeps, token=token), "scan_library", lib))


def test_items_in_series_give_ids_and_sequences_in_order(fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps):
    lib = fake.add_library("Audiobooks")
    fake.add_item(lib, "Three", series=[("Saga", "3"), ("Other", "9")])
    fake.add_item(lib, "One", series=[("Saga", "1")])
    fake.add_item(lib, "Outside")
    saga = next(sid for sid, s in fake.data.series.items() if s["name"] == "Saga")

    items = run(_call(_client(server.url, sleeps), "items_in_series", lib, saga))

    assert [i.title for i in items] == ["One", "Three"]
    assert items[1].series == (SeriesRef("Saga", "3", saga), SeriesRef("Other", "9"))
    assert "filter=series." in fake.requests[-1][2] and "sort=sequence" in fake.requests[-1][2]


def test_series_and_authors_lists(fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps):
    lib = fake.add_library("Audiobooks")
    for n in range(105):  # more than one page of 100 series
        fake.add_item(lib, f"Book {n}", authors=["Ann Author"], series=[(f"Series {n:03d}", "1")])
    fake.add_item(lib, "Solo", authors=["Bob Writer"])

    async def scenario(client: AudiobookshelfClient) -> tuple[Any, Any]:
        return await client.series_list(lib), await client.authors_list(lib)

    series, authors = run(_scenario(_client(server.url, sleeps), scenario))

    assert len(series) == 105 and series[0].name == "Series 000"
    assert series[0].items[0].title == "Book 0" and series[0].items[0].series == (SeriesRef("Series 000", "1"),)
    assert series[0].added_at is not None and series[0].added_at.tzinfo is UTC
    assert [(a.name, a.num_books) for a in authors] == [("Ann Author", 105), ("Bob Writer", 1)]


# ---- faults ------------------------------------------------------------------------------------------------


def test_down_retries_with_backoff_then_fails(fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps):
    fake.faults.set("down")
    with pytest.raises(ServiceError) as caught:
        run(_call(_client(server.url, sleeps, max_attempts=3), "libraries"))
    assert caught.value.code == "SERVICE_ERROR" and caught.value.details["status"] == 502
    assert len(sleeps.calls) == 2 and all(0 <= s <= 1.0 for s in sleeps.calls)


def test_slow_answer_times_out_as_unreachable(fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps):
    fake.faults.set("slow", delay=0.5)
    with pytest.raises(ServiceUnreachable):
        run(_call(_client(server.url, sleeps, timeout=0.1, max_attempts=1), "libraries"))


def test_rate_limit_waits_exactly_retry_after(fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps):
    fake.add_library("Audiobooks")
    fake.faults.set("rate_limit", retry_after="7", times=1)
    libraries = run(_call(_client(server.url, sleeps), "libraries"))
    assert len(libraries) == 1 and sleeps.calls == [7.0]


def test_server_error_is_retried_until_it_passes(fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps):
    fake.add_library("Audiobooks")
    fake.faults.set("server_error", status=500, times=2)
    assert len(run(_call(_client(server.url, sleeps), "libraries"))) == 1
    assert len(sleeps.calls) == 2


def test_scan_is_not_resent_after_a_500(fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps):
    lib = fake.add_library("Audiobooks")
    fake.faults.set("server_error", status=500, times=1)
    with pytest.raises(ServiceError):
        run(_call(_client(server.url, sleeps), "scan_library", lib))
    assert sleeps.calls == [] and fake.scans == []


def test_garbage_body_is_a_bad_response(fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps):
    fake.faults.set("garbage")
    with pytest.raises(ServiceBadResponse):
        run(_call(_client(server.url, sleeps), "libraries"))
    report = run(_call(_client(server.url, sleeps), "test_connection"))
    assert (report.reachable, report.error_code) == (True, "SERVICE_BAD_RESPONSE")


def test_expired_token_is_an_auth_failure(fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps):
    fake.faults.set("expired_auth")
    with pytest.raises(ServiceAuthFailed):
        run(_call(_client(server.url, sleeps), "libraries"))
    assert sleeps.calls == []  # a refused token is not retried


def test_no_secret_in_logs(
    fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
):
    lib = fake.add_library("Audiobooks")
    item_id = fake.add_item(lib, "Book")
    caplog.set_level(logging.DEBUG)

    async def scenario(client: AudiobookshelfClient) -> None:
        await client.test_connection()
        await client.items_page(lib, 0, 10)
        await client.update_metadata(item_id, MetadataUpdate(title="Changed"))
        fake.faults.set("expired_auth", times=1)
        with pytest.raises(ServiceAuthFailed):
            await client.item(item_id)
        fake.faults.set("server_error", times=1)
        await client.item(item_id)

    run(_scenario(_client(server.url, sleeps), scenario))

    assert caplog.records, "the HTTP layer logs every attempt at DEBUG"
    assert TOKEN not in caplog.text and REDACTED in caplog.text
    assert all(TOKEN not in str(record.__dict__) for record in caplog.records)


def test_series_pages_give_each_book_its_sequence_even_with_commas_in_names(
    fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps
):
    lib = fake.add_library("Audiobooks")
    wizard = fake.add_item(lib, "A Wizard of Earthsea", series=[("Earthsea Cycle, The", "1"), ("Earthsea", "1.5")])
    fake.add_item(lib, "Tehanu", series=[("Earthsea Cycle, The", "4")])
    fake.add_item(lib, "Alone", series=[("Loose Ends", None)])
    ids = {s["name"]: sid for sid, s in fake.data.series.items()}

    first = run(_call(_client(server.url, sleeps), "series_page", lib, 0, 2))
    second = run(_call(_client(server.url, sleeps), "series_page", lib, 1, 2))

    assert (first.total, first.limit, len(first.series), len(second.series)) == (3, 2, 2, 1)
    listed = {s.name: s for s in (*first.series, *second.series)}
    assert {name: s.id for name, s in listed.items()} == ids
    assert listed["Earthsea Cycle, The"].members[0] == (wizard, "1")
    assert [seq for _, seq in listed["Earthsea Cycle, The"].members] == ["1", "4"]
    assert listed["Earthsea"].members == ((wizard, "1.5"),) and listed["Loose Ends"].members[0][1] is None
    assert fake.requests[-1][2] == "limit=2&page=1&sort=addedAt"


def test_a_batch_read_gives_expanded_items_and_their_audio_format(
    fake: FakeAudiobookshelf, server: LiveServer, sleeps: Sleeps
):
    from shelfkeeper.testing.fakes.audiobookshelf_data import AudioFileRecord

    lib = fake.add_library("Audiobooks")
    files = [AudioFileRecord(filename=n, rel_path=n, path=f"/a/{n}") for n in ("01.MP3", "02.mp3")]
    tracks = fake.add_item(lib, "Tracks", authors=["Le Guin, Ursula K."], series=[("Saga", "2")], audio_files=files)
    bare = fake.add_item(lib, "No Files")

    items = run(_call(_client(server.url, sleeps), "items_batch", [tracks, "gone-meanwhile", bare]))

    saga = next(sid for sid, s in fake.data.series.items() if s["name"] == "Saga")
    assert [(i.id, i.audio_format) for i in items] == [(tracks, "mp3"), (bare, "")]
    assert items[0].series == (SeriesRef("Saga", "2", saga),) and items[0].authors == ("Le Guin, Ursula K.",)
    assert fake.requests[-1][:2] == ("POST", "/api/items/batch/get")
    assert run(_call(_client(server.url, sleeps), "items_batch", [])) == []


@pytest.mark.parametrize(
    ("joined", "last_first", "expected"),
    [
        ("Ursula K. Le Guin, Someone Else", "Le Guin, Ursula K., Else, Someone", ("Ursula K. Le Guin", "Someone Else")),
        ("Le Guin, Ursula K., Someone Else", "Le Guin, Ursula K., Else, Someone", None),
        ("Le Guin, Ursula K.", "Le Guin, Ursula K.", None),
        ("Plato, Someone Else", "Plato, Else, Someone", None),
        ("Brandon Sanderson", "Sanderson, Brandon", ("Brandon Sanderson",)),
        ("", "", ()),
    ],
)
def test_list_authors_are_split_only_when_both_joined_forms_agree(
    joined: str, last_first: str, expected: tuple[str, ...] | None
) -> None:
    assert listed_authors(joined, last_first) == expected
    item = parse_minified_item(
        {"id": "li_1", "media": {"metadata": {"authorName": joined, "authorNameLF": last_first}}}
    )
    assert item.authors_exact is (expected is not None)


@pytest.mark.parametrize(
    ("joined", "name", "expected"),
    [
        ("Mistborn #1", "Mistborn", (True, "1")),
        ("Mistborn", "Mistborn", (True, None)),
        ("Mistborn #1.5 ", "Mistborn", (True, "1.5")),
        ("Mistborn #", "Mistborn", (False, None)),
        ("Mistborn # ", "Mistborn", (False, None)),
        ("Mistborn Saga #2", "Mistborn", (False, None)),
        ("Mistborn #1, Cosmere #3", "Cosmere", (True, "3")),
        ("Mistborn #1, Cosmere #3", "Mistborn", (True, "1")),
        ("Mistborn, Cosmere #3", "Mistborn", (True, None)),
        ("Earthsea Cycle, The #1", "Earthsea Cycle, The", (True, "1")),
        ("Earthsea Cycle, The #1", "Earthsea Cycle", (True, None)),
        ("Dune #, Dune #2", "Dune", (True, "2")),
        ("Old Dune #1", "Dune", (False, None)),
        ("", "Dune", (False, None)),
        (None, "Dune", (False, None)),
        ("", "", (True, None)),
    ],
)
def test_sequence_in_joined(joined: str | None, name: str, expected: tuple[bool, str | None]) -> None:
    """The series' own part of a joined seriesName: a name alone (fast path) or among others, whole."""
    assert sequence_in_joined(joined, name) == expected
