"""The download monitor (every minute): client state into rows; dead torrents fail and retry; finished ones import."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfkeeper.automation.acquisition import acquire_wanted, resume_stranded
from shelfkeeper.automation.imports import import_download
from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.db.tables import Download
from shelfkeeper.domain.lifecycle import HELD_BY_DOWNLOAD, DownloadStatus, WantedStatus
from shelfkeeper.domain.torrents.status import TorrentInfo, TorrentState
from shelfkeeper.errors import ServiceError
from shelfkeeper.ports import DownloadClient
from shelfkeeper.services import downloads
from shelfkeeper.services.downloads import client_of
from shelfkeeper.services.records import DOWNLOADS, get_record
from shelfkeeper.services.status import (
    check_download_move,
    fail_attempt,
    move_download,
    move_wanted,
    try_move_download,
    try_move_wanted,
    wanted_held_by,
)

WATCHED = (DownloadStatus.QUEUED, DownloadStatus.DOWNLOADING, DownloadStatus.PAUSED)
# No stall is counted while the client checks, moves or queues the data: none of these is a dead torrent.
_STALL_STATES = frozenset({TorrentState.DOWNLOADING, TorrentState.STALLED, TorrentState.UNKNOWN})


@dataclass(frozen=True)
class Watched:
    """What the monitor knows of one live download before it asks the client."""

    id: int
    info_hash: str
    status: str
    progress: float
    started_at: datetime | None
    last_progress_at: datetime | None
    title: str
    client: str | None  # the client holding it; None while queued and not yet placed


@dataclass(frozen=True)
class Failure:
    """Why an attempt failed, with the evidence the FailedAttempt keeps."""

    watched: Watched
    reason: str
    evidence: dict[str, Any]
    delete_files: bool


def judge(
    watched: Watched, torrent: TorrentInfo | None, now: datetime, stall: timedelta, metadata: timedelta
) -> str | None:
    """Why this attempt has failed, or None while it may still finish."""
    if torrent is None:
        return None if watched.status == DownloadStatus.QUEUED else "the torrent is gone from the download client"
    if torrent.state is TorrentState.ERROR:
        detail = f"{torrent.raw_state}: {torrent.error}" if torrent.error else torrent.raw_state
        return f"the download client reports an error ({detail})"
    if torrent.state is TorrentState.MISSING_FILES:
        return "the torrent's files are missing"
    started = watched.started_at or now
    if torrent.state is TorrentState.METADATA:
        waited = now - started
        return f"no metadata received in {_minutes(waited)} minutes" if waited >= metadata else None
    if torrent.state not in _STALL_STATES or watched.status == DownloadStatus.PAUSED:
        return None
    if torrent.progress > watched.progress:
        return None
    idle = now - (watched.last_progress_at or started)
    return f"stalled: no progress for {_minutes(idle)} minutes" if idle >= stall else None


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _evidence(watched: Watched, torrent: TorrentInfo | None, now: datetime) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "info_hash": watched.info_hash,
        "release_title": watched.title,
        "observed_at": now.isoformat(),
        "started_at": watched.started_at.isoformat() if watched.started_at else None,
        "last_progress_at": watched.last_progress_at.isoformat() if watched.last_progress_at else None,
        "progress": watched.progress,
    }
    if torrent is not None:
        shown |= {
            "client_state": torrent.raw_state,
            "progress": torrent.progress,
            "downloaded_bytes": torrent.downloaded_bytes,
            "size_bytes": torrent.size_bytes,
            "seeders": torrent.seeders,
        }
    return shown


def watched_downloads(session: Session) -> list[Watched]:
    rows = session.scalars(
        select(Download).where(Download.status.in_([str(s) for s in WATCHED]), Download.info_hash.isnot(None))
    )
    return [Watched(d.id, d.info_hash or "", d.status, d.progress or 0.0, d.started_at, d.last_progress_at,
                    d.release_title, client_of(d)) for d in rows]  # fmt: skip


def _target_status(row: Download, torrent: TorrentInfo) -> DownloadStatus:
    if torrent.state is TorrentState.COMPLETED:
        return DownloadStatus.COMPLETED
    if torrent.state is TorrentState.PAUSED:
        return DownloadStatus.PAUSED  # paused in the client by hand: the row says so too
    return DownloadStatus.DOWNLOADING


def apply_client_state(session: Session, download_id: int, torrent: TorrentInfo, now: datetime) -> bool:
    """Progress, state, ETA and speed into the row; True when it has just completed. A row moved meanwhile is kept."""
    row = session.get(Download, download_id)
    if row is None or row.status not in [str(s) for s in WATCHED]:
        return False
    if torrent.progress > (row.progress or 0.0) or row.last_progress_at is None:
        row.last_progress_at = now
    row.started_at = row.started_at or now
    row.progress, row.client_state = torrent.progress, torrent.raw_state
    row.eta_seconds, row.download_speed = torrent.eta_seconds, torrent.download_speed
    row.save_path, row.content_path = torrent.save_path or row.save_path, torrent.content_path or row.content_path
    row.size_bytes = row.size_bytes or (torrent.size_bytes or None)
    target = _target_status(row, torrent)
    if not try_move_download(row, target):
        return False
    if target is not DownloadStatus.COMPLETED:
        return False
    row.completed_at, row.progress = now, 1.0
    for missing in wanted_held_by(session, row):  # its own wanted book, or every book of a series pack
        try_move_wanted(missing, WantedStatus.DOWNLOADED)
    return True


def _record_failure(session: Session, run: RunContext, failure: Failure, now: datetime) -> bool | None:
    """Fail the attempt in the database; True when a retry is scheduled, None when the row moved meanwhile."""
    row = session.get(Download, failure.watched.id)
    if row is None or row.status not in [str(s) for s in WATCHED]:
        return None
    settings = run.app.settings
    retry = fail_attempt(
        session,
        row,
        failure.reason,
        failure.evidence,
        now=now,
        max_attempts=settings.download_max_attempts,
        retry_base_minutes=settings.download_retry_base_minutes,
        task_id=run.task_id,
    )
    return None if retry is None else retry.next_retry_at is not None


async def _fail(run: RunContext, failure: Failure, result: JobResult) -> None:
    """Remove the torrent from the client first (a crash then leaves a torrent gone, failed on the next run)."""
    if failure.evidence.get("client_state") is not None and failure.watched.client:
        try:
            client = run.integrations.download_client_named(failure.watched.client)
            await client.delete([failure.watched.info_hash], delete_files=failure.delete_files)
        except ServiceError as exc:
            run.log.warning("monitor: could not remove %s from the client: %s", failure.watched.info_hash, exc.message)
    now = run.now()
    retried = await run.transaction(lambda s: _record_failure(s, run, failure, now))
    if retried is None:
        return
    result.add("failed")
    result.add("retry_scheduled" if retried else "wanted_failed")
    run.log.warning("monitor: download %s failed: %s", failure.watched.id, failure.reason)


def _completed_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Download.id).where(Download.status == DownloadStatus.COMPLETED)))


async def _import_completed(run: RunContext, result: JobResult) -> None:
    if run.parameters.get("import") is False:
        return  # ``{"import": false}``: follow the downloads only, leave finished ones completed
    for download_id in await run.transaction(_completed_ids):
        try:
            await import_download(run, download_id)
        except Exception as exc:  # an import problem must not stop the monitor; it is tried again next run
            run.log.warning("monitor: import of download %s failed: %s", download_id, exc)
            result.add("import_errors")
            continue
        result.add("import_attempts")


async def _ask_clients(run: RunContext, watched: Sequence[Watched], result: JobResult) -> dict[str, TorrentInfo] | None:
    """Each client once for the torrents it holds; a client that cannot be read is reported and its downloads
    are left as they are this run. None when no client could be read."""
    by_client: dict[str, list[str]] = {}
    for item in watched:
        if item.client:
            by_client.setdefault(item.client, []).append(item.info_hash)
    found: dict[str, TorrentInfo] = {}
    errors: dict[str, str] = {}
    for name, hashes in by_client.items():
        try:
            torrents = await run.integrations.download_client_named(name).info(hashes=hashes)
        except ServiceError as exc:
            run.log.warning("monitor: %s cannot be read: %s", name, exc.message)
            errors[name] = exc.message
            continue
        found |= {f"{name}:{torrent.info_hash}": torrent for torrent in torrents}
    if errors:
        result.metrics["client_errors"] = errors
        result.metrics["client_error"] = "; ".join(f"{name}: {message}" for name, message in errors.items())
    return None if by_client and len(errors) == len(by_client) else found


async def _observe(run: RunContext, watched: Sequence[Watched], result: JobResult) -> list[Failure] | None:
    """Ask each client once for its watched torrents, store what they say, return the attempts that failed."""
    found = await _ask_clients(run, watched, result)
    if found is None:
        return None
    unread = set(result.metrics.get("client_errors") or {})
    settings, now = run.app.settings, run.now()
    stall = timedelta(minutes=settings.download_stall_minutes)
    metadata = timedelta(minutes=settings.download_metadata_timeout_minutes)
    failures, seen = [], []
    for item in watched:
        if item.client is None or item.client in unread:
            continue
        torrent = found.get(f"{item.client}:{item.info_hash}")
        reason = judge(item, torrent, now, stall, metadata)
        if reason is not None:
            nothing_done = torrent is not None and torrent.progress == 0 and torrent.downloaded_bytes == 0
            failures.append(Failure(item, reason, _evidence(item, torrent, now), delete_files=nothing_done))
        elif torrent is not None:
            seen.append((item.id, torrent))
    completed = await run.transaction(lambda s: [apply_client_state(s, i, t, now) for i, t in seen])
    result.add("updated", len(seen))
    result.add("completed", sum(completed))
    return failures


async def download_monitor_task(run: RunContext) -> JobResult:
    """Follow every live download in its client; fail, blocklist and retry dead ones; import finished ones."""
    result = JobResult()
    await resume_stranded(run, result)
    watched = await run.transaction(watched_downloads)
    result.counts["watched"] = len(watched)
    failures = await _observe(run, watched, result) if watched else []
    for failure in failures or []:
        await _fail(run, failure, result)
    await _import_completed(run, result)
    now = run.now()
    due = await run.transaction(lambda s: downloads.due_retries(s, now))
    if due:
        retried = await acquire_wanted(run, due)
        for name, amount in retried.counts.items():
            result.add(f"retry_{name}", amount)
    return result


# ---- a person's actions on one download (the API's pause, resume and cancel) ----


def _client_id_for(session: Session, download_id: int, target: DownloadStatus) -> tuple[str | None, str | None, bool]:
    """The torrent to act on, its client, and whether the row is there already (409 DOWNLOAD_STATE_CONFLICT when
    not allowed)."""
    download = get_record(session, DOWNLOADS, download_id)
    check_download_move(download, target)  # the row itself moves after the client has acted
    return download.info_hash, client_of(download), download.status == target


def _move(session: Session, download_id: int, target: DownloadStatus, changes: dict[str, Any]) -> Download:
    download = get_record(session, DOWNLOADS, download_id)
    if download.status != target:  # asking twice changes nothing
        move_download(download, target)
        for name, value in changes.items():
            setattr(download, name, value)
    if target is DownloadStatus.CANCELLED:
        for missing in wanted_held_by(session, download):
            if missing.status in HELD_BY_DOWNLOAD:
                move_wanted(missing, WantedStatus.WANTED)
    return downloads.refreshed(session, download)


async def _act(
    run: RunContext,
    download_id: int,
    target: DownloadStatus,
    action: Callable[[DownloadClient, str], Awaitable[None]],
    changes: dict[str, Any],
) -> Download:
    torrent_id, client, already = await run.transaction(lambda s: _client_id_for(s, download_id, target))
    if torrent_id and client and not already:
        await action(run.integrations.download_client_named(client), torrent_id)
    return await run.transaction(lambda s: _move(s, download_id, target, changes))


async def pause_download(run: RunContext, download_id: int) -> Download:
    """Pause the torrent in its client, then the row (a paused download is never counted as stalled)."""
    return await _act(run, download_id, DownloadStatus.PAUSED, lambda c, t: c.pause([t]), {})


async def resume_download(run: RunContext, download_id: int) -> Download:
    """Resume the torrent in its client, then the row; its stall clock starts again now."""
    changes = {"last_progress_at": run.now()}
    return await _act(run, download_id, DownloadStatus.DOWNLOADING, lambda c, t: c.resume([t]), changes)


async def cancel_download(run: RunContext, download_id: int, *, delete_files: bool = False) -> Download:
    """Remove the torrent from its client (its files too when asked); the wanted book is wanted again.

    The cancelled torrent keeps its info hash in the row, so automation never grabs that torrent again.
    """
    note = "cancelled by the user" + (" (files deleted)" if delete_files else "")

    async def remove(client: DownloadClient, torrent_id: str) -> None:
        await client.delete([torrent_id], delete_files=delete_files)

    return await _act(run, download_id, DownloadStatus.CANCELLED, remove, {"result": note})
