"""Reading a pack's audio files for the mapping: each file's duration and its album and title tags (mutagen)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import mutagen

from shelfkeeper.domain.library.naming import AUDIO_EXTENSIONS

_TAG_KEYS = ("album", "title")


@dataclass(frozen=True)
class AudioFacts:
    """Durations (seconds) and tags (album, then title) by path; files mutagen cannot read are left out."""

    durations: dict[str, float] = field(default_factory=dict)
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)


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
    return facts
