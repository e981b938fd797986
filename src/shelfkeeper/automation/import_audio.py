"""The import's audio steps: the audio check before anything is placed, and the optional M4B merge.

The check reads every audio file of one book (AudioInspector) and compares it with the wanted edition; a
refusal is an ``ImportProblem`` the release is blamed for, so a single-book import fails the usual way: the
release is blocklisted with the evidence, the FailedAttempt and the event say what was found, and the next-best
release is grabbed after the retry wait. A series pack checks each book's files on their own (``BookFiles``) and
refuses only that volume (automation/pack_imports.py). The download's files are never changed (the torrent keeps
seeding).
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from shelfkeeper.automation.import_files import (
    ImportProblem,
    Linker,
    PlacedFile,
    Placement,
    foreign_audio,
    place_plan,
    plan_content,
)
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.db.tables import WantedBook
from shelfkeeper.domain.library.audio import AudioReport
from shelfkeeper.domain.library.audio_check import AudioThresholds, AudioVerdict, check_audio
from shelfkeeper.domain.library.m4b import BookTags, merge_problem, merge_refusal, plan_merge
from shelfkeeper.domain.library.naming import FileKind, FilePlan
from shelfkeeper.domain.releases.verification import WantedEdition
from shelfkeeper.ports import MergeFailed
from shelfkeeper.services.downloads import wanted_book_of

_PARTIAL_SUFFIX = ".shelfkeeper-partial"
MAX_FILES_SHOWN = 50


@dataclass(frozen=True)
class BookFiles:
    """One book's files in a download: the download's content, the folder the plan's paths are relative to, and
    the plan (the whole download for a single book, the files mapped to one volume for a series pack)."""

    content: Path
    root: Path
    plan: FilePlan


async def book_files(content: Path) -> BookFiles:
    """Every file of a download's content as one book."""
    root, plan = await asyncio.to_thread(plan_content, content)
    return BookFiles(content, root, plan)


@dataclass
class AudioStep:
    """What the audio check found (None when it is off) and the notes the import keeps."""

    report: AudioReport | None = None
    verdict: AudioVerdict | None = None
    wanted: WantedEdition | None = None
    year: int | None = None
    notes: dict[str, Any] = field(default_factory=dict)


def _wanted(session: Session, wanted_id: int | None) -> tuple[WantedEdition, int | None] | None:
    missing = session.get(WantedBook, wanted_id) if wanted_id else None
    if missing is None:
        return None
    return wanted_book_of(missing), missing.release_date.year if missing.release_date else None


def thresholds(run: RunContext, *, known_book: bool) -> AudioThresholds:
    s = run.app.settings
    return AudioThresholds(
        min_runtime_ratio=s.audio_min_runtime_ratio,
        title_min_similarity=s.audio_title_min_similarity,
        author_min_similarity=s.audio_author_min_similarity,
        check_tags=s.audio_check_tags and known_book,
        check_narrator=s.audio_check_narrator and known_book,
    )


async def check_before_import(
    run: RunContext, wanted_id: int | None, files: BookFiles, release_title: str
) -> AudioStep:
    """Read the book's audio and judge it; raises ``ImportProblem`` (the release's fault) when refused."""
    settings = run.app.settings
    merging = settings.quality_merge_mp3_to_m4b
    if not settings.audio_check_enabled and not merging:
        return AudioStep(notes={"audio_check": {"skipped": "AUDIO_CHECK_ENABLED is off"}})
    root, plan, content = files.root, files.plan, files.content
    if not plan.audio:
        return AudioStep()  # place_plan says "no audio" with its own evidence
    found = await run.transaction(lambda s: _wanted(s, wanted_id))
    wanted, year = found if found is not None else (WantedEdition(title=release_title), None)
    report = await run.integrations.audio_inspector().inspect(str(root), [f.source for f in plan.audio])
    step = AudioStep(report=report, wanted=wanted, year=year)
    if not settings.audio_check_enabled:
        step.notes["audio_check"] = {"skipped": "AUDIO_CHECK_ENABLED is off", **report.summary()}
        return step
    verdict = check_audio(report, wanted, thresholds(run, known_book=found is not None))
    step.verdict = verdict
    step.notes["audio_check"] = verdict.to_json()
    if not verdict.accepted:
        shown = [facts.to_json() for facts in report.files[:MAX_FILES_SHOWN]]
        evidence = {"audio_check": verdict.to_json(), "files": shown, "content_path": str(content)}
        raise ImportProblem("audio_check", verdict.text, evidence=evidence, release_fault=True)
    run.log.info("import: %s: %s", release_title, "; ".join(r.text for r in verdict.reasons))
    return step


async def place_audio(
    run: RunContext, step: AudioStep, files: BookFiles, book_dir: Path, *, link: Linker | None
) -> Placement:
    """The files placed in the book folder: merged into one M4B when the profile asks and the merge is whole,
    else hardlinked (copied) as they are; ``step.notes["m4b"]`` says which and why."""
    if not run.app.settings.quality_merge_mp3_to_m4b or step.report is None:
        return await _plain(files, book_dir, link)
    refusal = merge_refusal(step.report) or run.integrations.audio_merger().unavailable()
    if refusal is None:
        try:
            placement = await _merge(run, step, files, book_dir)
        except (MergeFailed, OSError) as exc:
            refusal = f"the merge failed: {exc}"
        else:
            step.notes["m4b"] = {"merged": True, "file": placement.files[0].target}
            return placement
    step.notes["m4b"] = {"merged": False, "reason": refusal}
    run.log.warning("import: %s not merged into an M4B: %s; the files are imported as they are", book_dir, refusal)
    return await _plain(files, book_dir, link)


async def _plain(files: BookFiles, book_dir: Path, link: Linker | None) -> Placement:
    return await asyncio.to_thread(place_plan, files.root, files.plan, book_dir, link=link, content=files.content)


async def _merge(run: RunContext, step: AudioStep, book: BookFiles, book_dir: Path) -> Placement:
    assert step.report is not None and step.wanted is not None
    root, files, content = book.root, book.plan, book.content
    cover = next((f.source for f in files.files if f.kind == FileKind.COVER), None)
    wanted = step.wanted
    tags = BookTags(wanted.title, wanted.authors, wanted.narrator, wanted.series, wanted.position, step.year)
    plan = plan_merge(step.report, tags, cover)
    target = book_dir / plan.target_name
    if await asyncio.to_thread(_ready_for, book_dir, target):
        return Placement(book_dir, (PlacedFile(str(content), str(target), "present"),), files.ignored)
    partial = target.with_name(f".{target.name}{_PARTIAL_SUFFIX}")
    try:
        await run.integrations.audio_merger().merge(str(root), plan, str(partial))
        merged = await run.integrations.audio_inspector().inspect_file(str(partial))
        problem = merge_problem(plan.seconds, merged, len(plan.chapters))
        if problem is not None:
            raise MergeFailed(problem)
        await asyncio.to_thread(os.replace, partial, target)
    finally:
        await asyncio.to_thread(partial.unlink, missing_ok=True)
    run.log.info("import: %d files merged into %s (%d chapters)", len(plan.sources), target, len(plan.chapters))
    return Placement(book_dir, (PlacedFile(str(content), str(target), "merged"),), files.ignored)


def _ready_for(book_dir: Path, target: Path) -> bool:
    """True when an earlier run of this import merged the book already; else the folder is made ready. Audio
    already in it (an earlier run that placed the files as they are) is no place for a merge: ``MergeFailed``,
    and the plain placement then recognises its files or refuses what is not its own."""
    if target.is_file():
        return True
    others = foreign_audio(book_dir, {target.name})
    if others:
        raise MergeFailed(f"{book_dir} already holds audio ({', '.join(others[:3])})")
    book_dir.mkdir(parents=True, exist_ok=True)
    return False
