"""The qBittorrent adapter's pure parts: torrent entries of 4.5 and 5.x, add answers, versions, error mapping."""

from __future__ import annotations

import asyncio

import pytest
import qbittorrentapi
import requests

from shelfkeeper.adapters.qbittorrent import (
    build,
    parse_api_version,
    parse_torrent,
    read_add_answer,
    split_tags,
    translate_error,
)
from shelfkeeper.domain.torrents.status import AddTorrent, TorrentState
from shelfkeeper.errors import (
    ServiceAuthFailed,
    ServiceBadResponse,
    ServiceError,
    ServiceNotConfigured,
    ServiceUnreachable,
)

HASH = "d5aad04f4404d654b3fefcf1748575ac9acb631f"

# As qbittorrent-nox 4.5.2 reported a seeded book (trimmed to the fields the adapter reads, plus a few others).
SEEDED_4_5 = {
    "added_on": 1795482036,
    "amount_left": 0,
    "category": "audiobooks",
    "completed": 96327,
    "completion_on": 1795482036,
    "content_path": "/data/downloads/Book One",
    "dlspeed": 0,
    "eta": 8640000,
    "hash": HASH,
    "name": "Book One",
    "num_seeds": 0,
    "progress": 1,
    "save_path": "/data/downloads",
    "size": 96327,
    "state": "stalledUP",
    "tags": "a, b",
    "total_size": 96327,
    "magnet_uri": f"magnet:?xt=urn:btih:{HASH}&dn=Book%20One",
}


def test_a_seeded_4_5_entry():
    info = parse_torrent(SEEDED_4_5)
    assert info.info_hash == HASH
    assert info.name == "Book One"
    assert (info.state, info.raw_state) == (TorrentState.COMPLETED, "stalledUP")
    assert (info.progress, info.size_bytes, info.downloaded_bytes) == (1.0, 96327, 96327)
    assert info.eta_seconds is None
    assert (info.save_path, info.content_path) == ("/data/downloads", "/data/downloads/Book One")
    assert (info.category, info.tags) == ("audiobooks", ("a", "b"))
    assert (info.added_on, info.completed_on) == (1795482036, 1795482036)


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"hash": HASH.upper()}, "info_hash", HASH),
        ({"eta": 8640000}, "eta_seconds", None),
        ({"eta": 9000000}, "eta_seconds", None),
        ({"eta": -1}, "eta_seconds", None),
        ({"eta": None}, "eta_seconds", None),
        ({"eta": 0}, "eta_seconds", 0),
        ({"eta": 125}, "eta_seconds", 125),
        ({"completion_on": 0}, "completed_on", None),  # 4.5: never completed
        ({"completion_on": -1}, "completed_on", None),  # 5.x: never completed
        ({"completion_on": 1700000000}, "completed_on", 1700000000),
        ({"added_on": 0}, "added_on", None),
        ({"tags": ""}, "tags", ()),
        ({"tags": None}, "tags", ()),
        ({"tags": "mam"}, "tags", ("mam",)),
        ({"tags": "auto, mam, shelfkeeper"}, "tags", ("auto", "mam", "shelfkeeper")),
        ({"category": None}, "category", ""),
        ({"progress": 1.0000001}, "progress", 1.0),
        ({"progress": -0.5}, "progress", 0.0),
        ({"size": -1}, "size_bytes", 0),
        ({"dlspeed": 2048}, "download_speed", 2048),
        ({"num_seeds": 3}, "seeders", 3),
        ({"completed": None}, "downloaded_bytes", 0),
    ],
)
def test_entry_fields(changes, field, expected):
    assert getattr(parse_torrent({**SEEDED_4_5, **changes}), field) == expected


@pytest.mark.parametrize(
    ("changes", "state"),
    [
        ({"state": "pausedUP"}, TorrentState.COMPLETED),  # 4.5, paused after finishing
        ({"state": "stoppedUP", "completion_on": 1700000000}, TorrentState.COMPLETED),  # 5.x
        ({"state": "pausedDL", "progress": 0.4, "amount_left": 60000}, TorrentState.PAUSED),
        ({"state": "stoppedDL", "progress": 0.4, "amount_left": 60000, "completion_on": -1}, TorrentState.PAUSED),
        ({"state": "downloading", "progress": 0.4, "amount_left": 60000}, TorrentState.DOWNLOADING),
        ({"state": "stalledDL", "progress": 0.0, "amount_left": 96327}, TorrentState.STALLED),
        ({"state": "checkingResumeData", "progress": 0.0}, TorrentState.CHECKING),
        ({"state": "checkingUP"}, TorrentState.CHECKING),
        ({"state": "moving"}, TorrentState.MOVING),
        ({"state": "missingFiles"}, TorrentState.MISSING_FILES),
        ({"state": "error"}, TorrentState.ERROR),
        # a magnet without metadata: nothing left of nothing is not "complete"
        ({"state": "metaDL", "progress": 0, "size": 0, "total_size": -1, "amount_left": 0}, TorrentState.METADATA),
        ({"state": "pausedDL", "progress": 0, "size": 0, "total_size": -1, "amount_left": 0}, TorrentState.PAUSED),
        ({"state": None, "progress": 0.2, "amount_left": 5000}, TorrentState.UNKNOWN),
    ],
)
def test_entry_states_of_both_versions(changes, state):
    assert parse_torrent({**SEEDED_4_5, **changes}).state is state


@pytest.mark.parametrize(
    "raw",
    [
        {k: v for k, v in SEEDED_4_5.items() if k != "hash"},
        {**SEEDED_4_5, "progress": "lots"},
        {**SEEDED_4_5, "size": "big"},
        {**SEEDED_4_5, "eta": [1]},
    ],
)
def test_a_malformed_entry_is_a_bad_response(raw):
    with pytest.raises(ServiceBadResponse, match="torrent entry not understood"):
        parse_torrent(raw)


@pytest.mark.parametrize(
    ("value", "tags"),
    [("", ()), (None, ()), ("a", ("a",)), ("a, b", ("a", "b")), ("a,b", ("a", "b")), (["x", " y", ""], ("x", "y"))],
)
def test_split_tags(value, tags):
    assert split_tags(value) == tags


@pytest.mark.parametrize(
    ("text", "version"),
    [("2.8.19", (2, 8, 19)), ("2.11.2", (2, 11, 2)), ("2.15.1\n", (2, 15, 1)), ("v2.3", (2, 3)), ("2.9.beta", (2, 9))],
)
def test_parse_api_version(text, version):
    assert parse_api_version(text) == version


@pytest.mark.parametrize("text", ["", "Forbidden", "x.1"])
def test_an_unreadable_api_version_is_a_bad_response(text):
    with pytest.raises(ServiceBadResponse):
        parse_api_version(text)


@pytest.mark.parametrize(
    ("answer", "ids"),
    [
        ("Ok.", []),  # 4.x-5.1: accepted, ids not said
        ("Fails.", None),  # 4.x-5.1: refused (duplicate or bad)
        ({"success_count": 1, "failure_count": 0, "pending_count": 0, "added_torrent_ids": [HASH.upper()]}, [HASH]),
        ({"success_count": 0, "failure_count": 0, "pending_count": 1, "added_torrent_ids": []}, []),  # 202: fetching
        ({"success_count": 0, "failure_count": 1, "pending_count": 0, "added_torrent_ids": []}, None),
    ],
)
def test_read_add_answer(answer, ids):
    assert read_add_answer(answer) == ids


@pytest.mark.parametrize("answer", ["<html>", "", 42, None])
def test_an_unexpected_add_answer_is_a_bad_response(answer):
    with pytest.raises(ServiceBadResponse, match="unexpected torrents/add answer"):
        read_add_answer(answer)


def _http_error(cls: type[qbittorrentapi.HTTPError], status: int, body: str) -> qbittorrentapi.HTTPError:
    response = requests.Response()
    response.status_code = status
    response._content = body.encode()
    error = cls(body, response=response)
    error.http_status_code = status
    return error


@pytest.mark.parametrize(
    ("error", "kind", "code", "status"),
    [
        (qbittorrentapi.LoginFailed(), ServiceAuthFailed, "SERVICE_AUTH_FAILED", None),
        (
            _http_error(qbittorrentapi.Forbidden403Error, 403, "Forbidden"),
            ServiceAuthFailed,
            "SERVICE_AUTH_FAILED",
            403,
        ),
        (_http_error(qbittorrentapi.Unauthorized401Error, 401, "Unauthorized"), ServiceAuthFailed, None, 401),
        (_http_error(qbittorrentapi.Conflict409Error, 409, "Unable to create category"), ServiceBadResponse, None, 409),
        (_http_error(qbittorrentapi.NotFound404Error, 404, "Not Found"), ServiceBadResponse, None, 404),
        (_http_error(qbittorrentapi.UnsupportedMediaType415Error, 415, "bad"), ServiceBadResponse, None, 415),
        (
            _http_error(qbittorrentapi.InternalServerError500Error, 502, "Bad Gateway"),
            ServiceError,
            "SERVICE_ERROR",
            502,
        ),
        (qbittorrentapi.APIConnectionError("Connection Error: refused"), ServiceUnreachable, None, None),
        (requests.ConnectionError("refused"), ServiceUnreachable, None, None),
        (requests.Timeout("slow"), ServiceUnreachable, None, None),
        (qbittorrentapi.APIError("Exception during response parsing"), ServiceBadResponse, None, None),
    ],
)
def test_translate_error(error, kind, code, status):
    translated = translate_error(error)
    assert type(translated) is kind
    assert translated.service == "qbittorrent"
    if code:
        assert translated.code == code
    if status:
        assert translated.details["status"] == status


def test_an_unconfigured_client_says_so_without_calling_out():
    client = build("", None, "", "")
    report = asyncio.run(client.test_connection())
    assert (report.configured, report.reachable, report.auth_ok) == (False, False, None)
    assert report.error_code == "SERVICE_NOT_CONFIGURED"
    with pytest.raises(ServiceNotConfigured):
        asyncio.run(client.info())


@pytest.mark.parametrize(
    "torrent", [AddTorrent(), AddTorrent(torrent_file=b"d4:infodee", url="magnet:?xt=urn:btih:" + HASH)]
)
def test_add_wants_exactly_one_source(torrent):
    client = build("127.0.0.1", 1, "user", "pw")
    with pytest.raises(ValueError, match="exactly one"):
        asyncio.run(client.add(torrent))


@pytest.mark.parametrize("hashes", [["all"], [HASH[:-1]], [HASH + "0"], [f" {HASH}x"], HASH])
def test_bad_ids_never_reach_the_client(hashes):
    client = build("127.0.0.1", 1, "user", "pw")
    for call in (client.pause(hashes), client.resume(hashes), client.delete(hashes, delete_files=False)):
        with pytest.raises(ValueError):
            asyncio.run(call)


def test_no_ids_means_no_call():
    client = build("127.0.0.1", 1, "user", "pw")  # nothing listens on port 1: a call would fail
    asyncio.run(client.pause([]))
    asyncio.run(client.resume([]))
    asyncio.run(client.delete([], delete_files=True))
    asyncio.run(client.add_peers([], ["127.0.0.1:1"]))
    assert asyncio.run(client.info(hashes=[])) == []
