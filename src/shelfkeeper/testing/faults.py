"""Switchable faults for the fake servers: down, slow, rate limited, 5xx, garbage, expired auth.

Every fake wraps its app in ``FaultInjector``. A test flips a fault on with ``set`` (in-process) or
with ``POST /__fake__/faults`` (when the fake runs as a real server through ``shelfkeeper fakes
serve``), optionally for the next ``times`` requests only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

FAULT_MODES = ("none", "down", "slow", "rate_limit", "server_error", "garbage", "expired_auth")
ADMIN_PREFIX = "/__fake__"


@dataclass
class Fault:
    mode: str = "none"
    delay: float = 0.0  # slow: seconds before answering normally
    retry_after: str | None = "1"  # rate_limit: the Retry-After header (None = absent)
    status: int = 500  # server_error / expired_auth / rate_limit status
    body: bytes | None = None  # a service-specific body for the fault
    times: int | None = None  # how many requests it hits; None = until cleared
    hits: int = 0
    extra_headers: dict[str, str] = field(default_factory=dict)
    # slow: first wait until this many requests (across every fake sharing the barrier) are held, so a test
    # can prove calls overlap by order rather than by timing; a broken or timed-out barrier just goes on.
    gate: threading.Barrier | None = None


class FaultInjector:
    """ASGI middleware that answers with the configured fault before the wrapped app sees the request."""

    def __init__(self, app: ASGIApp, *, auth_status: int = 401, auth_body: bytes = b"Unauthorized") -> None:
        self.app = app
        self.auth_status = auth_status
        self.auth_body = auth_body
        self._fault = Fault()
        self._lock = threading.Lock()
        self.requests_seen = 0

    def set(self, mode: str, **options: Any) -> None:
        """Switch a fault on (``mode`` one of FAULT_MODES); ``clear`` switches it off."""
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}; one of {', '.join(FAULT_MODES)}")
        with self._lock:
            self._fault = Fault(mode=mode, **options)

    def clear(self) -> None:
        self.set("none")

    def _take(self) -> Fault | None:
        with self._lock:
            fault = self._fault
            if fault.mode == "none":
                return None
            if fault.times is not None and fault.hits >= fault.times:
                self._fault = Fault()
                return None
            fault.hits += 1
            return fault

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(ADMIN_PREFIX + "/faults"):
            await self._admin(scope, receive, send)
            return
        if scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        self.requests_seen += 1
        fault = self._take()
        if fault is None:
            await self.app(scope, receive, send)
            return
        await self._answer(fault, scope, receive, send)

    async def _answer(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        if fault.mode == "slow":
            if fault.gate is not None:
                with contextlib.suppress(threading.BrokenBarrierError):
                    await asyncio.to_thread(fault.gate.wait, 60)
            await asyncio.sleep(fault.delay)
            await self.app(scope, receive, send)
            return
        headers = dict(fault.extra_headers)
        if fault.mode == "down":
            # What a reverse proxy in front of a stopped container answers.
            await _respond(send, 502, fault.body or b"<html><body>502 Bad Gateway</body></html>", "text/html", headers)
        elif fault.mode == "rate_limit":
            if fault.retry_after is not None:
                headers["retry-after"] = fault.retry_after
            status = fault.status if fault.status in (429, 503, 403) else 429
            await _respond(send, status, fault.body or b"Too Many Requests", "text/plain", headers)
        elif fault.mode == "server_error":
            await _respond(send, fault.status, fault.body or b"Internal Server Error", "text/plain", headers)
        elif fault.mode == "garbage":
            await _respond(send, 200, fault.body or b'{"this is": not json <html>', "application/json", headers)
        elif fault.mode == "expired_auth":
            await _respond(send, self.auth_status, fault.body or self.auth_body, "text/plain", headers)

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "GET":
            payload = json.dumps({"mode": self._fault.mode, "hits": self._fault.hits}).encode()
            await _respond(send, 200, payload, "application/json", {})
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        try:
            options = json.loads(body or b"{}")
            mode = options.pop("mode", "none")
            if "body" in options and isinstance(options["body"], str):
                options["body"] = options["body"].encode()
            self.set(mode, **options)
        except (ValueError, TypeError) as exc:
            await _respond(send, 400, str(exc).encode(), "text/plain", {})
            return
        await _respond(send, 200, b'{"ok": true}', "application/json", {})


async def _respond(send: Send, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
    raw_headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})
