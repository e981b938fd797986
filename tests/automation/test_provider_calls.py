"""Outside sources asked through ProviderCalls, with the ports' in-memory doubles (no HTTP): a failing source is
reported and skipped, an unconfigured one left out, a spent one dropped for the rest of a run."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine

from shelfkeeper.automation.provider_calls import ProviderCalls
from shelfkeeper.automation.release_search import find_releases
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.context import AppContext
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.verification import WantedEdition
from shelfkeeper.errors import QuotaExhausted, ServiceUnreachable
from shelfkeeper.integrations import Integrations
from shelfkeeper.ports import BookQuery
from shelfkeeper.settings import Settings
from shelfkeeper.testing.doubles import InMemoryBookCatalog, InMemoryIndexer, InMemoryTracker

T = TypeVar("T")
DARKER = WantedEdition(title="You Like It Darker", authors=("Stephen King",))
MIB = 1024 * 1024


def darker(source: str, guid: str, title: str, **fields: Any) -> Release:
    values: dict[str, Any] = {"size_bytes": 600 * MIB, "seeders": 20, "file_type": "m4b", **fields}
    if source == "mam":
        values.setdefault("authors", ("Stephen King",))
        return Release("MyAnonamouse", title, guid, source="mam", mam_id=int(guid), **values)
    return Release("AudioBook Bay", title, guid, info_hash=guid * 40, **values)


def run_with(engine: Engine, tmp_path: Path, work: Callable[[RunContext], Awaitable[T]], **adapters: Any) -> T:
    """``work`` run once with these doubles in place of the outside services (nothing else is configured)."""
    settings = Settings(data_dir=tmp_path / "data", api_key="k" * 32, run_scheduler=False, _env_file=None)
    context = AppContext.from_settings(settings, engine=engine)
    context.integrations = Integrations(context, adapters=adapters)
    return asyncio.run(work(RunContext(app=context)))


@pytest.fixture
def mam() -> InMemoryTracker:
    return InMemoryTracker(
        [darker("mam", "555", "You Like It Darker"), darker("mam", "556", "You Like It Darker (Abridged)")]
    )


def test_a_failing_source_is_reported_and_skipped(engine: Engine, tmp_path: Path, mam: InMemoryTracker) -> None:
    prowlarr = InMemoryIndexer("prowlarr", [darker("prowlarr", "a", "Stephen King - You Like It Darker [M4B]")])
    prowlarr.fail("search", ServiceUnreachable("prowlarr", "connection refused"))
    result = run_with(engine, tmp_path, lambda run: find_releases(run, DARKER), prowlarr=prowlarr, mam=mam)
    prowlarr_report, mam_report = result.sources
    assert not prowlarr_report.ok and prowlarr_report.error_code == "SERVICE_UNREACHABLE"
    assert mam_report.ok and mam_report.count == 2
    assert {item.release.source for item in result.ranked} == {"mam"}
    assert result.ranked[0].accepted
    assert [query.title for query, _limit in mam.called("search")] == ["You Like It Darker"]


def test_an_unconfigured_source_is_left_out(engine: Engine, tmp_path: Path, mam: InMemoryTracker) -> None:
    result = run_with(engine, tmp_path, lambda run: find_releases(run, DARKER), mam=mam)
    assert result.sources[0].error == "not configured" and result.sources[0].error_code == "SERVICE_NOT_CONFIGURED"
    assert {item.release.source for item in result.ranked} == {"mam"}


def test_a_spent_provider_is_dropped_for_the_rest_of_the_run(engine: Engine, tmp_path: Path) -> None:
    google = InMemoryBookCatalog("google_books")
    google.fail("search", QuotaExhausted("google_books", "daily budget spent"))

    async def ask_twice(run: RunContext) -> tuple[list[object], ProviderCalls]:
        calls, answers = ProviderCalls(run), []
        source = calls.adapter("google_books", run.integrations.google_books)
        assert source is not None
        for title in ("Dune", "Emma"):
            answers.append(await calls.ask("google_books", title, partial(source.search, BookQuery(title=title)), []))
        assert calls.adapter("google_books", run.integrations.google_books) is None, "dropped: not handed out"
        return answers, calls

    answers, calls = run_with(engine, tmp_path, ask_twice, google_books=google)
    assert answers == [[], []]
    assert len(google.called("search")) == 1, "the second book does not ask a spent provider"
    assert calls.dropped == {"google_books": "SERVICE_QUOTA_EXHAUSTED"}
    assert [(f.provider, f.subject, f.error_code) for f in calls.failures] == [
        ("google_books", "Dune", "SERVICE_QUOTA_EXHAUSTED")
    ]


def test_without_dropping_every_book_asks_again(engine: Engine, tmp_path: Path) -> None:
    google = InMemoryBookCatalog("google_books")
    google.fail("search", ServiceUnreachable("google_books", "connection refused"))

    async def ask_twice(run: RunContext) -> tuple[list[object], tuple[str, ...]]:
        calls = ProviderCalls(run, drop_failing=False)
        source = run.integrations.google_books()
        first, error = await calls.attempt("google_books", "Dune", lambda: source.search(BookQuery(title="Dune")), [])
        second, again = await calls.attempt("google_books", "Emma", lambda: source.search(BookQuery(title="Emma")), [])
        return [first, second], (error.code if error else "", again.code if again else "")

    answers, errors = run_with(engine, tmp_path, ask_twice, google_books=google)
    assert answers == [[], []] and errors == ("SERVICE_UNREACHABLE", "")
    assert len(google.called("search")) == 2
