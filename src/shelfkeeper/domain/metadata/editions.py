"""Telling editions apart: abridged cuts, dramatized adaptations and omnibus box sets against the plain book."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from shelfkeeper.domain.case_blind import case_blind_lower
from shelfkeeper.domain.library.items import SeriesRef
from shelfkeeper.domain.text import parse_position, title_position


class Edition(StrEnum):
    """A way an edition departs from the single, unabridged, narrated book."""

    ABRIDGED = "abridged"
    DRAMATIZED = "dramatized"
    OMNIBUS = "omnibus"


# "unabridged" has no word boundary before its "abridged", so it never matches here.
_ABRIDGED = re.compile(r"\babridged\b", re.IGNORECASE)
_DRAMATIZED = re.compile(
    r"\b(dramati[sz](ed|ation)|full[- ]cast|radio (drama|play|adaptation)|bbc radio|audio drama|graphic ?audio|"
    r"audio play|adaptation|adapted)\b",
    re.IGNORECASE,
)
_OMNIBUS = re.compile(
    r"\b(omnibus|box(ed)?[- ]?set|complete (series|collection|trilogy|saga)|collection|collected|"
    r"books?\s*\d+\s*(-|–|—|to|through|&|and)\s*\d+|\d+[- ]book|(three|four|five|six|seven)[- ]book)\b",
    re.IGNORECASE,
)
# "The Lord of the Rings Trilogy" is the set, but "Trilogy, Book 1" is one volume of it.
_GROUP_WORDS = re.compile(r"\b(trilogy|quartet|quintet|tetralogy|duology|series)\s*$", re.IGNORECASE)
_FULL_CAST_NARRATOR = re.compile(r"\b(full cast|full-cast|various|cast|bbc radio|radio drama)\b", re.IGNORECASE)
# Every word the checks in ``edition_of`` and ``_may_span`` look for in ``case_blind_lower`` text (keep them in step):
# text holding none of them has no marker, unless its narrators or series labels say so.
_ANY_EDITION_WORD = re.compile(
    "abridged|dramati|full|radio|audio|adapt|omnibus|box|complete|collect|book|#|bk|vol|part|series|trilogy|quartet|"
    "quintet|tetralogy|duology"
)
# The markers of a plain book, one object for all of them (a cache of markers keeps one frozenset per entry else).
_PLAIN: frozenset[Edition] = frozenset()


def edition_of(
    title: str,
    subtitle: str | None,
    format_type: str | None,
    narrators: Sequence[str] = (),
    series: Sequence[SeriesRef] = (),
) -> frozenset[Edition]:
    """The edition markers a book's own data shows; empty means a plain single unabridged book."""
    text = f"{title} {subtitle or ''} {format_type or ''}"
    # Each pattern needs one of its words: a text holding none of them (as a case-blind pattern sees it: the Kelvin
    # sign "K" stands for "k", domain/case_blind.py) is not searched.
    low = case_blind_lower(text)
    if not narrators and not series and not _ANY_EDITION_WORD.search(low):
        return _PLAIN  # most titles: one search for every word below instead of one per word
    found: set[Edition] = set()
    if "abridged" in low and _ABRIDGED.search(text):
        found.add(Edition.ABRIDGED)
    dramatized = "dramati" in low or "full" in low or "radio" in low or "audio" in low or "adapt" in low
    if (dramatized and _DRAMATIZED.search(text)) or any(_FULL_CAST_NARRATOR.search(n) for n in narrators):
        found.add(Edition.DRAMATIZED)
    omnibus = "omnibus" in low or "box" in low or "complete" in low or "collect" in low or "book" in low
    if (omnibus and _OMNIBUS.search(text)) or _spans_several(title, subtitle, series, low):
        found.add(Edition.OMNIBUS)
    return frozenset(found) if found else _PLAIN


def _spans_several(title: str, subtitle: str | None, series: Sequence[SeriesRef], low: str | None = None) -> bool:
    """Whether a series label, the title's own position or a group word says the book holds several; ``low`` is the
    case-blind lower-cased text that starts with the title and subtitle (``case_blind_lower``), or None."""
    for ref in series:
        position = parse_position(ref.sequence)
        if position is not None and position[0] != position[1]:
            return True
    # A title and subtitle with none of the words (or "#") that a stated position or a group word needs have
    # neither, so those two are not searched for.
    if low is not None and not _may_span(low):
        return False
    stated = title_position(f"{title} {subtitle or ''}")
    if stated is not None:
        return stated[0] != stated[1]
    return bool(_GROUP_WORDS.search(title.strip()))


def _may_span(low: str) -> bool:
    """Whether lower-cased text holds what ``title_position`` (a position word or "#") or ``_GROUP_WORDS`` needs."""
    return (
        "#" in low
        or "book" in low
        or "bk" in low
        or "vol" in low
        or "part" in low
        or "series" in low
        or "trilogy" in low
        or "quartet" in low
        or "quintet" in low
        or "tetralogy" in low
        or "duology" in low
    )


def edition_label(markers: frozenset[Edition]) -> str:
    """ "abridged, dramatized", or "single unabridged" when there are no markers."""
    return ", ".join(sorted(markers)) if markers else "single unabridged"


class OtherWork(StrEnum):
    """A book that shares the title of a work without being it: an adaptation in pictures or a book about it."""

    GRAPHIC_NOVEL = "graphic novel"
    COMPANION = "summary or study guide"


_GRAPHIC = re.compile(r"\b(graphic novel|graphic adaptation|comic book|comics? adaptation|manga)\b", re.IGNORECASE)
_COMPANION = re.compile(
    r"(^|\b)(summary|summaries|study guide|analysis|workbook|sparknotes|cliff'?s ?notes|reader'?s guide|"
    r"book companion|companion guide|trivia|quiz ?book|key takeaways)\b",
    re.IGNORECASE,
)
# An edition of the same recording sold differently: it may carry extra material or another runtime.
_SPECIAL = re.compile(
    r"\b(deluxe|anniversary|collector'?s|special|expanded|extended|revised|author'?s preferred|"
    r"(uk|us|british|american|australian|canadian|international|export) edition)\b",
    re.IGNORECASE,
)


def other_work_of(title: str, subtitle: str | None) -> frozenset[OtherWork]:
    """What the title says the book is besides the work itself ("The Martian: A Graphic Novel", "Summary of ...")."""
    text = f"{title} {subtitle or ''}"
    found = set()
    if _GRAPHIC.search(text):
        found.add(OtherWork.GRAPHIC_NOVEL)
    if _COMPANION.search(text):
        found.add(OtherWork.COMPANION)
    return frozenset(found)


def special_edition_words(title: str, subtitle: str | None) -> str | None:
    """ "Deluxe", "20th Anniversary", "UK Edition" when the title names such an edition, else None."""
    found = _SPECIAL.search(f"{title} {subtitle or ''}")
    return found.group(0) if found else None
