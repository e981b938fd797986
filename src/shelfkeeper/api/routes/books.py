"""Book endpoints: list/search/filter, create, get, update, delete, stats, incomplete, corrections."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import BaseModel, Field

from shelfkeeper.api.deps import (
    MAX_ID,
    ContextDep,
    IdPath,
    PageDep,
    RunnerDep,
    SessionDep,
    SettingsDep,
)
from shelfkeeper.api.envelope import Envelope, EnvelopeRows, Page, PageRows, answer_rows, error_responses, ok, page_rows
from shelfkeeper.api.read_route import ReadRoute
from shelfkeeper.api.schemas.books import (
    BookCreate,
    BookRead,
    BookRow,
    BookStats,
    BookSyncRequest,
    BookUpdate,
    MetadataStatusName,
)
from shelfkeeper.api.schemas.common import Deleted
from shelfkeeper.api.schemas.corrections import CorrectionRead
from shelfkeeper.api.schemas.metadata import BookCorrectionRead, MetadataCorrectRequest, correction_answer
from shelfkeeper.api.schemas.scheduler import TriggerAnswer
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.errors import ServiceNotConfigured
from shelfkeeper.services import book_list, books

# Automation (providers, domain rules) is imported inside the routes that run it: loaded on first use, it stays
# out of start-up (docs/performance.md).
router = APIRouter(prefix="/api/books", tags=["books"], route_class=ReadRoute)
# The answers' row types, spelled once: not subscripted again for every request.
BOOK_PAGE = EnvelopeRows[PageRows[BookRow]]
NOT_FOUND = {404: ("BOOK_NOT_FOUND", "Book 42 not found.")}
EXISTS = {409: ("BOOK_ALREADY_EXISTS", "Book 7 already has asin 'B002UZMLXM'.")}


class BookListQuery(BaseModel):
    """The list's filters and sort as one query model: FastAPI validates them in one call, not one call each
    (the page, ``PageDep``, stays its own dependency: its errors come first, as before)."""

    q: str | None = Field(
        None, max_length=200, description="Words to find in title, subtitle, author, narrator and series."
    )
    author_id: int | None = Field(None, ge=1, le=MAX_ID, description="A row id (1 to 2147483647).")
    author: str | None = Field(None, max_length=300)
    series_id: int | None = Field(None, ge=1, le=MAX_ID, description="A row id (1 to 2147483647).")
    series: str | None = Field(None, max_length=300)
    narrator: str | None = Field(None, max_length=300)
    status: Literal["in_library", "removed"] | None = None
    language: str | None = Field(None, max_length=50)
    has_asin: bool | None = None
    metadata_status: MetadataStatusName | None = None
    library_id: str | None = Field(None, max_length=64)
    sort: str | None = Field(
        None,
        description="title, author, added, created, updated, year, duration, "
        "size, quality, id; prefix '-' for descending.",
    )


@router.get("", response_model=Envelope[Page[BookRead]], responses=error_responses())
async def list_books(context: ContextDep, page: PageDep, query: Annotated[BookListQuery, Query()]) -> Response:
    """List, search and filter books, one page at a time."""
    filters = book_list.BookFilters(**query.model_dump(exclude={"sort"}))
    return await answer_rows(
        context.engine,
        lambda connection: page_rows(book_list.list_books(connection, filters, page, query.sort)),
        BOOK_PAGE,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Envelope[BookRead],
    responses=error_responses(409, codes=EXISTS),
)
def create_book(session: SessionDep, body: BookCreate) -> dict[str, object]:
    """Add a book by hand."""
    return ok(BookRead.of(books.create_book(session, body.model_dump())))


SYNC_ERRORS = {
    409: ("JOB_ALREADY_RUNNING", "Job library_sync_task is already running."),
    503: ("SERVICE_NOT_CONFIGURED", "audiobookshelf: set ABS_URL and ABS_TOKEN to sync the library"),
}


@router.post(
    "/sync",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Envelope[TriggerAnswer],
    responses=error_responses(409, 503, codes=SYNC_ERRORS),
)
async def sync_library(
    runner: RunnerDep, settings: SettingsDep, body: Annotated[BookSyncRequest | None, Body()] = None
) -> dict[str, object]:
    """Sync the library from Audiobookshelf now; answers at once with the Task id (see docs/library-sync.md)."""
    if not settings.configured_services()["audiobookshelf"]:
        raise ServiceNotConfigured("audiobookshelf", "set ABS_URL and ABS_TOKEN to sync the library")
    task_id = await runner.trigger("library_sync_task", parameters={"full": bool(body and body.full)})
    return ok(TriggerAnswer(task_id=task_id, name="library_sync_task"))


@router.get("/stats", response_model=Envelope[BookStats], responses=error_responses())
def book_stats(session: SessionDep) -> dict[str, object]:
    """Library totals: books, removed, identifiers, hours, bytes, metadata statuses, languages."""
    return ok(books.book_stats(session))


@router.get("/incomplete", response_model=Envelope[Page[BookRead]], responses=error_responses())
def incomplete_books(session: SessionDep, page: PageDep) -> dict[str, object]:
    """Books lacking an ASIN, series, narrator, description or cover."""
    result = books.incomplete_books(session, page)
    return ok(Page.of(result, BookRead.of))


@router.get("/{book_id}", response_model=Envelope[BookRead], responses=error_responses(404, codes=NOT_FOUND))
def get_book(session: SessionDep, book_id: IdPath) -> dict[str, object]:
    """One book."""
    return ok(BookRead.of(books.get_book(session, book_id)))


@router.put(
    "/{book_id}", response_model=Envelope[BookRead], responses=error_responses(404, 409, codes={**NOT_FOUND, **EXISTS})
)
def update_book(session: SessionDep, book_id: IdPath, body: BookUpdate) -> dict[str, object]:
    """Replace a book's fields."""
    return ok(BookRead.of(books.update_book(session, book_id, body.model_dump())))


@router.delete("/{book_id}", response_model=Envelope[Deleted], responses=error_responses(404, codes=NOT_FOUND))
def delete_book(session: SessionDep, book_id: IdPath) -> dict[str, object]:
    """Forget a book (the files in the library are not touched)."""
    books.delete_book(session, book_id)
    return ok(Deleted(id=book_id))


@router.get(
    "/{book_id}/corrections",
    response_model=Envelope[Page[CorrectionRead]],
    responses=error_responses(404, codes=NOT_FOUND),
)
def book_corrections(session: SessionDep, book_id: IdPath, page: PageDep) -> dict[str, object]:
    """A book's metadata correction history, newest first."""
    result = books.book_corrections(session, book_id, page)
    return ok(Page.of(result, CorrectionRead.model_validate))


@router.post(
    "/{book_id}/refresh-metadata",
    response_model=Envelope[BookCorrectionRead],
    responses=error_responses(
        404,
        429,
        502,
        503,
        codes={
            **NOT_FOUND,
            429: ("SERVICE_QUOTA_EXHAUSTED", "google_books: daily request budget of 1000 used up for 2026-11-24 (UTC)"),
            503: ("SERVICE_UNREACHABLE", "metadata: every provider failed for book 42"),
        },
    ),
)
async def refresh_metadata(
    context: ContextDep, book_id: IdPath, body: Annotated[MetadataCorrectRequest | None, Body()] = None
) -> dict[str, object]:
    """Check this book's metadata against the providers now; returns the corrections made and proposed."""
    from shelfkeeper.automation.metadata_correction import correct_book

    outcome = await correct_book(RunContext(app=context), book_id, dry_run=body.dry_run if body else None)
    return ok(correction_answer(outcome))
