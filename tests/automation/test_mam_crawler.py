"""The MAM crawler against the MyAnonamouse fake served for real (or, where MAM's HTTP is not the point, the
in-memory tracker), both databases; only time is faked."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from shelfkeeper.automation.mam_crawler import CANDIDATES_KEPT, mam_scraping_task
from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.context import AppContext
from shelfkeeper.db.service_state import ServiceStateStore
from shelfkeeper.db.tables import ServiceBudget, WantedBook
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.tracker import TrackerStats
from shelfkeeper.errors import ServiceAuthFailed, ServiceBadResponse
from shelfkeeper.integrations import Integrations
from shelfkeeper.jobs.registry import default_jobs
from shelfkeeper.secret_store import SecretBox
from shelfkeeper.settings import Settings
from shelfkeeper.testing.clock import FakeTime
from shelfkeeper.testing.doubles import InMemoryTracker
from shelfkeeper.testing.fakes.mam import FakeMam
from shelfkeeper.testing.server import LiveServer, serve

COOKIE = "mam-crawler-cookie-0"
PAUSE = 3.0
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


@dataclass
class World:
    fake: FakeMam
    server: LiveServer | None
    context: AppContext
    sessions: sessionmaker[Session]
    time: FakeTime
    adapters: dict[str, Any] = field(default_factory=dict)  # in-memory doubles in place of the served fakes

    def crawl(self, **parameters: Any) -> JobResult:
        """One run in its own event loop, with clients built for it (as the job runner does)."""

        async def go() -> JobResult:
            integrations = Integrations(
                self.context, adapters=self.adapters, sleep=self.time.sleep, clock=self.time.clock
            )
            self.context.integrations = integrations
            try:
                return await mam_scraping_task(RunContext(app=self.context, parameters=parameters, clock=lambda: NOW))
            finally:
                await integrations.aclose()

        return asyncio.run(go())

    def wanted(self, wanted_id: int) -> WantedBook:
        with self.sessions() as session:
            row = session.get(WantedBook, wanted_id)
            assert row is not None
            return row


def make_settings(tmp_path: Path, url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "api_key": "k" * 32,
        "mam_url": url,
        "mam_id": COOKIE,
        "mam_request_pause_seconds": PAUSE,
        "run_scheduler": False,
        **overrides,
    }
    return Settings(**values, _env_file=None)


@pytest.fixture
def fake() -> FakeMam:
    fake = FakeMam(COOKIE, rotate_every=None)
    fake.add_torrent("You Like It Darker", id=1, authors=["Stephen King"], filetype="m4b", seeders=40, size=900 << 20)
    fake.add_torrent("You Like It Darker [Abridged]", id=2, authors=["Stephen King"], seeders=90, size=300 << 20)
    fake.add_torrent("Red Rising", id=3, authors=["Pierce Brown"], series=[["Red Rising Saga", "1"]], size=700 << 20)
    fake.add_torrent("Morning Star: Red Rising 3", id=4, authors=["Pierce Brown"], series=[["Red Rising Saga", "3"]],
                     size=800 << 20)  # fmt: skip
    fake.add_torrent("Dune", id=5, authors=["Frank Herbert"], size=1000 << 20)
    return fake


@pytest.fixture
def world(fake: FakeMam, engine: Engine, sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[World]:
    with serve(fake.app) as server:
        context = AppContext.from_settings(make_settings(tmp_path, server.url), engine=engine)
        yield World(fake, server, context, sessions, FakeTime())


def mam_release(mam_id: int, title: str, authors: list[str], **fields: Any) -> Release:
    """A MyAnonamouse release as the adapter reads it (what the fake above would answer)."""
    values: dict[str, Any] = {"size_bytes": 500 << 20, "seeders": 10, "file_type": "m4b", "language": "en", **fields}
    return Release("MyAnonamouse", title, str(mam_id), source="mam", mam_id=mam_id, authors=tuple(authors), **values)


@pytest.fixture
def tracker() -> InMemoryTracker:
    """The fake's torrents, in memory, for the tests that are about the crawler rather than MAM's HTTP."""
    return InMemoryTracker(
        [mam_release(3, "Red Rising", ["Pierce Brown"], series=(("Red Rising Saga", "1"),), size_bytes=700 << 20),
         mam_release(5, "Dune", ["Frank Herbert"], size_bytes=1000 << 20)]
    )  # fmt: skip


@pytest.fixture
def memory(
    tracker: InMemoryTracker, engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> Iterator[World]:
    """The world with MAM an in-memory tracker (no server: ``fake`` and ``server`` are not used)."""
    settings = make_settings(tmp_path, "http://mam.invalid")
    context = AppContext.from_settings(settings, engine=engine)
    time = FakeTime()
    yield World(FakeMam(COOKIE), None, context, sessions, time, adapters={"mam": tracker})


def add_wanted(world: World, title: str, author: str, **fields: Any) -> int:
    values: dict[str, Any] = {"reason": "manual", "source": "test", "dedupe_key": f"{title}|{author}", **fields}
    with world.sessions() as session:
        row = WantedBook(title=title, author_name=author, **values)
        session.add(row)
        session.commit()
        return row.id


def searched_texts(fake: FakeMam) -> list[str]:
    return [dict(query)["tor[text]"] for _, path, query in fake.requests if path.endswith("loadSearchJSONbasic.php")]


def test_the_wanted_list_is_searched_oldest_first_and_candidates_kept_with_reasons(world: World) -> None:
    darker = add_wanted(world, "You Like It Darker", "Stephen King", last_searched_at=NOW - timedelta(days=1))
    rising = add_wanted(world, "Red Rising", "Pierce Brown", series_name="Red Rising Saga", series_position="1")
    dune = add_wanted(world, "Dune", "Frank Herbert", last_searched_at=NOW - timedelta(days=7), search_count=4)
    add_wanted(world, "Ignored", "Frank Herbert", status="ignored")
    add_wanted(world, "Unapproved", "Frank Herbert", approved=False)
    add_wanted(world, "Not Out Yet", "Frank Herbert", upcoming=True)
    add_wanted(world, "Grabbed", "Frank Herbert", status="grabbed")

    result = world.crawl()

    assert searched_texts(world.fake) == ["Red Rising Pierce Brown", "Dune Frank Herbert",
                                          "You Like It Darker Stephen King"]  # fmt: skip
    assert result.counts == {"considered": 3, "searched": 3, "releases_found": 5, "with_candidates": 3}
    darker_row, rising_row, dune_row = world.wanted(darker), world.wanted(rising), world.wanted(dune)
    candidates = darker_row.evidence["mam_candidates"]
    assert [(c["release"]["mam_id"], c["accepted"]) for c in candidates] == [(1, True), (2, False)]
    assert "abridged edition (rejected)" in candidates[1]["reasons"]
    assert any(reason.startswith("format m4b") for reason in candidates[0]["reasons"])
    assert candidates[0]["score"] > 0
    rising_candidates = rising_row.evidence["mam_candidates"]
    assert [(c["release"]["mam_id"], c["accepted"]) for c in rising_candidates] == [(3, True), (4, False)]
    assert any("volume 3 (wanted 1)" in reason for reason in rising_candidates[1]["reasons"])
    assert darker_row.evidence["mam_search"] == {
        "at": NOW.isoformat(), "query": {"title": "You Like It Darker", "author": "Stephen King"}, "found": 2,
        "accepted": 1,
    }  # fmt: skip
    assert dune_row.last_searched_at is not None
    assert (dune_row.search_count, dune_row.last_searched_at.replace(tzinfo=UTC)) == (5, NOW)
    assert darker_row.status == "wanted", "the crawler records; acquisition grabs"


def test_the_account_stats_are_refreshed_and_remembered(memory: World, tracker: InMemoryTracker) -> None:
    world = memory
    tracker.stats = TrackerStats("reader", "VIP", 1.7, None, None, 12345, 5)
    result = world.crawl()
    stats = ServiceStateStore(world.sessions).get("mam")["stats"]
    assert (stats["ratio"], stats["wedges"], stats["user_class"], stats["bonus_points"]) == (1.7, 5, "VIP", 12345)
    assert stats["fetched_at"] == NOW.isoformat()
    assert result.metrics["stats"] == {"ratio": 1.7, "bonus_points": 12345, "wedges": 5, "class": "VIP"}


def test_requests_go_one_at_a_time_with_the_pause_between_them(world: World) -> None:
    for n in range(4):
        add_wanted(world, f"Dune {n}", "Frank Herbert")
    world.crawl()
    assert len(world.fake.requests) == 5  # stats, then one search per book
    assert world.fake.max_in_flight == 1
    assert world.time.sleeps == [pytest.approx(PAUSE)] * 4


def test_the_daily_cap_ends_the_run_cleanly_and_the_rest_waits(world: World, tmp_path: Path) -> None:
    world.context = AppContext.from_settings(
        make_settings(tmp_path, world.server.url, mam_daily_request_cap=3), engine=world.context.engine
    )
    ids = [add_wanted(world, f"Dune {n}", "Frank Herbert") for n in range(4)]

    result = world.crawl()

    assert result.counts["searched"] == 2 and result.counts["quota_exhausted"] == 1
    assert "daily MAM request cap" in result.metrics["stopped"]
    assert result.metrics["requests_left_today"] == 0
    assert len(world.fake.requests) == 3
    assert [world.wanted(i).last_searched_at is not None for i in ids] == [True, True, False, False]
    with world.sessions() as session:
        assert session.scalars(select(ServiceBudget.used).where(ServiceBudget.service == "mam")).one() == 3

    again = world.crawl()  # same day: not one more request
    assert again.counts.get("quota_exhausted") == 1 and len(world.fake.requests) == 3


def test_the_limit_parameter_caps_the_books_searched(memory: World) -> None:
    world = memory
    for n in range(3):
        add_wanted(world, f"Dune {n}", "Frank Herbert")
    assert world.crawl(limit=1).counts["searched"] == 1


def test_the_rotated_cookie_is_kept_and_used_by_the_next_run(world: World) -> None:
    world.fake.rotate_every = 1  # every answer sets a new mam_id and the old one stops working
    add_wanted(world, "Dune", "Frank Herbert")

    world.crawl()

    stored = ServiceStateStore(world.sessions).get("mam")["cookie"]
    assert world.fake.current_cookie not in stored  # kept sealed, never in clear text
    remembered = SecretBox(world.context.settings.data_dir).open(stored)
    assert remembered == world.fake.current_cookie != COOKIE
    assert len(world.fake.rotations) == 2

    # a restart: the configured MAM_ID is stale now, the remembered cookie carries on
    result = world.crawl()
    assert result.counts["searched"] == 1
    box = SecretBox(world.context.settings.data_dir)
    assert box.open(ServiceStateStore(world.sessions).get("mam")["cookie"]) == world.fake.current_cookie
    assert world.fake.cookies_seen[2] == remembered


def test_a_refused_cookie_fails_the_run_and_touches_nothing(memory: World, tracker: InMemoryTracker) -> None:
    world = memory
    wanted_id = add_wanted(world, "Dune", "Frank Herbert")
    tracker.fail("user_stats", ServiceAuthFailed("mam", "MAM refused the mam_id session cookie"))
    with pytest.raises(ServiceAuthFailed):
        world.crawl()
    assert world.wanted(wanted_id).last_searched_at is None


def test_one_bad_answer_is_skipped_and_the_crawl_goes_on(memory: World, tracker: InMemoryTracker) -> None:
    world = memory
    first = add_wanted(world, "Dune", "Frank Herbert")
    second = add_wanted(world, "Red Rising", "Pierce Brown")
    tracker.fail("user_stats", ServiceBadResponse("mam", "not JSON"))  # the stats answer and the first search
    tracker.fail("search", ServiceBadResponse("mam", "not JSON"))

    result = world.crawl()

    assert (result.counts["stats_failed"], result.counts["errors"], result.counts["searched"]) == (1, 1, 1)
    assert result.status == "partial" and "2 MAM requests failed" in (result.error or "")
    assert world.wanted(first).last_searched_at is None
    assert world.wanted(second).evidence["mam_candidates"][0]["release"]["mam_id"] == 3


def test_mam_answering_500_ends_the_run_failed_with_the_error(world: World) -> None:
    wanted_id = add_wanted(world, "Dune", "Frank Herbert")
    world.fake.faults.set("server_error", status=500)
    result = world.crawl()
    assert result.status == "failed" and result.counts.get("searched", 0) == 0
    assert result.error is not None and "MAM requests failed" in result.error and "HTTP 500" in result.error
    assert world.wanted(wanted_id).last_searched_at is None


def test_only_the_best_candidates_are_kept(memory: World, tracker: InMemoryTracker) -> None:
    world = memory
    for n in range(CANDIDATES_KEPT + 3):
        tracker.releases.append(mam_release(100 + n, f"Dune Messiah {n}", ["Frank Herbert"], seeders=n + 1))
    wanted_id = add_wanted(world, "Dune Messiah", "Frank Herbert")
    world.crawl()
    wanted = world.wanted(wanted_id)
    assert len(wanted.evidence["mam_candidates"]) == CANDIDATES_KEPT
    assert wanted.evidence["mam_search"]["found"] == CANDIDATES_KEPT + 3


def test_without_mam_the_run_does_nothing(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_key="k" * 32, run_scheduler=False, _env_file=None)
    context = AppContext.from_settings(settings, engine=engine)
    result = asyncio.run(mam_scraping_task(RunContext(app=context)))
    assert result.counts == {} and "not configured" in result.metrics["skipped"]


def test_the_job_is_registered() -> None:
    assert default_jobs()["mam_scraping_task"].run is mam_scraping_task
