"""Issue 5's whole loop: a messy Audiobookshelf library is synced, then corrected; every change is recorded,
no decoy is auto-applied, and every applied change reverts in the database and in Audiobookshelf."""

from __future__ import annotations

from functools import partial

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shelfkeeper.automation.library_sync import library_sync_task
from shelfkeeper.automation.metadata_refresh import metadata_full_refresh_task
from shelfkeeper.automation.metadata_review import revert_correction
from shelfkeeper.db.tables import Author, Book, MetadataCorrection, Series
from tests.automation.metadata_world import (
    DECOY_IDS,
    World,
    boards_fixture,  # noqa: F401 - a fixture
    world_fixture,  # noqa: F401 - a fixture
)


def matched_id(correction: MetadataCorrection) -> str:
    header = next(reason for reason in correction.reasons if reason.startswith("matched "))
    return str(header.split()[2]).rstrip(":")


def test_a_synced_messy_library_is_corrected_recorded_and_revertible(world: World) -> None:
    # Start from what Audiobookshelf holds, not from rows made by hand: empty the library tables and sync.
    with Session(world.engine) as session:
        for table in (Book, Author, Series):
            session.execute(delete(table))
        session.commit()
    synced = world.call(library_sync_task, full=True)
    assert synced.counts["created"] == len(world.items)
    with Session(world.engine) as session:
        ids = {abs_id: book_id for abs_id, book_id in session.execute(select(Book.abs_id, Book.id))}
    world.books = {story: ids[item_id] for story, item_id in world.items.items()}
    before = {story: world.abs_item(story) for story in world.items}

    refreshed = world.call(metadata_full_refresh_task)
    assert refreshed.counts["books_checked"] == len(world.items)

    with Session(world.engine) as session:
        rows = list(session.scalars(select(MetadataCorrection).order_by(MetadataCorrection.id)))
    applied = [row for row in rows if row.status == "applied"]
    assert applied and any(row.status == "pending" for row in rows)
    for row in rows:
        assert row.source and 0 < row.confidence <= 1 and row.reasons and row.old_value != row.new_value
    assert not any(matched_id(row) in DECOY_IDS for row in applied)

    for row in reversed(applied):  # newest first, so each field goes back to what the sync found
        reverted = world.call(partial(revert_correction, correction_id=row.id))
        assert reverted.status == "reverted"
    assert {story: world.abs_item(story) for story in world.items} == before
