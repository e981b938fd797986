"""The providers' catalogues: search them for a book to add by hand (then POST /api/wanted with its edition)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shelfkeeper.api.deps import ContextDep
from shelfkeeper.api.envelope import Envelope, error_responses, ok
from shelfkeeper.api.schemas.catalogue import CatalogueSearchRead
from shelfkeeper.automation.run_context import RunContext

router = APIRouter(prefix="/api/catalogue", tags=["wanted"])


@router.get("/search", response_model=Envelope[CatalogueSearchRead], responses=error_responses())
async def search_catalogue(
    context: ContextDep,
    q: Annotated[str, Query(min_length=1, max_length=300, pattern=r"\S", description="Words of the title.")],
    author: Annotated[str | None, Query(max_length=300, description="The author, to narrow the search.")] = None,
) -> dict[str, object]:
    """Search every configured catalogue (Google Books, Audible with Audnexus, Open Library) at once.

    Each provider answers within OUTSIDE_WAIT_SECONDS; one that fails, is not configured or stays silent is listed
    under ``providers`` with its error, and the others' books are still answered. ``held`` says when a book is in
    the library or on the wanted list already (wanting it again is a 409)."""
    from shelfkeeper.automation.catalogue_search import search_catalogue as search

    run = RunContext(app=context)
    found = await search(run, q.strip(), (author or "").strip() or None, within=context.settings.outside_wait_seconds)
    return ok(CatalogueSearchRead.of(found))
