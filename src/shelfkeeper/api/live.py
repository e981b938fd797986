"""The live hub: one loop per process reads what changed while pages listen, and hands it to each listener.

Each listener has a bounded queue: a page that does not read (a stalled tab, a slow link) is dropped with a
``reset`` message rather than holding memory; the browser reconnects and reloads its view. The loop runs only
while someone listens; while it runs, it also drives the fast download refresh (the page is open).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from shelfkeeper.api.schemas.events import EventRead
from shelfkeeper.automation.download_refresh import DownloadRefresher
from shelfkeeper.context import AppContext
from shelfkeeper.services import live

logger = logging.getLogger("shelfkeeper.api")
QUEUE_SIZE = 200  # messages waiting for one listener before it is dropped


def message(kind: str, data: Any) -> str:
    """One server-sent event: its name and its JSON data."""
    return f"event: {kind}\ndata: {json.dumps(data, default=str, separators=(',', ':'))}\n\n"


@dataclass(eq=False)
class Listener:
    queue: asyncio.Queue[str] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    dropped: bool = False

    def offer(self, text: str) -> None:
        if self.dropped:
            return
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.dropped = True  # the stream ends with "reset"; the page reconnects and reloads


class LiveHub:
    """Listeners of this process and the loop that feeds them."""

    def __init__(self, app: AppContext, refresher: DownloadRefresher, *, poll_seconds: float = 1.0) -> None:
        self.app = app
        self.refresher = refresher
        self.poll_seconds = poll_seconds
        self.listeners: set[Listener] = set()
        self._loop: asyncio.Task[None] | None = None

    def subscribe(self) -> Listener:
        listener = Listener()
        self.listeners.add(listener)
        self.refresher.viewers = len(self.listeners)
        if self._loop is None or self._loop.done():
            self._loop = asyncio.create_task(self._run())
        return listener

    def unsubscribe(self, listener: Listener) -> None:
        self.listeners.discard(listener)
        self.refresher.viewers = len(self.listeners)

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
            self._loop = None

    def _read(self, work: Any) -> Any:
        with self.app.sessions() as session:
            return work(session)

    async def _run(self) -> None:
        cursor = await asyncio.to_thread(self._read, live.start)
        while self.listeners:
            try:
                await self.refresher.tick()
                changes = await asyncio.to_thread(self._read, lambda s: live.look(s, cursor))
            except Exception:  # a database hiccup: the listeners keep their streams, the next look tries again
                logger.exception("live stream: reading the changes failed")
                changes = None
            if changes:
                self.publish(changes)
            await asyncio.sleep(self.poll_seconds)

    def publish(self, changes: live.LiveChanges) -> None:
        texts = [message("download", state) for state in changes.downloads]
        texts += [message("task", state) for state in changes.tasks]
        texts += [message("history", EventRead.of(event).model_dump(mode="json")) for event in changes.events]
        for listener in list(self.listeners):
            for text in texts:
                listener.offer(text)
