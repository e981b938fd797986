"""Normalising titles, author names and series positions so that equal books compare equal."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

_LEADING_ARTICLES = ("the ", "a ", "an ")
_EDITION_NOISE = re.compile(
    r"[\(\[]\s*(unabridged|abridged|audiobook|audio book|audible audio edition|retail|"
    r"a novel|novel|dramatized|dramatised|full[- ]cast)[^\)\]]*[\)\]]",
    re.IGNORECASE,
)
_BOOK_NUMBER = re.compile(
    r"[,:\-–—(\[]*\s*\b(book|bk|vol|volume|part|episode|no|#)\.?\s*#?\s*\d+(\.\d+)?\b\s*[\)\]]?",
    re.IGNORECASE,
)
_SERIES_SUFFIX = re.compile(
    r"\s*[\(\[][^\)\]]*(series|saga|trilogy|cycle|chronicles)?[^\)\]]*#\s*\d+[^\)\]]*[\)\]]", re.IGNORECASE
)
_NON_WORD = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")
_POSITION_WORDS = re.compile(r"^(book|bk|vol|volume|part|no|#)\.?\s*", re.IGNORECASE)
_RANGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:-|–|—|to|&|,)\s*(\d+(?:\.\d+)?)\s*$", re.IGNORECASE)


def fold(text: str) -> str:
    """Lower-case, strip accents, turn punctuation into spaces and collapse whitespace."""
    decomposed = unicodedata.normalize("NFKD", text)
    no_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    no_marks = no_marks.replace("&", " and ").replace("'", "").replace("’", "")
    cleaned = _NON_WORD.sub(" ", no_marks.lower()).replace("_", " ")
    return _SPACES.sub(" ", cleaned).strip()


def strip_leading_article(folded: str) -> str:
    for article in _LEADING_ARTICLES:
        if folded.startswith(article):
            return folded[len(article) :]
    return folded


def move_trailing_article(title: str) -> str:
    """ "Hobbit, The" -> "The Hobbit"."""
    match = re.match(r"^(.*),\s*(the|a|an)$", title.strip(), re.IGNORECASE)
    if match:
        return f"{match.group(2)} {match.group(1)}"
    return title


def normalize_title(title: str) -> str:
    """A title reduced to what identifies the work: no edition noise, series suffix, book number, article."""
    text = move_trailing_article(title)
    text = _EDITION_NOISE.sub(" ", text)
    text = _SERIES_SUFFIX.sub(" ", text)
    text = _BOOK_NUMBER.sub(" ", text)
    return strip_leading_article(fold(text))


def normalize_author(name: str) -> str:
    """ "Sanderson, Brandon" and "Brandon  Sanderson" both give "brandon sanderson"; initials joined."""
    text = name.strip()
    if text.count(",") == 1:
        last, first = (part.strip() for part in text.split(","))
        if first and not re.fullmatch(r"(jr|sr|ii|iii|iv|phd)\.?", first, re.IGNORECASE):
            text = f"{first} {last}"
    folded = fold(text)
    # "J R R Tolkien" and "J.R.R. Tolkien" -> "jrr tolkien"
    tokens = folded.split()
    merged: list[str] = []
    for token in tokens:
        if len(token) == 1 and merged and len(merged[-1]) <= 3 and merged[-1].isalpha() and _all_initials(merged):
            merged[-1] += token
        else:
            merged.append(token)
    return " ".join(merged)


def _all_initials(tokens: list[str]) -> bool:
    return all(len(t) <= 3 for t in tokens)


def split_names(joined: str) -> list[str]:
    """Split "A, B & C" or "A; B and C" into names, keeping "Last, First" pairs whole when alone."""
    if not joined or not joined.strip():
        return []
    parts = re.split(r"\s*(?:;|&|\band\b|,)\s*", joined.strip())
    names = [p.strip() for p in parts if p.strip()]
    if "," in joined and ";" not in joined and "&" not in joined and len(names) == 2 and " " not in names[0]:
        return [joined.strip()]  # "Sanderson, Brandon"
    return names


def parse_position(raw: str | float | int | None) -> tuple[Decimal, Decimal] | None:
    """A series position as an inclusive range: "2" -> (2, 2), "1-3" -> (1, 3), "Book 1.5" -> (1.5, 1.5)."""
    if raw is None:
        return None
    text = str(raw).strip()
    text = _POSITION_WORDS.sub("", text).strip()
    if not text:
        return None
    ranged = _RANGE.match(text)
    try:
        if ranged:
            low, high = Decimal(ranged.group(1)), Decimal(ranged.group(2))
            return (low, high) if low <= high else (high, low)
        value = Decimal(text)
    except InvalidOperation:
        return None
    if value.is_nan() or value.is_infinite() or value < 0:
        return None
    return value, value


def format_position(value: Decimal) -> str:
    """2 -> "2", 1.50 -> "1.5"."""
    normalized = value.normalize()
    text = format(normalized, "f")
    return text
