"""The jobs the scheduler knows: name, what it does, and the automation function it calls."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from shelfkeeper.automation.run_context import JobResult, RunContext

JobFunction = Callable[[RunContext], Awaitable[JobResult]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    description: str
    # The function, or "module:function" of shelfkeeper.automation, imported when the job first runs: the
    # automation modules pull in every provider client and the domain rules, which would delay the first answer
    # of `serve` for jobs that run minutes later (or never, in a process without the scheduler).
    target: JobFunction | str
    # How long a run may take before its lock lapses if the process dies (it is renewed while it runs).
    lock_seconds: float = 120.0
    label: str = ""  # what people read where jobs are listed ("Library sync"); the name otherwise
    frequent: bool = False  # runs every few minutes: its runs are summarised rather than listed one by one

    @property
    def run(self) -> JobFunction:
        if not isinstance(self.target, str):
            return self.target
        module, _, attribute = self.target.partition(":")
        function: JobFunction = getattr(importlib.import_module(f"shelfkeeper.automation.{module}"), attribute)
        return function


def default_jobs() -> dict[str, JobSpec]:
    """Every job with its automation function; schedules come from settings and the job_settings table."""
    specs = [
        JobSpec(
            "cleanup_old_tasks",
            "Delete Task and MetadataCorrection rows past the retention period (FailedAttempt rows are kept forever).",
            "cleanup:cleanup_old_tasks",
            label="Clean-up of old runs",
        ),
        JobSpec(
            "mam_scraping_task",
            "Search MyAnonamouse politely for the wanted list (oldest search first, within the daily request cap), "
            "keep each book's ranked candidates, refresh the account's ratio, bonus points and wedges "
            "(parameter: limit).",
            "mam_crawler:mam_scraping_task",
            label="MyAnonamouse search",
        ),
        JobSpec(
            "library_sync_task",
            "Bring Audiobookshelf's book items into the database: incremental (items updated since the last sync), "
            "full once a day or when asked (parameters: full, page_size, format_limit); removed items are marked, never"
            " deleted.",
            "library_sync:library_sync_task",
            lock_seconds=600.0,
            label="Library sync",
            frequent=True,
        ),
        JobSpec(
            "metadata_full_refresh_task",
            "Check every book's metadata against Google Books, Audnexus and Open Library; apply confident "
            "corrections, queue the rest for review (parameters: dry_run, only_unchecked, limit).",
            "metadata_refresh:metadata_full_refresh_task",
            label="Metadata check (all books)",
        ),
        JobSpec(
            "metadata_new_books_task",
            "Check the metadata of books added in the last 7 days or never checked (parameters: dry_run, limit, days).",
            "metadata_refresh:metadata_new_books_task",
            label="Metadata check (new books)",
        ),
        JobSpec(
            "download_monitor_task",
            "Follow live downloads in qBittorrent: progress into the queue, stalled or broken torrents failed, "
            "blocklisted and retried on the next-best release, finished ones imported.",
            "download_monitor:download_monitor_task",
            label="Download monitor",
            frequent=True,
        ),
        JobSpec(
            "series_completion_task",
            "Find the books each monitored series lacks (Audible, Audnexus, MAM series lists), put them on the "
            "wanted list, then search and grab them (parameters: series_id, acquire, mam_series_lookups).",
            "series_completion:series_completion_task",
            label="Series completion",
        ),
        JobSpec(
            "author_completion_task",
            "Find the books of each monitored author's catalogue the library lacks (Audible, Google Books, Open "
            "Library), put them on the wanted list, then search and grab them (parameters: author_id, max_authors, "
            "acquire).",
            "author_completion:author_completion_task",
            label="Author completion",
        ),
        JobSpec(
            "top10_discovery_task",
            "Put MAM's ten most-snatched audiobooks of each followed genre that the library lacks on the wanted "
            "list, waiting for approval unless AUTO_GRAB is on (parameters: window_days).",
            "top10_discovery:top10_discovery_task",
            label="Top-10 discovery",
        ),
        JobSpec(
            "notifications_task",
            "Send the new events (grabbed, imported, failed, health, released, ...) to the notification targets of "
            "NOTIFY_URLS; a failing target is retried later and never fails another job.",
            "notifications:notifications_task",
            label="Notifications",
            frequent=True,
        ),
        JobSpec(
            "health_check_task",
            "Check the outside services, the Audiobookshelf user's permissions, the library path, path mappings, "
            "hardlinks, free space, request budgets, failing jobs and the scheduler; report what changed.",
            "health:health_check_task",
            label="Health checks",
            frequent=True,
        ),
        JobSpec(
            "release_day_task",
            "Wanted books whose release date has come: tell their followers, search them at once and again every "
            "few hours for their first days (RELEASE_DAY_SEARCH_DAYS, RELEASE_DAY_SEARCH_HOURS).",
            "release_day:release_day_task",
            label="Release day",
        ),
    ]
    return {spec.name: spec for spec in specs}


JobRegistry = Mapping[str, JobSpec]
