"""The request body limit: a body larger than MAX_REQUEST_BODY_BYTES is refused with 413 before it is parsed."""

from __future__ import annotations

import contextlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shelfkeeper.api.envelope import error_response


class BodyTooLarge(Exception):
    """Raised inside the app when a body without Content-Length grows past the limit while it is read."""


class BodyLimitMiddleware:
    """Answers 413 in the envelope for a declared or streamed body over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        exceeded = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            if not exceeded:  # the app's own answer to the cut-off body (FastAPI makes it a 400) is replaced
                await send(message)

        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if exceeded:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"The request body is larger than MAX_REQUEST_BODY_BYTES ({self.max_bytes} bytes)."
        await error_response(413, "PAYLOAD_TOO_LARGE", message)(scope, receive, send)
