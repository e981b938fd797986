"""The metadata jobs: every book of the library (metadata_full_refresh_task) or the new and never checked ones
(metadata_new_books_task), in batches, resumable, stopping cleanly when a provider's daily quota runs out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from shelfkeeper.automation.metadata_correction import CorrectionOutcome, correct_book
from shelfkeeper.automation.metadata_providers import ProviderLookup
from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.db.tables import Task
from shelfkeeper.domain.events import Event, EventType
from shelfkeeper.domain.lifecycle import CorrectionStatus
from shelfkeeper.errors import NotFound, QuotaExhausted, ServiceError
from shelfkeeper.services import events
from shelfkeeper.services.metadata import BookSelection, books_to_check, count_books_to_check

BATCH_SIZE = 50
NEW_BOOK_DAYS = 7
SAMPLE_SIZE = 50  # changes listed in the Task metrics; the rest are in /api/metadata/corrections?task_id=


@dataclass
class _Tally:
    """What a batch did, as the Task's counts and metrics."""

    dry_run: bool
    result: JobResult = field(default_factory=JobResult)
    fields: dict[str, int] = field(default_factory=dict)
    sample: list[dict[str, Any]] = field(default_factory=list)

    def add(self, outcome: CorrectionOutcome) -> None:
        self.result.add("books_checked")
        self.result.add(f"books_{outcome.status}")
        for row in outcome.corrections:
            self.result.add(f"corrections_{row.status}")
            self.fields[row.field] = self.fields.get(row.field, 0) + 1
            if len(self.sample) < SAMPLE_SIZE:
                self.sample.append(
                    {
                        "book_id": outcome.book_id,
                        "title": outcome.title,
                        "field": row.field,
                        "old": row.old_value,
                        "new": row.new_value,
                        "source": row.source,
                        "confidence": row.confidence,
                        "status": row.status,
                    }
                )

    def finish(self, extra: dict[str, Any]) -> JobResult:
        key = "would_change" if self.dry_run else "changes"
        self.result.metrics["review_waiting"] = self.result.counts.get(f"corrections_{CorrectionStatus.PENDING}", 0)
        self.result.metrics.update({"dry_run": self.dry_run, "fields": self.fields, key: self.sample, **extra})
        return self.result


def _flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


async def _cycle_start(run: RunContext) -> datetime:
    """When this refresh began, kept in the Task's parameters so a retry of it skips the books already done."""
    known = run.parameters.get("cycle_started_at")
    if known:
        return datetime.fromisoformat(str(known))
    started = run.now()
    run.parameters["cycle_started_at"] = started.isoformat()
    if run.task_id is not None:
        task_id = run.task_id

        def remember(session: Session) -> None:
            task = session.get(Task, task_id)
            if task is not None:
                task.parameters = {**(task.parameters or {}), "cycle_started_at": started.isoformat()}

        await run.transaction(remember)
    return started


async def correct_books(run: RunContext, selection: BookSelection) -> JobResult:
    """Correct the selected books in id order, ``batch_size`` ids at a time, up to ``limit`` books."""
    dry = _flag(run.parameters.get("dry_run"), run.app.settings.metadata_dry_run)
    limit = int(run.parameters["limit"]) if run.parameters.get("limit") else None
    batch = int(run.parameters.get("batch_size") or BATCH_SIZE)
    tally, lookup, last_id, seen = _Tally(dry), ProviderLookup(run), 0, 0
    extra: dict[str, Any] = {"stopped": None}
    while limit is None or seen < limit:
        after = last_id
        ids = await run.transaction(partial(books_to_check, selection=selection, after_id=after, limit=batch))
        if not ids:
            break
        for book_id in ids[: None if limit is None else limit - seen]:
            last_id, seen = book_id, seen + 1
            try:
                tally.add(await correct_book(run, book_id, dry_run=dry, lookup=lookup))
            except QuotaExhausted as exc:
                run.log.warning("metadata batch stopped: %s", exc.message)
                before = book_id - 1
                left = await run.transaction(partial(count_books_to_check, selection=selection, after_id=before))
                extra.update(stopped=f"quota exhausted: {exc.message}", books_left_unchecked=left)
                return tally.finish({**extra, **_lookup_metrics(lookup)})
            except NotFound:
                continue  # deleted since the batch was read
            except ServiceError as exc:
                run.log.warning("metadata of book %s not checked: %s", book_id, exc.message)
                tally.result.add("books_failed")
                extra["last_error"] = exc.message
    result = tally.finish({**extra, **_lookup_metrics(lookup)})
    failed = result.counts.get("books_failed", 0)
    if failed:
        done = result.counts.get("books_checked", 0)
        result.services_failed(f"{failed} of {failed + done} books not checked: {extra['last_error']}", done=done)
    await _tell_review(run, int(result.metrics["review_waiting"]))
    return result


async def _tell_review(run: RunContext, waiting: int) -> None:
    """One "metadata waiting for review" event per run that left corrections to review."""
    if waiting:
        message = f"{waiting} metadata correction(s) wait for your review (Metadata > Review)."
        event = Event(EventType.METADATA_REVIEW, message, at=run.now(), details={"waiting": waiting})
        await run.transaction(lambda session: events.record(session, event))


def _lookup_metrics(lookup: ProviderLookup) -> dict[str, Any]:
    return {"provider_requests": dict(lookup.fetched), "cache_hits": lookup.cache_hits}


async def metadata_full_refresh_task(run: RunContext) -> JobResult:
    """Every book in the library (or only never checked ones with ``only_unchecked``); parameters ``dry_run``,
    ``only_unchecked``, ``limit``, ``batch_size``. A retry skips the books this refresh already checked."""
    started = await _cycle_start(run)
    only_unchecked = _flag(run.parameters.get("only_unchecked"), False)
    return await correct_books(run, BookSelection(checked_before=started, only_unchecked=only_unchecked))


async def metadata_new_books_task(run: RunContext) -> JobResult:
    """Books added in the last ``days`` (7) days or never checked; parameters ``dry_run``, ``limit``, ``days``."""
    started = await _cycle_start(run)
    days = int(run.parameters.get("days") or NEW_BOOK_DAYS)
    since = started - timedelta(days=days)
    return await correct_books(run, BookSelection(checked_before=started, added_since=since))
