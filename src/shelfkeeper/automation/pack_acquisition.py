"""Series packs in acquisition: wanted books of one series searched together, one pack grabbed for them all.

For each group of two or more eligible wanted books of one series and author, every book is searched as
usual and the series once more by its name; the releases found are ranked as packs (domain/releases/
pack_choice.py) and the best pack is grabbed when it beats the books' best single releases. A pack goes through
the same grab steps as a single book (``grab_through``): the MAM ratio autopilot forecasts with the pack's size
and spends (or buys, then spends) a wedge, or the pack waits and each of its books says why. The decision and
its reasons are kept on the download and on every wanted book. Books no grabbed pack covers are grabbed one
by one from the searches already made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from shelfkeeper.automation.acquisition import (
    ClientRefused,
    ClientsUnavailable,
    grab_candidates,
    grab_through,
    search_summary,
)
from shelfkeeper.automation.mam_autopilot import RatioWait
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
from shelfkeeper.domain.releases.verification import WantedEdition
from shelfkeeper.errors import Conflict, ServiceError
from shelfkeeper.services import downloads, tracker_ledger
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
    singles = {wanted_id: _first(grab_candidates(search)) for wanted_id, search in found.items()}
    decision = choose_pack(packs, singles)
    await _note_searches(run, found, decision, len(packs))
    result.add("searched", len(found))
    done.searched.update(found)
    if decision.chosen is None:
        return
    if await _grab_pack(run, decision.chosen, decision, stats, result):
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


async def _grab_pack(
    run: RunContext, pack: RankedPack, decision: PackDecision, stats: MamStatsCache, result: JobResult
) -> bool:
    """The ratio autopilot, then the pack's torrent fetched, ONE download written for all its wanted books, and
    the client add (``grab_through``, as for a single book). False when the books are left to single grabs."""

    def record_pack(session: Session, torrent_id: str, now: datetime) -> downloads.GrabRecord:
        return record_pack_grab(session, pack, decision, torrent_id, now)

    title = pack.ranked.release.title
    try:
        record = await grab_through(run, pack.covers[0], pack.ranked, record_pack, stats)
    except RatioWait as wait:
        await _note_ratio_wait(run, pack, wait)
        result.add("pack_ratio_wait")
        return False  # each book's single release goes through the autopilot on its own
    except Conflict as exc:
        run.log.info("acquisition: pack %r not grabbed: %s", title, exc.message)
        return False
    except (ClientRefused, ClientsUnavailable):
        result.add("grab_failed")
        return True  # the row failed and the books went back to the wanted list: not searched again this run
    except ServiceError as exc:
        run.log.warning("acquisition: could not fetch pack %r: %s", title, exc.message)
        return False
    result.add("pack_grabbed")
    result.add("grabbed")
    run.log.info("acquisition: grabbed pack %r for wanted books %s (download %s)", pack.ranked.release.title,
                 list(pack.covers), record.download_id)  # fmt: skip
    return True


async def _note_ratio_wait(run: RunContext, pack: RankedPack, wait: RatioWait) -> None:
    """Say on each book the pack covers why the pack was not grabbed now (``evidence["ratio_wait"]``)."""
    run.log.info("acquisition: series pack %s", wait)
    now, waits = run.now(), [{**wait.as_json(), "pack": True}]

    def note(session: Session) -> None:
        for wanted_id in pack.covers:
            tracker_ledger.note_ratio_wait(session, wanted_id, now, waits)

    await run.transaction(note)
