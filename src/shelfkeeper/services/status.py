"""The one owner of status changes: wanted books and downloads move only here, through the lifecycle's move tables.

Every ``.status`` of a ``WantedBook`` or a ``Download`` is written by this module (a test keeps it so): new rows
get their first status from ``new_wanted_book``/``new_download``, later moves go through ``move_*`` (409 when
the lifecycle does not allow them) or ``try_move_*`` (False, nothing changed). A failed attempt, whoever notices
it (the grab, the download monitor, the import), is recorded by ``fail_attempt``: the attempt counted in
``attempt_count``, the retry time, the FailedAttempt row, the blocklist entry and the wanted book's move.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import Download, DownloadBook, FailedAttempt, WantedBook
from shelfkeeper.domain.events import EventType
from shelfkeeper.domain.lifecycle import (
    HELD_BY_DOWNLOAD,
    DownloadStatus,
    FailureKind,
    WantedStatus,
    can_move_download,
    can_move_wanted,
)
from shelfkeeper.errors import Conflict
from shelfkeeper.services import events
from shelfkeeper.services.blocklist import add_entry


@dataclass(frozen=True)
class Retry:
    """When a failed attempt is tried again (None: no attempts left and the wanted book failed)."""

    attempt: int
    max_attempts: int
    next_retry_at: datetime | None


# ---- new rows --------------------------------------------------------------------------------------------


def new_wanted_book(**columns: Any) -> WantedBook:
    """A wanted-list row in its first status, "wanted"."""
    return WantedBook(status=str(WantedStatus.WANTED), **columns)


def new_download(wanted_book_id: int | None) -> Download:
    """A download row in its first status, "queued": written before anything reaches the client."""
    return Download(wanted_book_id=wanted_book_id, status=str(DownloadStatus.QUEUED), attempt_count=0)


# ---- moves -----------------------------------------------------------------------------------------------


def _wanted_route(current: WantedStatus, target: WantedStatus, via: WantedStatus | None) -> bool:
    if can_move_wanted(current, target):
        return True
    return via is not None and can_move_wanted(current, via) and can_move_wanted(via, target)


def try_move_wanted(row: WantedBook, target: WantedStatus, *, via: WantedStatus | None = None) -> bool:
    """Move a wanted book when the lifecycle allows it, directly or through ``via`` (both moves allowed ones).

    ``via`` names the one step a caller may take on the way: "wanted" (failed -> wanted -> grabbed) or
    "downloaded" (grabbed -> downloaded -> imported). False, and nothing changed, when no route is allowed.
    """
    if not _wanted_route(WantedStatus(row.status), target, via):
        return False
    row.status = str(target)
    return True


def move_wanted(row: WantedBook, target: WantedStatus, *, via: WantedStatus | None = None) -> None:
    """``try_move_wanted``, or 409 WANTED_STATE_CONFLICT when the lifecycle does not allow the move."""
    current = row.status
    if not try_move_wanted(row, target, via=via):
        raise Conflict(
            f"Wanted book {row.id} is {current}; it cannot become {target}.",
            code="WANTED_STATE_CONFLICT",
            details={"status": current, "wanted_status": str(target)},
        )


def check_download_move(download: Download, target: DownloadStatus) -> None:
    """409 DOWNLOAD_STATE_CONFLICT unless the lifecycle allows the move (asked before the client acts)."""
    if not can_move_download(DownloadStatus(download.status), target):
        raise Conflict(
            f"Download {download.id} is {download.status}; it cannot become {target}.",
            code="DOWNLOAD_STATE_CONFLICT",
        )


def try_move_download(download: Download, target: DownloadStatus) -> bool:
    """Move a download when the lifecycle allows it; False, and nothing changed, when it does not."""
    if not can_move_download(DownloadStatus(download.status), target):
        return False
    download.status = str(target)
    return True


def move_download(download: Download, target: DownloadStatus) -> None:
    """``try_move_download``, or 409 DOWNLOAD_STATE_CONFLICT when the lifecycle does not allow the move."""
    check_download_move(download, target)
    download.status = str(target)


# ---- failures --------------------------------------------------------------------------------------------


def retry_time(now: datetime, attempt: int, max_attempts: int, retry_base_minutes: int) -> datetime | None:
    """When a release that failed its ``attempt``-th time is tried again (the wait doubles); None when none is left."""
    if attempt >= max_attempts:
        return None
    return now + timedelta(minutes=retry_base_minutes * 2 ** (attempt - 1))


def write_failed_attempt(
    session: Session,
    download: Download,
    reason: str,
    evidence: dict[str, Any],
    task_id: int | None,
    *,
    kind: FailureKind = FailureKind.DOWNLOAD,
    about: WantedBook | None = None,
) -> None:
    """Record a failure of ``download`` (its download, or with ``kind`` IMPORT its import) for the history;
    ``about``: the wanted book it is about when that is not the download's own (one volume of a series pack)."""
    what = "Import of download" if kind == FailureKind.IMPORT else "Download"
    _record_failure_event(session, download, reason, evidence, kind, about)
    session.add(
        FailedAttempt(
            kind=str(kind),
            subject=f"{what} {download.id}: {download.release_title}"[:1000],
            reason=reason,
            evidence=evidence,
            book_id=about.book_id if about is not None else download.book_id,
            wanted_book_id=about.id if about is not None else download.wanted_book_id,
            download_id=download.id,
            task_id=task_id,
        )
    )


def _record_failure_event(
    session: Session,
    download: Download,
    reason: str,
    evidence: dict[str, Any],
    kind: FailureKind,
    about: WantedBook | None = None,
) -> None:
    """The "download failed" (or "stalled") event, saying what happens next."""
    stalled = kind == FailureKind.DOWNLOAD and "stall" in str(evidence.get("code") or reason).lower()
    retry_at = evidence.get("next_retry_at")
    if retry_at:
        next_step = f"the next-best release is tried after {retry_at}"
    elif "attempt" in evidence and evidence.get("attempt") == evidence.get("max_attempts"):
        next_step = "no attempt is left: the book is marked failed"
    else:
        next_step = "the book stays on the wanted list"
    what = "Import" if kind == FailureKind.IMPORT else "Download"
    event_type = EventType.DOWNLOAD_STALLED if stalled else EventType.DOWNLOAD_FAILED
    message = f"{what} of {download.release_title} failed: {reason}; {next_step}."
    events.record_download_event(
        session, download, event_type, message, None, about=about, reason=reason, next=next_step
    )


def block_release(session: Session, download: Download, reason: str) -> None:
    """Blocklist a download's release by its info hash and by its normalised title at its indexer."""
    add_entry(
        session,
        info_hash=download.info_hash,
        title=download.release_title,
        indexer=download.indexer,
        reason=reason,
        wanted_book_id=download.wanted_book_id,
        download_id=download.id,
    )
    message = f"{download.release_title} at {download.indexer} is blocklisted: {reason}."
    events.record_download_event(session, download, EventType.BLOCKLISTED, message, None, reason=reason)


def fail_attempt(
    session: Session,
    download: Download,
    reason: str,
    evidence: dict[str, Any],
    *,
    now: datetime,
    max_attempts: int,
    retry_base_minutes: int,
    task_id: int | None = None,
    kind: FailureKind = FailureKind.DOWNLOAD,
    blame_release: bool = True,
) -> Retry | None:
    """The one record of a failed attempt, for the grab, the download monitor and the import alike.

    The download becomes failed (None, nothing written, when the lifecycle does not allow it: the row moved on
    meanwhile) and a FailedAttempt keeps the evidence. When the release is to blame (a stall, a refused torrent,
    a download without audio) the attempt is counted in ``attempt_count`` and ``release.failures``, the release
    is blocklisted, and it is retried after a doubling wait while attempts remain. Otherwise (the client was
    unreachable, the files could not be written) no attempt is used: a download is tried again after the first
    wait, an import is not retried. The wanted book goes back to wanted when a retry is scheduled, else failed.
    """
    if not try_move_download(download, DownloadStatus.FAILED):
        return None
    importing = kind == FailureKind.IMPORT
    attempt = download.attempt_count or 0
    if blame_release:
        attempt += 1
        download.attempt_count = attempt
        entry = {"at": now.isoformat(), "reason": f"import: {reason}" if importing else reason}
        failures = [*list((download.release or {}).get("failures") or []), entry]
        download.release = {**(download.release or {}), "failures": failures}
        retry_at = retry_time(now, attempt, max_attempts, retry_base_minutes)
        block_release(session, download, f"import failed: {reason}" if importing else reason)
        shown = dict(evidence) if importing else {**evidence, "attempt": attempt, "max_attempts": max_attempts}
    else:
        retry_at = None if importing else now + timedelta(minutes=retry_base_minutes)
        shown = evidence
    if blame_release:  # the event then says when the next-best release is tried
        shown["next_retry_at"] = retry_at.isoformat() if retry_at else None
    download.result = f"import failed: {reason}" if importing else reason
    download.next_retry_at = retry_at
    write_failed_attempt(session, download, reason, shown, task_id, kind=kind)
    _wanted_after_failure(session, download, retry_at, {"download_id": download.id, **shown}, importing)
    return Retry(attempt, max_attempts, retry_at)


def refuse_pack_volume(
    session: Session, download: Download, row: WantedBook, reason: str, evidence: dict[str, Any], task_id: int | None
) -> None:
    """One volume of a series pack refused at import (its audio is not the wanted edition): that wanted book goes
    back to the wanted list with the evidence, a FailedAttempt and an event about it. The download and the pack's
    other books are not failed and the release is not blocklisted (the pack's info hash is never grabbed again)."""
    try_move_wanted(row, WantedStatus.WANTED)
    row.evidence = {**(row.evidence or {}), "import_failure": {"download_id": download.id, **evidence}}
    write_failed_attempt(session, download, reason, evidence, task_id, kind=FailureKind.IMPORT, about=row)


def wanted_held_by(session: Session, download: Download) -> list[WantedBook]:
    """The wanted books a download holds: its own and, for a series pack, every other one it covers."""
    ids = [download.wanted_book_id] if download.wanted_book_id else []
    if download.id is not None:
        linked = session.scalars(select(DownloadBook.wanted_book_id).where(DownloadBook.download_id == download.id))
        ids += [wanted_id for wanted_id in linked if wanted_id not in ids]
    return [row for wanted_id in ids if (row := session.get(WantedBook, wanted_id)) is not None]


def _wanted_after_failure(
    session: Session, download: Download, retry_at: datetime | None, note: dict[str, Any], importing: bool
) -> None:
    for missing in wanted_held_by(session, download):
        # a pack's other books are not retried with it: each is free to be searched on its own again
        own = missing.id == download.wanted_book_id
        held = missing.status in HELD_BY_DOWNLOAD
        if held:
            try_move_wanted(missing, WantedStatus.WANTED if retry_at or not own else WantedStatus.FAILED)
        if importing:
            missing.evidence = {**(missing.evidence or {}), "import_failure": note}
        elif held and retry_at is None and own:
            missing.evidence = {**(missing.evidence or {}), "acquisition_failure": note}
