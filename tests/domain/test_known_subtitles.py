"""A subtitle known for the wanted book (its record's, or looked up by its ASIN) decides over the heuristic."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from shelfkeeper.domain.releases.parsing import parse_release
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.subtitles import same_subtitle
from shelfkeeper.domain.releases.verification import WantedEdition, verify

LOOKED_UP = "looked up at audnexus"
SEABISCUIT = WantedEdition("Seabiscuit", ("Laura Hillenbrand",), asin="B002V0QK4C")
ENDURANCE = WantedEdition("Endurance", ("Alfred Lansing",), asin="B00B5HZGUG")
UNBROKEN = WantedEdition("Unbroken", ("Laura Hillenbrand",), asin="B004DEPHUC")
HOMO_DEUS = WantedEdition("Homo Deus", ("Yuval Noah Harari",), language="en", asin="B01N2XDW4Z")
RED_RISING = WantedEdition("Red Rising", ("Pierce Brown",), series="Red Rising Saga", position="1", asin="B00ILIJE9G")
KING_IT = WantedEdition("It", ("Stephen King",), asin="B00NX2QQ1I")
HARARI = {"source": "mam", "authors": ("Yuval Noah Harari",)}


def known(wanted: WantedEdition, subtitle: str) -> WantedEdition:
    return replace(wanted, subtitle=subtitle, subtitle_note=LOOKED_UP)


# (case, wanted, release title, structured fields, accepted, the codes of the rejecting reasons)
CASES: list[tuple[str, WantedEdition, str, dict[str, Any], bool, set[str]]] = [
    # the heuristic refuses these subtitles; the known one lets the right release through
    ("heuristic_refuses", SEABISCUIT, "Laura Hillenbrand - Seabiscuit: An American Legend [M4B]", {}, False,
     {"title_extra_words"}),
    ("known_accepts", known(SEABISCUIT, "An American Legend"),
     "Laura Hillenbrand - Seabiscuit: An American Legend [M4B]", {}, True, set()),
    ("heuristic_refuses", ENDURANCE, "Alfred Lansing - Endurance - Shackleton's Incredible Voyage", {}, False,
     {"title_extra_words"}),
    ("known_accepts", known(ENDURANCE, "Shackleton's Incredible Voyage"),
     "Alfred Lansing - Endurance - Shackletons Incredible Voyage", {}, True, set()),
    ("known_accepts_typo", known(ENDURANCE, "Shackleton's Incredible Voyage"),
     "Endurance: Shackleton's Incredable Voyage", {"source": "mam", "authors": ("Alfred Lansing",)}, True, set()),
    ("heuristic_refuses", UNBROKEN,
     "Laura Hillenbrand - Unbroken: A World War II Story of Survival, Resilience, and Redemption (2010) [M4B]", {},
     False, {"title_extra_words"}),
    ("known_accepts", known(UNBROKEN, "A World War II Story of Survival, Resilience, and Redemption"),
     "Laura Hillenbrand - Unbroken: A World War II Story of Survival, Resilience, and Redemption (2010) [M4B]", {},
     True, set()),
    ("known_accepts_numbers_spelled", known(RED_RISING, "Red Rising Saga, Book 1"),
     "Pierce Brown - Red Rising: Red Rising Saga Book One [M4B]", {}, True, set()),
    ("no_subtitle_in_release", known(HOMO_DEUS, "A Brief History of Tomorrow"), "Yuval Noah Harari - Homo Deus [M4B]",
     {}, True, set()),
    ("scene_title", known(HOMO_DEUS, "A Brief History of Tomorrow"),
     "Yuval.Noah.Harari.Homo.Deus.A.Brief.History.of.Tomorrow.2017.Audiobook.M4B", {}, True, set()),
    # the heuristic would take these; a different known subtitle refuses them
    ("heuristic_accepts", HOMO_DEUS, "Homo Deus: How Data Rules Us", HARARI, True, set()),
    ("known_refuses", known(HOMO_DEUS, "A Brief History of Tomorrow"), "Homo Deus: How Data Rules Us", HARARI, False,
     {"subtitle_mismatch"}),
    ("known_refuses", known(HOMO_DEUS, "A Brief History of Tomorrow"),
     "Yuval Noah Harari - Homo Deus - The Future of Humankind in the Age of Data [M4B]", {}, False,
     {"subtitle_mismatch"}),
    ("known_refuses", known(HOMO_DEUS, "A Brief History of Tomorrow"), "Homo Deus: A History", HARARI, False,
     {"subtitle_mismatch"}),
    # decoys stay rejected with a known subtitle
    ("study_guide", known(HOMO_DEUS, "A Brief History of Tomorrow"), "Homo Deus: Summary and Analysis",
     {"source": "mam", "authors": ("Quick Reads",)}, False, {"author_mismatch", "subtitle_mismatch"}),
    ("study_guide", known(HOMO_DEUS, "A Brief History of Tomorrow"), "Homo Deus: Summary and Analysis", HARARI, False,
     {"subtitle_mismatch"}),
    ("study_guide", known(HOMO_DEUS, "A Brief History of Tomorrow"),
     "Homo Deus: A Brief History of Tomorrow - Summary & Analysis", HARARI, False, {"title_extra_words"}),
    ("study_guide", known(HOMO_DEUS, "A Brief History of Tomorrow"),
     "Summary of Homo Deus: A Brief History of Tomorrow by SuperSummary", {}, False,
     {"title_extra_words", "author_missing"}),
    ("translation", known(HOMO_DEUS, "A Brief History of Tomorrow"), "Homo Deus: Eine kurze Geschichte von Morgen",
     HARARI, False, {"subtitle_mismatch"}),
    ("translation", known(HOMO_DEUS, "A Brief History of Tomorrow"),
     "Yuval Noah Harari - Homo Deus: Una breve historia del mañana", {}, False, {"subtitle_mismatch"}),
    ("translation", known(HOMO_DEUS, "A Brief History of Tomorrow"),
     "Yuval Noah Harari - Homo Deus: A Brief History of Tomorrow [GER] [M4B]", {}, False, {"language_mismatch"}),
    ("other_volume", known(RED_RISING, "Red Rising Saga, Book 1"),
     "Pierce Brown - Red Rising: Red Rising Saga, Book 3 [M4B]", {}, False, {"wrong_volume"}),
    ("other_volume", known(RED_RISING, "Red Rising Saga, Book 1"), "Pierce Brown - Red Rising 03 [M4B]", {}, False,
     {"title_as_series", "wrong_volume"}),
    ("other_volume", known(RED_RISING, "Red Rising Saga, Book 1"), "Pierce Brown - Red Rising Vol. III [M4B]", {},
     False, {"title_as_series", "wrong_volume"}),
    ("other_book", known(RED_RISING, "Red Rising Saga, Book 1"), "Pierce Brown - Red Rising: Sons of Ares [M4B]", {},
     False, {"subtitle_mismatch"}),
    ("longer_title", known(KING_IT, "A Novel"), "Stephen King - It: Ends with Us [M4B]", {}, False,
     {"subtitle_mismatch"}),
    ("longer_title", known(KING_IT, "A Novel"), "Stephen King - It Ends with Us [M4B]", {}, False,
     {"title_extra_words"}),
    # a known subtitle's words explain extra words only as the whole subtitle; a narrator's initials never do
    ("subtitle_words_whole", known(WantedEdition("Gambit", ("Y. R. Ferreira",)), "A World War II Story of Oracles"),
     "Y. R. Ferreira - Gambit II (mp3)", {}, False, {"title_extra_words"}),
    ("subtitle_words_whole", known(WantedEdition("Gambit", ("Y. R. Ferreira",)), "A World War II Story of Oracles"),
     "Y.R.Ferreira.Gambit.A.World.War.II.Story.of.Oracles.2019.M4B", {}, True, set()),
    ("narrator_initials", WantedEdition("Jonah's Mirror", ("M. C. Nguyen",), narrator="I. I. Okonkwo"),
     "M. C. Nguyen - Jonah's Mirror II {m4b 128}", {}, False, {"title_extra_words"}),
    ("narrator_initials", WantedEdition("Jonah's Mirror", ("M. C. Nguyen",), narrator="I. I. Okonkwo"),
     "Jonah's Mirror - M. C. Nguyen (Narrated by I. I. Okonkwo) [Unabridged]", {}, True, set()),
    ("whole_title_numbered", WantedEdition("River: Distant River", ("Noor Nguyen",)), "River: Distant River Book Two",
     {"source": "mam", "authors": ("Noor Nguyen",)}, False, {"title_as_series"}),
]  # fmt: skip


def _release(title: str, **fields: Any) -> Release:
    return Release(indexer="Indexer", title=title, guid="g", **fields)


@pytest.mark.parametrize(
    ("case", "wanted", "title", "fields", "accepted", "rejections"), CASES, ids=[f"{c[0]}:{c[2][:50]}" for c in CASES]
)
def test_known_subtitles(
    case: str, wanted: WantedEdition, title: str, fields: dict[str, Any], accepted: bool, rejections: set[str]
) -> None:
    verification = verify(wanted, parse_release(_release(title, **fields)))
    assert (verification.accepted, {reason.code for reason in verification.rejections}) == (accepted, rejections)


def test_the_reasons_name_the_known_subtitle_and_where_it_came_from() -> None:
    wanted = known(SEABISCUIT, "An American Legend")
    found = verify(wanted, parse_release(_release("Laura Hillenbrand - Seabiscuit: An American Legend")))
    assert "subtitle 'An American Legend' is the book's; looked up at audnexus (+0)" in map(str, found.reasons)
    other = verify(
        known(HOMO_DEUS, "A Brief History of Tomorrow"),
        parse_release(_release("Homo Deus: How Data Rules Us", **HARARI)),
    )
    assert str(other.rejections[0]) == (
        "subtitle 'How Data Rules Us' is not the book's 'A Brief History of Tomorrow'; looked up at audnexus (rejected)"
    )


def test_without_a_known_subtitle_the_heuristic_says_why_none_was_known() -> None:
    wanted = replace(HOMO_DEUS, asin=None, subtitle_note="no ASIN to look it up")
    found = verify(wanted, parse_release(_release("Homo Deus: A Brief History of Tomorrow", **HARARI)))
    shown = "subtitle 'A Brief History of Tomorrow' (the wanted record has none; no ASIN to look it up) (+0)"
    assert shown in map(str, found.reasons)
    refused = verify(replace(SEABISCUIT, subtitle_note="audnexus, audible unavailable"),
                     parse_release(_release("Laura Hillenbrand - Seabiscuit: An American Legend")))  # fmt: skip
    assert "audnexus, audible unavailable" in str(refused.rejections[0])


@pytest.mark.parametrize(
    ("found", "book", "same"),
    [
        ("A Brief History of Tomorrow", "A Brief History of Tomorrow", True),
        ("a brief history of tomorrow", "A Brief History of Tomorrow", True),
        ("Brief History of Tomorrow", "A Brief History of Tomorrow", True),
        ("The Expanse Book 1", "The Expanse, Book 1", True),
        ("Expanse 1", "The Expanse, Book 1", True),
        ("Mistborn Book One", "Mistborn, Book 1", True),
        ("Shackletons Incredable Voyage", "Shackleton's Incredible Voyage", True),
        ("Mistborn, Book 2", "Mistborn, Book 1", False),
        ("Red Rising Saga, Book 3", "Red Rising Saga, Book 1", False),
        ("A History", "A Brief History of Tomorrow", False),
        ("How Data Rules Us", "A Brief History of Tomorrow", False),
        ("Eine kurze Geschichte von Morgen", "A Brief History of Tomorrow", False),
        ("Summary and Analysis", "A Brief History of Tomorrow", False),
        ("", "A Brief History of Tomorrow", False),
    ],
)
def test_same_subtitle(found: str, book: str, same: bool) -> None:
    assert same_subtitle(found, book) is same
