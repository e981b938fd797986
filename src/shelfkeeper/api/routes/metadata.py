"""Metadata endpoints: corrections."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shelfkeeper.api.deps import PageDep, SessionDep
from shelfkeeper.api.envelope import Envelope, Page, error_responses, ok
from shelfkeeper.api.schemas.corrections import CorrectionRead
from shelfkeeper.domain.lifecycle import CorrectionStatus
from shelfkeeper.services.records import CORRECTIONS, get_record, list_records

router = APIRouter(prefix="/api/metadata", tags=["metadata"])
NOT_FOUND = {404: ("CORRECTION_NOT_FOUND", "Correction 42 not found.")}


@router.get("/corrections", response_model=Envelope[Page[CorrectionRead]], responses=error_responses())
def list_corrections(
    session: SessionDep,
    page: PageDep,
    status: CorrectionStatus | None = None,
    field: Annotated[str | None, Query(max_length=50)] = None,
    source: Annotated[str | None, Query(max_length=50)] = None,
    book_id: int | None = None,
    task_id: int | None = None,
    sort: Annotated[str | None, Query(description="created, confidence, id; '-' for descending.")] = None,
) -> dict[str, object]:
    """Every metadata change proposed or made, newest first."""
    filters = {"status": status, "field": field, "source": source, "book_id": book_id, "task_id": task_id}
    result = list_records(session, CORRECTIONS, filters, page, sort)
    return ok(
        Page(
            items=[CorrectionRead.model_validate(c) for c in result.items],
            total=result.total,
            limit=result.limit,
            offset=result.offset,
        )
    )


@router.get(
    "/corrections/{correction_id}",
    response_model=Envelope[CorrectionRead],
    responses=error_responses(404, codes=NOT_FOUND),
)
def get_correction(session: SessionDep, correction_id: int) -> dict[str, object]:
    """One correction: field, old and new value, source, confidence and reasons."""
    return ok(CorrectionRead.model_validate(get_record(session, CORRECTIONS, correction_id)))
