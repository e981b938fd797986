"""Download endpoints: the queue, enqueue, priority, cancel, retry, pause/resume, manual search, stats, blocklist.

Routes that reach qBittorrent or an indexer are async and open no request transaction: the automation
functions they call keep every network call outside the database's transactions.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query

from shelfkeeper.api.deps import ContextDep, IdPath, IdQuery, PageDep, SessionDep
from shelfkeeper.api.envelope import Envelope, Page, error_responses, ok
from shelfkeeper.api.schemas.common import Deleted
from shelfkeeper.api.schemas.downloads import (
    BlocklistRead,
    DownloadCreate,
    DownloadStats,
    DownloadUpdate,
    ReleaseSearchRead,
    ReleaseSearchRequest,
)
from shelfkeeper.api.schemas.records import DownloadRead
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.context import AppContext
from shelfkeeper.domain.lifecycle import DownloadStatus
from shelfkeeper.services import blocklist, downloads
from shelfkeeper.services.paging import PageResult
from shelfkeeper.services.records import DOWNLOADS, get_record, list_records

# Automation (providers, domain rules) is imported inside the routes that run it: loaded on first use, it stays
# out of start-up (docs/performance.md).
router = APIRouter(prefix="/api/downloads", tags=["downloads"])
NOT_FOUND = {404: ("DOWNLOAD_NOT_FOUND", "Download 42 not found.")}
STATE = {409: ("DOWNLOAD_STATE_CONFLICT", "Download 42 is imported; it cannot become paused.")}
SERVICES = (502, 503)
SortQuery = Annotated[
    str | None, Query(description="created, updated, priority, progress, id; '-' for descending (default -created).")
]


def _run(context: AppContext) -> RunContext:
    return RunContext(app=context, trigger="manual")


def _page(result: PageResult[Any]) -> Page[DownloadRead]:
    return Page.of(result, DownloadRead.model_validate)


@router.get("", response_model=Envelope[Page[DownloadRead]], responses=error_responses())
def list_downloads(
    session: SessionDep,
    page: PageDep,
    status: DownloadStatus | None = None,
    indexer: Annotated[str | None, Query(max_length=200)] = None,
    wanted_book_id: IdQuery = None,
    book_id: IdQuery = None,
    sort: SortQuery = None,
) -> dict[str, object]:
    """The download queue and its history."""
    filters = {"status": status, "indexer": indexer, "wanted_book_id": wanted_book_id, "book_id": book_id}
    return ok(_page(list_records(session, DOWNLOADS, filters, page, sort)))


@router.post(
    "",
    status_code=201,
    response_model=Envelope[DownloadRead],
    responses=error_responses(
        404,
        409,
        *SERVICES,
        codes={
            404: ("WANTED_NOT_FOUND", "Wanted book 12 not found."),
            409: ("DOWNLOAD_ALREADY_EXISTS", "Wanted book 12 is already being downloaded (download 7)."),
            422: ("RELEASE_REJECTED", "The release is rejected for this book: another author: Stephen King"),
        },
    ),
)
async def create_download(context: ContextDep, body: DownloadCreate) -> dict[str, object]:
    """Grab a wanted book: the best release found now, or the release chosen from a manual search.

    404 WANTED_NOT_FOUND or NO_RELEASE_FOUND; 409 DOWNLOAD_ALREADY_EXISTS (the book or the torrent is taken),
    WANTED_STATE_CONFLICT (ignored or imported) or RATIO_FLOOR_WAIT (a MAM grab the ratio autopilot holds back,
    with its named reasons); 422 RELEASE_REJECTED with the rejecting reasons.
    """
    release = body.release.to_release() if body.release else None
    from shelfkeeper.automation import acquisition

    download = await acquisition.request_download(_run(context), body.wanted_book_id, release)
    return ok(DownloadRead.model_validate(download))


@router.get("/failed", response_model=Envelope[Page[DownloadRead]], responses=error_responses())
def failed_downloads(session: SessionDep, page: PageDep, sort: SortQuery = None) -> dict[str, object]:
    """Failed downloads, newest first; each one's ``result`` says why and ``next_retry_at`` when it is retried."""
    return ok(_page(list_records(session, DOWNLOADS, {"status": DownloadStatus.FAILED}, page, sort)))


@router.get("/stats", response_model=Envelope[DownloadStats], responses=error_responses())
def queue_stats(session: SessionDep) -> dict[str, object]:
    """Counts by status, sizes, the live queue's speed and bytes left, and the blocklist's size."""
    return ok(downloads.download_stats(session))


@router.post("/search", response_model=Envelope[ReleaseSearchRead], responses=error_responses(404, *SERVICES))
async def manual_search(context: ContextDep, body: ReleaseSearchRequest) -> dict[str, object]:
    """Search Prowlarr and MyAnonamouse now: every release ranked, with its score, verdict and reasons.
    Answers within OUTSIDE_WAIT_SECONDS (15 s): ``sources`` gives each indexer's ``status`` (ok, failed or
    timed_out) and the releases are those that arrived in time."""
    run = _run(context)
    within = context.settings.outside_wait_seconds
    if body.wanted_book_id is not None:
        from shelfkeeper.automation.wanted_subtitle import searchable_wanted

        # a third of the wait at most for the wanted book's subtitle lookup (once per ASIN), the rest to search
        started = asyncio.get_running_loop().time()
        wanted = await searchable_wanted(run, body.wanted_book_id, within=within / 3)
        within = max(0.0, round(within - (asyncio.get_running_loop().time() - started), 1))
    else:
        wanted = body.wanted()
    from shelfkeeper.automation.acquisition import record_search
    from shelfkeeper.automation.release_search import find_releases

    found = await find_releases(run, wanted, within=within)
    if body.wanted_book_id is not None:  # the wanted list and the history show this search too
        await record_search(run, body.wanted_book_id, found)
    return ok(ReleaseSearchRead.of(found))


@router.get("/blocklist", response_model=Envelope[Page[BlocklistRead]], responses=error_responses())
def list_blocklist(
    session: SessionDep,
    page: PageDep,
    wanted_book_id: IdQuery = None,
    sort: Annotated[str | None, Query(description="created or id; '-' for descending (default -created).")] = None,
) -> dict[str, object]:
    """Releases that are never grabbed again (by info hash, and by title at their indexer)."""
    result = blocklist.list_entries(session, page, sort, wanted_book_id=wanted_book_id)
    return ok(Page.of(result, BlocklistRead.model_validate))


@router.delete(
    "/blocklist/{entry_id}",
    response_model=Envelope[Deleted],
    responses=error_responses(404, codes={404: ("BLOCKLIST_NOT_FOUND", "Blocklist entry 3 not found.")}),
)
def delete_blocklist_entry(session: SessionDep, entry_id: IdPath) -> dict[str, object]:
    """Take a release off the blocklist: it may be grabbed again."""
    blocklist.delete_entry(session, entry_id)
    return ok(Deleted(id=entry_id))


@router.get("/{download_id}", response_model=Envelope[DownloadRead], responses=error_responses(404, codes=NOT_FOUND))
def get_download(session: SessionDep, download_id: IdPath) -> dict[str, object]:
    """One download with its release, client state and result."""
    return ok(DownloadRead.model_validate(get_record(session, DOWNLOADS, download_id)))


@router.put(
    "/{download_id}",
    response_model=Envelope[DownloadRead],
    responses=error_responses(404, 409, codes={**NOT_FOUND, **STATE}),
)
def update_download(session: SessionDep, download_id: IdPath, body: DownloadUpdate) -> dict[str, object]:
    """Change a live download's priority (409 for a finished, failed or cancelled one)."""
    return ok(DownloadRead.model_validate(downloads.set_priority(session, download_id, body.priority)))


@router.delete(
    "/{download_id}",
    response_model=Envelope[DownloadRead],
    responses=error_responses(404, 409, *SERVICES, codes={**NOT_FOUND, **STATE}),
)
async def cancel_download(
    context: ContextDep,
    download_id: IdPath,
    delete_files: Annotated[bool, Query(description="Delete the downloaded files too.")] = False,
) -> dict[str, object]:
    """Cancel: remove the torrent from qBittorrent; the wanted book is wanted again (this torrent never is)."""
    from shelfkeeper.automation import download_monitor

    download = await download_monitor.cancel_download(_run(context), download_id, delete_files=delete_files)
    return ok(DownloadRead.model_validate(download))


@router.post(
    "/{download_id}/retry",
    response_model=Envelope[DownloadRead],
    responses=error_responses(404, 409, *SERVICES, codes={**NOT_FOUND, **STATE}),
)
async def retry_download(context: ContextDep, download_id: IdPath) -> dict[str, object]:
    """Queue a failed download again with the next-best release (404 NO_RELEASE_FOUND when there is none)."""
    from shelfkeeper.automation import acquisition

    return ok(DownloadRead.model_validate(await acquisition.retry_download(_run(context), download_id)))


@router.post(
    "/{download_id}/pause",
    response_model=Envelope[DownloadRead],
    responses=error_responses(404, 409, *SERVICES, codes={**NOT_FOUND, **STATE}),
)
async def pause_download(context: ContextDep, download_id: IdPath) -> dict[str, object]:
    """Pause the torrent in qBittorrent and the row."""
    from shelfkeeper.automation import download_monitor

    return ok(DownloadRead.model_validate(await download_monitor.pause_download(_run(context), download_id)))


@router.post(
    "/{download_id}/resume",
    response_model=Envelope[DownloadRead],
    responses=error_responses(404, 409, *SERVICES, codes={**NOT_FOUND, **STATE}),
)
async def resume_download(context: ContextDep, download_id: IdPath) -> dict[str, object]:
    """Resume a paused download in qBittorrent and the row."""
    from shelfkeeper.automation import download_monitor

    return ok(DownloadRead.model_validate(await download_monitor.resume_download(_run(context), download_id)))
