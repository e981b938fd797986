"""MyAnonamouse adapter against the fake MAM served for real: search, quirks, cookie rotation, politeness, faults."""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import pytest

from shelfkeeper.adapters.budget import MemoryBudgetStore
from shelfkeeper.adapters.mam import MamClient, build, rotated_cookie, search_params
from shelfkeeper.adapters.mam_items import (
    lenient_flag,
    names_from_info,
    parse_added,
    parse_ratio,
    parse_size,
    release_from_item,
    series_from_info,
)
from shelfkeeper.adapters.redaction import REDACTED, SecretFilter
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.torrents.status import AddTorrent
from shelfkeeper.errors import (
    QuotaExhausted,
    ServiceAuthFailed,
    ServiceBadResponse,
    ServiceError,
    ServiceNotConfigured,
    ServiceUnreachable,
)
from shelfkeeper.ports import BookQuery
from shelfkeeper.testing.clock import RecordingSleep
from shelfkeeper.testing.fakes.mam import FakeMam
from shelfkeeper.testing.log_capture import RawLines
from shelfkeeper.testing.server import LiveServer, free_port, serve

T = TypeVar("T")
COOKIE = "mam-initial-session-value-0123456789"


@pytest.fixture
def fake() -> FakeMam:
    fake = FakeMam(COOKIE, rotate_every=None)
    fake.add_torrent(
        "The Way of Kings",
        id=1001,
        authors=["Brandon Sanderson"],
        narrators=["Michael Kramer", "Kate Reading"],
        series=[["The Stormlight Archive", "1"]],
        size=1_040_589,
        times_completed=5400,
        free=True,
        filetype="m4b",
        isbn="ASIN:B003P2WO5E",
        added=datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
    )
    fake.add_torrent(
        "Pride &amp; Prejudice",
        id=1002,
        authors=["Jane Austen"],
        category=45,
        string_numbers=True,
        size_as_bytes=True,
        filetype="mp3 m4b",
        vip=True,
        fl_vip=True,
        personal_freeleech=True,
        times_completed=900,
        added=datetime(2026, 3, 5, 0, 0, tzinfo=UTC),
    )
    fake.add_torrent(
        "Stormlight Archive Books 1-4",
        id=1003,
        authors=["O'Brien & Sanderson"],  # the fake HTML-encodes names as MAM does
        series=[["The Stormlight Archive", "01-04, 4.5"]],
        times_completed=7000,
        added=datetime(2026, 3, 8, 0, 0, tzinfo=UTC),
        lang_code="GER",
        language=36,
    )
    return fake


@pytest.fixture
def server(fake: FakeMam) -> Iterator[LiveServer]:
    with serve(fake.app) as live:
        yield live


def run(url: str, action: Callable[[MamClient], Awaitable[T]], *, cookie: str = COOKIE, **options: Any) -> T:
    """Build a client on a fresh event loop (fake sleep and clock: nothing waits), run ``action``, close it."""

    async def go() -> T:
        options.setdefault("sleep", RecordingSleep())
        options.setdefault("clock", lambda: 0.0)
        client = build(url, cookie, rng=random.Random(5), **options)
        try:
            return await action(client)
        finally:
            await client.aclose()

    return asyncio.run(go())


def kings(client: MamClient) -> Awaitable[list[Release]]:
    return client.search(BookQuery(title="The Way of Kings", author="Brandon Sanderson"))


# ---- pure parsing ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.43 GiB", round(1.43 * 1024**3)),
        ("1,016.2 KiB", round(1016.2 * 1024)),
        ("734.5 MiB", round(734.5 * 1024**2)),
        ("2 TiB", 2 * 1024**4),
        ("512 B", 512),
        ("123456", 123456),
        ("700 MB", 700 * 1024**2),  # binary, as Prowlarr's GetBytes reads MB
        (123456, 123456),
        (1.5, 1),
        ("", None),
        ("huge", None),
        (None, None),
    ],
)
def test_parse_size(value: Any, expected: int | None) -> None:
    assert parse_size(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, True), (0, False), ("1", True), ("0", False), (True, True), ("true", True), ("false", False), (None, False)],
)
def test_lenient_flag(value: Any, expected: bool) -> None:
    assert lenient_flag(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-01 10:00:00", datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
        ("2026-03-01T10:00:00+00:00", datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
        (1772359200, datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
        ("1772359200", datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
        ("", None),
        ("soon", None),
    ],
)
def test_parse_added(value: Any, expected: datetime | None) -> None:
    assert parse_added(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('{"123":"Brandon Sanderson"}', ("Brandon Sanderson",)),
        ('{"1":"A &amp; B","2":"O&#039;Neil"}', ("A & B", "O'Neil")),
        ({"1": "Already Decoded"}, ("Already Decoded",)),
        ("", ()),
        (None, ()),
        ("[]", ()),
        ('{"1":"Robert "Bob" Smith","2":"Jane Doe"}', ('Robert "Bob" Smith', "Jane Doe")),  # stray quotes
    ],
)
def test_names_from_info(value: Any, expected: tuple[str, ...]) -> None:
    assert names_from_info(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('{"30281":["Awaken Online","10",10.000000]}', (("Awaken Online", "10"),)),
        ('{"1":["The Expanse","01-16, 13.5"]}', (("The Expanse", "01-16, 13.5"),)),
        ('{"1":["Dune &amp; Co",""]}', (("Dune & Co", None),)),
        ('{"1":["Numbered","",2.5]}', (("Numbered", "2.5"),)),
        ('{"1":[""], "2":["Kept","3"]}', (("Kept", "3"),)),
        (None, ()),
        ("not json at all", ()),
    ],
)
def test_series_from_info(value: Any, expected: tuple[tuple[str, str | None], ...]) -> None:
    assert series_from_info(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2.5, 2.5), ("3.75", 3.75), ("Inf", math.inf), ("1,234.5", 1234.5), (None, None), ("n/a", None)],
)
def test_parse_ratio(value: Any, expected: float | None) -> None:
    assert parse_ratio(value) == expected


def test_release_from_item_needs_id_and_title() -> None:
    assert release_from_item({"title": "No id"}, "http://m") is None
    assert release_from_item({"id": "5", "title": ""}, "http://m") is None
    release = release_from_item({"id": "5", "title": "T"}, "http://m")
    assert release is not None and release.mam_id == 5 and release.download_url == "http://m/tor/download.php?tid=5"


def test_search_params_shape() -> None:
    params = search_params(
        "Dune: Messiah!",
        fields=("title", "author"),
        main_categories=(13,),
        categories=(41, 47),
        languages=(1,),
        sort="snatchedDesc",
        start=100,
        per_page=500,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 2, 1),
    )
    assert params == [
        ("tor[text]", "Dune Messiah"),
        ("tor[srchIn][title]", "true"),
        ("tor[srchIn][author]", "true"),
        ("tor[searchType]", "all"),
        ("tor[searchIn]", "torrents"),
        ("tor[main_cat][]", "13"),
        ("tor[cat][0]", "41"),
        ("tor[cat][1]", "47"),
        ("tor[browse_lang][0]", "1"),
        ("tor[startDate]", "2026-01-01"),
        ("tor[endDate]", "2026-02-01"),
        ("tor[sortType]", "snatchedDesc"),
        ("tor[startNumber]", "100"),
        ("tor[perpage]", "100"),
        ("perpage", "100"),
        ("dlLink", ""),
        ("isbn", ""),
    ]
    assert ("tor[cat][]", "0") in search_params("x", fields=("title",), main_categories=(13,))


# ---- search --------------------------------------------------------------------------------------------------


def test_search_sends_bracketed_params_with_the_cookie(fake: FakeMam, server: LiveServer) -> None:
    releases = run(server.url, kings)
    method, path, query = fake.requests[-1]
    assert (method, path) == ("GET", "/tor/js/loadSearchJSONbasic.php")
    assert ("tor[text]", "The Way of Kings Brandon Sanderson") in query
    assert [k for k, _ in query if k.startswith("tor[srchIn]")] == ["tor[srchIn][title]", "tor[srchIn][author]"]
    assert ("tor[main_cat][]", "13") in query and ("dlLink", "") in query
    assert fake.cookies_seen == [COOKIE]
    assert [r.mam_id for r in releases] == [1001]


def test_search_maps_every_quirk(fake: FakeMam, server: LiveServer) -> None:
    by_id = {r.mam_id: r for r in run(server.url, lambda c: c.search(BookQuery(series="Stormlight")))}
    by_id |= {r.mam_id: r for r in run(server.url, lambda c: c.search(BookQuery(title="Pride Prejudice")))}
    kings, pride, box = by_id[1001], by_id[1002], by_id[1003]
    assert kings.source == "mam" and kings.indexer == "MyAnonamouse"
    assert kings.guid == kings.info_url == f"{server.url}/t/1001"
    assert kings.download_url == f"{server.url}/tor/download.php/{fake.torrents[1001].dl}"  # the cookie-free link
    assert kings.extra["download_url_by_id"] == f"{server.url}/tor/download.php?tid=1001"
    assert kings.size_bytes == parse_size("1,016.2 KiB")
    assert kings.authors == ("Brandon Sanderson",) and kings.narrators == ("Michael Kramer", "Kate Reading")
    assert kings.series == (("The Stormlight Archive", "1"),)
    assert kings.grabs == 5400 and kings.seeders == 10 and kings.leechers == 0
    assert kings.published_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert kings.freeleech and not kings.vip and not kings.personal_freeleech
    assert kings.file_type == "m4b" and kings.language == "ENG" and kings.categories == (41,)
    assert kings.extra["asin"] == "B003P2WO5E" and kings.extra["main_cat"] == 13
    # numbers as strings, byte-string size, entity in title, space-separated filetypes, all flags
    assert pride.title == "Pride & Prejudice" and pride.mam_id == 1002 and pride.categories == (45,)
    assert pride.size_bytes == fake.torrents[1002].size and pride.seeders == 10 and pride.grabs == 900
    assert pride.file_type == "mp3 m4b" and pride.narrators == () and pride.series == ()
    assert pride.vip and pride.personal_freeleech and pride.extra["fl_vip"] and not pride.freeleech
    # HTML-encoded names and a ranged series position
    assert box.authors == ("O'Brien & Sanderson",) and box.series == (("The Stormlight Archive", "01-04, 4.5"),)


def test_nothing_returned_is_an_empty_list(fake: FakeMam, server: LiveServer) -> None:
    assert run(server.url, lambda c: c.search(BookQuery(title="Nonexistent Words"))) == []
    assert len(fake.requests) == 1


def test_search_by_narrator_uses_that_field(fake: FakeMam, server: LiveServer) -> None:
    releases = run(server.url, lambda c: c.search(BookQuery(narrator="Kate Reading")))
    assert [r.mam_id for r in releases] == [1001]
    assert [k for k, _ in fake.requests[-1][2] if "srchIn" in k] == ["tor[srchIn][narrator]"]


def test_language_filter(fake: FakeMam, server: LiveServer) -> None:
    releases = run(server.url, lambda c: c.search(BookQuery(series="Stormlight")), languages=[1])
    assert [r.mam_id for r in releases] == [1001]


def test_paging_past_one_hundred(fake: FakeMam, server: LiveServer) -> None:
    for number in range(130):
        fake.add_torrent(f"Filler Book {number}", authors=["Prolific Writer"], size=1000)
    releases = run(server.url, lambda c: c.search(BookQuery(author="Prolific Writer"), limit=120))
    assert len(releases) == 120 and len({r.mam_id for r in releases}) == 120
    starts = [dict(q)["tor[startNumber]"] for _, _, q in fake.requests]
    sizes = [dict(q)["perpage"] for _, _, q in fake.requests]
    assert (starts, sizes) == (["0", "100"], ["100", "20"])


def test_top_snatched(fake: FakeMam, server: LiveServer) -> None:
    everything = run(server.url, lambda c: c.top_snatched(None, date(2026, 3, 1), date(2026, 4, 1), 10))
    assert [r.mam_id for r in everything] == [1003, 1001, 1002]  # by snatches
    # start inclusive, end exclusive: 1003 was added on 2026-03-08
    window = run(server.url, lambda c: c.top_snatched(None, date(2026, 3, 1), date(2026, 3, 8), 10))
    assert [r.mam_id for r in window] == [1001, 1002]
    fantasy = run(server.url, lambda c: c.top_snatched(41, date(2026, 1, 1), date(2026, 12, 1), 1))
    assert [r.mam_id for r in fantasy] == [1003]  # 1002 is in category 45
    query = dict(fake.requests[-1][2])
    assert query["tor[sortType]"] == "snatchedDesc" and query["tor[cat][0]"] == "41"
    assert (query["tor[startDate]"], query["tor[endDate]"]) == ("2026-01-01", "2026-12-01")


def test_error_answers(fake: FakeMam, server: LiveServer) -> None:
    fake.faults.set("garbage", body=b'{"error":"Request not via correct session type"}', times=1)
    with pytest.raises(ServiceAuthFailed):
        run(server.url, kings)
    fake.faults.set("garbage", body=b'{"message":"Search is down for maintenance"}', times=1)
    with pytest.raises(ServiceBadResponse, match="maintenance"):
        run(server.url, kings)


def test_html_instead_of_json(fake: FakeMam, server: LiveServer) -> None:
    fake.faults.set("server_error", status=200, body=b"<html>Please log in</html>", times=1)
    with pytest.raises(ServiceBadResponse, match="instead of JSON"):
        run(server.url, kings)


# ---- cookie ----------------------------------------------------------------------------------------------------


def test_cookie_rotation_is_followed_and_reported(fake: FakeMam, server: LiveServer) -> None:
    fake.rotate_every = 1  # every answer hands out a new mam_id and retires the old one
    seen: list[str] = []

    async def persist(value: str) -> None:
        seen.append(value)

    async def three(client: MamClient) -> str:
        for _ in range(3):
            assert len(await kings(client)) == 1
        await client.user_stats()
        return client.current_cookie

    final = run(server.url, three, on_cookie_rotated=persist)
    assert seen == fake.rotations and len(seen) == 4
    assert final == fake.current_cookie == seen[-1]
    assert fake.cookies_seen == [COOKIE, *seen[:-1]]  # each request carried exactly the newest value
    with pytest.raises(ServiceAuthFailed):
        run(server.url, kings)  # the original value was retired by the rotation


def test_sync_callback_and_failing_callback(
    fake: FakeMam, server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    fake.rotate_every = 1
    seen: list[str] = []
    run(server.url, kings, on_cookie_rotated=seen.append)
    assert seen == fake.rotations

    def broken(value: str) -> None:
        raise RuntimeError(f"disk full while saving {value}")

    caplog.set_level(logging.WARNING)
    assert len(run(server.url, kings, cookie=fake.current_cookie, on_cookie_rotated=broken)) == 1
    assert "could not persist" in caplog.text and fake.current_cookie not in caplog.text


def test_rotated_cookie_parsing() -> None:
    import httpx

    response = httpx.Response(200, headers=[("set-cookie", "other=1"), ("set-cookie", "mam_id=abc%2B1; path=/")])
    assert rotated_cookie(response) == "abc%2B1"
    assert rotated_cookie(httpx.Response(200)) is None


def test_bad_cookie_is_auth_failure_without_retry(fake: FakeMam, server: LiveServer) -> None:
    with pytest.raises(ServiceAuthFailed, match="Preferences"):
        run(server.url, kings, cookie="stale-cookie-value")
    assert len(fake.requests) == 1
    report = run(server.url, lambda c: c.test_connection(), cookie="stale-cookie-value")
    assert (report.reachable, report.auth_ok) == (True, False)


def test_not_configured_and_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    report = run(url, lambda c: c.test_connection(), cookie="")
    assert (report.configured, report.reachable, report.auth_ok) == (False, False, None)
    with pytest.raises(ServiceNotConfigured):
        run(url, kings, cookie="")
    report = run(url, lambda c: c.test_connection(), max_attempts=1)
    assert (report.configured, report.reachable) == (True, False)


# ---- account and downloads ---------------------------------------------------------------------------------


def test_user_stats(fake: FakeMam, server: LiveServer) -> None:
    stats = run(server.url, lambda c: c.user_stats())
    assert stats.username == "bookworm" and stats.user_class == "Power User"
    assert stats.ratio == 2.5 and stats.wedges == 3 and stats.bonus_points == 12345.0
    assert stats.uploaded_bytes == fake.user.uploaded_bytes and stats.downloaded_bytes == fake.user.downloaded_bytes
    assert fake.requests[-1][1] == "/jsonLoad.php"
    report = run(server.url, lambda c: c.test_connection())
    assert (report.configured, report.reachable, report.auth_ok) == (True, True, True)


def test_fetch_torrent_both_link_forms(fake: FakeMam, server: LiveServer) -> None:
    async def both(client: MamClient) -> tuple[bytes, bytes]:
        (release,) = await kings(client)
        by_dl = await client.fetch_torrent(release)
        by_id = await client.fetch_torrent(Release(indexer="MyAnonamouse", title="x", guid="g", mam_id=1002))
        return by_dl, by_id

    by_dl, by_id = run(server.url, both)
    assert by_dl == fake.torrents[1001].torrent and by_id == fake.torrents[1002].torrent
    assert fake.downloads == [1001, 1002]
    assert fake.requests[-1][:2] == ("GET", "/tor/download.php") and ("tid", "1002") in fake.requests[-1][2]


def test_fetch_download_hands_over_the_torrent_file(fake: FakeMam, server: LiveServer) -> None:
    async def fetch(client: MamClient) -> AddTorrent:
        (release,) = await kings(client)
        return await client.fetch_download(release)

    add = run(server.url, fetch)
    assert add.torrent_file == fake.torrents[1001].torrent and add.url is None


def test_cookie_never_goes_to_another_host(fake: FakeMam, server: LiveServer) -> None:
    release = Release(indexer="x", title="x", guid="g", download_url="http://127.0.0.2:9/file.torrent")
    with pytest.raises(ServiceBadResponse, match="does not link to MyAnonamouse"):
        run(server.url, lambda c: c.fetch_torrent(release))


def test_fetch_torrent_that_is_not_a_torrent(server: LiveServer) -> None:
    release = Release(indexer="MyAnonamouse", title="x", guid="g", download_url=f"{server.url}/jsonLoad.php")
    with pytest.raises(ServiceBadResponse, match="not a"):
        run(server.url, lambda c: c.fetch_torrent(release))


# ---- politeness -----------------------------------------------------------------------------------------------


def test_one_request_at_a_time_with_a_pause(fake: FakeMam, server: LiveServer) -> None:
    fake.response_delay = 0.05
    sleep = RecordingSleep()

    async def three_at_once(client: MamClient) -> tuple[Any, ...]:
        return tuple(await asyncio.gather(kings(client), client.user_stats(), kings(client)))

    run(server.url, three_at_once, sleep=sleep, max_concurrency=4)  # asking for more is ignored
    assert fake.max_in_flight == 1
    assert sleep.calls == [3.0, 6.0]  # the fake clock stands still: starts reserved 3 s apart


def test_configurable_pause_and_daily_cap(fake: FakeMam, server: LiveServer) -> None:
    sleep = RecordingSleep()
    store = MemoryBudgetStore()

    async def three(client: MamClient) -> list[int | None]:
        left = [await client.budget_left()]
        await kings(client)
        await kings(client)
        left.append(await client.budget_left())
        with pytest.raises(QuotaExhausted):
            await kings(client)
        return left

    left = run(server.url, three, sleep=sleep, min_interval=10.0, daily_budget=2, budget=store)
    assert sleep.calls == [10.0] and len(fake.requests) == 2
    assert left == [2, 0]


# ---- faults -----------------------------------------------------------------------------------------------------


def test_fault_down(fake: FakeMam, server: LiveServer) -> None:
    fake.faults.set("down")
    with pytest.raises(ServiceError) as caught:
        run(server.url, kings)
    assert caught.value.code == "SERVICE_ERROR" and len(fake.requests) == 0 and fake.faults.requests_seen == 3


def test_fault_slow(fake: FakeMam, server: LiveServer) -> None:
    fake.faults.set("slow", delay=0.3)
    with pytest.raises(ServiceUnreachable):
        run(server.url, kings, timeout=0.1, max_attempts=1)


def test_fault_rate_limit(fake: FakeMam, server: LiveServer) -> None:
    fake.faults.set("rate_limit", retry_after="30", times=1)
    sleep = RecordingSleep()
    assert len(run(server.url, kings, sleep=sleep, min_interval=0.0)) == 1
    assert sleep.calls == [30.0]


def test_fault_server_error_then_success(fake: FakeMam, server: LiveServer) -> None:
    fake.faults.set("server_error", times=1)
    assert len(run(server.url, kings)) == 1


def test_fault_garbage(fake: FakeMam, server: LiveServer) -> None:
    fake.faults.set("garbage")
    with pytest.raises(ServiceBadResponse):
        run(server.url, kings)


def test_fault_expired_auth(fake: FakeMam, server: LiveServer) -> None:
    fake.faults.set("expired_auth")
    with pytest.raises(ServiceAuthFailed) as caught:
        run(server.url, lambda c: c.user_stats())
    assert caught.value.details == {"status": 403}


def test_no_cookie_in_logs(fake: FakeMam, server: LiveServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(SecretFilter())  # as the app installs it on its handlers (logs.py)
    own = RawLines()
    logging.getLogger("shelfkeeper").addHandler(own)  # sees our records before any filter of the app
    fake.rotate_every = 1

    async def everything(client: MamClient) -> None:
        (release,) = await kings(client)
        await client.fetch_torrent(release)
        await client.user_stats()
        fake.faults.set("server_error", times=1)
        await kings(client)
        fake.faults.set("expired_auth", times=1)
        with pytest.raises(ServiceAuthFailed):
            await client.user_stats()

    try:
        run(server.url, everything)
    finally:
        logging.getLogger("shelfkeeper").removeHandler(own)
    assert fake.rotations and caplog.records and own.lines
    for value in [COOKIE, *fake.rotations]:
        assert value not in caplog.text
        assert not any(value in line for line in own.lines)
    assert REDACTED in caplog.text and any(REDACTED in line for line in own.lines)
