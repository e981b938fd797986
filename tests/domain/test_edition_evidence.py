"""Edition-safe corrections and messy-library repair: the trap classes as case tables.

Each row is one library item against one candidate (or a few): whether the candidate is the item's own edition, which
fields a match may write, which repair the match read past. Candidate ids say what they are: "own" is the item's own
edition, "other-..." another edition of the same work, "decoy-..." another book.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from shelfkeeper.domain.library.items import SeriesRef
from shelfkeeper.domain.metadata.candidates import BookCandidate
from shelfkeeper.domain.metadata.corrections import SOURCE_POLICIES, plan_corrections
from shelfkeeper.domain.metadata.distance import BookFacts, Decision, MatchWeights
from shelfkeeper.domain.metadata.evidence import edition_evidence, runtime_agrees
from shelfkeeper.domain.metadata.fields import CORRECTABLE_FIELDS, EDITION_FIELDS, WORK_FIELDS
from shelfkeeper.domain.metadata.matching import choose
from shelfkeeper.domain.metadata.repair import (
    PUBLISHERS,
    author_field_problem,
    is_publisher,
    search_author,
    search_title,
    title_repairs,
)

WEIGHTS = MatchWeights()
KRAMER = "Michael Kramer"
# The item: "Mistborn: The Final Empire", unabridged, 24.6 h, narrated by Michael Kramer.
ITEM = BookFacts(
    title="The Final Empire",
    authors=("Brandon Sanderson",),
    narrators=(KRAMER,),
    duration_seconds=88_560,
    language="en",
)
OWN = BookCandidate(
    source="audnexus",
    source_id="own",
    title="The Final Empire",
    subtitle="Mistborn, Book 1",
    authors=("Brandon Sanderson",),
    narrators=(KRAMER,),
    series=(SeriesRef("Mistborn", "1"),),
    asin="B002UZMLXM",
    isbn="9781427204936",
    publisher="Macmillan Audio",
    published_year=2008,
    language="English",
    duration_minutes=1476,
    format_type="unabridged",
    description="For a thousand years the ash fell.",
)


def other(source_id: str, **changes: Any) -> BookCandidate:
    return replace(OWN, source_id=source_id, asin="B0OTHER000", isbn="9780000000002", **changes)


PRINT = BookCandidate(
    source="google_books",
    source_id="other-print",
    title="Mistborn",
    subtitle="The Final Empire",
    authors=("Brandon Sanderson",),
    isbn="9780765311788",
    publisher="Tor Books",
    published_year=2006,
    language="en",
    description="For a thousand years the ash fell.",
)

EVIDENCE = [
    pytest.param(OWN, True, {"narrators_agree", "runtime_agrees"}, id="own-edition"),
    pytest.param(replace(OWN, asin=None, isbn=None), True, {"narrators_agree", "runtime_agrees"}, id="no-identifiers"),
    pytest.param(PRINT, False, {"no_edition_evidence"}, id="print-volume"),
    pytest.param(
        other("other-abridged", format_type="abridged", duration_minutes=600),
        False,
        {"abridged_differs", "runtime_differs"},
        id="abridged",
    ),
    pytest.param(
        other("other-dramatized", title="The Final Empire (Dramatized Adaptation)", narrators=("Full Cast",)),
        False,
        {"dramatized_differs", "narrators_differ"},
        id="dramatized-full-cast",
    ),
    pytest.param(
        other("other-box", title="Mistborn Trilogy Boxed Set", series=(SeriesRef("Mistborn", "1-3"),)),
        False,
        {"omnibus"},
        id="box-set",
    ),
    pytest.param(
        other("other-german", title="Kinder des Nebels", language="de", narrators=("Philipp Schepmann",)),
        False,
        {"language_differs", "narrators_differ"},
        id="translation",
    ),
    pytest.param(other("other-narrator", narrators=("Simon Vance",)), False, {"narrators_differ"}, id="other-narrator"),
    pytest.param(other("other-uk", duration_minutes=1610), False, {"runtime_differs"}, id="regional-runtime"),
    pytest.param(
        other("other-deluxe", title="The Final Empire (10th Anniversary Edition)", duration_minutes=1560),
        False,
        {"runtime_differs", "special_edition"},
        id="deluxe-runtime",
    ),
    pytest.param(
        replace(PRINT, source_id="own-audio-cd", title="The Final Empire (Unabridged Audio CD)", isbn="9781427204936"),
        True,
        {"audio_record"},
        id="google-record-that-is-the-audiobook",
    ),
]


@pytest.mark.parametrize(("candidate", "same", "codes"), EVIDENCE)
def test_same_edition_only_on_evidence(candidate: BookCandidate, same: bool, codes: set[str]) -> None:
    evidence = edition_evidence(ITEM, candidate)
    assert evidence.same is same
    assert {reason.code for reason in evidence.reasons} == codes
    assert all(reason.message for reason in evidence.reasons)


def test_an_existing_asin_that_differs_is_another_product() -> None:
    evidence = edition_evidence(replace(ITEM, asin="B0MINE0000"), OWN)
    assert not evidence.same and "asin_differs" in {r.code for r in evidence.reasons}


@pytest.mark.parametrize(
    ("seconds", "minutes", "agrees"),
    [(88_560, 1476, True), (88_560, 1490, True), (88_560, 1530, False), (600, 12, True), (None, 1476, None)],
)
def test_runtime_tolerance(seconds: float | None, minutes: int, agrees: bool | None) -> None:
    assert runtime_agrees(seconds, minutes) is agrees


def test_the_fields_are_split_once_into_work_and_edition() -> None:
    assert set(CORRECTABLE_FIELDS) == WORK_FIELDS | EDITION_FIELDS and not WORK_FIELDS & EDITION_FIELDS
    assert {"asin", "isbn", "narrators", "publisher", "published_year"} <= EDITION_FIELDS
    assert {"title", "authors", "series", "genres", "description"} <= WORK_FIELDS


# ---- what a match may write ---------------------------------------------------------------------------------------

MESSY = BookFacts(
    title="Mistborn Book 1 (Unabridged)", authors=("Sanderson, Brandon",), duration_seconds=88_560, narrators=()
)
PLANS = [
    pytest.param(
        OWN, {"title", "subtitle", "narrators", "series", "asin", "isbn", "publisher", "published_year"}, (), id="own"
    ),
    pytest.param(PRINT, {"title", "subtitle", "description"}, ("isbn", "publisher", "published_year"), id="print"),
    pytest.param(
        other("other-abridged", format_type="abridged", duration_minutes=600),
        {"title", "subtitle", "series", "description"},
        ("narrators", "asin", "isbn", "publisher", "published_year"),
        id="abridged",
    ),
]


@pytest.mark.parametrize(("candidate", "written", "withheld"), PLANS)
def test_edition_fields_only_from_the_items_own_edition(
    candidate: BookCandidate, written: set[str], withheld: tuple[str, ...]
) -> None:
    book = replace(MESSY, language="en", description=None)
    result = choose(book, [candidate], WEIGHTS)
    assert result is not None and result.decision is not Decision.REJECT
    plan = plan_corrections(book, result, SOURCE_POLICIES[candidate.source])
    fields = {change.field for change in plan.changes}
    assert fields - {"description", "genres", "language"} == written - {"description", "genres", "language"}
    assert set(plan.withheld) == set(withheld)
    assert not fields & set(withheld)
    if withheld:
        assert plan.withheld_reason is not None and plan.withheld_reason.code == "edition_fields_withheld"
        assert plan.as_json()["same_edition"] is False
    else:
        assert plan.withheld_reason is None and plan.evidence.same


def test_a_translation_is_another_book_for_an_item_in_english() -> None:
    german = other("other-german", language="de", duration_minutes=1500, description="Tausend Jahre fiel Asche.")
    result = choose(replace(MESSY, language="en"), [german], WEIGHTS)
    assert result is not None and result.decision is Decision.REJECT


def test_text_of_another_language_is_not_taken_even_from_the_work() -> None:
    german = other("other-german", language="de", description="Tausend Jahre fiel Asche.")
    book = replace(ITEM, language="en", description=None)
    result = choose(replace(book, language=None), [german], WEIGHTS)
    assert result is not None
    plan = plan_corrections(book, result, SOURCE_POLICIES["audnexus"])
    assert "description" in plan.withheld and "description" not in {c.field for c in plan.changes}


def test_open_library_writes_the_works_fields_only() -> None:
    candidate = replace(PRINT, source="openlibrary", publisher="Tor", published_year=2006, genres=("Fantasy",))
    result = choose(replace(MESSY, description=None), [candidate], WEIGHTS)
    assert result is not None
    plan = plan_corrections(replace(MESSY, description=None), result, SOURCE_POLICIES["openlibrary"])
    assert {change.field for change in plan.changes} == {"description", "genres"}


def test_an_edition_title_is_never_written() -> None:
    deluxe = other("other-deluxe", title="The Final Empire (Deluxe Edition)")
    book = replace(ITEM, title="Final Empire, The")
    result = choose(book, [deluxe], WEIGHTS)
    assert result is not None
    plan = plan_corrections(book, result, SOURCE_POLICIES["audnexus"])
    assert "title" not in {change.field for change in plan.changes}


# ---- messy library items ------------------------------------------------------------------------------------------

FIXABLE = BookFacts(
    title="The Final Empire", authors=("Brandon Sanderson",), narrators=(KRAMER,), duration_seconds=88_560
)
SAME_TITLE_OTHER_BOOK = replace(
    OWN,
    source_id="decoy-other-author",
    authors=("Jane Doe",),
    narrators=("Kate Reading",),
    duration_minutes=700,
    asin="B0DECOY000",
    series=(),
    subtitle=None,
)
REPAIRS = [
    # item title and authors, candidates, decision, chosen, repair code
    pytest.param(
        "Mistborn Book 1 (Unabridged)",
        ("Brandon Sanderson",),
        [OWN],
        "apply",
        "own",
        "title_is_series_and_number",
        id="series-and-number-title",
    ),
    pytest.param(
        "The Final Empire (Unabridged)",
        ("Brandon Sanderson",),
        [OWN],
        "apply",
        "own",
        "title_edition_note",
        id="unabridged-note",
    ),
    pytest.param(
        "The Final Empire, Book 1", ("Brandon Sanderson",), [OWN], "apply", "own", "title_book_number", id="book-number"
    ),
    pytest.param(
        "The Final Empire: A Novel", ("Brandon Sanderson",), [OWN], "apply", "own", "title_a_novel", id="a-novel"
    ),
    pytest.param(
        "Final Empire, The", ("Brandon Sanderson",), [OWN], "apply", "own", "title_trailing_article", id="the-moved"
    ),
    pytest.param(
        "Mistborn 01 - The Final Empire", ("Brandon Sanderson",), [OWN], "apply", "own", None, id="series-inside"
    ),
    pytest.param(
        "The Final Empire", (), [SAME_TITLE_OTHER_BOOK, OWN], "apply", "own", "author_missing", id="no-author"
    ),
    pytest.param(
        "The Final Empire",
        (KRAMER,),
        [SAME_TITLE_OTHER_BOOK, OWN],
        "apply",
        "own",
        "author_is_narrator",
        id="narrator-as-author",
    ),
    pytest.param(
        "The Final Empire",
        ("Recorded Books",),
        [SAME_TITLE_OTHER_BOOK, OWN],
        "apply",
        "own",
        "author_is_publisher",
        id="publisher-list",
    ),
    pytest.param(
        "The Final Empire",
        ("Macmillan Audio, Inc.",),
        [OWN],
        "apply",
        "own",
        "author_is_publisher",
        id="candidates-publisher",
    ),
    pytest.param("The Final Empire", ("Sanderson, Brandon",), [OWN], "apply", "own", None, id="last-first"),
    pytest.param(
        "The Final Empire",
        (),
        [SAME_TITLE_OTHER_BOOK],
        "reject",
        "decoy-other-author",
        "author_missing",
        id="no-author-other-book",
    ),
    pytest.param(
        "The Final Empire",
        ("Tantor Media",),
        [SAME_TITLE_OTHER_BOOK],
        "reject",
        "decoy-other-author",
        "author_is_publisher",
        id="publisher-other-book",
    ),
]


@pytest.mark.parametrize(("title", "authors", "candidates", "decision", "chosen", "repair"), REPAIRS)
def test_messy_items_are_repaired_with_named_reasons(
    title: str,
    authors: tuple[str, ...],
    candidates: list[BookCandidate],
    decision: str,
    chosen: str,
    repair: str | None,
) -> None:
    book = replace(FIXABLE, title=title, authors=authors)
    result = choose(book, candidates, WEIGHTS)
    assert result is not None
    assert (str(result.decision), result.candidate.source_id) == (decision, chosen)
    codes = {r.code for r in result.score.repairs}
    assert (repair in codes) if repair else not codes & {"author_missing", "author_is_narrator", "author_is_publisher"}
    if decision == "apply":
        plan = plan_corrections(book, result, SOURCE_POLICIES["audnexus"])
        assert {"asin", "series"} <= {change.field for change in plan.changes}


@pytest.mark.parametrize(
    ("item", "candidate"),
    [
        pytest.param(("Gabriel Garcia Marquez",), ("Gabriel García Márquez",), id="accents"),
        pytest.param(("Jo Nesbo",), ("Jo Nesbø",), id="transliteration"),
        pytest.param(("Liu Cixin",), ("Cixin Liu",), id="name-order"),
        pytest.param(("Marquez, Gabriel Garcia",), ("Gabriel García Márquez",), id="last-first-accents"),
    ],
)
def test_accents_transliterations_and_name_order_are_the_same_person(
    item: tuple[str, ...], candidate: tuple[str, ...]
) -> None:
    result = choose(replace(FIXABLE, authors=item), [replace(OWN, authors=candidate)], WEIGHTS)
    assert result is not None and result.decision is Decision.APPLY


def test_wrong_author_field_needs_title_narrator_and_runtime() -> None:
    no_runtime = replace(FIXABLE, authors=(), duration_seconds=None)
    result = choose(no_runtime, [OWN], WEIGHTS)
    assert result is not None and result.decision is Decision.REVIEW  # a person decides
    other_runtime = replace(FIXABLE, authors=("Recorded Books",), duration_seconds=40_000)
    result = choose(other_runtime, [OWN], WEIGHTS)
    assert result is not None and result.decision is Decision.REJECT


@pytest.mark.parametrize("name", PUBLISHERS)
def test_every_listed_publisher_is_read_as_one(name: str) -> None:
    assert is_publisher(name) and is_publisher(name.upper())
    assert author_field_problem(BookFacts(title="X", authors=(name,)), OWN) is not None


@pytest.mark.parametrize("name", ["Brandon Sanderson", "Michael Kramer", "Audrey Niffenegger", "Tad Williams"])
def test_people_are_not_publishers(name: str) -> None:
    assert not is_publisher(name, "Macmillan Audio")


@pytest.mark.parametrize(
    ("title", "searched", "codes"),
    [
        ("Mistborn Book 1 (Unabridged)", "Mistborn", {"title_edition_note", "title_book_number"}),
        ("Mistborn_Book_1", "Mistborn", set()),
        ("The Martian: A Novel", "The Martian", {"title_a_novel"}),
        ("Martian, The", "The Martian", {"title_trailing_article"}),
        ("Leviathan Wakes (The Expanse #1)", "Leviathan Wakes", {"title_book_number"}),
        ("Dune", "Dune", set()),
    ],
)
def test_search_title_and_title_repairs(title: str, searched: str, codes: set[str]) -> None:
    assert search_title(title) == searched
    assert {r.code for r in title_repairs(title)} >= codes


@pytest.mark.parametrize(
    ("authors", "searched"),
    [
        (("Sanderson, Brandon",), "Brandon Sanderson"),
        (("Recorded Books", "Sanderson, Brandon"), "Brandon Sanderson"),
        (("Tantor Media",), None),
        ((), None),
        (("Le Guin, Ursula K.",), "Ursula K. Le Guin"),
    ],
)
def test_search_author_is_a_person_in_reading_order(authors: tuple[str, ...], searched: str | None) -> None:
    assert search_author(authors) == searched
