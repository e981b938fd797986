"""A trailing uploader or group tag of a release title: "[StarLantern]", "[RG AudioBook]", "-JNoN".

Release lists often end with the uploader's or group's tag once the format, bitrate and edition tokens have
been given: "Author - Title [Unabridged] [M4B] [Tantor]", "Author - Title m4b-JNoN". Read as title words such a
tag refuses the right release, so a tag is set aside, but only where that cannot let another book in:

- it is the title's LAST piece: a square or curly bracket group, or a word glued to a dash ("-JNoN"), and no
  file or tracker fact itself ("[VIP]", "[FL]", "[ENG]");
- right before it stands at least one group or token that only describes the file, and among them a format,
  a bitrate or (un)abridged ("[M4B]", "64kbps", "[Unabridged]"); a year or language alone is not enough;
- something is left before those: the title was read first;
- the tag is one to three words of letters only, none of them a number (word or roman), a volume, book, part,
  edition, abridged, dramatized, summary or other word the subtitle and edition guards know, a language, a
  function word of another language, a small word of a title ("the", "of") or a narrator phrase.

A bracket group that reads as person names stays a group of names (narrators or author): it is no tag. What a
piece describes is read by ``title_facts.piece_quality_kinds``, whether it reads as names by
``title_segments.looks_like_names``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from shelfkeeper.domain.releases.subtitles import (
    FOREIGN_WORDS,
    GLUE_WORDS,
    GROUP_DECOY_WORDS,
    NUMBER_WORDS,
)
from shelfkeeper.domain.releases.title_facts import piece_quality_kinds
from shelfkeeper.domain.releases.title_segments import looks_like_names
from shelfkeeper.domain.text import fold, is_language_word

# Words that make a trailing group a volume, an edition or a narrator note, never an uploader.
_NOT_TAG_LIST = """book bk books vol volume volumes part pt parts no nr number episode chapter unabridged abridged
    narrated narrator narr read reads performed by with series saga trilogy cycle chronicles sequel prequel summary
    guide edition version cast dramatized dramatised language dub dubbed"""
_NOT_TAG_WORDS = (
    GROUP_DECOY_WORDS | FOREIGN_WORDS | GLUE_WORDS | frozenset(NUMBER_WORDS) | frozenset(_NOT_TAG_LIST.split())
)
_ROMAN = re.compile(r"^(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})$")
_TRAILING_PIECE = re.compile(r"(?:\[(?P<a>[^\[\]]*)\]|\{(?P<b>[^{}]*)\}|\((?P<c>[^()]*)\)|(?P<word>[^\s\[\]{}()]+))$")
_MAX_TAG_WORDS = 3

_FILE_FACTS = frozenset({"format", "bitrate", "unabridged", "abridged"})


def split_uploader_tag(text: str) -> tuple[str, str | None]:
    """The title without its trailing uploader tag, and the tag (None when the title ends in none)."""
    piece = trailing_piece(text)
    if piece is None:
        return text, None
    start, tag = piece
    tag = tag.strip()
    if looks_like_names(tag) or not is_tag_text(tag) or piece_quality_kinds(tag, True):
        return text, None  # a group of names is the narrators or the author, no tag
    head = text[:start]
    if not _file_described_before(head):
        return text, None
    return head.rstrip(), tag


def trailing_piece(text: str) -> tuple[int, str] | None:
    """The title's last piece, when it has the shape of a tag: where it starts, and its text.

    The piece is a square or curly group ("[StarLantern]"), else a word of letters glued to a dash ("-JNoN"; a
    space before the dash is part of the piece); only whitespace may follow it. Read from the end: one title is
    parsed for every release, and scanning it from the start for a piece that ends it costs more.
    """
    end = len(text.rstrip())
    last = text[end - 1 : end]
    if last == "]" or last == "}":
        start = text.rfind("[" if last == "]" else "{", 0, end - 1)  # a group holds no bracket of its own kind
        if start >= 0 and last not in text[start + 1 : end - 1]:
            return start, text[start + 1 : end - 1]
        return None
    start = end
    while start and _is_letter(text[start - 1]):
        start -= 1
    if start == end or start == 0 or text[start - 1] != "-":
        return None
    dash = start - 1
    return (dash - 1 if dash and text[dash - 1].isspace() else dash), text[start:end]


def _is_letter(ch: str) -> bool:
    """What the regular expression class [^\\W\\d_] matches: a letter (or a number that is no decimal digit)."""
    return ch.isalnum() and not ch.isdecimal()


@lru_cache(maxsize=4096)  # the same trailing pieces recur across the releases of a search
def is_tag_text(tag: str) -> bool:
    """Whether a trailing piece's words may be an uploader's tag (see the module's rules)."""
    if not tag or len(tag) > 40 or any(ch.isdigit() for ch in tag):
        return False
    tokens = fold(tag).split()
    if not 1 <= len(tokens) <= _MAX_TAG_WORDS:
        return False
    for token in tokens:
        if not token.isalpha() or token in _NOT_TAG_WORDS or _ROMAN.match(token) or is_language_word(token):
            return False
    return True


def _file_described_before(head: str) -> bool:
    """True when the head ends in one or more pieces describing the file, one a format, bitrate or (un)abridged,
    and some text (the title) stands before them."""
    facts: set[str] = set()
    rest = head.rstrip(" -–—|,;")
    while rest:
        piece = _TRAILING_PIECE.search(rest)
        if piece is None:
            break
        bracketed = piece.group("word") is None
        content = next(part for part in piece.groups() if part is not None)
        kinds = piece_quality_kinds(content.strip(), bracketed)
        if not kinds:
            break
        facts.update(kinds)
        rest = rest[: piece.start()].rstrip(" -–—|,;")
    return bool(facts & _FILE_FACTS) and any(ch.isalpha() for ch in rest)
