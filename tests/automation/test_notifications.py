"""Notifications: every event type reaches a real webhook receiver on 127.0.0.1 (through Apprise's json:// and the
native webhook://), a target gets only the events it asked for, a failing target waits and loses nothing, and a
real grab on the fakes with a real qBittorrent sends "grabbed"."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shelfkeeper.automation.acquisition import acquire_wanted
from shelfkeeper.automation.notifications import deliver, notifications_task, send_test
from shelfkeeper.automation.run_context import JobResult
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.domain.events import HISTORY_ONLY, Event, EventType, parse_target
from shelfkeeper.services import events
from shelfkeeper.testing.server import LiveServer, free_port
from tests.automation.acquisition_support import build_stack, unique_size


class Receiver:
    """A webhook receiver: keeps every POST (path and JSON body); answers ``status`` (500 to play a broken one)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.status = 200
        self.lock = threading.Lock()
        self.app = Starlette(routes=[Route("/{path:path}", self._hook, methods=["POST"])])

    async def _hook(self, request: Request) -> Response:
        body = json.loads(await request.body() or b"{}")
        with self.lock:
            self.received.append((request.url.path, body))
        return JSONResponse({"ok": self.status < 300}, status_code=self.status)

    def bodies(self, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return [body for seen, body in self.received if seen == path]


@pytest.fixture(scope="module")
def receiver():
    hook = Receiver()
    server = LiveServer(hook.app).start()
    yield hook, server
    server.stop()


@pytest.fixture
def hook(receiver):
    found, server = receiver
    found.received.clear()
    found.status = 200
    return found, server


def stack_for(engine, tmp_path, urls: str, **options: Any):
    return next(build_stack(engine, tmp_path, notify_urls=urls, **options))


def every_event(now) -> list[Event]:
    book = {"title": "Project Hail Mary", "author": "Andy Weir", "wanted_book_id": 7}
    return [Event(kind, f"{kind.value} happened", at=now, book=book) for kind in EventType if kind != EventType.TEST]


def test_each_event_type_reaches_json_and_webhook_targets_in_order(engine, tmp_path, hook):
    receiver, server = hook
    host = server.url.split("://", 1)[1]
    urls = (
        f"json://{host}/apprise, webhook://{host}/native, grabbed|imported::webhook://{host}/some, "
        f"wanted|searched::webhook://{host}/history"
    )
    stack = stack_for(engine, tmp_path, urls, qbittorrent=False)
    now = stack.clock.now
    recorded = every_event(now)
    with unit_of_work(stack.context.sessions) as session:
        for event in recorded:
            events.record(session, event)
    result = stack.go(notifications_task)
    # A target without an event list gets every event but the history's own entries (searches, metadata...).
    sent = [event for event in recorded if event.type not in HISTORY_ONLY]
    assert len(sent) < len(recorded)
    native = receiver.bodies("/native")
    assert [body["event"] for body in native] == [event.type.value for event in sent]
    first = native[0]
    assert first["version"] == 1 and first["book"]["title"] == "Project Hail Mary"
    assert first["title"] == "Grabbed: Project Hail Mary" and first["time"] == now.isoformat()
    apprise = receiver.bodies("/apprise")
    assert len(apprise) == len(sent)
    assert [body["title"] for body in apprise][:2] == ["Grabbed: Project Hail Mary", "Imported: Project Hail Mary"]
    assert apprise[0]["message"] == "grabbed happened"
    assert [body["event"] for body in receiver.bodies("/some")] == ["grabbed", "imported"]
    assert [body["event"] for body in receiver.bodies("/history")] == ["wanted", "searched"]
    assert result.counts["sent"] == 2 * len(sent) + 2 + 2
    # A second run sends nothing again.
    assert stack.go(notifications_task).counts.get("sent", 0) == 0


def test_a_failing_target_waits_then_gets_everything_it_missed_without_failing_the_job(engine, tmp_path, hook):
    receiver, server = hook
    host = server.url.split("://", 1)[1]
    stack = stack_for(engine, tmp_path, f"webhook://{host}/flaky", qbittorrent=False)
    with unit_of_work(stack.context.sessions) as session:
        for event in every_event(stack.clock.now)[:3]:
            events.record(session, event)
    receiver.status = 500
    result = stack.go(notifications_task)
    assert result.counts == {"targets_failing": 1}
    assert len(receiver.bodies("/flaky")) == 1  # tried the first event, stopped there
    receiver.status = 200
    assert stack.go(notifications_task).counts == {"targets_waiting": 1}  # its retry time has not come
    stack.clock.advance(minutes=1, seconds=1)
    assert stack.go(notifications_task).counts == {"sent": 3}
    seen = [body["event"] for body in receiver.bodies("/flaky")]
    assert seen == ["grabbed", "grabbed", "imported", "download_failed"]


def test_nothing_listening_is_a_failure_said_and_retried_later(engine, tmp_path):
    url = f"webhook://127.0.0.1:{free_port()}/nobody"
    stack = stack_for(engine, tmp_path, url, qbittorrent=False)
    with unit_of_work(stack.context.sessions) as session:
        events.record(session, every_event(stack.clock.now)[0])
    target = parse_target(url)
    result = JobResult()

    async def once(run):
        await deliver(run, target, run.integrations.notifier(), result)

    stack.go(once)
    assert result.counts == {"targets_failing": 1}
    answers = stack.go(send_test)
    assert len(answers) == 1 and answers[0].ok is False and "could not be reached" in (answers[0].error or "")
    assert answers[0].target == f"webhook://127.0.0.1:{url.split(':')[2].split('/')[0]}"


def test_the_test_notification_reaches_every_target(engine, tmp_path, hook):
    receiver, server = hook
    host = server.url.split("://", 1)[1]
    urls = f"json://{host}/t1, imported::webhook://{host}/t2"
    stack = stack_for(engine, tmp_path, urls, qbittorrent=False)
    answers = stack.go(send_test)
    assert [(a.ok, a.events) for a in answers] == [(True, None), (True, ["imported"])]
    assert receiver.bodies("/t1")[0]["title"] == "Test notification"
    assert receiver.bodies("/t2")[0]["event"] == "test"


@pytest.mark.qbittorrent
def test_a_real_grab_sends_a_grabbed_event(engine, tmp_path, hook):
    receiver, server = hook
    host = server.url.split("://", 1)[1]
    stack = stack_for(engine, tmp_path, f"webhook://{host}/grabs")
    stack.prowlarr.add_indexer(1, "Indexer 1", definition_name="cardigann")
    release = stack.prowlarr.add_release("Andy Weir - Project Hail Mary [M4B]", indexer_id=1, size=unique_size())
    wanted_id = stack.wanted("Project Hail Mary", "Andy Weir")
    assert stack.go(acquire_wanted).counts["grabbed"] == 1
    stack.go(notifications_task)
    (body,) = receiver.bodies("/grabs")
    assert body["event"] == "grabbed"
    assert body["book"]["wanted_book_id"] == wanted_id and body["book"]["title"] == "Project Hail Mary"
    assert body["release"]["info_hash"] == release.info_hash
    assert body["release"]["title"] == release.title
    assert body["download"]["status"] == "downloading"


def test_event_history_lists_newest_first_and_filters(engine, tmp_path):
    stack = stack_for(engine, tmp_path, "", qbittorrent=False)
    with unit_of_work(stack.context.sessions) as session:
        for event in every_event(stack.clock.now):
            events.record(session, event)
    from shelfkeeper.services.paging import PageRequest

    with stack.context.sessions() as session:
        page = events.list_events(session, PageRequest(limit=3), types=[EventType.IMPORTED, EventType.GRABBED])
        assert page.total == 2 and [e.type for e in page.items] == [EventType.IMPORTED, EventType.GRABBED]
        assert events.list_events(session, PageRequest(), wanted_book_id=7).total == len(EventType) - 1
        assert events.list_events(session, PageRequest(), wanted_book_id=8).total == 0
