"""Matching library books to provider candidates: the decision, the chosen candidate, and that no decoy is applied.

Candidate ids tell the story: "ok-..." is the right book, "decoy-..." is another book that looks like it
(same title by another author, the sequel, an omnibus, the abridged cut, a translation, a dramatization),
"x-..." is the right book that the data cannot prove (a person should look).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfkeeper.domain.library.items import LibraryItem, SeriesRef
from shelfkeeper.domain.metadata.candidates import BookCandidate
from shelfkeeper.domain.metadata.matching import (
    BookFacts,
    Decision,
    MatchWeights,
    choose,
    decide,
    rank,
    same_work,
    score,
)

APPLY, REVIEW, REJECT = Decision.APPLY, Decision.REVIEW, Decision.REJECT
WEIGHTS = MatchWeights()


def book(title: str, *authors: str, **facts: Any) -> BookFacts:
    return BookFacts(title=title, authors=authors, **facts)


def cand(source_id: str, title: str, *authors: str, source: str = "audible", **facts: Any) -> BookCandidate:
    return BookCandidate(source=source, source_id=source_id, title=title, authors=authors, **facts)


def series(name: str, sequence: str | None = None) -> tuple[SeriesRef, ...]:
    return (SeriesRef(name, sequence),)


COREY = "James S. A. Corey"
LEVIATHAN = cand("ok-leviathan", "Leviathan Wakes", COREY, series=series("The Expanse", "1"), asin="B0058TQAAU")
CALIBAN = cand("decoy-sequel", "Caliban's War", COREY, series=series("The Expanse", "2"), asin="B0083TGI6U")
OUTSIDER = cand("ok-outsider", "The Outsider", "Stephen King", published_year=2018)
CAMUS = cand("decoy-camus", "The Outsider", "Albert Camus", published_year=1942)
FELLOWSHIP = cand(
    "ok-fellowship", "The Fellowship of the Ring", "J.R.R. Tolkien", series=series("The Lord of the Rings", "1")
)
LOTR_SET = cand(
    "decoy-omnibus",
    "The Lord of the Rings: The Complete Trilogy",
    "J.R.R. Tolkien",
    series=series("The Lord of the Rings", "1-3"),
)
DUNE = cand("ok-dune", "Dune", "Frank Herbert", format_type="unabridged", duration_minutes=1260, asin="B002V1OF70")
DUNE_ABRIDGED = cand("decoy-abridged", "Dune", "Frank Herbert", format_type="abridged", duration_minutes=480)
GOOD_OMENS = cand("ok-omens", "Good Omens", "Terry Pratchett", "Neil Gaiman", narrators=("Martin Jarvis",))
OMENS_RADIO = cand(
    "decoy-dramatized",
    "Good Omens: The BBC Radio 4 Dramatisation",
    "Terry Pratchett",
    "Neil Gaiman",
    narrators=("Full Cast",),
)
TATTOO = cand("ok-tattoo", "The Girl with the Dragon Tattoo", "Stieg Larsson", language="English")
TATTOO_SV = cand("decoy-translated", "Män som hatar kvinnor", "Stieg Larsson", language="swe")
MARTIAN = cand("ok-martian", "The Martian", "Andy Weir", language="en")
MARTIAN_DE = cand("decoy-german", "Der Marsianer", "Andy Weir", language="de")


CASES = [
    # --- the right book, written differently: applied ---
    pytest.param(book("Leviathan Wakes", COREY), [LEVIATHAN], APPLY, "ok-leviathan", id="exact"),
    pytest.param(book("LEVIATHAN WAKES!!", "james s a corey"), [LEVIATHAN], APPLY, "ok-leviathan", id="case-punct"),
    pytest.param(book("Leviathan Wakes (Unabridged)", COREY), [LEVIATHAN], APPLY, "ok-leviathan", id="unabridged"),
    pytest.param(
        book("Leviathan Wakes, Book 1", COREY, series=series("Expanse", "Book 1")),
        [LEVIATHAN],
        APPLY,
        "ok-leviathan",
        id="book-1-and-series",
    ),
    pytest.param(
        book("The Final Empire", "Brandon Sanderson", subtitle="Mistborn, Book 1"),
        [cand("ok", "Mistborn: The Final Empire", "Brandon Sanderson", series=series("Mistborn", "1"))],
        APPLY,
        "ok",
        id="series-subtitle-vs-series-prefix",
    ),
    pytest.param(
        book("Hobbit, The", "Tolkien, J.R.R."),
        [cand("ok", "The Hobbit", "J. R. R. Tolkien")],
        APPLY,
        "ok",
        id="moved-the",
    ),
    pytest.param(
        book("Mistborn: The Final Empire", "Sanderson, Brandon"),
        [cand("ok", "Mistborn: The Final Empire", "Brandon Sanderson")],
        APPLY,
        "ok",
        id="last-first",
    ),
    pytest.param(book("The Snowman", "Jo Nesbo"), [cand("ok", "The Snowman", "Jo Nesbø")], APPLY, "ok", id="accents"),
    pytest.param(
        book("The Three-Body Problem", "Liu Cixin"),
        [cand("ok", "The Three-Body Problem", "Cixin Liu")],
        APPLY,
        "ok",
        id="unicode-name-order",
    ),
    pytest.param(
        book("三体", "刘慈欣", language="Chinese"),
        [cand("ok", "三体", "刘慈欣", language="zh")],
        APPLY,
        "ok",
        id="unicode-cjk-kept",
    ),
    pytest.param(
        book("Fiche Bliain ag Fas", "Muiris O Suilleabhain"),
        [cand("ok", "Fiche Bliain ag Fás", "Muiris Ó Súilleabháin")],
        APPLY,
        "ok",
        id="unicode-irish",
    ),
    pytest.param(book("Dune: A Novel", "Frank Herbert"), [DUNE], APPLY, "ok-dune", id="a-novel"),
    pytest.param(
        book("The Hero of Ages (Mistborn #3)", "Brandon Sanderson"),
        [cand("ok", "The Hero of Ages", "Brandon Sanderson", series=series("Mistborn", "3"))],
        APPLY,
        "ok",
        id="series-hash-suffix",
    ),
    pytest.param(
        book("leviathan_wakes_01", COREY, asin="b0058tqaau"),
        [LEVIATHAN],
        APPLY,
        "ok-leviathan",
        id="messy-title-exact-asin",
    ),
    pytest.param(
        book("Dune", "Frank Herbert", isbn="0-441-01359-7"),
        [cand("ok", "Dune", "Frank Herbert", source="google_books", isbn="9780441013593")],
        APPLY,
        "ok",
        id="isbn10-equals-isbn13",
    ),
    pytest.param(
        book("The Talisman", "Stephen King", "Peter Straub"),
        [cand("ok", "The Talisman", "Stephen King")],
        APPLY,
        "ok",
        id="co-author-missing",
    ),
    pytest.param(
        book("Dune", "Frank Herbert", published_year=2007),
        [cand("ok-google", "Dune", "Frank Herbert", source="google_books", published_year=2005), DUNE],
        APPLY,
        "ok-dune",
        id="two-providers-same-work",
    ),
    pytest.param(
        book("Dune", "Frank Herbert", published_year=2006),
        [cand("ok", "Dune", "Frank Herbert", published_year=2007)],
        APPLY,
        "ok",
        id="year-off-by-one",
    ),
    pytest.param(
        book("Dune", "Frank Herbert", narrators=("Scott Brick",)),
        [
            cand("decoy-other-recording", "Dune", "Frank Herbert", asin="B0OTHER001", narrators=("Simon Vance",)),
            cand("ok", "Dune", "Frank Herbert", asin="B002V1OF70", narrators=("Scott Brick", "Orlagh Cassidy")),
        ],
        APPLY,
        "ok",
        id="narrator-picks-recording",
    ),
    # --- decoys alone: never applied ---
    pytest.param(book("The Outsider", "Stephen King"), [CAMUS], REJECT, "decoy-camus", id="same-title-other-author"),
    pytest.param(
        book("The Road", "Cormac McCarthy"),
        [cand("decoy-london", "Road, The", "Jack London")],
        REJECT,
        "decoy-london",
        id="moved-the-other-author",
    ),
    pytest.param(
        book("Leviathan Wakes", COREY, series=series("The Expanse", "1")),
        [CALIBAN],
        REJECT,
        "decoy-sequel",
        id="sequel",
    ),
    pytest.param(
        book("Dune: Part One", "Frank Herbert"),
        [cand("decoy-part-two", "Dune: Part Two", "Frank Herbert")],
        REJECT,
        "decoy-part-two",
        id="sequel-same-title-other-part",
    ),
    pytest.param(
        book("Dune", "Frank Herbert"),
        [cand("decoy-part-two", "Dune: Part Two", "Frank Herbert")],
        REVIEW,
        "decoy-part-two",
        id="sequel-part-number-only-on-candidate",
    ),
    pytest.param(
        book("Dune", "Frank Herbert"),
        [cand("decoy-messiah", "Dune Messiah", "Frank Herbert", series=series("Dune", "2"))],
        REJECT,
        "decoy-messiah",
        id="sequel-title-contains-title",
    ),
    pytest.param(
        book("Harry Potter and the Philosopher's Stone", "J.K. Rowling", series=series("Harry Potter", "1")),
        [
            cand(
                "decoy-hp2",
                "Harry Potter and the Chamber of Secrets",
                "J. K. Rowling",
                series=series("Harry Potter", "2"),
            )
        ],
        REJECT,
        "decoy-hp2",
        id="sequel-shared-prefix",
    ),
    pytest.param(
        book("Harry Potter and the Philosopher's Stone", "J.K. Rowling", series=series("Harry Potter", "1")),
        [cand("decoy-hp2", "Harry Potter and the Chamber of Secrets", "J. K. Rowling")],
        REVIEW,
        "decoy-hp2",
        id="sequel-shared-prefix-no-series-data",
    ),
    pytest.param(
        book("Dawnshard", "Brandon Sanderson", series=series("The Stormlight Archive", "3.5")),
        [cand("decoy-position", "Dawnshard", "Brandon Sanderson", series=series("Stormlight Archive", "4"))],
        REJECT,
        "decoy-position",
        id="fractional-position-differs",
    ),
    pytest.param(
        book("The Fellowship of the Ring", "J.R.R. Tolkien", series=series("The Lord of the Rings", "1")),
        [LOTR_SET],
        REJECT,
        "decoy-omnibus",
        id="omnibus",
    ),
    pytest.param(
        book("The Eye of the World", "Robert Jordan"),
        [cand("decoy-omnibus", "The Wheel of Time: Books 1-3", "Robert Jordan")],
        REJECT,
        "decoy-omnibus",
        id="omnibus-books-range",
    ),
    pytest.param(
        book("The Final Empire", "Brandon Sanderson", series=series("Mistborn", "1")),
        [cand("decoy-box", "Mistborn Boxed Set: The Final Empire, The Well of Ascension", "Brandon Sanderson")],
        REJECT,
        "decoy-box",
        id="omnibus-box-set-naming-the-book",
    ),
    pytest.param(
        book("Mistborn Trilogy Box Set", "Brandon Sanderson"),
        [cand("decoy-single", "The Final Empire", "Brandon Sanderson", series=series("Mistborn", "1"))],
        REJECT,
        "decoy-single",
        id="library-omnibus-vs-single",
    ),
    pytest.param(
        book("Dune", "Frank Herbert", duration_seconds=21 * 3600),
        [DUNE_ABRIDGED],
        REJECT,
        "decoy-abridged",
        id="abridged-format-and-duration",
    ),
    pytest.param(
        book("Dune", "Frank Herbert"),
        [cand("decoy-abridged", "Dune (Abridged)", "Frank Herbert")],
        REVIEW,
        "decoy-abridged",
        id="abridged-in-title",
    ),
    pytest.param(
        book("Dune (Unabridged)", "Frank Herbert"),
        [cand("decoy-abridged", "Dune", "Frank Herbert", format_type="abridged")],
        REVIEW,
        "decoy-abridged",
        id="abridged-vs-marked-unabridged",
    ),
    pytest.param(
        book("Good Omens", "Terry Pratchett", "Neil Gaiman"), [OMENS_RADIO], REVIEW, "decoy-dramatized", id="dramatized"
    ),
    pytest.param(
        book("The Sandman", "Neil Gaiman", narrators=("Neil Gaiman",)),
        [cand("decoy-dramatized", "The Sandman", "Neil Gaiman", format_type="dramatized")],
        REVIEW,
        "decoy-dramatized",
        id="dramatized-format",
    ),
    pytest.param(
        book("Good Omens", "Terry Pratchett", "Neil Gaiman", narrators=("Full Cast",)),
        [GOOD_OMENS],
        REJECT,  # the narrator and the edition both say it is another recording
        "ok-omens",
        id="library-dramatized-vs-narrated",
    ),
    pytest.param(
        book("The Girl with the Dragon Tattoo", "Stieg Larsson", language="English"),
        [TATTOO_SV],
        REJECT,
        "decoy-translated",
        id="translated-title",
    ),
    pytest.param(
        book("The Girl with the Dragon Tattoo", "Stieg Larsson"),
        [replace(TATTOO_SV, language=None)],
        REJECT,
        "decoy-translated",
        id="translated-title-no-language",
    ),
    pytest.param(
        book("Inferno", "Dan Brown", language="en"),
        [cand("decoy-spanish", "Inferno", "Dan Brown", language="spa")],
        REJECT,
        "decoy-spanish",
        id="same-title-other-language",
    ),
    pytest.param(
        book("The Martian", "Andy Weir", language="en"), [MARTIAN_DE], REJECT, "decoy-german", id="translation"
    ),
    pytest.param(
        book("The Three-Body Problem", "刘慈欣"),
        [cand("x-latin-name", "The Three-Body Problem", "Cixin Liu")],
        REVIEW,
        "x-latin-name",
        id="unicode-name-other-script",
    ),
    pytest.param(
        book("The Wandering Earth", "Liu Cixin"),
        [cand("decoy-ken-liu", "The Wandering Earth", "Ken Liu")],
        REVIEW,
        "decoy-ken-liu",
        id="unicode-similar-name",
    ),
    pytest.param(
        book("Star Wars: Thrawn", "Timothy Zahn"),
        [cand("decoy-heir", "Star Wars: Heir to the Empire", "Timothy Zahn")],
        REVIEW,
        "decoy-heir",
        id="shared-franchise-prefix",
    ),
    # --- decoy beside the right book: the right one is applied ---
    pytest.param(book("The Outsider", "Stephen King"), [CAMUS, OUTSIDER], APPLY, "ok-outsider", id="mix-other-author"),
    pytest.param(
        book("Leviathan Wakes", COREY, series=series("The Expanse", "1")),
        [CALIBAN, LEVIATHAN],
        APPLY,
        "ok-leviathan",
        id="mix-sequel",
    ),
    pytest.param(
        book("The Fellowship of the Ring", "Tolkien, J. R. R."),
        [LOTR_SET, FELLOWSHIP],
        APPLY,
        "ok-fellowship",
        id="mix-omnibus",
    ),
    pytest.param(
        book("Dune", "Frank Herbert", duration_seconds=21 * 3600 + 300),
        [DUNE_ABRIDGED, DUNE],
        APPLY,
        "ok-dune",
        id="mix-abridged",
    ),
    pytest.param(
        book("Good Omens", "Neil Gaiman", "Terry Pratchett"),
        [OMENS_RADIO, GOOD_OMENS],
        APPLY,
        "ok-omens",
        id="mix-dramatized",
    ),
    pytest.param(
        book("The Girl with the Dragon Tattoo", "Stieg Larsson", language="eng"),
        [TATTOO_SV, TATTOO],
        APPLY,
        "ok-tattoo",
        id="mix-translated",
    ),
    pytest.param(
        book("Martian, The", "Andy Weir", language="en"), [MARTIAN_DE, MARTIAN], APPLY, "ok-martian", id="mix-german"
    ),
    pytest.param(
        book("Leviathan Wakes", COREY, duration_seconds=20 * 3600),
        [
            CALIBAN,
            cand("decoy-other-author", "Leviathan Wakes", "Jane Doe"),
            replace(DUNE_ABRIDGED, title="Leviathan Wakes", authors=(COREY,)),
        ],
        REJECT,
        "decoy-abridged",  # all rejected; the least vetoed one is shown first
        id="only-decoys-least-vetoed-first",
    ),
    # --- not enough to be sure: a person decides ---
    pytest.param(
        book("Dune", "Frank Herbert", narrators=("Scott Brick",)),
        [
            cand("x-first", "Dune", "Frank Herbert", asin="B0FIRST001", narrators=("Scott Brick",)),
            cand("x-second", "Dune", "Frank Herbert", asin="B0SECOND01", narrators=("Scott Brick",)),
        ],
        REVIEW,
        "x-first",
        id="ambiguous-two-products-both-the-items-edition",
    ),
    pytest.param(  # the other product is another edition of the same work: its edition fields are never used
        book("Dune", "Frank Herbert", narrators=("Scott Brick",)),
        [
            cand("ok-first", "Dune", "Frank Herbert", asin="B0FIRST001", narrators=("Scott Brick",)),
            cand("decoy-other-narrator", "Dune", "Frank Herbert", asin="B0SECOND01", narrators=("Simon Vance",)),
        ],
        APPLY,
        "ok-first",
        id="other-edition-is-no-rival",
    ),
    pytest.param(
        book("Dune"), [cand("x-no-author", "Dune", "Frank Herbert")], REVIEW, "x-no-author", id="book-without-author"
    ),
    pytest.param(
        book("The Hobbit", "Tolkien"),
        [cand("x-surname", "The Hobbit", "J.R.R. Tolkien")],
        REVIEW,
        "x-surname",
        id="surname-only",
    ),
    pytest.param(
        book("Dune", "Frank Herbert", asin="B002V1OF70", narrators=("Scott Brick",)),
        [cand("decoy-asin", "Dune", "Frank Herbert", asin="B00OTHER99", narrators=("Scott Brick",))],
        REJECT,
        "decoy-asin",
        id="asin-conflict",
    ),
    pytest.param(
        book("Dune", "Frank Herbert", asin="B002V1OF70", series=series("Dune", "1")),
        [cand("x-renumbered", "Dune", "Frank Herbert", asin="B002V1OF70", series=series("Dune Chronicles", "0"))],
        REVIEW,
        "x-renumbered",
        id="position-differs-but-asin-agrees",
    ),
    pytest.param(
        book("Leviathan Wakes", COREY),
        [cand("decoy-unrelated", "Pride and Prejudice", "Jane Austen")],
        REJECT,
        "decoy-unrelated",
        id="unrelated",
    ),
]


@pytest.mark.parametrize(("library_book", "candidates", "decision", "chosen"), CASES)
def test_choose(library_book: BookFacts, candidates: list[BookCandidate], decision: Decision, chosen: str) -> None:
    result = choose(library_book, candidates, WEIGHTS)
    assert result is not None
    assert (result.decision, result.candidate.source_id) == (decision, chosen), result.reasons
    assert result.reasons[0].startswith(("similarity", "ambiguous"))


def test_the_table_is_big_and_covers_every_decoy_kind() -> None:
    ids = [case.id or "" for case in CASES]
    assert len(CASES) >= 40
    for kind in ("other-author", "sequel", "omnibus", "abridged", "translat", "moved-the", "unicode", "dramatized"):
        assert any(kind in case_id for case_id in ids), kind


DECOYS = [
    pytest.param(case.values[0], candidate, id=f"{case.id}:{candidate.source_id}")
    for case in CASES
    for candidate in case.values[1]
    if candidate.source_id.startswith("decoy")
]


@pytest.mark.parametrize(("library_book", "decoy"), DECOYS)
def test_no_decoy_is_ever_applied_even_alone(library_book: BookFacts, decoy: BookCandidate) -> None:
    results = rank(library_book, [decoy], WEIGHTS)
    assert results[0].decision is not APPLY, results[0].reasons


def test_empty_candidates_give_none() -> None:
    assert choose(book("Dune", "Frank Herbert"), [], WEIGHTS) is None


def test_reasons_name_the_penalties_and_the_vetoes() -> None:
    result = choose(book("The Outsider", "Stephen King"), [CAMUS], WEIGHTS)
    assert result is not None
    reason = next(r for r in result.reasons if r.startswith("author mismatch"))
    assert reason.startswith("author mismatch: 'Stephen King' vs 'Albert Camus' (0.")
    assert {v.name for v in result.score.vetoes} == {"author"}
    title = result.score.penalty("title")
    assert title is not None and title.similarity == 1.0
    assert "below the review threshold" in result.reasons[0]


def test_ambiguity_is_explained() -> None:
    candidates = [
        cand("a", "Dune", "Frank Herbert", asin="B0FIRST001", duration_minutes=1260),
        cand("b", "Dune", "Frank Herbert", asin="B0SECOND01", duration_minutes=1262),
    ]
    result = choose(book("Dune", "Frank Herbert", duration_seconds=75_600), candidates, WEIGHTS)
    assert result is not None
    assert result.reasons[0] == "ambiguous: 'Dune' from audible scores 1.00 against 1.00"


@pytest.mark.parametrize(
    ("weights", "decision"),
    [
        (MatchWeights(), APPLY),
        (MatchWeights(apply_at=1.0), REVIEW),
        (MatchWeights(apply_at=1.0, review_at=0.99), REJECT),
        (MatchWeights(year=100.0), REVIEW),  # the year gap now dominates the score
        (MatchWeights(year=0.0), APPLY),
    ],
)
def test_weights_and_thresholds_come_from_the_caller(weights: MatchWeights, decision: Decision) -> None:
    result = choose(
        book("Dune", "Frank Herbert", published_year=2006),
        [cand("ok", "Dune", "Frank Herbert", published_year=2007)],
        weights,
    )
    assert result is not None
    assert result.decision is decision


def test_ambiguity_margin_is_a_setting() -> None:
    library_book = book("Dune", "Frank Herbert", published_year=2007, duration_seconds=75_600)
    candidates = [
        cand("near", "Dune", "Frank Herbert", asin="B0FIRST001", published_year=2007, duration_minutes=1260),
        cand("far", "Dune", "Frank Herbert", asin="B0SECOND01", published_year=2006, duration_minutes=1260),
    ]
    strict = choose(library_book, candidates, MatchWeights(ambiguity_margin=0.05))
    loose = choose(library_book, candidates, MatchWeights(ambiguity_margin=0.01))
    assert strict is not None and loose is not None
    assert (strict.decision, strict.candidate.source_id) == (REVIEW, "near")
    assert (loose.decision, loose.candidate.source_id) == (APPLY, "near")


@pytest.mark.parametrize(
    "bad",
    [
        {"apply_at": 0.6, "review_at": 0.7},
        {"apply_at": 1.5},
        {"review_at": -0.1},
        {"title": -1.0},
        {"author_reject_below": 0.9, "author_apply_min": 0.8},
        {"title_reject_below": 0.9},
    ],
)
def test_weights_are_validated(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"need|negative|at most"):
        MatchWeights(**bad)


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        (
            cand("a", "Dune", "Frank Herbert", asin="B1"),
            cand("b", "Dune (Unabridged)", "Herbert, Frank", asin="b1"),
            True,
        ),
        (cand("a", "Dune", "Frank Herbert", asin="B1"), cand("b", "Dune", "Frank Herbert", asin="B2"), False),
        (cand("a", "Dune", "Frank Herbert", isbn="0441013597"), cand("b", "Duna", "F. H.", isbn="9780441013593"), True),
        (
            cand("a", "Dune", "Frank Herbert", asin="B1"),
            cand("b", "Dune", "Frank Herbert", source="google_books"),
            True,
        ),
        (cand("a", "Dune", "Frank Herbert", language="en"), cand("b", "Dune", "Frank Herbert", language="de"), False),
        (DUNE, DUNE_ABRIDGED, False),
        (LEVIATHAN, CALIBAN, False),
        (
            cand("a", "Dune", "Frank Herbert", series=series("Dune", "1")),
            cand("b", "Dune", "Frank Herbert", series=series("Dune", "2")),
            False,
        ),
    ],
)
def test_same_work(left: BookCandidate, right: BookCandidate, same: bool) -> None:
    assert same_work(left, right) is same
    assert same_work(right, left) is same


def test_decide_lowers_to_the_veto_cap() -> None:
    match_score = score(
        book("Inferno", "Dan Brown", language="en"), cand("c", "Inferno", "Dan Brown", language="es"), WEIGHTS
    )
    decision, reasons = decide(match_score, WEIGHTS)
    assert decision is REJECT
    assert reasons[0].endswith("but vetoed down to reject")
    assert "language mismatch: 'en' vs 'es' (0.00)" in reasons


def test_exact_identifier_softens_a_hard_veto_to_review() -> None:
    library_book = book("Dune", "Frank Herbert", asin="B002V1OF70")
    wrong_author = cand("c", "Dune", "Someone Else", asin="B002V1OF70")
    result = choose(library_book, [wrong_author], WEIGHTS)
    assert result is not None
    assert result.decision is REVIEW
    assert "author mismatch, but an identifier agrees" in result.reasons


def test_book_facts_from_a_library_item() -> None:
    item = LibraryItem(
        id="li_1",
        library_id="lib",
        title="Dune",
        authors=("Frank Herbert",),
        narrators=("Scott Brick",),
        series=series("Dune", "1"),
        asin="B002V1OF70",
        published_year=2007,
        language="English",
        duration_seconds=75600.0,
        extra={"abridged": True},
    )
    facts = BookFacts.from_item(item)
    assert (facts.title, facts.authors, facts.narrators, facts.asin) == (
        "Dune",
        ("Frank Herbert",),
        ("Scott Brick",),
        "B002V1OF70",
    )
    assert (facts.series, facts.published_year, facts.duration_seconds) == (series("Dune", "1"), 2007, 75600.0)
    assert facts.edition == "abridged"
    assert BookFacts.from_item(replace(item, extra={})).edition is None


WORDS = st.text(alphabet=st.characters(categories=["Lu", "Ll", "Lo"]), min_size=1, max_size=10)


@settings(max_examples=200, deadline=None)
@given(
    title=st.lists(WORDS, min_size=1, max_size=5).map(" ".join),
    authors=st.lists(st.lists(WORDS, min_size=1, max_size=3).map(" ".join), min_size=1, max_size=3),
)
def test_a_book_always_matches_itself(title: str, authors: list[str]) -> None:
    result = choose(book(title, *authors), [cand("self", title, *authors)], WEIGHTS)
    assert result is not None
    assert result.decision is APPLY, result.reasons
