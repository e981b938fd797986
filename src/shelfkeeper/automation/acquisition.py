"""Acquisition: search each approved wanted book, grab its best release through a download client, never twice."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfkeeper.automation.mam_autopilot import RatioWait, prepare_grab
from shelfkeeper.automation.release_search import MamStatsCache, SearchResult, find_releases, rank_chosen
from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.automation.wanted_subtitle import searchable_wanted, with_subtitle
from shelfkeeper.db.tables import Download
from shelfkeeper.domain.lifecycle import DownloadStatus, DuplicateKind, WantedStatus
from shelfkeeper.domain.releases.ranking import RankedRelease
from shelfkeeper.domain.releases.release import DownloadProtocol, Release, ReleaseSource
from shelfkeeper.domain.releases.verification import WantedEdition
from shelfkeeper.domain.torrents.files import BencodeError, info_hash, magnet_info_hash
from shelfkeeper.domain.torrents.nzb import NzbError, nzb_id, parse_nzb
from shelfkeeper.domain.torrents.status import AddTorrent
from shelfkeeper.download_clients import client_entry
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
from shelfkeeper.services import downloads, tracker_ledger
from shelfkeeper.services.records import DOWNLOADS, get_record
from shelfkeeper.services.release_records import release_from_json
from shelfkeeper.services.wanted_list import get_wanted

TAG = "shelfkeeper"
CANDIDATES_PER_BOOK = 3  # accepted releases tried in turn when one cannot be fetched or is taken already
STRANDED_AFTER = timedelta(minutes=1)  # a download left "queued" this long never reached the client: add it

# Writes the grab's Download row(s) from the torrent's id and the time: one book's, or a series pack's.
RecordGrab = Callable[[Session, str, datetime], downloads.GrabRecord]


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


def grab_candidates(result: SearchResult) -> list[RankedRelease]:
    """The accepted releases automation may grab, best first (the ratio autopilot has the last word on MAM ones)."""
    return result.accepted


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
    if add.nzb_file is not None:  # usenet: followed by the NZB's own id
        try:
            parse_nzb(add.nzb_file)
        except NzbError as exc:
            raise ServiceBadResponse(release.source, f"{release.title!r} is not a valid NZB ({exc})") from exc
        return add, nzb_id(add.nzb_file)
    try:
        found = info_hash(add.torrent_file) if add.torrent_file is not None else magnet_info_hash(add.url or "")
    except BencodeError as exc:
        raise ServiceBadResponse(release.source, f"{release.title!r} is not a valid .torrent file ({exc})") from exc
    found = found or release.info_hash
    if not found:
        raise ServiceBadResponse(release.source, f"{release.title!r}: a magnet without an info hash cannot be tracked")
    return add, found.lower()


class ClientRefused(ServiceBadResponse):
    """A download client refused the torrent itself: the release is to blame, the row has failed."""


class ClientsUnavailable(ServiceUnreachable):
    """No enabled client of the release's protocol took the torrent: each was down, refused the login or is
    not configured. The rest of the run would fail the same way."""


def _placed(run: RunContext, name: str, download_id: int, add: AddTorrent) -> AddTorrent:
    entry, settings = client_entry(name), run.app.settings
    return dataclasses.replace(
        add, category=entry.category(settings), tags=download_tags(download_id), save_path=entry.save_path(settings)
    )


async def send_to_client(
    run: RunContext, download_id: int, add: AddTorrent, protocol: DownloadProtocol = DownloadProtocol.TORRENT
) -> str:
    """Hand the torrent to the first enabled client of ``protocol`` that takes it, with that client's category
    (or label), tags and save path; the row records which client holds it.

    A client that is down (unreachable, wrong credentials, not configured) is reported and skipped for the
    next. A refusal (the client says the torrent is bad) fails the row and blames the release; no client left
    fails the row without blame (ClientsUnavailable). Either error is raised again for the caller.
    """
    skipped: list[dict[str, str]] = []
    for name, client in run.integrations.download_clients(protocol):
        placed = _placed(run, name, download_id, add)
        try:
            added = await client.add(placed)
        except ServiceBadResponse as exc:
            reason = f"the download client did not take the torrent: {exc.message}"
            await fail_before_client(run, download_id, reason, blame_release=True)
            raise ClientRefused(name, exc.message.removeprefix(f"{exc.service}: "), details=exc.details) from exc
        except ServiceError as exc:
            run.log.warning("acquisition: %s skipped for download %s: %s", name, download_id, exc.message)
            skipped.append({"client": name, "reason": exc.message, "code": exc.code})
            continue
        await _mark_added(run, download_id, name, skipped)
        return added
    tried = "; ".join(s["reason"] for s in skipped) or f"no {protocol} client is configured or enabled"
    await fail_before_client(run, download_id, f"the download client did not take the torrent ({tried})",
                             blame_release=False)  # fmt: skip
    code = None if skipped else "SERVICE_NOT_CONFIGURED"
    message = f"no {protocol} client took the torrent ({tried})"
    raise ClientsUnavailable("download_client", message, code=code, details={"skipped": skipped})


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
    stats: MamStatsCache | None = None,
) -> GrabOutcome:
    """Run the MAM ratio autopilot (a wedge is spent before the torrent is fetched), fetch the torrent, write the
    Download row FIRST (queued, info hash, ranked release), then add it.

    Raises RatioWait when the ratio autopilot says wait; Conflict (DOWNLOAD_ALREADY_EXISTS,
    WANTED_STATE_CONFLICT) when the book or the torrent is taken, also when another run won a race for it; a
    ServiceError when an indexer or the client fails.
    """

    def record_one(session: Session, torrent_id: str, now: datetime) -> downloads.GrabRecord:
        return downloads.record_grab(session, wanted_id, ranked, torrent_id, now, allowed=allowed)

    record = await grab_through(run, wanted_id, ranked, record_one, stats or MamStatsCache())
    run.log.info("acquisition: grabbed %r for wanted book %s (download %s)", ranked.release.title, wanted_id,
                 record.download_id)  # fmt: skip
    return GrabOutcome(record.download_id, wanted_id, record.info_hash, ranked.release.title, record.reused)


async def grab_through(
    run: RunContext, wanted_id: int, ranked: RankedRelease, record: RecordGrab, stats: MamStatsCache
) -> downloads.GrabRecord:
    """The steps of every grab, a single book's or a series pack's (``record`` writes the rows; ``wanted_id``
    is the book the autopilot's purchases are recorded for): the MAM ratio autopilot first (RatioWait, or a
    wedge spent before the torrent is fetched), the torrent fetched, the row written, the autopilot's decision
    kept on it, then the client add. Raises as ``grab`` does."""
    decision = await prepare_grab(run, wanted_id, ranked, stats)
    add, torrent_id = await fetch_torrent(run, ranked.release)
    now = run.now()
    written = await run.transaction(lambda s: record(s, torrent_id, now))
    if decision is not None:
        await run.transaction(lambda s: tracker_ledger.note_download_autopilot(s, written.download_id, decision))
    added = await send_to_client(run, written.download_id, add, ranked.release.protocol)
    if added != torrent_id:
        run.log.warning("acquisition: client reports %s for torrent %s", added, torrent_id)
    return written


async def _grab_first(
    run: RunContext, wanted_id: int, candidates: Sequence[RankedRelease], stats: MamStatsCache, result: JobResult
) -> None:
    waits: list[dict[str, Any]] = []
    for ranked in candidates[:CANDIDATES_PER_BOOK]:
        try:
            await grab(run, wanted_id, ranked, stats=stats)
        except RatioWait as wait:
            run.log.info("acquisition: %s", wait)
            waits.append(wait.as_json())
            continue
        except Conflict as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            if exc.code == "DOWNLOAD_ALREADY_EXISTS" and details.get("kind") == DuplicateKind.TORRENT:
                continue  # this torrent belongs to another download: the next release may do
            result.add("already_grabbed")
            return
        except ClientsUnavailable:
            result.add("grab_failed")
            raise
        except ClientRefused:  # the row has failed: this book waits for its retry
            result.add("grab_failed")
            return
        except ServiceError as exc:
            run.log.warning("acquisition: could not fetch %r: %s", ranked.release.title, exc.message)
            continue
        result.add("grabbed")
        return
    if waits:  # the book stays wanted; the next search tries again, and says why it waited
        now = run.now()
        await run.transaction(lambda s: tracker_ledger.note_ratio_wait(s, wanted_id, now, waits))
        result.add("ratio_wait")
        return
    result.add("grab_failed")


def search_summary(found: SearchResult, candidates: Sequence[RankedRelease]) -> dict[str, Any]:
    """What a search found, as ``evidence["last_search"]`` keeps it."""
    best = candidates[0] if candidates else None
    return {
        "found": len(found.ranked),
        "accepted": len(candidates),
        "best": {"title": best.release.title, "score": best.score} if best else None,
        "sources": {s.name: s.count if s.ok else s.error for s in found.sources},
        "subtitle": {"known": found.wanted.subtitle, "note": found.wanted.subtitle_note},
    }


async def record_search(run: RunContext, wanted_id: int, found: SearchResult) -> None:
    """Remember a search of a wanted book (when, how many found, the best) and tell the history; the automation's
    searches and a person's (the page's "Search releases") alike."""
    summary, now = search_summary(found, grab_candidates(found)), run.now()
    await run.transaction(lambda s: downloads.note_search(s, wanted_id, now, summary))


async def _acquire_one(
    run: RunContext, wanted_id: int, stats: MamStatsCache, result: JobResult, searched: SearchResult | None = None
) -> None:
    """Search one wanted book and grab its best release; ``searched``: its search was made (and noted) already."""
    found = searched
    if found is None:
        try:
            wanted = await searchable_wanted(run, wanted_id)
        except NotFound:
            return
        found = await find_releases(run, wanted, stats=stats)
    candidates = grab_candidates(found)
    if searched is None:  # a search made by the pack step is counted there
        result.add("searched")
        await record_search(run, wanted_id, found)
    if not candidates:
        result.add("no_release")
        return
    await _grab_first(run, wanted_id, candidates, stats, result)


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
    # imported here: the pack step builds on this module's grab steps
    from shelfkeeper.automation.pack_acquisition import acquire_packs

    packs = await acquire_packs(run, ids, stats, result)
    for wanted_id in ids:
        if wanted_id in packs.grabbed:
            continue  # grabbed with its series pack
        try:
            await _acquire_one(run, wanted_id, stats, result, packs.searched.get(wanted_id))
        except ClientsUnavailable as exc:
            result.metrics["stopped"] = exc.message
            run.log.warning("acquisition: %s; the remaining books wait for the next run", exc.message)
            break
    return result


async def resume_stranded(run: RunContext, result: JobResult | None = None) -> None:
    """Downloads recorded but never accepted by a client (a crash between the two) are added now: one found in
    an enabled client is marked as held by it, the others are sent again."""
    cutoff = run.now() - STRANDED_AFTER
    rows = await run.transaction(lambda s: _stranded(s, cutoff))
    if not rows:
        return
    held: dict[str, str] = {}  # download id at the client (info hash, NZB digest) -> the client that has it
    for protocol in {_protocol_of(data) for _, _, data in rows}:
        ids = [h for _, h, data in rows if _protocol_of(data) is protocol]
        for name, client in run.integrations.download_clients(protocol):
            try:
                found = await client.info(hashes=ids)
            except ServiceError as exc:
                run.log.warning("acquisition: cannot check queued downloads in %s: %s", name, exc.message)
                return  # it may hold some of them: sending them elsewhere could download a book twice
            held |= {t.info_hash: name for t in found if t.info_hash not in held}
    for download_id, torrent_id, release_data in rows:
        try:
            if torrent_id in held:
                await _mark_added(run, download_id, held[torrent_id])
            else:
                await _send_again(run, download_id, release_from_json(release_data))
        except (ServiceError, InvalidInput) as exc:
            run.log.warning("acquisition: queued download %s not resumed: %s", download_id, exc)
            continue
        if result is not None:
            result.add("resumed")


def _protocol_of(release_data: dict[str, Any]) -> DownloadProtocol:
    return (
        DownloadProtocol.USENET if release_data.get("protocol") == DownloadProtocol.USENET else DownloadProtocol.TORRENT
    )


async def _send_again(run: RunContext, download_id: int, release: Release) -> None:
    try:
        add, _ = await fetch_torrent(run, release)
    except ServiceError as exc:
        if not is_transient(exc):  # the indexer no longer gives this torrent: the attempt has failed
            reason = f"the torrent could not be fetched again: {exc.message}"
            await fail_before_client(run, download_id, reason, blame_release=True)
        raise
    await send_to_client(run, download_id, add, release.protocol)


async def _mark_added(
    run: RunContext, download_id: int, client: str, skipped: list[dict[str, str]] | None = None
) -> None:
    now, path = run.now(), client_entry(client).save_path(run.app.settings)
    manual = run.task_id is None  # asked for through the API or the page, not by a job

    def mark(session: Session) -> None:
        downloads.mark_added(session, download_id, now, path, client=client, skipped=skipped, manual=manual)

    await run.transaction(mark)


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
    wanted = await with_subtitle(run, wanted_id, await run.transaction(lambda s: _wanted_for_request(s, wanted_id)))
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
        raise NotFound(none_found, code="NO_RELEASE_FOUND", details=search_summary(found, candidates))
    return candidates[0]


async def _grab_requested(run: RunContext, wanted_id: int, chosen: RankedRelease) -> Download:
    try:
        outcome = await grab(run, wanted_id, chosen, allowed=downloads.MANUAL_GRAB_STATES)
    except RatioWait as wait:
        raise Conflict(f"Not grabbed now: {wait}", code="RATIO_FLOOR_WAIT", details=wait.as_json()) from wait
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
    wanted = await with_subtitle(run, wanted_id, await run.transaction(lambda s: _wanted_for_request(s, wanted_id)))
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
