"""The library sync job: Audiobookshelf's book items into Book, Author and Series, full or incremental.

Per library: the paged series listing first (series ids, names and every book's sequence; renames followed
in one transaction), then the item listing page by page: which items changed (one short read), the few
ambiguous or new ones read expanded in one batch request (network), the page written set-based (one
transaction), written while the next page is read. Items the whole listing did not show are checked and marked
removed; audio formats not known yet are read in batches at the end. Only the listing index (each item's series
and whether it was listed, domain/library/listing_index.py) outlives a page.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from shelfkeeper.allocator import give_back_large_blocks
from shelfkeeper.automation.library_sync_report import COUNT_NAMES, SyncReport
from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.db.service_state import ServiceStateStore
from shelfkeeper.domain.library.items import (
    Library,
    LibraryItem,
    LibraryPage,
    LibrarySeries,
    MediaType,
    SeriesPage,
    SeriesRef,
)
from shelfkeeper.domain.library.listing_index import ListingIndex
from shelfkeeper.domain.library.sync import (
    SyncMode,
    choose_mode,
    exact_series,
    is_unchanged,
    next_watermark,
)
from shelfkeeper.errors import ServiceBadResponse, ServiceNotConfigured
from shelfkeeper.ports import LibraryServer
from shelfkeeper.services.library_presence import books_without_format, mark_removed, present_books, set_formats
from shelfkeeper.services.library_rows import ItemWrite, PreparedItem, prepare_items
from shelfkeeper.services.library_series import apply_series_names
from shelfkeeper.services.library_sync import ItemFailure, stored_versions, write_items

STATE_SERVICE = "audiobookshelf"
STATE_KEY = "library_sync"
DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 1000
PRESENCE_CHUNK = 500
SERIES_PAGE_SIZE = 200  # series per request of the series listing (each with its books)
EXPAND_BATCH = 100  # items per POST /api/items/batch/get
# A page with at most this many new items reads them expanded at once (exact people, audio format); a page of
# a first import, all new, leaves their formats to the format pass, so that 50,000 items stay a few minutes'
# reading for Audiobookshelf spread over several runs rather than one.
NEW_EXPANDED_PER_PAGE = 50
FORMATS_PER_RUN = 1000  # audio formats read per run (newest books first)

# A unit of work on the sync's database thread (RunContext.transaction bound to it).
Transaction = Callable[[Callable[[Session], Any]], Awaitable[Any]]


# ---- the job ------------------------------------------------------------------------------------------------


async def library_sync_task(run: RunContext) -> JobResult:
    """Sync the library; ``{"full": true}`` forces a full sync, ``{"page_size": n}`` changes the page size,
    ``{"format_limit": n}`` how many audio formats are read at most."""
    try:
        client: LibraryServer = run.integrations.library()
    except ServiceNotConfigured as exc:
        run.log.info("library sync skipped: %s", exc.message)
        return JobResult(counts=dict.fromkeys(COUNT_NAMES, 0), metrics={"skipped": exc.message})
    give_back_large_blocks()  # megabyte pages, one after the other: see shelfkeeper/allocator.py
    page_size = _positive(run.parameters.get("page_size"), DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    formats = _positive(run.parameters.get("format_limit"), FORMATS_PER_RUN, 10**7)
    full = run.parameters.get("full") is True
    report = await sync_library(run, client, full=full, page_size=page_size, format_limit=formats)
    return report.result()


def _positive(value: object, default: int, ceiling: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return min(value, ceiling)
    return default


async def sync_library(
    run: RunContext,
    client: LibraryServer,
    *,
    full: bool = False,
    page_size: int = DEFAULT_PAGE_SIZE,
    format_limit: int = FORMATS_PER_RUN,
) -> SyncReport:
    """One sync of every book library (or those in ``ABS_LIBRARY_IDS``); an outage raises a ``ServiceError``."""
    store = ServiceStateStore(run.app.sessions)
    remembered = (await asyncio.to_thread(store.get, STATE_SERVICE)).get(STATE_KEY) or {}
    started = run.now()
    decision = choose_mode(
        forced_full=full,
        last_full_at=_parse_time(remembered.get("last_full_at")),
        watermark=_parse_time(remembered.get("watermark")),
        now=started,
    )
    report = SyncReport(decision)
    run.log.info("library sync: %s (%s)", decision.mode.value, decision.reason)
    everything = await client.libraries()
    report.requests["libraries"] += 1
    for library in _chosen_libraries(run, everything, report):
        report.libraries.append(library.id)
        await _sync_one_library(run, client, library, report, page_size)
    if decision.mode is SyncMode.FULL and not run.app.settings.abs_library_ids and everything:
        # Books of a library Audiobookshelf no longer has: each is checked, then marked removed.
        await _mark_absent(run, client, None, _never, report, other_than=[lib.id for lib in everything])
    await _read_formats(run, client, report, format_limit)
    report.watermark = next_watermark(started, report.newest_seen, report.oldest_failed)
    state = {
        "watermark": report.watermark.isoformat(),
        "last_sync_at": started.isoformat(),
        "last_mode": decision.mode.value,
        "last_full_at": started.isoformat() if decision.mode is SyncMode.FULL else remembered.get("last_full_at"),
        "last_counts": {name: report.counts.get(name, 0) for name in COUNT_NAMES},
    }
    await store.aupdate(STATE_SERVICE, **{STATE_KEY: state})
    run.log.info("library sync done: %s", dict(report.counts))
    return report


def _chosen_libraries(run: RunContext, everything: Sequence[Library], report: SyncReport) -> list[Library]:
    wanted = run.app.settings.abs_library_ids
    if not wanted:
        return [library for library in everything if library.media_type == MediaType.BOOK]
    known = {library.id for library in everything}
    for missing in sorted(set(wanted) - known):
        report.notes.append(f"ABS_LIBRARY_IDS names {missing!r}, which Audiobookshelf does not list")
    chosen = [library for library in everything if library.id in wanted]
    for library in chosen:
        if library.media_type != MediaType.BOOK:
            report.notes.append(f"library {library.id!r} holds {library.media_type}s, not books: skipped")
    return [library for library in chosen if library.media_type == MediaType.BOOK]


async def _read_series(run: RunContext, client: LibraryServer, library_id: str, report: SyncReport) -> ListingIndex:
    """Every series of the library with its books' sequences, page by page; renames are followed at the end."""
    index = ListingIndex()
    page = 0
    # As with the items: the next page is asked for before this one is indexed (Audiobookshelf renders it
    # meanwhile); its answer is read while the loop goes on.
    fetch: asyncio.Future[SeriesPage] | None = asyncio.ensure_future(
        client.series_page(library_id, 0, SERIES_PAGE_SIZE)
    )
    try:
        while fetch is not None:
            batch = await fetch
            report.requests["series_pages"] += 1
            page += 1
            more = bool(batch.series) and page * SERIES_PAGE_SIZE < batch.total
            fetch = asyncio.ensure_future(client.series_page(library_id, page, SERIES_PAGE_SIZE)) if more else None
            for series in batch.series:
                index.add_series(series)
    finally:
        _settle(fetch)
    listed = [LibrarySeries(series_id, name) for series_id, name in index.names.items()]
    renamed, notes = await run.transaction(partial(apply_series_names, listed=listed))
    report.series_renamed += renamed
    report.notes.extend(notes)
    return index


async def _sync_one_library(
    run: RunContext, client: LibraryServer, library: Library, report: SyncReport, page_size: int
) -> None:
    index = await _read_series(run, client, library.id, report)
    # The pages' transactions run on one thread of their own: one connection, one allocator arena.
    database = ThreadPoolExecutor(max_workers=1, thread_name_prefix="library-sync")
    try:
        transaction: Transaction = partial(run.transaction, executor=database)
        await _sync_pages(run, client, library.id, index, report, page_size, transaction)
    finally:
        database.shutdown(wait=False)
    # The whole listing was read (full or incremental): what it did not show is checked, then marked removed.
    await _mark_absent(run, client, library.id, index.was_listed, report)


async def _sync_pages(
    run: RunContext,
    client: LibraryServer,
    library_id: str,
    index: ListingIndex,
    report: SyncReport,
    page_size: int,
    transaction: Transaction,
) -> None:
    """The item listing, page by page: each page's next one is asked for before it is looked at, and each page
    is planned (read expanded where needed, prepared) while the one before it is written. Pages are written in
    order, one transaction each. Audiobookshelf cannot filter by updatedAt: every page is read, but an item
    older than the watermark is only an id and a time."""
    since = report.decision.since
    read = partial(client.items_page, library_id, limit=page_size, updated_since=since)
    fetch: asyncio.Future[LibraryPage] | None = asyncio.ensure_future(read(0))
    page = 0
    planned: _PlannedPage | None = None
    writing: asyncio.Future[None] | None = None
    try:
        while fetch is not None:
            batch = await fetch
            report.requests["pages"] += 1
            page += 1
            more = bool(batch.items or batch.older) and page * page_size < batch.total
            fetch = asyncio.ensure_future(read(page)) if more else None
            changed = _looked_at(batch, since, index, report)
            ids = [item.id for item in changed]
            versions = asyncio.ensure_future(transaction(partial(stored_versions, abs_ids=ids))) if ids else None
            if planned is not None:  # written once this page's versions are read: they do not wait for the write
                writing = asyncio.ensure_future(_write_page(run, transaction, library_id, planned, report, versions))
            planned = await _plan_page(run, client, index, changed, versions, report) if versions else None
            if writing is not None:
                await writing
        if planned is not None:
            await _write_page(run, transaction, library_id, planned, report)
    finally:
        _settle(fetch)
        if writing is not None and not writing.done():
            await asyncio.wait([writing])  # a failure elsewhere: the page being written (a thread) ends first
        _settle(writing)


def _looked_at(
    batch: LibraryPage, since: datetime | None, index: ListingIndex, report: SyncReport
) -> list[LibraryItem]:
    """The page's items counted and marked listed; returns those updated since the watermark (all: full sync)."""
    report.saw(batch.items, batch.older)
    index.mark_listed(item.id for item in batch.items)
    index.mark_listed(item_id for item_id, _ in batch.older)
    changed = [i for i in batch.items if since is None or i.updated_at is None or i.updated_at >= since]
    report.counts["unchanged"] += len(batch.items) - len(changed) + len(batch.older)
    return changed


def _settle(fetch: asyncio.Future[Any] | None) -> None:
    """A prefetch left behind by a failure: cancelled, or its own failure read (so it is not reported twice)."""
    if fetch is not None and not fetch.done():
        fetch.cancel()
    elif fetch is not None and not fetch.cancelled():
        fetch.exception()


@dataclass
class _PlannedPage:
    """A page's items ready for its transaction: prepared writes, the items that failed, the time they are written."""

    items: list[PreparedItem]
    failures: list[ItemFailure]
    now: datetime


async def _plan_page(
    run: RunContext,
    client: LibraryServer,
    index: ListingIndex,
    items: list[LibraryItem],
    stored: Awaitable[dict[str, tuple[datetime | None, bool]]],
    report: SyncReport,
) -> _PlannedPage | None:
    """Which of the page's items changed, the ambiguous ones read expanded, the rest prepared; None: nothing to do."""
    versions = await stored
    todo = [item for item in items if not _unchanged(versions.get(item.id), item)]
    report.counts["unchanged"] += len(items) - len(todo)
    if not todo:
        return None
    exact: dict[str, tuple[SeriesRef, ...]] = {}
    expand: dict[str, LibraryItem] = {}
    for item in todo:
        refs = exact_series(item, index.memberships(item.id), index.names)
        if refs is None or not item.authors_exact:
            expand[item.id] = item  # the listings disagree or cannot tell: read the item itself
        if refs is not None:
            exact[item.id] = refs
    new = [item for item in todo if item.id not in versions]
    if len(new) <= NEW_EXPANDED_PER_PAGE:
        expand.update((item.id, item) for item in new)
    expanded, failures = await _expand(client, list(expand.values()), report)
    writes: list[ItemWrite] = []
    for item in todo:
        full = expanded.get(item.id)
        if full is not None:
            writes.append(ItemWrite(item, full.series, full.authors, full.narrators, full.audio_format))
        elif item.id not in expand:
            writes.append(ItemWrite(item, series=exact[item.id]))
    # Prepared here, while the previous page is written: the database thread is left with the database's work.
    return _PlannedPage(prepare_items(writes), failures, run.now())


async def _write_page(
    run: RunContext,
    transaction: Transaction,
    library_id: str,
    page: _PlannedPage,
    report: SyncReport,
    after: asyncio.Future[Any] | None = None,
) -> None:
    """The page's transaction (once ``after``, the next page's read, is done); item by item if the database
    refuses the page."""
    if after is not None:
        await asyncio.wait([after])
    write = partial(write_items, library_id=library_id, now=page.now, task_id=run.task_id)
    try:
        counts = await transaction(partial(write, items=page.items, failures=page.failures))
    except SQLAlchemyError:
        run.log.warning("writing a page failed; writing its items one by one", exc_info=True)
        counts = await _write_one_by_one(transaction, write, page.items, page.failures)
    report.counts.update(counts)
    report.failed(page.failures)


def _unchanged(version: tuple[datetime | None, bool] | None, item: LibraryItem) -> bool:
    return version is not None and is_unchanged(version[0], version[1], item)


async def _expand(
    client: LibraryServer, items: Sequence[LibraryItem], report: SyncReport
) -> tuple[dict[str, LibraryItem], list[ItemFailure]]:
    """Read items expanded, a batch per request; an item the server leaves out, or a bad answer, fails alone."""
    found: dict[str, LibraryItem] = {}
    failures: list[ItemFailure] = []
    for start in range(0, len(items), EXPAND_BATCH):
        chunk = items[start : start + EXPAND_BATCH]
        report.requests["expanded_items"] += len(chunk)
        report.requests["item_batches"] += 1
        try:
            answers = await client.items_batch([item.id for item in chunk])
        except ServiceBadResponse as exc:
            failures.extend(ItemFailure(item, "fetch", exc.code, exc.message) for item in chunk)
            continue
        got = {answer.id: answer for answer in answers}
        found.update(got)
        gone = ServiceBadResponse("audiobookshelf", "the item was not returned (deleted while the sync read it?)")
        failures.extend(ItemFailure(item, "fetch", gone.code, gone.message) for item in chunk if item.id not in got)
    return found, failures


async def _write_one_by_one(
    transaction: Transaction,
    write: Callable[..., Counter[str]],
    items: list[PreparedItem],
    failures: list[ItemFailure],
) -> Counter[str]:
    """Each item in its own transaction: a refused item becomes a failure instead of sinking its page."""
    counts: Counter[str] = Counter()
    for one in items:
        try:
            counts.update(await transaction(partial(write, items=[one], failures=[])))
        except SQLAlchemyError as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
            failures.append(ItemFailure(one.write.item, "write", "INTERNAL_ERROR", error))
    counts.update(await transaction(partial(write, items=[], failures=failures)))
    return counts


async def _mark_absent(
    run: RunContext,
    client: LibraryServer,
    library_id: str | None,
    listed: Callable[[str], bool],
    report: SyncReport,
    *,
    other_than: Collection[str] = (),
) -> None:
    """Books whose item the full pass did not see: each is asked for once, and marked removed when it is gone."""
    after = 0
    while True:
        chunk = partial(present_books, library_id=library_id, other_than=other_than, after_id=after)
        rows = await run.transaction(partial(chunk, limit=PRESENCE_CHUNK))
        if not rows:
            return
        after = rows[-1][0]
        candidates = [abs_id for _, abs_id in rows if not listed(abs_id)]
        gone = await _confirm_gone(client, candidates, report)
        if gone:
            report.counts["removed"] += await run.transaction(partial(mark_removed, abs_ids=gone, now=run.now()))


async def _confirm_gone(client: LibraryServer, candidates: list[str], report: SyncReport) -> list[str]:
    """Items that answer 404 (or are missing): an item merely shifted between pages while we read is kept."""
    if not candidates:
        return []
    report.requests["presence_checks"] += len(candidates)
    answers = await asyncio.gather(*(client.item(abs_id) for abs_id in candidates), return_exceptions=True)
    gone: list[str] = []
    for abs_id, answer in zip(candidates, answers, strict=True):
        if isinstance(answer, ServiceBadResponse):
            details = answer.details if isinstance(answer.details, dict) else {}
            if details.get("status") == 404:
                gone.append(abs_id)
            else:
                report.notes.append(f"item {abs_id} could not be checked: {answer.message}")
        elif isinstance(answer, BaseException):
            raise answer
        elif answer.is_missing:
            gone.append(abs_id)
    return gone


async def _read_formats(run: RunContext, client: LibraryServer, report: SyncReport, limit: int) -> None:
    """Audio formats of books that have none yet, newest first, a batch per request, at most ``limit`` a run."""
    before: int | None = None
    left = limit
    while left > 0:
        chunk = partial(books_without_format, before_id=before, limit=min(EXPAND_BATCH, left))
        rows = await run.transaction(chunk)
        if not rows:
            return
        before, left = rows[-1][0], left - len(rows)
        report.requests["format_batches"] += 1
        try:
            items = await client.items_batch([abs_id for _, abs_id in rows])
        except ServiceBadResponse as exc:
            report.notes.append(f"audio formats could not be read: {exc.message}")
            return
        formats = {item.id: item.audio_format for item in items if item.audio_format is not None}
        if formats:
            report.formats_read += await run.transaction(partial(set_formats, formats=formats))


def _never(_item_id: str) -> bool:
    return False


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
