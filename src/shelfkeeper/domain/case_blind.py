"""What a case-blind regular expression sees of a text: every letter it would match to an ASCII one, as that letter.

Patterns compiled with ``re.IGNORECASE`` match an ASCII letter of the pattern to its two cases and to four letters of
other scripts: the dotted and dotless I ("İ", "ı"), the long S ("ſ") and the Kelvin sign ("K"). A cheap test "does
the text hold the word this pattern needs?" must see those four as the letters they match, or it would skip a
pattern that matches. ``case_blind_lower`` gives the text for such tests, for any script: the regex-free gates of
the parsers ask it instead of answering only ASCII text.
"""

from __future__ import annotations

# Each letter outside ASCII that re.IGNORECASE matches to an ASCII letter (found by trying every code point
# against every ASCII letter: tests/domain/test_case_blind.py), mapped before lower-casing. str.lower would turn
# "İ" into two characters ("i" and a combining dot), splitting a word like "İn" apart.
_ASCII_LOOKALIKES = str.maketrans({"İ": "i", "ı": "i", "ſ": "s", "K": "k"})


def case_blind_lower(text: str) -> str:
    """The text lower-cased, each letter a case-blind pattern matches to an ASCII letter written as that letter.

    A word of ASCII letters a case-blind pattern finds in ``text`` stands, lower-cased, in the result: "PART" and
    "ſeries" give "part" and "series". The result is for such tests only, not for reading (other letters are merely
    lower-cased, some into several characters).
    """
    if text.isascii():
        return text.lower()
    return text.translate(_ASCII_LOOKALIKES).lower()
