"""case_blind_lower: every letter a case-blind pattern matches to an ASCII letter is that letter in its result."""

from __future__ import annotations

import re
import string
import sys

from hypothesis import given
from hypothesis import strategies as st

from shelfkeeper.domain.case_blind import case_blind_lower

_ASCII_LETTER = re.compile("[a-z]", re.IGNORECASE)


def test_every_letter_a_case_blind_pattern_matches_to_an_ascii_letter_becomes_that_letter() -> None:
    for point in range(sys.maxunicode + 1):
        ch = chr(point)
        if _ASCII_LETTER.fullmatch(ch):
            (letter,) = (x for x in string.ascii_lowercase if re.fullmatch(x, ch, re.IGNORECASE))
            assert case_blind_lower(ch) == letter, hex(point)
        elif not ch.isascii():
            # any other letter gives no ASCII letter: a test on the result cannot see a word that is not there
            assert not any(c in string.ascii_letters for c in case_blind_lower(ch)), hex(point)


@given(st.text(alphabet=st.sampled_from("partbyknoISKİıſ -#é刘")), st.sampled_from(["part", "by", "k", "no", "is"]))
def test_a_word_a_case_blind_pattern_finds_stands_in_the_result(text: str, word: str) -> None:
    if re.search(word, text, re.IGNORECASE):
        assert word in case_blind_lower(text)


def test_examples() -> None:
    assert case_blind_lower("PART Two") == "part two"
    assert case_blind_lower("İn ſeries 64K") == "in series 64k"
    assert case_blind_lower("Brontë") == "brontë"
