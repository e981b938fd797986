"""Release day: a wanted book whose date has come is marked released once, told about, searched at once, again on
the short schedule during its first days, then left to the normal schedule; "future books only" following."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from shelfkeeper.automation.release_day import release_day_task
from shelfkeeper.db.tables import EventRow, WantedBook
from shelfkeeper.domain.discovery.following import wanted_while_following
from tests.automation.acquisition_support import build_stack, unique_size


@pytest.fixture
def stack(engine, tmp_path):
    yield from build_stack(engine, tmp_path, qbittorrent=False, release_day_search_days=3, release_day_search_hours=6)


def row(stack, wanted_id: int) -> WantedBook:
    with stack.context.sessions() as session:
        found = session.get(WantedBook, wanted_id)
        assert found is not None
        return found


def released_events(stack) -> list[EventRow]:
    with stack.context.sessions() as session:
        return list(session.scalars(select(EventRow).where(EventRow.type == "book_released")))


def test_a_book_is_released_told_once_and_searched_on_the_short_schedule(stack):
    stack.prowlarr.add_indexer(1, "Indexer 1", definition_name="cardigann")
    stack.prowlarr.add_release("Martha Wells - System Collapse [M4B]", indexer_id=1, size=unique_size())
    out_today = stack.wanted(
        "System Collapse", "Martha Wells", series_name="The Murderbot Diaries", series_position="7",
        release_date=stack.clock.now - timedelta(hours=1), upcoming=True,
    )  # fmt: skip
    later = stack.wanted("Next Year", "Martha Wells", release_date=stack.clock.now + timedelta(days=300), upcoming=True)

    first = stack.go(release_day_task)
    assert first.counts["released"] == 1 and first.counts["due"] == 1 and first.counts["searched"] == 1
    assert row(stack, out_today).upcoming is False and row(stack, later).upcoming is True
    searched_at = row(stack, out_today).last_searched_at
    assert searched_at == stack.clock.now
    (event,) = released_events(stack)
    assert event.wanted_book_id == out_today and "System Collapse" in event.message

    stack.clock.advance(hours=1)
    assert stack.go(release_day_task).counts == {"released": 0, "due": 0}  # searched an hour ago
    stack.clock.advance(hours=6)
    assert stack.go(release_day_task).counts["due"] == 1
    stack.clock.advance(days=3)
    assert stack.go(release_day_task).counts == {"released": 0, "due": 0}  # past its first days
    assert len(released_events(stack)) == 1


@pytest.mark.parametrize(
    ("release", "future_only", "since", "wanted"),
    [
        (date(2020, 1, 1), False, None, True),
        (None, False, None, True),
        (date(2026, 12, 7), True, datetime(2026, 12, 7, 9), True),
        (date(2027, 3, 1), True, datetime(2026, 12, 7, 9), True),
        (date(2026, 12, 6), True, datetime(2026, 12, 7, 9), False),
        (None, True, datetime(2026, 12, 7, 9), False),
    ],
)
def test_future_books_only(release, future_only, since, wanted):
    assert wanted_while_following(release, future_only=future_only, since=since) is wanted


def test_future_only_is_set_and_cleared_through_the_api(client):
    created = client.post("/api/series", json={"name": "The Murderbot Diaries", "future_only": True}).json()["data"]
    assert created["future_only"] is True and created["monitored_since"] is not None
    body = {"name": "The Murderbot Diaries", "future_only": False}
    updated = client.put(f"/api/series/{created['id']}", json=body).json()["data"]
    assert updated["future_only"] is False and updated["monitored_since"] is None
    author = client.post("/api/authors", json={"name": "Martha Wells", "future_only": True}).json()["data"]
    assert author["monitored_since"] is not None
