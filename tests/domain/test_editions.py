"""Edition markers: abridged cuts, dramatized adaptations, omnibus box sets."""

from __future__ import annotations

import pytest

from shelfkeeper.domain.library.items import SeriesRef
from shelfkeeper.domain.metadata.editions import Edition, edition_label, edition_of

ABR, DRA, OMNI = Edition.ABRIDGED, Edition.DRAMATIZED, Edition.OMNIBUS


@pytest.mark.parametrize(
    ("title", "subtitle", "format_type", "narrators", "series", "expected"),
    [
        pytest.param("Dune", None, None, (), (), set(), id="plain"),
        pytest.param("Dune (Unabridged)", None, "unabridged", (), (), set(), id="unabridged-is-plain"),
        pytest.param("Dune (Abridged)", None, None, (), (), {ABR}, id="abridged-title"),
        pytest.param("Dune", None, "abridged", (), (), {ABR}, id="abridged-format"),
        pytest.param("Good Omens", "The BBC Radio 4 Dramatisation", None, (), (), {DRA}, id="radio-dramatisation"),
        pytest.param("The Sandman", None, "dramatized", (), (), {DRA}, id="dramatized-format"),
        pytest.param("Dracula", None, None, ("Full Cast",), (), {DRA}, id="full-cast-narrators"),
        pytest.param("The Witcher", "A GraphicAudio Production", None, (), (), {DRA}, id="graphic-audio"),
        pytest.param("The Lord of the Rings: The Complete Trilogy", None, None, (), (), {OMNI}, id="complete-trilogy"),
        pytest.param("The Wheel of Time: Books 1-3", None, None, (), (), {OMNI}, id="books-range"),
        pytest.param("Mistborn Boxed Set", None, None, (), (), {OMNI}, id="boxed-set"),
        pytest.param("The Expanse Omnibus", None, None, (), (), {OMNI}, id="omnibus-word"),
        pytest.param("The Hunger Games Trilogy", None, None, (), (), {OMNI}, id="trilogy-title"),
        pytest.param("The Gunslinger", "The Dark Tower Trilogy, Book 1", None, (), (), set(), id="trilogy-book-1"),
        pytest.param("Collected Stories", None, None, (), (), {OMNI}, id="collected"),
        pytest.param("Dune", None, None, (), (SeriesRef("Dune", "1-3"),), {OMNI}, id="series-range"),
        pytest.param("Dune", None, None, (), (SeriesRef("Dune", "1"),), set(), id="series-single"),
        pytest.param("Dune (Abridged Dramatisation)", None, None, (), (), {ABR, DRA}, id="both"),
    ],
)
def test_edition_of(
    title: str,
    subtitle: str | None,
    format_type: str | None,
    narrators: tuple[str, ...],
    series: tuple[SeriesRef, ...],
    expected: set[Edition],
) -> None:
    assert edition_of(title, subtitle, format_type, narrators, series) == frozenset(expected)


@pytest.mark.parametrize(
    ("markers", "label"),
    [(set(), "single unabridged"), ({ABR}, "abridged"), ({OMNI, DRA}, "dramatized, omnibus")],
)
def test_edition_label(markers: set[Edition], label: str) -> None:
    assert edition_label(frozenset(markers)) == label
