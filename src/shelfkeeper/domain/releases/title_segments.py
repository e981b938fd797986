"""The pieces of a release title (split on dashes, "by" and brackets) and what each seems to be: title words, a
series mention, a guess at the author, a group of person names, the uploader's tag.

Pure functions of a piece's text; the pieces ("Brandon Sanderson", "Mistborn 01") recur across the releases of a
search, so the readings are cached.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from shelfkeeper.domain.case_blind import case_blind_lower
from shelfkeeper.domain.names import initials_joined, split_names
from shelfkeeper.domain.releases.subtitles import NUMBER_WORDS
from shelfkeeper.domain.releases.title_facts import YEAR
from shelfkeeper.domain.text import fold, parse_position

SEPARATOR = re.compile(r"\s+[-–—]+\s+|\s*\|\s*|\s+[-–—](?=[^\W\d_])|(?<=[^\W\d_])[-–—]\s+")
_BY_AUTHOR = re.compile(r"^(?P<title>.+)\s+by\s+(?P<names>[^\s].*)$")
_NUMBER_WORD = "|".join(NUMBER_WORDS)
# digits or a range of them; or, after a keyword, a number word or roman numeral: "Book Three", "Vol. IV"
_POSITION = (
    r"(?P<pos>\d+(?:\.\d+)?(?:\s*-\s*\d+(?:\.\d+)?)?|(?:" + _NUMBER_WORD + r")\b|(?=[ivx])x{0,2}(?:ix|iv|v?i{0,3})\b)"
)
_KEYWORD_SUFFIX = re.compile(
    r"(?P<lead>.*?)[\s,:;]*(?:\b(?:book|bk|vol|volume|no|nr)\.?\s*#?|#)\s*" + _POSITION + r"\s*$",
    re.IGNORECASE,
)
_KEYWORD_WORD = re.compile("#|book|bk|vol|no|nr")  # one of them stands in every match of _KEYWORD_SUFFIX
_NUMBER_SUFFIX = re.compile(r"^(?P<lead>\D.*?)[\s,]+#?(?P<pos>\d{1,2}(?:\.\d+)?(?:\s*-\s*\d{1,2}(?:\.\d+)?)?)$")
HAS_INITIAL = re.compile(r"\b[A-Z]\.")  # an initial in a name: "R. C. Bray"
_NAME_STOP_WORDS = frozenset(
    {"the", "of", "and", "a", "an", "in", "on", "to", "for", "with", "from", "my", "your", "book", "part", "vol",
     "volume", "series", "saga", "audiobook", "unabridged", "abridged"}
)  # fmt: skip
_NAME_PARTICLES = frozenset({"de", "da", "van", "von", "der", "den", "le", "la", "du", "del", "di", "st", "jr", "sr"})
_SERIES_NOISE = frozenset({"the", "series", "saga", "trilogy", "cycle", "chronicles", "sequence", "universe"})


class SegmentKind(enum.StrEnum):
    """What a piece of a release title seems to be, before anyone knows which book is wanted."""

    TEXT = "text"  # title words, or anything not recognised
    SERIES = "series"  # "Mistborn 01", "The Expanse Book 3", "(Series #2)"
    AUTHOR_GUESS = "author_guess"  # "by A, B", "(Frank Herbert)" or a name-like segment
    # A bracket group of person names after the title: the author, else the narrators (verification decides,
    # knowing the wanted author and narrator): "[Michael Kramer, Kate Reading]", "(Ray Porter)".
    PEOPLE = "people"
    # The uploader's or group's tag that ends the title once the file was described: "[M4B] [StarLantern]",
    # "m4b-JNoN" (see ``uploader``). Never title words.
    UPLOADER = "uploader"


@dataclass(frozen=True, slots=True)
class SeriesMention:
    """A series (when named) and the position the release claims in it."""

    name: str | None
    position: tuple[Decimal, Decimal] | None


@dataclass(frozen=True, slots=True)
class Segment:
    """One piece of a release title, as split on dashes, "by" and brackets."""

    text: str
    kind: SegmentKind = SegmentKind.TEXT
    series: SeriesMention | None = None


# the kinds read for every segment of every release (reading a member off an Enum class costs a lookup)
_TEXT, _PEOPLE, _AUTHOR_GUESS = SegmentKind.TEXT, SegmentKind.PEOPLE, SegmentKind.AUTHOR_GUESS


@lru_cache(maxsize=4096)  # a release's series names are compared with the wanted one, the same few each time
def series_names_match(first: str, second: str) -> bool:
    """ "The Expanse" ~ "Expanse", "Mistborn" ~ "Mistborn Saga": one name's words hold all of the other's."""
    a = {w for w in initials_joined(first) if w not in _SERIES_NOISE}
    b = {w for w in initials_joined(second) if w not in _SERIES_NOISE}
    return bool(a and b) and (a <= b or b <= a)


@lru_cache(maxsize=4096)  # the text outside brackets is often the same across a search's releases
def plain_segments(text: str) -> tuple[Segment, ...]:
    """The segments of a title's text outside brackets: its dash-separated pieces, each classified."""
    return tuple(segment for piece in SEPARATOR.split(text) for segment in classify_piece(piece))


def classify_piece(piece: str) -> list[Segment]:
    """One dash-separated piece: split off "by Author" and a series/volume suffix."""
    piece = piece.strip(" ,;:.-")
    if not piece:
        return []
    by_author = _BY_AUTHOR.match(piece) if "by" in piece else None
    if by_author and looks_like_names(by_author.group("names")):
        rest = classify_piece(by_author.group("title"))
        return [*rest, Segment(by_author.group("names").strip(), SegmentKind.AUTHOR_GUESS)]
    keyword = _keyword_suffix(piece)
    if keyword:
        return _split_keyword_suffix(piece, keyword)
    number = _number_suffix(piece)
    if number and not YEAR.match(number.group("pos")):
        mention = SeriesMention(number.group("lead").strip(), parse_position(number.group("pos").replace(" ", "")))
        return [Segment(piece, SegmentKind.SERIES, mention)]
    return [Segment(piece)]


def _split_keyword_suffix(piece: str, keyword: re.Match[str]) -> list[Segment]:
    """ "Title: Series, Book 3" -> title + series; "The Expanse Book 3" -> series; "Book 2" -> position."""
    lead = keyword.group("lead").strip(" ,;:")
    position = parse_position(keyword.group("pos").replace(" ", ""))
    title_part, colon, series_part = lead.rpartition(":")
    if not colon:
        title_part, comma, series_part = lead.rpartition(",")
        if not comma:  # "Leviathan Wakes, Book 1" lands here too: verification treats its name with care
            return [Segment(piece, SegmentKind.SERIES, SeriesMention(lead or None, position))]
    series_text = piece[len(title_part) + 1 :].strip(" ,;:")
    mention = SeriesMention(series_part.strip() or None, position)
    return [*classify_piece(title_part), Segment(series_text, SegmentKind.SERIES, mention)]


def series_in(content: str) -> SeriesMention | None:
    """ "Mistborn #1", "The Expanse, Book 3", "Book 2" or "[Mistborn 01]" as a series mention."""
    keyword = _keyword_suffix(content)
    if keyword:
        name = keyword.group("lead").strip(" ,;:") or None
        return SeriesMention(name, parse_position(keyword.group("pos").replace(" ", "")))
    number = _number_suffix(content)
    if number and not YEAR.match(number.group("pos")):
        return SeriesMention(number.group("lead").strip(), parse_position(number.group("pos").replace(" ", "")))
    return None


def _keyword_suffix(text: str) -> re.Match[str] | None:
    """``_KEYWORD_SUFFIX.match``, tried only when the text holds a keyword or "#" (as a case-blind pattern sees
    it)."""
    if not _KEYWORD_WORD.search(case_blind_lower(text)):
        return None
    return _KEYWORD_SUFFIX.match(text)


def _number_suffix(text: str) -> re.Match[str] | None:
    """``_NUMBER_SUFFIX.match``, tried only when the text ends in a digit (or a line break, where "$" matches)."""
    return _NUMBER_SUFFIX.match(text) if text[-1:].isdigit() or text.endswith("\n") else None


@lru_cache(maxsize=4096)  # the same pieces ("Brandon Sanderson") recur across the releases of a search
def looks_like_names(text: str) -> bool:
    """True when the text reads like one to five person names: capitalised words or initials, no digits."""
    if not text or any(map(str.isdigit, text)) or len(text) > 80:
        return False
    names = split_names(text)
    if not 1 <= len(names) <= 5:
        return False
    return all(_looks_like_one_name(name) for name in names)


def _looks_like_one_name(name: str) -> bool:
    tokens = name.replace(".", ". ").split()
    if not 2 <= len(tokens) <= 5:
        return False
    for token in tokens:
        bare = token.strip(".,'’")
        if len(token) == 2 and token[1] == "." and "A" <= token[0] <= "Z":
            continue  # an initial, even "A."
        if not bare:
            return False
        folded = bare.lower() if bare.isascii() and bare.isalpha() else fold(bare)  # ASCII letters fold to lower
        if folded in _NAME_STOP_WORDS or (not bare[0].isupper() and folded not in _NAME_PARTICLES):
            return False
    return True


def mark_name_like(segments: list[Segment], *, stated: bool) -> list[Segment]:
    """Without stated authors, guess which plain segment is the author: initials first, else the first one.

    When no plain segment can be the author, the first bracket group of names is: "Dune (Frank Herbert)".
    """
    if stated:
        return segments
    plain: list[int] = []
    people: list[int] = []
    for index, segment in enumerate(segments):
        kind = segment.kind
        if kind is _TEXT:
            plain.append(index)
        elif kind is _PEOPLE:
            people.append(index)
        elif kind is _AUTHOR_GUESS:
            return segments
    chosen = -1  # the first plain segment that reads as names and has an initial, else the first reading as names
    if len(plain) >= 2:
        for index in plain:
            likeness = _name_likeness(segments[index].text)
            if likeness == _NAMES_WITH_INITIAL:
                chosen = index
                break
            if likeness and chosen < 0:
                chosen = index
    if chosen < 0:
        if not people:
            return segments
        chosen = people[0]
    marked = list(segments)
    marked[chosen] = _author_guess(segments[chosen].text)
    return marked


_NAMES, _NAMES_WITH_INITIAL = 1, 2


@lru_cache(maxsize=4096)  # the same plain pieces are weighed as the author for many releases of a search
def _name_likeness(text: str) -> int:
    """0: the text does not read as names (``looks_like_names``); else ``_NAMES``, or ``_NAMES_WITH_INITIAL``."""
    if not looks_like_names(text):
        return 0
    return _NAMES_WITH_INITIAL if HAS_INITIAL.search(text) else _NAMES


@lru_cache(maxsize=4096)  # the same author stands in many releases of a search
def _author_guess(text: str) -> Segment:
    return Segment(text, SegmentKind.AUTHOR_GUESS)
