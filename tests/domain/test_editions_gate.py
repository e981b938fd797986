"""``edition_of`` runs a pattern only when the text holds a word it needs, as a case-blind pattern sees it: for
any text, in any script (the Kelvin sign "K", the long s "ſ", the dotted and dotless I among them), the markers are
those every pattern run on the text finds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from shelfkeeper.domain.library.items import SeriesRef
from shelfkeeper.domain.metadata import editions
from shelfkeeper.domain.metadata.editions import Edition, edition_of
from shelfkeeper.domain.text import title_position

PIECES = [
    "abridged", "ABRİDGED", "unabridged", "dramatised", "Dramatization", "full cast", "full-cast", "radio drama",
    "BBC Radio", "audio drama", "GraphicAudio", "adapted", "Omnibus", "boxed set", "box set", "complete series",
    "collection", "collected", "Books 1-3", "bookſ 1 to 3", "Book 2", "Bk 3", "Vol. 4", "Part 5", "#6", "3-book",
    "three-book", "Trilogy", "trilogy", "series", "ſeries", "Kelvin", "The", "of", "Dune", "Émile", "三体", "١٢",
    "İn", "ıı", "K", "ſ", "-", " ", ":", ",",
]  # fmt: skip
TEXTS = st.lists(st.sampled_from(PIECES), max_size=7).map(" ".join)


def ungated(title: str, subtitle: str | None, format_type: str | None, narrators: list[str], series: list[SeriesRef]):
    """The markers with every pattern run, whatever words the text holds."""
    text = f"{title} {subtitle or ''} {format_type or ''}"
    found: set[Edition] = set()
    if editions._ABRIDGED.search(text):
        found.add(Edition.ABRIDGED)
    if editions._DRAMATIZED.search(text) or any(editions._FULL_CAST_NARRATOR.search(n) for n in narrators):
        found.add(Edition.DRAMATIZED)
    spans = any(
        (p := editions.parse_position(ref.sequence)) is not None and p[0] != p[1] for ref in series
    ) or _spans_by_title(title, subtitle)
    if editions._OMNIBUS.search(text) or spans:
        found.add(Edition.OMNIBUS)
    return frozenset(found)


def _spans_by_title(title: str, subtitle: str | None) -> bool:
    stated = title_position(f"{title} {subtitle or ''}")
    if stated is not None:
        return stated[0] != stated[1]
    return bool(editions._GROUP_WORDS.search(title.strip()))


@settings(max_examples=1500, deadline=None)
@given(
    TEXTS,
    st.none() | TEXTS,
    st.sampled_from([None, "", "Audiobook", "Radio Drama"]),
    st.lists(st.sampled_from(["Full Cast", "Various", "Jim Dale", "BBC Radio"]), max_size=2),
    st.lists(st.builds(SeriesRef, st.just("Saga"), st.sampled_from([None, "1", "1-3", "2.5"])), max_size=2),
)
def test_the_markers_are_those_every_pattern_finds(title, subtitle, format_type, narrators, series) -> None:
    assert edition_of(title, subtitle, format_type, narrators, series) == ungated(
        title, subtitle, format_type, narrators, series
    )
