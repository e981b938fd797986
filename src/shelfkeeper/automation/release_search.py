"""Searching Prowlarr and MyAnonamouse for a wanted book: merged, de-duplicated, parsed and ranked with reasons."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from shelfkeeper.automation.provider_calls import ProviderCalls
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.domain.releases.mam_policy import MamPolicy, is_mam_release, mam_torrent_id
from shelfkeeper.domain.releases.ranking import QualityProfile, RankedRelease, rank
from shelfkeeper.domain.releases.release import Release, ReleaseSource
from shelfkeeper.domain.releases.tracker import TrackerStats
from shelfkeeper.domain.releases.verification import WantedEdition
from shelfkeeper.errors import ServiceError, ServiceNotConfigured
from shelfkeeper.ports import BookQuery
from shelfkeeper.services import tracker_ledger
from shelfkeeper.services.blocklist import blocklist_keys
from shelfkeeper.settings import Settings

_MIB = 1024 * 1024
STATS_MAX_AGE = timedelta(hours=6)  # older remembered MAM stats are fetched again before they decide a grab
SOURCES = tuple(ReleaseSource)


def quality_profile(settings: Settings) -> QualityProfile:
    """The QualityProfile and MAM policy the ``QUALITY_*`` and ``MAM_*`` settings describe."""
    return QualityProfile(
        format_order=tuple(fmt.lower() for fmt in settings.quality_format_order),
        min_bitrate_kbps=settings.quality_min_bitrate_kbps,
        max_bitrate_kbps=settings.quality_max_bitrate_kbps,
        min_mb_per_hour=settings.quality_min_mb_per_hour,
        max_mb_per_hour=settings.quality_max_mb_per_hour,
        min_size_mb=settings.quality_min_size_mb,
        max_size_mb=settings.quality_max_size_mb,
        languages=tuple(settings.quality_languages),
        preferred_words=tuple(settings.quality_preferred_words),
        forbidden_words=tuple(settings.quality_forbidden_words),
        preferred_narrators=tuple(settings.quality_preferred_narrators),
        min_seeders=settings.quality_min_seeders,
        prefer_freeleech=settings.quality_prefer_freeleech,
        prefer_vip=settings.quality_prefer_vip,
        mam=MamPolicy(
            ratio_floor=settings.mam_ratio_floor,
            use_wedges=settings.mam_use_wedges,
            buy_wedges=settings.mam_buy_wedges,
            wedge_min_size_bytes=settings.mam_wedge_min_size_mb * _MIB,
            wedge_reserve=settings.mam_wedge_reserve,
        ),
    )


@dataclass(frozen=True)
class SourceReport:
    """How one indexer's search went: how many releases it gave, or why it gave none."""

    name: str
    ok: bool
    count: int = 0
    error: str | None = None
    error_code: str | None = None
    timed_out: bool = False

    @property
    def status(self) -> str:
        """ "ok", "timed_out" (no answer within the request's bound) or "failed"."""
        return "ok" if self.ok else "timed_out" if self.timed_out else "failed"


@dataclass(frozen=True)
class SearchResult:
    """Every release found for a wanted book, ranked best first, and how each source answered."""

    wanted: WantedEdition
    ranked: list[RankedRelease]
    sources: list[SourceReport]
    mam_stats: TrackerStats | None = None

    @property
    def accepted(self) -> list[RankedRelease]:
        return [item for item in self.ranked if item.accepted]


def search_query(wanted: WantedEdition) -> BookQuery:
    """Title (without a subtitle after a colon) and the first author: narrow enough, never too narrow.

    Series and narrator are left out of the query: a release that does not state them must still be found;
    the ranking checks them.
    """
    title = wanted.title.partition(":")[0].strip() or wanted.title
    return BookQuery(title=title, author=wanted.authors[0] if wanted.authors else None, language=wanted.language)


def merge_releases(releases: Iterable[Release]) -> list[Release]:
    """One release per torrent: answers sharing an info hash or a MAM torrent id are merged.

    MAM's own answer wins (it states authors, narrators, series and flags); a hash or MAM id known only to
    the other answer is kept on the merged release.
    """
    groups: list[list[Release]] = []
    owner: dict[str, int] = {}
    for release in releases:
        keys = _identity_keys(release)
        hits = sorted({owner[key] for key in keys if key in owner})
        target = hits[0] if hits else len(groups)
        if not hits:
            groups.append([])
        for other in hits[1:]:  # this release joins two groups that were apart until now
            groups[target] += groups[other]
            groups[other] = []
            owner.update({key: target for key, index in owner.items() if index == other})
        groups[target].append(release)
        owner.update({key: target for key in keys})
    return [_merged(group) for group in groups if group]


def _identity_keys(release: Release) -> set[str]:
    keys = {release.dedupe_key}
    if release.info_hash:
        keys.add(f"hash:{release.info_hash.lower()}")
    mam_id = mam_torrent_id(release)
    if mam_id is not None:
        keys.add(f"mam:{mam_id}")
    return keys


def _merged(group: list[Release]) -> Release:
    primary = min(group, key=lambda r: (r.source != ReleaseSource.MAM, -(r.seeders or 0), r.guid))
    info_hash = primary.info_hash or next((r.info_hash for r in group if r.info_hash), None)
    mam_id = (
        primary.mam_id
        if primary.mam_id is not None
        else next((found for r in group if (found := mam_torrent_id(r)) is not None), None)
    )
    also = [f"{r.indexer}: {r.guid}" for r in group if r is not primary]
    extra = {**primary.extra, "also_found_at": also} if also else primary.extra
    return dataclasses.replace(primary, info_hash=info_hash.lower() if info_hash else None, mam_id=mam_id, extra=extra)


@dataclass
class MamStatsCache:
    """The MAM account's stats for one run: remembered ones when fresh, else fetched once (one request)."""

    fetched: bool = False
    stats: TrackerStats | None = None
    errors: list[str] = field(default_factory=list)

    async def get(self, run: RunContext) -> TrackerStats | None:
        if not self.fetched:
            self.fetched = True
            self.stats = await _current_mam_stats(run, self.errors)
        return self.stats


async def _current_mam_stats(run: RunContext, errors: list[str]) -> TrackerStats | None:
    store = run.integrations.state
    remembered = (await asyncio.to_thread(store.get, "mam")).get("stats")
    stats = stats_from_json(remembered) if isinstance(remembered, Mapping) else None
    fetched_at = _when(remembered.get("fetched_at")) if isinstance(remembered, Mapping) else None
    if stats is not None and fetched_at is not None and run.now() - fetched_at < STATS_MAX_AGE:
        return stats
    try:
        fresh = await run.integrations.mam().user_stats()
    except ServiceError as exc:
        errors.append(exc.message)
        run.log.warning("acquisition: MAM stats unavailable (%s); using %s", exc.message, stats or "none")
        return stats
    await remember_stats(run, fresh)
    return fresh


async def remember_stats(run: RunContext, stats: TrackerStats) -> None:
    """Fresh MAM stats: remembered for the grab policy and kept as a snapshot of the ledger (drawn on the page)."""
    now = run.now()
    await run.integrations.state.aupdate("mam", stats={**dataclasses.asdict(stats), "fetched_at": now.isoformat()})
    await run.transaction(lambda s: tracker_ledger.record_snapshot(s, now, stats))


def stats_from_json(data: Mapping[str, Any]) -> TrackerStats | None:
    """Remembered stats (``ServiceStateStore("mam")["stats"]``) as TrackerStats; None when unusable."""
    if "ratio" not in data and "wedges" not in data:
        return None
    known = {f.name for f in dataclasses.fields(TrackerStats)}
    values: dict[str, Any] = {name: data.get(name) for name in known}
    values["username"] = str(data.get("username") or "")
    values["user_class"] = values["user_class"] or data.get("classname")
    values["bonus_points"] = values["bonus_points"] if values["bonus_points"] is not None else data.get("seedbonus")
    return TrackerStats(**values)


def _when(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


async def _search_source(
    calls: ProviderCalls, name: str, query: BookQuery, within: float | None = None
) -> tuple[list[Release], SourceReport]:
    """One indexer's answer; a failure is logged and reported, never raised: the other source still counts.

    With ``within`` (seconds) a source that has not answered by then is reported as timed out.
    """
    indexer = calls.adapter(name, partial(calls.run.integrations.indexer, name))
    no_releases: list[Release] = []
    if indexer is None:
        releases, error = no_releases, calls.errors.get(name)
    else:

        async def bounded() -> list[Release]:
            return await asyncio.wait_for(indexer.search(query), within)

        try:
            releases, error = await calls.attempt(name, repr(query.title), bounded, no_releases)
        except TimeoutError:
            calls.run.log.warning("acquisition: %s gave no answer within %g s for %r", name, within, query.title)
            message = f"{name}: no answer within {within:g} s"
            return [], SourceReport(name, False, error=message, error_code="SERVICE_UNREACHABLE", timed_out=True)
    if isinstance(error, ServiceNotConfigured):
        return [], SourceReport(name, False, error="not configured", error_code=error.code)
    if error is not None:
        return [], SourceReport(name, False, error=error.message, error_code=error.code)
    return releases, SourceReport(name, True, count=len(releases))


async def find_releases(
    run: RunContext, wanted: WantedEdition, *, stats: MamStatsCache | None = None, within: float | None = None
) -> SearchResult:
    """Search every configured indexer, merge the answers, rank them against the profile and the blocklist.

    ``within`` bounds the whole search (an API request): sources still silent then are reported timed out,
    and MAM's account stats are used only if they arrive in the time left.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within if within is not None else None
    query = search_query(wanted)
    calls = ProviderCalls(run)
    answers = await asyncio.gather(*(_search_source(calls, name, query, within) for name in SOURCES))
    merged = merge_releases(release for releases, _ in answers for release in releases)
    blocklist = await run.transaction(blocklist_keys)
    mam_stats = None
    if any(is_mam_release(release) for release in merged):
        left = max(0.0, deadline - loop.time()) if deadline is not None else None
        try:
            mam_stats = await asyncio.wait_for((stats or MamStatsCache()).get(run), left)
        except TimeoutError:
            run.log.warning("acquisition: MAM stats did not arrive in time; ranking without them")
    profile = quality_profile(run.app.settings)
    ranked = rank(wanted, merged, profile, mam_stats=mam_stats, blocklist=blocklist)
    return SearchResult(wanted, ranked, [report for _, report in answers], mam_stats)


async def search_releases(run: RunContext, wanted: WantedEdition) -> list[RankedRelease]:
    """Every release for ``wanted`` from Prowlarr and MAM, ranked best first, each with its score and reasons."""
    return (await find_releases(run, wanted)).ranked


async def rank_chosen(run: RunContext, wanted: WantedEdition, release: Release) -> RankedRelease:
    """One release a person picked, ranked by the same rules as a search result (profile, blocklist, MAM stats)."""
    blocklist = await run.transaction(blocklist_keys)
    mam_stats = await MamStatsCache().get(run) if is_mam_release(release) else None
    profile = quality_profile(run.app.settings)
    return rank(wanted, [release], profile, mam_stats=mam_stats, blocklist=blocklist)[0]
