"""Reading a pack's audio files for the mapping: each file's duration, album and title tags, chapter titles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mutagen
from mutagen.id3 import ID3
from mutagen.mp4 import MP4

from shelfkeeper.domain.library.naming import AUDIO_EXTENSIONS

_TAG_KEYS = ("album", "title")


@dataclass(frozen=True)
class AudioFacts:
    """Durations (seconds), tags (album, then title) and chapter titles by path; unreadable files are left out."""

    durations: dict[str, float] = field(default_factory=dict)
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    chapters: dict[str, tuple[str, ...]] = field(default_factory=dict)


def read_audio(root: Path, paths: Sequence[str]) -> AudioFacts:
    """What mutagen reads from each audio file of ``paths`` (relative to ``root``); never raises for a file."""
    facts = AudioFacts()
    for path in paths:
        if path.rpartition(".")[2].lower() not in AUDIO_EXTENSIONS:
            continue
        try:
            found = mutagen.File(root / path, easy=True)
        except (mutagen.MutagenError, OSError, ValueError):
            continue
        if found is None:
            continue
        length = getattr(found.info, "length", None)
        if isinstance(length, int | float) and length > 0:
            facts.durations[path] = float(length)
        tags = found.tags or {}
        values = tuple(str(value) for key in _TAG_KEYS for value in (tags.get(key) or []) if str(value).strip())
        if values:
            facts.tags[path] = values
        titles = _chapter_titles(found, root / path)
        if titles:
            facts.chapters[path] = titles
    return facts


def _chapter_titles(found: object, path: Path) -> tuple[str, ...]:
    """An M4B's chapter titles (MP4 chapters), else an MP3's (ID3 CHAP frames, read apart: EasyID3 hides them)."""
    if isinstance(found, MP4):
        return tuple(str(c.title).strip() for c in found.chapters or () if c.title and str(c.title).strip())
    if path.suffix.lower() != ".mp3":
        return ()
    read_id3: Any = ID3  # mutagen is untyped
    try:
        frames = read_id3(path).getall("CHAP")
    except (mutagen.MutagenError, OSError, ValueError):
        return ()
    titles = (
        str(c.sub_frames["TIT2"]).strip() for c in sorted(frames, key=lambda c: c.start_time) if "TIT2" in c.sub_frames
    )
    return tuple(title for title in titles if title)
