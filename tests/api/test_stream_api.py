"""GET /api/stream on a real server: the key (header or ?apikey=), hello and heartbeats, download progress read
from the client while someone listens, job runs, new history events, the stream's end, and listeners cleaned up
when they go or fall behind."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from shelfkeeper.api.app import create_app
from shelfkeeper.api.live import QUEUE_SIZE, Listener, LiveHub, message
from shelfkeeper.context import AppContext
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import Download, Task
from shelfkeeper.domain.events import Event, EventType
from shelfkeeper.domain.torrents.status import TorrentInfo, TorrentState
from shelfkeeper.integrations import Integrations
from shelfkeeper.services import events
from shelfkeeper.settings import Settings
from shelfkeeper.testing.doubles.downloads import InMemoryDownloadClient
from shelfkeeper.testing.server import LiveServer

KEY = "stream-api-key-0123456789abcdef"
HASH = "3c" * 20


class Served:
    def __init__(self, context: AppContext, client: InMemoryDownloadClient, server: LiveServer, hub: LiveHub) -> None:
        self.context, self.client, self.server, self.hub = context, client, server, hub


@pytest.fixture
def served(engine: Engine, tmp_path: Path) -> Iterator[Served]:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", api_key=KEY, run_scheduler=False,  # type: ignore[call-arg]
                        download_refresh_seconds=1)  # fmt: skip
    context = AppContext.from_settings(settings, engine=engine)
    client = InMemoryDownloadClient()
    context.integrations = Integrations(context, adapters={"qbittorrent": client})
    app = create_app(context=context)
    app.load_route_areas()  # the live hub comes with them
    hub: LiveHub = app.state.live
    hub.poll_seconds = 0.2
    server = LiveServer(app).start()
    try:
        yield Served(context, client, server, hub)
    finally:
        server.stop()


class Reader:
    """The server-sent events of one open stream, as (kind, data) pairs."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.iter_lines()

    def next(self) -> tuple[str, Any]:
        kind, data = "", None
        for line in self.lines:
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
            elif not line and kind:
                return kind, data
        raise AssertionError("the stream ended")

    def until(self, accept: Any, limit: int = 200) -> tuple[str, Any]:
        for _ in range(limit):
            kind, data = self.next()
            if accept(kind, data):
                return kind, data
        raise AssertionError("never came")


def open_stream(served: Served, **params: Any) -> Any:
    return httpx.stream("GET", f"{served.server.url}/api/stream", params={"apikey": KEY, **params}, timeout=20)


def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_stream_needs_the_key_in_a_header_or_the_address(served: Served) -> None:
    url = f"{served.server.url}/api/stream"
    for params, headers in (({}, {}), ({"apikey": "wrong"}, {}), ({}, {"X-Api-Key": "wrong"})):
        answer = httpx.get(url, params=params, headers=headers, timeout=10)
        assert answer.status_code == 401
        assert answer.json()["error_code"] == "UNAUTHORIZED"
        assert "?apikey=" in answer.json()["error"]
    with httpx.stream("GET", url, params={"lasting": 1}, headers={"X-Api-Key": KEY}, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert Reader(response).next() == ("hello", {"download_refresh_seconds": 1})
    assert httpx.get(url, params={"apikey": KEY, "heartbeat": 0}, timeout=10).status_code == 422


def test_download_progress_job_runs_and_events_reach_the_listener(served: Served) -> None:
    served.client.torrents[HASH] = TorrentInfo(info_hash=HASH, name="Live", state=TorrentState.DOWNLOADING,
                                               raw_state="downloading", progress=0.2, size_bytes=100)  # fmt: skip
    with unit_of_work(served.context.sessions) as session:
        download = Download(indexer="Test", release_title="Live [m4b]", guid="g", info_hash=HASH,
                            status="downloading", progress=0.0)  # fmt: skip
        task = Task(name="library_sync_task", trigger="manual", status="running")
        session.add_all([download, task])
        session.flush()
        download_id, task_id = download.id, task.id
    with open_stream(served, heartbeat=0.3) as response:
        stream = Reader(response)
        assert stream.next()[0] == "hello"
        # The client is read while the page listens: its progress arrives without any job running.
        _, first = stream.until(lambda kind, data: kind == "download" and data["progress"] == 0.2)
        assert (first["id"], first["status"], first["client_state"]) == (download_id, "downloading", "downloading")
        served.client.advance(HASH, progress=0.7, download_speed=1234)
        _, moved = stream.until(lambda kind, data: kind == "download" and data["progress"] == 0.7)
        assert moved["download_speed"] == 1234
        with unit_of_work(served.context.sessions) as session:
            row = session.get_one(Task, task_id)
            row.status, row.counts = "success", {"books_seen": 3}
            events.record(session, Event(EventType.BOOK_RELEASED, "Leviathan Falls is out.", book={"title": "LF"}))
        _, finished = stream.until(lambda kind, data: kind == "task")
        assert (finished["id"], finished["status"], finished["counts"]) == (task_id, "success", {"books_seen": 3})
        _, told = stream.until(lambda kind, data: kind == "history")
        assert (told["type"], told["message"], told["book"]) == (
            "book_released",
            "Leviathan Falls is out.",
            {"title": "LF"},
        )
        assert stream.until(lambda kind, data: kind == "heartbeat")[1]["at"]
    with unit_of_work(served.context.sessions) as session:
        assert session.get_one(Download, download_id).progress == 0.7  # stored, not only told


def test_the_stream_ends_and_listeners_are_forgotten(served: Served) -> None:
    with open_stream(served, lasting=3, heartbeat=0.2) as response:
        stream = Reader(response)
        assert stream.next()[0] == "hello"
        assert len(served.hub.listeners) == 1
        assert served.context.download_refresher is not None and served.context.download_refresher.viewers == 1
        assert stream.until(lambda kind, data: kind == "bye")[1] == {"reconnect": True}
    wait_for(lambda: not served.hub.listeners)
    print("DEBUGX test empty", time.monotonic(), flush=True)
    # A client that goes away in the middle of a stream is forgotten too.
    with open_stream(served, heartbeat=0.2) as response:
        assert Reader(response).next()[0] == "hello"
    wait_for(lambda: not served.hub.listeners)
    assert served.context.download_refresher.viewers == 0


def test_a_listener_that_falls_behind_is_dropped_not_kept_growing() -> None:
    listener = Listener()
    for number in range(QUEUE_SIZE + 5):
        listener.offer(message("history", {"id": number}))
    assert listener.dropped
    assert listener.queue.qsize() == QUEUE_SIZE  # bounded: the rest were not kept


def test_a_stream_that_falls_behind_ends_with_reset(served: Served) -> None:
    with open_stream(served, heartbeat=0.2) as response:
        stream = Reader(response)
        assert stream.next()[0] == "hello"
        wait_for(lambda: len(served.hub.listeners) == 1)
        (listener,) = served.hub.listeners
        listener.dropped = True  # as when its queue filled up
        assert stream.until(lambda kind, data: kind in {"reset", "bye"}, limit=5)[0] == "reset"
    wait_for(lambda: not served.hub.listeners)
