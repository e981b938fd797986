"""The live stream (server-sent events): download progress, job runs and new history events as they happen.

Browsers' EventSource cannot send headers, so this route (like the calendar feed) also takes the key as
``?apikey=``. A stream lasts at most ``STREAM_SECONDS`` and sends a heartbeat every ``HEARTBEAT_SECONDS``;
the browser reconnects by itself (``retry``). A listener that falls behind is sent ``reset`` and dropped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from shelfkeeper.api.auth import require_key_or_query
from shelfkeeper.api.live import LiveHub, message

router = APIRouter(tags=["system"])
HEARTBEAT_SECONDS = 15.0
STREAM_SECONDS = 600.0
RETRY_MILLISECONDS = 3000


def hub_of(request: Request) -> LiveHub:
    hub: LiveHub = request.app.state.live
    return hub


async def _stream(hub: LiveHub, heartbeat: float, lasting: float) -> AsyncIterator[str]:
    """The messages of one listener. A client that goes away is noticed by the server (the response is cancelled,
    at the latest when the next heartbeat cannot be sent), and the ``finally`` forgets the listener."""
    listener = hub.subscribe()
    ends = time.monotonic() + lasting
    try:
        refresh = hub.app.settings.download_refresh_seconds
        yield f"retry: {RETRY_MILLISECONDS}\n" + message("hello", {"download_refresh_seconds": refresh})
        while time.monotonic() < ends and not listener.dropped:
            try:
                text = await asyncio.wait_for(listener.queue.get(), timeout=min(heartbeat, ends - time.monotonic()))
            except TimeoutError:
                yield message("heartbeat", {"at": datetime.now(UTC).isoformat()})
                continue
            yield text
        yield message("reset" if listener.dropped else "bye", {"reconnect": True})
    finally:
        hub.unsubscribe(listener)


@router.get(
    "/api/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, 401: {"description": "UNAUTHORIZED"}},
)
async def stream(
    request: Request,
    apikey: Annotated[str | None, Query(description="The API key (EventSource cannot send headers).")] = None,
    heartbeat: Annotated[float, Query(gt=0, le=60, description="Seconds between heartbeats.")] = HEARTBEAT_SECONDS,
    lasting: Annotated[
        float, Query(gt=0, le=3600, description="Seconds before the stream ends (the browser reconnects).")
    ] = STREAM_SECONDS,
) -> StreamingResponse:
    """Server-sent events: ``download`` (a download's progress or state changed), ``task`` (a job run started or
    finished), ``history`` (a new event, as in /api/events), ``heartbeat``, and ``bye``/``reset`` before the
    stream ends. While a stream is open the download client is read every DOWNLOAD_REFRESH_SECONDS."""
    require_key_or_query(request, apikey, "add ?apikey=<key> to the stream's address")
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    body = _stream(hub_of(request), heartbeat, lasting)
    return StreamingResponse(body, media_type="text/event-stream", headers=headers)
