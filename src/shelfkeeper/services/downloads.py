"""Download records: grabs written before the client add, state moves, failures with retries, queue queries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import BlocklistEntry, Download, DownloadBook, WantedBook
from shelfkeeper.domain.events import Event, EventType
from shelfkeeper.domain.lifecycle import ACTIVE_DOWNLOAD_STATES, DownloadStatus, DuplicateKind, WantedStatus
from shelfkeeper.domain.names import split_names
from shelfkeeper.domain.releases.ranking import RankedRelease
from shelfkeeper.domain.releases.verification import WantedEdition
from shelfkeeper.download_clients import LEGACY_CLIENT
from shelfkeeper.errors import Conflict
from shelfkeeper.services import events
from shelfkeeper.services.records import DOWNLOADS, get_record
from shelfkeeper.services.release_records import ranked_json, release_flags
from shelfkeeper.services.status import fail_attempt, move_download, move_wanted, new_download
from shelfkeeper.services.wanted_list import get_wanted
from shelfkeeper.services.wanted_subtitles import subtitle_note

# A wanted book in one of these may be grabbed; "failed" only when a person asks (the API), never automatically.
AUTOMATIC_GRAB_STATES = frozenset({WantedStatus.WANTED, WantedStatus.SEARCHING})
MANUAL_GRAB_STATES = AUTOMATIC_GRAB_STATES | {WantedStatus.FAILED}
ACTIVE = tuple(str(status) for status in ACTIVE_DOWNLOAD_STATES)


@dataclass(frozen=True)
class GrabRecord:
    """What the grab needs after its row is written: the download's id and where it goes in the client."""

    download_id: int
    info_hash: str
    reused: bool  # a failed attempt of the same wanted book was re-queued with the new release


def wanted_book_of(missing: WantedBook) -> WantedEdition:
    """The wanted book as the verification sees it: the WantedBook row and what its evidence knows."""
    evidence: Mapping[str, Any] = missing.evidence or {}
    flags = {str(flag).lower() for flag in missing.flags or []}
    narrator = evidence.get("narrator") or next(iter(evidence.get("narrators") or []), None)
    minutes = evidence.get("duration_minutes") or evidence.get("runtime_minutes")
    return WantedEdition(
        title=missing.title,
        authors=tuple(split_names(missing.author_name)),
        series=missing.series_name,
        position=missing.series_position,
        narrator=str(narrator) if narrator else None,
        language=missing.language,
        asin=missing.asin,
        isbn=missing.isbn,
        duration_minutes=int(minutes) if isinstance(minutes, int | float) and minutes > 0 else None,
        abridged_ok="abridged" in flags,
        subtitle=missing.subtitle,
        subtitle_note=subtitle_note(missing),
    )


def refreshed(session: Session, download: Download) -> Download:
    """The row with every column loaded (``updated_at`` is set by the database), ready to leave the session."""
    session.flush()
    session.refresh(download)
    return download


def latest_download(session: Session, wanted_id: int) -> Download | None:
    return session.scalars(
        select(Download).where(Download.wanted_book_id == wanted_id).order_by(Download.id.desc()).limit(1)
    ).first()


def active_download(session: Session, wanted_id: int) -> Download | None:
    """The live download holding the wanted book: its own, or a series pack that covers it."""
    in_pack = select(DownloadBook.download_id).where(DownloadBook.wanted_book_id == wanted_id)
    return session.scalars(
        select(Download)
        .where((Download.wanted_book_id == wanted_id) | Download.id.in_(in_pack), Download.status.in_(ACTIVE))
        .order_by(Download.id)
    ).first()


def eligible_wanted(session: Session, now: datetime, wanted_ids: Sequence[int] | None, limit: int | None) -> list[int]:
    """Approved, released, not-ignored wanted books with no live download and no retry still waiting, first first.

    A book covered by a live series-pack download counts as having one: it is never searched beside the pack.
    """
    own = select(Download.wanted_book_id).where(Download.status.in_(ACTIVE), Download.wanted_book_id.isnot(None))
    live = own.union(
        select(DownloadBook.wanted_book_id)
        .join(Download, Download.id == DownloadBook.download_id)
        .where(Download.status.in_(ACTIVE))
    )
    waiting = select(Download.wanted_book_id).where(
        Download.status == DownloadStatus.FAILED, Download.next_retry_at > now, Download.wanted_book_id.isnot(None)
    )
    query = select(WantedBook.id).where(
        WantedBook.status.in_([str(s) for s in AUTOMATIC_GRAB_STATES]),
        WantedBook.approved.is_(True),
        WantedBook.upcoming.is_(False),
        WantedBook.id.not_in(live),
        WantedBook.id.not_in(waiting),
    )
    if wanted_ids is not None:
        query = query.where(WantedBook.id.in_(list(wanted_ids)))
    query = query.order_by(WantedBook.priority.desc(), WantedBook.last_searched_at.asc().nulls_first(), WantedBook.id)
    return list(session.scalars(query.limit(limit) if limit is not None else query))


def note_search(session: Session, wanted_id: int, now: datetime, summary: dict[str, Any]) -> None:
    """Remember when the book was searched and what was found (``evidence["last_search"]``)."""
    missing = session.get(WantedBook, wanted_id)
    if missing is None:
        return
    missing.search_count = (missing.search_count or 0) + 1
    missing.last_searched_at = now
    missing.evidence = {**(missing.evidence or {}), "last_search": {"at": now.isoformat(), **summary}}
    best = summary.get("best") or {}
    found, accepted = summary.get("found", 0), summary.get("accepted", 0)
    message = f"{missing.title}: {found} releases found, {accepted} acceptable"
    message += f"; the best is {best['title']} (score {best.get('score')})." if best.get("title") else "."
    details = {"found": found, "accepted": accepted, "best": best or None, "sources": summary.get("sources")}
    events.record(session, Event(EventType.SEARCHED, message, at=now, book=events.book_facts(missing), details=details))


def hash_holder(session: Session, info_hash: str) -> Download | None:
    """The download that already holds a torrent (the info hash is unique across every download)."""
    return session.scalars(select(Download).where(Download.info_hash == info_hash.lower())).first()


def record_grab(
    session: Session,
    wanted_id: int,
    ranked: RankedRelease,
    info_hash: str,
    now: datetime,
    *,
    allowed: frozenset[WantedStatus] = AUTOMATIC_GRAB_STATES,
) -> GrabRecord:
    """Write the download (status queued) before anything reaches the client; the wanted book becomes grabbed.

    The wanted book's last failed attempt is re-queued in place (it keeps its attempt count); otherwise a new
    row is written. The unique info hash and the one-live-download-per-book index make a racing second grab
    fail: that IntegrityError is raised as 409 DOWNLOAD_ALREADY_EXISTS, as are the checks before it.
    """
    missing = get_wanted(session, wanted_id)
    _refuse_duplicates(session, wanted_id, info_hash)
    if WantedStatus(missing.status) not in allowed:
        raise Conflict(f"Wanted book {wanted_id} is {missing.status}.", code="WANTED_STATE_CONFLICT")
    previous = latest_download(session, wanted_id)
    reuse = previous is not None and previous.status == DownloadStatus.FAILED
    download = previous if reuse and previous is not None else new_download(wanted_id)
    _fill_release(download, ranked, info_hash.lower(), now)
    if reuse:
        move_download(download, DownloadStatus.QUEUED)
        download.retry_count = (download.retry_count or 0) + 1
        # a failed series pack's other books are free again: the new release holds only this one (or a new pack)
        session.execute(delete(DownloadBook).where(DownloadBook.download_id == download.id))
    else:
        session.add(download)
    move_wanted(missing, WantedStatus.GRABBED, via=WantedStatus.WANTED)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"Wanted book {wanted_id} or torrent {info_hash} was grabbed by another run just now.",
            code="DOWNLOAD_ALREADY_EXISTS",
            details={"kind": str(DuplicateKind.BOOK)},
        ) from exc
    return GrabRecord(download.id, download.info_hash or info_hash, reuse)


def _refuse_duplicates(session: Session, wanted_id: int, info_hash: str) -> None:
    live = active_download(session, wanted_id)
    if live is not None:
        raise Conflict(
            f"Wanted book {wanted_id} is already being downloaded (download {live.id}).",
            code="DOWNLOAD_ALREADY_EXISTS",
            details={"download_id": live.id, "kind": str(DuplicateKind.BOOK)},
        )
    holder = hash_holder(session, info_hash)
    if holder is not None and not (holder.wanted_book_id == wanted_id and holder.status == DownloadStatus.FAILED):
        raise Conflict(
            f"Torrent {info_hash} is already recorded as download {holder.id} ({holder.status}).",
            code="DOWNLOAD_ALREADY_EXISTS",
            details={"download_id": holder.id, "kind": str(DuplicateKind.TORRENT)},
        )


def _fill_release(download: Download, ranked: RankedRelease, info_hash: str, now: datetime) -> None:
    release = ranked.release
    kept = dict(download.release or {})
    history = list(kept.get("previous") or [])
    if download.id is not None and download.info_hash:
        history.append({"title": download.release_title, "info_hash": download.info_hash, "result": download.result})
    download.indexer = release.indexer[:200]
    download.release_title = release.title[:1000]
    download.guid = release.guid[:1000]
    download.info_hash = info_hash
    download.download_url = release.download_url or release.magnet_url
    download.size_bytes = release.size_bytes
    download.format = ranked.parsed.format
    download.flags = release_flags(ranked)
    download.release = {
        **ranked_json(ranked),
        "queued_at": now.isoformat(),
        "failures": list(kept.get("failures") or []),
        "previous": history,
    }
    for name in ("client_state", "eta_seconds", "download_speed", "save_path", "content_path", "result"):
        setattr(download, name, None)
    download.progress = 0.0
    download.next_retry_at = download.last_progress_at = download.started_at = download.completed_at = None


def client_of(download: Download) -> str | None:
    """The client holding a download: the recorded one; a row that reached a client before clients were
    recorded is in qBittorrent; a queued row is in none yet (the stranded-row check places it)."""
    if download.download_client:
        return download.download_client
    return None if download.status == DownloadStatus.QUEUED else LEGACY_CLIENT


def mark_added(
    session: Session,
    download_id: int,
    now: datetime,
    save_path: str | None,
    *,
    client: str,
    skipped: list[dict[str, str]] | None = None,
    manual: bool = False,
) -> None:
    """``client`` accepted the torrent: queued -> downloading (a row moved on meanwhile is left alone).

    ``skipped``: the clients tried first that were down (name, reason, code), kept with the GRABBED event;
    ``manual``: grabbed by hand (the API or the page), not by a job.
    """
    download = session.get(Download, download_id)
    if download is None or download.status != DownloadStatus.QUEUED:
        return
    move_download(download, DownloadStatus.DOWNLOADING)
    download.started_at = download.last_progress_at = now
    download.save_path = save_path
    download.download_client = client
    message = f"{download.release_title} sent to {client} from {download.indexer}"
    message += " (grabbed by hand)." if manual else "."
    if skipped:
        message += " Skipped first: " + "; ".join(s["reason"] for s in skipped) + "."
    score = (download.release or {}).get("score")
    events.record_download_event(
        session,
        download,
        EventType.GRABBED,
        message,
        now,
        skipped_clients=skipped or None,
        manual=manual or None,
        score=score,
    )


def fail_queued(
    session: Session,
    download_id: int,
    reason: str,
    *,
    blame_release: bool,
    now: datetime,
    max_attempts: int,
    retry_base_minutes: int,
    task_id: int | None = None,
) -> None:
    """A download that never reached the client fails; the wanted book waits and is grabbed again.

    When the release is to blame (the client refused the torrent, the indexer no longer has it) this is a
    failed attempt like a stall: blocklisted and counted. Otherwise (the client was unreachable) the release
    is kept and no attempt is used: the row is simply tried again after the first retry delay.
    """
    download = session.get(Download, download_id)
    if download is None or download.status != DownloadStatus.QUEUED:
        return
    fail_attempt(session, download, reason, {"info_hash": download.info_hash}, now=now, max_attempts=max_attempts,
                 retry_base_minutes=retry_base_minutes, task_id=task_id, blame_release=blame_release)  # fmt: skip


def due_retries(session: Session, now: datetime) -> list[int]:
    """Wanted books whose failed attempt's retry time has come."""
    query = (
        select(Download.wanted_book_id)
        .join(WantedBook, WantedBook.id == Download.wanted_book_id)
        .where(
            Download.status == DownloadStatus.FAILED,
            Download.next_retry_at <= now,
            WantedBook.status == WantedStatus.WANTED,
        )
    )
    return sorted({wanted_id for wanted_id in session.scalars(query) if wanted_id is not None})


def set_priority(session: Session, download_id: int, priority: int) -> Download:
    download = get_record(session, DOWNLOADS, download_id)
    if download.status not in ACTIVE:
        raise Conflict(
            f"Download {download_id} is {download.status}: only a live download has a priority.",
            code="DOWNLOAD_STATE_CONFLICT",
        )
    download.priority = priority
    return download


def download_stats(session: Session) -> dict[str, Any]:
    """Counts by status, sizes, the live queue's speed and what is left to fetch, and the blocklist's size."""
    rows = session.execute(
        select(Download.status, func.count(), func.coalesce(func.sum(Download.size_bytes), 0)).group_by(Download.status)
    ).all()
    by_status = {str(status): int(count) for status, count, _ in rows}
    active = session.execute(
        select(Download.size_bytes, Download.progress, Download.download_speed, Download.status).where(
            Download.status.in_(ACTIVE)
        )
    ).all()
    return {
        "by_status": by_status,
        "total": sum(by_status.values()),
        "total_size_bytes": sum(int(size or 0) for _, _, size in rows),
        "active": len(active),
        "active_size_bytes": sum(size or 0 for size, _, _, _ in active),
        "remaining_bytes": sum(round((size or 0) * (1 - (progress or 0))) for size, progress, _, _ in active),
        "download_speed": sum(speed or 0 for _, _, speed, status in active if status == DownloadStatus.DOWNLOADING),
        "blocklisted": session.scalar(select(func.count()).select_from(BlocklistEntry)) or 0,
    }
