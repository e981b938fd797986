"""Two transactions naming the same new author or series at once: both get the one row, neither fails."""

import threading
import time

import pytest
from sqlalchemy import func, select, text

from shelfkeeper.db.repositories import get_or_create_author, get_or_create_series
from shelfkeeper.db.tables import Author, Series

WAITING = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"


def _wait_until_blocked(engine, done):
    """Until the second transaction waits on the first one's row (PostgreSQL shows it; SQLite waits on its lock)."""
    rounds = 200 if engine.dialect.name == "postgresql" else 6  # SQLite cannot tell: a short pause
    for _ in range(rounds):
        if done.is_set():
            return
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                waiting = connection.scalar(text(WAITING))
            if waiting:
                return
        time.sleep(0.05)


@pytest.mark.parametrize(("create", "table"), [(get_or_create_author, Author), (get_or_create_series, Series)])
def test_concurrent_get_or_create_returns_the_same_row(engine, sessions, create, table):
    first = sessions()
    row = create(first, "Brand New Name")  # inserted, not committed: the row's key is locked
    outcome: dict[str, object] = {}
    done = threading.Event()

    def second_transaction():
        try:
            with sessions() as second:
                outcome["id"] = create(second, "Brand  New Name").id
                second.commit()
        except Exception as exc:  # the failure this test is about: the unique key refusing the second insert
            outcome["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=second_transaction)
    worker.start()
    _wait_until_blocked(engine, done)
    first.commit()
    first_id = row.id
    first.close()
    worker.join(60)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["id"] == first_id
    with sessions() as check:
        assert check.scalar(select(func.count()).select_from(table)) == 1
