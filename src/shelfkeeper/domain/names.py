"""Person names as release titles and catalogues write them: split, turned to reading order, compared by their
folded words (initials joined)."""

from __future__ import annotations

import re
from functools import lru_cache

from shelfkeeper.domain.text import fold

# What may follow a surname without being a given name ("King, Jr."): the one list of them.
NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md"})
_NAME_SUFFIX = re.compile("(" + "|".join(sorted(NAME_SUFFIXES)) + r")\.?", re.IGNORECASE)
_PARTICLE_LIST = "de da di del della der den du la le van von vander st saint mac mc o bin ibn al"
_SURNAME_PARTICLES = frozenset(_PARTICLE_LIST.split())
_SEMICOLON = re.compile(r"\s*;\s*")
_AND = re.compile(r"\s*(?:&|\band\b)\s*")


@lru_cache(maxsize=16384)
def normalize_author(name: str) -> str:
    """ "Sanderson, Brandon" and "Brandon  Sanderson" both give "brandon sanderson"; initials joined."""
    text = name.strip()
    if text.count(",") == 1:
        last, first = (part.strip() for part in text.split(","))
        if first and not _NAME_SUFFIX.fullmatch(first):
            text = f"{first} {last}"
    return " ".join(initials_joined(text))


def initials_joined(text: str) -> list[str]:
    """Folded words with runs of single letters joined: "J R R Tolkien", "J.R.R. Tolkien" and "JRR Tolkien" all give
    ["jrr", "tolkien"]."""
    return list(_initials_joined(text))


@lru_cache(maxsize=16384)  # ranking reads the same names and title pieces for every release of a search
def _initials_joined(text: str) -> tuple[str, ...]:
    merged: list[str] = []
    previous_was_initial = False
    for token in fold(text).split():
        is_initial = len(token) == 1 and token.isalpha()
        if is_initial and previous_was_initial:
            merged[-1] += token
        else:
            merged.append(token)
        previous_was_initial = is_initial
    return tuple(merged)


def display_name(name: str) -> str:
    """A person's name in reading order: "Le Guin, Ursula K." -> "Ursula K. Le Guin"; "King, Jr." stays."""
    cleaned = " ".join(name.split())
    if cleaned.count(",") != 1:
        return cleaned
    last, first = (part.strip() for part in cleaned.split(","))
    if not last or not first or first.rstrip(".").lower() in NAME_SUFFIXES:
        return cleaned
    return f"{first} {last}"


def split_names(joined: str) -> list[str]:
    """Split "A, B & C" or "A; B and C" into names, keeping each "Last, First" pair whole."""
    return list(_split_names(joined))


@lru_cache(maxsize=4096)  # ranking splits the same author and narrator fields for every release of a search
def _split_names(joined: str) -> tuple[str, ...]:
    stripped = joined.strip() if joined else ""
    if not stripped:
        return ()
    if ";" not in stripped and "&" not in stripped and "and" not in stripped and "," not in stripped:
        return (stripped,)  # one name: no separator to split on (most narrator and author fields)
    groups = _SEMICOLON.split(stripped) if ";" in stripped else [stripped]
    names: list[str] = []
    for group in groups:
        for part in _AND.split(group):
            names.extend(_split_commas(part.strip()))
    return tuple(name for name in names if name)


def _split_commas(part: str) -> list[str]:
    pieces = [piece.strip() for piece in part.split(",") if piece.strip()]
    if len(pieces) == 2 and (_is_surname_first(pieces[0], pieces[1]) or _NAME_SUFFIX.fullmatch(pieces[1])):
        return [part]  # "Sanderson, Brandon", "Le Guin, Ursula K.", "King, Jr."
    return pieces


def _is_surname_first(before: str, after: str) -> bool:
    before_words, after_words = before.split(), after.split()
    if not before_words or not after_words or len(after_words) > 3:
        return False
    surname_like = len(before_words) == 1 or before_words[0].lower().rstrip("'’") in _SURNAME_PARTICLES
    # "Stephen King, Peter Straub" has two full names; "King, Stephen" has a surname then given names.
    return surname_like and (len(after_words) == 1 or any(_is_initial(word) for word in after_words))


def _is_initial(word: str) -> bool:
    letters = word.replace(".", "")
    return 0 < len(letters) <= 3 and letters.isalpha() and (word.endswith(".") or letters.isupper())
