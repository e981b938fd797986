"""Several download clients: the order they are tried in, a client that is down skipped for the next, and every
download followed (state, pause, resume, cancel) through the client that holds it."""

from __future__ import annotations

from sqlalchemy import select

from shelfkeeper.automation.acquisition import acquire_wanted
from shelfkeeper.automation.download_monitor import cancel_download, download_monitor_task, pause_download
from shelfkeeper.db.tables import Download, EventRow
from shelfkeeper.domain.releases.release import DownloadProtocol
from shelfkeeper.domain.torrents.status import AddTorrent, TorrentState
from shelfkeeper.download_clients import ordered_clients
from shelfkeeper.errors import ServiceUnreachable
from shelfkeeper.settings import Settings
from shelfkeeper.testing.doubles import InMemoryDownloadClient
from tests.automation.acquisition_support import build_stack, unique_size


def order(**values) -> list[str]:
    settings = Settings(_env_file=None, **values)
    configured = settings.configured_services()
    return [e.name for e in ordered_clients(settings, configured.__getitem__, DownloadProtocol.TORRENT)]


def test_clients_are_tried_by_priority_lowest_number_first_ties_in_fixed_order():
    every = {"qb_host": "qb", "transmission_url": "http://tr:9091", "deluge_host": "deluge"}
    assert order(**every) == ["qbittorrent", "transmission", "deluge"]  # all 1: the fixed order
    assert order(**every, qb_priority=5, deluge_priority=2) == ["transmission", "deluge", "qbittorrent"]
    assert order(**every, transmission_enabled=False) == ["qbittorrent", "deluge"]
    assert order(transmission_url="http://tr:9091", deluge_host="deluge", deluge_priority=50) == [
        "transmission",
        "deluge",
    ]  # qBittorrent not configured: not a choice
    assert order() == []
    settings = Settings(_env_file=None, **every)
    assert ordered_clients(settings, settings.configured_services().__getitem__, DownloadProtocol.USENET) == []
    usenet = Settings(_env_file=None, **every, nzbget_url="http://nzbget:6789")
    chosen = ordered_clients(usenet, usenet.configured_services().__getitem__, DownloadProtocol.USENET)
    assert [e.name for e in chosen] == ["nzbget"]  # the usenet client, never a torrent one
    assert order(**every, nzbget_url="http://nzbget:6789") == ["qbittorrent", "transmission", "deluge"]
    off = Settings(_env_file=None, nzbget_url="http://nzbget:6789", nzbget_enabled=False)
    assert ordered_clients(off, off.configured_services().__getitem__, DownloadProtocol.USENET) == []


class SwitchableClient(InMemoryDownloadClient):
    """An in-memory client that can be switched off: every call then fails as an unreachable daemon does."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service, self.down = service, False

    def _check(self) -> None:
        if self.down:
            raise ServiceUnreachable(self.service, "cannot reach the daemon (ConnectionRefusedError)")

    async def add(self, torrent: AddTorrent) -> str:
        self._check()
        return await super().add(torrent)

    async def info(self, **filters):  # type: ignore[no-untyped-def]
        self._check()
        return await super().info(**filters)


def seed(stack, title: str):
    if 1 not in stack.prowlarr.indexers:
        stack.prowlarr.add_indexer(1, "Indexer 1", definition_name="cardigann")
    return stack.prowlarr.add_release(title, indexer_id=1, size=unique_size())


def downloads(stack) -> list[Download]:
    with stack.context.sessions() as session:
        return list(session.scalars(select(Download).order_by(Download.id)))


def test_a_client_that_is_down_is_reported_and_skipped_for_the_next(engine, tmp_path):
    # qBittorrent (first: all priorities 1) listens nowhere; Transmission takes the torrent with its own placement
    for stack in build_stack(engine, tmp_path, qbittorrent=False, transmission_label="sk-label",
                             transmission_save_path="/transmission/downloads"):  # fmt: skip
        transmission = stack.adapters["transmission"] = InMemoryDownloadClient()
        release = seed(stack, "Andy Weir - Project Hail Mary [M4B]")
        stack.wanted("Project Hail Mary", "Andy Weir")

        result = stack.go(acquire_wanted)

        assert result.counts == {"considered": 1, "searched": 1, "grabbed": 1}
        (row,) = downloads(stack)
        assert (row.status, row.download_client, row.save_path) == ("downloading", "transmission",
                                                                     "/transmission/downloads")  # fmt: skip
        torrent = transmission.torrents[release.info_hash]
        assert (torrent.category, set(torrent.tags)) == ("sk-label", {"shelfkeeper", f"sk-{row.id}"})
        assert torrent.save_path == "/transmission/downloads"
        with stack.context.sessions() as session:
            (event,) = session.scalars(select(EventRow).where(EventRow.type == "grabbed"))
        (skipped,) = event.data["details"]["skipped_clients"]
        assert (skipped["client"], skipped["code"]) == ("qbittorrent", "SERVICE_UNREACHABLE")
        assert "sent to transmission" in event.message and "qbittorrent: cannot reach" in event.message
        assert event.data["download"]["client"] == "transmission"


def test_every_download_is_followed_through_its_own_client(engine, tmp_path):
    for stack in build_stack(engine, tmp_path, qbittorrent=False, transmission_priority=1, qb_priority=2):
        follow_each(stack)


def follow_each(stack) -> None:
    qbt = stack.adapters["qbittorrent"] = SwitchableClient("qbittorrent")
    transmission = stack.adapters["transmission"] = SwitchableClient("transmission")
    first = seed(stack, "Andy Weir - Project Hail Mary [M4B]")
    second = seed(stack, "Andy Weir - The Martian [M4B]")
    stack.wanted("Project Hail Mary", "Andy Weir", priority=2)
    transmission.down = True  # the preferred client is down for the first book only
    assert stack.go(lambda run: acquire_wanted(run, limit=1)).counts["grabbed"] == 1
    transmission.down = False
    stack.wanted("The Martian", "Andy Weir")
    assert stack.go(acquire_wanted).counts["grabbed"] == 1
    in_qbt, in_transmission = downloads(stack)
    assert (in_qbt.info_hash, in_qbt.download_client) == (first.info_hash, "qbittorrent")
    assert (in_transmission.info_hash, in_transmission.download_client) == (second.info_hash, "transmission")
    assert list(qbt.torrents) == [first.info_hash] and list(transmission.torrents) == [second.info_hash]

    qbt.advance(first.info_hash, state=TorrentState.COMPLETED, progress=1.0, content_path="/qb/x")
    transmission.advance(second.info_hash, state=TorrentState.DOWNLOADING, progress=0.5)
    stack.clock.advance(minutes=1)
    assert stack.go(download_monitor_task, **{"import": False}).counts["completed"] == 1
    in_qbt, in_transmission = downloads(stack)
    assert (in_qbt.status, in_transmission.status, in_transmission.progress) == ("completed", "downloading", 0.5)

    transmission.down = True  # one client unreadable: its downloads are not judged (no "gone", no stall)
    stack.clock.advance(hours=3)  # well past DOWNLOAD_STALL_MINUTES
    qbt_before = len(qbt.called("info"))
    stalled_later = stack.go(download_monitor_task, **{"import": False})
    assert stalled_later.metrics["client_errors"] == {
        "transmission": "transmission: cannot reach the daemon (ConnectionRefusedError)"
    }
    assert "failed" not in stalled_later.counts and downloads(stack)[1].status == "downloading"
    assert len(qbt.called("info")) == qbt_before  # the completed one is no longer watched
    transmission.down = False

    stack.go(lambda run: pause_download(run, in_transmission.id))
    assert transmission.called("pause") == [((second.info_hash,),)] and qbt.called("pause") == []
    stack.go(lambda run: cancel_download(run, in_transmission.id, delete_files=True))
    assert transmission.deleted == {second.info_hash: True} and qbt.deleted == {}
    assert first.info_hash in qbt.torrents, "the other client's torrent is left alone"
