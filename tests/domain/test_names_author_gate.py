"""people.names_author's quick refusal (no wanted surname in the folded text) refuses only what the full check
refuses."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from shelfkeeper.domain.names import split_names
from shelfkeeper.domain.releases.people import names_author, names_match


def _full_check(text: str, authors: tuple[str, ...]) -> bool:
    names = split_names(text)
    matched = [name for name in names if any(names_match(name, wanted) for wanted in authors)]
    return bool(matched) and all(name in matched or 2 <= len(name.split()) <= 3 for name in names)


_WORDS = st.sampled_from(
    ["J", "R", "R.", "Tolkien", "Brandon", "Sanderson", "Le", "Guin", "O'Brien", "and", "&", ";", "K", "C", "jc",
     "Jr.", "S.", "A.", "Corey", "ſ", "Brontë", "-", "_", "'", "Mc", "Kramer"]
)  # fmt: skip
_NAMES = st.lists(_WORDS, min_size=1, max_size=6).map(" ".join)


@settings(max_examples=3000)
@given(_NAMES | st.text(max_size=15), st.lists(_NAMES | st.text(max_size=10), min_size=1, max_size=3).map(tuple))
@example("J C", ("C, J",))
@example("C, J", ("J C",))
@example("J. R. R. Tolkien", ("JRR Tolkien",))
@example("Sanderson Brandon & Kate Reading", ("Brandon Sanderson",))
def test_the_quick_refusal_agrees_with_the_full_check(text: str, authors: tuple[str, ...]) -> None:
    assert names_author(text, authors) == _full_check(text, authors)
