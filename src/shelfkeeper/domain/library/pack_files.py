"""Mapping a series pack's files to its books: by folder names, file names, then tags (titles, volume numbers).

Pure: paths in, a mapping out. A folder (at any depth) that names one volume, by its title's words or a volume
number ("Book 2", "02 - ", "#2", "Vol. 2"), gives all its files to that volume; a file outside such folders is
mapped by its own name, else by its tags (album, title). A title outranks a number. Files that map to no volume
are listed with the reason, never dropped. When the volumes' runtimes are known and the files' durations are
given, a volume whose files last far less or far more than its runtime is reported too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from shelfkeeper.domain.releases.people import words
from shelfkeeper.domain.text import format_position, normalize_title

_GLUE = frozenset({"the", "a", "an", "and", "of", "by", "book", "vol", "volume", "part"})
_NOT_A_RANGE = r"(?!\s*(?:-|–|—|to\b)\s*\d)"  # "Books 1-3" names the pack, not its first volume
_KEYWORD_NUMBER = re.compile(
    r"(?:\b(?:books?|bk|vol|volume|part|tome)\.?\s*#?|#)\s*(\d{1,3}(?:\.\d{1,2})?)\b" + _NOT_A_RANGE, re.I
)
_LEADING_NUMBER = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,2})?)" + _NOT_A_RANGE + r"\s*(?:[-–—.:_)]|\s-\s|$)")
_DURATION_SLACK = 0.25  # files lasting a quarter less or more than the runtime are worth a look


@dataclass(frozen=True)
class PackVolume:
    """A volume the pack should hold: its number, its title, its runtime when a provider gave one."""

    position: Decimal
    title: str
    duration_minutes: int | None = None


@dataclass(frozen=True)
class Unmatched:
    """A file that maps to no volume, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class PackMapping:
    """The files of each volume (paths as given), the files that map to none, and notes on the mapping."""

    files: Mapping[Decimal, tuple[str, ...]]
    unmatched: tuple[Unmatched, ...]
    how: Mapping[Decimal, str]  # "folder 'Book 1 - The Final Empire' names the title", per volume
    notes: tuple[str, ...] = ()

    def volume_files(self, position: Decimal) -> tuple[str, ...]:
        return self.files.get(position, ())


def map_pack_files(
    paths: Sequence[str],
    volumes: Sequence[PackVolume],
    durations: Mapping[str, float] | None = None,
    tags: Mapping[str, Sequence[str]] | None = None,
) -> PackMapping:
    """Which of ``paths`` (relative, "/"-separated) belong to which volume; see the module's rules.

    ``durations`` (seconds) and ``tags`` (the album, then the title, as the files' tags give them) are by path;
    tags map a file that neither its folders nor its name place.
    """
    by_volume: dict[Decimal, list[str]] = {}
    how: dict[Decimal, str] = {}
    unmatched: list[Unmatched] = []
    for path in sorted(paths):
        found = _volume_of(path, volumes) or _volume_by_tags((tags or {}).get(path, ()), volumes)
        if found is None:
            unmatched.append(Unmatched(path, "neither its folders, its name nor its tags name a volume of the pack"))
            continue
        position, why = found
        by_volume.setdefault(position, []).append(path)
        how.setdefault(position, why)
    notes = _duration_notes(by_volume, volumes, durations or {})
    files = {position: tuple(found) for position, found in by_volume.items()}
    return PackMapping(files, tuple(unmatched), how, notes)


def _volume_of(path: str, volumes: Sequence[PackVolume]) -> tuple[Decimal, str] | None:
    parts = path.split("/")
    for depth, folder in enumerate(parts[:-1]):
        found = _named_volume(folder, volumes, leading_number=True)
        if found is not None:
            return found[0], f"folder '{'/'.join(parts[: depth + 1])}' {found[1]}"
    found = _named_volume(_stem(parts[-1]), volumes, leading_number=False)
    return (found[0], f"file name {found[1]}") if found is not None else None


def _volume_by_tags(values: Sequence[str], volumes: Sequence[PackVolume]) -> tuple[Decimal, str] | None:
    for value in values:
        found = _named_volume(value, volumes, leading_number=False)
        if found is not None:
            return found[0], f"tag '{value}' {found[1]}"
    return None


def _named_volume(name: str, volumes: Sequence[PackVolume], *, leading_number: bool) -> tuple[Decimal, str] | None:
    """The volume a folder or file name names: by title words first, then by a volume number.

    A leading number counts for folders only ("02 - The Well of Ascension"); in a file name it is a track.
    """
    name_words = set(words(name))
    titled = [
        (len(title_words), volume)
        for volume in volumes
        if (title_words := _title_words(volume.title)) and title_words <= name_words
    ]
    if titled:
        best = max(size for size, _ in titled)
        winners = [volume for size, volume in titled if size == best]
        if len(winners) == 1:
            return winners[0].position, f"names the title '{winners[0].title}'"
    number = _KEYWORD_NUMBER.search(name) or (_LEADING_NUMBER.match(name) if leading_number else None)
    if number is not None:
        position = Decimal(number.group(1)).normalize()
        if any(volume.position == position for volume in volumes):
            return position, f"names volume {format_position(position)}"
    return None


def _title_words(title: str) -> frozenset[str]:
    main = title.partition(":")[0]
    return frozenset(w for w in words(normalize_title(main)) if w not in _GLUE)


def _stem(name: str) -> str:
    return name.rpartition(".")[0] or name


def _duration_notes(
    by_volume: Mapping[Decimal, Sequence[str]], volumes: Sequence[PackVolume], durations: Mapping[str, float]
) -> tuple[str, ...]:
    notes = []
    for volume in volumes:
        files = by_volume.get(volume.position, ())
        if not volume.duration_minutes or not files or not all(path in durations for path in files):
            continue
        minutes = sum(durations[path] for path in files) / 60
        if abs(minutes - volume.duration_minutes) > _DURATION_SLACK * volume.duration_minutes:
            notes.append(
                f"volume {format_position(volume.position)}: its files last {minutes:.0f} min, "
                f"the wanted edition {volume.duration_minutes} min"
            )
    return tuple(notes)
