"""Retention: old Task and MetadataCorrection rows go, FailedAttempt rows stay forever."""

from datetime import timedelta

from sqlalchemy import func, select

from shelfkeeper.automation.cleanup import delete_old_rows
from shelfkeeper.db.tables import Book, FailedAttempt, MetadataCorrection, Task
from tests.jobs.clock import FakeClock


def test_deletes_exactly_the_old_rows_and_keeps_failed_attempts(session):
    now = FakeClock()()
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    book = Book(title="Dune", title_sort="dune")
    session.add(book)
    session.flush()
    for when in (old, recent):
        session.add(Task(name="x", trigger="schedule", status="success", created_at=when, parameters={}))
        session.add(
            MetadataCorrection(
                book_id=book.id,
                field="title",
                old_value="a",
                new_value="b",
                source="google_books",
                confidence=0.9,
                status="applied",
                created_at=when,
            )
        )
        session.add(FailedAttempt(kind="download", subject="s", reason="r", created_at=when - timedelta(days=900)))
    session.add(Task(name="y", trigger="manual", status="running", created_at=old, parameters={}))
    session.commit()

    counts = delete_old_rows(session, now, 30)
    session.commit()

    assert counts["tasks_deleted"] == 1 and counts["corrections_deleted"] == 1
    assert session.scalar(select(func.count(FailedAttempt.id))) == 2
    remaining = session.execute(select(Task.name, Task.status)).all()
    assert sorted(remaining) == [("x", "success"), ("y", "running")]  # a running task is never deleted
    assert session.scalar(select(MetadataCorrection.created_at)) == recent.replace(microsecond=recent.microsecond)
