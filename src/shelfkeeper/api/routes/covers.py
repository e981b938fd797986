"""Book covers: `GET /api/books/{id}/cover` passes Audiobookshelf's cover on; its token never leaves the server."""

from __future__ import annotations

from fastapi import APIRouter, Response

from shelfkeeper.api.deps import ContextDep, IdPath
from shelfkeeper.api.envelope import error_responses
from shelfkeeper.automation.run_context import RunContext

router = APIRouter(prefix="/api/books", tags=["books"])
NOT_FOUND = {404: ("COVER_NOT_FOUND", "Book 42 has no cover: Audiobookshelf has none.")}


@router.get(
    "/{book_id}/cover",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}, "description": "The cover."},
        **error_responses(404, 502, 503, codes=NOT_FOUND),
    },
)
async def book_cover(context: ContextDep, book_id: IdPath) -> Response:
    """The book's cover from Audiobookshelf (resized for a list), fetched with Shelfkeeper's token.

    404 COVER_NOT_FOUND when the book has none (or is not in Audiobookshelf); 503 when Audiobookshelf does not
    answer within OUTSIDE_WAIT_SECONDS; the browser may keep it a day."""
    from shelfkeeper.automation.covers import book_cover as cover_of

    image = await cover_of(RunContext(app=context), book_id, within=context.settings.outside_wait_seconds)
    headers = {"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"}
    return Response(image.content, media_type=image.media_type, headers=headers)
