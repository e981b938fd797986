"""DatabaseBudgetStore and ServiceStateStore on SQLite and PostgreSQL: exhaustion, day rollover, races, merges."""

from __future__ import annotations

import asyncio
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shelfkeeper.db.service_state import DatabaseBudgetStore, ServiceStateStore
from shelfkeeper.db.tables import ServiceBudget
from shelfkeeper.errors import QuotaExhausted

DAY = date(2026, 11, 24)


def used(sessions: sessionmaker[Session], service: str, day: date = DAY) -> int | None:
    with sessions() as session:
        return session.scalar(
            select(ServiceBudget.used).where(ServiceBudget.service == service, ServiceBudget.day == day.isoformat())
        )


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_consume_down_to_zero_then_quota_exhausted_without_consuming(
    sessions: sessionmaker[Session], limit: int
) -> None:
    store = DatabaseBudgetStore(sessions)

    async def scenario() -> tuple[list[int], int]:
        remaining = [await store.consume("mam", DAY, limit) for _ in range(limit)]
        for _ in range(3):
            with pytest.raises(QuotaExhausted) as refused:
                await store.consume("mam", DAY, limit)
            assert refused.value.code == "SERVICE_QUOTA_EXHAUSTED"
            assert refused.value.details == {"limit": limit, "day": DAY.isoformat()}
        return remaining, await store.remaining("mam", DAY, limit)

    remaining, left = asyncio.run(scenario())
    assert remaining == list(range(limit - 1, -1, -1))
    assert left == 0
    assert used(sessions, "mam") == limit  # the refused calls reserved nothing


def test_remaining_before_any_request_and_per_service(sessions: sessionmaker[Session]) -> None:
    store = DatabaseBudgetStore(sessions)

    async def scenario() -> tuple[int, int, int]:
        before = await store.remaining("google_books", DAY, 10)
        await store.consume("google_books", DAY, 10)
        await store.consume("google_books", DAY, 10)
        return before, await store.remaining("google_books", DAY, 10), await store.remaining("mam", DAY, 10)

    assert asyncio.run(scenario()) == (10, 8, 10)
    assert used(sessions, "mam") is None


def test_new_day_starts_a_fresh_budget(sessions: sessionmaker[Session]) -> None:
    store = DatabaseBudgetStore(sessions)
    tomorrow = DAY + timedelta(days=1)

    async def scenario() -> tuple[int, int, int]:
        await store.consume("mam", DAY, 2)
        await store.consume("mam", DAY, 2)
        with pytest.raises(QuotaExhausted):
            await store.consume("mam", DAY, 2)
        fresh = await store.remaining("mam", tomorrow, 2)
        return fresh, await store.consume("mam", tomorrow, 2), await store.remaining("mam", DAY, 2)

    assert asyncio.run(scenario()) == (2, 1, 0)
    assert (used(sessions, "mam"), used(sessions, "mam", tomorrow)) == (2, 1)


def test_lowered_limit_counts_what_was_used_already(sessions: sessionmaker[Session]) -> None:
    store = DatabaseBudgetStore(sessions)

    async def scenario() -> int:
        for _ in range(3):
            await store.consume("mam", DAY, 10)
        with pytest.raises(QuotaExhausted):
            await store.consume("mam", DAY, 3)  # the user lowered the cap to what is already spent
        return await store.remaining("mam", DAY, 2)

    assert asyncio.run(scenario()) == 0
    assert used(sessions, "mam") == 3


RACED_DAYS = [DAY + timedelta(days=offset) for offset in range(6)]  # each new day's first row is raced again


@pytest.mark.parametrize(("threads", "calls_each", "limit"), [(8, 6, 20), (4, 3, 12), (6, 1, 1)])
def test_racing_threads_never_exceed_the_limit(
    sessions: sessionmaker[Session], threads: int, calls_each: int, limit: int
) -> None:
    store = DatabaseBudgetStore(sessions)
    start = threading.Barrier(threads)
    granted: dict[date, list[int]] = {day: [] for day in RACED_DAYS}
    refused: dict[date, int] = dict.fromkeys(RACED_DAYS, 0)
    lock = threading.Lock()

    def worker() -> None:
        for day in RACED_DAYS:
            start.wait()  # everyone starts each day at once, so the insert of the day's row is raced too
            for _ in range(calls_each):
                try:
                    left = asyncio.run(store.consume("mam", day, limit))
                except QuotaExhausted:
                    with lock:
                        refused[day] += 1
                else:
                    with lock:
                        granted[day].append(left)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    total = threads * calls_each
    for day in RACED_DAYS:
        assert len(granted[day]) == min(limit, total), day  # never more, and no refusal while some is left
        assert refused[day] == total - len(granted[day])
        assert sorted(granted[day]) == list(range(limit - len(granted[day]), limit))  # each count handed out once
        assert used(sessions, "mam", day) == len(granted[day])


def test_state_get_of_unknown_service_is_empty(sessions: sessionmaker[Session]) -> None:
    assert ServiceStateStore(sessions).get("mam") == {}


def test_state_update_creates_then_merges(sessions: sessionmaker[Session]) -> None:
    state = ServiceStateStore(sessions)
    state.update("mam", cookie="first", stats={"ratio": 1.5})
    state.update("mam", cookie="second")
    state.update("mam", wedges=3)
    state.update("prowlarr", version="2.3.6")
    assert state.get("mam") == {"cookie": "second", "stats": {"ratio": 1.5}, "wedges": 3}
    assert state.get("prowlarr") == {"version": "2.3.6"}


def test_state_get_returns_a_copy(sessions: sessionmaker[Session]) -> None:
    state = ServiceStateStore(sessions)
    state.update("mam", cookie="kept")
    mine = state.get("mam")
    mine["cookie"] = "changed here only"
    assert state.get("mam") == {"cookie": "kept"}


def test_state_aupdate_merges_from_async_code(sessions: sessionmaker[Session]) -> None:
    state = ServiceStateStore(sessions)
    state.update("mam", cookie="old", stats={"ratio": 2.0})

    async def rotate() -> None:
        await state.aupdate("mam", cookie="new")

    asyncio.run(rotate())
    assert ServiceStateStore(sessions).get("mam") == {"cookie": "new", "stats": {"ratio": 2.0}}
