"""Mapping a series pack's files to its books: folder names, file names, tags, chapter titles, then durations.

Pure: paths in, a mapping out. A folder (at any depth) that names one volume, by its title's words or a volume
number ("Book 2", "02 - ", "#2", "Vol. 2"), gives all its files to that volume; a file outside such folders is
mapped by its own name, else by its tags (album, title). A title outranks a number. Files still unmatched then go,
in this order, to a volume no earlier step gave a file:

- by their chapter titles, when the chapters that name a volume's title ("Book 2: The Dark Forest") all name the
  same one (titles only: "Part 1" in a chapter is a part of the book, not volume 1);
- by their durations against the providers' runtimes (see ``_by_durations``), when every volume still without files
  has a runtime and each leftover file (or each leftover folder, when they lie in several) lasts as long as exactly
  one of them, within ``max(10 %, 15 min)``; anything ambiguous stays unmatched, never guessed.

Every file placed carries how (``MappedBy``, and a sentence per volume). Files that map to no volume are listed
with the reason, never dropped. A volume whose files last far less or far more than its runtime is noted too.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from shelfkeeper.domain.library.naming import AUDIO_EXTENSIONS
from shelfkeeper.domain.releases.people import words
from shelfkeeper.domain.text import format_position, normalize_title

_GLUE = frozenset({"the", "a", "an", "and", "of", "by", "book", "vol", "volume", "part"})
_NOT_A_RANGE = r"(?!\s*(?:-|–|—|to\b)\s*\d)"  # "Books 1-3" names the pack, not its first volume
_KEYWORD_NUMBER = re.compile(
    r"(?:\b(?:books?|bk|vol|volume|part|tome)\.?\s*#?|#)\s*(\d{1,3}(?:\.\d{1,2})?)\b" + _NOT_A_RANGE, re.I
)
_LEADING_NUMBER = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,2})?)" + _NOT_A_RANGE + r"\s*(?:[-–—.:_)]|\s-\s|$)")
_DURATION_SLACK = 0.25  # files lasting a quarter less or more than the runtime are worth a look
# Durations place a leftover file (or folder) on a runtime within the larger of these; editions differ by minutes
_RUNTIME_SHARE = 0.10
_RUNTIME_MINUTES = 15.0


class MappedBy(enum.StrEnum):
    """How a file was placed on its volume."""

    FOLDER = "folder"
    FILE_NAME = "file_name"
    TAGS = "tags"
    CHAPTERS = "chapters"
    DURATION = "duration"


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
    matched_by: Mapping[str, MappedBy] = field(default_factory=dict)  # per placed path

    def volume_files(self, position: Decimal) -> tuple[str, ...]:
        return self.files.get(position, ())


def map_pack_files(
    paths: Sequence[str],
    volumes: Sequence[PackVolume],
    durations: Mapping[str, float] | None = None,
    tags: Mapping[str, Sequence[str]] | None = None,
    chapters: Mapping[str, Sequence[str]] | None = None,
) -> PackMapping:
    """Which of ``paths`` (relative, "/"-separated) belong to which volume; see the module's rules.

    ``durations`` (seconds), ``tags`` (the album, then the title, as the files' tags give them) and ``chapters``
    (the files' chapter titles) are by path.
    """
    found: dict[str, tuple[Decimal, MappedBy, str]] = {}
    left: list[str] = []
    for path in sorted(paths):
        placed = _volume_of(path, volumes) or _volume_by_tags((tags or {}).get(path, ()), volumes)
        if placed is None:
            left.append(path)
        else:
            found[path] = placed
    unmatched: dict[str, str] = {}
    filled = {position for position, _, _ in found.values()}
    for path in left:
        outcome = _volume_by_chapters((chapters or {}).get(path, ()), volumes, filled)
        if isinstance(outcome, tuple):
            found[path] = outcome
        elif outcome:
            unmatched[path] = outcome
    filled |= {position for position, _, _ in found.values()}
    rest = [path for path in left if path not in found and path not in unmatched]
    placed_by_duration, refused, duration_notes = _by_durations(rest, volumes, filled, durations or {})
    found |= placed_by_duration
    unmatched |= refused
    by_volume: dict[Decimal, list[str]] = {}
    how: dict[Decimal, str] = {}
    for path in sorted(found):
        position, _, why = found[path]
        by_volume.setdefault(position, []).append(path)
        how.setdefault(position, why)
    nothing = "neither its folders, its name, its tags, its chapters nor its duration name a volume of the pack"
    leftovers = tuple(Unmatched(path, unmatched.get(path, nothing)) for path in left if path not in found)
    notes = duration_notes + _duration_notes(by_volume, volumes, durations or {})
    files = {position: tuple(paths_of) for position, paths_of in by_volume.items()}
    return PackMapping(files, leftovers, how, notes, {path: by for path, (_, by, _) in found.items()})


def _volume_of(path: str, volumes: Sequence[PackVolume]) -> tuple[Decimal, MappedBy, str] | None:
    parts = path.split("/")
    for depth, folder in enumerate(parts[:-1]):
        found = _named_volume(folder, volumes, leading_number=True)
        if found is not None:
            return found[0], MappedBy.FOLDER, f"folder '{'/'.join(parts[: depth + 1])}' {found[1]}"
    found = _named_volume(_stem(parts[-1]), volumes, leading_number=False)
    return (found[0], MappedBy.FILE_NAME, f"file name {found[1]}") if found is not None else None


def _volume_by_tags(values: Sequence[str], volumes: Sequence[PackVolume]) -> tuple[Decimal, MappedBy, str] | None:
    for value in values:
        found = _named_volume(value, volumes, leading_number=False)
        if found is not None:
            return found[0], MappedBy.TAGS, f"tag '{value}' {found[1]}"
    return None


def _volume_by_chapters(
    titles: Sequence[str], volumes: Sequence[PackVolume], filled: set[Decimal]
) -> tuple[Decimal, MappedBy, str] | str | None:
    """The volume a file's chapter titles name by its title, a reason it stays unmatched, or None (nothing named)."""
    named: dict[Decimal, str] = {}
    for title in titles:
        found = _named_volume(title, volumes, leading_number=False, numbers=False)
        if found is not None:
            named.setdefault(found[0], f"chapter '{title}' {found[1]}")
    if len(named) > 1:
        shown = ", ".join(format_position(position) for position in sorted(named))
        return f"its chapters name several volumes ({shown})"
    if not named:
        return None
    position, why = next(iter(named.items()))
    if position in filled:
        return f"its chapters name volume {format_position(position)}, which other files of the pack already fill"
    return position, MappedBy.CHAPTERS, why


def _named_volume(
    name: str, volumes: Sequence[PackVolume], *, leading_number: bool, numbers: bool = True
) -> tuple[Decimal, str] | None:
    """The volume a folder or file name names: by title words first, then (``numbers``) by a volume number.

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
    if not numbers:
        return None
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


def _by_durations(
    paths: Sequence[str], volumes: Sequence[PackVolume], filled: set[Decimal], durations: Mapping[str, float]
) -> tuple[dict[str, tuple[Decimal, MappedBy, str]], dict[str, str], tuple[str, ...]]:
    """Leftover files placed on the volumes still without files by duration against runtime, never by a guess.

    The candidates are the leftover audio files one by one, or, when they lie in several folders, each folder (with
    every leftover file in it). A candidate whose audio all has a duration goes to the one open volume whose runtime
    it matches within ``max(10 %, 15 min)`` of that runtime, when no other open volume's runtime is within that of
    it and no other candidate matches that volume. Returns the placed files, the refused ones with their reasons,
    and a note when the step could not run.
    """
    open_volumes = [volume for volume in volumes if volume.position not in filled]
    audio = [path for path in paths if path.rpartition(".")[2].lower() in AUDIO_EXTENSIONS]
    if not audio or not open_volumes:
        return {}, {}, ()
    if any(not volume.duration_minutes for volume in open_volumes):
        unknown = ", ".join(format_position(v.position) for v in open_volumes if not v.duration_minutes)
        return {}, {}, (f"durations not used: no runtime is known for volume {unknown}",)
    folders = {_folder(path) for path in audio}
    by_folder = len(folders) > 1
    groups = [[p for p in paths if _folder(p) == f] for f in sorted(folders)] if by_folder else [[p] for p in audio]
    matches: dict[int, PackVolume] = {}
    refused: dict[str, str] = {}
    for index, group in enumerate(groups):
        sounds = [path for path in group if path in audio]
        if not all(path in durations for path in sounds):
            continue
        minutes = sum(durations[path] for path in sounds) / 60
        near = [volume for volume in open_volumes if _near(minutes, volume)]
        if len(near) == 1:  # a runtime too close to another open volume's cannot tell the two apart
            near += [v for v in open_volumes if v is not near[0] and _near(v.duration_minutes or 0, near[0])]
        if len(near) == 1:
            matches[index] = near[0]
            continue
        shown = ", ".join(f"volume {format_position(v.position)} ({v.duration_minutes} min)" for v in near)
        why = f"as long as several volumes: {shown}" if near else "near no runtime of a volume without files"
        refused |= {path: f"lasts {minutes:.0f} min, {why}" for path in group}
    taken = [volume.position for volume in matches.values()]
    placed: dict[str, tuple[Decimal, MappedBy, str]] = {}
    for index, volume in matches.items():
        group, shown = groups[index], format_position(volume.position)
        if taken.count(volume.position) > 1:
            refused |= {path: f"other files of the pack last as long as volume {shown}" for path in group}
            continue
        minutes = sum(durations[path] for path in group if path in audio) / 60
        why = (
            f"'{_folder(group[0]) if by_folder else group[0]}' lasts {minutes:.0f} min, the runtime of volume "
            f"{shown} is {volume.duration_minutes} min and no other volume without files is that close"
        )
        placed |= {path: (volume.position, MappedBy.DURATION, why) for path in group}
    return placed, refused, ()


def _near(minutes: float, volume: PackVolume) -> bool:
    runtime = volume.duration_minutes or 0
    return abs(minutes - runtime) <= max(_RUNTIME_SHARE * runtime, _RUNTIME_MINUTES)


def _folder(path: str) -> str:
    return path.rpartition("/")[0]
