"""An in-memory library server (ports.LibraryServer): libraries and items kept in dicts."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from shelfkeeper.domain.library.items import (
    Library,
    LibraryAccount,
    LibraryItem,
    LibraryPage,
    LibrarySeries,
    MetadataUpdate,
    SeriesPage,
)
from shelfkeeper.errors import ServiceBadResponse
from shelfkeeper.ports import CoverImage
from shelfkeeper.testing.doubles.recorder import Recorder

CLEARABLE = (
    "title", "subtitle", "authors", "narrators", "series", "asin", "isbn", "publisher", "published_year", "language",
    "genres", "description",
)  # fmt: skip
_LISTS = frozenset({"authors", "narrators", "series", "genres"})


class InMemoryLibraryServer(Recorder):
    """Items in insertion order (the server's ``addedAt`` order); ``scan_library`` reveals ``on_scan`` items."""

    name = "audiobookshelf"

    def __init__(self, libraries: Iterable[Library] = (), items: Iterable[LibraryItem] = ()) -> None:
        super().__init__(self.name)
        self.shelves: dict[str, Library] = {library.id: library for library in libraries}
        self.items: dict[str, LibraryItem] = {item.id: item for item in items}
        self.on_scan: dict[str, list[LibraryItem]] = {}  # library id -> items its next scan finds
        self.user = LibraryAccount("shelfkeeper", "admin", can_update=True, can_scan=True)

    def add(self, *items: LibraryItem) -> None:
        self.items.update({item.id: item for item in items})

    def _of(self, library_id: str, updated_since: datetime | None = None) -> list[LibraryItem]:
        return [
            item
            for item in self.items.values()
            if item.library_id == library_id
            and (updated_since is None or item.updated_at is None or item.updated_at >= updated_since)
        ]

    async def libraries(self) -> list[Library]:
        self._enter("libraries")
        return list(self.shelves.values())

    async def account(self) -> LibraryAccount:
        self._enter("account")
        return self.user

    async def items_page(
        self, library_id: str, page: int, limit: int, *, updated_since: datetime | None = None
    ) -> LibraryPage:
        self._enter("items_page", library_id, page, limit)
        everything = self._of(library_id)
        listed = everything[page * limit : (page + 1) * limit]
        older = [
            (item.id, item.updated_at)
            for item in listed
            if updated_since is not None and item.updated_at is not None and item.updated_at < updated_since
        ]
        left_out = {item_id for item_id, _ in older}
        chosen = [item for item in listed if item.id not in left_out]
        return LibraryPage(items=tuple(chosen), total=len(everything), page=page, limit=limit, older=tuple(older))

    async def all_items(self, library_id: str, *, updated_since: datetime | None = None) -> list[LibraryItem]:
        self._enter("all_items", library_id)
        return self._of(library_id, updated_since)

    async def items_in_series(self, library_id: str, series_id: str) -> list[LibraryItem]:
        self._enter("items_in_series", library_id, series_id)

        def place(item: LibraryItem) -> Decimal:
            sequence = next((ref.sequence for ref in item.series if ref.series_id == series_id), None)
            try:
                return Decimal(sequence or "Infinity")
            except InvalidOperation:
                return Decimal("Infinity")

        members = [item for item in self._of(library_id) if any(ref.series_id == series_id for ref in item.series)]
        return sorted(members, key=place)

    async def series_page(self, library_id: str, page: int, limit: int) -> SeriesPage:
        """The library's series (by id, in the order first met) with their items' ids and sequences."""
        self._enter("series_page", library_id, page, limit)
        names: dict[str, str] = {}
        members: dict[str, list[tuple[str, str | None]]] = {}
        for item in self._of(library_id):
            for ref in item.series:
                if ref.series_id:
                    names.setdefault(ref.series_id, ref.name)
                    members.setdefault(ref.series_id, []).append((item.id, ref.sequence))
        listed = [LibrarySeries(sid, name, tuple(members[sid])) for sid, name in names.items()]
        chosen = tuple(listed[page * limit : (page + 1) * limit])
        return SeriesPage(series=chosen, total=len(listed), page=page, limit=limit)

    async def items_batch(self, item_ids: Sequence[str]) -> list[LibraryItem]:
        self._enter("items_batch", list(item_ids))
        return [self.items[item_id] for item_id in item_ids if item_id in self.items]

    async def item(self, item_id: str) -> LibraryItem:
        self._enter("item", item_id)
        if item_id not in self.items:
            raise ServiceBadResponse(self.name, f"no item {item_id}", details={"status": 404})
        return self.items[item_id]

    async def update_metadata(self, item_id: str, update: MetadataUpdate) -> LibraryItem:
        self._enter("update_metadata", item_id, update)
        current = self._known(item_id)
        changes = {f.name: getattr(update, f.name) for f in dataclasses.fields(update)}
        self.items[item_id] = dataclasses.replace(current, **{k: v for k, v in changes.items() if v is not None})
        return self.items[item_id]

    async def clear_metadata(self, item_id: str, fields: Collection[str]) -> None:
        self._enter("clear_metadata", item_id, tuple(fields))
        unknown = sorted(set(fields) - set(CLEARABLE))
        if unknown:
            raise ValueError(f"no such field: {', '.join(unknown)}")
        current = self._known(item_id)
        cleared: dict[str, Any] = {field: () if field in _LISTS else None for field in fields}
        self.items[item_id] = dataclasses.replace(current, **cleared)

    async def scan_library(self, library_id: str) -> None:
        self._enter("scan_library", library_id)
        self.add(*self.on_scan.pop(library_id, []))

    async def cover(self, item_id: str) -> CoverImage | None:
        """A stand-in picture for an item with a cover; None for one without."""
        self._enter("cover", item_id)
        item = self._known(item_id)
        return CoverImage(content=f"cover of {item_id}".encode(), media_type="image/png") if item.has_cover else None

    def _known(self, item_id: str) -> LibraryItem:
        if item_id not in self.items:
            raise ServiceBadResponse(self.name, f"no item {item_id}", details={"status": 404})
        return self.items[item_id]
