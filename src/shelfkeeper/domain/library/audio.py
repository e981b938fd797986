"""What a download's audio files hold, as read from the files themselves (durations, codec, chapters, tags)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


class FileProblem(enum.StrEnum):
    """Why a file cannot be trusted as a book's audio."""

    UNREADABLE = "unreadable"  # no audio stream could be read from it (the reader's error says why)
    TRUNCATED = "truncated"  # the audio stops before the length the container claims


@dataclass(frozen=True)
class AudioTags:
    """The tags that say which book a file is; any of them may be missing."""

    title: str | None = None
    album: str | None = None
    artist: str | None = None
    album_artist: str | None = None
    composer: str | None = None  # Audiobookshelf reads the composer as the narrator
    narrator: str | None = None  # an explicit narrator tag (TXXX:NARRATOR, ©nrt, ----:…:NARRATOR)

    def to_json(self) -> dict[str, str]:
        return {name: value for name, value in self.__dict__.items() if value}


@dataclass(frozen=True)
class Chapter:
    """One chapter: its title and where it starts and ends, in seconds from the start of its file."""

    title: str
    start: float
    end: float


@dataclass(frozen=True)
class AudioFileFacts:
    """One audio file as read: None where the reader could not tell."""

    name: str  # the path relative to the download
    size_bytes: int
    duration_seconds: float | None = None
    bitrate_kbps: int | None = None
    codec: str | None = None
    chapters: tuple[Chapter, ...] = ()
    tags: AudioTags = field(default_factory=AudioTags)
    problem: FileProblem | None = None
    detail: str | None = None  # the reader's error, or the truncation's numbers
    # The length is a guess from the size (an MP3 without a Xing/VBRI length header, not measured by ffprobe):
    # a variable-bitrate file's guess can be off by half or more.
    estimated: bool = False

    def to_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "name": self.name,
            "size_bytes": self.size_bytes,
            "duration_seconds": round(self.duration_seconds, 3) if self.duration_seconds is not None else None,
            "bitrate_kbps": self.bitrate_kbps,
            "codec": self.codec,
            "chapters": len(self.chapters),
            "tags": self.tags.to_json(),
        }
        if self.problem is not None:
            shown |= {"problem": str(self.problem), "detail": self.detail}
        if self.estimated:
            shown["estimated"] = True
        return shown


@dataclass(frozen=True)
class AudioReport:
    """Every audio file of a download, in play order, and which readers read them."""

    files: tuple[AudioFileFacts, ...]
    readers: tuple[str, ...] = ("mutagen",)  # "ffprobe" too when it is installed

    @property
    def total_seconds(self) -> float | None:
        """The whole book's length from the files that could be read; None when none could."""
        known = [f.duration_seconds for f in self.files if f.duration_seconds is not None and f.problem is None]
        return sum(known) if known else None

    @property
    def chapter_count(self) -> int:
        """The files' own chapters, or one per file when they have none."""
        return sum(len(f.chapters) or 1 for f in self.files)

    @property
    def codecs(self) -> tuple[str, ...]:
        return tuple(sorted({f.codec for f in self.files if f.codec}))

    @property
    def bitrate_kbps(self) -> int | None:
        """The duration-weighted bitrate of the files that say theirs."""
        pairs = [(f.bitrate_kbps, f.duration_seconds) for f in self.files if f.bitrate_kbps and f.duration_seconds]
        seconds = sum(d for _, d in pairs)
        return round(sum(b * d for b, d in pairs) / seconds) if seconds else None

    def summary(self) -> dict[str, Any]:
        total = self.total_seconds
        return {
            "files": len(self.files),
            "total_seconds": round(total, 1) if total is not None else None,
            "codecs": list(self.codecs),
            "bitrate_kbps": self.bitrate_kbps,
            "chapters": self.chapter_count,
            "readers": list(self.readers),
        }


def show_duration(seconds: float) -> str:
    """ "8 h 05 min", "12 min 30 s", "4.0 s"."""
    if seconds >= 3600:
        hours, rest = divmod(round(seconds / 60), 60)
        return f"{hours} h {rest:02d} min"
    if seconds >= 60:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min {rest:02d} s"
    return f"{seconds:.1f} s"


def book_chapters(files: Sequence[AudioFileFacts], titles: Sequence[str]) -> tuple[Chapter, ...]:
    """The chapters of the files played one after the other: each file's own chapters moved to where the file
    starts, or one chapter per file (titled from ``titles``) for a file without any."""
    chapters: list[Chapter] = []
    start = 0.0
    for facts, title in zip(files, titles, strict=True):
        length = facts.duration_seconds or 0.0
        if len(facts.chapters) > 1:
            chapters.extend(Chapter(c.title, start + c.start, start + min(c.end, length)) for c in facts.chapters)
        else:
            chapters.append(Chapter(title, start, start + length))
        start += length
    return tuple(chapters)
