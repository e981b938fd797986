"""Acquisition: search each approved wanted book, grab its best release through qBittorrent, never twice."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfkeeper.automation.release_search import MamStatsCache, SearchResult, find_releases, rank_chosen
from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.db.tables import Download
from shelfkeeper.domain.lifecycle import DownloadStatus, DuplicateKind, WantedStatus
from shelfkeeper.domain.releases.ranking import RankedRelease
from shelfkeeper.domain.releases.release import Release, ReleaseSource
from shelfkeeper.domain.releases.verification import ReasonCode, WantedEdition
from shelfkeeper.domain.torrents.files import BencodeError, info_hash, magnet_info_hash
from shelfkeeper.domain.torrents.status import AddTorrent
from shelfkeeper.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    QuotaExhausted,
    ServiceBadResponse,
    ServiceError,
    ServiceNotConfigured,
    ServiceRateLimited,
    ServiceUnreachable,
)
from shelfkeeper.services import downloads
from shelfkeeper.services.records import DOWNLOADS, get_record
from shelfkeeper.services.release_records import release_from_json
from shelfkeeper.services.wanted_list import get_wanted

TAG = "shelfkeeper"
CANDIDATES_PER_BOOK = 3  # accepted releases tried in turn when one cannot be fetched or is taken already
STRANDED_AFTER = timedelta(minutes=1)  # a download left "queued" this long never reached the client: add it


@dataclass(frozen=True)
class GrabOutcome:
    """A grabbed release: its Download row, the torrent's id in the client, and whether a failed row was reused."""

    download_id: int
    wanted_id: int
    info_hash: str
    title: str
    reused: bool


def download_tags(download_id: int) -> tuple[str, ...]:
    """The tags every Shelfkeeper torrent carries: one for all of them, one naming its Download row."""
    return (TAG, f"sk-{download_id}")


def needs_unbought_wedge(ranked: RankedRelease) -> bool:
    """Accepted only because a freeleech wedge would make it free: buying wedges is not automated yet."""
    return any(reason.code == ReasonCode.MAM_RATIO and not reason.rejects for reason in ranked.reasons)


def grab_candidates(result: SearchResult) -> list[RankedRelease]:
    """The accepted releases automation may grab, best first (none that needs a wedge bought by hand)."""
    return [item for item in result.accepted if not needs_unbought_wedge(item)]


def _check_link(run: RunContext, release: Release) -> None:
    """A Prowlarr release downloads through Prowlarr itself (or is a magnet): no other host is ever fetched."""
    if release.source != ReleaseSource.PROWLARR:
        return  # the MAM adapter only ever fetches from MyAnonamouse
    own = urlsplit(run.app.settings.prowlarr_url or "")
    for link in (release.download_url, release.magnet_url):
        if link and not link.lower().startswith("magnet:"):
            parts = urlsplit(link)
            if (parts.scheme, parts.netloc) != (own.scheme, own.netloc):
                raise InvalidInput(
                    f"The release's download link does not point at Prowlarr ({parts.netloc or 'no host'}).",
                    code="RELEASE_REJECTED",
                )


async def fetch_torrent(run: RunContext, release: Release) -> tuple[AddTorrent, str]:
    """The .torrent bytes (or a magnet) from the release's indexer, and the info hash it will have in the client."""
    _check_link(run, release)
    indexer = run.integrations.mam() if release.source == ReleaseSource.MAM else run.integrations.prowlarr()
    add = await indexer.fetch_download(release)
    try:
        found = info_hash(add.torrent_file) if add.torrent_file is not None else magnet_info_hash(add.url or "")
    except BencodeError as exc:
        raise ServiceBadResponse(release.source, f"{release.title!r} is not a valid .torrent file ({exc})") from exc
    found = found or release.info_hash
    if not found:
        raise ServiceBadResponse(release.source, f"{release.title!r}: a magnet without an info hash cannot be tracked")
    return add, found.lower()


async def send_to_client(run: RunContext, download_id: int, add: AddTorrent) -> str:
    """Hand the torrent to qBittorrent with Shelfkeeper's category, tags and save path; the row follows.

    A refusal or an unreachable client fails the row (FailedAttempt written, wanted book back to wanted) and
    the error is raised again for the caller.
    """
    settings = run.app.settings
    placed = dataclasses.replace(
        add, category=settings.qb_category, tags=download_tags(download_id), save_path=settings.qb_save_path
    )
    try:
        added = await run.integrations.download_client().add(placed)
    except ServiceError as exc:
        # A refused torrent is the release's fault; an unreachable or misconfigured client is not.
        await fail_before_client(run, download_id, f"the download client did not take the torrent: {exc.message}",
                                 blame_release=isinstance(exc, ServiceBadResponse))  # fmt: skip
        raise
    now = run.now()
    manual = run.task_id is None  # asked for through the API or the page, not by a job
    await run.transaction(lambda s: downloads.mark_added(s, download_id, now, settings.qb_save_path, manual=manual))
    return added


async def fail_before_client(run: RunContext, download_id: int, reason: str, *, blame_release: bool) -> None:
    settings, now = run.app.settings, run.now()
    await run.transaction(
        lambda s: downloads.fail_queued(
            s,
            download_id,
            reason,
            blame_release=blame_release,
            now=now,
            max_attempts=settings.download_max_attempts,
            retry_base_minutes=settings.download_retry_base_minutes,
            task_id=run.task_id,
        )
    )


def is_transient(error: ServiceError) -> bool:
    """A failure that says nothing about the release: try again later with the same one."""
    return isinstance(error, ServiceUnreachable | ServiceRateLimited | QuotaExhausted | ServiceNotConfigured)


async def grab(
    run: RunContext,
    wanted_id: int,
    ranked: RankedRelease,
    *,
    allowed: frozenset[WantedStatus] = downloads.AUTOMATIC_GRAB_STATES,
) -> GrabOutcome:
    """Fetch the torrent, write the Download row FIRST (queued, info hash, ranked release), then add it.

    Raises Conflict (DOWNLOAD_ALREADY_EXISTS, WANTED_STATE_CONFLICT) when the book or the torrent is taken,
    also when another run won a race for it; a ServiceError when an indexer or the client fails.
    """
    add, torrent_id = await fetch_torrent(run, ranked.release)
    now = run.now()
    record = await run.transaction(
        lambda s: downloads.record_grab(s, wanted_id, ranked, torrent_id, now, allowed=allowed)
    )
    added = await send_to_client(run, record.download_id, add)
    if added != torrent_id:
        run.log.warning("acquisition: client reports %s for torrent %s", added, torrent_id)
    if ranked.wedge is not None and ranked.wedge.use_wedge:
        run.log.info("acquisition: a wedge would suit %r; buying one is not automated yet", ranked.release.title)
    run.log.info("acquisition: grabbed %r for wanted book %s (download %s)", ranked.release.title, wanted_id,
                 record.download_id)  # fmt: skip
    return GrabOutcome(record.download_id, wanted_id, torrent_id, ranked.release.title, record.reused)


class _ClientDown(Exception):
    """qBittorrent cannot be reached: the rest of the run would fail the same way."""


async def _grab_first(run: RunContext, wanted_id: int, candidates: Sequence[RankedRelease], result: JobResult) -> None:
    for ranked in candidates[:CANDIDATES_PER_BOOK]:
        try:
            await grab(run, wanted_id, ranked)
        except Conflict as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            if exc.code == "DOWNLOAD_ALREADY_EXISTS" and details.get("kind") == DuplicateKind.TORRENT:
                continue  # this torrent belongs to another download: the next release may do
            result.add("already_grabbed")
            return
        except ServiceError as exc:
            if exc.service == "qbittorrent":
                result.add("grab_failed")
                if isinstance(exc, ServiceUnreachable):
                    raise _ClientDown from exc
                return
            run.log.warning("acquisition: could not fetch %r: %s", ranked.release.title, exc.message)
            continue
        result.add("grabbed")
        return
    result.add("grab_failed")


def _search_summary(found: SearchResult, candidates: Sequence[RankedRelease]) -> dict[str, Any]:
    best = candidates[0] if candidates else None
    return {
        "found": len(found.ranked),
        "accepted": len(candidates),
        "best": {"title": best.release.title, "score": best.score} if best else None,
        "sources": {s.name: s.count if s.ok else s.error for s in found.sources},
    }


async def record_search(run: RunContext, wanted_id: int, found: SearchResult) -> None:
    """Remember a search of a wanted book (when, how many found, the best) and tell the history; the automation's
    searches and a person's (the page's "Search releases") alike."""
    summary, now = _search_summary(found, grab_candidates(found)), run.now()
    await run.transaction(lambda s: downloads.note_search(s, wanted_id, now, summary))


async def _acquire_one(run: RunContext, wanted_id: int, stats: MamStatsCache, result: JobResult) -> None:
    try:
        wanted = await run.transaction(lambda s: downloads.wanted_book_of(get_wanted(s, wanted_id)))
    except NotFound:
        return
    found = await find_releases(run, wanted, stats=stats)
    candidates = grab_candidates(found)
    result.add("searched")
    await record_search(run, wanted_id, found)
    if not candidates:
        result.add("no_release")
        return
    await _grab_first(run, wanted_id, candidates, result)


async def acquire_wanted(
    run: RunContext, wanted_ids: Sequence[int] | None = None, *, limit: int | None = None
) -> JobResult:
    """Search and grab every approved, released, not-ignored wanted book (or just ``wanted_ids``).

    A book with a live download, or whose failed attempt waits for its retry time, is left alone. ``limit``
    (or ``run.parameters["limit"]``) caps how many books one run searches; MAM's politeness is the adapter's.
    """
    result = JobResult()
    await resume_stranded(run, result)
    if limit is None and run.parameters.get("limit") is not None:
        limit = int(run.parameters["limit"])
    now = run.now()
    ids = await run.transaction(lambda s: downloads.eligible_wanted(s, now, wanted_ids, limit))
    result.counts["considered"] = len(ids)
    stats = MamStatsCache()
    for wanted_id in ids:
        try:
            await _acquire_one(run, wanted_id, stats, result)
        except _ClientDown:
            result.metrics["stopped"] = "qBittorrent is unreachable"
            run.log.warning("acquisition: qBittorrent unreachable; the remaining books wait for the next run")
            break
    return result


async def resume_stranded(run: RunContext, result: JobResult | None = None) -> None:
    """Downloads recorded but never accepted by the client (a crash between the two) are added now."""
    cutoff = run.now() - STRANDED_AFTER
    rows = await run.transaction(lambda s: _stranded(s, cutoff))
    if not rows:
        return
    try:
        present = {t.info_hash for t in await run.integrations.download_client().info(hashes=[h for _, h, _ in rows])}
    except ServiceError as exc:
        run.log.warning("acquisition: cannot check queued downloads: %s", exc.message)
        return
    for download_id, torrent_id, release_data in rows:
        try:
            if torrent_id in present:
                await _mark_added(run, download_id)
            else:
                await _send_again(run, download_id, release_from_json(release_data))
        except (ServiceError, InvalidInput) as exc:
            run.log.warning("acquisition: queued download %s not resumed: %s", download_id, exc)
            continue
        if result is not None:
            result.add("resumed")


async def _send_again(run: RunContext, download_id: int, release: Release) -> None:
    try:
        add, _ = await fetch_torrent(run, release)
    except ServiceError as exc:
        if not is_transient(exc):  # the indexer no longer gives this torrent: the attempt has failed
            reason = f"the torrent could not be fetched again: {exc.message}"
            await fail_before_client(run, download_id, reason, blame_release=True)
        raise
    await send_to_client(run, download_id, add)


async def _mark_added(run: RunContext, download_id: int) -> None:
    now, path = run.now(), run.app.settings.qb_save_path
    await run.transaction(lambda s: downloads.mark_added(s, download_id, now, path))


def _stranded(session: Session, cutoff: datetime) -> list[tuple[int, str, dict[str, Any]]]:
    rows = session.scalars(
        select(Download).where(Download.status == DownloadStatus.QUEUED, Download.info_hash.isnot(None))
    )
    found = []
    for row in rows:
        queued_at, data = row.release.get("queued_at"), row.release.get("release")
        if row.info_hash and data and queued_at and datetime.fromisoformat(str(queued_at)) <= cutoff:
            found.append((row.id, row.info_hash, dict(data)))
    return found


async def request_download(run: RunContext, wanted_id: int, release: Release | None = None) -> Download:
    """A person asks for a wanted book: grab the best release found now, or the release they chose.

    The chosen release must pass the same ranking as automation (422 RELEASE_REJECTED with the reasons).
    """
    wanted = await run.transaction(lambda s: _wanted_for_request(s, wanted_id))
    if release is None:
        chosen = await _best_release(run, wanted, f"No acceptable release found for wanted book {wanted_id}.")
    else:
        chosen = await rank_chosen(run, wanted, release)
        if not chosen.accepted:
            texts = [str(reason) for reason in chosen.rejections]
            raise InvalidInput(
                f"The release is rejected for this book: {'; '.join(texts)}",
                code="RELEASE_REJECTED",
                details={"reasons": texts, "score": chosen.score},
            )
    return await _grab_requested(run, wanted_id, chosen)


async def _best_release(run: RunContext, wanted: WantedEdition, none_found: str) -> RankedRelease:
    """The best acceptable release found now; NotFound (``none_found``, with the search summary) when none is."""
    found = await find_releases(run, wanted)
    candidates = grab_candidates(found)
    if not candidates:
        raise NotFound(none_found, code="NO_RELEASE_FOUND", details=_search_summary(found, candidates))
    return candidates[0]


async def _grab_requested(run: RunContext, wanted_id: int, chosen: RankedRelease) -> Download:
    outcome = await grab(run, wanted_id, chosen, allowed=downloads.MANUAL_GRAB_STATES)
    return await run.transaction(lambda s: get_record(s, DOWNLOADS, outcome.download_id))


def _wanted_for_request(session: Session, wanted_id: int) -> WantedEdition:
    missing = get_wanted(session, wanted_id)
    live = downloads.active_download(session, wanted_id)
    if live is not None:
        raise Conflict(
            f"Wanted book {wanted_id} is already being downloaded (download {live.id}).",
            code="DOWNLOAD_ALREADY_EXISTS",
            details={"download_id": live.id, "kind": str(DuplicateKind.BOOK)},
        )
    if WantedStatus(missing.status) not in downloads.MANUAL_GRAB_STATES:
        raise Conflict(f"Wanted book {wanted_id} is {missing.status}.", code="WANTED_STATE_CONFLICT")
    return downloads.wanted_book_of(missing)


async def retry_download(run: RunContext, download_id: int) -> Download:
    """A failed download is queued again with the next-best release (the failed one is blocklisted)."""
    wanted_id = await run.transaction(lambda s: _retryable(s, download_id))
    wanted = await run.transaction(lambda s: _wanted_for_request(s, wanted_id))
    chosen = await _best_release(run, wanted, f"No other acceptable release found for download {download_id}.")
    return await _grab_requested(run, wanted_id, chosen)


def _retryable(session: Session, download_id: int) -> int:
    download = get_record(session, DOWNLOADS, download_id)
    conflict = None
    if download.status != DownloadStatus.FAILED:
        conflict = f"Download {download_id} is {download.status}; only a failed download is retried."
    elif download.wanted_book_id is None:
        conflict = f"Download {download_id} belongs to no wanted book any more."
    else:
        latest = downloads.latest_download(session, download.wanted_book_id)
        if latest is not None and latest.id != download.id:
            conflict = f"Download {latest.id} is newer for the same book; retry that one."
    if conflict:
        raise Conflict(conflict, code="DOWNLOAD_STATE_CONFLICT")
    assert download.wanted_book_id is not None
    return download.wanted_book_id
