"""Right-book verification: title words, author, volume, ebook, abridged and language, each with a named reason."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfkeeper.domain.releases.parsing import parse_release
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.verification import (
    Reason,
    WantedEdition,
    names_match,
    release_asin,
    series_names_match,
    verify,
    words,
)

KING_IT = WantedEdition("It", ("Stephen King",))
DARKER = WantedEdition("You Like It Darker", ("Stephen King",))
FINAL_EMPIRE = WantedEdition("The Final Empire", ("Brandon Sanderson",), series="Mistborn", position="1")
WELL = WantedEdition("The Well of Ascension", ("Brandon Sanderson",), series="Mistborn", position="2")
ABADDON = WantedEdition("Abaddon's Gate", ("James S. A. Corey",), series="The Expanse", position="3")
RED_RISING = WantedEdition("Red Rising", ("Pierce Brown",), series="Red Rising", position="1")
DUNE = WantedEdition("Dune", ("Frank Herbert",), language="en")
HAIL_MARY = WantedEdition("Project Hail Mary", ("Andy Weir",))
STAND = WantedEdition("The Stand", ("Stephen King",))
BEAUTIES = WantedEdition("Sleeping Beauties", ("Stephen King",))


def _release(title: str, **fields: Any) -> Release:
    return Release(indexer="Indexer", title=title, guid="g", **fields)


# (wanted, release title, structured fields, accepted, the codes of the rejecting reasons)
CASES: list[tuple[WantedEdition, str, dict[str, Any], bool, set[str]]] = [
    (KING_IT, "Stephen King - It (1986) [M4B] 64kbps", {}, True, set()),
    (KING_IT, "Stephen King - You Like It Darker (2024) [M4B] 64kbps", {}, False, {"title_extra_words"}),
    (KING_IT, "You Like It Darker", {"source": "mam", "authors": ("Stephen King",)}, False, {"title_extra_words"}),
    (DARKER, "Stephen King - It (1986) [M4B]", {}, False, {"title_missing_words"}),
    (DARKER, "Stephen King - You Like It Darker (2024) [M4B] 64kbps", {}, True, set()),
    (DARKER, "You Like It Darker by Stephen King [ENG / M4B] [VIP]", {}, True, set()),
    (DARKER, "You Like It Darker", {"source": "mam", "authors": ("Owen King",)}, False, {"author_mismatch"}),
    (DARKER, "You Like It Darker [M4B]", {}, False, {"author_missing"}),
    (DARKER, "Joe Hill - You Like It Darker [M4B]", {}, False, {"author_mismatch", "title_extra_words"}),
    (DARKER, "King, Stephen - You Like It Darker", {}, True, set()),
    (FINAL_EMPIRE, "Brandon Sanderson - Mistborn 01 - The Final Empire [Unabridged] {mp3 320}", {}, True, set()),
    (
        WELL,
        "Brandon Sanderson - Mistborn 01 - The Final Empire",
        {},
        False,
        {"title_missing_words", "title_extra_words", "wrong_volume"},
    ),
    (
        WELL,
        "The Well of Ascension",
        {"source": "mam", "authors": ("Brandon Sanderson",), "series": (("Mistborn", "2"),)},
        True,
        set(),
    ),
    (
        WELL,
        "The Well of Ascension",
        {"source": "mam", "authors": ("Brandon Sanderson",), "series": (("Mistborn", "3"),)},
        False,
        {"wrong_volume"},
    ),
    (ABADDON, "The Expanse Book 3 - Abaddon's Gate - James S.A. Corey.m4b", {}, True, set()),
    (ABADDON, "Abaddon's Gate: The Expanse, Book 3 - James SA Corey", {}, True, set()),
    (
        ABADDON,
        "The Expanse Book 1 - Leviathan Wakes - James S.A. Corey",
        {},
        False,
        {"title_missing_words", "title_extra_words", "wrong_volume"},
    ),
    (RED_RISING, "Pierce Brown - Red Rising 01", {}, True, set()),
    (RED_RISING, "Pierce Brown - Red Rising 03", {}, False, {"title_as_series", "wrong_volume"}),
    (
        RED_RISING,
        "Pierce Brown - Red Rising 03 - Morning Star",
        {},
        False,
        {"title_extra_words", "wrong_volume"},
    ),
    (RED_RISING, "Pierce Brown - Red Rising 1-3 [m4b]", {}, False, {"title_as_series", "wrong_volume"}),
    (DUNE, "Dune (Frank Herbert) [EPUB]", {}, False, {"ebook"}),
    (DUNE, "Dune", {"source": "mam", "authors": ("Frank Herbert",), "file_type": "pdf"}, False, {"ebook"}),
    (DUNE, "Frank Herbert - Dune [MP3]", {}, True, set()),
    (DUNE, "Frank Herbert - Dune Messiah [MP3]", {}, False, {"title_extra_words"}),
    (DUNE, "Frank Herbert - Dune [GER] [MP3]", {}, False, {"language_mismatch"}),
    (DUNE, "Dune", {"source": "mam", "authors": ("Frank Herbert",), "language": "FRE"}, False, {"language_mismatch"}),
    (
        DUNE,
        "Brian Herbert, Kevin J. Anderson - Dune: House Atreides",
        {},
        False,
        {"author_mismatch", "title_extra_words"},
    ),
    (HAIL_MARY, "Project Hail Mary - Andy Weir (2021) Unabridged MP3 128kbps", {}, True, set()),
    (HAIL_MARY, "Andy.Weir.Project.Hail.Mary.2021.Audiobook.M4B", {}, True, set()),
    (HAIL_MARY, "Project Hail Mary (Andy Weir)", {}, True, set()),
    (HAIL_MARY, "Andy Weir - Project Hail Mary - Part 2", {}, False, {"partial"}),
    (HAIL_MARY, "Andy Weir - Project Hail Mary (Part 1 of 2) [MP3]", {}, False, {"partial"}),
    (
        WantedEdition("Harry Potter and the Deathly Hallows, Part 1", ("J.K. Rowling",)),
        "J.K. Rowling - Harry Potter and the Deathly Hallows Part 1",
        {},
        True,
        set(),
    ),
    (
        WantedEdition("Harry Potter and the Deathly Hallows, Part 1", ("J.K. Rowling",)),
        "J.K. Rowling - Harry Potter and the Deathly Hallows Part 2",
        {},
        False,
        {"partial"},
    ),
    (STAND, "Stephen King - The Stand (Abridged) [MP3]", {}, False, {"abridged"}),
    (
        WantedEdition("The Stand", ("Stephen King",), abridged_ok=True),
        "Stephen King - The Stand (Abridged)",
        {},
        True,
        set(),
    ),
    (STAND, "Stephen King - The Stand [Unabridged]", {}, True, set()),
    (WantedEdition("Stand by Me", ("Stephen King",)), "Stand by Me - Stephen King", {}, True, set()),
    (BEAUTIES, "Stephen King & Owen King - Sleeping Beauties", {}, True, set()),
    (BEAUTIES, "Owen King - Sleeping Beauties", {}, False, {"author_mismatch", "title_extra_words"}),
    (
        WantedEdition("Le Petit Prince", ("Antoine de Saint-Exupéry",)),
        "Le Petit Prince - Antoine de Saint-Exupery [MP3]",
        {},
        True,
        set(),
    ),
    (
        WantedEdition("Sapiens: A Brief History of Humankind", ("Yuval Noah Harari",)),
        "Yuval Noah Harari - Sapiens [m4b]",
        {},
        True,
        set(),
    ),
    (
        WantedEdition("Leviathan Wakes", ("James S. A. Corey",), subtitle="The Expanse, Book 1"),
        "Leviathan Wakes: The Expanse Book 1 - James S. A. Corey",
        {},
        True,
        set(),
    ),
    (WantedEdition("It", ()), "Stephen King - It", {}, False, {"author_missing", "title_extra_words"}),
    (WantedEdition("1984", ("George Orwell",)), "George Orwell - 1984 (1949) [M4B]", {}, True, set()),
    (WantedEdition("Fahrenheit 451", ("Ray Bradbury",)), "Fahrenheit 451 - Ray Bradbury [M4B]", {}, True, set()),
    (
        WantedEdition("Fahrenheit 451", ("Ray Bradbury",)),
        "Ray Bradbury - Fahrenheit [M4B]",
        {},
        False,
        {"title_missing_words"},
    ),
    (WantedEdition("Catch-22", ("Joseph Heller",)), "Joseph Heller - Catch 22", {}, True, set()),
    (
        WantedEdition("Mistborn: The Final Empire", ("Brandon Sanderson",)),
        "Brandon Sanderson - Mistborn 01 - The Final Empire",
        {},
        True,
        set(),
    ),
    (
        WantedEdition("Mistborn: The Final Empire", ("Brandon Sanderson",), series="Mistborn", position="1"),
        "Brandon Sanderson - Mistborn 02 - The Well of Ascension",
        {},
        False,
        {"title_extra_words", "wrong_volume"},
    ),
    (RED_RISING, "Pierce Brown - Red Rising 03 - Book", {}, False, {"title_as_series", "wrong_volume"}),
    (
        WantedEdition("Red Rising", ("Pierce Brown",)),
        "Pierce Brown - Red Rising 03 - Book",
        {},
        False,
        {"title_as_series"},
    ),
    (
        WantedEdition("Dune", ("Frank Herbert",)),
        "Frank Herbert - Dune - Dune Messiah - Children of Dune",
        {},
        False,
        {"title_extra_words"},
    ),
    (KING_IT, "Stephen King - It [Dramatized]", {}, False, {"title_extra_words"}),
    (KING_IT, "Stephen King - It - Stephen King, You Like It Darker", {}, False, {"title_extra_words"}),
    (KING_IT, "A Study of Stephen King's It by John Doe", {}, False, {"title_extra_words", "author_mismatch"}),
    (KING_IT, "On Stephen King - It by John Doe", {}, False, {"title_extra_words", "author_mismatch"}),
    (
        KING_IT,
        "Stephen King's It - A Study Guide by John Doe",
        {},
        False,
        {"title_extra_words", "author_mismatch"},
    ),
    (
        RED_RISING,
        "Red Rising",
        {"source": "mam", "authors": ("Pierce Brown",), "series": (("Red Rising Saga", "1-3"),)},
        False,
        {"wrong_volume"},
    ),
]


KNIFE = WantedEdition(
    "The Blinding Knife", ("Brent Weeks",), series="Lightbringer", position="2", narrator="Simon Vance, Kate Reading"
)
KNIFE_NO_NARRATOR = WantedEdition("The Blinding Knife", ("Brent Weeks",), series="Lightbringer", position="2")
HOMO_DEUS = WantedEdition("Homo Deus", ("Yuval Noah Harari",), language="en")
FOWL = WantedEdition("Artemis Fowl", ("Eoin Colfer",), series="Artemis Fowl", position="1")
HARARI = {"source": "mam", "authors": ("Yuval Noah Harari",)}

# Issue 18's trap classes: (class, wanted, release title, structured fields, accepted, rejecting reason codes)
TRAP_CASES: list[tuple[str, WantedEdition, str, dict[str, Any], bool, set[str]]] = [
    # a bracket group of names after the title: the author, else the narrators (checked when known)
    (
        "narrator_group",
        KNIFE,
        "Brent Weeks - Lightbringer 02 - The Blinding Knife [Simon Vance, Kate Reading] M4B",
        {},
        True,
        set(),
    ),
    ("narrator_group", KNIFE, "Brent Weeks - The Blinding Knife (Simon Vance) [MP3]", {}, True, set()),
    ("narrator_group", KNIFE, "The Blinding Knife - Brent Weeks [Kate Reading]", {}, True, set()),
    (
        "narrator_group",
        KNIFE_NO_NARRATOR,
        "Brent Weeks - Lightbringer 02 - The Blinding Knife [Simon Vance, Kate Reading] M4B",
        {},
        True,
        set(),
    ),
    ("narrator_group", KNIFE_NO_NARRATOR, "Brent Weeks - The Blinding Knife [R. C. Bray]", {}, True, set()),
    ("narrator_group", HAIL_MARY, "Project Hail Mary (Andy Weir) [Ray Porter, Jane Doe]", {}, True, set()),
    ("narrator_group", HAIL_MARY, "Project Hail Mary [Andy Weir]", {}, True, set()),
    (
        "narrator_group",
        KNIFE,
        "Brent Weeks - The Blinding Knife [Someone Else, Other Person]",
        {},
        False,
        {"other_names"},
    ),
    ("narrator_group", KNIFE_NO_NARRATOR, "Brent Weeks - The Blinding Knife [Simon Vance]", {}, True, set()),
    (
        "narrator_group",
        replace(KING_IT, narrator="Steven Weber"),
        "Stephen King - It (Steven Weber) [M4B]",
        {},
        True,
        set(),
    ),
    (
        "narrator_group",
        replace(RED_RISING, narrator=None),
        "Pierce Brown - Red Rising [Golden Son, Morning Star]",
        {},
        True,  # two names: narrators, even where the title is the series' name
        set(),
    ),
    ("narrator_group", RED_RISING, "Pierce Brown - Red Rising [Golden Son]", {}, False, {"other_names"}),
    (
        "regional_edition",
        KNIFE_NO_NARRATOR,
        "Brent Weeks - The Blinding Knife (US Version, UK Version)",
        {},
        False,
        {"title_extra_words"},
    ),
    (
        "dramatized",
        KNIFE_NO_NARRATOR,
        "Brent Weeks - The Blinding Knife [Full Cast, Radio Drama]",
        {},
        False,
        {"title_extra_words"},
    ),
    # a subtitle the wanted record lacks
    ("subtitle", HOMO_DEUS, "Homo Deus: A Brief History of Tomorrow", HARARI, True, set()),
    ("subtitle", HOMO_DEUS, "Yuval Noah Harari - Homo Deus: A Brief History of Tomorrow (2017) [M4B]", {}, True, set()),
    ("subtitle", HOMO_DEUS, "Yuval Noah Harari - Homo Deus - A Brief History of Tomorrow [M4B]", {}, True, set()),
    ("subtitle", HOMO_DEUS, "Homo Deus: How Data Rules Us", HARARI, True, set()),
    (
        "subtitle",
        replace(HOMO_DEUS, subtitle="A Brief History of Tomorrow"),
        "Homo Deus: Something Else Entirely Here",
        HARARI,
        False,
        {"subtitle_mismatch"},
    ),
    ("sequel", FOWL, "Eoin Colfer - Artemis Fowl: The Arctic Incident", {}, False, {"title_extra_words"}),
    (
        "sequel",
        replace(FOWL, series=None, position=None),
        "Eoin Colfer - Artemis Fowl: The Arctic Incident",
        {},
        False,
        {"title_extra_words"},
    ),
    (
        "sequel",
        FOWL,
        "Artemis Fowl: The Return of the Eternity Code",
        {"source": "mam", "authors": ("Eoin Colfer",)},
        False,
        {"title_extra_words"},
    ),
    (
        "sequel",
        WantedEdition("Burning Compass", ("Noor Rasmussen",), series="Other", position="2"),
        "Noor Rasmussen - Burning Compass 2",
        {},
        False,
        {"title_as_series"},
    ),
    (
        "sequel",
        WantedEdition("Lantern: Obsidian Cafe", ("Ann Lee",)),
        "Lantern: Obsidian Cafe Book Two",
        {"source": "mam", "authors": ("Ann Lee",)},
        False,
        {"title_as_series"},
    ),
    (
        "sequel",
        WantedEdition("The Tide of Marrowgate", ("Ann Lee",), series="Marrowgate", position="2"),
        "The Tide of Marrowgate Book Two",
        {"source": "mam", "authors": ("Ann Lee",)},
        False,
        {"title_as_series"},
    ),
    (
        "first_volume",
        WantedEdition("The Way of Kings", ("Brandon Sanderson",), series="The Stormlight Archive", position="1"),
        "Brandon Sanderson - The Way of Kings Book One [M4B]",
        {},
        True,  # no sequel is numbered one
        set(),
    ),
    (
        "sequel",
        WantedEdition("Requiem: Obsidian Oracle", ("Jia Petrov",), position="2"),
        "Jia Petrov - Requiem: Obsidian Oracle Book Two [M4B]",
        {},
        False,
        {"title_as_series"},
    ),
    # a summary or study guide by another author carries every wanted word
    (
        "study_guide",
        HOMO_DEUS,
        "Homo Deus: Summary and Analysis of Yuval Noah Harari's Book",
        {"source": "mam", "authors": ("Quick Reads",)},
        False,
        {"title_extra_words", "author_mismatch"},
    ),
    (
        "study_guide",
        HOMO_DEUS,
        "Homo Deus: A Brief History of Tomorrow - Summary & Analysis",
        HARARI,
        False,
        {"title_extra_words"},
    ),
    ("study_guide", HOMO_DEUS, "Summary of Homo Deus by Yuval Noah Harari [MP3]", {}, False, {"title_extra_words"}),
    (
        "study_guide",
        HOMO_DEUS,
        "Homo Deus - A Study Guide by SuperSummary",
        {},
        False,
        {"title_extra_words", "author_mismatch"},
    ),
    ("study_guide", HOMO_DEUS, "Yuval Noah Harari - Homo Deus (Key Takeaways)", {}, False, {"title_extra_words"}),
    # a translation
    ("translation", HOMO_DEUS, "Homo Deus: Eine kurze Geschichte von Morgen", HARARI, False, {"title_extra_words"}),
    (
        "translation",
        HOMO_DEUS,
        "Yuval Noah Harari - Homo Deus: Una breve historia del mañana",
        {},
        False,
        {"title_extra_words"},
    ),
    ("translation", HOMO_DEUS, "Yuval Noah Harari - Homo Deus [GER] [M4B]", {}, False, {"language_mismatch"}),
    ("translation", HOMO_DEUS, "Homo Deus", {**HARARI, "language": "FRE"}, False, {"language_mismatch"}),
    ("translation", HOMO_DEUS, "Yuval Noah Harari - Homo Deus (Spanish Edition)", {}, False, {"title_extra_words"}),
    # another volume number, in any style
    *[
        ("other_volume", RED_RISING, f"Pierce Brown - {volume} [M4B]", {}, False, {"title_as_series", "wrong_volume"})
        for volume in (
            "Red Rising 03",
            "Red Rising, Book 3",
            "Red Rising Vol. 3",
            "Red Rising #3",
            "Red Rising Book Three",
            "Red Rising Vol. III",
        )
    ],
    ("other_volume", RED_RISING, "Pierce Brown - Red Rising, Part Three", {}, False, {"partial"}),
    (
        "other_volume",
        WELL,
        "Brandon Sanderson - Mistborn Book Three - The Well of Ascension",
        {},
        False,
        {"wrong_volume"},
    ),
    ("other_volume", WELL, "Brandon Sanderson - Mistborn Book Two - The Well of Ascension", {}, True, set()),
    # "It" against "It Ends with Us", with or without a colon
    (
        "longer_title",
        KING_IT,
        "Colleen Hoover - It Ends with Us [M4B]",
        {},
        False,
        {"title_extra_words", "author_mismatch"},
    ),
    ("longer_title", KING_IT, "Stephen King - It Ends with Us [M4B]", {}, False, {"title_extra_words"}),
    ("longer_title", KING_IT, "Stephen King - It: Ends with Us [M4B]", {}, False, {"title_extra_words"}),
    (
        "longer_title",
        KING_IT,
        "It Ends with Us",
        {"source": "mam", "authors": ("Stephen King",)},
        False,
        {"title_extra_words"},
    ),
    (
        "longer_title",
        WantedEdition("The Forge of Reykjavik", ("Ann Lee",), series="The Cafe Chronicles", position="2"),
        "Ann Lee - The Forge of Reykjavik and the Cafe",
        {},
        False,  # a word of the series' name alone does not explain an extra word
        {"title_extra_words"},
    ),
    (
        "longer_title",
        WantedEdition("The Forge of Reykjavik", ("Ann Lee",), series="The Cafe Chronicles", position="2"),
        "Ann Lee - The Forge of Reykjavik (Cafe Chronicles) [M4B]",
        {},
        True,
        set(),
    ),
    # editions that are not the wanted one, in brackets or as a "subtitle"
    ("abridged", STAND, "Stephen King - The Stand (Abridged) [m4b][unabridged]", {}, False, {"abridged"}),
    (
        "dramatized",
        STAND,
        "Stephen King - The Stand: A BBC Radio Full-Cast Dramatisation",
        {},
        False,
        {"title_extra_words"},
    ),
    ("dramatized", STAND, "Stephen King - The Stand [Full Cast]", {}, False, {"title_extra_words"}),
    ("graphic_novel", STAND, "Stephen King - The Stand: The Graphic Novel", {}, False, {"title_extra_words"}),
    (
        "deluxe_edition",
        STAND,
        "Stephen King - The Stand: Complete and Uncut Anniversary Edition",
        {},
        False,
        {"title_extra_words"},
    ),
    ("deluxe_edition", STAND, "Stephen King - The Stand (Deluxe Edition)", {}, False, {"title_extra_words"}),
    ("regional_edition", STAND, "Stephen King - The Stand (US Version)", {}, False, {"title_extra_words"}),
    ("regional_edition", STAND, "Stephen King - The Stand - British English Edition", {}, False, {"title_extra_words"}),
    (
        "omnibus_box_set",
        RED_RISING,
        "Pierce Brown - Red Rising Books 1-3",
        {},
        False,
        {"title_as_series", "wrong_volume"},
    ),
    (
        "omnibus_box_set",
        STAND,
        "Stephen King - The Stand: Box Set Collection of Three Novels",
        {},
        False,
        {"title_extra_words"},
    ),
    (
        "same_title_other_author",
        STAND,
        "The Stand",
        {"source": "mam", "authors": ("Stephen Kingsley",)},
        False,
        {"author_mismatch"},
    ),
]


@pytest.mark.parametrize(
    ("trap", "wanted", "title", "fields", "accepted", "rejections"),
    TRAP_CASES,
    ids=[f"{case[0]}:{case[2][:50]}" for case in TRAP_CASES],
)
def test_trap_classes(
    trap: str, wanted: WantedEdition, title: str, fields: dict[str, Any], accepted: bool, rejections: set[str]
) -> None:
    verification = verify(wanted, parse_release(_release(title, **fields)))
    assert (verification.accepted, {reason.code for reason in verification.rejections}) == (accepted, rejections)


def test_a_subtitle_and_a_narrator_group_are_named_reasons() -> None:
    subtitle = verify(HOMO_DEUS, parse_release(_release("Homo Deus: A Brief History of Tomorrow", **HARARI)))
    assert "subtitle 'A Brief History of Tomorrow' (the wanted record has none) (+0)" in map(str, subtitle.reasons)
    group = verify(KNIFE, parse_release(_release("Brent Weeks - The Blinding Knife [Simon Vance, Kate Reading]")))
    assert "narrators in brackets: Simon Vance, Kate Reading (+0)" in map(str, group.reasons)
    refused = verify(FOWL, parse_release(_release("Eoin Colfer - Artemis Fowl: The Arctic Incident")))
    assert any("not only a subtitle: the title is the series' name" in str(reason) for reason in refused.reasons)


@pytest.mark.parametrize(
    ("wanted", "title", "fields", "accepted", "rejections"),
    CASES,
    ids=[f"{case[0].title}<-{case[1][:40]}" for case in CASES],
)
def test_verify(
    wanted: WantedEdition, title: str, fields: dict[str, Any], accepted: bool, rejections: set[str]
) -> None:
    verification = verify(wanted, parse_release(_release(title, **fields)))
    assert verification.accepted is accepted
    assert {reason.code for reason in verification.rejections} == rejections


def test_every_reason_is_named_and_readable() -> None:
    verification = verify(KING_IT, parse_release(_release("Stephen King - You Like It Darker [M4B]")))
    texts = [str(reason) for reason in verification.reasons]
    assert "title has other words: darker, like, you (rejected)" in texts
    assert "author Stephen King named in the title (+0)" in texts


def test_reason_text_shows_sign_or_rejection() -> None:
    assert str(Reason("format", "format m4b", 30)) == "format m4b (+30)"
    assert str(Reason("narrator", "another narrator", -20)) == "another narrator (-20)"
    assert str(Reason("seeders", "seeders 0 < minimum 1", rejects=True)) == "seeders 0 < minimum 1 (rejected)"


def test_asin_match_is_evidence() -> None:
    wanted = WantedEdition("Dune", ("Frank Herbert",), asin="B002V1OF70")
    parsed = parse_release(
        _release("Dune", source="mam", authors=("Frank Herbert",), extra={"isbn": "ASIN:B002V1OF70"})
    )
    verification = verify(wanted, parsed)
    assert release_asin(parsed) == "B002V1OF70"
    assert [r.points for r in verification.reasons if r.code == "asin_match"] == [10]


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("Stephen King", "Stephen King", True),
        ("King, Stephen", "Stephen King", True),
        ("James S.A. Corey", "James S. A. Corey", True),
        ("James SA Corey", "James S. A. Corey", True),
        ("J.R.R. Tolkien", "J. R. R. Tolkien", True),
        ("B. Sanderson", "Brandon Sanderson", True),
        ("Stephen E. King", "Stephen King", True),
        ("Owen King", "Stephen King", False),
        ("Joe Hill", "Joe King", False),
        ("King", "Stephen King", False),
        ("", "Stephen King", False),
    ],
)
def test_names_match(first: str, second: str, same: bool) -> None:
    assert names_match(first, second) is same
    assert names_match(second, first) is same


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("The Expanse", "Expanse", True),
        ("Mistborn", "Mistborn Saga", True),
        ("The Stormlight Archive", "Stormlight Archive", True),
        ("Cosmere", "Mistborn", False),
        ("Series", "Mistborn", False),
    ],
)
def test_series_names_match(first: str, second: str, same: bool) -> None:
    assert series_names_match(first, second) is same


def test_words_join_initials() -> None:
    assert words("James S. A. Corey") == words("James SA Corey") == ["james", "sa", "corey"]


TITLES = ["It", "Dune", "The Stand", "Project Hail Mary", "You Like It Darker", "The Way of Kings", "1984"]
AUTHORS = ["Stephen King", "Frank Herbert", "Andy Weir", "N. K. Jemisin", "Ursula K. Le Guin"]
EXTRA_WORDS = ["Darker", "Messiah", "Returns", "Companion", "Summary", "Rising", "Two", "Children", "Guide", "Redux"]


@settings(max_examples=150, deadline=None)
@given(
    title=st.sampled_from(TITLES),
    author=st.sampled_from(AUTHORS),
    extra=st.sampled_from(EXTRA_WORDS),
    before=st.booleans(),
    author_first=st.booleans(),
)
def test_a_title_with_one_more_word_is_never_accepted(
    title: str, author: str, extra: str, before: bool, author_first: bool
) -> None:
    wanted = WantedEdition(title, (author,))
    decoy_title = f"{extra} {title}" if before else f"{title} {extra}"
    pieces = [author, decoy_title] if author_first else [decoy_title, author]
    decoy = parse_release(_release(" - ".join(pieces) + " [M4B]"))
    exact = parse_release(_release(" - ".join([author, title] if author_first else [title, author]) + " [M4B]"))
    assert not verify(wanted, decoy).accepted
    assert verify(wanted, exact).accepted


FINAL_EMPIRE_EN = replace(FINAL_EMPIRE, language="en")
FINAL_EMPIRE_READ = replace(FINAL_EMPIRE, narrator="Michael Kramer")
# A trailing uploader or group tag after the file's description is no title word; anything a volume, edition,
# summary, language or another book may be stays refused. (wanted, release title, accepted, rejecting codes)
UPLOADER_TAG_CASES: list[tuple[WantedEdition, str, bool, set[str]]] = [
    (FINAL_EMPIRE, "Brandon Sanderson - Mistborn 01 - The Final Empire [Unabridged] m4b [StarLantern]", True, set()),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire (2006) [m4b] [StarLantern]", True, set()),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire [M4B][64kbps][RG AudioBook]", True, set()),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire (Mistborn 1) [Unabridged] [M4B]-StarLantern", True, set()),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire m4b-JNoN", True, set()),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire 64kbps {Tantor}", True, set()),
    (FINAL_EMPIRE_READ, "Brandon Sanderson - The Final Empire [Michael Kramer] [M4B] [StarLantern]", True, set()),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire [Michael Kramer] [M4B]", True, set()),
    # no file description before it: an unknown word right after the title may be another book's
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire [Requiem]", False, {"title_extra_words"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire (2006) [Requiem]", False, {"title_extra_words"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire [ENG] [Requiem]", False, {"title_extra_words"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire [Requiem] [M4B]", False, {"title_extra_words"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire [Requiem] [M4B] [StarLantern]", False, {"title_extra_words"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire - Requiem [M4B] [StarLantern]", False, {"title_extra_words"}),
    # the decoys the tag's guards know
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire [M4B] [Part 2]", False, {"partial"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire Part 2 [M4B] [StarLantern]", False, {"partial"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire [M4B] [Book Two]", False, {"wrong_volume"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire Book 2 [M4B] [StarLantern]", False, {"title_as_series"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire [M4B] [II]", False, {"title_extra_words"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire [M4B]-Two", False, {"title_extra_words"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire [M4B] [Abridged]", False, {"abridged"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire [Abridged] [M4B] [StarLantern]", False, {"abridged"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire [M4B] [Summary]", False, {"title_extra_words"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire [M4B] [Dramatized]", False, {"title_extra_words"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire [M4B]-Dramatized", False, {"title_extra_words"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire [M4B] [Full Cast]", False, {"title_extra_words"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire [M4B] [Deluxe Edition]", False, {"title_extra_words"}),
    (FINAL_EMPIRE_EN, "Brandon Sanderson - The Final Empire [M4B] [GER]", False, {"language_mismatch"}),
    (FINAL_EMPIRE_EN, "Brandon Sanderson - The Final Empire [M4B]-Deutsch", False, {"title_extra_words"}),
    (FINAL_EMPIRE_EN, "Brandon Sanderson - The Final Empire [GER] [M4B] [StarLantern]", False, {"language_mismatch"}),
    (FINAL_EMPIRE_EN, "Brandon Sanderson - The Final Empire [M4B]-Italiano", False, {"title_extra_words"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire [M4B] {Das}", False, {"title_extra_words"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Final Empire [M4B] [The Sequel]", False, {"title_extra_words"}),
    (FINAL_EMPIRE, "Brandon Sanderson - The Well of Ascension [M4B] [StarLantern]", False, {
        "title_missing_words", "title_extra_words"}),
    (FINAL_EMPIRE, "Brandon Sanderson - Mistborn 02 - The Well of Ascension [M4B]-JNoN", False, {
        "title_missing_words", "title_extra_words", "wrong_volume"}),
    # a group of names stays a group of names: with the narrator known, another name is refused
    (FINAL_EMPIRE_READ, "Brandon Sanderson - The Final Empire [M4B] [Tantor Media]", False, {"other_names"}),
    # the wanted title is its series' name: a tag may name another volume, so its words count
    (RED_RISING, "Pierce Brown - Red Rising [M4B] [Morning]", False, {"title_extra_words"}),
    (RED_RISING, "Pierce Brown - Red Rising 03 - Red Rising [M4B] [Tantor]", False, {
        "wrong_volume", "title_extra_words"}),
    (RED_RISING, "Pierce Brown - Red Rising 01 - Red Rising [M4B] [Tantor]", True, set()),  # the volume is named
]  # fmt: skip


@pytest.mark.parametrize(
    ("wanted", "title", "accepted", "rejections"),
    UPLOADER_TAG_CASES,
    ids=[f"{case[0].title}<-{case[1][:70]}" for case in UPLOADER_TAG_CASES],
)
def test_uploader_tags(wanted: WantedEdition, title: str, accepted: bool, rejections: set[str]) -> None:
    verification = verify(wanted, parse_release(Release(indexer="AudioBookBay", title=title, guid=title)))
    assert (verification.accepted, {reason.code for reason in verification.rejections}) == (accepted, rejections)


def test_an_ignored_uploader_tag_is_a_named_reason() -> None:
    title = "Brandon Sanderson - The Final Empire [M4B][64kbps][RG AudioBook]"
    verification = verify(FINAL_EMPIRE, parse_release(_release(title)))
    assert "uploader tag ignored: RG AudioBook (+0)" in map(str, verification.reasons)
    no_tag = verify(FINAL_EMPIRE, parse_release(_release("Brandon Sanderson - The Final Empire [M4B]")))
    assert all(reason.code != "uploader_tag" for reason in no_tag.reasons)
