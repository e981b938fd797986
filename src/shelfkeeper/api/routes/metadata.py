"""Metadata endpoints: correct one book or all, corrections and their review (approve, reject, revert),
quality, provider preview and provider status."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, status

from shelfkeeper.api.deps import ContextDep, IdPath, IdQuery, PageDep, RunnerDep, SessionDep, SettingsDep
from shelfkeeper.api.envelope import Envelope, Page, error_responses, ok
from shelfkeeper.api.schemas.corrections import (
    BookReviewRead,
    BulkFailureRead,
    BulkReviewRead,
    BulkReviewRequest,
    CorrectionRead,
)
from shelfkeeper.api.schemas.metadata import (
    BookCorrectionRead,
    CorrectAllAnswer,
    CorrectAllRequest,
    MetadataCorrectRequest,
    MetadataSearchRead,
    ProviderRead,
    QualityRead,
    correction_answer,
    search_answer,
)
from shelfkeeper.automation.run_context import RunContext, utc_now
from shelfkeeper.domain.lifecycle import CorrectionStatus
from shelfkeeper.domain.metadata.distance import BookFacts
from shelfkeeper.services.metadata import quality_report
from shelfkeeper.services.metadata_review import ReviewFilter, reviews_by_book
from shelfkeeper.services.provider_cache import provider_overview
from shelfkeeper.services.records import CORRECTIONS, get_record, list_records

# Automation (providers, domain rules) is imported inside the routes that run it: loaded on first use, it stays
# out of start-up (docs/performance.md).
router = APIRouter(prefix="/api/metadata", tags=["metadata"])
NOT_FOUND = {404: ("CORRECTION_NOT_FOUND", "Correction 42 not found.")}
BOOK_NOT_FOUND = {404: ("BOOK_NOT_FOUND", "Book 42 not found.")}
STATE = {
    409: (
        "CORRECTION_STATE_CONFLICT",
        "Cannot revert correction 7: book 3's narrators is now 'Kate Reading', not 'Michael Kramer'; it was changed "
        "again after this correction, and reverting would undo that later change.",
    )
}
QUOTA = {429: ("SERVICE_QUOTA_EXHAUSTED", "google_books: daily request budget of 1000 used up for 2026-11-24 (UTC)")}
ALL_FAILED = {503: ("SERVICE_UNREACHABLE", "metadata: every provider failed for book 42")}
BULK_INVALID = {
    422: ("CORRECTION_IDS_INVALID", "Nothing was reviewed: unknown corrections 998; not pending: 12 (applied).")
}
RUNNING = {409: ("JOB_ALREADY_RUNNING", "Job metadata_full_refresh_task is already running.")}


@router.get("/corrections", response_model=Envelope[Page[CorrectionRead]], responses=error_responses())
def list_corrections(
    session: SessionDep,
    page: PageDep,
    status: CorrectionStatus | None = None,
    field: Annotated[str | None, Query(max_length=50)] = None,
    source: Annotated[str | None, Query(max_length=50)] = None,
    book_id: IdQuery = None,
    task_id: IdQuery = None,
    sort: Annotated[str | None, Query(description="created, confidence, id; '-' for descending.")] = None,
) -> dict[str, object]:
    """Every metadata change proposed or made, newest first."""
    filters = {"status": status, "field": field, "source": source, "book_id": book_id, "task_id": task_id}
    result = list_records(session, CORRECTIONS, filters, page, sort)
    return ok(Page.of(result, CorrectionRead.model_validate))


@router.get("/review", response_model=Envelope[Page[BookReviewRead]], responses=error_responses())
def review_by_book(
    session: SessionDep,
    page: PageDep,
    status: Annotated[
        CorrectionStatus | Literal["all"], Query(description="Which corrections; `all` for every status.")
    ] = CorrectionStatus.PENDING,
    field: Annotated[str | None, Query(max_length=50)] = None,
    source: Annotated[str | None, Query(max_length=50)] = None,
    book_id: IdQuery = None,
) -> dict[str, object]:
    """The corrections one card per book (the most recently corrected book first): every changed field, and
    the reasons of them all, each once. Pending corrections unless ``status`` says otherwise."""
    chosen = ReviewFilter(status=None if status == "all" else status, field=field, source=source, book_id=book_id)
    return ok(Page.of(reviews_by_book(session, chosen, page), BookReviewRead.of))


@router.post(
    "/corrections/bulk",
    response_model=Envelope[BulkReviewRead],
    responses=error_responses(422, codes=BULK_INVALID),
)
async def bulk(context: ContextDep, body: BulkReviewRequest) -> dict[str, object]:
    """Approve or reject many pending corrections at once. An unknown id, or one that is not pending, refuses
    the whole request (422 CORRECTION_IDS_INVALID, nothing done). Rejections are one transaction; each approval
    writes its book to Audiobookshelf on its own, and one refused is listed in ``failed`` while the others go on."""
    from shelfkeeper.automation.metadata_review import bulk_review

    outcome = await bulk_review(RunContext(app=context), body.action, body.ids)
    failed = [BulkFailureRead(id=one, error=error.message, error_code=error.code) for one, error in outcome.failed]
    done = [CorrectionRead.model_validate(row) for row in outcome.done]
    return ok(BulkReviewRead(action=outcome.action, done=done, failed=failed))


@router.get(
    "/corrections/{correction_id}",
    response_model=Envelope[CorrectionRead],
    responses=error_responses(404, codes=NOT_FOUND),
)
def get_correction(session: SessionDep, correction_id: IdPath) -> dict[str, object]:
    """One correction: field, old and new value, source, confidence and reasons."""
    return ok(CorrectionRead.model_validate(get_record(session, CORRECTIONS, correction_id)))


@router.post(
    "/correct/{book_id}",
    response_model=Envelope[BookCorrectionRead],
    responses=error_responses(404, 429, 502, 503, codes={**BOOK_NOT_FOUND, **QUOTA, **ALL_FAILED}),
)
async def correct_one(
    context: ContextDep, book_id: IdPath, body: Annotated[MetadataCorrectRequest | None, Body()] = None
) -> dict[str, object]:
    """Check one book against the providers now: confident changes are applied (database and Audiobookshelf),
    the others wait for review; with ``dry_run`` they are only recorded."""
    from shelfkeeper.automation.metadata_correction import correct_book

    outcome = await correct_book(RunContext(app=context), book_id, dry_run=body.dry_run if body else None)
    return ok(correction_answer(outcome))


@router.post(
    "/correct-all",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Envelope[CorrectAllAnswer],
    responses=error_responses(409, codes=RUNNING),
)
async def correct_all(
    runner: RunnerDep, settings: SettingsDep, body: Annotated[CorrectAllRequest | None, Body()] = None
) -> dict[str, object]:
    """Start metadata_full_refresh_task; answers at once with its Task id. A dry run records what would change
    (the Task's metrics and the corrections with status dry_run) and changes nothing."""
    request = body or CorrectAllRequest()
    parameters = {
        "dry_run": settings.metadata_dry_run if request.dry_run is None else request.dry_run,
        "only_unchecked": request.only_unchecked,
        "limit": request.limit,
    }
    task_id = await runner.trigger("metadata_full_refresh_task", parameters=parameters)
    return ok(CorrectAllAnswer(task_id=task_id, name="metadata_full_refresh_task", parameters=parameters))


@router.post(
    "/corrections/{correction_id}/approve",
    response_model=Envelope[CorrectionRead],
    responses=error_responses(404, 409, 502, 503, codes={**NOT_FOUND, **STATE}),
)
async def approve(context: ContextDep, correction_id: IdPath) -> dict[str, object]:
    """Apply a pending correction: the new value goes to the database and to Audiobookshelf."""
    from shelfkeeper.automation.metadata_review import approve_correction

    return ok(CorrectionRead.model_validate(await approve_correction(RunContext(app=context), correction_id)))


@router.post(
    "/corrections/{correction_id}/revert",
    response_model=Envelope[CorrectionRead],
    responses=error_responses(404, 409, 502, 503, codes={**NOT_FOUND, **STATE}),
)
async def revert(context: ContextDep, correction_id: IdPath) -> dict[str, object]:
    """Undo an applied correction: the old value is restored in the database and in Audiobookshelf; refused (409)
    when the field was changed again since."""
    from shelfkeeper.automation.metadata_review import revert_correction

    return ok(CorrectionRead.model_validate(await revert_correction(RunContext(app=context), correction_id)))


@router.post(
    "/corrections/{correction_id}/reject",
    response_model=Envelope[CorrectionRead],
    responses=error_responses(404, 409, codes={**NOT_FOUND, **STATE}),
)
async def reject(context: ContextDep, correction_id: IdPath) -> dict[str, object]:
    """Turn down a pending correction; the book is not changed."""
    from shelfkeeper.automation.metadata_review import reject_correction

    return ok(CorrectionRead.model_validate(await reject_correction(RunContext(app=context), correction_id)))


@router.get("/quality", response_model=Envelope[QualityRead], responses=error_responses())
def quality(session: SessionDep) -> dict[str, object]:
    """How complete the library's metadata is, and how many corrections were applied, wait, or were reverted."""
    return ok(quality_report(session))


@router.get(
    "/search",
    response_model=Envelope[MetadataSearchRead],
    responses=error_responses(502, 503),
)
async def search(
    context: ContextDep,
    title: Annotated[str, Query(min_length=1, max_length=500)],
    author: Annotated[str | None, Query(max_length=300)] = None,
    narrator: Annotated[str | None, Query(max_length=300)] = None,
    asin: Annotated[str | None, Query(max_length=20)] = None,
    isbn: Annotated[str | None, Query(max_length=20)] = None,
) -> dict[str, object]:
    """Provider preview: every candidate from every provider with its score, decision and reasons, best first.
    Nothing is recorded; a provider that fails is listed under ``errors``. Answers within OUTSIDE_WAIT_SECONDS
    (15 s): ``sources`` gives each provider's ``status`` (ok, failed or timed_out)."""
    facts = BookFacts(
        title=title,
        authors=(author,) if author else (),
        narrators=(narrator,) if narrator else (),
        asin=asin,
        isbn=isbn,
    )
    from shelfkeeper.automation.metadata_correction import search_preview

    within = context.settings.outside_wait_seconds
    return ok(search_answer(await search_preview(RunContext(app=context), facts, within=within)))


@router.get("/providers", response_model=Envelope[list[ProviderRead]], responses=error_responses())
def providers(session: SessionDep, settings: SettingsDep) -> dict[str, object]:
    """Each metadata provider: configured, reachable as last known, daily budget left, cached answers."""
    return ok(provider_overview(session, settings, utc_now()))
