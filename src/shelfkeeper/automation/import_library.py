"""Audiobookshelf's side of an import: the library holding LIBRARY_PATH, its scan, the new item, the Book row."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import Book
from shelfkeeper.domain.library.items import Library, LibraryItem, MediaType
from shelfkeeper.ports import LibraryServer
from shelfkeeper.services.library_rows import ItemWrite, prepare
from shelfkeeper.services.library_sync import write_items

TAIL_PAGE = 50  # new items sort last by addedAt: the last pages hold them
Sleep = Callable[[float], Awaitable[None]]


class LibraryNotFound(Exception):
    """No Audiobookshelf library can be told to hold LIBRARY_PATH."""


def _posix(path: str) -> PurePosixPath:
    return PurePosixPath(os.path.normpath(path.replace("\\", "/")))


async def find_import_library(client: LibraryServer, library_path: str, configured_ids: Sequence[str] = ()) -> Library:
    """The book library one of whose folders is LIBRARY_PATH or holds it.

    Audiobookshelf may see the folder under another path (another container): then the one library
    named in ABS_LIBRARY_IDS, or the only book library, is taken; anything else is ambiguous.
    """
    libraries = [library for library in await client.libraries() if library.media_type == MediaType.BOOK]
    target = _posix(library_path)
    for library in libraries:
        for folder in library.folders:
            root = _posix(folder)
            if target == root or root in target.parents:
                return library
    candidates = [lib for lib in libraries if lib.id in configured_ids] if configured_ids else libraries
    if len(candidates) == 1:
        return candidates[0]
    shown = ", ".join(f"{lib.name} ({', '.join(lib.folders)})" for lib in libraries) or "none"
    raise LibraryNotFound(
        f"no Audiobookshelf book library has the folder {library_path}; libraries: {shown} "
        "(set ABS_LIBRARY_IDS to the one that imports go into)"
    )


def item_matches(item: LibraryItem, book_dir: str, rel_path: str) -> bool:
    """The item is the imported folder: the same path, or (ABS seeing the library elsewhere) the same relPath."""
    if item.path and _posix(item.path) == _posix(book_dir):
        return True
    rel = str(item.extra.get("rel_path") or "").replace("\\", "/").strip("/")
    return bool(rel) and (rel == rel_path or rel.endswith("/" + rel_path))


async def _tail(client: LibraryServer, library_id: str) -> list[LibraryItem]:
    total = (await client.items_page(library_id, 0, 1)).total
    last = max(0, (total - 1) // TAIL_PAGE)
    items: list[LibraryItem] = []
    for page in sorted({max(0, last - 1), last}):
        items.extend((await client.items_page(library_id, page, TAIL_PAGE)).items)
    return items


async def find_item(
    client: LibraryServer, library_id: str, book_dir: str, rel_path: str, *, everywhere: bool = False
) -> LibraryItem | None:
    """The library's item for the folder: among the newest items, or (``everywhere``) in the whole library."""
    items = await client.all_items(library_id) if everywhere else await _tail(client, library_id)
    return next((item for item in items if item_matches(item, book_dir, rel_path) and not item.is_missing), None)


async def wait_for_item(
    client: LibraryServer,
    library_id: str,
    book_dir: str,
    rel_path: str,
    *,
    sleep: Sleep,
    delays: Sequence[float],
) -> LibraryItem | None:
    """Poll for the item after a scan (which Audiobookshelf runs in the background), then look everywhere once."""
    for delay in delays:
        await sleep(delay)
        found = await find_item(client, library_id, book_dir, rel_path)
        if found is not None:
            return found
    return await find_item(client, library_id, book_dir, rel_path, everywhere=True)


async def find_or_scan(
    client: LibraryServer,
    library_id: str,
    folders: Sequence[tuple[str, str]],
    *,
    sleep: Sleep,
    delays: Sequence[float],
) -> AsyncIterator[tuple[int, LibraryItem | None]]:
    """The full item of each (``book_dir``, ``rel_path``) folder, by index, as soon as it is known: the folders
    already listed first, then ONE scan of the library for all the others and a wait for each (None: still not
    listed). Shared by the single-book and pack imports."""
    waiting = []
    for index, (book_dir, rel_path) in enumerate(folders):
        found = await find_item(client, library_id, book_dir, rel_path)
        if found is None:
            waiting.append(index)
        else:
            yield index, await client.item(found.id)
    if waiting:
        await client.scan_library(library_id)
    for index in waiting:
        book_dir, rel_path = folders[index]
        found = await wait_for_item(client, library_id, book_dir, rel_path, sleep=sleep, delays=delays)
        yield index, await client.item(found.id) if found is not None else None


def save_book(
    session: Session, item: LibraryItem, *, audio_format: str | None, now: datetime, task_id: int | None = None
) -> Book:
    """Create or update the Book of an Audiobookshelf item exactly as library sync does, so a later sync sees
    it unchanged; the import adds what sync cannot know (the audio format)."""
    write = ItemWrite(item, series=item.series, authors=item.authors, narrators=item.narrators)
    write_items(session, item.library_id, [prepare(write)], now=now, task_id=task_id)
    book = session.scalars(select(Book).where(Book.abs_id == item.id)).one()
    book.format = book.format or audio_format
    return book
