"""A book's cover from Audiobookshelf, fetched with Shelfkeeper's token so that the token never reaches a browser."""

from __future__ import annotations

import asyncio

from sqlalchemy.orm import Session

from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.errors import NotFound, ServiceBadResponse, ServiceUnreachable
from shelfkeeper.ports import CoverImage
from shelfkeeper.services.books import get_book

# Raster images only: an SVG can carry script, and the page has no use for it.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"})


def _no_cover(book_id: int, why: str) -> NotFound:
    return NotFound(f"Book {book_id} has no cover: {why}.", code="COVER_NOT_FOUND")


async def book_cover(run: RunContext, book_id: int, *, within: float) -> CoverImage:
    """The cover Audiobookshelf holds for the book; COVER_NOT_FOUND when it has none. Audiobookshelf gets
    ``within`` seconds (retries included): a slow server answers 503, it never holds the request longer."""

    def item_of(session: Session) -> tuple[str | None, bool]:
        book = get_book(session, book_id)
        return book.abs_id, book.has_cover

    abs_id, has_cover = await run.transaction(item_of)
    if not abs_id:
        raise _no_cover(book_id, "it is not in Audiobookshelf")
    if not has_cover:
        raise _no_cover(book_id, "Audiobookshelf has none")
    try:
        image = await asyncio.wait_for(run.integrations.library().cover(abs_id), timeout=within)
    except TimeoutError as exc:
        raise ServiceUnreachable("audiobookshelf", f"no cover within {within:g} s") from exc
    if image is None:
        raise _no_cover(book_id, "Audiobookshelf has none")
    if image.media_type not in IMAGE_TYPES:
        raise ServiceBadResponse("audiobookshelf", f"the cover of book {book_id} is {image.media_type}, not a picture")
    return image
