"""The library sync's item listing, page by page: each page looked at, planned beside the previous page's write.

Each page's next one is asked for before it is looked at; a page's changed items are found with one read of
their books, the ambiguous ones read expanded, the rest prepared (services/library_rows.py), all while the
page before it is written. Pages are written in order, one transaction each, on the sync's database thread.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from shelfkeeper.automation.library_sync_report import SyncReport
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.domain.library.items import LibraryItem, LibraryPage, SeriesRef
from shelfkeeper.domain.library.listing_index import ListingIndex
from shelfkeeper.domain.library.sync import exact_series, is_unchanged
from shelfkeeper.errors import ServiceBadResponse
from shelfkeeper.ports import LibraryServer
from shelfkeeper.services.library_rows import ItemWrite, PreparedItem, prepare_items
from shelfkeeper.services.library_sync import ItemFailure, stored_versions, write_items

EXPAND_BATCH = 100  # items per POST /api/items/batch/get
PAGES_AHEAD = 2  # listing requests in flight (ReadAhead)
# A page with at most this many new items reads them expanded at once (exact people, audio format); a page of
# a first import, all new, leaves their formats to the format pass, so that 50,000 items stay a few minutes'
# reading for Audiobookshelf spread over several runs rather than one.
NEW_EXPANDED_PER_PAGE = 50

P = TypeVar("P")

# A unit of work on the sync's database thread (RunContext.transaction bound to it).
Transaction = Callable[[Callable[[Session], Any]], Awaitable[Any]]


async def sync_pages(
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
    pages = ReadAhead(partial(client.items_page, library_id, limit=page_size, updated_since=since))
    page = 0
    planned: _PlannedPage | None = None
    writing: asyncio.Future[None] | None = None
    try:
        while (batch := await pages.next()) is not None:
            report.requests["pages"] += 1
            page += 1
            pages.go_on(bool(batch.items or batch.older) and page * page_size < batch.total, batch.total, page_size)
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
        pages.settle()
        if writing is not None and not writing.done():
            await asyncio.wait([writing])  # a failure elsewhere: the page being written (a thread) ends first
        settle(writing)


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


class ReadAhead(Generic[P]):
    """A paged listing read ahead: up to ``PAGES_AHEAD`` requests in flight, asked for and handed out in order.

    With a single request ahead, the next page went out only at the caller's next ``await``, once this page was
    decoded (in its request's task) and looked at: Audiobookshelf rendered and the sync decoded one after the
    other, and an unchanged library's sync took longer than its floor. With two, the server renders a page while
    the one before it is decoded.
    """

    def __init__(self, read: Callable[[int], Awaitable[P]]) -> None:
        self._read = read
        self._ahead: deque[asyncio.Future[P]] = deque([asyncio.ensure_future(read(0))])
        self._asked = 1

    async def next(self) -> P | None:
        """The next page in order; None once the listing is over."""
        return await self._ahead.popleft() if self._ahead else None

    def go_on(self, more: bool, total: int, limit: int) -> None:
        """After a page: ``more`` pages to read (up to the listing's ``total`` items), or none (the rest let go)."""
        if not more:
            self.settle()
            return
        while len(self._ahead) < PAGES_AHEAD and self._asked * limit < total:
            self._ahead.append(asyncio.ensure_future(self._read(self._asked)))
            self._asked += 1

    def settle(self) -> None:
        """Every request still ahead cancelled, or its failure read (see ``settle``)."""
        while self._ahead:
            settle(self._ahead.popleft())


def settle(fetch: asyncio.Future[Any] | None) -> None:
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
