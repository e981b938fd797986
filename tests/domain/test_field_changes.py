"""Per-field correction proposals: fill, replace, never blank, never a cosmetic change, identifiers guarded."""

from __future__ import annotations

from typing import Any

import pytest

from shelfkeeper.domain.library.items import MetadataUpdate, SeriesRef
from shelfkeeper.domain.metadata.candidates import BookCandidate
from shelfkeeper.domain.metadata.matching import BookFacts, FieldChange, FieldPolicy, as_metadata_update, field_changes

Change = tuple[str, object, object]


def book(title: str = "Leviathan Wakes", **facts: Any) -> BookFacts:
    return BookFacts(title=title, **facts)


def cand(title: str = "Leviathan Wakes", **facts: Any) -> BookCandidate:
    return BookCandidate(source="audible", source_id="c1", title=title, **facts)


IDS_ONLY = FieldPolicy(replace=frozenset(), fill=frozenset())
EXPANSE_1 = (SeriesRef("Expanse", "1", series_id="ser_1"),)


CASES = [
    pytest.param(book(), cand(), None, [], id="nothing-new"),
    pytest.param(
        book(authors=("James S. A. Corey",)),
        cand(subtitle="The Expanse, Book 1", authors=("James S. A. Corey",), narrators=("Jefferson Mays",)),
        None,
        [("subtitle", None, "The Expanse, Book 1"), ("narrators", (), ("Jefferson Mays",))],
        id="fill-empty-fields",
    ),
    pytest.param(book(subtitle="Book One"), cand(subtitle=None), None, [], id="never-blank-a-text"),
    pytest.param(book(narrators=("Jefferson Mays",)), cand(narrators=()), None, [], id="never-blank-a-list"),
    pytest.param(book(title="leviathan wakes"), cand(), None, [], id="case-only-is-not-a-change"),
    pytest.param(book(title="Leviathan Wakes."), cand(), None, [], id="punctuation-only-is-not-a-change"),
    pytest.param(
        book(title="Hobbit, The"),
        cand(title="The Hobbit"),
        None,
        [("title", "Hobbit, The", "The Hobbit")],
        id="moved-article-is-a-change",
    ),
    pytest.param(
        book(title="Leviathan Wakes (Unabridged)"),
        cand(),
        None,
        [("title", "Leviathan Wakes (Unabridged)", "Leviathan Wakes")],
        id="noise-removal-is-a-change",
    ),
    pytest.param(
        book(authors=("Jo Nesbo",)),
        cand(authors=("Jo Nesbø",)),
        None,
        [("authors", ("Jo Nesbo",), ("Jo Nesbø",))],
        id="accents-are-a-change",
    ),
    pytest.param(
        book(authors=("Sanderson, Brandon",)),
        cand(authors=("Brandon Sanderson",)),
        None,
        [("authors", ("Sanderson, Brandon",), ("Brandon Sanderson",))],
        id="last-first-to-first-last",
    ),
    pytest.param(
        book(authors=("Neil Gaiman", "Terry Pratchett")),
        cand(authors=("terry pratchett", "Neil Gaiman")),
        None,
        [],
        id="same-names-other-order-and-case",
    ),
    pytest.param(
        book(authors=("Stephen King", "Peter Straub")),
        cand(authors=("Stephen King",)),
        None,
        [],
        id="never-drop-a-co-author",
    ),
    pytest.param(book(asin="B0058TQAAU"), cand(asin="B00OTHER01"), None, [], id="asin-kept-against-weaker-match"),
    pytest.param(
        book(asin="B0058TQAAU", isbn="9780316129084"),
        cand(asin="B00OTHER01", isbn="0-316-12908-4"),
        None,
        [("asin", "B0058TQAAU", "B00OTHER01")],
        id="asin-replaced-when-isbn-agrees",
    ),
    pytest.param(
        book(asin="B0058TQAAU", isbn="9780000000002"),
        cand(asin="b0058tqaau", isbn="9781111111113"),
        None,
        [("isbn", "9780000000002", "9781111111113")],
        id="isbn-replaced-when-asin-agrees",
    ),
    pytest.param(book(isbn="0-316-12908-4"), cand(isbn="9780316129084"), None, [], id="isbn10-equals-isbn13"),
    pytest.param(book(isbn="9780000000002"), cand(isbn="9781111111113"), None, [], id="isbn-kept-against-weaker-match"),
    pytest.param(
        book(),
        cand(asin="B0058TQAAU", isbn="9780316129084"),
        None,
        [("asin", None, "B0058TQAAU"), ("isbn", None, "9780316129084")],
        id="identifiers-filled-when-empty",
    ),
    pytest.param(book(), cand(asin="B0058TQAAU"), FieldPolicy(identifiers=False), [], id="identifiers-off"),
    pytest.param(book(published_year=2011), cand(published_year=2012), None, [], id="year-is-fill-only"),
    pytest.param(book(), cand(published_year=2011), None, [("published_year", None, 2011)], id="year-filled"),
    pytest.param(book(language="English"), cand(language="en"), None, [], id="same-language-other-spelling"),
    pytest.param(book(), cand(language="en"), None, [("language", None, "en")], id="language-filled"),
    pytest.param(book(description="Mine."), cand(description="Theirs."), None, [], id="description-is-fill-only"),
    pytest.param(
        book(genres=()),
        cand(genres=("Science Fiction", "Space Opera")),
        None,
        [("genres", (), ("Science Fiction", "Space Opera"))],
        id="genres-filled",
    ),
    pytest.param(book(series=EXPANSE_1), cand(series=(SeriesRef("expanse", "1"),)), None, [], id="same-series"),
    pytest.param(
        book(series=EXPANSE_1),
        cand(series=(SeriesRef("The Expanse"),)),
        None,
        [("series", EXPANSE_1, (SeriesRef("The Expanse", "1", series_id="ser_1"),))],
        id="series-renamed-keeps-our-position-and-id",
    ),
    pytest.param(
        book(series=EXPANSE_1),
        cand(series=(SeriesRef("Expanse", "1"), SeriesRef("Expanse Universe", "1"))),
        None,
        [("series", EXPANSE_1, (SeriesRef("Expanse", "1", series_id="ser_1"), SeriesRef("Expanse Universe", "1")))],
        id="series-added",
    ),
    pytest.param(
        book(series=(SeriesRef("Discworld", "1"),)),
        cand(series=(SeriesRef("Rincewind", "1"),)),
        None,
        [("series", (SeriesRef("Discworld", "1"),), (SeriesRef("Rincewind", "1"), SeriesRef("Discworld", "1")))],
        id="series-never-dropped",
    ),
    pytest.param(
        book(title="Hobbit, The"),
        cand(title="The Hobbit", subtitle="There and Back Again", asin="B0HOBBIT01"),
        IDS_ONLY,
        [("asin", None, "B0HOBBIT01")],
        id="policy-identifiers-only",
    ),
    pytest.param(
        book(title="Hobbit, The"),
        cand(title="The Hobbit", subtitle="There and Back Again"),
        FieldPolicy(replace=frozenset(), fill=frozenset({"title", "subtitle"})),
        [("subtitle", None, "There and Back Again")],
        id="policy-fill-never-replaces",
    ),
]


@pytest.mark.parametrize(("library_book", "candidate", "policy", "expected"), CASES)
def test_field_changes(
    library_book: BookFacts, candidate: BookCandidate, policy: FieldPolicy | None, expected: list[Change]
) -> None:
    changes = field_changes(library_book, candidate, policy)
    assert [(c.field, c.old, c.new) for c in changes] == expected
    assert all(c.reason for c in changes)


def test_reasons_say_fill_replace_and_why_an_identifier_moved() -> None:
    changes = field_changes(
        book(title="Hobbit, The", asin="B0058TQAAU", isbn="9780316129084"),
        cand(title="The Hobbit", subtitle="There and Back Again", asin="B00OTHER01", isbn="9780316129084"),
    )
    reasons = {c.field: c.reason for c in changes}
    assert reasons == {
        "title": "replace title with audible's",
        "subtitle": "fill empty subtitle from audible",
        "asin": "replace asin: the isbn agrees exactly",
    }


def test_as_metadata_update() -> None:
    changes = [
        FieldChange("title", "Hobbit, The", "The Hobbit", "replace"),
        FieldChange("narrators", (), ("Andy Serkis",), "fill"),
        FieldChange("published_year", None, 2020, "fill"),
    ]
    assert as_metadata_update(changes) == MetadataUpdate(
        title="The Hobbit", narrators=("Andy Serkis",), published_year=2020
    )
    assert as_metadata_update([]) == MetadataUpdate()
