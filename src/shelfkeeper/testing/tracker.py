"""A minimal BitTorrent HTTP tracker (BEP 3, compact peer lists of BEP 23) for loopback demos and tests.

``GET /announce?info_hash=…&peer_id=…&port=…`` records the peer and answers the other peers of the torrent.
Peers are kept in memory and forgotten after ``peer_ttl`` seconds without an announce (long: libtorrent re-announces
only every few minutes whatever the interval asked), or at ``event=stopped``.
Serve it with ``shelfkeeper.testing.server.LiveServer(Tracker().app)``; it is an ASGI app without dependencies.
"""

from __future__ import annotations

import ipaddress
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from shelfkeeper.domain.torrents.files import bencode

ANNOUNCE_PATH = "/announce"  # libtorrent announces to a loopback tracker only at this path (SSRF mitigation)


@dataclass
class Peer:
    peer_id: bytes
    ip: str
    port: int
    left: int
    seen: float


class Tracker:
    """The swarms by info hash; ``announces`` counts the requests (for tests and the demo's log)."""

    def __init__(self, *, interval: int = 30, peer_ttl: float = 3600.0, clock: Callable[[], float] = time.monotonic):
        self.interval = interval
        self.peer_ttl = peer_ttl
        self.clock = clock
        self.swarms: dict[bytes, dict[bytes, Peer]] = {}
        self.announces = 0
        self._lock = threading.Lock()

    def announce(self, query: dict[str, bytes], client_ip: str) -> dict[str, Any]:
        """The tracker's answer (a dict to bencode) to one announce."""
        info_hash, peer_id = query.get("info_hash", b""), query.get("peer_id", b"")
        if len(info_hash) != 20:
            return {"failure reason": "info_hash must be 20 bytes"}
        if len(peer_id) != 20:
            return {"failure reason": "peer_id must be 20 bytes"}
        try:
            port = int(query.get("port", b""))
            left = int(query.get("left", b"0") or b"0")
        except ValueError:
            return {"failure reason": "port and left must be numbers"}
        if not 0 < port < 65536:
            return {"failure reason": "port out of range"}
        ip = _peer_ip(query.get("ip"), client_ip)
        event = query.get("event", b"").decode(errors="replace")
        now = self.clock()
        with self._lock:
            self.announces += 1
            swarm = self.swarms.setdefault(info_hash, {})
            for key in [key for key, peer in swarm.items() if now - peer.seen > self.peer_ttl]:
                del swarm[key]
            if event == "stopped":
                swarm.pop(peer_id, None)
            else:
                swarm[peer_id] = Peer(peer_id, ip, port, left, now)
            others = [peer for key, peer in swarm.items() if key != peer_id and (peer.ip, peer.port) != (ip, port)]
            complete = sum(1 for peer in swarm.values() if peer.left == 0)
        answer: dict[str, Any] = {
            "interval": self.interval,
            "min interval": self.interval,
            "complete": complete,
            "incomplete": len(swarm) - complete,
        }
        if query.get("compact", b"1") == b"0":
            answer["peers"] = [{"peer id": p.peer_id, "ip": p.ip, "port": p.port} for p in others]
        else:
            answer["peers"] = b"".join(
                ipaddress.IPv4Address(p.ip).packed + struct.pack(">H", p.port) for p in others if _is_ipv4(p.ip)
            )
        return answer

    @property
    def app(self) -> Tracker:
        """The ASGI app to serve (the tracker itself)."""
        return self

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """ASGI: /announce answers bencoded; anything else 404."""
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        if scope["path"] != ANNOUNCE_PATH or scope["method"] != "GET":
            await _respond(send, 404, b"not a tracker path")
            return
        client = scope.get("client") or ("127.0.0.1", 0)
        body = bencode(self.announce(parse_query(scope.get("query_string", b"")), client[0]))
        await _respond(send, 200, body)


def parse_query(raw: bytes) -> dict[str, bytes]:
    """Query parameters as raw bytes: info_hash and peer_id are binary, percent-encoded, not UTF-8."""
    values: dict[str, bytes] = {}
    for part in raw.split(b"&"):
        name, _, value = part.partition(b"=")
        if name:
            values[unquote_to_bytes(name.replace(b"+", b" ")).decode(errors="replace")] = unquote_to_bytes(
                value.replace(b"+", b" ")
            )
    return values


def _peer_ip(announced: bytes | None, client_ip: str) -> str:
    if announced:
        try:
            return str(ipaddress.ip_address(announced.decode()))
        except ValueError:
            pass
    return client_ip


def _is_ipv4(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).version == 4
    except ValueError:
        return False


async def _respond(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
