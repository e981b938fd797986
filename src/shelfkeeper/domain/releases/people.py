"""People in a release title: matching author names, and reading a bracket group of names as the narrators."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from shelfkeeper.domain.names import initials_joined, normalize_author, split_names
from shelfkeeper.domain.releases.parsing import ParsedRelease
from shelfkeeper.domain.releases.title_segments import HAS_INITIAL, Segment, SegmentKind
from shelfkeeper.domain.text import fold


def words(text: str) -> list[str]:
    """Folded words, with runs of single letters joined so "S. A. Corey" and "SA Corey" give the same words."""
    return initials_joined(text)


@lru_cache(maxsize=8192)  # the pieces of a search's release titles recur, each verified for every release
def segment_words(text: str) -> tuple[str, ...]:
    """``words`` of a segment's text, as a tuple."""
    return tuple(initials_joined(text))


@lru_cache(maxsize=4096)  # ranking compares the same few names for every release of a search
def names_match(first: str, second: str) -> bool:
    """True when two author names are the same person: equal when normalised, or same surname and first initial."""
    a, b = _author_words(first), _author_words(second)
    if not a or not b:
        return False
    if a == b:
        return True
    if len(a) < 2 or len(b) < 2 or a[-1] != b[-1]:
        return False
    short, long = sorted((a[0], b[0]), key=len)
    return short == long or (len(short) <= 2 and long.startswith(short[0]))


def _author_words(name: str) -> list[str]:
    """``words(normalize_author(name))``: an ASCII normal form is already its words (folded, initials joined)."""
    normalized = normalize_author(name)
    return normalized.split() if normalized.isascii() else words(normalized)


def segment_names_author(segment: Segment, authors: Sequence[str]) -> bool:
    """True when a segment names a wanted author, and anything else in it is short enough to be a co-author."""
    return names_author(segment.text, tuple(authors))


@lru_cache(maxsize=4096)  # the same pieces ("Brandon Sanderson") recur across the releases of a search
def names_author(text: str, authors: tuple[str, ...]) -> bool:
    """``segment_names_author`` of a segment's text."""
    if text.isascii() and "," not in text and not _may_name_one_of(text, authors):
        return False
    names = split_names(text)
    matched = [name for name in names if any(names_match(name, wanted) for wanted in authors)]
    return bool(matched) and all(name in matched or 2 <= len(name.split()) <= 3 for name in names)


def _may_name_one_of(text: str, authors: tuple[str, ...]) -> bool:
    """False when no name in ``text`` (ASCII, no comma) can match one of ``authors`` (``names_match``), read
    without splitting it into names: most pieces of a title name no wanted author.

    Two names match only when their last words are equal. Without a comma no name is turned around ("Last,
    First"), and folding ASCII text reads each character alone, so the words of each name of ``text`` (initials
    joined) stand in order in the folded text: the last word of a matching name, a wanted author's last word,
    stands in it once its spaces are taken out.
    """
    letters = fold(text).replace(" ", "")
    return any(surname in letters for surname in _surnames(authors))


@lru_cache(maxsize=256)  # the wanted authors of a search, asked for each piece of its releases
def _surnames(authors: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(found[-1] for found in map(_author_words, authors) if found)


def is_narrator_group(text: str, wanted_narrator: str | None, *, lone_name_ok: bool = True) -> bool:
    """Whether a bracket group of names (not the author), ``text`` its content, is read as the narrators.

    With the wanted narrator known, the group must name them: "[Golden Son]" may be another book's title.
    Without, any group of names is, unless ``lone_name_ok`` is False (the wanted title is its series' name, so
    "Red Rising [Golden Son]" may be another volume): then only two or more names, or initials ("[R. C. Bray]").
    """
    names = split_names(text)
    if wanted_narrator:
        return any(names_match(name, narrator) for name in names for narrator in split_names(wanted_narrator))
    return lone_name_ok or len(names) >= 2 or any(HAS_INITIAL.search(name) for name in names)


def group_narrators(parsed: ParsedRelease, authors: Sequence[str], wanted_narrator: str | None) -> tuple[str, ...]:
    """The narrators a release names only in a bracket group ("[Michael Kramer, Kate Reading]")."""
    return tuple(
        name
        for segment in parsed.segments
        if segment.kind is SegmentKind.PEOPLE
        and not segment_names_author(segment, authors)
        and is_narrator_group(segment.text, wanted_narrator)
        for name in split_names(segment.text)
    )
