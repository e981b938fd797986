"""Writing corrected fields back to the library server, emptying ones included, and reading what it holds now."""

from __future__ import annotations

from collections.abc import Mapping

from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.domain.metadata.distance import BookFacts
from shelfkeeper.domain.metadata.matching import FieldChange, FieldValue, as_metadata_update
from shelfkeeper.services.metadata import is_empty


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
        # MetadataUpdate reads None as "leave alone": emptying a field (a revert of a fill) is its own call.
        await library.clear_metadata(abs_id, emptied)


async def library_value(run: RunContext, abs_id: str, field: str) -> FieldValue:
    """The field as the book's Audiobookshelf item holds it now."""
    item = await run.integrations.library().item(abs_id)
    value: FieldValue = getattr(BookFacts.from_item(item), field)
    return value
