"""Normalising titles, author names, series positions, languages and identifiers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfkeeper.domain.names import normalize_author, split_names
from shelfkeeper.domain.text import (
    fold,
    format_position,
    format_positions,
    move_trailing_article,
    normalize_asin,
    normalize_isbn,
    normalize_language,
    normalize_title,
    parse_position,
    strip_leading_article,
    title_position,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Leviathan Wakes", "leviathan wakes"),
        ("LEVIATHAN   WAKES!", "leviathan wakes"),
        ("Hobbit, The", "hobbit"),
        ("Hobbit, The (Unabridged)", "hobbit"),
        ("The Hobbit [Audiobook]", "hobbit"),
        ("A Game of Thrones", "game of thrones"),
        ("An Echo of Things to Come", "echo of things to come"),
        ("Leviathan Wakes, Book 1", "leviathan wakes"),
        ("Leviathan Wakes: The Expanse, Book 1", "leviathan wakes"),
        ("A Clash of Kings: A Song of Ice and Fire, Book 2", "clash of kings"),
        ("The Eye of the World: Book One of The Wheel of Time", "eye of the world"),
        ("The Eye of the World (Book 1 of the Wheel of Time)", "eye of the world"),
        ("The Way of Kings (The Stormlight Archive, Book 1)", "way of kings"),
        ("The Hero of Ages (Mistborn #3)", "hero of ages"),
        ("Mistborn #3", "mistborn"),
        ("Mistborn Book 1", "mistborn"),
        ("Dune, Part Two", "dune"),
        ("Book 2: The Two Towers", "two towers"),
        ("01 - Leviathan Wakes", "leviathan wakes"),
        ("Dune: A Novel", "dune"),
        ("Killing Floor - A Jack Reacher Novel", "killing floor"),
        ("Guards! Guards!: A Discworld Novel", "guards guards"),
        ("Ender's Game (Author's Definitive Edition)", "enders game"),
        ("The Girl with the Dragon Tattoo (Millennium Series)", "girl with the dragon tattoo"),
        ("Dracula [Dramatised]", "dracula"),
        ("Sapiens (2014)", "sapiens"),
        ("Cien años de soledad", "cien anos de soledad"),
        ("Män som hatar kvinnor", "man som hatar kvinnor"),
        ("三体", "三体"),
        ("Catch-22", "catch 22"),
        ("Fahrenheit 451", "fahrenheit 451"),
        ("11.22.63", "11 22 63"),
        ("2001: A Space Odyssey", "2001 a space odyssey"),
        ("The Jungle Book", "jungle book"),
        ("Ready Player One", "ready player one"),
        ("The No. 1 Ladies' Detective Agency", "no 1 ladies detective agency"),
        ("I, Robot", "i robot"),
        ("Book 1", "book 1"),  # nothing but noise: compared as itself rather than as ""
    ],
)
def test_normalize_title(raw: str, expected: str) -> None:
    assert normalize_title(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Brandon Sanderson", "brandon sanderson"),
        ("  Brandon   Sanderson ", "brandon sanderson"),
        ("Sanderson, Brandon", "brandon sanderson"),
        ("J.R.R. Tolkien", "jrr tolkien"),
        ("J. R. R. Tolkien", "jrr tolkien"),
        ("JRR Tolkien", "jrr tolkien"),
        ("Tolkien, J.R.R.", "jrr tolkien"),
        ("George R. R. Martin", "george rr martin"),
        ("George RR Martin", "george rr martin"),
        ("Le Guin, Ursula K.", "ursula k le guin"),
        ("C.S. Lewis", "cs lewis"),
        ("Martin Luther King, Jr.", "martin luther king jr"),
        ("Jo Nesbø", "jo nesbo"),
        ("Stanisław Lem", "stanislaw lem"),
        ("Muiris Ó Súilleabháin", "muiris o suilleabhain"),
        ("Gabriel García Márquez", "gabriel garcia marquez"),
        ("Liu Cixin", "liu cixin"),
        ("刘慈欣", "刘慈欣"),
        ("Фёдор Достоевский", "фёдор достоевский"),
        ("Dr. Seuss", "dr seuss"),
    ],
)
def test_normalize_author(raw: str, expected: str) -> None:
    assert normalize_author(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Éric-Emmanuel Schmitt", "eric emmanuel schmitt"),
        ("Rock & Roll", "rock and roll"),
        ("Ender’s Game", "enders game"),
        ("ﬁnal ＡＢＣ", "final abc"),  # ligature and full-width letters
        ("ガンダム", "ガンダム"),  # the kana voicing mark is a different letter, not an accent
        ("Straße", "strasse"),
        ("snake_case__title", "snake case title"),
        ("", ""),
    ],
)
def test_fold(raw: str, expected: str) -> None:
    assert fold(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Brandon Sanderson", ["Brandon Sanderson"]),
        ("Sanderson, Brandon", ["Sanderson, Brandon"]),
        ("Le Guin, Ursula K.", ["Le Guin, Ursula K."]),
        ("Tolkien, J. R. R.", ["Tolkien, J. R. R."]),
        ("van Gogh, Vincent", ["van Gogh, Vincent"]),
        ("Martin Luther King, Jr.", ["Martin Luther King, Jr."]),
        ("Stephen King, Peter Straub", ["Stephen King", "Peter Straub"]),
        ("Stephen King & Peter Straub", ["Stephen King", "Peter Straub"]),
        ("Stephen King and Peter Straub", ["Stephen King", "Peter Straub"]),
        ("King, Stephen; Straub, Peter", ["King, Stephen", "Straub, Peter"]),
        ("King, Stephen & Straub, Peter", ["King, Stephen", "Straub, Peter"]),
        ("Terry Pratchett, Neil Gaiman, Stephen Briggs", ["Terry Pratchett", "Neil Gaiman", "Stephen Briggs"]),
        ("刘慈欣, Ken Liu", ["刘慈欣", "Ken Liu"]),
        ("", []),
        ("   ", []),
    ],
)
def test_split_names(raw: str, expected: list[str]) -> None:
    assert split_names(raw) == expected


D = Decimal


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2", (D(2), D(2))),
        (2, (D(2), D(2))),
        (1.5, (D("1.5"), D("1.5"))),
        ("Book 3", (D(3), D(3))),
        ("book 1.5", (D("1.5"), D("1.5"))),
        ("#3", (D(3), D(3))),
        ("vol. 4", (D(4), D(4))),
        ("1-3", (D(1), D(3))),
        ("3-1", (D(1), D(3))),
        ("Books 1-3", (D(1), D(3))),
        ("1 to 3", (D(1), D(3))),
        ("2, 3", (D(2), D(3))),
        ("1,5", (D("1.5"), D("1.5"))),  # a decimal comma, not the range 1..5
        ("Book Three", (D(3), D(3))),
        ("III", (D(3), D(3))),
        ("3 of 7", (D(3), D(3))),
        ("0", (D(0), D(0))),
        ("-1", None),
        ("prequel", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_position(raw: str | float | None, expected: tuple[Decimal, Decimal] | None) -> None:
    assert parse_position(raw) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Dune, Book 2", (D(2), D(2))),
        ("The Hero of Ages (Mistborn #3)", (D(3), D(3))),
        ("The Wheel of Time: Books 1-3", (D(1), D(3))),
        ("The Eye of the World: Book One of The Wheel of Time", (D(1), D(1))),
        ("Dune, Part II", (D(2), D(2))),
        ("Leviathan Wakes", None),
        ("Catch-22", None),
        ("The Jungle Book", None),
    ],
)
def test_title_position(title: str, expected: tuple[Decimal, Decimal] | None) -> None:
    assert title_position(title) == expected


@pytest.mark.parametrize(("value", "expected"), [(D(2), "2"), (D("1.50"), "1.5"), (D("10"), "10"), (D("0.5"), "0.5")])
def test_format_position(value: Decimal, expected: str) -> None:
    assert format_position(value) == expected


def test_format_positions_writes_each_as_format_position() -> None:
    values = [D(2), D("1.50"), D("10"), D("0.5"), D("1E+1"), D("0.10"), D("99999999999999999999.5")]
    assert format_positions(values) == [format_position(value) for value in values]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Hobbit, The", "The Hobbit"), ("Road, a", "a Road"), ("The Hobbit", "The Hobbit"), ("I, Robot", "I, Robot")],
)
def test_move_trailing_article(raw: str, expected: str) -> None:
    assert move_trailing_article(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [("the hobbit", "hobbit"), ("a", "a"), ("there", "there")])
def test_strip_leading_article(raw: str, expected: str) -> None:
    assert strip_leading_article(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("English", "en"),
        ("eng", "en"),
        ("en-US", "en"),
        ("en_GB", "en"),
        ("Deutsch", "de"),
        ("ger", "de"),
        ("Español", "es"),
        ("zho", "zh"),
        ("Klingon", "klingon"),
        ("", None),
        (None, None),
    ],
)
def test_normalize_language(raw: str | None, expected: str | None) -> None:
    assert normalize_language(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0-441-01359-7", "9780441013593"),
        ("978-0-441-01359-3", "9780441013593"),
        ("080442957X", "9780804429573"),
        (" 9780441013593 ", "9780441013593"),
        ("", None),
        (None, None),
    ],
)
def test_normalize_isbn(raw: str | None, expected: str | None) -> None:
    assert normalize_isbn(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [(" b002v0qk4c ", "B002V0QK4C"), ("", None), (None, None)])
def test_normalize_asin(raw: str | None, expected: str | None) -> None:
    assert normalize_asin(raw) == expected


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_fold_is_idempotent_and_tidy(raw: str) -> None:
    folded = fold(raw)
    assert fold(folded) == folded
    assert folded == folded.strip()
    assert "  " not in folded
    assert folded == folded.lower()


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalisers_accept_any_text(raw: str) -> None:
    assert isinstance(normalize_title(raw), str)
    assert isinstance(normalize_author(raw), str)
    assert all(name.strip() == name and name for name in split_names(raw))
    position = parse_position(raw)
    assert position is None or position[0] <= position[1]
