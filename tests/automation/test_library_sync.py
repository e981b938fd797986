"""Library sync against the Audiobookshelf fake served for real: messy items, full and incremental, removals."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from shelfkeeper.api.app import create_app
from shelfkeeper.automation.library_sync import STATE_KEY, STATE_SERVICE, library_sync_task
from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.context import AppContext
from shelfkeeper.db.service_state import ServiceStateStore
from shelfkeeper.db.tables import Book, FailedAttempt, Series, Task
from shelfkeeper.integrations import Integrations
from shelfkeeper.jobs.leases import LeaseManager
from shelfkeeper.jobs.registry import default_jobs
from shelfkeeper.jobs.runner import JobRunner, job_lock
from shelfkeeper.settings import Settings
from shelfkeeper.testing.clock import RecordingSleep
from shelfkeeper.testing.clock import SyncClock as Clock
from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf
from shelfkeeper.testing.server import LiveServer, serve

TOKEN = "abs-sync-token-0123456789"
API_KEY = "sync-api-key-0123456789abcdef"
WRITTEN_TABLES = ("books", "book_authors", "book_narrators", "book_series", "series", "authors", "failed_attempts")


class ItemFault:
    """Answers 404 for one item, and leaves it out of batch reads, as when an item is deleted between the
    listing and the fetch."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.broken: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == "/api/items/batch/get" and self.broken:
            body = json.loads(await _body(receive) or b"{}")
            body["libraryItemIds"] = [i for i in body.get("libraryItemIds", []) if i not in self.broken]
            await self.app(scope, _replay(json.dumps(body).encode()), send)
            return
        if path.startswith("/api/items/") and path.rsplit("/", 1)[-1] in self.broken:
            await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


@dataclass
class Library:
    fake: FakeAudiobookshelf
    library_id: str
    ids: dict[str, str]  # title -> item id


def seed_messy_library(fake: FakeAudiobookshelf) -> Library:
    library_id = fake.add_library("Audiobooks", ["/audiobooks"], id="lib_books")
    ids: dict[str, str] = {}

    def add(title: str, **fields: Any) -> None:
        ids[title or fields["path"]] = fake.add_item(library_id, title, **fields)

    add(
        "The Way of Kings",
        authors=["Brandon Sanderson"],
        narrators=["Michael Kramer", "Kate Reading"],
        series=[("The Stormlight Archive", "1")],
        subtitle="The Stormlight Archive, Book 1",
        asin="B003P2WO5E",
        isbn="9780765326355",
        publisher="Macmillan Audio",
        published_year="2010",
        language="English",
        genres=["Fantasy", "Epic"],
        description="<p>Roshar is a world of stone and storms.</p>",
        duration=163_800.5,
        size=2_100_000_000,
        cover_path="/metadata/items/way/cover.jpg",
    )
    add("Words of Radiance", authors=["Brandon Sanderson"], series=[("The Stormlight Archive", "2")])
    for title, number in (("Guards! Guards!", "8"), ("Men at Arms", "15"), ("Feet of Clay", "19")):
        add(title, authors=["Terry Pratchett"], narrators=["Nigel Planer"], series=[("Discworld", number)])
    add("Leviathan Wakes", authors=["James S. A. Corey"], series=[("The Expanse", "1")])
    add("The Butcher of Anderson Station", authors=["James S. A. Corey"], series=[("The Expanse", "1.5")])
    add("The Expanse Boxed Set", authors=["James S. A. Corey"], series=[("The Expanse", "1-3")])
    add("A Wizard of Earthsea", authors=["Le Guin, Ursula K."], series=[("Earthsea Cycle, The", "1")])
    add("Good Omens", authors=["Terry Pratchett", "Neil Gaiman"], narrators=["Martin Jarvis"])
    add("三体", authors=["刘慈欣"], series=[("地球往事", "1")], language="Chinese")
    add("Der Schwarm", authors=["Frank Schätzing"], language="Deutsch", published_year="2004")
    add("", path="/audiobooks/Mystery Folder")  # nothing known but a folder
    return Library(fake, library_id, ids)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def library(clock: Clock) -> Library:
    return seed_messy_library(FakeAudiobookshelf(TOKEN, clock=clock))


@pytest.fixture
def fault(library: Library) -> ItemFault:
    return ItemFault(library.fake.app)


@pytest.fixture
def abs_server(fault: ItemFault) -> Iterator[LiveServer]:
    with serve(fault) as live:
        yield live


@pytest.fixture
def abs_context(engine: Engine, tmp_path: Path, abs_server: LiveServer) -> AppContext:
    settings = Settings(
        data_dir=tmp_path / "data",
        api_key=API_KEY,
        abs_url=abs_server.url,
        abs_token=TOKEN,
        run_scheduler=False,
        _env_file=None,
    )
    context = AppContext.from_settings(settings, engine=engine)
    context.integrations = Integrations(context, sleep=RecordingSleep())
    return context


def sync(context: AppContext, clock: Clock, **parameters: Any) -> JobResult:
    async def run() -> JobResult:
        try:
            return await library_sync_task(RunContext(app=context, parameters=parameters, clock=clock.datetime))
        finally:
            await context.integrations.aclose()

    return asyncio.run(run())


def book(sessions: sessionmaker[Session], abs_id: str) -> Book:
    with sessions() as session:
        found = session.scalar(select(Book).where(Book.abs_id == abs_id))
        assert found is not None, abs_id
        return found


def people(found: Book) -> tuple[list[str], list[str], list[tuple[str, str | None]]]:
    authors = [link.author.name for link in found.author_links]
    narrators = [link.name for link in found.narrator_links]
    series = sorted((link.series.name, link.position) for link in found.series_links)
    return authors, narrators, series


class WriteCounter:
    """Counts INSERT/UPDATE/DELETE statements on the library tables (idempotence: a no-op sync writes none)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def __enter__(self) -> WriteCounter:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        words = statement.split()
        verb = words[0].upper() if words else ""
        if verb in ("INSERT", "UPDATE", "DELETE") and any(f" {t} " in f" {statement} " for t in WRITTEN_TABLES):
            self.statements.append(statement.split("\n")[0][:80])


# ---- full sync of a messy library ---------------------------------------------------------------------------


def test_full_sync_imports_every_item_with_exact_series(
    abs_context: AppContext, sessions: sessionmaker[Session], library: Library, clock: Clock
) -> None:
    result = sync(abs_context, clock)
    total = len(library.ids)
    assert result.metrics["mode"] == "full"
    assert result.metrics["reason"] == "no full sync was done before"
    assert result.counts == {
        "seen": total,
        "created": total,
        "updated": 0,
        "unchanged": 0,
        "removed": 0,
        "restored": 0,
        "errors": 0,
    }
    kings = book(sessions, library.ids["The Way of Kings"])
    assert people(kings) == (
        ["Brandon Sanderson"],
        ["Michael Kramer", "Kate Reading"],
        [("The Stormlight Archive", "1")],
    )
    assert (kings.title, kings.subtitle, kings.asin, kings.isbn) == (
        "The Way of Kings",
        "The Stormlight Archive, Book 1",
        "B003P2WO5E",
        "9780765326355",
    )
    assert (kings.publisher, kings.published_year, kings.language, kings.genres) == (
        "Macmillan Audio",
        2010,
        "English",
        ["Fantasy", "Epic"],
    )
    assert kings.description == "<p>Roshar is a world of stone and storms.</p>"
    assert (kings.duration_seconds, kings.size_bytes, kings.has_cover) == (163_800.5, 2_100_000_000, True)
    assert kings.path == "/audiobooks/Brandon Sanderson/The Stormlight Archive/The Way of Kings"
    assert kings.abs_added_at is not None and kings.abs_updated_at is not None
    assert kings.library_id == library.library_id and kings.in_library and kings.removed_at is None


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("The Butcher of Anderson Station", (["James S. A. Corey"], [], [("The Expanse", "1.5")])),
        ("The Expanse Boxed Set", (["James S. A. Corey"], [], [("The Expanse", "1-3")])),
        ("Men at Arms", (["Terry Pratchett"], ["Nigel Planer"], [("Discworld", "15")])),
        # "Earthsea Cycle, The #1" cannot be split back from the list's joined string: read exactly.
        ("A Wizard of Earthsea", (["Ursula K. Le Guin"], [], [("Earthsea Cycle, The", "1")])),
        ("Good Omens", (["Terry Pratchett", "Neil Gaiman"], ["Martin Jarvis"], [])),
        ("三体", (["刘慈欣"], [], [("地球往事", "1")])),
        ("Der Schwarm", (["Frank Schätzing"], [], [])),
        ("/audiobooks/Mystery Folder", ([], [], [])),
    ],
)
def test_messy_items_become_clean_books(
    abs_context: AppContext,
    sessions: sessionmaker[Session],
    library: Library,
    clock: Clock,
    title: str,
    expected: tuple[list[str], list[str], list[tuple[str, str | None]]],
) -> None:
    sync(abs_context, clock)
    found = book(sessions, library.ids[title])
    assert people(found) == expected
    assert found.title == (title if not title.startswith("/") else "Mystery Folder")


def test_series_are_read_from_the_series_listing_and_their_stats_refreshed(
    abs_context: AppContext, sessions: sessionmaker[Session], library: Library, clock: Clock
) -> None:
    result = sync(abs_context, clock, page_size=2)  # pages of two: new items read one batch per page
    requests = result.metrics["requests"]
    listings = [r for r in library.fake.requests if r[1].endswith("/series")]
    batches = [r for r in library.fake.requests if r[1] == "/api/items/batch/get"]
    # One page of the series listing gives every series' id and every book's sequence: no per-series listing,
    # no single-item read (not even "Earthsea Cycle, The #1", whose name the list form cannot split).
    assert requests["series_pages"] == len(listings) == 1
    single = [r for r in library.fake.requests if r[1].startswith("/api/items/") and r[1] != "/api/items/batch/get"]
    assert single == [] and not [r for r in library.fake.requests if "filter=series." in r[2]]
    # The few new items of each page are read in one batch (exact people, audio format); none is left over.
    assert requests["item_batches"] == len(batches) == requests["pages"]
    assert requests["expanded_items"] == len(library.ids) and "format_batches" not in requests
    discworld_id = next(s["id"] for s in library.fake.data.series.values() if s["name"] == "Discworld")
    with sessions() as session:
        series = {s.name: s for s in session.scalars(select(Series))}
    assert {s.abs_id for s in series.values()} == set(library.fake.data.series)
    assert series["Discworld"].abs_id == discworld_id
    assert series["Discworld"].owned_count == 3
    assert series["The Expanse"].owned_count == 4  # positions 1, 1.5, and 2 and 3 from the box set "1-3"
    assert series["Earthsea Cycle, The"].owned_count == 1


# ---- incremental, idempotent ---------------------------------------------------------------------------------


def test_second_sync_changes_nothing(abs_context: AppContext, engine: Engine, library: Library, clock: Clock) -> None:
    with WriteCounter(engine) as first:
        sync(abs_context, clock)
    assert any(s.startswith("INSERT INTO books") for s in first.statements)  # the counter does see writes
    total = len(library.ids)
    for parameters in ({}, {"full": True}):
        clock.advance(60)
        with WriteCounter(engine) as writes:
            result = sync(abs_context, clock, **parameters)
        assert result.counts["unchanged"] == result.counts["seen"] == total
        assert sum(result.counts.values()) == 2 * total
        assert writes.statements == []
        assert result.metrics["requests"].get("expanded_items", 0) == 0
    assert result.metrics["mode"] == "full"


def test_incremental_sync_updates_a_changed_item(
    abs_context: AppContext, sessions: sessionmaker[Session], library: Library, clock: Clock
) -> None:
    sync(abs_context, clock)
    clock.advance(3600)
    item = library.fake.item(library.ids["Words of Radiance"])
    library.fake.data.apply_media_patch(
        item,
        {
            "metadata": {
                "title": "Words of Radiance (Unabridged)",
                "narrators": ["Michael Kramer", "Kate Reading"],
                "series": [{"name": "The Stormlight Archive", "sequence": "2"}, {"name": "Cosmere", "sequence": "7"}],
                "asin": "B00JG9X6SG",
            }
        },
    )
    clock.advance(60)
    result = sync(abs_context, clock)
    assert result.metrics["mode"] == "incremental"
    assert result.counts["updated"] == 1
    assert result.counts["unchanged"] == len(library.ids) - 1
    found = book(sessions, item.id)
    assert found.title == "Words of Radiance (Unabridged)" and found.asin == "B00JG9X6SG"
    assert people(found) == (
        ["Brandon Sanderson"],
        ["Michael Kramer", "Kate Reading"],
        [("Cosmere", "7"), ("The Stormlight Archive", "2")],
    )
    assert " unabridged " in found.search_text and " cosmere " in found.search_text


def test_a_failed_full_sync_leaves_the_watermark_and_the_next_run_full(
    abs_context: AppContext, library: Library, clock: Clock
) -> None:
    library.fake.faults.set("down")
    with pytest.raises(Exception, match="502"):
        sync(abs_context, clock)
    assert ServiceStateStore(abs_context.sessions).get(STATE_SERVICE).get(STATE_KEY) is None
    library.fake.faults.clear()
    assert sync(abs_context, clock).metrics["mode"] == "full"


# ---- removals ------------------------------------------------------------------------------------------------


def test_removed_item_is_marked_and_restored_when_it_returns(
    abs_context: AppContext, sessions: sessionmaker[Session], library: Library, clock: Clock
) -> None:
    sync(abs_context, clock)
    item_id = library.ids["Feet of Clay"]
    record = library.fake.data.items.pop(item_id)
    clock.advance(60)
    result = sync(abs_context, clock, full=True)
    assert result.counts["removed"] == 1 and result.counts["seen"] == len(library.ids) - 1
    gone = book(sessions, item_id)
    assert not gone.in_library and gone.removed_at == clock.datetime()
    with sessions() as session:
        assert session.scalar(select(Series.owned_count).where(Series.name == "Discworld")) == 2
    library.fake.data.items[item_id] = record
    clock.advance(60)
    result = sync(abs_context, clock, full=True)
    assert (result.counts["restored"], result.counts["removed"]) == (1, 0)
    back = book(sessions, item_id)
    assert back.in_library and back.removed_at is None and back.id == gone.id
    with sessions() as session:
        assert session.scalar(select(Series.owned_count).where(Series.name == "Discworld")) == 3


def test_missing_item_is_marked_by_an_incremental_sync(
    abs_context: AppContext, sessions: sessionmaker[Session], library: Library, clock: Clock
) -> None:
    sync(abs_context, clock)
    record = library.fake.item(library.ids["Good Omens"])
    for missing, expected in ((True, "removed"), (False, "restored")):
        clock.advance(60)
        record.is_missing, record.updated_at = missing, library.fake.data.stamp()
        result = sync(abs_context, clock)
        assert result.metrics["mode"] == "incremental" and result.counts[expected] == 1
        assert book(sessions, record.id).in_library is not missing


def test_item_added_again_under_a_new_id_gets_its_old_book_back(
    abs_context: AppContext, sessions: sessionmaker[Session], library: Library, clock: Clock
) -> None:
    sync(abs_context, clock)
    old = library.fake.data.items.pop(library.ids["Der Schwarm"])
    clock.advance(60)
    sync(abs_context, clock, full=True)
    new_id = library.fake.add_item(
        library.library_id, "Der Schwarm", authors=["Frank Schätzing"], path=old.path, language="Deutsch"
    )
    clock.advance(60)
    result = sync(abs_context, clock, full=True)
    assert (result.counts["restored"], result.counts["created"]) == (1, 0)
    with sessions() as session:
        rows = session.scalars(select(Book).where(Book.path == old.path)).all()
        assert [(b.abs_id, b.in_library) for b in rows] == [(new_id, True)]


# ---- paging, failures, outages -------------------------------------------------------------------------------


def test_paging_with_a_small_page_size(
    abs_context: AppContext, sessions: sessionmaker[Session], library: Library, clock: Clock
) -> None:
    result = sync(abs_context, clock, page_size=2)
    total = len(library.ids)
    assert result.metrics["requests"]["pages"] == (total + 1) // 2
    assert result.counts["created"] == total
    pages = [r for r in library.fake.requests if r[1].endswith("/items") and "filter=" not in r[2]]
    assert [q for _, _, q in pages][:2] == [
        "limit=2&page=0&sort=addedAt&minified=1",
        "limit=2&page=1&sort=addedAt&minified=1",
    ]
    assert people(book(sessions, library.ids["Feet of Clay"]))[2] == [("Discworld", "19")]
    clock.advance(60)
    again = sync(abs_context, clock, page_size=2, full=True)
    assert again.counts["unchanged"] == total


def test_failing_item_is_recorded_and_skipped(
    abs_context: AppContext,
    sessions: sessionmaker[Session],
    library: Library,
    fault: ItemFault,
    clock: Clock,
) -> None:
    broken = library.ids["三体"]
    fault.broken.add(broken)
    result = sync(abs_context, clock)
    assert result.counts["errors"] == 1 and result.counts["created"] == len(library.ids) - 1
    with sessions() as session:
        attempt = session.scalars(select(FailedAttempt)).one()
        assert session.scalar(select(Book).where(Book.abs_id == broken)) is None
    assert attempt.kind == "sync" and broken in attempt.subject
    assert attempt.evidence["stage"] == "fetch" and attempt.evidence["error_code"] == "SERVICE_BAD_RESPONSE"
    # The watermark waits for the failed item: the next incremental sync tries it again.
    fault.broken.clear()
    clock.advance(3600)
    retried = sync(abs_context, clock)
    assert retried.metrics["mode"] == "incremental"
    assert retried.counts["created"] == 1 and retried.counts["errors"] == 0
    assert people(book(sessions, broken))[2] == [("地球往事", "1")]


def test_text_postgresql_would_refuse_is_cleaned(
    abs_context: AppContext, sessions: sessionmaker[Session], library: Library, clock: Clock
) -> None:
    item_id = library.fake.add_item(
        library.library_id,
        "Nul\x00Title " + "long " * 200,
        authors=["Tag\x00Reader"],
        series=[("S" * 600, "1\x00")],
        description="read from an ID3 tag\x00",
    )
    result = sync(abs_context, clock)
    assert result.counts["errors"] == 0
    found = book(sessions, item_id)
    assert found.title.startswith("NulTitle long") and len(found.title) == 500
    assert found.description == "read from an ID3 tag"
    assert people(found) == (["TagReader"], [], [("S" * 500, "1")])
    clock.advance(60)
    again = sync(abs_context, clock, full=True)
    assert again.counts["unchanged"] == again.counts["seen"]


def test_an_item_the_database_refuses_fails_alone(
    abs_context: AppContext, engine: Engine, sessions: sessionmaker[Session], library: Library, clock: Clock
) -> None:
    overlong = "li_" + "x" * 80  # Book.abs_id holds 64 characters: PostgreSQL refuses more, SQLite stores it
    library.fake.add_item(library.library_id, "Odd Id", id=overlong, authors=["Someone"])
    result = sync(abs_context, clock)
    with sessions() as session:
        stored = session.scalar(select(Book.abs_id).where(Book.title == "Odd Id"))
        attempts = session.scalars(select(FailedAttempt)).all()
    others = len(library.ids)
    if engine.dialect.name == "postgresql":
        assert (result.counts["created"], result.counts["errors"]) == (others, 1)
        assert stored is None
        assert [(a.kind, a.evidence["stage"], a.evidence["abs_id"]) for a in attempts] == [("sync", "write", overlong)]
    else:
        assert (result.counts["created"], result.counts["errors"]) == (others + 1, 0)
        assert stored == overlong and attempts == []


def test_audiobookshelf_down_fails_the_task_and_schedules_a_retry(
    abs_context: AppContext, sessions: sessionmaker[Session], library: Library
) -> None:
    library.fake.faults.set("down")
    runner = JobRunner(abs_context, default_jobs())

    async def run() -> int:
        try:
            return await runner.run_now("library_sync_task", parameters={"full": True})
        finally:
            await abs_context.integrations.aclose()

    task_id = asyncio.run(run())
    with sessions() as session:
        task = session.get(Task, task_id)
        assert task is not None and task.status == "failed"
        assert task.error is not None and "502" in task.error
        retry = session.scalars(select(Task).where(Task.trigger == "retry")).one()
        assert retry.name == "library_sync_task" and retry.parameters == {"full": True}
        assert session.scalars(select(Book)).first() is None


def test_not_configured_skips_the_run(context: AppContext) -> None:
    result = asyncio.run(library_sync_task(RunContext(app=context)))
    assert set(result.counts.values()) == {0}
    assert "not configured" in result.metrics["skipped"]


# ---- the endpoint --------------------------------------------------------------------------------------------


@pytest.fixture
def api(abs_context: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(context=abs_context), headers={"X-Api-Key": API_KEY}) as client:
        yield client


def test_sync_endpoint_runs_the_job(api: TestClient, abs_context: AppContext, library: Library) -> None:
    answer = api.post("/api/books/sync", json={"full": True})
    assert answer.status_code == 202, answer.text
    data = answer.json()["data"]
    assert data["name"] == "library_sync_task"
    assert api.portal is not None
    api.portal.call(abs_context.job_runner().wait_idle)
    task = api.get(f"/api/scheduler/history/{data['task_id']}").json()["data"]
    assert task["status"] == "success" and task["parameters"] == {"full": True}
    assert task["counts"]["created"] == len(library.ids)
    listed = api.get("/api/books", params={"q": "Earthsea"}).json()["data"]
    assert [b["series"][0]["name"] for b in listed["items"]] == ["Earthsea Cycle, The"]


def test_sync_endpoint_answers_409_while_a_sync_runs(api: TestClient, abs_context: AppContext) -> None:
    assert LeaseManager(abs_context.sessions).acquire(job_lock("library_sync_task"), "someone-else", 600)
    answer = api.post("/api/books/sync")
    assert answer.status_code == 409
    assert answer.json()["error_code"] == "JOB_ALREADY_RUNNING"


@pytest.mark.parametrize("body", [{"full": "every other tuesday"}, {"fast": True}, [1, 2]])
def test_sync_endpoint_refuses_a_bad_body(api: TestClient, body: Any) -> None:
    answer = api.post("/api/books/sync", json=body)
    assert answer.status_code == 422
    assert answer.json()["error_code"] == "VALIDATION_ERROR"


def test_sync_endpoint_needs_audiobookshelf(client: TestClient) -> None:
    answer = client.post("/api/books/sync", json={"full": False})
    assert answer.status_code == 503
    assert answer.json()["error_code"] == "SERVICE_NOT_CONFIGURED"
