"""The front `shelfkeeper serve` listens with: ``GET /health`` from the first moment, the app for everything else.

FastAPI, Starlette and pydantic take most of a start to import; the front is plain ASGI on the standard library, so
the server listens without them. When the server starts (its lifespan), the front loads the app (shelfkeeper.api.app,
in a worker thread) and runs the app's own lifespan start-up; from then on every request and the shutdown go to the
app, ``/health`` included, exactly as if it were served alone. Meanwhile:

- ``GET /health`` (no body) is answered here, with the app's envelope and status (services/liveness.py) and the
  database asked through its driver (db/plain_driver.py): 200, or 503 ``DATABASE_UNAVAILABLE``;
- any other request waits until the app has started, then goes to it;
- if the app cannot be loaded or started, the error is logged, ``/health`` answers 503 ``START_UP_FAILED`` and every
  other request 500 ``INTERNAL_ERROR`` (the app's answers when its route areas cannot load) until a restart.

The ``/health`` answers given here are counted into the app's request metrics once it has started (``started``).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from shelfkeeper.errors import ConfigurationError
from shelfkeeper.services import liveness

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
EarlyAnswer = tuple[int, float]  # a /health answered by the front: status, seconds

logger = logging.getLogger("shelfkeeper.api")
UNEXPECTED = "An unexpected error happened; see the server log."  # api/exception_handlers.py's INTERNAL_ERROR


class Front:
    """ASGI app: answers ``GET /health`` until ``load()``'s app has started, then hands it everything."""

    def __init__(
        self,
        load: Callable[[], ASGIApp],
        database: Callable[[], tuple[bool, str | None]],
        started: Callable[[ASGIApp, list[EarlyAnswer]], None] | None = None,
    ) -> None:
        self._load = load  # runs in a worker thread: imports and builds the app
        self._database = database  # runs in a worker thread: (reachable, error class name)
        self._started = started  # told the app and the /health answers given before it, once it has started
        self.app: ASGIApp | None = None  # set once the app's lifespan start-up is complete
        self.failure: BaseException | None = None
        self._starting: asyncio.Task[None] | None = None
        self._lifespan: tuple[asyncio.Task[None], asyncio.Queue[Message], asyncio.Queue[Message]] | None = None
        self._answered: list[EarlyAnswer] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._serve_lifespan(scope, receive, send)
            return
        if self.app is None and not (self.failure is None and _is_plain_health(scope)):
            await self.ready()
        if self.app is not None:
            await self.app(scope, receive, send)
        elif _is_plain_health(scope):
            await self._health(send)
        elif scope["type"] == "http":  # the app could not start
            await _send_json(send, 500, _envelope("INTERNAL_ERROR", UNEXPECTED))
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1011})

    async def ready(self) -> None:
        """Wait until the app has started or failed to (starting it, if no lifespan did)."""
        if self._starting is None:
            self._start({"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}})
        assert self._starting is not None
        await asyncio.shield(self._starting)  # a request that goes away does not cancel the start

    def _start(self, lifespan_scope: Scope) -> None:
        self._starting = asyncio.create_task(self._start_app(lifespan_scope))

    async def _start_app(self, lifespan_scope: Scope) -> None:
        try:
            app = await asyncio.to_thread(self._load)
            inbox: asyncio.Queue[Message] = asyncio.Queue()
            outbox: asyncio.Queue[Message] = asyncio.Queue()
            # The server's lifespan scope itself: what the app's lifespan keeps in its "state" reaches each request.
            task = asyncio.create_task(_run(app, lifespan_scope, inbox.get, outbox.put))
            self._lifespan = (task, inbox, outbox)
            await inbox.put({"type": "lifespan.startup"})
            reply = await _first_message(outbox, task)
            if reply["type"] != "lifespan.startup.complete":
                raise RuntimeError(f"the app's start-up failed: {reply.get('message', '')}")
            self.app = app
            if self._started is not None:
                self._started(app, self._answered)
        except Exception as exc:
            self.failure = exc
            if not isinstance(exc, ConfigurationError):  # a bad setting: printed by the loader, which stops serving
                logger.exception("start-up could not finish: /health reports it; restart the service")
            if not gc.isenabled():  # `serve` turned it off for the start-up the app would have finished
                gc.freeze()
                gc.enable()

    async def _serve_lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if self._starting is None:  # else a request came first and started the app
                self._start(scope)
            await send({"type": "lifespan.startup.complete"})  # the server listens now; the app loads meanwhile
            message = await receive()
        if message["type"] == "lifespan.shutdown":
            await send(await self._stop())

    async def _stop(self) -> Message:
        """The app's shutdown (after its start, if that is still going), and the message that ends the lifespan."""
        if self._starting is not None:
            await self._starting
        if self._lifespan is None:
            return {"type": "lifespan.shutdown.complete"}
        task, inbox, outbox = self._lifespan
        if task.done():
            return {"type": "lifespan.shutdown.complete"}
        await inbox.put({"type": "lifespan.shutdown"})
        try:
            reply = await _first_message(outbox, task)
        except Exception as exc:
            return {"type": "lifespan.shutdown.failed", "message": repr(exc)}
        await task
        return reply

    async def _health(self, send: Send) -> None:
        started = time.perf_counter()
        reachable, error = await asyncio.to_thread(self._database)
        status, body = liveness.answer(
            liveness.report(reachable, error), start_up_failed=self.failure is not None, timestamp=_utc_now_iso()
        )
        await _send_json(send, status, body)
        self._answered.append((status, time.perf_counter() - started))


def _is_plain_health(scope: Scope) -> bool:
    """A request the app's ``/health`` route fully matches and that carries no body (which the app's body limit
    would look at): the front gives the app's answer to it."""
    if scope["type"] != "http" or scope["method"] != "GET" or _route_path(scope) != "/health":
        return False
    headers = dict(scope.get("headers") or [])
    return headers.get(b"content-length", b"0") == b"0" and b"transfer-encoding" not in headers


def _route_path(scope: Scope) -> str:
    """The path the app's router matches: without the root path (Starlette's ``get_route_path``)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if not root or not path.startswith(root):
        return path
    if path == root:
        return ""
    return path[len(root) :] if path[len(root)] == "/" else path


async def _run(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    await app(scope, receive, send)


async def _first_message(outbox: asyncio.Queue[Message], task: asyncio.Future[None]) -> Message:
    """The next message the app's lifespan sends; its error if it ends without one."""
    getting = asyncio.ensure_future(outbox.get())
    waiting: set[asyncio.Future[Any]] = {getting, task}
    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    if getting.done():
        return getting.result()
    getting.cancel()
    task.result()  # raises the lifespan's error
    raise RuntimeError("the app's lifespan ended without an answer")


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    """What Starlette's ``JSONResponse`` sends for ``body``."""
    content = json.dumps(body, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode()
    headers = [(b"content-length", str(len(content)).encode("latin-1")), (b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


def _envelope(code: str, message: str) -> dict[str, Any]:
    return {"success": False, "data": None, "error": message, "error_code": code, "timestamp": _utc_now_iso()}


def _utc_now_iso() -> str:
    """As api/envelope.utc_now_iso, which imports FastAPI."""
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")
