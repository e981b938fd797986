"""The shortcuts of ``fold`` and ``strip_title_noise`` give exactly what the plain pipeline of patterns gives.

``fold`` skips the transliteration of ASCII text and collapses whitespace with ``str.split``; ``strip_title_noise``
skips the patterns that need a mark the title does not have. The reference functions here are those functions as
they were before the shortcuts: every pattern run on every title.
"""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shelfkeeper.domain import text
from shelfkeeper.domain.text import fold, strip_title_noise

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
    "Ship\u00a0of\u2003Magic, the",
    "[Mistborn 01] - The Final Empire",
    "Book 1",
    ", The",
    "—",
    "",
]

# Text built from the pieces the patterns look for, so that the generated titles do hit them.
_PIECES = st.sampled_from(
    [" ", "  ", "\t", "\u00a0", ":", ";", ",", ".", "-", "–", "—", "#", "(", ")", "[", "]", "&", "'", "’", "_"]
    + ["Book", "book", "BK", "vol", "Volume", "Part", "episode", "No", "number", "the", "The", "a", "An", "of"]
    + ["1", "2", "13.5", "07", "one", "Two", "twenty", "iv", "IX", "x", "Novel", "a thriller", "Series", "Saga"]
    + ["Unabridged", "audiobook", "Dramatized", "Box Set", "Mistborn", "Élantris", "Ø", "ß", "刘慈欣", "\u212a", "ſ"]
)
TITLE_LIKE = st.lists(_PIECES, max_size=12).map("".join)


@pytest.mark.parametrize("title", TITLES)
def test_strip_title_noise_as_every_pattern_run(title: str) -> None:
    assert strip_title_noise(title) == reference_strip_title_noise(title)


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
