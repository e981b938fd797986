"""The qBittorrent adapter against a real qbittorrent-nox on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import logging

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from shelfkeeper.adapters.qbittorrent import QbittorrentClient, build
from shelfkeeper.domain.torrents.status import AddTorrent, TorrentInfo, TorrentState
from shelfkeeper.errors import ServiceAuthFailed, ServiceBadResponse, ServiceUnreachable
from shelfkeeper.testing.server import free_port, serve
from shelfkeeper.testing.torrents import info_hash, make_torrent

pytestmark = pytest.mark.qbittorrent


def one(client: QbittorrentClient, torrent_id: str) -> TorrentInfo | None:
    found = asyncio.run(client.info(hashes=[torrent_id]))
    return found[0] if found else None


def wait_for_state(wait, client: QbittorrentClient, torrent_id: str, *states: TorrentState) -> TorrentInfo:
    info = wait(lambda: one(client, torrent_id), lambda t: t is not None and t.state in states)
    assert info is not None
    return info


def wait_for_raw(wait, client: QbittorrentClient, torrent_id: str, accept) -> TorrentInfo:
    return wait(lambda: one(client, torrent_id), lambda t: t is not None and accept(t.raw_state))


def add_seeded(client: QbittorrentClient, book, **placement) -> str:
    return asyncio.run(client.add(AddTorrent(torrent_file=book.torrent, save_path=str(book.save_path), **placement)))


def test_connection_reports_the_running_version(client, installed_version):
    report = asyncio.run(client.test_connection())
    assert (report.service, report.configured, report.reachable, report.auth_ok) == ("qbittorrent", True, True, True)
    assert report.version == installed_version
    assert report.error is None


def test_version_detection_follows_the_major_version(client, installed_version):
    major = int(installed_version.lstrip("v").split(".")[0])
    api_version = asyncio.run(client.api_version())
    assert api_version[0] == 2
    assert asyncio.run(client.uses_stop_naming()) is (major >= 5)


def test_a_torrent_whose_data_is_there_completes(client, book, wait):
    torrent_id = add_seeded(client, book, category="audiobooks", tags=("shelfkeeper", "book"))
    assert torrent_id == book.info_hash
    info = wait_for_state(wait, client, torrent_id, TorrentState.COMPLETED)
    assert info.info_hash == info_hash(book.torrent)  # our SHA-1 of the info dict is qBittorrent's id
    assert info.raw_state in {"stalledUP", "uploading", "queuedUP", "forcedUP"}
    assert info.name == book.folder.name
    assert info.progress == 1.0
    assert info.size_bytes == book.size
    assert info.downloaded_bytes == book.size
    assert info.save_path == str(book.save_path)
    assert info.content_path == str(book.folder)
    assert info.category == "audiobooks"
    assert info.tags == ("book", "shelfkeeper")
    assert info.eta_seconds is None  # 8640000 = never
    assert info.completed_on is not None and info.added_on is not None
    assert info.is_complete


def test_a_single_file_torrent_gets_the_same_id_as_we_compute(client, qbt, wait, new_book):
    book = new_book(qbt.save_dir / "single", n_files=1)
    (file,) = book.folder.iterdir()
    torrent = make_torrent(file)
    torrent_id = asyncio.run(client.add(AddTorrent(torrent_file=torrent, save_path=str(book.folder))))
    info = wait_for_state(wait, client, torrent_id, TorrentState.COMPLETED)
    assert info.info_hash == info_hash(torrent) == torrent_id
    assert info.content_path == str(file)


def test_adding_the_same_torrent_twice_is_idempotent(client, book):
    first = add_seeded(client, book)
    second = add_seeded(client, book, category="other")
    assert first == second == book.info_hash
    assert [t.info_hash for t in asyncio.run(client.info(hashes=[first]))] == [first]


def test_a_refused_torrent_that_is_not_there_is_a_bad_response(client, book):
    torrent = AddTorrent(torrent_file=book.torrent[:-1])  # cut short: no longer bencode
    with pytest.raises(ServiceBadResponse, match=r"not a valid \.torrent"):
        asyncio.run(client.add(torrent))
    assert asyncio.run(client.info(hashes=[book.info_hash])) == []


def test_pause_and_resume_a_completed_torrent(client, book, wait):
    torrent_id = add_seeded(client, book)
    wait_for_state(wait, client, torrent_id, TorrentState.COMPLETED)
    asyncio.run(client.pause([torrent_id]))
    paused = wait_for_raw(wait, client, torrent_id, lambda raw: raw in {"pausedUP", "stoppedUP"})
    assert paused.state is TorrentState.COMPLETED  # paused after finishing still counts as done
    asyncio.run(client.resume([torrent_id]))
    resumed = wait_for_raw(wait, client, torrent_id, lambda raw: raw not in {"pausedUP", "stoppedUP"})
    assert resumed.state in {TorrentState.COMPLETED, TorrentState.CHECKING}


def test_pause_and_resume_a_torrent_without_data(client, qbt, tmp_path, wait, new_book):
    book = new_book(tmp_path / "source")
    empty = qbt.save_dir / f"empty-{book.info_hash[:8]}"
    torrent_id = asyncio.run(client.add(AddTorrent(torrent_file=book.torrent, save_path=str(empty), paused=True)))
    info = wait_for_state(wait, client, torrent_id, TorrentState.PAUSED)
    assert info.raw_state in {"pausedDL", "stoppedDL"}
    assert info.progress == 0.0
    assert info.completed_on is None
    asyncio.run(client.resume([torrent_id]))
    # no peer has the data: it waits for one
    running = wait_for_state(wait, client, torrent_id, TorrentState.STALLED, TorrentState.DOWNLOADING)
    assert running.progress < 1.0
    asyncio.run(client.pause([torrent_id]))
    wait_for_state(wait, client, torrent_id, TorrentState.PAUSED)


def test_delete_keeps_or_removes_the_files(client, qbt, wait, new_book):
    keep = new_book(qbt.save_dir / "keep")
    drop = new_book(qbt.save_dir / "drop")
    ids = [add_seeded(client, keep), add_seeded(client, drop)]
    for torrent_id in ids:
        wait_for_state(wait, client, torrent_id, TorrentState.COMPLETED)
    asyncio.run(client.delete([keep.info_hash], delete_files=False))
    asyncio.run(client.delete([drop.info_hash], delete_files=True))
    wait(lambda: asyncio.run(client.info(hashes=ids)), lambda found: found == [])
    assert keep.folder.is_dir() and keep.size > 0
    wait(lambda: drop.folder.exists(), lambda exists: not exists)


def test_categories_are_created_and_kept_in_line(client, qbt):
    path = str(qbt.save_dir / "cat-books")
    asyncio.run(client.ensure_category("shelfkeeper-books", path))
    assert asyncio.run(client.categories())["shelfkeeper-books"] == path
    asyncio.run(client.ensure_category("shelfkeeper-books", path))  # exists already: 409 is fine
    moved = str(qbt.save_dir / "cat-books-2")
    asyncio.run(client.ensure_category("shelfkeeper-books", moved))
    asyncio.run(client.ensure_category("shelfkeeper-books"))  # no path given: left as it is
    assert asyncio.run(client.categories())["shelfkeeper-books"] == moved
    asyncio.run(client.ensure_category("no-path"))
    assert asyncio.run(client.categories())["no-path"] == ""


def test_an_invalid_category_name_is_a_bad_response(client):
    with pytest.raises(ServiceBadResponse, match="category name"):
        asyncio.run(client.ensure_category("bad//name"))


def test_info_filters_by_ids_tag_and_category(client, qbt, new_book):
    fiction = new_book(qbt.save_dir / "filters")
    poetry = new_book(qbt.save_dir / "filters")
    add_seeded(client, fiction, category="filter-fiction", tags=("filter-mam", "filter-auto"))
    add_seeded(client, poetry, category="filter-poetry", tags=("filter-mam",))

    def ids(**filters) -> set[str]:
        return {t.info_hash for t in asyncio.run(client.info(**filters))}

    both = {fiction.info_hash, poetry.info_hash}
    assert ids(hashes=[fiction.info_hash, poetry.info_hash]) == both
    assert ids(hashes=[fiction.info_hash.upper()]) == {fiction.info_hash}
    assert ids(tag="filter-mam") == both
    assert ids(tag="filter-auto") == {fiction.info_hash}
    assert ids(category="filter-poetry") == {poetry.info_hash}
    assert ids(category="filter-poetry", tag="filter-auto") == set()
    assert ids(tag="filter-none") == set()
    assert both <= ids()
    assert asyncio.run(client.info(hashes=[])) == []


def test_a_wrong_password_is_an_auth_failure(qbt, caplog, connect):
    caplog.set_level(logging.DEBUG)
    wrong = "not-the-password-9f3c"
    client = connect(qbt, password=wrong)
    with pytest.raises(ServiceAuthFailed):
        asyncio.run(client.info())
    report = asyncio.run(client.test_connection())
    assert (report.reachable, report.auth_ok, report.error_code) == (True, False, "SERVICE_AUTH_FAILED")
    assert report.version is None
    assert wrong not in caplog.text
    assert qbt.password not in caplog.text


def test_nothing_listening_is_unreachable():
    client = build("127.0.0.1", free_port(), "user", "secret-pw", timeout=2.0)
    with pytest.raises(ServiceUnreachable):
        asyncio.run(client.info())
    report = asyncio.run(client.test_connection())
    assert (report.configured, report.reachable, report.auth_ok) == (True, False, None)
    assert report.error_code == "SERVICE_UNREACHABLE"


def test_the_adapter_logs_in_again_after_its_session_is_ended(client, qbt, caplog):
    caplog.set_level(logging.DEBUG)
    asyncio.run(client.info())  # logs in
    old_sid = client._api._SID  # the session cookie qbittorrent-api holds
    assert old_sid
    with httpx.Client(base_url=qbt.url, cookies={"SID": old_sid}) as raw:
        assert raw.post("/api/v2/auth/logout").status_code == 200
    with httpx.Client(base_url=qbt.url, cookies={"SID": old_sid}) as raw:
        assert raw.post("/api/v2/torrents/info").status_code == 403  # the session is really gone
    assert isinstance(asyncio.run(client.info()), list)  # 403, log in again, retry
    assert client._api._SID not in (None, old_sid)
    assert qbt.password not in caplog.text


def test_adding_by_url_finds_the_new_torrent(client, qbt, tmp_path, wait, new_book):
    book = new_book(qbt.save_dir / "by-url")

    async def torrent_file(request):
        return Response(book.torrent, media_type="application/x-bittorrent")

    with serve(Starlette(routes=[Route("/book.torrent", torrent_file)])) as server:
        torrent_id = asyncio.run(
            client.add(AddTorrent(url=f"{server.url}/book.torrent", save_path=str(book.save_path), tags=("by-url",)))
        )
    assert torrent_id == book.info_hash
    info = wait_for_state(wait, client, torrent_id, TorrentState.COMPLETED)
    assert info.tags == ("by-url",)  # the lookup tag is gone again


@pytest.mark.parametrize("form", ["hex", "base32"])
def test_adding_a_magnet_returns_its_id(client, qbt, tmp_path, form, wait, new_book):
    book = new_book(tmp_path / form)
    xt = book.info_hash if form == "hex" else base64.b32encode(bytes.fromhex(book.info_hash)).decode()
    magnet = f"magnet:?xt=urn:btih:{xt}&dn=Book"
    torrent_id = asyncio.run(client.add(AddTorrent(url=magnet, save_path=str(qbt.save_dir / "magnets"))))
    assert torrent_id == book.info_hash
    info = wait_for_state(wait, client, torrent_id, TorrentState.METADATA)  # nobody has its metadata
    assert info.size_bytes == 0
    assert asyncio.run(client.add(AddTorrent(url=magnet))) == torrent_id  # again: idempotent
    asyncio.run(client.delete([torrent_id], delete_files=True))


def test_invalid_peers_are_a_bad_response(client, book):
    torrent_id = add_seeded(client, book)
    with pytest.raises(ServiceBadResponse, match="400"):
        asyncio.run(client.add_peers([torrent_id], ["not a peer"]))


@pytest.mark.parametrize("hashes", [["all"], ["abc"], "0" * 40])
def test_only_real_ids_are_ever_sent(client, hashes):
    with pytest.raises(ValueError):
        asyncio.run(client.delete(hashes, delete_files=True))
