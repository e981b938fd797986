"""Author endpoints: list, create, get, update, delete, an author's books and series."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from shelfkeeper.api.deps import PageDep, SessionDep
from shelfkeeper.api.envelope import Envelope, Page, error_responses, ok
from shelfkeeper.api.schemas.authors import AuthorCreate, AuthorRead, AuthorSeriesRead, AuthorUpdate
from shelfkeeper.api.schemas.books import BookRead
from shelfkeeper.api.schemas.common import Deleted
from shelfkeeper.api.schemas.series import SeriesRead
from shelfkeeper.db.tables import Author
from shelfkeeper.services import authors as service

router = APIRouter(prefix="/api/authors", tags=["authors"])
NOT_FOUND = {404: ("AUTHOR_NOT_FOUND", "Author 42 not found.")}
EXISTS = {409: ("AUTHOR_ALREADY_EXISTS", "Author 3 is already called 'Brandon Sanderson'.")}


def _read(author: Author, count: int = 0) -> AuthorRead:
    return AuthorRead.model_validate(author).model_copy(update={"book_count": count})


@router.get("", response_model=Envelope[Page[AuthorRead]], responses=error_responses())
def list_authors(
    session: SessionDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=200, description="Words of the author's name.")] = None,
    monitored: bool | None = None,
    has_asin: bool | None = None,
    sort: Annotated[
        str | None, Query(description="name, created, updated, last_check, id; '-' for descending.")
    ] = None,
) -> dict[str, object]:
    """List authors with how many books of the library each has."""
    result = service.list_authors(
        session, service.AuthorFilters(q=q, monitored=monitored, has_asin=has_asin), page, sort
    )
    counts = service.book_counts(session, [a.id for a in result.items])
    return ok(
        Page(
            items=[_read(a, counts.get(a.id, 0)) for a in result.items],
            total=result.total,
            limit=result.limit,
            offset=result.offset,
        )
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


@router.get("/{author_id}", response_model=Envelope[AuthorRead], responses=error_responses(404, codes=NOT_FOUND))
def get_author(session: SessionDep, author_id: int) -> dict[str, object]:
    """One author."""
    author = service.get_author(session, author_id)
    return ok(_read(author, service.book_counts(session, [author_id]).get(author_id, 0)))


@router.put(
    "/{author_id}",
    response_model=Envelope[AuthorRead],
    responses=error_responses(404, 409, codes={**NOT_FOUND, **EXISTS}),
)
def update_author(session: SessionDep, author_id: int, body: AuthorUpdate) -> dict[str, object]:
    """Replace an author's fields."""
    author = service.update_author(session, author_id, body.model_dump())
    return ok(_read(author, service.book_counts(session, [author_id]).get(author_id, 0)))


@router.delete("/{author_id}", response_model=Envelope[Deleted], responses=error_responses(404, codes=NOT_FOUND))
def delete_author(session: SessionDep, author_id: int) -> dict[str, object]:
    """Forget an author (their books stay)."""
    service.delete_author(session, author_id)
    return ok(Deleted(id=author_id))


@router.get(
    "/{author_id}/books", response_model=Envelope[Page[BookRead]], responses=error_responses(404, codes=NOT_FOUND)
)
def author_books(
    session: SessionDep, author_id: int, page: PageDep, sort: Annotated[str | None, Query()] = None
) -> dict[str, object]:
    """An author's books (by year by default)."""
    result = service.author_books(session, author_id, page, sort)
    return ok(
        Page(items=[BookRead.of(b) for b in result.items], total=result.total, limit=result.limit, offset=result.offset)
    )


@router.get(
    "/{author_id}/series",
    response_model=Envelope[list[AuthorSeriesRead]],
    responses=error_responses(404, codes=NOT_FOUND),
)
def author_series(session: SessionDep, author_id: int) -> dict[str, object]:
    """The series an author's books belong to."""
    rows = service.author_series(session, author_id)
    return ok(
        [
            AuthorSeriesRead(series=SeriesRead.model_validate(r["series"]), books_by_author=r["books_by_author"])
            for r in rows
        ]
    )
