"""Series packs in acquisition: wanted books of one series searched together, one pack grabbed for them all.

For each group of two or more eligible wanted books of one series and author, every book is searched as
usual and the series once more by its name; the releases found are ranked as packs (domain/releases/
pack_choice.py) and the best pack is grabbed when it beats the books' best single releases. The decision and
its reasons are kept on the download and on every wanted book. Books no chosen pack covers are grabbed one
by one from the searches already made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from shelfkeeper.automation.acquisition import (
    fetch_torrent,
    grab_candidates,
    search_summary,
    send_to_client,
)
from shelfkeeper.automation.release_search import (
    MamStatsCache,
    SearchResult,
    find_releases,
    merge_releases,
    quality_profile,
)
from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.automation.wanted_subtitle import with_subtitle
from shelfkeeper.domain.releases.pack_choice import PackDecision, RankedPack, choose_pack, rank_packs
from shelfkeeper.domain.releases.ranking import RankedRelease
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.verification import ReasonCode, WantedEdition
from shelfkeeper.errors import Conflict, ServiceError
from shelfkeeper.services import downloads
from shelfkeeper.services.blocklist import blocklist_keys
from shelfkeeper.services.pack_downloads import PackGroup, pack_groups, record_pack_grab


@dataclass
class PackRun:
    """What the pack step did: books grabbed through a pack, and books searched already (grabbed singly next)."""

    grabbed: set[int] = field(default_factory=set)
    searched: dict[int, SearchResult] = field(default_factory=dict)


async def acquire_packs(run: RunContext, wanted_ids: Sequence[int], stats: MamStatsCache, result: JobResult) -> PackRun:
    """Search every series group among ``wanted_ids`` and grab a pack for it when a pack is the better choice."""
    done = PackRun()
    if not run.app.settings.quality_series_packs:
        return done
    groups = await run.transaction(lambda s: pack_groups(s, wanted_ids))
    for group in groups:
        await _acquire_group(run, group, stats, result, done)
    return done


async def _acquire_group(
    run: RunContext, group: PackGroup, stats: MamStatsCache, result: JobResult, done: PackRun
) -> None:
    found = {
        book.wanted_id: await find_releases(run, await with_subtitle(run, book.wanted_id, book.edition), stats=stats)
        for book in group.books
    }
    first = group.books[0].edition
    series_search = await find_releases(run, WantedEdition(group.series, first.authors, language=first.language),
                                        stats=stats)  # fmt: skip
    result.add("pack_searches")
    pool = merge_releases(_releases([*found.values(), series_search]))
    blocklist = await run.transaction(blocklist_keys)
    mam_stats = stats.stats  # fetched by the searches when they found a MAM release
    packs = rank_packs(group.books, pool, quality_profile(run.app.settings), known_positions=group.known_positions,
                       mam_stats=mam_stats, blocklist=blocklist)  # fmt: skip
    packs = [pack for pack in packs if not _needs_wedge(pack.ranked)]
    singles = {wanted_id: _first(grab_candidates(search)) for wanted_id, search in found.items()}
    decision = choose_pack(packs, singles)
    await _note_searches(run, found, decision, len(packs))
    result.add("searched", len(found))
    done.searched.update(found)
    if decision.chosen is None:
        return
    if await _grab_pack(run, decision.chosen, decision, result):
        done.grabbed.update(decision.chosen.covers)


def _releases(searches: Sequence[SearchResult]) -> list[Release]:
    return [item.release for search in searches for item in search.ranked]


def _first(candidates: Sequence[RankedRelease]) -> RankedRelease | None:
    return candidates[0] if candidates else None


async def _note_searches(run: RunContext, found: dict[int, SearchResult], decision: PackDecision, packs: int) -> None:
    now = run.now()
    pack_note = {
        "packs_found": packs,
        "chosen": decision.chosen.ranked.release.title if decision.chosen else None,
        "reasons": list(decision.reason_texts),
    }

    def note(session: Session) -> None:
        for wanted_id, search in found.items():
            summary = {**search_summary(search, grab_candidates(search)), "pack": pack_note}
            downloads.note_search(session, wanted_id, now, summary)

    await run.transaction(note)
    run.log.info("acquisition: series pack decision: %s", "; ".join(decision.reason_texts))


async def _grab_pack(run: RunContext, pack: RankedPack, decision: PackDecision, result: JobResult) -> bool:
    """Fetch the pack's torrent, write ONE download for all its wanted books, add it to the client."""
    try:
        add, torrent_id = await fetch_torrent(run, pack.ranked.release)
    except ServiceError as exc:
        run.log.warning("acquisition: could not fetch pack %r: %s", pack.ranked.release.title, exc.message)
        return False
    now = run.now()
    try:
        record = await run.transaction(lambda s: record_pack_grab(s, pack, decision, torrent_id, now))
    except Conflict as exc:
        run.log.info("acquisition: pack %r not grabbed: %s", pack.ranked.release.title, exc.message)
        return False
    try:
        await send_to_client(run, record.download_id, add, pack.ranked.release.protocol)
    except ServiceError:
        result.add("grab_failed")
        return True  # the row failed and the books went back to the wanted list: not searched again this run
    result.add("pack_grabbed")
    result.add("grabbed")
    run.log.info("acquisition: grabbed pack %r for wanted books %s (download %s)", pack.ranked.release.title,
                 list(pack.covers), record.download_id)  # fmt: skip
    return True


def _needs_wedge(ranked: RankedRelease) -> bool:
    """Accepted only because a freeleech wedge would make it free. The ratio autopilot (wedges spent or bought)
    runs on single grabs; a pack that needs one is left out and its books are grabbed one by one."""
    return any(reason.code == ReasonCode.MAM_RATIO and not reason.rejects for reason in ranked.reasons)
