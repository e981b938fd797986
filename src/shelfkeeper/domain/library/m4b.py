"""Merging a multi-file MP3 book into one M4B: whether to, its chapters and tags, and whether the result is whole."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from shelfkeeper.domain.library.audio import AudioFileFacts, AudioReport, Chapter, book_chapters
from shelfkeeper.domain.library.naming import safe_file_name

# One file's frames are re-encoded whole: a merge is off by encoder padding only (a fraction of a second per file).
MERGE_SLACK_SECONDS = 2.0
MERGE_TOLERANCE = 0.005
MAX_BITRATE_KBPS = 128  # AAC at the sources' bitrate, never above this (speech gains nothing from more)
MIN_BITRATE_KBPS = 32


@dataclass(frozen=True)
class BookTags:
    """The book's tags written into the merged file."""

    title: str
    authors: tuple[str, ...] = ()
    narrator: str | None = None
    series: str | None = None
    position: str | None = None
    year: int | None = None


@dataclass(frozen=True)
class MergePlan:
    """What the merger is asked to write: the sources in play order, the target's name, chapters, tags, cover."""

    sources: tuple[str, ...]  # paths relative to the download's folder
    target_name: str
    chapters: tuple[Chapter, ...]
    tags: BookTags
    bitrate_kbps: int
    cover: str | None = None  # relative to the download's folder
    seconds: float = 0.0  # the sources' total length


def merge_refusal(report: AudioReport) -> str | None:
    """Why this download is not merged (None: it is a multi-file MP3 book, every file read)."""
    if len(report.files) < 2:
        return "a single file: nothing to merge"
    if any(PurePosixPath(f.name).suffix.lower() != ".mp3" for f in report.files):
        return "not every file is an MP3"
    if any(f.problem is not None for f in report.files):
        return "a file is unreadable or truncated"
    if any(not f.duration_seconds for f in report.files):
        return "a file's length is unknown"
    return None


def _chapter_title(facts: AudioFileFacts, number: int) -> str:
    tag = (facts.tags.title or "").strip()
    if tag:
        return tag
    stem = PurePosixPath(facts.name).stem.strip()
    return stem or f"Chapter {number}"


def plan_merge(report: AudioReport, tags: BookTags, cover: str | None) -> MergePlan:
    """The merge of ``report``'s files (a download ``merge_refusal`` passed): one chapter per file, or the files'
    own chapters, titled by their title tags or file names."""
    files = report.files
    titles = [_chapter_title(facts, number) for number, facts in enumerate(files, 1)]
    bitrate = max(MIN_BITRATE_KBPS, min(MAX_BITRATE_KBPS, report.bitrate_kbps or MAX_BITRATE_KBPS))
    return MergePlan(
        sources=tuple(f.name for f in files),
        target_name=safe_file_name(f"{tags.title}.m4b"),
        chapters=book_chapters(files, titles),
        tags=tags,
        bitrate_kbps=bitrate,
        cover=cover,
        seconds=report.total_seconds or 0.0,
    )


def merge_problem(sources_seconds: float, merged: AudioFileFacts, chapters: int) -> str | None:
    """Why the merged file is not the sources' audio (None: it is): unreadable, another length, chapters lost."""
    if merged.problem is not None or merged.duration_seconds is None:
        return f"the merged file cannot be read ({merged.detail or 'no length'})"
    allowed = max(MERGE_SLACK_SECONDS, MERGE_TOLERANCE * sources_seconds)
    if abs(merged.duration_seconds - sources_seconds) > allowed:
        return (
            f"the merged file lasts {merged.duration_seconds:.1f} s, the sources {sources_seconds:.1f} s "
            f"(more than {allowed:.1f} s apart)"
        )
    if merged.chapters and len(merged.chapters) != chapters:
        return f"the merged file has {len(merged.chapters)} chapters, {chapters} were written"
    return None
