"""Release parsing: titles from Prowlarr and MAM, and MAM's structured fields winning over the title."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shelfkeeper.domain.releases.parsing import (
    SegmentKind,
    SeriesMention,
    is_quality_word,
    parse_release,
    title_language,
)
from shelfkeeper.domain.releases.release import Release


def _position(value: str) -> tuple[Decimal, Decimal]:
    low, _, high = value.partition("-")
    return Decimal(low), Decimal(high or low)


def _release(title: str, **fields: Any) -> Release:
    return Release(indexer=fields.pop("indexer", "Some Indexer"), title=title, guid="guid-1", **fields)


# (title, structured Release fields, expected ParsedRelease attributes)
TITLES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "Stephen King - You Like It Darker (2024) [M4B] 64kbps",
        {},
        {
            "title": "You Like It Darker",
            "authors": ("Stephen King",),
            "format": "m4b",
            "bitrate_kbps": 64,
            "year": 2024,
        },
    ),
    (
        "Brandon Sanderson - Mistborn 01 - The Final Empire [Unabridged] {mp3 320}",
        {},
        {
            "title": "The Final Empire",
            "authors": ("Brandon Sanderson",),
            "series": (SeriesMention("Mistborn", _position("1")),),
            "format": "mp3",
            "bitrate_kbps": 320,
            "abridged": False,
        },
    ),
    (
        "The Expanse Book 3 - Abaddon's Gate - James S.A. Corey.m4b",
        {},
        {
            "title": "Abaddon's Gate",
            "authors": ("James S.A. Corey",),
            "series": (SeriesMention("The Expanse", _position("3")),),
            "format": "m4b",
        },
    ),
    (
        "Dune (Frank Herbert) [EPUB]",
        {},
        {"title": "Dune", "authors": ("Frank Herbert",), "formats": ("epub",), "is_ebook": True},
    ),
    (
        "You Like It Darker by Stephen King [ENG / M4B] [VIP]",
        {},
        {"title": "You Like It Darker", "authors": ("Stephen King",), "language": "en", "vip": True},
    ),
    (
        "Sleeping Beauties by Stephen King, Owen King [ENG / MP3]",
        {},
        {"title": "Sleeping Beauties", "authors": ("Stephen King", "Owen King"), "format": "mp3"},
    ),
    (
        "Project Hail Mary - Andy Weir (2021) Unabridged MP3 128kbps",
        {},
        {"format": "mp3", "bitrate_kbps": 128, "abridged": False, "year": 2021},
    ),
    (
        "Andy.Weir.Project.Hail.Mary.2021.Audiobook.M4B",
        {},
        {"format": "m4b", "title": "Andy Weir Project Hail Mary 2021 Audiobook"},
    ),
    (
        "Abaddon's Gate: The Expanse, Book 3 - James S. A. Corey",
        {},
        {"title": "Abaddon's Gate", "series": (SeriesMention("The Expanse", _position("3")),)},
    ),
    (
        "Leviathan Wakes (The Expanse #1) - James S. A. Corey [Narrated by Jefferson Mays]",
        {},
        {
            "title": "Leviathan Wakes",
            "authors": ("James S. A. Corey",),
            "narrators": ("Jefferson Mays",),
            "series": (SeriesMention("The Expanse", _position("1")),),
        },
    ),
    (
        "Stephen King - It - read by Steven Weber [mp3 64kbps]",
        {},
        {"title": "It", "narrators": ("Steven Weber",), "bitrate_kbps": 64, "format": "mp3"},
    ),
    (
        "Der Herr der Ringe - J.R.R. Tolkien [GER] [MP3]",
        {},
        {"title": "Der Herr der Ringe", "authors": ("J.R.R. Tolkien",), "language": "de"},
    ),
    ("Stand by Me - Stephen King", {}, {"title": "Stand by Me", "authors": ("Stephen King",)}),
    ("Fahrenheit 451 - Ray Bradbury [M4B]", {}, {"title": "Fahrenheit 451", "series": ()}),
    ("Stephen King - The Stand (Abridged) [MP3]", {}, {"title": "The Stand", "abridged": True}),
    (
        "Pierce Brown - Red Rising 03",
        {},
        {"series": (SeriesMention("Red Rising", _position("3")),), "format": None},
    ),
    (
        "Dune (Frank Herbert) [FLAC] [Retail] [2019]",
        {},
        {"formats": ("flac",), "year": 2019, "is_ebook": False},
    ),
    (
        "The Way of Kings [Stormlight Archive #1] {m4b 64k}",
        {},
        {
            "title": "The Way of Kings",
            "series": (SeriesMention("Stormlight Archive", _position("1")),),
            "bitrate_kbps": 64,
        },
    ),
    (
        "Terry Pratchett - Discworld 1-3 - Omnibus [MP3]",
        {},
        {"title": "Omnibus", "series": (SeriesMention("Discworld", _position("1-3")),)},
    ),
    (
        "Harry Potter and the Philosopher's Stone, Book 1 [Audiobook] [128 kbps]",
        {},
        # "Name, Book N" reads as a series; verification still finds the title among series names
        {"series": (SeriesMention("Harry Potter and the Philosopher's Stone", _position("1")),), "bitrate_kbps": 128},
    ),
    (
        "Some Author - Magnum Opus [mp3]",
        {},
        {"title": "Magnum Opus", "formats": ("mp3",)},
    ),
    (
        "Frank Herbert - Dune &amp; Dune Messiah [m4b]",
        {},
        {"title": "Dune & Dune Messiah"},
    ),
    (
        "Antoine de Saint-Exupéry - Le Petit Prince [French] [MP3]",
        {},
        {"language": "fr", "authors": ("Antoine de Saint-Exupéry",)},
    ),
    (
        "Naomi Novik - Spinning Silver (Narrator: Lisa Flanagan) [M4B]",
        {},
        {"narrators": ("Lisa Flanagan",), "title": "Spinning Silver"},
    ),
    (
        "Stephen King - It [FL] [ENG]",
        {},
        {"freeleech": True, "language": "en"},
    ),
    # MAM: structured fields win over the title
    (
        "You Like It Darker",
        {
            "source": "mam",
            "authors": ("Stephen King",),
            "narrators": ("Will Patton",),
            "file_type": "mp3 m4b",
            "language": "ENG",
            "freeleech": True,
            "mam_id": 1234,
        },
        {
            "title": "You Like It Darker",
            "authors": ("Stephen King",),
            "authors_stated": True,
            "narrators": ("Will Patton",),
            "formats": ("mp3", "m4b"),
            "format": "m4b",
            "language": "en",
            "freeleech": True,
        },
    ),
    (
        "Abaddon's Gate",
        {"source": "mam", "authors": ("James S. A. Corey",), "series": (("The Expanse", "3"),), "file_type": "m4b"},
        {"series": (SeriesMention("The Expanse", _position("3")),), "title": "Abaddon's Gate"},
    ),
    (
        "Awaken Online Omnibus",
        {"source": "mam", "authors": ("Travis Bagwell",), "series": (("Awaken Online", "01-16, 13.5"),)},
        {"series": (SeriesMention("Awaken Online", None),)},
    ),
    (
        "Dune",
        {"source": "mam", "authors": ("Frank Herbert",), "file_type": "epub mobi", "personal_freeleech": True},
        {"is_ebook": True, "personal_freeleech": True, "freeleech": False},
    ),
    (
        "Dune [English]",
        {"categories": (7020,), "size_bytes": 2_000_000},
        {"is_ebook": True, "format": None, "size_bytes": 2_000_000, "language": "en"},
    ),
    (
        "Dune",
        {"categories": (3030, 7020)},
        {"is_ebook": False},
    ),
    ("Dune", {"source": "mam", "authors": ("Frank Herbert",), "extra": {"main_cat": 14}}, {"is_ebook": True}),
    ("Dune", {"source": "mam", "authors": ("Frank Herbert",), "categories": (63,)}, {"is_ebook": True}),
    ("Dune", {"source": "mam", "authors": ("Frank Herbert",), "categories": (47,)}, {"is_ebook": False}),
    ("Dune by Frank Herbert [ENG / EPUB]", {"categories": (100063,)}, {"is_ebook": True}),
    ("Dune by Frank Herbert [ENG / M4B]", {"categories": (100047,)}, {"is_ebook": False}),
    # volume numbers as words and roman numerals after a keyword; "Part Three" is one piece of a book
    ("Pierce Brown - Red Rising Book Three", {}, {"series": (SeriesMention("Red Rising", _position("3")),)}),
    ("Pierce Brown - Red Rising, Vol. IV", {}, {"series": (SeriesMention("Red Rising", _position("4")),)}),
    ("Pierce Brown - Red Rising, Part Three", {}, {"part": 3, "series": ()}),
    ("Pierce Brown - Red Rising (Part Two of Three)", {}, {"part": 2}),
    ("Stephen King - The Stand (Abridged) [unabridged]", {}, {"abridged": True}),
    ("The Witch by Farah Whitfield MP3 VBR", {}, {"authors": ("Farah Whitfield",), "format": "mp3"}),
]


@pytest.mark.parametrize(("title", "fields", "expected"), TITLES, ids=[case[0][:50] for case in TITLES])
def test_parse_release(title: str, fields: dict[str, Any], expected: dict[str, Any]) -> None:
    parsed = parse_release(_release(title, **fields))
    actual = {name: getattr(parsed, name) for name in expected}
    assert actual == expected


def test_at_least_twenty_five_titles_are_covered() -> None:
    assert len(TITLES) >= 25


def test_segments_say_what_each_piece_seems_to_be() -> None:
    parsed = parse_release(_release("Brandon Sanderson - Mistborn 01 - The Final Empire [Unabridged]"))
    assert [(s.text, s.kind) for s in parsed.segments] == [
        ("Brandon Sanderson", SegmentKind.AUTHOR_GUESS),
        ("Mistborn 01", SegmentKind.SERIES),
        ("The Final Empire", SegmentKind.TEXT),
    ]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "Brent Weeks - Lightbringer 02 - The Blinding Knife [Simon Vance, Kate Reading] M4B",
            [SegmentKind.AUTHOR_GUESS, SegmentKind.SERIES, SegmentKind.TEXT, SegmentKind.PEOPLE],
        ),
        (
            "Andy Weir - Project Hail Mary (Ray Porter)",
            [SegmentKind.AUTHOR_GUESS, SegmentKind.TEXT, SegmentKind.PEOPLE],
        ),
        # with no plain segment to be the author, the group of names is the author guess
        ("Project Hail Mary (Andy Weir)", [SegmentKind.TEXT, SegmentKind.AUTHOR_GUESS]),
        (
            "Project Hail Mary [Andy Weir] [Ray Porter]",
            [SegmentKind.TEXT, SegmentKind.AUTHOR_GUESS, SegmentKind.PEOPLE],
        ),
        ("Stephen King - It [Dramatized]", [SegmentKind.AUTHOR_GUESS, SegmentKind.TEXT, SegmentKind.TEXT]),
    ],
)
def test_bracket_groups_of_names_are_people(title: str, expected: list[SegmentKind]) -> None:
    assert [segment.kind for segment in parse_release(_release(title)).segments] == expected


def test_title_language_words_are_not_taken_from_free_text() -> None:
    # "It" is the Italian code, but in a title it is a word
    parsed = parse_release(_release("Stephen King - It"))
    assert parsed.language is None
    assert parsed.title == "It"


@pytest.mark.parametrize(
    ("token", "expected"),
    [("ENG", "en"), ("English", "en"), ("GER", "de"), ("Deutsch", "de"), ("fre", "fr"), ("It", None), ("no", None),
     ("Klingon", None), ("retail", None)],
)  # fmt: skip
def test_title_language(token: str, expected: str | None) -> None:
    assert title_language(token) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [("m4b", True), ("64kbps", True), ("retail", True), ("44khz", True), ("darker", False), ("it", False)],
)
def test_is_quality_word(word: str, expected: bool) -> None:
    assert is_quality_word(word) is expected


def test_parsing_never_raises_on_odd_titles() -> None:
    for title in ["", "   ", "[]", "()", "- - -", "((((", "[M4B]", "by", "Book 1", "🎧 - 🎧"]:
        parsed = parse_release(_release(title))
        assert isinstance(parsed.title, str)


# (title, the uploader tag read from its end, or None; the title guess)
EMPIRE = "The Final Empire"
UPLOADER_TITLES: list[tuple[str, str | None, str]] = [
    ("Brandon Sanderson - Mistborn 01 - The Final Empire [Unabridged] m4b [StarLantern]", "StarLantern", EMPIRE),
    ("Brandon Sanderson - The Final Empire (2006) [m4b] [StarLantern]", "StarLantern", EMPIRE),
    ("Brandon Sanderson - The Final Empire [M4B][64kbps][RG AudioBook]", "RG AudioBook", EMPIRE),
    ("Brandon Sanderson - The Final Empire (Mistborn 1) [Unabridged] [M4B]-StarLantern", "StarLantern", EMPIRE),
    ("Brandon Sanderson - The Final Empire m4b-JNoN", "JNoN", EMPIRE),
    ("Brandon Sanderson - The Final Empire [ENG / MP3 64kbps] {Tantor}", "Tantor", EMPIRE),
    ("Brandon Sanderson - The Final Empire [Requiem]", None, "The Final Empire - Requiem"),  # no format before it
    ("Brandon Sanderson - The Final Empire (2006) [Requiem]", None, "The Final Empire - Requiem"),  # a year only
    ("Brandon Sanderson - The Final Empire [M4B] (Requiem)", None, "The Final Empire - Requiem"),  # parentheses
    ("Brandon Sanderson - The Final Empire [M4B] - Requiem", None, "The Final Empire - Requiem"),  # a spaced dash
    ("[M4B] [StarLantern]", None, "StarLantern"),  # no title before the file's description
    ("Brandon Sanderson - The Final Empire [M4B] [Book Two]", None, EMPIRE),
    ("Brandon Sanderson - The Final Empire [M4B] [Summary]", None, "The Final Empire - Summary"),
    ("Brandon Sanderson - The Final Empire [M4B] [Full Cast]", None, "The Final Empire - Full Cast"),
    ("Brandon Sanderson - The Final Empire [M4B]-Deutsch", None, "The Final Empire - Deutsch"),
    ("Brandon Sanderson - The Final Empire [M4B] [IV]", None, "The Final Empire - IV"),
    ("Brandon Sanderson - The Final Empire [M4B] [Tantor Media]", None, EMPIRE),  # a group of names
]  # fmt: skip


@pytest.mark.parametrize(("title", "tag", "guess"), UPLOADER_TITLES, ids=[case[0][-40:] for case in UPLOADER_TITLES])
def test_a_trailing_uploader_tag_is_its_own_segment(title: str, tag: str | None, guess: str) -> None:
    parsed = parse_release(_release(title))
    assert [seg.text for seg in parsed.segments if seg.kind is SegmentKind.UPLOADER] == ([tag] if tag else [])
    assert parsed.title == guess


def test_a_trailing_tracker_fact_is_no_uploader_tag() -> None:
    parsed = parse_release(_release("Brandon Sanderson - The Final Empire [M4B] [VIP]"))
    assert parsed.vip and not [seg for seg in parsed.segments if seg.kind is SegmentKind.UPLOADER]
