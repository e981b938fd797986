"""The monitor with one client per protocol (in-memory doubles): each download is read from its own client, and a
client that cannot be read leaves its downloads alone while the other's are still judged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from shelfkeeper.automation.acquisition import acquire_wanted
from shelfkeeper.automation.download_monitor import download_monitor_task
from shelfkeeper.db.tables import BlocklistEntry, Download
from shelfkeeper.domain.torrents.status import TorrentState
from shelfkeeper.errors import ServiceUnreachable
from shelfkeeper.testing.doubles.downloads import InMemoryDownloadClient
from tests.automation.acquisition_support import Stack, build_stack, unique_size


class DownClient(InMemoryDownloadClient):
    """qBittorrent while it is down: every read fails."""

    async def info(self, **_: object) -> list:  # type: ignore[override]
        raise ServiceUnreachable("qbittorrent", "connection refused")


@pytest.fixture
def stack(engine, tmp_path) -> Iterator[Stack]:
    for built in build_stack(engine, tmp_path, qbittorrent=False, nzbget_url="http://127.0.0.1:1"):
        built.adapters.update(qbittorrent=InMemoryDownloadClient(), nzbget=InMemoryDownloadClient())
        yield built


def downloads(stack: Stack) -> dict[str, Download]:
    with stack.context.sessions() as session:
        return {row.release_title: row for row in session.scalars(select(Download))}


def test_each_download_goes_to_and_is_read_from_its_protocols_client(stack: Stack) -> None:
    torrents, usenet = stack.adapters["qbittorrent"], stack.adapters["nzbget"]
    stack.prowlarr.add_indexer(1, "Audio Indexer", definition_name="cardigann")
    stack.prowlarr.add_indexer(4, "NZBgeek", protocol="usenet", definition_name="Newznab")
    stack.prowlarr.add_release("Andy Weir - The Martian [M4B]", indexer_id=1, size=unique_size(), seeders=5)
    stack.prowlarr.add_release("Martha Wells - All Systems Red [M4B]", indexer_id=4, size=unique_size(), grabs=9)
    stack.wanted("The Martian", "Andy Weir")
    stack.wanted("All Systems Red", "Martha Wells")
    assert stack.go(acquire_wanted).counts["grabbed"] == 2
    rows = downloads(stack)
    martian, murderbot = rows["Andy Weir - The Martian [M4B]"], rows["Martha Wells - All Systems Red [M4B]"]
    assert set(torrents.torrents) == {martian.info_hash} and set(usenet.torrents) == {murderbot.info_hash}

    usenet.advance(murderbot.info_hash, state=TorrentState.ERROR, raw_state="FAILURE/UNPACK", error="unpacking failed")
    stack.adapters["qbittorrent"] = DownClient()  # qBittorrent goes down: its download is left as it is
    stack.clock.advance(minutes=1)
    result = stack.go(download_monitor_task, **{"import": False})
    assert result.counts["failed"] == 1 and "connection refused" in result.metrics["client_error"]
    rows = downloads(stack)
    assert rows["Andy Weir - The Martian [M4B]"].status == "downloading"
    failed = rows["Martha Wells - All Systems Red [M4B]"]
    assert (failed.status, failed.result) == (
        "failed",
        "the download client reports an error (FAILURE/UNPACK: unpacking failed)",
    )
    assert murderbot.info_hash not in usenet.torrents  # removed from its client
    with stack.context.sessions() as session:
        assert [e.info_hash for e in session.scalars(select(BlocklistEntry))] == [murderbot.info_hash]
