"""Usenet end to end: Prowlarr's Newznab release grabbed into a real NZBGet whose news server has no article;
the failed download is failed, blocklisted and replaced by the next-best release, as a dead torrent is."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from shelfkeeper.adapters import nzbget
from shelfkeeper.automation.acquisition import acquire_wanted
from shelfkeeper.automation.download_monitor import (
    cancel_download,
    download_monitor_task,
    pause_download,
    resume_download,
)
from shelfkeeper.db.tables import BlocklistEntry, Download, FailedAttempt, WantedBook
from shelfkeeper.domain.releases.ranking import release_title_key
from shelfkeeper.domain.torrents.nzb import nzb_id
from shelfkeeper.domain.torrents.status import TorrentInfo, TorrentState
from shelfkeeper.testing.nntp import EmptyNewsServer
from shelfkeeper.testing.nzbget import NewsServer, NzbgetProcess
from tests.automation.acquisition_support import Stack, build_stack, unique_size, wait_until

pytestmark = pytest.mark.nzbget


@pytest.fixture(scope="module")
def news_server() -> Iterator[EmptyNewsServer]:
    with EmptyNewsServer() as server:
        yield server


@pytest.fixture(scope="module")
def daemon(news_server: EmptyNewsServer) -> Iterator[NzbgetProcess]:
    with NzbgetProcess(servers=[NewsServer(port=news_server.port)]) as process:
        yield process


@pytest.fixture
def stack(engine, tmp_path, daemon: NzbgetProcess) -> Iterator[Stack]:
    yield from build_stack(
        engine,
        tmp_path,
        qbittorrent=False,  # usenet only: qBittorrent's settings point at a port nothing listens on
        nzbget_url=daemon.url,
        nzbget_username=daemon.username,
        nzbget_password=daemon.password,
    )


def in_nzbget(daemon: NzbgetProcess, download_id: str) -> TorrentInfo | None:
    async def look() -> TorrentInfo | None:
        client = nzbget.build(daemon.url, daemon.username, daemon.password, timeout=5.0)
        try:
            found = await client.info(hashes=[download_id])
        finally:
            await client.aclose()
        return found[0] if found else None

    return asyncio.run(look())


def rows(stack: Stack, table):
    with stack.context.sessions() as session:
        return list(session.scalars(select(table).order_by(table.id)))


def monitor(stack: Stack):
    return stack.go(download_monitor_task, **{"import": False})


def test_missing_articles_fail_blocklist_and_replace_the_usenet_download(stack: Stack, daemon: NzbgetProcess):
    stack.prowlarr.add_indexer(4, "NZBgeek", protocol="usenet", privacy="semiPrivate", definition_name="Newznab")
    best = stack.prowlarr.add_release(
        "Andy Weir - Project Hail Mary [M4B]", indexer_id=4, grabs=50, size=unique_size(60)
    )
    other = stack.prowlarr.add_release(
        "Andy Weir - Project Hail Mary [MP3]", indexer_id=4, grabs=2, size=unique_size(60)
    )
    assert best.nzb and other.nzb
    stack.wanted("Project Hail Mary", "Andy Weir")

    assert stack.go(acquire_wanted).counts["grabbed"] == 1
    (first,) = rows(stack, Download)
    assert (first.info_hash, first.release["release"]["protocol"]) == (nzb_id(best.nzb), "usenet")
    failed_in_client = wait_until(
        lambda: in_nzbget(daemon, first.info_hash), lambda t: t is not None and t.state is TorrentState.ERROR
    )
    assert failed_in_client.raw_state.startswith("FAILURE/") and failed_in_client.category == "sk-tests"

    stack.clock.advance(minutes=1)
    result = monitor(stack)
    assert (result.counts["failed"], result.counts["retry_scheduled"]) == (1, 1)
    (failed,) = rows(stack, Download)
    assert failed.status == "failed"
    assert failed.result.startswith(f"the download client reports an error ({failed_in_client.raw_state}: ")
    assert "health 0%" in failed.result
    assert in_nzbget(daemon, first.info_hash) is None  # removed from NZBGet, history included
    (entry,) = rows(stack, BlocklistEntry)
    assert (entry.info_hash, entry.title_key, entry.indexer) == (
        nzb_id(best.nzb),
        release_title_key(best.title),
        "NZBgeek",
    )
    (attempt,) = rows(stack, FailedAttempt)
    assert attempt.evidence["client_state"] == failed_in_client.raw_state and attempt.evidence["seeders"] == 0
    assert [w.status for w in rows(stack, WantedBook)] == ["wanted"]

    stack.clock.advance(minutes=16)  # past the first retry's back-off
    assert monitor(stack).counts["retry_grabbed"] == 1
    (retried,) = rows(stack, Download)
    assert (retried.id, retried.info_hash, retried.retry_count) == (failed.id, nzb_id(other.nzb), 1)
    assert retried.release["previous"][0]["info_hash"] == nzb_id(best.nzb)
    assert in_nzbget(daemon, retried.info_hash) is not None
    assert [w.status for w in rows(stack, WantedBook)] == ["grabbed"]


def test_a_usenet_download_is_paused_resumed_and_cancelled_through_nzbget(stack: Stack, daemon: NzbgetProcess):
    daemon.call("pausedownload")  # the whole queue waits: the item stays in the queue while we act on it
    try:
        stack.prowlarr.add_indexer(4, "NZBgeek", protocol="usenet", definition_name="Newznab")
        stack.prowlarr.add_release("Martha Wells - All Systems Red [M4B]", indexer_id=4, size=unique_size(40))
        stack.wanted("All Systems Red", "Martha Wells")
        assert stack.go(acquire_wanted).counts["grabbed"] == 1
        (row,) = rows(stack, Download)
        assert stack.go(lambda run: pause_download(run, row.id)).status == "paused"
        assert in_nzbget(daemon, row.info_hash).state is TorrentState.PAUSED
        assert stack.go(lambda run: resume_download(run, row.id)).status == "downloading"
        assert in_nzbget(daemon, row.info_hash).state is TorrentState.QUEUED
        assert stack.go(lambda run: cancel_download(run, row.id)).status == "cancelled"
        assert in_nzbget(daemon, row.info_hash) is None
    finally:
        daemon.call("resumedownload")
