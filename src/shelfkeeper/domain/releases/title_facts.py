"""What a release title states about its file, outside its words: formats, bitrate, (un)abridged, year, language,
the part of a split book, narrator phrases and the tracker's flags ("[VIP]", "[FL]").

Each reading is a pure function of one piece of text (a bracket group, or the title's text outside brackets),
answered as a ``TitleFacts``. The same pieces ("[M4B]", "(Unabridged)", "64kbps") recur across the releases of a
search, so the readings are cached; ``parsing`` applies them, piece by piece in title order, to what it found.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from shelfkeeper.domain.case_blind import case_blind_lower
from shelfkeeper.domain.names import split_names
from shelfkeeper.domain.releases.subtitles import NUMBER_WORDS
from shelfkeeper.domain.text import fold, is_language_word, normalize_language

AUDIO_FORMATS = frozenset({"m4b", "m4a", "mp3", "flac", "opus", "ogg", "aac", "wma", "wav", "aax", "aaxc"})
EBOOK_FORMATS = frozenset({"epub", "mobi", "azw3", "azw", "pdf", "cbz", "djvu", "fb2"})
ALL_FORMATS = AUDIO_FORMATS | EBOOK_FORMATS
# Outside brackets "opus" is more often a word of a title ("Magnum Opus") than a codec.
LOOSE_FORMATS = ALL_FORMATS - {"opus"}
_QUALITY_NOISE = frozenset(
    {
        "retail", "audiobook", "audiobooks", "audio", "audible", "cbr", "vbr", "mono", "stereo", "chapterized",
        "chaptered", "chapters", "multi", "files", "kbps", "kbit", "khz", "mb", "gb", "mib", "gib", "web", "rip",
    }
)  # fmt: skip
_BITRATE_JOIN = re.compile(r"\b(\d{2,3})\s+(kbps|kb/s|kbit/s|kbit|k)\b", re.IGNORECASE)
BITRATE = re.compile(r"^@?(\d{2,3})(?:kbps|kb/s|kbit/s|kbit|k)$")
_LOOSE_BITRATE = re.compile(r"@?\b(\d{2,3})\s?(?:kbps|kb/s|kbit/s|kbit|k)\b", re.IGNORECASE)
# the lookahead (each format's first letter) only spares trying every format at every position
_LOOSE_FORMAT = re.compile(
    "(?=[" + "".join(sorted({fmt[0] for fmt in LOOSE_FORMATS})) + r"])\b(" + "|".join(sorted(LOOSE_FORMATS)) + r")\b",
    re.IGNORECASE,
)
_LOOSE_ENCODING = re.compile(r"\b(?:vbr|cbr)\b", re.IGNORECASE)
_LOOSE_ABRIDGED = re.compile(r"\b(un)?abridged\b", re.IGNORECASE)
NARRATOR_PHRASE = re.compile(
    r"(?:^|[,;]\s*|\s)(?:narrated|read|performed)\s+by\s*:?\s*(?P<names>[^\-–—|\[\]{}()]+)|"
    r"(?:^|\s)(?:narr\.?|narrator)\s*:?\s+(?P<short>[^\-–—|\[\]{}()]+)",
    re.IGNORECASE,
)
_NUMBER_WORD = "|".join(NUMBER_WORDS)
# "Part 2 of 3": one piece of a book split over several releases
_PART_NUMBER = r"(\d{1,2}|" + _NUMBER_WORD + r")"
PART_PATTERN = re.compile(
    r"[,:;]?\s*\b(?:part|pt)\.?\s*" + _PART_NUMBER + r"(?:\s*(?:of|/)\s*(?:\d{1,2}|" + _NUMBER_WORD + r"))?\b",
    re.IGNORECASE,
)
YEAR = re.compile(r"^(?:19|20)\d\d$")
_TOKEN_SPLIT = re.compile(r"[\s/,|;+&]+")
_UNIT_SIZE = re.compile(r"\d+(?:khz|hz|mb|gb|mib|gib)")
_BARE_BITRATE = re.compile(r"\d{2,3}")
_NOT_DIGIT = re.compile(r"\D")
# The words of letters alone that are a quality fact other than a language: every other kind needs a digit.
_LETTER_FACTS = ALL_FORMATS | _QUALITY_NOISE | frozenset({"unabridged", "abridged", "vip", "fl", "freeleech"})


class TitleFacts(NamedTuple):
    """What one piece of a title states, in the order it states it: formats in order of appearance; the bitrate,
    year, language and part the piece states last; ``abridged`` as every "(un)abridged" of the piece read in
    turn (None: the piece says nothing)."""

    formats: tuple[str, ...] = ()
    bitrate: int | None = None
    abridged: bool | None = None
    language: str | None = None
    year: int | None = None
    part: int | None = None
    narrators: tuple[str, ...] = ()
    vip: bool = False
    freeleech: bool = False


NO_FACTS = TitleFacts()


def part_number(token: str) -> int:
    """The number of a "Part 2" or "Part Two" that PART_PATTERN found."""
    folded = token.strip().lower()
    return NUMBER_WORDS.index(folded) + 1 if folded in NUMBER_WORDS else int(folded)


def title_language(token: str) -> str | None:
    """The language code a bracketed title token names ("GER", "English"), or None.

    Two-letter codes never count in a title: "It" or "No" must stay words of a title.
    """
    if len(token) < 3:
        return None
    code = normalize_language(token)
    return code if code and code != fold(token) else None


@lru_cache(maxsize=8192)  # verification asks it of every unexplained word of every release
def is_quality_word(word: str) -> bool:
    """True for a folded word that only describes a file (format, bitrate, language code, rip noise)."""
    return (
        word in ALL_FORMATS
        or word in _QUALITY_NOISE
        or word in ("unabridged", "abridged")
        or bool(BITRATE.match(word))
        or bool(_UNIT_SIZE.fullmatch(word))
    )


@lru_cache(maxsize=8192)  # the same groups ("M4B", "Unabridged", "2011") recur across the releases of a search
def group_facts(content: str) -> tuple[tuple[str, str], ...] | None:
    """Each token of a bracket group with its kind of quality fact; None when one token is no quality fact."""
    lowered = content.lower()
    if "k" in lowered and _BITRATE_JOIN.search(lowered):  # "64 kbps" as one token (each unit starts with a "k")
        lowered = _BITRATE_JOIN.sub(r"\1\2", lowered)
    # split on whitespace and separators (str.split alone when there is no separator)
    tokens = [t for t in _TOKEN_SPLIT.split(lowered) if t] if _has_separator(lowered) else lowered.split()
    has_format: bool | None = None  # whether any token is a format: asked once a token is not a bare word
    facts: list[tuple[str, str]] = []
    for token in tokens:
        bare = token.strip(".")
        if bare.isalpha() and bare.isascii() and bare not in _LETTER_FACTS and not is_language_word(bare):
            return None  # a word of ASCII letters (most names and title words): no fact, and no language
        if has_format is None:
            has_format = any(t.strip(".") in ALL_FORMATS for t in tokens)
        kind = _quality_token_kind(bare, has_format)
        if kind is None:
            return None
        facts.append((kind, bare))
    return tuple(facts)


def _has_separator(text: str) -> bool:
    return "/" in text or "," in text or "|" in text or ";" in text or "+" in text or "&" in text


@lru_cache(maxsize=8192)
def piece_quality_kinds(content: str, bracketed: bool) -> tuple[str, ...] | None:
    """What a bracket group or a bare word before an uploader tag describes; None when it is no file fact."""
    if bracketed:
        facts = group_facts(content)
        return tuple(kind for kind, _ in facts) if facts else None
    word = content.lower().strip(".")
    if word in LOOSE_FORMATS:
        return ("format",)
    if BITRATE.match(word):
        return ("bitrate",)
    if word in ("unabridged", "abridged"):
        return (word,)
    return ("noise",) if word in ("vbr", "cbr") else None


def _quality_token_kind(token: str, has_format: bool) -> str | None:
    if token in ALL_FORMATS:
        return "format"
    if BITRATE.match(token) or (has_format and _BARE_BITRATE.fullmatch(token) and 16 <= int(token) <= 999):
        return "bitrate"
    if token in ("unabridged", "abridged"):
        return token
    if YEAR.match(token):
        return "year"
    if title_language(token):
        return "language"
    if token in ("vip", "fl", "freeleech"):
        return token
    if is_quality_word(token):
        return "noise"
    return None


def facts_of_group(facts: tuple[tuple[str, str], ...]) -> TitleFacts:
    """A group's quality tokens (``group_facts``) as the facts they state."""
    formats: list[str] = []
    bitrate: int | None = None
    abridged: bool | None = None
    language: str | None = None
    year: int | None = None
    vip = freeleech = False
    for kind, token in facts:
        if kind == "format":
            formats.append(token)
        elif kind == "bitrate":
            bitrate = int(_NOT_DIGIT.sub("", token))
        elif kind in ("unabridged", "abridged"):
            abridged = abridged or kind == "abridged"  # "abridged" anywhere wins: it is the safe reading
        elif kind == "year":
            year = int(token)
        elif kind == "language":
            language = title_language(token)
        elif kind == "vip":
            vip = True
        elif kind in ("fl", "freeleech"):
            freeleech = True
    return TitleFacts(tuple(formats), bitrate, abridged, language, year, None, (), vip, freeleech)


def narrator_names(match: re.Match[str]) -> list[str]:
    """The names a NARRATOR_PHRASE match gives: "read by A and B" -> A, B."""
    return split_names((match.group("names") or match.group("short")).strip())


@lru_cache(maxsize=4096)  # the text outside brackets is often the same across a search's releases
def loose_facts(text: str) -> tuple[str, TitleFacts]:
    """Bitrate, format, (un)abridged, part and narrator phrases taken from text outside brackets: what is left of
    the text, and the facts.

    Each pattern is looked for only when the text holds a word it needs (as a case-blind pattern sees it).
    """
    lowered = case_blind_lower(text)
    narrators: list[str] = []
    if "by" in lowered or "narr" in lowered:
        text, found = _cut(NARRATOR_PHRASE, text, " - ")
        narrators = [name for match in found for name in narrator_names(match)]
    part = None
    if "pt" in lowered or "part" in lowered:
        text, found = _cut(PART_PATTERN, text, " ")
        part = part_number(found[-1].group(1)) if found else None
    bitrate = None
    if "k" in lowered:
        text, found = _cut(_LOOSE_BITRATE, text, " ")
        bitrate = int(found[-1].group(1)) if found else None
    text, found = _cut(_LOOSE_FORMAT, text, " ")
    formats = tuple(match.group(1).lower() for match in found)
    abridged = None
    if "abridged" in lowered:
        text, found = _cut(_LOOSE_ABRIDGED, text, " ")
        for match in found:
            abridged = abridged or match.group(1) is None
    if "vbr" in lowered or "cbr" in lowered:
        text = _cut(_LOOSE_ENCODING, text, " ")[0]
    return " ".join(text.split()), TitleFacts(formats, bitrate, abridged, None, None, part, tuple(narrators))


def _cut(pattern: re.Pattern[str], text: str, replacement: str) -> tuple[str, list[re.Match[str]]]:
    """``pattern.sub(replacement, text)`` and the matches it replaced, from one scan."""
    found = list(pattern.finditer(text))
    if not found:
        return text, found
    pieces, end = [], 0
    for match in found:
        pieces += [text[end : match.start()], replacement]
        end = match.end()
    pieces.append(text[end:])
    return "".join(pieces), found
