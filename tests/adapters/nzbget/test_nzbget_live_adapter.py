"""The NZBGet adapter against a real nzbget 21 on 127.0.0.1 (Debian's package), and a 430-only news server."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable

import pytest

from shelfkeeper.adapters.nzbget import NzbgetClient, build
from shelfkeeper.domain.torrents.nzb import nzb_id
from shelfkeeper.domain.torrents.status import AddTorrent, TorrentInfo, TorrentState
from shelfkeeper.errors import ServiceAuthFailed, ServiceBadResponse
from shelfkeeper.testing.nntp import EmptyNewsServer
from shelfkeeper.testing.nzbget import NzbgetProcess, make_nzb

pytestmark = pytest.mark.nzbget

_numbers = itertools.count(1)


def client_for(daemon: NzbgetProcess, *, password: str | None = None) -> NzbgetClient:
    return build(daemon.url, daemon.username, password or daemon.password, timeout=5.0)


def a_book(**options: object) -> tuple[str, bytes]:
    name = f"Author.{next(_numbers)}-Some.Book.Unabridged.M4B"
    return name, make_nzb(name, **options)  # type: ignore[arg-type]


async def wait_for(
    client: NzbgetClient, download_id: str, accept: Callable[[TorrentInfo], bool], within: float = 30.0
) -> TorrentInfo:
    deadline = time.monotonic() + within
    seen: TorrentInfo | None = None
    while time.monotonic() < deadline:
        found = await client.info(hashes=[download_id])
        seen = found[0] if found else None
        if seen is not None and accept(seen):
            return seen
        await asyncio.sleep(0.2)
    pytest.fail(f"download {download_id} never reached the expected state; last seen {seen!r}")


def test_connection_reports_the_version(idle_nzbget):
    async def scenario() -> None:
        client = client_for(idle_nzbget)
        report = await client.test_connection()
        assert (report.configured, report.reachable, report.auth_ok, report.error) == (True, True, True, None)
        assert report.version == idle_nzbget.call("version")
        await client.aclose()

    asyncio.run(scenario())


def test_wrong_password_is_an_auth_failure_and_never_raises(idle_nzbget):
    async def scenario() -> None:
        client = client_for(idle_nzbget, password="not-the-password")
        report = await client.test_connection()
        assert (report.reachable, report.auth_ok, report.error_code) == (True, False, "SERVICE_AUTH_FAILED")
        assert "not-the-password" not in (report.error or "")
        with pytest.raises(ServiceAuthFailed):
            await client.info()
        await client.aclose()

    asyncio.run(scenario())


def test_unreachable_nzbget_is_reported_not_raised():
    async def scenario() -> None:
        client = build("http://127.0.0.1:1", "u", "p", timeout=2.0, max_attempts=1)
        report = await client.test_connection()
        assert (report.reachable, report.auth_ok, report.error_code) == (False, None, "SERVICE_UNREACHABLE")
        await client.aclose()

    asyncio.run(scenario())


def test_appended_nzb_is_queued_and_reported_with_its_category_and_size(idle_nzbget):
    name, nzb = a_book(files=2, segments=3, segment_bytes=100_000)

    async def scenario() -> None:
        client = client_for(idle_nzbget)
        download_id = await client.add(AddTorrent(nzb_file=nzb, category="audiobooks"))
        assert download_id == nzb_id(nzb)
        [info] = await client.info(hashes=[download_id])
        assert (info.state, info.raw_state, info.name, info.category) == (
            TorrentState.QUEUED,
            "QUEUED",
            name,
            "audiobooks",
        )
        assert info.size_bytes == 2 * 3 * 100_000 + 10_000  # two parts of three articles, a one-article par2
        assert (info.progress, info.downloaded_bytes, info.error) == (0.0, 0, None)
        assert info.content_path.endswith(f"/inter/{name}.#{_nzbid_of(idle_nzbget, download_id)}")
        assert await client.add(AddTorrent(nzb_file=nzb, category="audiobooks")) == download_id  # no second copy
        assert len(idle_nzbget.call("listgroups", 0)) == len(await client.info())
        assert await client.info(hashes=[download_id], category="ebooks") == []
        assert await client.info(hashes=[download_id], tag="sk-1") == []  # NZBGet has no tags
        await client.delete([download_id], delete_files=True)
        await client.aclose()

    asyncio.run(scenario())


def _nzbid_of(daemon: NzbgetProcess, download_id: str) -> int:
    [found] = [g["NZBID"] for g in daemon.call("listgroups", 0) if g["DupeKey"] == f"shelfkeeper-{download_id}"]
    return int(found)


def test_pause_resume_and_delete_without_a_trace(idle_nzbget):
    _, nzb = a_book()

    async def scenario() -> None:
        client = client_for(idle_nzbget)
        download_id = await client.add(AddTorrent(nzb_file=nzb, category="audiobooks", paused=True))
        assert (await wait_for(client, download_id, lambda i: True)).state is TorrentState.PAUSED
        await client.resume([download_id])
        assert (await client.info(hashes=[download_id]))[0].state is TorrentState.QUEUED
        await client.pause([download_id])
        assert (await client.info(hashes=[download_id]))[0].raw_state == "PAUSED"
        await client.delete([download_id], delete_files=False)
        assert await client.info(hashes=[download_id]) == []
        assert [h for h in idle_nzbget.call("history", False) if h["DupeKey"].endswith(download_id)] == []
        await client.pause([download_id])  # gone: nothing to do, no error
        await client.aclose()

    asyncio.run(scenario())


def test_something_that_is_not_an_nzb_is_refused_before_nzbget_sees_it(idle_nzbget):
    async def scenario() -> None:
        client = client_for(idle_nzbget)
        before = len(idle_nzbget.call("history", False)) + len(idle_nzbget.call("listgroups", 0))
        with pytest.raises(ServiceBadResponse, match="not a valid NZB"):
            await client.add(AddTorrent(nzb_file=b"<html>login</html>"))
        with pytest.raises(ValueError, match="NZB files only"):
            await client.add(AddTorrent(torrent_file=b"d4:infod4:name1:aee"))
        assert len(idle_nzbget.call("history", False)) + len(idle_nzbget.call("listgroups", 0)) == before
        await client.aclose()

    asyncio.run(scenario())


def test_missing_articles_fail_within_seconds_with_a_reason(empty_server_nzbget, news_server: EmptyNewsServer):
    _, nzb = a_book(files=1, segments=2)

    async def scenario() -> None:
        client = client_for(empty_server_nzbget)
        download_id = await client.add(AddTorrent(nzb_file=nzb, category="audiobooks"))
        info = await wait_for(client, download_id, lambda i: i.state is TorrentState.ERROR, within=30.0)
        assert info.raw_state == "FAILURE/PAR"
        assert info.error is not None and "par" in info.error and "health 0%" in info.error
        assert "3 articles failed" in info.error and info.progress < 1.0
        assert {"BODY", "ARTICLE"} & set(news_server.commands)  # it did ask our server, which had nothing
        await client.delete([download_id], delete_files=True)
        assert await client.info(hashes=[download_id]) == []
        await client.aclose()

    asyncio.run(scenario())


def test_missing_articles_without_par2_fail_too(empty_server_nzbget):
    _, nzb = a_book(files=1, segments=2, par2=False)

    async def scenario() -> None:
        client = client_for(empty_server_nzbget)
        download_id = await client.add(AddTorrent(nzb_file=nzb, category="audiobooks"))
        info = await wait_for(client, download_id, lambda i: i.state is TorrentState.ERROR, within=30.0)
        assert info.raw_state.startswith("FAILURE/") and info.error
        await client.aclose()

    asyncio.run(scenario())


def test_no_reachable_news_server_fails_the_download(dead_server_nzbget):
    _, nzb = a_book(files=1, segments=2)

    async def scenario() -> None:
        client = client_for(dead_server_nzbget)
        download_id = await client.add(AddTorrent(nzb_file=nzb, category="audiobooks"))
        info = await wait_for(client, download_id, lambda i: i.state is TorrentState.ERROR, within=40.0)
        assert info.raw_state.startswith("FAILURE/") and info.error and "health 0%" in info.error
        await client.aclose()

    asyncio.run(scenario())
