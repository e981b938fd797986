"""The Deluge adapter against a real deluged on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from shelfkeeper.adapters.deluge import DelugeClient, build
from shelfkeeper.domain.torrents.status import AddTorrent, TorrentInfo, TorrentState
from shelfkeeper.errors import ServiceAuthFailed, ServiceBadResponse
from shelfkeeper.testing.deluge import DelugeProcess
from shelfkeeper.testing.server import free_port
from shelfkeeper.testing.torrents import info_hash, make_audio_book, make_torrent

pytestmark = pytest.mark.deluge


def client_for(daemon: DelugeProcess, *, password: str | None = None) -> DelugeClient:
    return build(daemon.host, daemon.port, daemon.username, password or daemon.password, timeout=5.0)


def one(client: DelugeClient, torrent_id: str) -> TorrentInfo | None:
    found = asyncio.run(client.info(hashes=[torrent_id]))
    return found[0] if found else None


def wait_until(client: DelugeClient, torrent_id: str, accept: Callable[[TorrentInfo], bool]) -> TorrentInfo:
    deadline = time.monotonic() + 15.0
    while True:
        info = one(client, torrent_id)
        if info is not None and accept(info):
            return info
        if time.monotonic() > deadline:
            pytest.fail(f"torrent never reached the expected state; last seen {info!r}")
        time.sleep(0.1)


def test_connection_reports_the_daemon_version(daemon):
    client = client_for(daemon)
    report = asyncio.run(client.test_connection())
    assert (report.configured, report.reachable, report.auth_ok, report.error) == (True, True, True, None)
    assert report.version and report.version[0].isdigit()
    asyncio.run(client.aclose())


def test_wrong_password_is_an_auth_failure_and_never_raises(daemon):
    client = client_for(daemon, password="not-the-password")
    report = asyncio.run(client.test_connection())
    assert (report.reachable, report.auth_ok, report.error_code) == (True, False, "SERVICE_AUTH_FAILED")
    assert "not-the-password" not in (report.error or "")
    with pytest.raises(ServiceAuthFailed):
        asyncio.run(client.info())


def test_unreachable_daemon_is_reported_not_raised():
    report = asyncio.run(build("127.0.0.1", free_port(), "u", "p", timeout=2.0).test_connection())
    assert (report.reachable, report.auth_ok, report.error_code) == (False, None, "SERVICE_UNREACHABLE")


def test_without_the_label_plugin_a_torrent_gets_no_label_and_the_plugin_stays_off(tmp_path):
    with DelugeProcess() as fresh:  # a daemon of its own: the shared one has the plugin switched on
        save_path = fresh.save_dir / "seeded"
        make_audio_book(save_path / "Author - Book", 1, 1.0, seed=3001)
        torrent = make_torrent(save_path / "Author - Book")
        client = client_for(fresh)
        torrent_id = asyncio.run(client.add(AddTorrent(torrent_file=torrent, save_path=str(save_path),
                                                       category="audiobooks")))  # fmt: skip
        assert torrent_id == info_hash(torrent)
        assert one(client, torrent_id).category == ""  # type: ignore[union-attr]
        assert "Label" not in asyncio.run(client._call("core.get_enabled_plugins"))
        asyncio.run(client.aclose())


def test_add_reads_back_a_seeded_torrent_with_its_label(daemon, book):
    client = client_for(daemon)
    asyncio.run(client.ensure_category("audiobooks"))  # switches the Label plugin on: labels are used from now
    torrent = AddTorrent(torrent_file=book.torrent, save_path=str(book.save_path), category="AudioBooks", tags=("mam",))
    torrent_id = asyncio.run(client.add(torrent))
    assert torrent_id == book.info_hash
    info = wait_until(client, torrent_id, lambda t: t.raw_state == "Seeding")
    assert info.state is TorrentState.COMPLETED
    assert info.progress == 1.0
    assert info.size_bytes == sum(p.stat().st_size for p in book.folder.rglob("*") if p.is_file())
    assert info.downloaded_bytes == info.size_bytes
    assert (info.category, info.tags) == ("audiobooks", ())  # lowercased by the Label plugin; no tags in Deluge
    assert info.save_path == str(book.save_path)
    assert info.content_path == str(book.folder)
    assert [t.info_hash for t in asyncio.run(client.info(category="audiobooks"))] == [torrent_id]
    assert asyncio.run(client.info(category="ebooks")) == []
    assert asyncio.run(client.info(tag="mam")) == []
    # Adding it again is not an error: the same hash comes back.
    assert asyncio.run(client.add(torrent)) == torrent_id
    asyncio.run(client.delete([torrent_id], delete_files=False))
    asyncio.run(client.aclose())


def test_pause_resume_and_delete_keeping_the_data(daemon, book):
    client = client_for(daemon)
    torrent_id = asyncio.run(client.add(AddTorrent(torrent_file=book.torrent, save_path=str(book.save_path))))
    wait_until(client, torrent_id, lambda t: t.raw_state == "Seeding")
    asyncio.run(client.pause([torrent_id]))
    paused = wait_until(client, torrent_id, lambda t: t.raw_state == "Paused")
    assert paused.state is TorrentState.COMPLETED  # paused after finishing is still complete data
    asyncio.run(client.resume([torrent_id]))
    wait_until(client, torrent_id, lambda t: t.raw_state == "Seeding")
    asyncio.run(client.delete([torrent_id], delete_files=False))
    assert one(client, torrent_id) is None
    assert book.folder.is_dir()
    asyncio.run(client.delete([torrent_id], delete_files=False))  # already gone: not an error
    asyncio.run(client.aclose())


def test_delete_with_data_removes_the_files(daemon, book):
    client = client_for(daemon)
    torrent_id = asyncio.run(client.add(AddTorrent(torrent_file=book.torrent, save_path=str(book.save_path))))
    wait_until(client, torrent_id, lambda t: t.state is TorrentState.COMPLETED)
    asyncio.run(client.delete([torrent_id], delete_files=True))
    assert one(client, torrent_id) is None
    deadline = time.monotonic() + 10.0
    while book.folder.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not book.folder.exists()
    asyncio.run(client.aclose())


def test_a_torrent_without_its_data_is_not_complete(daemon, book, tmp_path):
    client = client_for(daemon)
    empty = tmp_path / "empty"
    empty.mkdir()
    torrent_id = asyncio.run(client.add(AddTorrent(torrent_file=book.torrent, save_path=str(empty), paused=True)))
    info = wait_until(client, torrent_id, lambda t: t.raw_state == "Paused")
    assert info.state is TorrentState.PAUSED
    assert info.progress == 0.0
    asyncio.run(client.resume([torrent_id]))
    info = wait_until(client, torrent_id, lambda t: t.raw_state == "Downloading")
    assert info.state is TorrentState.STALLED  # no peer at all on loopback without a tracker
    asyncio.run(client.delete([torrent_id], delete_files=True))
    asyncio.run(client.aclose())


def test_magnet_waits_for_metadata(daemon):
    client = client_for(daemon)
    magnet = "magnet:?xt=urn:btih:" + "cd" * 20 + "&dn=Some+Book"
    torrent_id = asyncio.run(client.add(AddTorrent(url=magnet, category="audiobooks")))
    assert torrent_id == "cd" * 20
    info = wait_until(client, torrent_id, lambda t: t.raw_state == "Downloading")
    assert info.state is TorrentState.METADATA
    assert info.category == "audiobooks"
    asyncio.run(client.delete([torrent_id], delete_files=True))
    asyncio.run(client.aclose())


def test_bad_bytes_are_refused_before_sending(daemon):
    with pytest.raises(ServiceBadResponse):
        asyncio.run(client_for(daemon).add(AddTorrent(torrent_file=b"not a torrent")))


def test_ensure_category_creates_the_label_and_refuses_bad_names(daemon):
    client = client_for(daemon)
    asyncio.run(client.ensure_category("ebooks"))
    asyncio.run(client.ensure_category("ebooks"))  # twice is fine
    with pytest.raises(ValueError):
        asyncio.run(client.ensure_category("audio books"))
    asyncio.run(client.aclose())
