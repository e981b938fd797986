"""A person's decisions on corrections: approve a pending one, reject it, or revert an applied one.

Approve and revert change the book in the database and in Audiobookshelf. Each refuses (409) when the field no
longer holds the value the correction started from, in either place: acting would overwrite a later change.
Read, call Audiobookshelf, then write: no transaction is open while Audiobookshelf answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from shelfkeeper.automation.metadata_writeback import library_value, write_back
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.db.tables import MetadataCorrection
from shelfkeeper.domain.events import EventType
from shelfkeeper.domain.lifecycle import CorrectionStatus
from shelfkeeper.errors import Conflict, ShelfkeeperError
from shelfkeeper.services import events
from shelfkeeper.services.books import get_book
from shelfkeeper.services.metadata import (
    after_review,
    from_json,
    get_correction,
    mark,
    require_current,
    require_status,
    same_value,
    set_field_values,
    to_json,
)
from shelfkeeper.services.metadata_review import check_bulk


@dataclass(frozen=True)
class _Target:
    correction_id: int
    book_id: int
    abs_id: str | None
    field: str
    expected: Any  # the JSON value the field must hold now
    wanted: Any  # the JSON value it gets


@dataclass(frozen=True)
class _Move:
    start: CorrectionStatus
    end: CorrectionStatus
    verb: str  # "approved", "reverted"
    why: str  # why a changed field stops it


APPROVE = _Move(
    CorrectionStatus.PENDING,
    CorrectionStatus.APPLIED,
    "approved",
    "approving would overwrite that later change; check the book again for a fresh proposal.",
)
REVERT = _Move(
    CorrectionStatus.APPLIED,
    CorrectionStatus.REVERTED,
    "reverted",
    "it was changed again after this correction, and reverting would undo that later change.",
)


def _target(session: Session, correction_id: int, move: _Move) -> _Target:
    correction = get_correction(session, correction_id)
    require_status(correction, move.start, move.verb)
    book = get_book(session, correction.book_id)
    forward = move is APPROVE
    expected = correction.old_value if forward else correction.new_value
    require_current(book, correction, expected, move.verb.removesuffix("d"), move.why)
    wanted = correction.new_value if forward else correction.old_value
    return _Target(correction.id, book.id, book.abs_id, correction.field, expected, wanted)


async def _check_library(run: RunContext, target: _Target, move: _Move) -> None:
    if target.abs_id is None:
        return
    held = await library_value(run, target.abs_id, target.field)
    if not same_value(target.field, held, from_json(target.field, target.expected)):
        raise Conflict(
            f"Cannot {move.verb.removesuffix('d')} correction {target.correction_id}: Audiobookshelf's {target.field} "
            f"is now {to_json(target.field, held)!r}, not {target.expected!r}; {move.why}",
            code="CORRECTION_STATE_CONFLICT",
            details={"field": target.field, "audiobookshelf": to_json(target.field, held), "expected": target.expected},
        )


def _settle(session: Session, run: RunContext, target: _Target, move: _Move) -> MetadataCorrection:
    correction = get_correction(session, target.correction_id)
    require_status(correction, move.start, move.verb)  # someone else may have acted meanwhile
    book = get_book(session, target.book_id)
    set_field_values(session, book, {target.field: from_json(target.field, target.wanted)})
    mark([correction], move.end, run.now(), note=f"{move.verb} by a person")
    kind = EventType.METADATA_REVERTED if move is REVERT else EventType.METADATA_CORRECTED
    events.record_metadata_event(session, book, [correction], kind, f"({move.verb} by a person)", run.now())
    after_review(session, book)
    session.flush()
    return correction


async def _carry_out(run: RunContext, correction_id: int, move: _Move) -> MetadataCorrection:
    target = await run.transaction(lambda session: _target(session, correction_id, move))
    await _check_library(run, target, move)
    await write_back(run, target.abs_id, {target.field: from_json(target.field, target.wanted)})
    return await run.transaction(lambda session: _settle(session, run, target, move))


async def approve_correction(run: RunContext, correction_id: int) -> MetadataCorrection:
    """Pending -> applied: the new value written to the database and to Audiobookshelf."""
    return await _carry_out(run, correction_id, APPROVE)


async def revert_correction(run: RunContext, correction_id: int) -> MetadataCorrection:
    """Applied -> reverted: the old value restored in the database and in Audiobookshelf."""
    return await _carry_out(run, correction_id, REVERT)


async def reject_correction(run: RunContext, correction_id: int) -> MetadataCorrection:
    """Pending -> rejected: nothing changes on the book."""

    def reject(session: Session) -> MetadataCorrection:
        correction = get_correction(session, correction_id)
        require_status(correction, CorrectionStatus.PENDING, "rejected")
        mark([correction], CorrectionStatus.REJECTED, run.now(), note="rejected by a person")
        after_review(session, get_book(session, correction.book_id))
        session.flush()
        return correction

    return await run.transaction(reject)


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk review did: the corrections it moved, and those it could not (with the refusal)."""

    action: str
    done: list[MetadataCorrection]
    failed: list[tuple[int, ShelfkeeperError]]


async def bulk_review(run: RunContext, action: str, ids: Sequence[int]) -> BulkOutcome:
    """Approve or reject many pending corrections; 422 CORRECTION_IDS_INVALID (nothing done) for a bad id.

    A rejection changes no book: every rejection is one transaction. An approval writes each book to
    Audiobookshelf, so each is carried out on its own; one that is refused (the field changed meanwhile,
    Audiobookshelf down) is reported and the others go on.
    """
    chosen = await run.transaction(lambda s: check_bulk(s, ids, CorrectionStatus.PENDING))
    if action == "reject":

        def reject_all(session: Session) -> list[MetadataCorrection]:
            rows = [get_correction(session, one) for one in chosen]
            mark(rows, CorrectionStatus.REJECTED, run.now(), note="rejected by a person")
            for book_id in dict.fromkeys(row.book_id for row in rows):
                after_review(session, get_book(session, book_id))
            session.flush()
            return rows

        return BulkOutcome(action, await run.transaction(reject_all), [])
    done: list[MetadataCorrection] = []
    failed: list[tuple[int, ShelfkeeperError]] = []
    for one in chosen:
        try:
            done.append(await approve_correction(run, one))
        except ShelfkeeperError as exc:
            failed.append((one, exc))
    return BulkOutcome(action, done, failed)
