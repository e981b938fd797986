"""The library sync job: Audiobookshelf's book items into Book, Author and Series, full or incremental.

Per library: the paged series listing first (series ids, names and every book's sequence; renames followed
in one transaction), then the item listing page by page (automation/library_pages.py: which items changed, the
few ambiguous or new ones read expanded, each page written set-based in one transaction while the next one is
planned). Items the whole listing did not show are checked and marked removed; audio formats not known yet are
read in batches at the end. Only the listing index (each item's series and whether it was listed,
domain/library/listing_index.py) outlives a page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial

from shelfkeeper.allocator import give_back_large_blocks
from shelfkeeper.automation.library_pages import EXPAND_BATCH, ReadAhead, Transaction, sync_pages
from shelfkeeper.automation.library_sync_report import COUNT_NAMES, SyncReport
from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.collector import older_objects_left_alone
from shelfkeeper.db.service_state import ServiceStateStore
from shelfkeeper.domain.library.items import Library, LibrarySeries, MediaType
from shelfkeeper.domain.library.listing_index import ListingIndex
from shelfkeeper.domain.library.sync import SyncMode, choose_mode, next_watermark
from shelfkeeper.errors import ServiceBadResponse, ServiceNotConfigured
from shelfkeeper.ports import LibraryServer
from shelfkeeper.services.library_presence import books_without_format, mark_removed, set_formats, unlisted_books
from shelfkeeper.services.library_series import apply_series_names

STATE_SERVICE = "audiobookshelf"
STATE_KEY = "library_sync"
DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 1000
PRESENCE_CHUNK = 500  # unlisted items checked together (concurrent requests, one transaction)
SERIES_PAGE_SIZE = 200  # series per request of the series listing (each with its books)
FORMATS_PER_RUN = 1000  # audio formats read per run (newest books first)


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
    with older_objects_left_alone():  # see shelfkeeper/collector.py
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
    # As with the items: the next pages are asked for before this one is indexed (Audiobookshelf renders them
    # meanwhile).
    pages = ReadAhead(lambda number: client.series_page(library_id, number, SERIES_PAGE_SIZE))
    try:
        while (batch := await pages.next()) is not None:
            report.requests["series_pages"] += 1
            page += 1
            pages.go_on(bool(batch.series) and page * SERIES_PAGE_SIZE < batch.total, batch.total, SERIES_PAGE_SIZE)
            for series in batch.series:
                index.add_series(series)
    finally:
        pages.settle()
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
        await sync_pages(run, client, library.id, index, report, page_size, transaction)
    finally:
        database.shutdown(wait=False)
    # The whole listing was read (full or incremental): what it did not show is checked, then marked removed.
    await _mark_absent(run, client, library.id, index.was_listed, report)


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
    unlisted = partial(unlisted_books, library_id=library_id, other_than=other_than, listed=listed)
    candidates = await run.transaction(unlisted)
    for start in range(0, len(candidates), PRESENCE_CHUNK):
        gone = await _confirm_gone(client, candidates[start : start + PRESENCE_CHUNK], report)
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
