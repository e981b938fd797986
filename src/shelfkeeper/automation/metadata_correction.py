"""Correcting one book's metadata: ask the providers, choose a match per provider, record every field change,
apply the confident ones to the database and to Audiobookshelf, leave the rest for review.

The database is never held in a transaction while a provider or Audiobookshelf is asked: read, ask, then
write. Corrections to apply are recorded as pending first, written back, then marked applied, so a run killed
in between leaves reviewable pending rows rather than a silent change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from shelfkeeper.automation.metadata_providers import ProviderAnswer, ProviderLookup, match_weights
from shelfkeeper.automation.metadata_writeback import write_back
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.db.tables import MetadataCorrection
from shelfkeeper.domain.events import EventType
from shelfkeeper.domain.lifecycle import CorrectionStatus, MetadataStatus
from shelfkeeper.domain.metadata.corrections import SOURCE_POLICIES, CorrectionPlan, plan_corrections
from shelfkeeper.domain.metadata.distance import BookFacts, Decision, MatchWeights
from shelfkeeper.domain.metadata.matching import MatchResult, choose, rank
from shelfkeeper.errors import ServiceError, ServiceUnreachable
from shelfkeeper.services import events
from shelfkeeper.services.books import get_book
from shelfkeeper.services.metadata import (
    Proposal,
    book_facts,
    finish_check,
    fits,
    from_json,
    mark,
    record_failure,
    record_proposals,
    set_field_values,
    settle_status,
)
from shelfkeeper.settings import METADATA_SOURCES


@dataclass(frozen=True)
class ProviderMatch:
    """What one provider answered and the candidate chosen from it, with the decision and its reasons."""

    provider: str
    candidates: int
    result: MatchResult | None = None
    error: str | None = None
    error_code: str | None = None
    plan: CorrectionPlan | None = None  # what the chosen match may write, and the edition fields it may not

    def summary(self) -> dict[str, Any]:
        """The JSON kept on the book (extra.metadata_match) and returned by the API."""
        found: dict[str, Any] = {"provider": self.provider, "candidates": self.candidates}
        if self.error:
            found.update(error=self.error, error_code=self.error_code)
        if self.result is not None:
            c = self.result.candidate
            found.update(
                source_id=c.source_id,
                title=c.title,
                authors=list(c.authors),
                confidence=round(self.result.confidence, 4),
                decision=str(self.result.decision),
                reasons=list(self.result.reasons),
            )
        if self.plan is not None:
            found.update(self.plan.as_json())
        return found


@dataclass
class CorrectionOutcome:
    """The answer of one book's check: the corrections recorded and the book's (would-be) status."""

    book_id: int
    title: str
    dry_run: bool
    status: MetadataStatus
    corrections: list[MetadataCorrection] = field(default_factory=list)
    matches: list[ProviderMatch] = field(default_factory=list)
    written_back: bool | None = None  # None: nothing to write (or a dry run)
    message: str = ""


@dataclass(frozen=True)
class _Snapshot:
    book_id: int
    title: str
    abs_id: str | None
    facts: BookFacts


def _read(session: Session, book_id: int) -> _Snapshot:
    book = get_book(session, book_id)
    return _Snapshot(book.id, book.title, book.abs_id, book_facts(book))


# ---- deciding (pure) ---------------------------------------------------------------------------------------------


def match_answers(facts: BookFacts, answers: Sequence[ProviderAnswer], weights: MatchWeights) -> list[ProviderMatch]:
    """Each provider's best candidate (``choose``), or its error."""
    matches = []
    for answer in answers:
        if answer.error is not None:
            matches.append(ProviderMatch(answer.provider, 0, error=answer.error.message, error_code=answer.error.code))
            continue
        result = choose(facts, answer.candidates, weights)
        plan = None
        if result is not None and result.decision is not Decision.REJECT:
            plan = plan_corrections(facts, result, SOURCE_POLICIES.get(answer.provider))
        matches.append(ProviderMatch(answer.provider, len(answer.candidates), result, plan=plan))
    return matches


def proposals_for(
    facts: BookFacts, matches: Sequence[ProviderMatch], *, order: Sequence[str] = METADATA_SOURCES
) -> list[Proposal]:
    """One proposal per field: the most trusted match's (APPLY before REVIEW), then the first source in ``order``
    (METADATA_SOURCES: Google Books, Audnexus, Open Library by default); rejected matches propose nothing, and
    edition-level fields come only from a candidate that is the item's own edition (``plan_corrections``). Values
    that would not fit the database are left out."""
    preference = {name: index for index, name in enumerate(order)}
    offers: dict[str, list[tuple[int, int, Proposal]]] = {}
    for match in matches:
        result = match.result
        if result is None or result.decision is Decision.REJECT:
            continue
        candidate = result.candidate
        header = f"matched {candidate.source} {candidate.source_id}: {candidate.title!r}"
        plan = match.plan or plan_corrections(facts, result, SOURCE_POLICIES.get(match.provider))
        for change in plan.changes:
            if not fits(change.field, change.new):
                continue
            proposal = Proposal(
                field=change.field,
                old=change.old,
                new=change.new,
                source=candidate.source,
                confidence=result.confidence,
                reasons=(change.reason, header, *result.reasons),
                decision=result.decision,
            )
            rank = (-result.decision.rank, preference.get(match.provider, 99))
            offers.setdefault(change.field, []).append((*rank, proposal))
    return [min(found, key=lambda offer: offer[:2])[2] for found in offers.values()]


def _would_be_status(matches: Sequence[ProviderMatch], proposals: Sequence[Proposal]) -> MetadataStatus:
    if any(p.decision is not Decision.APPLY for p in proposals):
        return MetadataStatus.NEEDS_REVIEW
    if proposals:
        return MetadataStatus.CORRECTED
    matched = any(m.result is not None and m.result.decision is not Decision.REJECT for m in matches)
    return MetadataStatus.OK if matched else MetadataStatus.NO_MATCH


# ---- one book ----------------------------------------------------------------------------------------------------


async def correct_book(
    run: RunContext, book_id: int, *, dry_run: bool | None = None, lookup: ProviderLookup | None = None
) -> CorrectionOutcome:
    """Check one book against every provider and record (and, above the threshold, apply) each field change.

    Raises NotFound for an unknown book, QuotaExhausted when a provider's daily quota is gone (nothing is
    recorded for the book), and ServiceUnreachable when every provider failed (after a FailedAttempt).
    """
    dry = run.app.settings.metadata_dry_run if dry_run is None else dry_run
    snapshot = await run.transaction(lambda session: _read(session, book_id))
    answers = await (lookup or ProviderLookup(run)).ask_all(snapshot.facts)
    if all(answer.failed for answer in answers):
        errors = {a.provider: a.error.message for a in answers if a.error is not None}
        await run.transaction(lambda s: record_failure(s, book_id, snapshot.title, errors, run.task_id))
        raise ServiceUnreachable("metadata", f"every provider failed for book {book_id}", details={"errors": errors})
    matches = match_answers(snapshot.facts, answers, match_weights(run.app.settings))
    proposals = proposals_for(snapshot.facts, matches, order=run.app.settings.metadata_sources)
    if dry:
        rows = await run.transaction(
            lambda s: record_proposals(s, book_id, proposals, CorrectionStatus.DRY_RUN, run.task_id)
        )
        status = _would_be_status(matches, proposals)
        return CorrectionOutcome(book_id, snapshot.title, True, status, rows, matches, message=_dry_message(rows))
    rows = await run.transaction(
        lambda s: record_proposals(s, book_id, proposals, CorrectionStatus.PENDING, run.task_id)
    )
    confident = [row for row, p in zip(rows, proposals, strict=True) if p.decision is Decision.APPLY]
    failure = await _write_confident(run, snapshot, confident, proposals)
    return await run.transaction(lambda s: _finish(s, run, snapshot, rows, confident, matches, failure))


async def _write_confident(
    run: RunContext, snapshot: _Snapshot, confident: Sequence[MetadataCorrection], proposals: Sequence[Proposal]
) -> str | None:
    """Write the confident values to Audiobookshelf; the failure's words, or None when it worked."""
    if not confident:
        return None
    values = {p.field: p.new for p in proposals if p.decision is Decision.APPLY}
    try:
        await write_back(run, snapshot.abs_id, values)
    except ServiceError as exc:
        run.log.warning("write-back of book %s to Audiobookshelf failed: %s", snapshot.book_id, exc.message)
        return f"not applied: the write-back to Audiobookshelf failed ({exc.message})"
    return None


def _finish(
    session: Session,
    run: RunContext,
    snapshot: _Snapshot,
    rows: Sequence[MetadataCorrection],
    confident: Sequence[MetadataCorrection],
    matches: Sequence[ProviderMatch],
    failure: str | None,
) -> CorrectionOutcome:
    book = get_book(session, snapshot.book_id)
    now = run.now()
    attached = [session.get_one(MetadataCorrection, row.id) for row in rows]
    confident_ids = {row.id for row in confident}
    chosen = [row for row in attached if row.id in confident_ids]
    if chosen and failure is None:
        set_field_values(session, book, {row.field: from_json(row.field, row.new_value) for row in chosen})
        mark(chosen, CorrectionStatus.APPLIED, now)
        events.record_metadata_event(session, book, chosen, EventType.METADATA_CORRECTED, "automatically", now)
    elif chosen:
        mark(chosen, CorrectionStatus.PENDING, now, note=failure)
    matched = any(m.result is not None and m.result.decision is not Decision.REJECT for m in matches)
    applied = bool(chosen) and failure is None
    status = settle_status(session, book, applied=applied, matched=matched)
    summary = {"checked_at": now.isoformat(), "matches": [m.summary() for m in matches]}
    finish_check(session, book, status, now, summary)
    session.flush()
    written = None if not chosen else failure is None
    message = failure or _message(attached, status)
    return CorrectionOutcome(snapshot.book_id, snapshot.title, False, status, attached, list(matches), written, message)


def _message(rows: Sequence[MetadataCorrection], status: MetadataStatus) -> str:
    applied = sum(1 for r in rows if r.status == CorrectionStatus.APPLIED)
    pending = sum(1 for r in rows if r.status == CorrectionStatus.PENDING)
    return f"{applied} change(s) applied, {pending} waiting for review; metadata status {status}"


def _dry_message(rows: Sequence[MetadataCorrection]) -> str:
    fields = ", ".join(row.field for row in rows) or "nothing"
    return f"dry run: would change {fields}; nothing was written"


# ---- preview -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchPreview:
    """Every candidate of every provider for a title and author, scored and decided, best first."""

    facts: BookFacts
    results: list[MatchResult]
    errors: dict[str, tuple[str, str]]  # provider -> (message, error code)
    statuses: dict[str, str] = field(default_factory=dict)  # provider -> "ok", "failed" or "timed_out"


async def search_preview(run: RunContext, facts: BookFacts, *, within: float | None = None) -> SearchPreview:
    """What the providers answer for these facts and how each candidate would be decided; nothing is recorded.

    A provider whose quota is gone is listed among the errors instead of stopping the preview.
    """
    answers = await ProviderLookup(run, stop_on_quota=False).ask_all(facts, within=within)
    candidates = [candidate for answer in answers for candidate in answer.candidates]
    errors = {a.provider: (a.error.message, a.error.code) for a in answers if a.error is not None}
    statuses = {a.provider: "timed_out" if a.timed_out else "failed" if a.error else "ok" for a in answers}
    return SearchPreview(facts, rank(facts, candidates, match_weights(run.app.settings)), errors, statuses)
