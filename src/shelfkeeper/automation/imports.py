"""Import on completion: a finished download's audio into the library, an Audiobookshelf scan, the Book linked.

Idempotent: a second import of the same download places nothing twice and writes no second Book. The row
stays "completed" until the import is recorded, so a run killed half-way is simply done again by the next
monitor run (files already placed are recognised and kept).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from sqlalchemy.orm import Session

from shelfkeeper.automation.import_audio import book_files, check_before_import, place_audio
from shelfkeeper.automation.import_files import ImportProblem, Linker, Placement, hardlink
from shelfkeeper.automation.import_library import (
    LibraryNotFound,
    find_import_library,
    find_or_scan,
    save_book,
)
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.db.tables import Download, WantedBook
from shelfkeeper.domain.events import EventType
from shelfkeeper.domain.library.items import LibraryItem
from shelfkeeper.domain.library.naming import BookFolder, book_folder, map_remote_path
from shelfkeeper.domain.lifecycle import DownloadStatus, FailureKind, WantedStatus
from shelfkeeper.domain.names import split_names
from shelfkeeper.domain.releases.parsing import parse_release
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.errors import ServiceError, ServiceNotConfigured
from shelfkeeper.services import events
from shelfkeeper.services.downloads import client_of
from shelfkeeper.services.pack_downloads import is_pack_download
from shelfkeeper.services.status import fail_attempt, try_move_download, try_move_wanted, write_failed_attempt

# About a minute of polling after a scan: Audiobookshelf answers the scan request at once and scans afterwards.
POLL_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0)
MAX_WAITS = 3  # imports that found no Audiobookshelf item before the files are called imported anyway
IMPORTABLE = (DownloadStatus.COMPLETED, DownloadStatus.IMPORTING)


class ImportStatus(enum.StrEnum):
    IMPORTED = "imported"  # files in the library (and, when Audiobookshelf listed them, the Book linked)
    ALREADY_IMPORTED = "already_imported"
    WAITING = "waiting"  # files placed; Audiobookshelf has not listed them yet, or a service was down
    FAILED = "failed"  # nothing usable: the download failed, a FailedAttempt says why
    SKIPPED = "skipped"  # not importable now (not completed, LIBRARY_PATH unset, unknown download)


@dataclass(frozen=True)
class ImportOutcome:
    """What one import did, and why."""

    download_id: int
    status: ImportStatus
    reason: str
    book_dir: str | None = None
    linked: int = 0
    copied: int = 0
    present: int = 0
    book_id: int | None = None
    abs_id: str | None = None


@dataclass(frozen=True)
class ImportOptions:
    """The waits and the file linker of an import (tests fake the sleep and make the link fail with EXDEV)."""

    link: Linker = hardlink
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    poll_delays: tuple[float, ...] = POLL_DELAYS
    max_waits: int = MAX_WAITS

    def linker(self, import_mode: str) -> Linker | None:
        """How files reach the library: ``link`` (hardlink, copying where it cannot), or None to copy (IMPORT_MODE)."""
        return self.link if import_mode == "hardlink" else None


@dataclass(frozen=True)
class _Job:
    """The download being imported, as read in the claiming transaction."""

    download_id: int
    wanted_book_id: int | None
    info_hash: str | None
    content_path: str | None
    release_title: str
    client: str | None
    folder: BookFolder
    waits: int


@dataclass
class _Result:
    placement: Placement
    folder: BookFolder
    item: LibraryItem | None = None
    warning: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


async def import_download(run: RunContext, download_id: int, *, options: ImportOptions | None = None) -> ImportOutcome:
    """Place a completed download's audio files in the library, have Audiobookshelf scan them, link the Book.

    Files go to ``LIBRARY_PATH/<Author>/<Series>/<NN> - <Title>/`` (hardlinked, copied across filesystems;
    always copied with IMPORT_MODE=copy);
    the Download becomes imported and the wanted book imported with its ``book_id``. A download without
    audio fails (its release is blocklisted, the wanted book waits for the next-best release); one whose
    files cannot be reached or written fails with the reason, and the wanted book is marked failed with it.
    """
    options = options or ImportOptions()
    library_path = run.app.settings.library_path
    if library_path is None:
        return ImportOutcome(download_id, ImportStatus.SKIPPED, "LIBRARY_PATH is not set: nothing is imported")
    if await run.transaction(lambda s: is_pack_download(s, download_id)):
        # imported here: the pack import builds on this module
        from shelfkeeper.automation.pack_imports import import_pack

        return await import_pack(run, download_id, Path(library_path), options)
    started = run.now().isoformat()
    job = await run.transaction(lambda s: _claim(s, download_id, started))
    if isinstance(job, ImportOutcome):
        return job
    try:
        content = await _content_path(run, job)
        book_dir = Path(library_path) / Path(*job.folder.parts)
        files = await book_files(content)
        audio = await check_before_import(run, job.wanted_book_id, files, job.release_title)
        placement = await place_audio(run, audio, files, book_dir, link=options.linker(run.app.settings.import_mode))
    except ImportProblem as problem:
        return await _fail(run, job, problem)
    except ServiceError as exc:
        return await _wait(run, job, None, f"{job.client or 'download client'}: {exc.message}", counted=False)
    run.log.info(
        "import: download %s placed in %s (%d linked, %d copied, %d already there)",
        job.download_id, placement.book_dir, placement.count("linked"), placement.count("copied"),
        placement.count("present"),
    )  # fmt: skip
    return await _link_in_library(run, job, _Result(placement, job.folder, extra=dict(audio.notes)), options)


# ---- claiming --------------------------------------------------------------------------------------------


def claim_download(session: Session, download_id: int, now: str) -> Download | ImportOutcome:
    """The download to import, its import note stamped ``started_at``; or the outcome saying why there is none
    (not found, already imported, not in an importable status). Shared by the single-book and pack imports."""
    download = session.get(Download, download_id)
    if download is None:
        return ImportOutcome(download_id, ImportStatus.SKIPPED, f"download {download_id} not found")
    if download.status == DownloadStatus.IMPORTED:
        return ImportOutcome(download_id, ImportStatus.ALREADY_IMPORTED, "already imported", book_id=download.book_id)
    if download.status not in IMPORTABLE:
        return ImportOutcome(download_id, ImportStatus.SKIPPED, f"download {download_id} is {download.status}")
    # Not moved to "importing": a crash must leave it "completed", which the monitor imports again.
    download.release = {**(download.release or {}), "import": {**import_note(download), "started_at": now}}
    return download


def _claim(session: Session, download_id: int, now: str) -> _Job | ImportOutcome:
    download = claim_download(session, download_id, now)
    if isinstance(download, ImportOutcome):
        return download
    missing = session.get(WantedBook, download.wanted_book_id) if download.wanted_book_id else None
    return _Job(
        download_id=download.id,
        wanted_book_id=download.wanted_book_id,
        info_hash=download.info_hash,
        content_path=download.content_path,
        release_title=download.release_title,
        client=client_of(download),
        folder=_folder_for(missing, download),
        waits=int(((download.release or {}).get("import") or {}).get("waits") or 0),
    )


def _folder_for(missing: WantedBook | None, download: Download) -> BookFolder:
    """The wanted book's folder; a download for no wanted book is named from its release title."""
    if missing is not None:
        authors = split_names(missing.author_name) or [missing.author_name]
        return book_folder(missing.title, authors, missing.series_name, missing.series_position)
    parsed = parse_release(Release(indexer=download.indexer, title=download.release_title, guid=download.guid))
    series = parsed.series[0] if parsed.series else None
    position = None
    if series is not None and series.position is not None and series.position[0] == series.position[1]:
        position = str(series.position[0])
    return book_folder(parsed.title, parsed.authors, series.name if series else None, position)


async def _content_path(run: RunContext, job: _Job) -> Path:
    return await content_path_of(run, job.info_hash, job.content_path, job.client)


async def content_path_of(run: RunContext, info_hash: str | None, content_path: str | None, client: str | None) -> Path:
    """Where the download's files are, as Shelfkeeper sees them (its client's path through that client's
    remote path mappings)."""
    remote = content_path
    if info_hash and client:
        try:
            found = await run.integrations.download_client_named(client).info(hashes=[info_hash])
        except ServiceNotConfigured:
            found = []
        except ServiceError:
            if not remote:
                raise
            found = []
        # qBittorrent briefly reports a relative path while it checks resume data: the recorded one is better then
        if found and _is_absolute(found[0].content_path):
            remote = found[0].content_path
    if not remote:
        raise ImportProblem(
            "content_unknown",
            f"the torrent is not in {client or 'its download client'} any more and its content path was never recorded",
        )
    return Path(map_remote_path(remote, run.app.settings.path_mappings(client)))


def _is_absolute(path: str) -> bool:
    return PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute()


# ---- Audiobookshelf ----------------------------------------------------------------------------------------


async def _link_in_library(run: RunContext, job: _Job, result: _Result, options: ImportOptions) -> ImportOutcome:
    settings = run.app.settings
    if not settings.configured_services().get("audiobookshelf"):
        result.warning = "Audiobookshelf is not configured: the folder was not scanned"
        return await _complete(run, job, result)
    book_dir, rel_path = str(result.placement.book_dir), result.folder.relative_path
    try:
        client = run.integrations.library()
        library = await find_import_library(client, str(settings.library_path), settings.abs_library_ids)
        result.extra["library_id"] = library.id
        folders = [(book_dir, rel_path)]
        async for _, item in find_or_scan(client, library.id, folders, sleep=options.sleep, delays=options.poll_delays):
            result.item = item
    except LibraryNotFound as exc:
        result.warning = str(exc)
        return await _complete(run, job, result)
    except ServiceError as exc:
        return await _wait(run, job, result, f"Audiobookshelf: {exc.message}", options=options)
    if result.item is None:
        return await _wait(run, job, result, f"Audiobookshelf has not listed {rel_path} yet", options=options)
    return await _complete(run, job, result)


async def _wait(
    run: RunContext,
    job: _Job,
    result: _Result | None,
    reason: str,
    *,
    counted: bool = True,
    options: ImportOptions | None = None,
) -> ImportOutcome:
    """Leave the download "completed" for a later import, or, after ``max_waits``, call the files imported."""
    waits = job.waits + 1 if counted else job.waits
    if result is not None and options is not None and waits >= options.max_waits:
        result.warning = f"{reason} after {waits} imports; the files are in the library"
        return await _complete(run, job, result)
    text = f"waiting to import: {reason}"
    await run.transaction(lambda s: _mark_waiting(s, job.download_id, waits, text))
    run.log.warning("import: download %s %s", job.download_id, text)
    placement = result.placement if result is not None else None
    return ImportOutcome(
        job.download_id,
        ImportStatus.WAITING,
        text,
        book_dir=str(placement.book_dir) if placement else None,
        linked=placement.count("linked") if placement else 0,
        copied=placement.count("copied") if placement else 0,
        present=placement.count("present") if placement else 0,
    )


def _mark_waiting(session: Session, download_id: int, waits: int, text: str) -> None:
    download = session.get(Download, download_id)
    if download is None or download.status not in IMPORTABLE:
        return
    try_move_download(download, DownloadStatus.COMPLETED)
    download.result = text
    download.release = {**(download.release or {}), "import": {**import_note(download), "waits": waits}}


def import_note(download: Download) -> dict[str, Any]:
    """A copy of what the imports noted so far on the download (``release["import"]``)."""
    return dict((download.release or {}).get("import") or {})


# ---- finishing -------------------------------------------------------------------------------------------


async def _complete(run: RunContext, job: _Job, result: _Result) -> ImportOutcome:
    now = run.now()
    book_id = await run.transaction(lambda s: _record_import(s, job, result, now, run.task_id))
    placement = result.placement
    reason = result.warning or f"imported into {placement.book_dir}"
    run.log.info("import: download %s: %s", job.download_id, reason)
    return ImportOutcome(
        job.download_id,
        ImportStatus.IMPORTED,
        reason,
        book_dir=str(placement.book_dir),
        linked=placement.count("linked"),
        copied=placement.count("copied"),
        present=placement.count("present"),
        book_id=book_id,
        abs_id=result.item.id if result.item else None,
    )


def _record_import(session: Session, job: _Job, result: _Result, now: datetime, task_id: int | None) -> int | None:
    download = session.get(Download, job.download_id)
    if download is None:
        return None
    audio = [p for p in result.placement.files if not Path(p.target).name.startswith("cover.")]
    audio_format = Path(audio[0].target).suffix.lstrip(".").lower() if audio else None
    book = save_book(session, result.item, audio_format=audio_format, now=now, task_id=task_id) if result.item else None
    note = {
        "book_dir": str(result.placement.book_dir),
        "files": [p.target for p in result.placement.files],
        "methods": {m: result.placement.count(m) for m in ("linked", "copied", "present")},
        "abs_item_id": result.item.id if result.item else None,
        **result.extra,
    }
    try_move_download(download, DownloadStatus.IMPORTED)
    download.imported_at = now
    download.book_id = book.id if book else download.book_id
    download.result = result.warning or f"imported into {result.placement.book_dir}"
    download.release = {**(download.release or {}), "import": {**import_note(download), **note}}
    missing = session.get(WantedBook, job.wanted_book_id) if job.wanted_book_id else None
    if missing is not None:
        # A book still "grabbed" (the monitor never saw it complete) steps through "downloaded".
        try_move_wanted(missing, WantedStatus.IMPORTED, via=WantedStatus.DOWNLOADED)
        missing.book_id = book.id if book else missing.book_id
        missing.evidence = {**(missing.evidence or {}), "import": {"download_id": download.id, **note}}
    where = f"imported into {result.placement.book_dir}"
    events.record_download_event(
        session, download, EventType.IMPORTED, f"{download.release_title} {where}.", now, path=note["book_dir"]
    )
    if result.warning:
        evidence = {"code": "not_listed", **note}
        write_failed_attempt(session, download, result.warning, evidence, task_id, kind=FailureKind.IMPORT)
    return book.id if book else None


async def _fail(run: RunContext, job: _Job, problem: ImportProblem) -> ImportOutcome:
    now, settings = run.now(), run.app.settings
    retry = (settings.download_max_attempts, settings.download_retry_base_minutes)
    await run.transaction(lambda s: _record_failure(s, job, problem, now, retry, run.task_id))
    run.log.warning("import: download %s failed: %s", job.download_id, problem.reason)
    return ImportOutcome(job.download_id, ImportStatus.FAILED, problem.reason)


def _record_failure(
    session: Session, job: _Job, problem: ImportProblem, now: datetime, retry: tuple[int, int], task_id: int | None
) -> None:
    """The failed import as a failed attempt; with the release at fault (no audio in it) counted and blocklisted."""
    download = session.get(Download, job.download_id)
    if download is None:
        return
    evidence = {"code": problem.code, "book_folder": job.folder.relative_path, **problem.evidence}
    download.release = {**(download.release or {}), "import": {**import_note(download), **evidence}}
    max_attempts, base_minutes = retry
    fail_attempt(session, download, problem.reason, evidence, now=now, max_attempts=max_attempts,
                 retry_base_minutes=base_minutes, task_id=task_id, kind=FailureKind.IMPORT,
                 blame_release=problem.release_fault)  # fmt: skip
