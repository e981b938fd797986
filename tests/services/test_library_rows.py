"""The library sync's prepared rows: the search text folded part by part is ``fold`` of the parts joined.

``search_text`` folds each name once (names repeat across a library) instead of folding every book's whole
joined text; the reference is what the sync wrote before, ``" " + fold(" ".join(parts)) + " "``.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from shelfkeeper.domain.library.items import LibraryItem, SeriesRef
from shelfkeeper.domain.text import fold
from shelfkeeper.services.library_rows import ItemWrite, prepare, search_text, title_words

# Letters and marks where folding is not a character-by-character map: combining marks (dropped after a Latin
# or Greek letter, kept after others, composed back by NFC), a final sigma (lower-cased by its context),
# compatibility forms, letters transliterated, Hangul (decomposed and recomposed), and every separator fold knows.
ALPHABET = st.sampled_from(
    [
        *"aZ09 _-&'’.,:;#()[]\t\n\x1c\x00",
        *["\u0301", "\u0308", "\u0327", "\u0345", "\u20dd", "\u3099"],  # combining marks
        *"éÉøØßæœłđþıİΣσςΟΔΆ",  # accented, transliterated, Greek (final sigma)
        *"ﬁꟹ①Ⅻ½ｶ",  # compatibility decompositions
        *"刘慈欣한국어가ㄱㅏ",  # other scripts, Hangul syllables and jamo
        *["\u00a0", "\u2003", "\u200b"],  # other spaces
    ]
)
PARTS = st.text(ALPHABET, max_size=12)


def reference(title: str, subtitle: str | None, *names: list[str]) -> str:
    parts = [title, subtitle or ""] + [name for group in names for name in group]
    return " " + fold(" ".join(parts)) + " "


@settings(max_examples=1500)
@given(PARTS, st.none() | PARTS, st.lists(PARTS, max_size=3), st.lists(PARTS, max_size=3), st.lists(PARTS, max_size=2))
@example("Ωσ", "\u0301x", ["\u0308Brontë"], ["ΟΔΟΣ"], ["Saga Σ"])
@example("", "", ["\u0301"], [], [""])
@example("Σ", None, ["Σ"], ["ΑΣ"], [])
def test_search_text_is_fold_of_the_joined_parts(
    title: str, subtitle: str | None, authors: list[str], narrators: list[str], series: list[str]
) -> None:
    got = search_text(title_words(title, subtitle), authors, narrators, series)
    assert got == reference(title, subtitle, authors, narrators, series)


def test_a_prepared_item_keeps_what_the_item_alone_decides() -> None:
    item = LibraryItem(
        id="li_1",
        library_id="lib",
        title="The Way of Kings (Unabridged)",
        subtitle="Book\x00 One",
        authors=("Sanderson, Brandon", "brandon sanderson", "  "),
        narrators=("Michael Kramer", "Kate Reading"),
        path="/books/Way\x00 of Kings",
    )
    prepared = prepare(ItemWrite(item, series=(SeriesRef("Stormlight Archive", "1", "se_1"), SeriesRef(" "))))
    assert prepared.row["subtitle"] == "Book One"
    assert prepared.path == "/books/Way of Kings"
    assert prepared.authors == ("Brandon Sanderson",)
    assert prepared.narrators == ("Michael Kramer", "Kate Reading")
    assert [(wanted.abs_id, wanted.name, position) for wanted, position in prepared.series or ()] == [
        ("se_1", "Stormlight Archive", "1")
    ]
    assert prepared.title_sort == "way of kings"
    assert prepared.author_sort == "sanderson, brandon"
    expected = " the way of kings unabridged book one brandon sanderson "
    assert search_text(prepared.title_words, prepared.authors) == expected
