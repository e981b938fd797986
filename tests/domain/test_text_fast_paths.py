"""The shortcuts of ``fold``, ``strip_title_noise``, ``title_position`` and ``edition_of`` change no answer.

``fold`` skips the transliteration of ASCII text, and the punctuation pattern when an ASCII text has only letters,
digits and spaces, and collapses whitespace with ``str.split``; ``strip_title_noise`` skips the patterns that need a
mark, or in an ASCII title a word, that the title does not have; ``normalize_title`` answers an ASCII title of letters,
digits and spaces without a number keyword at once; ``title_position`` answers an ASCII title without a position word
at once. The reference functions here are those functions as they were before the shortcuts: every
pattern run on every title.
"""

from __future__ import annotations

import re
import sys
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shelfkeeper.domain import text
from shelfkeeper.domain.metadata import editions
from shelfkeeper.domain.metadata.editions import Edition, edition_of
from shelfkeeper.domain.names import initials_joined, split_names
from shelfkeeper.domain.text import fold, normalize_title, strip_leading_article, strip_title_noise, title_position

_SPACES = re.compile(r"\s+")


def reference_fold(raw: str) -> str:
    no_marks = raw if raw.isascii() else text._without_marks(raw)
    no_marks = no_marks.replace("&", " and ").replace("'", "").replace("’", "")
    cleaned = text._NON_WORD.sub(" ", no_marks.lower().translate(text._TRANSLITERATION)).replace("_", " ")
    return _SPACES.sub(" ", cleaned).strip()


def reference_strip_title_noise(title: str) -> str:
    noise = text._BRACKET_NOISE
    stripped = text._BRACKETED.sub(lambda m: " " if noise.search(m.group(1)) else m.group(0), title)
    for pattern in (
        text._SERIES_SUBTITLE,
        text._NOVEL_SUFFIX,
        text._LEADING_NUMBER,
        text._SEPARATED_NUMBER,
        text._TRAILING_NUMBER,
        text._HASH_NUMBER,
    ):
        stripped = pattern.sub(" ", stripped)
    return text.move_trailing_article(_SPACES.sub(" ", stripped).strip(" ,:;-–—"))


TITLES = [
    "Leviathan Wakes",
    "Hobbit, The (Unabridged)",
    "Leviathan Wakes: The Expanse, Book 1",
    "The Eye of the World: Book One of The Wheel of Time",
    "A Game of Thrones - Book One of A Song of Ice and Fire",
    "Mistborn #3",
    "Book 2 - The Well of Ascension",
    "01. The Final Empire",
    "Dune, Book 2",
    "Gone Girl: A Novel",
    "Hobbit, The",
    "The Expanse Book 3",
    "Catch-22",
    "Eragon; Vol. IV",
    "  Élantris\t(Tenth Anniversary Edition)  ",
    "Ｂｏｏｋ ２",  # full-width letters: NFKD turns them into ASCII
    "Kelvin: \u212a",
    "Star Lost Citadel 37570",
    "Wolf Salt Machine 12-4",
    "Gone Girl - A Novel",
    "Hearts Aflame: A Regency Romance",
    "The Glass Hotel: a Memoir",
    "Rebecca - A Gothic Mystery",
    "The Island: A Thriller",
    "Leviathan Wakes - The Expanse Number 1",
    "Episode IV, A New Hope",
    "Eragon, Vol. 4 Extras",
    "Eragon; Bk 4 Extras",
    "Ash Tide Part 3",
    "Ash Tide No. 3",
    "Star Wars Episode 4",
    "Glass Tide, Number 2 Reprinted",
    "Mr. Mercedes",
    "3. The Hidden Palace",
    "Ship\u00a0of\u2003Magic, the",
    "[Mistborn 01] - The Final Empire",
    "Book 1",
    ", The",
    "—",
    "",
]

# Text built from the pieces the patterns look for, so that the generated titles do hit them.
_MARKS = [" ", "  ", "\t", "\u00a0", ":", ";", ",", ".", "-", "–", "—", "#", "(", ")", "[", "]", "&", "'", "’", "_"]
_KEYWORDS = ["Book", "book", "BK", "vol", "Volume", "Part", "episode", "No", "number", "the", "The", "a", "An", "of"]
_NUMBERS = ["1", "2", "13.5", "07", "one", "Two", "twenty", "iv", "IX", "x"]
_WORDS = ["Novel", "a thriller", "Series", "Saga", "Unabridged", "audiobook", "Dramatized", "Box Set", "Mistborn"]
_WORDS += ["an Epic Novella", "A MEMOIR", "mystery", "Romance", "Snow", "apart", "Revolver", "bkz", "books"]
_LETTERS = ["Élantris", "Ø", "ß", "刘慈欣", "\u212a", "ſ"]  # the Kelvin sign and the long s fold to "k" and "s"
_PIECES = st.sampled_from([*_MARKS, *_KEYWORDS, *_NUMBERS, *_WORDS, *_LETTERS])
TITLE_LIKE = st.lists(_PIECES, max_size=12).map("".join)


@pytest.mark.parametrize("title", TITLES)
def test_strip_title_noise_as_every_pattern_run(title: str) -> None:
    assert strip_title_noise(title) == reference_strip_title_noise(title)


def reference_normalize_title(title: str) -> str:
    normalized = strip_leading_article(reference_fold(reference_strip_title_noise(title)))
    return normalized or strip_leading_article(reference_fold(text.move_trailing_article(title)))


# Titles of plain words, the shape ``normalize_title`` answers at once, with the keywords it must not answer.
PLAIN_LIKE = st.lists(st.sampled_from([*_KEYWORDS, *_NUMBERS, "Ash", "tide", "NO", "Snow", "x1", "", " "]), max_size=6)
# The same with hyphens inside, beside or around words ("Spider-Man", "1460-6", "Ash -tide", "-Ash").
HYPHENATED_LIKE = st.lists(
    st.sampled_from([*_KEYWORDS, *_NUMBERS, "Ash", "tide", "Snow", "-", "--", " ", ""]), max_size=8
)


PLAIN_TITLES = [
    "The Ash Tide 3",
    "Ash Tide No 3",
    "the",
    "  Ash   tide ",
    "Ash Tide_3",
    "Ash Tide 1460-6",
    "Spider-Man",
]
PLAIN_TITLES += [
    "12-3 Ash",
    "1 - Ash",
    "Ash -tide",
    "Ash- tide",
    "-Ash",
    "Ash-",
    "-",
    "Ash--tide",
    "The-Ash",
    "Ash Book-2",
]


@pytest.mark.parametrize("title", [*TITLES, *PLAIN_TITLES])
def test_normalize_title_as_the_plain_pipeline(title: str) -> None:
    assert normalize_title(title) == reference_normalize_title(title)


@settings(max_examples=2000)
@given(st.one_of(PLAIN_LIKE.map(" ".join), HYPHENATED_LIKE.map("".join), TITLE_LIKE, st.text()))
def test_normalize_title_as_the_plain_pipeline_on_any_text(title: str) -> None:
    assert normalize_title(title) == reference_normalize_title(title)


@pytest.mark.parametrize("title", TITLES)
def test_fold_as_the_plain_pipeline(title: str) -> None:
    assert fold(title) == reference_fold(title)


@settings(max_examples=2000)
@given(st.one_of(TITLE_LIKE, st.text()))
@example("Book 2 of the Series, The")
def test_strip_title_noise_as_every_pattern_run_on_any_text(title: str) -> None:
    assert strip_title_noise(title) == reference_strip_title_noise(title)


@settings(max_examples=2000)
@given(st.one_of(TITLE_LIKE, st.text()))
def test_fold_as_the_plain_pipeline_on_any_text(raw: str) -> None:
    assert fold(raw) == reference_fold(raw)


def test_str_split_knows_the_same_whitespace_as_the_regex() -> None:
    """``fold`` and ``strip_title_noise`` collapse whitespace with ``str.split`` in place of the regex ``\\s+``."""
    every = "".join(chr(point) for point in range(sys.maxunicode + 1) if not 0xD800 <= point <= 0xDFFF)
    assert set(re.findall(r"\s", every)) == {ch for ch in every if ch.isspace()}


def reference_title_position(title: str) -> tuple[Decimal, Decimal] | None:
    found = None
    for match in text._TITLE_POSITION.finditer(title):
        if match.group(1).strip():
            found = match.group(1)
    if found is None:
        return None
    parts = re.split(r"\s*(?:-|–|—|to|through|&|and)\s*", found.strip(), flags=re.IGNORECASE)
    values = [text._number_value(part) for part in parts if part]
    numbers = [value for value in values if value is not None]
    if not numbers or len(numbers) != len(values):
        return None
    return min(numbers), max(numbers)


@pytest.mark.parametrize("title", [*TITLES, "Books 1-3", "BOOK II", "Vol.4", "Part 2 of Book 3", "\u212ak 2"])
def test_title_position_as_the_pattern_alone(title: str) -> None:
    assert title_position(title) == reference_title_position(title)


@settings(max_examples=2000)
@given(st.one_of(TITLE_LIKE, st.text()))
def test_title_position_as_the_pattern_alone_on_any_text(title: str) -> None:
    assert title_position(title) == reference_title_position(title)


def reference_strip_leading_article(folded: str) -> str:
    for article in ("the ", "a ", "an "):
        if folded.startswith(article) and len(folded) > len(article):
            return folded[len(article) :]
    return folded


@settings(max_examples=500)
@given(st.lists(st.sampled_from(["the", "a", "an", "then", "at", " ", "  ", "x", "\t"]), max_size=5).map("".join))
@example("the ")
@example("an")
def test_strip_leading_article_as_the_prefix_loop(folded: str) -> None:
    assert strip_leading_article(folded) == reference_strip_leading_article(folded)


def test_cached_word_lists_are_fresh_copies() -> None:
    """``initials_joined`` and ``split_names`` are cached; a caller changing its list must not change the next one."""
    words = initials_joined("J. R. R. Tolkien")
    words.append("changed")
    names = split_names("Sanderson, Brandon & Robert Jordan")
    names.clear()
    assert initials_joined("J. R. R. Tolkien") == ["jrr", "tolkien"]
    assert split_names("Sanderson, Brandon & Robert Jordan") == ["Sanderson, Brandon", "Robert Jordan"]


def reference_edition_of(title: str, subtitle: str | None, format_type: str | None) -> frozenset[Edition]:
    text = f"{title} {subtitle or ''} {format_type or ''}"
    found: set[Edition] = set()
    if editions._ABRIDGED.search(text):
        found.add(Edition.ABRIDGED)
    if editions._DRAMATIZED.search(text):
        found.add(Edition.DRAMATIZED)
    if editions._OMNIBUS.search(text) or editions._spans_several(title, subtitle, ()):
        found.add(Edition.OMNIBUS)
    return frozenset(found)


_EDITION_WORDS = ["Abridged", "unabridged", "Dramatized", "dramatisation", "Full-Cast", "full cast", "BBC Radio"]
_EDITION_WORDS += ["Radio Play", "Audio Drama", "GraphicAudio", "adaptation", "Adapted", "Omnibus", "Boxed Set"]
_EDITION_WORDS += ["box-set", "Complete Series", "Collection", "collected", "Books 1-3", "3-Book", "Three-Book"]
EDITION_LIKE = st.lists(st.sampled_from([*_EDITION_WORDS, *_MARKS, *_NUMBERS, *_LETTERS, "Trilogy"]), max_size=8)


@settings(max_examples=2000)
@given(
    st.one_of(EDITION_LIKE.map(" ".join), TITLE_LIKE, st.text()),
    st.one_of(st.none(), EDITION_LIKE.map("".join), st.text(max_size=8)),
    st.sampled_from([None, "Unabridged", "abridged", "Dramatized"]),
)
def test_edition_of_as_every_pattern_run(title: str, subtitle: str | None, format_type: str | None) -> None:
    """``edition_of`` skips a pattern on ASCII text without its words; the answer stays the patterns' own."""
    assert edition_of(title, subtitle, format_type) == reference_edition_of(title, subtitle, format_type)
