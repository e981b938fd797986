"""The library sync job: Audiobookshelf's book items into Book, Author and Series, full or incremental.

One pass over each library, page by page: read a page (network), read what the database remembers of its
items (a short transaction), read exact series where they changed (network), write the page (one
transaction). Nothing but ids, series ids and a small cache of series listings outlives a page.
"""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from shelfkeeper.adapters.audiobookshelf import AudiobookshelfClient
from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.db.service_state import ServiceStateStore
from shelfkeeper.domain.library.items import Library, LibraryItem, LibraryPage, MediaType, SeriesRef
from shelfkeeper.domain.library.sync import (
    ModeDecision,
    SyncMode,
    choose_mode,
    needs_exact_series,
    next_watermark,
    plan_series_sources,
)
from shelfkeeper.domain.text import series_key
from shelfkeeper.errors import ServiceBadResponse, ServiceError, ServiceNotConfigured
from shelfkeeper.services.library_sync import (
    ItemFailure,
    ItemWrite,
    mark_removed,
    present_books,
    remembered_series,
    series_id_hints,
    write_items,
)

STATE_SERVICE = "audiobookshelf"
STATE_KEY = "library_sync"
DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 1000
PRESENCE_CHUNK = 500
LISTING_CACHE = 64  # series listings kept for the next pages (books of a series are usually added together)
COUNT_NAMES = ("seen", "created", "updated", "unchanged", "removed", "restored", "errors")


@dataclass
class SyncReport:
    """What one sync did: the counts the Task shows, the requests made and the times that move the watermark."""

    decision: ModeDecision
    counts: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    libraries: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    newest_seen: datetime | None = None
    oldest_failed: datetime | None = None
    watermark: datetime | None = None

    def saw(self, items: Sequence[LibraryItem]) -> None:
        self.counts["seen"] += len(items)
        times = [item.updated_at for item in items if item.updated_at is not None]
        if times and (self.newest_seen is None or max(times) > self.newest_seen):
            self.newest_seen = max(times)

    def failed(self, failures: Sequence[ItemFailure]) -> None:
        times = [f.item.updated_at for f in failures if f.item.updated_at is not None]
        if times and (self.oldest_failed is None or min(times) < self.oldest_failed):
            self.oldest_failed = min(times)

    def result(self) -> JobResult:
        counts = {name: int(self.counts.get(name, 0)) for name in COUNT_NAMES}
        metrics: dict[str, Any] = {
            "mode": self.decision.mode.value,
            "reason": self.decision.reason,
            "since": self.decision.since.isoformat() if self.decision.since else None,
            "libraries": self.libraries,
            "requests": dict(self.requests),
            "next_watermark": self.watermark.isoformat() if self.watermark else None,
        }
        if self.notes:
            metrics["notes"] = self.notes
        return JobResult(counts=counts, metrics=metrics)


@dataclass
class Resolution:
    """Exact series (and, for expanded items, exact people) of a page's changed items, and the items that failed."""

    series: dict[str, tuple[SeriesRef, ...]] = field(default_factory=dict)
    expanded: dict[str, LibraryItem] = field(default_factory=dict)
    failures: dict[str, ServiceError] = field(default_factory=dict)


class SeriesResolver:
    """Reads exact series sequences for changed items, choosing per series the cheaper of two sources.

    A series-filtered listing answers for every book of a series in one request (``{id, name, sequence}``);
    an expanded item answers for one book (and gives its exact authors and narrators). Series ids come from
    the database (a hint, checked by the listing) or are learnt from expanded items as the run goes.
    """

    def __init__(self, client: AudiobookshelfClient, library_id: str, requests: Counter[str]) -> None:
        self.client = client
        self.library_id = library_id
        self.requests = requests
        self.learned: dict[str, str] = {}  # series key -> series id seen in this run
        self.listings: OrderedDict[str, dict[str, SeriesRef]] = OrderedDict()  # series id -> item id -> ref

    async def resolve(self, items: Sequence[LibraryItem], hints: dict[str, str]) -> Resolution:
        resolution = Resolution()
        if not items:
            return resolution
        while len(self.listings) > LISTING_CACHE:  # trimmed before the page: its own listings all stay for it
            self.listings.popitem(last=False)
        keys = {item.id: _series_keys(item) for item in items}
        members: defaultdict[str, list[str]] = defaultdict(list)
        for item in items:
            for key in keys[item.id]:
                members[key].append(item.id)
        known = {**hints, **self.learned}
        listed = {key for key, series_id in known.items() if series_id in self.listings}
        plan = plan_series_sources(members, known, listed)
        by_id = {item.id: item for item in items}
        await self._expand([by_id[item_id] for item_id in plan.learn_from], resolution)
        wanted = (self.learned.get(key) or hints.get(key) for key in plan.listings)
        to_list = [series_id for series_id in dict.fromkeys(wanted) if series_id and series_id not in self.listings]
        await asyncio.gather(*(self._list(series_id) for series_id in to_list))
        rest: list[LibraryItem] = []
        for item in items:
            if item.id in resolution.expanded or item.id in resolution.failures:
                continue
            refs = self._from_listings(item.id, keys[item.id], hints)
            if refs is None:
                rest.append(item)
            else:
                resolution.series[item.id] = refs
        await self._expand(rest, resolution)
        return resolution

    def _from_listings(self, item_id: str, keys: Sequence[str], hints: dict[str, str]) -> tuple[SeriesRef, ...] | None:
        refs: list[SeriesRef] = []
        for key in keys:
            series_id = self.learned.get(key) or hints.get(key) or ""
            listing = self.listings.get(series_id)
            if listing is None or item_id not in listing:
                return None
            self.listings.move_to_end(series_id)
            refs.append(listing[item_id])
        return tuple(refs)

    async def _list(self, series_id: str) -> None:
        self.requests["series_listings"] += 1
        rows = await self.client.items_in_series(self.library_id, series_id)
        found: dict[str, SeriesRef] = {}
        for row in rows:
            exact = next((ref for ref in row.series if ref.series_id == series_id), None)
            if exact is not None:
                found[row.id] = exact
                self.learned.setdefault(series_key(exact.name), series_id)
        self.listings[series_id] = found

    async def _expand(self, items: Sequence[LibraryItem], resolution: Resolution) -> None:
        """Fetch items expanded (the client bounds the concurrency); a bad answer fails that item alone."""
        if not items:
            return
        self.requests["expanded_items"] += len(items)
        answers = await asyncio.gather(*(self.client.item(item.id) for item in items), return_exceptions=True)
        for item, answer in zip(items, answers, strict=True):
            if isinstance(answer, ServiceBadResponse):
                resolution.failures[item.id] = answer
            elif isinstance(answer, BaseException):
                raise answer  # the service itself failed: the run fails and is retried
            else:
                resolution.expanded[item.id] = answer
                resolution.series[item.id] = answer.series
                for ref in answer.series:
                    if ref.series_id:
                        self.learned[series_key(ref.name)] = ref.series_id


def _series_keys(item: LibraryItem) -> tuple[str, ...]:
    return tuple(dict.fromkeys(series_key(ref.name) for ref in item.series if ref.name.strip()))


# ---- the job ------------------------------------------------------------------------------------------------


async def library_sync_task(run: RunContext) -> JobResult:
    """Sync the library; ``{"full": true}`` forces a full sync, ``{"page_size": n}`` changes the page size."""
    try:
        client = run.integrations.library()
    except ServiceNotConfigured as exc:
        run.log.info("library sync skipped: %s", exc.message)
        return JobResult(counts=dict.fromkeys(COUNT_NAMES, 0), metrics={"skipped": exc.message})
    page_size = _page_size(run.parameters.get("page_size"))
    report = await sync_library(run, client, full=run.parameters.get("full") is True, page_size=page_size)
    return report.result()


def _page_size(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return min(value, MAX_PAGE_SIZE)
    return DEFAULT_PAGE_SIZE


async def sync_library(
    run: RunContext, client: AudiobookshelfClient, *, full: bool = False, page_size: int = DEFAULT_PAGE_SIZE
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
        await _mark_absent(run, client, None, set(), report, other_than=[lib.id for lib in everything])
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


async def _sync_one_library(
    run: RunContext, client: AudiobookshelfClient, library: Library, report: SyncReport, page_size: int
) -> None:
    since = report.decision.since
    seen: set[str] | None = set() if report.decision.mode is SyncMode.FULL else None
    resolver = SeriesResolver(client, library.id, report.requests)
    page = 0
    # The next page is read while this one is written: two pages at most in memory.
    fetch: asyncio.Future[LibraryPage] | None = asyncio.ensure_future(client.items_page(library.id, 0, page_size))
    try:
        while fetch is not None:
            batch = await fetch
            report.requests["pages"] += 1
            page += 1
            more = bool(batch.items) and page * page_size < batch.total
            fetch = asyncio.ensure_future(client.items_page(library.id, page, page_size)) if more else None
            report.saw(batch.items)
            if seen is not None:
                seen.update(item.id for item in batch.items)
            # Audiobookshelf cannot filter by updatedAt: every page is read, only the changed items are looked at.
            changed = [i for i in batch.items if since is None or i.updated_at is None or i.updated_at >= since]
            report.counts["unchanged"] += len(batch.items) - len(changed)
            if changed:
                await _sync_page(run, resolver, library.id, changed, report)
    finally:
        if fetch is not None and not fetch.done():
            fetch.cancel()
        elif fetch is not None and not fetch.cancelled():
            fetch.exception()  # read, so that a failed prefetch behind another failure is not reported twice
    if seen is not None:
        await _mark_absent(run, client, library.id, seen, report)


async def _sync_page(
    run: RunContext, resolver: SeriesResolver, library_id: str, items: list[LibraryItem], report: SyncReport
) -> None:
    ids = [item.id for item in items]
    keys = {key for item in items for key in _series_keys(item)}

    def read(session: Session) -> tuple[dict[str, str], dict[str, str]]:
        return remembered_series(session, ids), series_id_hints(session, keys)

    remembered, hints = await run.transaction(read)
    pending = [item for item in items if needs_exact_series(item, remembered.get(item.id))]
    resolution = await resolver.resolve(pending, hints)
    writes: list[ItemWrite] = []
    failures: list[ItemFailure] = []
    for item in items:
        error = resolution.failures.get(item.id)
        if error is not None:
            failures.append(ItemFailure(item, "fetch", error.code, error.message))
            continue
        full = resolution.expanded.get(item.id)
        writes.append(
            ItemWrite(
                item,
                series=resolution.series.get(item.id),
                authors=full.authors if full is not None else None,
                narrators=full.narrators if full is not None else None,
            )
        )
    write = partial(write_items, library_id=library_id, now=run.now(), task_id=run.task_id)
    try:
        counts = await run.transaction(partial(write, writes=writes, failures=failures))
    except SQLAlchemyError:
        run.log.warning("writing a page failed; writing its items one by one", exc_info=True)
        counts = await _write_one_by_one(run, write, writes, failures)
    report.counts.update(counts)
    report.failed(failures)


async def _write_one_by_one(
    run: RunContext, write: Callable[..., Counter[str]], writes: list[ItemWrite], failures: list[ItemFailure]
) -> Counter[str]:
    """Each item in its own transaction: a refused item becomes a failure instead of sinking its page."""
    counts: Counter[str] = Counter()
    for one in writes:
        try:
            counts.update(await run.transaction(partial(write, writes=[one], failures=[])))
        except SQLAlchemyError as exc:
            failures.append(ItemFailure(one.item, "write", "INTERNAL_ERROR", f"{type(exc).__name__}: {exc}"[:2000]))
    counts.update(await run.transaction(partial(write, writes=[], failures=failures)))
    return counts


async def _mark_absent(
    run: RunContext,
    client: AudiobookshelfClient,
    library_id: str | None,
    seen: set[str],
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
        candidates = [abs_id for _, abs_id in rows if abs_id not in seen]
        gone = await _confirm_gone(client, candidates, report)
        if gone:
            report.counts["removed"] += await run.transaction(partial(mark_removed, abs_ids=gone, now=run.now()))


async def _confirm_gone(client: AudiobookshelfClient, candidates: list[str], report: SyncReport) -> list[str]:
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


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
