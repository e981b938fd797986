"""Author endpoints: list, create, get, update, delete, an author's books and series."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from shelfkeeper.api.deps import ContextDep, IdPath, PageDep, SessionDep
from shelfkeeper.api.envelope import Envelope, EnvelopeRows, Page, PageRows, answer_rows, error_responses, ok, page_rows
from shelfkeeper.api.read_route import ReadRoute
from shelfkeeper.api.routes.wanted import found_read, page_read
from shelfkeeper.api.schemas.authors import AuthorCreate, AuthorRead, AuthorRow, AuthorSeriesRead, AuthorUpdate
from shelfkeeper.api.schemas.books import BookRead
from shelfkeeper.api.schemas.common import Deleted
from shelfkeeper.api.schemas.series import SeriesRead
from shelfkeeper.api.schemas.wanted import AuthorCompletionSummary, WantedFound, WantedRead, WantedStatusName
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.db.tables import Author
from shelfkeeper.services import authors as service
from shelfkeeper.services import wanted_list

# Automation (providers, domain rules) is imported inside the routes that run it: loaded on first use, it stays
# out of start-up (docs/performance.md).
router = APIRouter(prefix="/api/authors", tags=["authors"], route_class=ReadRoute)
# The answers' row types, spelled once: not subscripted again for every request.
AUTHOR_PAGE = EnvelopeRows[PageRows[AuthorRow]]
NOT_FOUND = {404: ("AUTHOR_NOT_FOUND", "Author 42 not found.")}
EXISTS = {409: ("AUTHOR_ALREADY_EXISTS", "Author 3 is already called 'Brandon Sanderson'.")}


def _read(author: Author, count: int = 0) -> AuthorRead:
    return AuthorRead.model_validate(author).model_copy(update={"book_count": count})


def _read_counted(session: Session, author: Author) -> AuthorRead:
    return _read(author, service.book_counts(session, [author.id]).get(author.id, 0))


@router.get("", response_model=Envelope[Page[AuthorRead]], responses=error_responses())
async def list_authors(
    context: ContextDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=200, description="Words of the author's name.")] = None,
    monitored: bool | None = None,
    has_asin: bool | None = None,
    sort: Annotated[
        str | None, Query(description="name, created, updated, last_check, id; '-' for descending.")
    ] = None,
) -> Response:
    """List authors with how many books of the library each has."""
    filters = service.AuthorFilters(q=q, monitored=monitored, has_asin=has_asin)

    return await answer_rows(
        context.engine,
        lambda connection: page_rows(service.list_author_rows(connection, filters, page, sort)),
        AUTHOR_PAGE,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Envelope[AuthorRead],
    responses=error_responses(409, codes=EXISTS),
)
def create_author(session: SessionDep, body: AuthorCreate) -> dict[str, object]:
    """Add an author to follow."""
    return ok(_read(service.create_author(session, body.model_dump())))


@router.get("/completion-summary", response_model=Envelope[AuthorCompletionSummary], responses=error_responses())
def completion_summary(
    session: SessionDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    monitored: bool | None = None,
) -> dict[str, object]:
    """Per author: owned books, known catalogue size, missing, ignored, upcoming and the last catalogue check."""
    filters = service.AuthorFilters(q=q, monitored=monitored)
    return ok(wanted_list.author_completion_summary(session, filters, page))


@router.get("/{author_id}", response_model=Envelope[AuthorRead], responses=error_responses(404, codes=NOT_FOUND))
def get_author(session: SessionDep, author_id: IdPath) -> dict[str, object]:
    """One author."""
    author = service.get_author(session, author_id)
    return ok(_read_counted(session, author))


@router.put(
    "/{author_id}",
    response_model=Envelope[AuthorRead],
    responses=error_responses(404, 409, codes={**NOT_FOUND, **EXISTS}),
)
def update_author(session: SessionDep, author_id: IdPath, body: AuthorUpdate) -> dict[str, object]:
    """Replace an author's fields."""
    author = service.update_author(session, author_id, body.model_dump())
    return ok(_read_counted(session, author))


@router.delete("/{author_id}", response_model=Envelope[Deleted], responses=error_responses(404, codes=NOT_FOUND))
def delete_author(session: SessionDep, author_id: IdPath) -> dict[str, object]:
    """Forget an author (their books stay)."""
    service.delete_author(session, author_id)
    return ok(Deleted(id=author_id))


@router.get(
    "/{author_id}/books", response_model=Envelope[Page[BookRead]], responses=error_responses(404, codes=NOT_FOUND)
)
def author_books(
    session: SessionDep, author_id: IdPath, page: PageDep, sort: Annotated[str | None, Query()] = None
) -> dict[str, object]:
    """An author's books (by year by default)."""
    result = service.author_books(session, author_id, page, sort)
    return ok(Page.of(result, BookRead.of))


@router.get(
    "/{author_id}/series",
    response_model=Envelope[list[AuthorSeriesRead]],
    responses=error_responses(404, codes=NOT_FOUND),
)
def author_series(session: SessionDep, author_id: IdPath) -> dict[str, object]:
    """The series an author's books belong to."""
    rows = service.author_series(session, author_id)
    return ok(
        [
            AuthorSeriesRead(series=SeriesRead.model_validate(r["series"]), books_by_author=r["books_by_author"])
            for r in rows
        ]
    )


# ---- the wanted list of an author (author completion) ----


@router.get(
    "/{author_id}/missing", response_model=Envelope[Page[WantedRead]], responses=error_responses(404, codes=NOT_FOUND)
)
def author_missing(
    session: SessionDep,
    author_id: IdPath,
    page: PageDep,
    status_: Annotated[
        WantedStatusName | None, Query(alias="status", description="Only this status; imported ones need it.")
    ] = None,
    sort: Annotated[str | None, Query(description="As GET /api/wanted; default release_date.")] = None,
) -> dict[str, object]:
    """The author's books on the wanted list, each with its reason and evidence."""
    return ok(page_read(wanted_list.author_missing(session, author_id, page, status_, sort)))


@router.post(
    "/{author_id}/discover", response_model=Envelope[WantedFound], responses=error_responses(404, codes=NOT_FOUND)
)
async def discover_author(context: ContextDep, author_id: IdPath) -> dict[str, object]:
    """Read the author's catalogue now (Audible, Google Books, Open Library) and return the wanted books found.

    `excluded` says why each other book was left out (owned by ASIN or title, other language, another author).
    """
    run = RunContext(app=context, parameters={"author_id": author_id, "acquire": False})
    from shelfkeeper.automation.author_completion import check_author

    return ok(found_read(await check_author(run, author_id)))


@router.post(
    "/{author_id}/monitor", response_model=Envelope[AuthorRead], responses=error_responses(404, codes=NOT_FOUND)
)
def monitor_author(session: SessionDep, author_id: IdPath) -> dict[str, object]:
    """Monitor an author: author completion reads their catalogue."""
    author = wanted_list.set_author_monitored(session, author_id, True)
    return ok(_read_counted(session, author))


@router.post(
    "/{author_id}/unmonitor", response_model=Envelope[AuthorRead], responses=error_responses(404, codes=NOT_FOUND)
)
def unmonitor_author(session: SessionDep, author_id: IdPath) -> dict[str, object]:
    """Stop monitoring an author: author completion leaves them alone (their wanted books stay)."""
    author = wanted_list.set_author_monitored(session, author_id, False)
    return ok(_read_counted(session, author))
