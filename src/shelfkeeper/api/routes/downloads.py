"""Download endpoints: the queue and one download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shelfkeeper.api.deps import PageDep, SessionDep
from shelfkeeper.api.envelope import Envelope, Page, error_responses, ok
from shelfkeeper.api.schemas.records import DownloadRead
from shelfkeeper.domain.lifecycle import DownloadStatus
from shelfkeeper.services.records import DOWNLOADS, get_record, list_records

router = APIRouter(prefix="/api/downloads", tags=["downloads"])
NOT_FOUND = {404: ("DOWNLOAD_NOT_FOUND", "Download 42 not found.")}


@router.get("", response_model=Envelope[Page[DownloadRead]], responses=error_responses())
def list_downloads(
    session: SessionDep,
    page: PageDep,
    status: DownloadStatus | None = None,
    indexer: Annotated[str | None, Query(max_length=200)] = None,
    missing_book_id: int | None = None,
    book_id: int | None = None,
    sort: Annotated[
        str | None,
        Query(description="created, updated, priority, progress, id; '-' for descending (default -created)."),
    ] = None,
) -> dict[str, object]:
    """The download queue and its history."""
    filters = {"status": status, "indexer": indexer, "missing_book_id": missing_book_id, "book_id": book_id}
    result = list_records(session, DOWNLOADS, filters, page, sort)
    return ok(
        Page(
            items=[DownloadRead.model_validate(d) for d in result.items],
            total=result.total,
            limit=result.limit,
            offset=result.offset,
        )
    )


@router.get("/{download_id}", response_model=Envelope[DownloadRead], responses=error_responses(404, codes=NOT_FOUND))
def get_download(session: SessionDep, download_id: int) -> dict[str, object]:
    """One download with its release, client state and result."""
    return ok(DownloadRead.model_validate(get_record(session, DOWNLOADS, download_id)))
