"""Prowlarr adapter against the fake Prowlarr served for real; the fake's own Torznab and search behaviour."""

from __future__ import annotations

import asyncio
import logging
import random
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest

from shelfkeeper.adapters.prowlarr import (
    MagnetOnly,
    ProwlarrClient,
    book_search_params,
    build,
    lenient_int,
    release_from_resource,
    strip_api_key,
)
from shelfkeeper.adapters.redaction import REDACTED, SecretFilter
from shelfkeeper.domain.releases.release import DownloadProtocol, Release
from shelfkeeper.domain.torrents.files import info_hash
from shelfkeeper.domain.torrents.nzb import parse_nzb
from shelfkeeper.domain.torrents.status import AddTorrent
from shelfkeeper.errors import (
    ServiceAuthFailed,
    ServiceBadResponse,
    ServiceError,
    ServiceNotConfigured,
    ServiceRateLimited,
    ServiceUnreachable,
)
from shelfkeeper.ports import BookQuery
from shelfkeeper.testing.clock import RecordingSleep
from shelfkeeper.testing.fakes.prowlarr import FakeProwlarr, create_fake
from shelfkeeper.testing.log_capture import RawLines
from shelfkeeper.testing.server import LiveServer, free_port, serve

T = TypeVar("T")
KEY = "0123456789abcdef0123456789abcdef"
MAGNET = "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=Dune"


@pytest.fixture
def fake() -> FakeProwlarr:
    fake = FakeProwlarr(api_key=KEY)
    fake.add_indexer(1, "MyAnonamouse", categories=[3030, 100041])
    fake.add_indexer(2, "AudioBook Bay", privacy="public")
    fake.add_indexer(3, "Old Tracker", enable=False)
    fake.add_release(
        "The Way of Kings by Brandon Sanderson [ENG / M4B]",
        indexer_id=1,
        categories=[3030, 100041],
        grabs=12,
        files=40,
        download_volume_factor=0,
        publish_date=datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC),
    )
    fake.add_release("Brandon Sanderson - The Way of Kings (2010) MP3", indexer_id=2, seeders=None, leechers=None)
    fake.add_release("Words of Radiance by Brandon Sanderson", indexer_id=1)
    fake.add_release("The Way of Kings by Brandon Sanderson", indexer_id=3)
    return fake


@pytest.fixture
def server(fake: FakeProwlarr) -> Iterator[LiveServer]:
    with serve(fake.app) as live:
        yield live


def run(url: str, action: Callable[[ProwlarrClient], Awaitable[T]], *, key: str = KEY, **options: Any) -> T:
    """Build a client on a fresh event loop, run ``action`` with it, close it."""

    async def go() -> T:
        options.setdefault("sleep", RecordingSleep())
        client = build(url, key, rng=random.Random(3), **options)
        try:
            return await action(client)
        finally:
            await client.aclose()

    return asyncio.run(go())


def kings(client: ProwlarrClient) -> Awaitable[list[Release]]:
    return client.search(BookQuery(title="The Way of Kings", author="Brandon Sanderson"))


# ---- pure parts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (BookQuery(title="Dune", author="Frank Herbert"), ("{author:Frank Herbert}{title:Dune}", "book")),
        (BookQuery(title="Dune"), ("{title:Dune}", "book")),
        (BookQuery(author="Frank Herbert"), ("{author:Frank Herbert}", "book")),
        (BookQuery(title="Odd {Title}", author=" A  B "), ("{author:A B}{title:Odd Title}", "book")),
        (BookQuery(series="The Expanse"), ("The Expanse", "search")),
        (BookQuery(narrator="Jefferson Mays"), ("Jefferson Mays", "search")),
        (BookQuery(asin="B00P0291VQ"), ("B00P0291VQ", "search")),
        (BookQuery(), ("", "search")),
    ],
)
def test_book_search_params(query: BookQuery, expected: tuple[str, str]) -> None:
    assert book_search_params(query) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5, 5), ("7", 7), (3.9, 3), ("1,234", 1234), ("x", None), (None, None), (True, None), ("", None)],
)
def test_lenient_int(value: Any, expected: int | None) -> None:
    assert lenient_int(value) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://h/1/download?apikey=K&link=L&file=F", "http://h/1/download?link=L&file=F"),
        ("http://h/1/download?link=L&ApiKey=K", "http://h/1/download?link=L"),
        ("http://h/x", "http://h/x"),
        (None, None),
    ],
)
def test_strip_api_key(url: str | None, expected: str | None) -> None:
    assert strip_api_key(url) == expected


@pytest.mark.parametrize(
    ("resource", "checks"),
    [
        # null fields are absent: every one is optional
        ({"title": "Only a title"}, {"guid": "None:Only a title", "seeders": None, "size_bytes": None}),
        ({"guid": "g"}, None),  # no title: skipped
        ({"title": "T", "infoUrl": "http://i"}, {"guid": "http://i", "info_url": "http://i"}),
        ({"title": "T", "size": 0}, {"size_bytes": None}),  # 0 = unknown
        ({"title": "T", "size": "123", "seeders": "4"}, {"size_bytes": 123, "seeders": 4}),
        ({"title": "T", "infoHash": "ABCDEF"}, {"info_hash": "abcdef"}),
        ({"title": "T", "indexerFlags": ["freeleech", "internal"]}, {"freeleech": True}),
        ({"title": "T", "indexerFlags": ["halfleech"]}, {"freeleech": False}),
        (
            {"title": "T", "publishDate": "2026-01-02T03:04:05Z"},
            {"published_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)},
        ),
        ({"title": "T", "publishDate": "yesterday"}, {"published_at": None}),
        (
            {"title": "T", "categories": [{"id": 3000, "subCategories": [{"id": 3030}]}, {"id": 100041}]},
            {"categories": (3000, 3030, 100041)},
        ),
        ({"title": "T", "indexerId": 5, "indexer": "X"}, {"indexer_id": 5, "indexer": "X", "source": "prowlarr"}),
        (
            {"title": "T", "downloadUrl": "http://h/1/download?apikey=K&link=L"},
            {"download_url": "http://h/1/download?link=L"},
        ),
        (
            {"title": "T", "magnetUrl": "http://h/1/download?apikey=K&link=M"},
            {"magnet_url": "http://h/1/download?link=M"},
        ),
    ],
)
def test_release_from_resource(resource: dict[str, Any], checks: dict[str, Any] | None) -> None:
    release = release_from_resource(resource)
    if checks is None:
        assert release is None
        return
    assert release is not None
    assert {name: getattr(release, name) for name in checks} == checks


# ---- search ------------------------------------------------------------------------------------------------


def test_search_sends_book_tokens_and_repeated_keys(fake: FakeProwlarr, server: LiveServer) -> None:
    releases = run(server.url, kings, indexer_ids=[1, 2], categories=[3030, 7020])
    method, path, query = fake.requests[-1]
    assert (method, path) == ("GET", "/api/v1/search")
    assert query == [
        ("query", "{author:Brandon Sanderson}{title:The Way of Kings}"),
        ("type", "book"),
        ("indexerIds", "1"),
        ("indexerIds", "2"),
        ("categories", "3030"),
        ("categories", "7020"),
        ("limit", "100"),
        ("offset", "0"),
    ]
    assert sorted(r.title for r in releases) == [
        "Brandon Sanderson - The Way of Kings (2010) MP3",
        "The Way of Kings by Brandon Sanderson [ENG / M4B]",
    ]


def test_search_maps_release_fields(fake: FakeProwlarr, server: LiveServer) -> None:
    releases = {r.indexer_id: r for r in run(server.url, kings)}
    mam, abb = releases[1], releases[2]
    seeded = fake.releases[0]
    assert mam.title == seeded.title
    assert mam.guid == seeded.guid and mam.info_url == seeded.info_url
    assert mam.indexer == "MyAnonamouse" and mam.source == "prowlarr"
    assert mam.size_bytes == seeded.size and mam.seeders == 10 and mam.leechers == 0
    assert mam.grabs == 12 and mam.extra["files"] == 40
    assert mam.published_at == datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert mam.categories == (3030, 100041)
    assert mam.freeleech  # downloadVolumeFactor 0 -> "freeleech" flag
    assert mam.info_hash == seeded.info_hash
    assert mam.download_url is not None and mam.download_url.startswith(f"{server.url}/1/download?")
    assert KEY not in mam.download_url  # the key is not stored with the release
    # null-valued fields are absent from the JSON and come out as None
    assert abb.seeders is None and abb.leechers is None and abb.grabs is None
    assert not abb.freeleech


def test_search_skips_disabled_and_backed_off_indexers(fake: FakeProwlarr, server: LiveServer) -> None:
    fake.indexers[2].blocked_seconds = 60
    releases = run(server.url, kings)
    assert [r.indexer_id for r in releases] == [1]  # 2 backed off, 3 disabled


def test_search_skips_usenet_results_without_a_usenet_client(fake: FakeProwlarr, server: LiveServer) -> None:
    fake.add_indexer(4, "NZBgeek", protocol="usenet", privacy="semiPrivate", definition_name="Newznab")
    fake.add_release("The Way of Kings by Brandon Sanderson NZB", indexer_id=4)
    releases = run(server.url, kings)
    assert 4 not in {r.indexer_id for r in releases}
    assert len(releases) == 2


def test_usenet_results_beside_torrents_carry_their_protocol(fake: FakeProwlarr, server: LiveServer) -> None:
    fake.add_indexer(4, "NZBgeek", protocol="usenet", privacy="semiPrivate", definition_name="Newznab")
    fake.add_release("Brandon Sanderson - The Way of Kings (Unabridged) M4B", indexer_id=4, grabs=31)
    protocols = (DownloadProtocol.TORRENT, DownloadProtocol.USENET)
    releases = {r.indexer_id: r for r in run(server.url, kings, protocols=protocols)}
    assert {i: r.protocol for i, r in releases.items()} == {
        1: DownloadProtocol.TORRENT,
        2: DownloadProtocol.TORRENT,
        4: DownloadProtocol.USENET,
    }
    nzb = releases[4]
    assert (nzb.seeders, nzb.leechers, nzb.info_hash, nzb.grabs) == (None, None, None, 31)  # no swarm on usenet
    assert nzb.extra["protocol"] == "usenet" and isinstance(nzb.extra["age_hours"], float)
    assert nzb.download_url is not None and nzb.download_url.startswith(f"{server.url}/4/download?")


def test_fetch_download_of_a_usenet_release_is_its_nzb(fake: FakeProwlarr, server: LiveServer) -> None:
    fake.add_indexer(4, "NZBgeek", protocol="usenet", definition_name="Newznab")
    seeded = fake.add_release("Brandon Sanderson - The Way of Kings (Unabridged) M4B", indexer_id=4, size=50_000_000)

    async def grab(client: ProwlarrClient) -> AddTorrent:
        releases = await kings(client)
        return await client.fetch_download(next(r for r in releases if r.indexer_id == 4))

    add = run(server.url, grab, protocols=(DownloadProtocol.TORRENT, DownloadProtocol.USENET))
    assert (add.nzb_file, add.torrent_file, add.url) == (seeded.nzb, None, None)
    assert add.protocol is DownloadProtocol.USENET
    assert parse_nzb(add.nzb_file or b"").size_bytes == 65 * 768_000 + 10_000  # ~50 MB in 768 KB articles, a par2
    assert fake.downloads == [seeded.key]


def test_a_usenet_download_that_is_not_an_nzb_is_refused(fake: FakeProwlarr, server: LiveServer) -> None:
    fake.add_indexer(4, "NZBgeek", protocol="usenet", definition_name="Newznab")
    fake.add_release("Brandon Sanderson - The Way of Kings M4B", indexer_id=4, nzb=b"<html>Login required</html>")

    async def grab(client: ProwlarrClient) -> AddTorrent:
        releases = await kings(client)
        return await client.fetch_download(next(r for r in releases if r.indexer_id == 4))

    with pytest.raises(ServiceBadResponse, match="not an NZB"):
        run(server.url, grab, protocols=(DownloadProtocol.TORRENT, DownloadProtocol.USENET))


def test_free_text_search_for_series(fake: FakeProwlarr, server: LiveServer) -> None:
    fake.add_release("The Stormlight Archive 1-4 Brandon Sanderson", indexer_id=2)
    releases = run(server.url, lambda c: c.search(BookQuery(series="Stormlight Archive")))
    assert [r.title for r in releases] == ["The Stormlight Archive 1-4 Brandon Sanderson"]
    assert ("type", "search") in fake.requests[-1][2]


def test_empty_query_sends_nothing(fake: FakeProwlarr, server: LiveServer) -> None:
    assert run(server.url, lambda c: c.search(BookQuery())) == []
    assert fake.requests == []


def test_url_base_is_kept() -> None:
    fake = FakeProwlarr(api_key=KEY, url_base="/prowlarr")
    fake.add_release("Dune by Frank Herbert")
    with serve(fake.app) as live:
        releases = run(f"{live.url}/prowlarr", lambda c: c.search(BookQuery(title="Dune")))
        assert releases[0].download_url is not None
        assert releases[0].download_url.startswith(f"{live.url}/prowlarr/1/download?")
        data = run(f"{live.url}/prowlarr", lambda c: c.fetch_torrent(releases[0]))
    assert data == fake.releases[0].torrent


# ---- indexers, status, test connection ---------------------------------------------------------------------


def test_indexers(server: LiveServer) -> None:
    indexers = {i.id: i for i in run(server.url, lambda c: c.indexers())}
    assert set(indexers) == {1, 2, 3}
    assert indexers[1].name == "MyAnonamouse" and indexers[1].enabled and indexers[1].privacy == "private"
    assert indexers[1].categories == (3030, 100041) and indexers[1].protocol == "torrent"
    assert not indexers[3].enabled and indexers[2].privacy == "public"


def test_test_connection_reports_version(server: LiveServer) -> None:
    report = run(server.url, lambda c: c.test_connection())
    assert (report.configured, report.reachable, report.auth_ok, report.version) == (True, True, True, "2.3.6.5203")


def test_wrong_key_is_auth_failure(fake: FakeProwlarr, server: LiveServer) -> None:
    report = run(server.url, lambda c: c.test_connection(), key="wrong-key-123")
    assert (report.reachable, report.auth_ok, report.error_code) == (True, False, "SERVICE_AUTH_FAILED")
    with pytest.raises(ServiceAuthFailed):
        run(server.url, kings, key="wrong-key-123")
    assert len(fake.requests) == 2  # a refused key is not retried


def test_unreachable_and_unconfigured() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    report = run(url, lambda c: c.test_connection(), max_attempts=1)
    assert (report.configured, report.reachable, report.auth_ok) == (True, False, None)
    report = run(url, lambda c: c.test_connection(), key="")
    assert (report.configured, report.reachable) == (False, False)
    with pytest.raises(ServiceNotConfigured):
        run(url, kings, key="")


# ---- downloads -----------------------------------------------------------------------------------------------


def test_fetch_torrent_returns_the_file(fake: FakeProwlarr, server: LiveServer) -> None:
    async def grab(client: ProwlarrClient) -> bytes:
        releases = await kings(client)
        return await client.fetch_torrent(next(r for r in releases if r.indexer_id == 1))

    data = run(server.url, grab)
    assert data == fake.releases[0].torrent
    assert info_hash(data) == fake.releases[0].info_hash
    assert fake.downloads == ["1"]


def test_magnet_redirect(fake: FakeProwlarr, server: LiveServer) -> None:
    fake.add_release("Dune by Frank Herbert", indexer_id=2, magnet=MAGNET)

    async def grab(client: ProwlarrClient) -> tuple[Any, Any]:
        (release,) = await client.search(BookQuery(title="Dune"))
        download = await client.fetch_download(release)
        with pytest.raises(MagnetOnly) as caught:
            await client.fetch_torrent(release)
        return download, caught.value

    download, error = run(server.url, grab)
    assert download.url == MAGNET and download.torrent_file is None
    assert error.magnet == MAGNET and isinstance(error, ServiceBadResponse)


def test_exposed_magnet_url_is_a_proxy_link(fake: FakeProwlarr, server: LiveServer) -> None:
    fake.add_release("Dune by Frank Herbert", indexer_id=2, magnet=MAGNET, expose_magnet=True)

    async def grab(client: ProwlarrClient) -> tuple[Release, Any]:
        (release,) = await client.search(BookQuery(title="Dune"))
        return release, await client.fetch_download(
            Release(indexer="x", title="Dune", guid="g", magnet_url=release.magnet_url)
        )

    release, download = run(server.url, grab)
    assert release.magnet_url is not None and release.magnet_url.startswith(f"{server.url}/2/download?")
    assert download.url == MAGNET


def test_redirect_indexer_sends_no_key_to_the_tracker(fake: FakeProwlarr, server: LiveServer) -> None:
    fake.indexers[1].redirect = True
    with serve(fake.app) as tracker:  # the same fake on a second port stands in for the tracker host
        fake.tracker_url = tracker.url

        async def grab(client: ProwlarrClient) -> bytes:
            releases = await kings(client)
            return await client.fetch_torrent(next(r for r in releases if r.indexer_id == 1))

        data = run(server.url, grab)
    assert data == fake.releases[0].torrent
    assert fake.tracker_requests == [{"path": "/tracker/1.torrent", "api_key_sent": False}]


@pytest.mark.parametrize(
    ("setup", "error", "status"),
    [
        (lambda f: setattr(f.indexers[1], "enable", False), ServiceBadResponse, 410),
        (lambda f: setattr(f.releases[0], "unavailable", True), ServiceBadResponse, 410),
    ],
)
def test_download_refusals(
    fake: FakeProwlarr, server: LiveServer, setup: Callable[[FakeProwlarr], None], error: type[Exception], status: int
) -> None:
    release = run(server.url, kings)[0]
    setup(fake)
    with pytest.raises(error) as caught:
        run(server.url, lambda c: c.fetch_torrent(release))
    assert isinstance(caught.value, ServiceError) and caught.value.details["status"] == status  # type: ignore[index]


def test_download_of_backed_off_indexer_honours_retry_after(fake: FakeProwlarr, server: LiveServer) -> None:
    release = next(r for r in run(server.url, kings) if r.indexer_id == 1)
    fake.indexers[1].blocked_seconds = 42
    sleep = RecordingSleep()
    with pytest.raises(ServiceRateLimited):
        run(server.url, lambda c: c.fetch_torrent(release), sleep=sleep)
    assert sleep.calls == [42.0, 42.0]  # three attempts, each wait exactly what Retry-After said


def test_download_that_is_not_a_torrent(server: LiveServer) -> None:
    release = Release(indexer="x", title="t", guid="g", download_url=f"{server.url}/api/v1/system/status")
    with pytest.raises(ServiceBadResponse, match=r"not a \.torrent"):
        run(server.url, lambda c: c.fetch_torrent(release))


# ---- faults ------------------------------------------------------------------------------------------------


def test_fault_down_retries_then_fails(fake: FakeProwlarr, server: LiveServer) -> None:
    fake.faults.set("down")
    sleep = RecordingSleep()
    with pytest.raises(ServiceError) as caught:
        run(server.url, kings, sleep=sleep)
    assert caught.value.code == "SERVICE_ERROR" and len(sleep.calls) == 2


def test_fault_slow_times_out(fake: FakeProwlarr, server: LiveServer) -> None:
    fake.faults.set("slow", delay=0.3)
    with pytest.raises(ServiceUnreachable):
        run(server.url, kings, timeout=0.1, max_attempts=1)


def test_fault_rate_limit_waits_retry_after(fake: FakeProwlarr, server: LiveServer) -> None:
    fake.faults.set("rate_limit", retry_after="7", times=1)
    sleep = RecordingSleep()
    assert len(run(server.url, kings, sleep=sleep)) == 2
    assert sleep.calls == [7.0]


def test_fault_server_error_recovers(fake: FakeProwlarr, server: LiveServer) -> None:
    fake.faults.set("server_error", status=503, times=2)
    sleep = RecordingSleep()
    assert len(run(server.url, kings, sleep=sleep)) == 2
    assert len(sleep.calls) == 2 and all(0 <= s <= 60 for s in sleep.calls)


def test_fault_garbage_is_bad_response(fake: FakeProwlarr, server: LiveServer) -> None:
    fake.faults.set("garbage")
    with pytest.raises(ServiceBadResponse):
        run(server.url, kings)


def test_fault_expired_auth(fake: FakeProwlarr, server: LiveServer) -> None:
    fake.faults.set("expired_auth")
    report = run(server.url, lambda c: c.test_connection())
    assert report.auth_ok is False
    with pytest.raises(ServiceAuthFailed) as caught:
        run(server.url, kings)
    assert caught.value.details == {"status": 401, "body": ""}  # Prowlarr's 401 has an empty body


def test_no_api_key_in_logs(fake: FakeProwlarr, server: LiveServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(SecretFilter())  # as the app installs it on its handlers (logs.py)
    own = RawLines()
    logging.getLogger("shelfkeeper").addHandler(own)  # sees our records before any filter of the app

    async def everything(client: ProwlarrClient) -> None:
        releases = await kings(client)
        await client.fetch_torrent(releases[0])
        await client.indexers()
        fake.faults.set("server_error", status=500, times=1)
        await client.system_status()
        fake.faults.set("expired_auth", times=1)
        with pytest.raises(ServiceAuthFailed):
            await client.system_status()

    try:
        run(server.url, everything)
    finally:
        logging.getLogger("shelfkeeper").removeHandler(own)
    assert caplog.records and own.lines
    assert KEY not in caplog.text and not any(KEY in line for line in own.lines)
    assert any(REDACTED in line for line in own.lines)


# ---- the fake itself -----------------------------------------------------------------------------------------


def _get(url: str, path: str, params: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.get(f"{url}{path}", params=params, headers=headers)


@pytest.mark.parametrize(
    ("params", "headers", "status"),
    [
        ({"apikey": KEY}, None, 200),
        (None, {"X-Api-Key": KEY}, 200),
        (None, {"Authorization": f"Bearer {KEY}"}, 200),
        (None, None, 401),
        ({"apikey": "nope"}, None, 401),
        ({"apikey": "nope"}, {"X-Api-Key": KEY}, 401),  # the query key wins
    ],
)
def test_fake_auth(server: LiveServer, params: Any, headers: Any, status: int) -> None:
    response = _get(server.url, "/api/v1/system/status", params, headers)
    assert response.status_code == status
    if status == 401:
        assert response.content == b""


def test_fake_ping_is_anonymous(server: LiveServer) -> None:
    assert _get(server.url, "/ping").json() == {"status": "OK"}


def test_fake_search_rules(fake: FakeProwlarr, server: LiveServer) -> None:
    auth = {"X-Api-Key": KEY}

    def titles(params: list[tuple[str, str]]) -> list[str]:
        return sorted(r["title"] for r in _get(server.url, "/api/v1/search", params, auth).json())

    # tokens are structured only for type=book
    assert titles([("query", "{title:Words of Radiance}"), ("type", "book")]) == [
        "Words of Radiance by Brandon Sanderson"
    ]
    assert titles([("query", "{title:Words of Radiance}"), ("type", "search")]) == []
    # a parent category matches its children; an unrelated one does not
    assert len(titles([("query", "sanderson"), ("categories", "3000")])) == 3
    assert titles([("query", "sanderson"), ("categories", "7020")]) == []
    # paging is per indexer
    assert len(titles([("query", "sanderson"), ("limit", "1")])) == 2
    comma = _get(server.url, "/api/v1/search", [("query", "x"), ("indexerIds", "1,2")], auth)
    assert comma.status_code == 400  # the list must repeat the key


def test_fake_json_omits_nulls(server: LiveServer) -> None:
    items = _get(server.url, "/api/v1/search", {"query": "2010"}, {"X-Api-Key": KEY}).json()
    assert "seeders" not in items[0] and "grabs" not in items[0] and "magnetUrl" not in items[0]


def test_fake_torznab(fake: FakeProwlarr, server: LiveServer) -> None:
    def torznab(path: str, **params: str) -> httpx.Response:
        return _get(server.url, path, {"apikey": KEY, **params})

    caps = ET.fromstring(torznab("/1/api", t="caps").text)
    assert [c.get("id") for c in caps.iter("category")] == ["3030", "100041"]
    feed = ET.fromstring(torznab("/1/api", t="book", q="{author:Brandon Sanderson}", cat="3030").text)
    items = feed.findall("./channel/item")
    assert sorted(i.findtext("title") or "" for i in items) == [
        "The Way of Kings by Brandon Sanderson [ENG / M4B]",
        "Words of Radiance by Brandon Sanderson",
    ]
    attrs = {a.get("name"): a.get("value") for a in items[0].iter("{http://torznab.com/schemas/2015/feed}attr")}
    assert {"seeders", "peers", "downloadvolumefactor", "infohash"} <= set(attrs)
    alias = torznab("/api/v1/indexer/1/newznab", t="search", q="radiance")
    assert len(ET.fromstring(alias.text).findall("./channel/item")) == 1
    canned = ET.fromstring(torznab("/0/api", t="search").text)
    assert canned.findtext("./channel/item/title") == "Test Release"


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/1/api", {}, 400, "200"),
        ("/1/api", {"t": "dance"}, 400, "202"),
        ("/3/api", {"t": "search"}, 410, "410"),
    ],
)
def test_fake_torznab_errors(server: LiveServer, path: str, params: dict[str, str], status: int, code: str) -> None:
    response = _get(server.url, path, {"apikey": KEY, **params})
    assert response.status_code == status
    assert ET.fromstring(response.text).get("code") == code


def test_fake_torznab_back_off(fake: FakeProwlarr, server: LiveServer) -> None:
    fake.indexers[1].blocked_seconds = 90
    response = _get(server.url, "/1/api", {"apikey": KEY, "t": "search", "q": "x"})
    assert response.status_code == 429 and response.headers["retry-after"] == "90"
    assert _get(server.url, "/1/api", {"t": "caps"}).status_code == 401


def test_fake_seed_and_state(server: LiveServer) -> None:
    fresh = create_fake({"api_key": "seeded-key", "indexers": [{"id": 7, "name": "Seeded"}]})
    with serve(fresh.app) as live:
        seed = {"releases": [{"title": "Seeded Book", "indexer_id": 7, "publish_date": "2026-05-01T00:00:00Z"}]}
        assert httpx.post(f"{live.url}/__fake__/seed", json=seed).json()["releases"] == 1
        found = _get(live.url, "/api/v1/search", {"query": "seeded"}, {"X-Api-Key": "seeded-key"}).json()
        state = httpx.get(f"{live.url}/__fake__/state").json()
    assert [r["publishDate"] for r in found] == ["2026-05-01T00:00:00Z"]
    assert state["requests"][-1][:2] == ["GET", "/api/v1/search"]
    assert create_fake().releases  # the demo set for `fakes serve`


def test_no_key_to_a_foreign_download_link(fake: FakeProwlarr, server: LiveServer) -> None:
    with serve(fake.app) as other:
        release = Release(indexer="x", title="t", guid="g", download_url=f"{other.url}/tracker/1.torrent")
        data = run(server.url, lambda c: c.fetch_torrent(release))
    assert data == fake.releases[0].torrent
    assert fake.tracker_requests == [{"path": "/tracker/1.torrent", "api_key_sent": False}]


def test_search_failure_is_bad_response(fake: FakeProwlarr, server: LiveServer) -> None:
    fake.search_error = "Search failed due to an internal error"
    with pytest.raises(ServiceBadResponse) as caught:
        run(server.url, kings)
    assert caught.value.details["status"] == 400  # type: ignore[index]
    assert "internal error" in caught.value.details["body"]  # type: ignore[index]
    assert len(fake.requests) == 1  # a 400 is not retried
