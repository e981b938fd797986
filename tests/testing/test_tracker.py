"""The demo's BitTorrent tracker, over real HTTP: announces record peers and answer the others, compact or not."""

from __future__ import annotations

import struct
from urllib.parse import quote_from_bytes

import httpx

from shelfkeeper.domain.torrents.files import bdecode
from shelfkeeper.testing.server import serve
from shelfkeeper.testing.tracker import Tracker

INFO_HASH = bytes(range(20))


def announce(url: str, peer: bytes, port: int, **extra: str) -> dict:
    query = f"info_hash={quote_from_bytes(INFO_HASH)}&peer_id={quote_from_bytes(peer)}&port={port}"
    query += "".join(f"&{name}={value}" for name, value in extra.items())
    answer = httpx.get(f"{url}/announce?{query}", timeout=5)
    assert answer.status_code == 200
    return bdecode(answer.content)


def test_a_leecher_gets_the_seeder_as_a_compact_peer_and_a_stopped_peer_is_forgotten():
    tracker = Tracker(interval=7)
    seeder, leecher = b"-qB5000-seeder000001", b"-qB5000-leecher00002"
    with serve(tracker.app) as server:
        first = announce(server.url, seeder, 6881, left="0", event="started", compact="1")
        assert first[b"peers"] == b"" and first[b"interval"] == 7 and first[b"complete"] == 1
        second = announce(server.url, leecher, 6882, left="1000", event="started", compact="1")
        assert second[b"peers"] == bytes([127, 0, 0, 1]) + struct.pack(">H", 6881)
        assert (second[b"complete"], second[b"incomplete"]) == (1, 1)
        listed = announce(server.url, seeder, 6881, left="0", compact="0")
        assert [(p[b"ip"], p[b"port"]) for p in listed[b"peers"]] == [(b"127.0.0.1", 6882)]
        announce(server.url, seeder, 6881, left="0", event="stopped")
        assert announce(server.url, leecher, 6882, left="1000")[b"peers"] == b""
        assert httpx.get(f"{server.url}/scrape", timeout=5).status_code == 404
    assert tracker.announces == 5


def test_peers_silent_past_their_ttl_are_dropped():
    now = [0.0]
    tracker = Tracker(peer_ttl=60, clock=lambda: now[0])
    tracker.announce({"info_hash": INFO_HASH, "peer_id": b"a" * 20, "port": b"1000", "left": b"0"}, "127.0.0.1")
    now[0] = 61.0
    answer = tracker.announce({"info_hash": INFO_HASH, "peer_id": b"b" * 20, "port": b"1001"}, "127.0.0.1")
    assert answer["peers"] == b""


def test_bad_announces_get_a_failure_reason():
    tracker = Tracker()
    assert "info_hash" in tracker.announce({"info_hash": b"short", "peer_id": b"a" * 20}, "127.0.0.1")["failure reason"]
    assert "peer_id" in tracker.announce({"info_hash": INFO_HASH, "peer_id": b"x"}, "127.0.0.1")["failure reason"]
    bad_port = {"info_hash": INFO_HASH, "peer_id": b"a" * 20, "port": b"99999"}
    assert tracker.announce(bad_port, "127.0.0.1")["failure reason"] == "port out of range"
    assert tracker.swarms.get(INFO_HASH, {}) == {}
