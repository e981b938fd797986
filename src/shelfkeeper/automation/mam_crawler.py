"""The MAM crawler: MyAnonamouse searched for the wanted list politely, candidates kept, account stats refreshed.

Politeness is the adapter's (one request at a time, MAM_REQUEST_PAUSE_SECONDS between request starts, the
daily MAM_DAILY_REQUEST_CAP counted in the database); the crawler adds the order (books never searched, then
the longest unsearched) and stops cleanly when the day's requests are spent.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfkeeper.automation.mam_autopilot import spend_spare_points
from shelfkeeper.automation.release_search import quality_profile, remember_stats, search_query, stats_from_json
from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.db.tables import WantedBook
from shelfkeeper.domain.lifecycle import WantedStatus
from shelfkeeper.domain.releases.ranking import BlocklistKey, QualityProfile, RankedRelease, rank
from shelfkeeper.domain.releases.tracker import TrackerStats
from shelfkeeper.domain.releases.verification import WantedEdition
from shelfkeeper.errors import (
    CircuitOpen,
    QuotaExhausted,
    ServiceAuthFailed,
    ServiceError,
    ServiceRateLimited,
    ServiceUnreachable,
)
from shelfkeeper.ports import PrivateTracker
from shelfkeeper.services.blocklist import blocklist_keys
from shelfkeeper.services.downloads import wanted_book_of
from shelfkeeper.services.release_records import release_to_json

CANDIDATES_KEPT = 10  # per wanted book, best first
CRAWLED_STATES = (WantedStatus.WANTED, WantedStatus.SEARCHING)
# These end the run: every further request would meet the same answer.
_STOPPING = (ServiceAuthFailed, ServiceUnreachable, CircuitOpen)


@dataclasses.dataclass(frozen=True)
class _Crawl:
    """What every book's search shares in one run."""

    mam: PrivateTracker
    profile: QualityProfile
    stats: TrackerStats | None
    blocklist: Collection[BlocklistKey]


async def mam_scraping_task(run: RunContext) -> JobResult:
    """Search MyAnonamouse for every approved wanted book, oldest search first, and keep the ranked candidates.

    Refreshes the account's stats first (ratio, bonus points, wedges, class). The daily request cap ends the
    run cleanly (counted as ``quota_exhausted``); a refused cookie or an unreachable MAM fails it. Parameter
    ``limit`` caps how many books one run searches.
    """
    result = JobResult()
    if not run.integrations.configured("mam"):
        result.metrics["skipped"] = "MyAnonamouse is not configured (set MAM_ID)"
        return result
    mam = run.integrations.mam()
    limit = run.parameters.get("limit")
    try:
        stats = await _refresh_stats(run, mam, result)
        ids = await run.transaction(lambda s: wanted_to_crawl(s, int(limit) if limit is not None else None))
        result.counts["considered"] = len(ids)
        blocklist = await run.transaction(blocklist_keys)
        crawl = _Crawl(mam, quality_profile(run.app.settings), stats, blocklist)
        for wanted_id in ids:
            await _crawl_one(run, crawl, wanted_id, result)
    except QuotaExhausted as exc:
        _stop(run, result, "quota_exhausted", f"daily MAM request cap reached ({exc.message})")
    except ServiceRateLimited as exc:
        _stop(run, result, "rate_limited", f"MAM asked to slow down ({exc.message})")
    budget = await mam.budget_left()
    if budget is not None:
        result.metrics["requests_left_today"] = budget
    failures = result.counts.get("errors", 0) + result.counts.get("stats_failed", 0)
    if failures:
        message = result.metrics.get("last_error", "MyAnonamouse failed")
        result.services_failed(f"{failures} MAM requests failed: {message}", done=result.counts.get("searched", 0))
    return result


def _stop(run: RunContext, result: JobResult, count: str, why: str) -> None:
    result.add(count)
    result.metrics["stopped"] = why
    run.log.info("mam crawler: stopped: %s", why)


def wanted_to_crawl(session: Session, limit: int | None = None) -> list[int]:
    """Approved, released wanted books (wanted or searching): never searched first, then the longest unsearched."""
    query = (
        select(WantedBook.id)
        .where(
            WantedBook.status.in_([str(status) for status in CRAWLED_STATES]),
            WantedBook.approved.is_(True),
            WantedBook.upcoming.is_(False),
        )
        .order_by(WantedBook.last_searched_at.asc().nulls_first(), WantedBook.priority.desc(), WantedBook.id)
    )
    return list(session.scalars(query.limit(limit) if limit is not None else query))


async def _refresh_stats(run: RunContext, mam: PrivateTracker, result: JobResult) -> TrackerStats | None:
    """Fresh account stats, remembered for the grab policy; the remembered ones when MAM's answer is unusable."""
    store = run.integrations.state
    try:
        stats = await mam.user_stats()
    except (QuotaExhausted, ServiceRateLimited, *_STOPPING):
        raise
    except ServiceError as exc:
        run.log.warning("mam crawler: user stats unavailable: %s", exc.message)
        result.add("stats_failed")
        result.metrics["last_error"] = exc.message
        remembered = (await asyncio.to_thread(store.get, "mam")).get("stats")
        return stats_from_json(remembered) if isinstance(remembered, dict) else None
    await remember_stats(run, stats)
    if run.app.settings.mam_upload_autospend:
        result.metrics["upload_credit"] = await spend_spare_points(run, stats)
    result.metrics["stats"] = {
        "ratio": stats.ratio,
        "bonus_points": stats.bonus_points,
        "wedges": stats.wedges,
        "class": stats.user_class,
    }
    return stats


async def _crawl_one(run: RunContext, crawl: _Crawl, wanted_id: int, result: JobResult) -> None:
    wanted = await run.transaction(lambda s: _wanted_book(s, wanted_id))
    if wanted is None:
        return
    query = search_query(wanted)
    try:
        releases = await crawl.mam.search(query)
    except (QuotaExhausted, ServiceRateLimited, *_STOPPING):
        raise
    except ServiceError as exc:
        run.log.warning("mam crawler: search for %r failed: %s", wanted.title, exc.message)
        result.add("errors")
        result.metrics["last_error"] = exc.message
        return
    ranked = rank(wanted, releases, crawl.profile, mam_stats=crawl.stats, blocklist=crawl.blocklist)
    now = run.now()
    searched = {"title": query.title, "author": query.author}
    await run.transaction(lambda s: record_candidates(s, wanted_id, ranked, searched, now))
    result.add("searched")
    result.add("releases_found", len(ranked))
    if any(item.accepted for item in ranked):
        result.add("with_candidates")


def _wanted_book(session: Session, wanted_id: int) -> WantedEdition | None:
    missing = session.get(WantedBook, wanted_id)
    return wanted_book_of(missing) if missing is not None else None


def candidate_json(ranked: RankedRelease) -> dict[str, Any]:
    """One stored candidate: the release (enough to grab it later), its score, verdict and reasons."""
    return {
        "release": release_to_json(ranked.release),
        "score": ranked.score,
        "accepted": ranked.accepted,
        "freeleech": ranked.freeleech,
        "reasons": list(ranked.reason_texts),
    }


def record_candidates(
    session: Session, wanted_id: int, ranked: list[RankedRelease], query: dict[str, Any], now: datetime
) -> None:
    """Keep the best candidates in ``evidence["mam_candidates"]`` and note the search on the wanted book."""
    missing = session.get(WantedBook, wanted_id)
    if missing is None:
        return
    missing.search_count = (missing.search_count or 0) + 1
    missing.last_searched_at = now
    summary = {
        "at": now.isoformat(),
        "query": query,
        "found": len(ranked),
        "accepted": sum(1 for item in ranked if item.accepted),
    }
    missing.evidence = {
        **(missing.evidence or {}),
        "mam_candidates": [candidate_json(item) for item in ranked[:CANDIDATES_KEPT]],
        "mam_search": summary,
    }
