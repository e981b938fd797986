"""Writing corrected fields back to Audiobookshelf, emptying ones included, and reading what it holds now."""

from __future__ import annotations

from collections.abc import Mapping

from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.domain.metadata.distance import BookFacts
from shelfkeeper.domain.metadata.matching import FieldChange, FieldValue, as_metadata_update
from shelfkeeper.services.metadata import LIST_FIELDS, is_empty

# The PATCH body's names of the fields (see reference/audiobookshelf.md: publishedYear is a string or null).
ABS_KEYS = {
    "title": "title",
    "subtitle": "subtitle",
    "authors": "authors",
    "narrators": "narrators",
    "series": "series",
    "asin": "asin",
    "isbn": "isbn",
    "publisher": "publisher",
    "published_year": "publishedYear",
    "language": "language",
    "genres": "genres",
    "description": "description",
}


async def write_back(run: RunContext, abs_id: str | None, values: Mapping[str, FieldValue]) -> None:
    """Set the fields of the book's Audiobookshelf item; a book that is not in Audiobookshelf has nothing to write.

    Raises the adapter's ServiceError when Audiobookshelf refuses or cannot be reached.
    """
    if abs_id is None or not values:
        return
    library = run.integrations.library()
    kept = [FieldChange(name, None, value, "write-back") for name, value in values.items() if not is_empty(value)]
    emptied = [name for name, value in values.items() if is_empty(value)]
    if kept:
        await library.update_metadata(abs_id, as_metadata_update(kept))
    if emptied:
        # MetadataUpdate reads None as "leave alone", so emptying a field (a revert of a fill) sends the PATCH
        # body's null or [] itself, through the adapter's own HTTP client (same auth, retries and redaction).
        cleared: dict[str, list[str] | None] = {
            ABS_KEYS[name]: [] if name in LIST_FIELDS or name == "series" else None for name in emptied
        }
        body = {"metadata": cleared}
        await library.http.get_json(f"/api/items/{abs_id}/media", method="PATCH", json=body)


async def library_value(run: RunContext, abs_id: str, field: str) -> FieldValue:
    """The field as the book's Audiobookshelf item holds it now."""
    item = await run.integrations.library().item(abs_id)
    value: FieldValue = getattr(BookFacts.from_item(item), field)
    return value
