"""uploader.trailing_piece reads a title from its end as the two searches it replaces read it from the start."""

from __future__ import annotations

import re
import sys

from hypothesis import example, given, settings
from hypothesis import strategies as st

from shelfkeeper.domain.releases.uploader import _is_letter, trailing_piece

# the searches trailing_piece replaces, as they were
_TRAILING_GROUP = re.compile(r"(?:\[(?P<square>[^\[\]]*)\]|\{(?P<curly>[^{}]*)\})\s*$")
_TRAILING_DASH = re.compile(r"\s?-(?P<scene>[^\W\d_][^\W\d_]*)\s*$")
_LETTER = re.compile(r"[^\W\d_]")


def _searched(text: str) -> tuple[int, str] | None:
    match = _TRAILING_GROUP.search(text) if text.rstrip()[-1:] in ("]", "}") else None
    if match is None and "-" in text:
        match = _TRAILING_DASH.search(text)
    return None if match is None else (match.start(), match.group(match.lastindex or 0))


def test_is_letter_is_the_class_of_the_search_for_every_code_point() -> None:
    for point in range(sys.maxunicode + 1):
        ch = chr(point)
        assert _is_letter(ch) == bool(_LETTER.fullmatch(ch)), hex(point)


_PIECES = st.sampled_from(["[", "]", "{", "}", "(", ")", "-", " - ", " ", "\n", "\t", "\u00a0", "a", "JNoN", "é", "²",
                           "1", "_", "M4B", "StarLantern", "x y", "ǅ", "٣"])  # fmt: skip


@settings(max_examples=3000)
@given(st.lists(_PIECES, max_size=12).map("".join) | st.text(max_size=20))
@example("Author - Title [M4B] [StarLantern]")
@example("Author - Title m4b-JNoN  ")
@example("Author - Title m4b -JNoN\n")
@example("x [a]b]")
@example("-")
def test_trailing_piece_is_what_the_searches_found(text: str) -> None:
    assert trailing_piece(text) == _searched(text)
