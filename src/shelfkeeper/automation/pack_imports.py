"""Importing a finished series pack: its files mapped to its books, each book into its own library folder.

The pack's files are mapped to the wanted books it covers (domain/library/pack_files.py); each book's files go
through the audio check against that book's wanted edition and are hardlinked (copied across filesystems, or
merged into one M4B when the profile asks) into ``Author/Series/NN - Title``; the download is left untouched,
so the pack keeps seeding. A book already in the library is skipped; a book the pack turns out not to hold, or
whose volume the audio check refuses, goes back to the wanted list (a refusal with a FailedAttempt and an event
saying what was found) while the other volumes are imported; the release is blocklisted only when no volume at
all could be imported. Files that map to no book stay in the download and are reported (an event and a
FailedAttempt). Audiobookshelf scans once for all the books.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from shelfkeeper.automation.import_audio import BookFiles, check_before_import, place_audio
from shelfkeeper.automation.import_files import ImportProblem, Placement, list_content
from shelfkeeper.automation.import_library import (
    LibraryNotFound,
    find_import_library,
    find_or_scan,
    save_book,
)
from shelfkeeper.automation.imports import (
    ImportOptions,
    ImportOutcome,
    ImportStatus,
    claim_download,
    content_path_of,
    import_note,
)
from shelfkeeper.automation.pack_audio import read_audio
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.db.tables import Download, WantedBook
from shelfkeeper.domain.events import EventType
from shelfkeeper.domain.library.items import LibraryItem
from shelfkeeper.domain.library.naming import BookFolder, book_folder, plan_book_files
from shelfkeeper.domain.library.pack_files import PackMapping, PackVolume, map_pack_files
from shelfkeeper.domain.lifecycle import DownloadStatus, FailureKind, WantedStatus
from shelfkeeper.domain.names import split_names
from shelfkeeper.domain.text import parse_position
from shelfkeeper.errors import ServiceError
from shelfkeeper.services import events
from shelfkeeper.services.downloads import client_of, wanted_book_of
from shelfkeeper.services.pack_downloads import owned_book_ids, pack_links, report_unmatched
from shelfkeeper.services.status import fail_attempt, refuse_pack_volume, try_move_download, try_move_wanted


@dataclass(frozen=True)
class _Book:
    wanted_id: int
    position: Decimal
    title: str
    folder: BookFolder
    duration_minutes: int | None
    owned_book_id: int | None  # already in the library: skipped


@dataclass(frozen=True)
class _Job:
    download_id: int
    info_hash: str | None
    content_path: str | None
    release_title: str
    books: tuple[_Book, ...]
    client: str | None


@dataclass
class _Placed:
    book: _Book
    placement: Placement
    notes: dict[str, Any] = field(default_factory=dict)  # the audio check's verdict and the M4B merge's answer
    item: LibraryItem | None = None


@dataclass
class _Outcome:
    placed: list[_Placed] = field(default_factory=list)
    missing: dict[int, str] = field(default_factory=dict)  # wanted id -> why it was not imported
    refused: dict[int, ImportProblem] = field(default_factory=dict)  # wanted id -> the audio check's refusal
    warning: str | None = None


async def import_pack(run: RunContext, download_id: int, library_path: Path, options: ImportOptions) -> ImportOutcome:
    """Import every wanted book a finished pack download holds; see the module's docstring."""
    started = run.now().isoformat()
    job = await run.transaction(lambda s: _claim(s, download_id, started))
    if isinstance(job, ImportOutcome):
        return job
    try:
        content = await content_path_of(run, job.info_hash, job.content_path, job.client)
        root, paths = await asyncio.to_thread(list_content, content)
    except ImportProblem as problem:
        return await _fail(run, job, problem)
    except ServiceError as exc:
        return ImportOutcome(
            download_id, ImportStatus.WAITING, f"waiting to import: {job.client or 'download client'}: {exc.message}"
        )
    volumes = [PackVolume(b.position, b.title, b.duration_minutes) for b in job.books]
    audio = await asyncio.to_thread(read_audio, root, paths)
    mapping = map_pack_files(paths, volumes, audio.durations, audio.tags, audio.chapters)
    outcome = _Outcome()
    link = options.linker(run.app.settings.import_mode)
    for book in job.books:
        if book.owned_book_id is not None:
            continue
        files = mapping.volume_files(book.position)
        if not files:
            outcome.missing[book.wanted_id] = f"no file of the pack maps to volume {book.position} '{book.title}'"
            continue
        book_files = BookFiles(content, root, plan_book_files(files))
        try:
            step = await check_before_import(run, book.wanted_id, book_files, job.release_title)
        except ImportProblem as refused:  # this volume only: the others are still imported
            outcome.refused[book.wanted_id] = refused
            continue
        try:
            book_dir = library_path / Path(*book.folder.parts)
            placement = await place_audio(run, step, book_files, book_dir, link=link)
        except ImportProblem as not_placed:
            outcome.missing[book.wanted_id] = not_placed.reason
            continue
        outcome.placed.append(_Placed(book, placement, dict(step.notes)))
    if not outcome.placed and all(b.owned_book_id is None for b in job.books):
        return await _fail(run, job, _nothing_imported(job, outcome, paths))
    outcome.warning = await _scan_once(run, outcome.placed, library_path, options)
    now = run.now()
    await run.transaction(lambda s: _record(s, job, outcome, mapping, now, run.task_id))
    dirs = [str(p.placement.book_dir) for p in outcome.placed]
    run.log.info("import: pack download %s imported as %d books: %s", download_id, len(dirs), ", ".join(dirs))
    first = outcome.placed[0] if outcome.placed else None
    return ImportOutcome(
        download_id,
        ImportStatus.IMPORTED,
        outcome.warning or f"series pack imported as {len(dirs)} books",
        book_dir=str(first.placement.book_dir) if first else None,
        linked=sum(p.placement.count("linked") for p in outcome.placed),
        copied=sum(p.placement.count("copied") for p in outcome.placed),
        present=sum(p.placement.count("present") for p in outcome.placed),
    )


def _nothing_imported(job: _Job, outcome: _Outcome, paths: list[str]) -> ImportProblem:
    """The pack's failure when no volume could be imported: the release is to blame (and blocklisted)."""
    titles = {b.wanted_id: f"volume {b.position} '{b.title}'" for b in job.books}
    refused = [{"wanted_book_id": w, "volume": titles[w], "reason": p.reason, **p.evidence}
               for w, p in outcome.refused.items()]  # fmt: skip
    shown = "; ".join([*(f"{r['volume']}: {r['reason']}" for r in refused), *outcome.missing.values()])
    if refused and not outcome.missing:
        reason = f"every volume of the pack was refused by the audio check: {shown}"
        return ImportProblem("audio_check", reason, evidence={"volumes": refused}, release_fault=True)
    evidence = {"files": paths[:50], **({"volumes": refused} if refused else {})}
    return ImportProblem("pack_unmapped", f"no book of the pack could be imported: {shown}", evidence=evidence,
                         release_fault=True)  # fmt: skip


def _claim(session: Session, download_id: int, now: str) -> _Job | ImportOutcome:
    download = claim_download(session, download_id, now)
    if isinstance(download, ImportOutcome):
        return download
    books = []
    for link in pack_links(session, download_id):
        row = session.get(WantedBook, link.wanted_book_id)
        position = parse_position(link.position)
        if row is None or position is None or position[0] != position[1]:
            continue
        owned = owned_book_ids(session, row.series_name or "").get(position[0])
        if row.status == WantedStatus.IMPORTED:
            owned = row.book_id or owned or 0
        authors = split_names(row.author_name) or [row.author_name]
        books.append(
            _Book(
                wanted_id=row.id,
                position=position[0],
                title=row.title,
                folder=book_folder(row.title, authors, row.series_name, row.series_position),
                duration_minutes=wanted_book_of(row).duration_minutes,
                owned_book_id=owned,
            )
        )
    return _Job(
        download.id,
        download.info_hash,
        download.content_path,
        download.release_title,
        tuple(books),
        client_of(download),
    )


async def _scan_once(run: RunContext, placed: list[_Placed], library_path: Path, options: ImportOptions) -> str | None:
    """Find each book's Audiobookshelf item, asking for one scan for them all; a warning when that fails."""
    settings = run.app.settings
    if not placed:
        return None
    if not settings.configured_services().get("audiobookshelf"):
        return "Audiobookshelf is not configured: the folders were not scanned"
    try:
        client = run.integrations.library()
        library = await find_import_library(client, str(library_path), settings.abs_library_ids)
        folders = [(str(e.placement.book_dir), e.book.folder.relative_path) for e in placed]
        async for index, item in find_or_scan(
            client, library.id, folders, sleep=options.sleep, delays=options.poll_delays
        ):
            placed[index].item = item
    except LibraryNotFound as exc:
        return str(exc)
    except ServiceError as exc:
        return f"Audiobookshelf: {exc.message}; the books are in the library, the next library sync links them"
    unlisted = [e.book.folder.relative_path for e in placed if e.item is None]
    return f"Audiobookshelf has not listed {', '.join(unlisted)}" if unlisted else None


def _record(
    session: Session, job: _Job, outcome: _Outcome, mapping: PackMapping, now: datetime, task_id: int | None
) -> None:
    download = session.get(Download, job.download_id)
    if download is None:
        return
    books: list[dict[str, Any]] = []
    for entry in outcome.placed:
        book = save_book(session, entry.item, audio_format=_format(entry.placement), now=now, task_id=task_id) \
            if entry.item else None  # fmt: skip
        note = {
            "download_id": download.id,
            "book_dir": str(entry.placement.book_dir),
            "files": [p.target for p in entry.placement.files],
            "methods": {m: entry.placement.count(m) for m in ("linked", "copied", "present")},
            "mapped_by": mapping.how.get(entry.book.position),
            "abs_item_id": entry.item.id if entry.item else None,
            **entry.notes,
        }
        row = _imported(session, entry.book.wanted_id, book.id if book else None, {"import": note})
        download.book_id = download.book_id or (book.id if book else None)
        books.append({"wanted_book_id": entry.book.wanted_id, "position": str(entry.book.position), **note})
        message = f"Volume {entry.book.position} '{entry.book.title}' of {download.release_title} imported into " \
                  f"{entry.placement.book_dir}."  # fmt: skip
        events.record_download_event(session, download, EventType.IMPORTED, message, now, about=row,
                                     path=note["book_dir"])  # fmt: skip
    skipped = [b for b in job.books if b.owned_book_id is not None]
    for book_row in skipped:
        owned = book_row.owned_book_id or None
        _imported(session, book_row.wanted_id, owned, {"import": {"download_id": download.id, "skipped": "owned"}})
    for wanted_id, why in outcome.missing.items():
        row = session.get(WantedBook, wanted_id)
        if row is not None:
            try_move_wanted(row, WantedStatus.WANTED)  # the pack did not hold it: searched again on its own
            row.evidence = {**(row.evidence or {}), "pack_import": {"download_id": download.id, "reason": why}}
    refused = _refuse(session, download, job, outcome, task_id)
    unmatched = [{"path": u.path, "reason": u.reason} for u in mapping.unmatched]
    if unmatched:
        report_unmatched(session, download, unmatched, now, task_id)
    summary = f"series pack imported as {len(books)} books"
    if skipped:
        summary += f", {len(skipped)} already owned"
    if outcome.missing:
        summary += f", {len(outcome.missing)} not in the pack"
    if refused:
        summary += f", {len(refused)} refused by the audio check (wanted again)"
    if unmatched:
        summary += f"; {len(unmatched)} files map to no book (kept in the download)"
    try_move_download(download, DownloadStatus.IMPORTED)
    download.imported_at = now
    download.result = outcome.warning or summary
    pack_note = {
        "books": books,
        "skipped": [{"wanted_book_id": b.wanted_id, "book_id": b.owned_book_id} for b in skipped],
        "missing": [{"wanted_book_id": w, "reason": why} for w, why in outcome.missing.items()],
        "refused": refused,
        "unmatched": unmatched,
        "notes": list(mapping.notes),
        "warning": outcome.warning,
    }
    download.release = {**(download.release or {}), "import": {**import_note(download), "pack": pack_note}}


def _refuse(
    session: Session, download: Download, job: _Job, outcome: _Outcome, task_id: int | None
) -> list[dict[str, Any]]:
    """Each volume the audio check refused: its wanted book back to wanted, with the evidence (services/status.py)."""
    shown = []
    for book in job.books:
        problem = outcome.refused.get(book.wanted_id)
        row = session.get(WantedBook, book.wanted_id) if problem is not None else None
        if problem is None or row is None:
            continue
        reason = f"volume {book.position} '{book.title}': {problem.reason}"
        evidence = {"code": problem.code, "volume": str(book.position), **problem.evidence}
        refuse_pack_volume(session, download, row, reason, evidence, task_id)
        shown.append({"wanted_book_id": book.wanted_id, "position": str(book.position), "reason": problem.reason})
    return shown


def _imported(session: Session, wanted_id: int, book_id: int | None, evidence: dict[str, Any]) -> WantedBook | None:
    row = session.get(WantedBook, wanted_id)
    if row is None:
        return None
    try_move_wanted(row, WantedStatus.IMPORTED, via=WantedStatus.DOWNLOADED)
    row.book_id = book_id or row.book_id
    row.evidence = {**(row.evidence or {}), **evidence}
    return row


def _format(placement: Placement) -> str | None:
    audio = [p for p in placement.files if not Path(p.target).name.startswith("cover.")]
    return Path(audio[0].target).suffix.lstrip(".").lower() if audio else None


async def _fail(run: RunContext, job: _Job, problem: ImportProblem) -> ImportOutcome:
    now, settings = run.now(), run.app.settings

    def record(session: Session) -> None:
        download = session.get(Download, job.download_id)
        if download is None:
            return
        evidence = {"code": problem.code, **problem.evidence}
        download.release = {**(download.release or {}), "import": {**import_note(download), **evidence}}
        fail_attempt(session, download, problem.reason, evidence, now=now, max_attempts=settings.download_max_attempts,
                     retry_base_minutes=settings.download_retry_base_minutes, task_id=run.task_id,
                     kind=FailureKind.IMPORT, blame_release=problem.release_fault)  # fmt: skip

    await run.transaction(record)
    run.log.warning("import: pack download %s failed: %s", job.download_id, problem.reason)
    return ImportOutcome(job.download_id, ImportStatus.FAILED, problem.reason)
