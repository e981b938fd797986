"""Series gaps: holes, books after the last owned one, novellas, prequels, box sets, duplicates, evidence."""

from __future__ import annotations

import os
from dataclasses import fields, replace
from datetime import date
from decimal import Decimal

import pytest

from shelfkeeper.domain.discovery.gap_slots import Slot, add_holes
from shelfkeeper.domain.discovery.ownership import OwnedIndex, label_positions
from shelfkeeper.domain.discovery.series_gaps import (
    Gap,
    GapReason,
    OwnedBook,
    SeriesEntry,
    entries_from_candidates,
    entries_from_releases,
    find_all_series_gaps,
    find_series_gaps,
    wanted_key,
)
from shelfkeeper.domain.library.items import LibraryItem, SeriesRef
from shelfkeeper.domain.metadata.candidates import BookCandidate
from shelfkeeper.domain.releases.release import Release

SERIES = "The Expanse"
AUTHOR = "James S. A. Corey"
TODAY = date(2025, 6, 1)
HOLE, AFTER, KNOWN = GapReason.HOLE, GapReason.AFTER_LAST, GapReason.KNOWN_UNOWNED


def owned(label: str | None, title: str | None = None, *, asin: str | None = None, series: str = SERIES) -> OwnedBook:
    """An owned book of the series; its title says which position it was filed under unless given."""
    return OwnedBook(title or f"Owned Story {label}", (AUTHOR,), asin, series=(SeriesRef(series, label),))


def listed(
    label: str | None,
    title: str | None = None,
    *,
    source: str = "audible",
    asin: str | None = None,
    released: date | None = None,
    authors: tuple[str, ...] = (AUTHOR,),
    series: str = SERIES,
    source_id: str | None = None,
) -> SeriesEntry:
    """A provider's entry; its title says which position it was listed at unless given."""
    return SeriesEntry(
        series=series,
        position=label,
        title=title if title is not None else f"Listed Story {label}",
        source=source,
        source_id=source_id or f"{source}-{label}",
        authors=authors,
        asin=asin,
        release_date=released,
    )


GapSummary = tuple[str | None, GapReason, str | None, bool]


def gap(position: str | None, reason: GapReason, title: str | None = None, upcoming: bool = False) -> GapSummary:
    return position, reason, title, upcoming


def summary(gaps: list[Gap]) -> list[GapSummary]:
    return [(g.position, g.reason, g.title, g.upcoming) for g in gaps]


GAP_CASES = [
    pytest.param([owned("1"), owned("2"), owned("4")], [], [gap("3", HOLE)], id="integer hole, nobody lists it"),
    pytest.param([owned("1"), owned("2"), owned("3")], [], [], id="complete run, nothing known"),
    pytest.param(
        [owned("1"), owned("2"), owned("4")],
        [listed("3", "Abaddon's Gate")],
        [gap("3", HOLE, "Abaddon's Gate")],
        id="listed hole takes the provider's title",
    ),
    pytest.param(
        [owned("1"), owned("2")],
        [listed("3"), listed("4")],
        [gap("3", AFTER, "Listed Story 3"), gap("4", AFTER, "Listed Story 4")],
        id="known books after the last owned one",
    ),
    pytest.param([owned("3")], [], [gap("1", HOLE), gap("2", HOLE)], id="holes start at 1"),
    pytest.param([owned("1"), owned("2.5")], [], [gap("2", HOLE)], id="owned novella does not cover 2"),
    pytest.param([owned("1"), owned("2")], [listed("1.5")], [gap("1.5", KNOWN, "Listed Story 1.5")], id="listed 1.5"),
    pytest.param([owned("1"), owned("3")], [], [gap("2", HOLE)], id="decimals are never invented as holes"),
    pytest.param([owned("1"), owned("1.5"), owned("2")], [listed("1.5")], [], id="owned novella"),
    pytest.param([owned("1"), owned("2")], [listed("2.5")], [gap("2.5", AFTER, "Listed Story 2.5")], id="novella last"),
    pytest.param([owned("1-3"), owned("5")], [], [gap("4", HOLE)], id="owned omnibus 1-3 covers 1, 2, 3"),
    pytest.param([owned("1-3")], [listed("4")], [gap("4", AFTER, "Listed Story 4")], id="after an owned omnibus"),
    pytest.param([owned("Book 1"), owned("Book 3")], [], [gap("2", HOLE)], id="'Book N' labels"),
    pytest.param([owned("1")], [listed("Book 2")], [gap("2", AFTER, "Listed Story Book 2")], id="'Book 2' listed"),
    pytest.param([owned("1"), owned("2")], [], [], id="prequel 0 never invented"),
    pytest.param([owned("1"), owned("2")], [listed("0")], [gap("0", KNOWN, "Listed Story 0")], id="listed prequel 0"),
    pytest.param([owned("1")], [listed("0.5")], [gap("0.5", KNOWN, "Listed Story 0.5")], id="listed prequel 0.5"),
    pytest.param([owned("0"), owned("1")], [listed("0")], [], id="owned prequel"),
    pytest.param(
        [owned("1"), owned("2"), owned("4"), owned(None, "Caliban's Return", asin="B0CALIBAN")],
        [listed("3", "Caliban's Return", asin="B0CALIBAN")],
        [],
        id="owned by ASIN while unnumbered: not a hole",
    ),
    pytest.param(
        [owned("1"), owned("2"), owned("7", "Abaddon's Gate", asin="B0ABADDON")],
        [listed("3", "Abaddon's Gate", asin="b0abaddon")],
        [gap("4", HOLE), gap("5", HOLE), gap("6", HOLE)],
        id="owned by ASIN under another position label",
    ),
    pytest.param(
        [owned("1"), owned("2"), owned("4"), owned(None, "Abaddon's Gate (Unabridged)")],
        [listed("3", "Abaddon's Gate: The Expanse, Book 3", authors=("Corey, James S.A.",))],
        [],
        id="owned by normalised title and author",
    ),
    pytest.param(
        [owned("1"), owned(None, "Memory's Legion")],
        [listed("2")],
        [gap("2", AFTER, "Listed Story 2")],
        id="unnumbered owned book matches nothing",
    ),
    pytest.param(
        [owned("1")],
        [
            listed("2", "Calibans War", source="mam"),
            listed("2", "Caliban's War", source="audible"),
            listed("2", "Caliban's War", source="google_books"),
        ],
        [gap("2", AFTER, "Caliban's War")],
        id="one position listed by three providers is one gap, Audible's title",
    ),
    pytest.param(
        [owned("1")],
        [listed("2", released=date(2026, 3, 1))],
        [gap("2", AFTER, "Listed Story 2", upcoming=True)],
        id="future release is upcoming",
    ),
    pytest.param(
        [owned("1")],
        [listed("2", released=date(2025, 6, 1))],
        [gap("2", AFTER, "Listed Story 2")],
        id="released today is not upcoming",
    ),
    pytest.param(
        [],
        [listed("1"), listed("2")],
        [gap("1", KNOWN, "Listed Story 1"), gap("2", KNOWN, "Listed Story 2")],
        id="nothing owned: every known book",
    ),
    pytest.param([], [], [], id="nothing owned, nothing known"),
    pytest.param(
        [owned("1"), owned("2")],
        [listed("3"), listed("4.5"), listed("4"), listed("5")],
        [gap(label, AFTER, f"Listed Story {label}") for label in ("3", "4", "4.5", "5")],
        id="every known position beyond the last owned, sorted",
    ),
    pytest.param(
        [owned("1"), owned("2"), owned("3")],
        [listed("1-3", "The Expanse Books 1-3 Box Set")],
        [],
        id="box set of owned books is not missing",
    ),
    pytest.param(
        [owned("1")],
        [listed("1-3", "The Expanse Books 1-3 Box Set")],
        [gap("2", AFTER), gap("3", AFTER)],
        id="box set: only the positions it adds",
    ),
    pytest.param(
        [owned("1", "The Expanse Books 1-3", asin="B0BOX")],
        [listed("1-3", "The Expanse Books 1-3", asin="B0BOX"), listed("4")],
        [gap("4", AFTER, "Listed Story 4")],
        id="box set owned by ASIN covers its books",
    ),
    pytest.param(
        [owned("1")],
        [listed("1", "The Expanse: Books 1-3 Box Set")],
        [gap("2", AFTER), gap("3", AFTER)],
        id="box set listed at its first position spans its title's range",
    ),
    pytest.param([owned("1")], [listed("2", series="Mistborn")], [], id="another series is ignored"),
    pytest.param(
        [owned("1")], [listed("2", series="Expanse Series")], [gap("2", AFTER, "Listed Story 2")], id="loose name"
    ),
    pytest.param(
        [owned("1")],
        [
            listed("2, Dramatized Adaptation", "Caliban's War (Dramatized Adaptation)", source="audible"),
            listed("2", "Caliban's War", source="audnexus"),
        ],
        [gap("2", AFTER, "Caliban's War")],
        id="dramatized edition merged, plain title preferred",
    ),
    pytest.param(
        [owned("1", "Leviathan Wakes")],
        [listed(None, "Leviathan Wakes", source="mam", authors=())],
        [],
        id="author-less entry owned by title within the series",
    ),
    pytest.param(
        [owned("1")],
        [listed("2", "Caliban's War", asin="B0CW"), listed("3", "Caliban's War", source="mam")],
        [gap("2", AFTER, "Caliban's War")],
        id="one book at two positions is one gap at the better source's",
    ),
    pytest.param([owned("1"), owned("2019")], [], [], id="a year as position invents no holes"),
    pytest.param(
        [owned("1"), owned("2019")],
        [listed("2")],
        [gap("2", AFTER, "Listed Story 2")],
        id="a year as position is not the last owned one",
    ),
    pytest.param(
        [owned("1")],
        [
            listed("2", "Caliban's War", asin="B0CW"),
            listed("3", "Caliban's War", source="mam"),
            listed("2-3", "The Expanse Books 2-3", source="mam"),
        ],
        [gap("2", AFTER, "Caliban's War"), gap("3", AFTER)],
        id="a misplaced listing folds away, its position stays known through the box set",
    ),
    pytest.param(
        [owned("1")],
        [listed(None, "The Butcher of Anderson Station", source="openlibrary")],
        [gap(None, KNOWN, "The Butcher of Anderson Station")],
        id="unnumbered known book",
    ),
    pytest.param(
        [owned("1")],
        [listed("2", "Caliban's War", asin="B0CW"), listed(None, "Caliban's War", source="openlibrary")],
        [gap("2", AFTER, "Caliban's War")],
        id="unnumbered listing joins the numbered one",
    ),
    pytest.param(
        [owned("1"), owned("2"), owned("3")],
        [listed("3", "Abaddon's Gate"), listed(None, "Abaddon's Gate", source="openlibrary")],
        [],
        id="unnumbered listing of a book owned by position",
    ),
    pytest.param(
        [owned("1"), owned("2"), owned("3", series="Expanse")],
        [listed("01-16, 13.5", "The Expanse 1-16 + 13.5", source="mam")],
        [gap(label, AFTER) for label in [*map(str, range(4, 14)), "13.5", *map(str, range(14, 17))]],
        id="MAM's list of positions",
    ),
]


@pytest.mark.parametrize(("owned_books", "known", "expected"), GAP_CASES)
def test_series_gaps(owned_books: list[OwnedBook], known: list[SeriesEntry], expected: list[GapSummary]) -> None:
    assert summary(find_series_gaps(SERIES, owned_books, known, today=TODAY)) == expected


def test_duplicate_listings_keep_every_source_as_evidence() -> None:
    known = [
        listed("3", "Abaddon's Gate", source="audible", asin="B00ABC", source_id="B00ABC"),
        listed("3", "Abaddons Gate", source="mam", source_id="123456"),
    ]
    library = [owned("1"), owned("2", "Caliban's War"), owned("4")]
    (found,) = find_series_gaps(SERIES, library, known, today=TODAY)
    assert found.evidence["listed_by"] == ["audible", "mam"]
    assert [s["source_id"] for s in found.evidence["sources"]] == ["B00ABC", "123456"]  # type: ignore[attr-defined]
    assert (found.evidence["owned_before"], found.evidence["owned_after"]) == ("2", "4")
    assert found.evidence["owned_before_title"] == "Caliban's War"
    assert found.asin == "B00ABC"
    assert found.explanation == "The Expanse #3 is missing between owned #2 and #4; listed by audible, mam"


def test_unlisted_hole_explains_that_no_provider_lists_it() -> None:
    (found,) = find_series_gaps(SERIES, [owned("1"), owned("3")], [], today=TODAY)
    assert (found.title, found.authors, found.evidence.get("listed_by")) == (None, (AUTHOR,), None)
    assert found.explanation.endswith("no provider lists it")
    assert found.key == "expanse#2"


def test_box_set_positions_point_at_the_box_set() -> None:
    box = listed("1-3", "The Expanse Books 1-3", asin="B0BOX", source_id="B0BOX")
    found = find_series_gaps(SERIES, [owned("1")], [box], today=TODAY)
    facts = {"source": "audible", "source_id": "B0BOX", "position": "1-3", "title": "The Expanse Books 1-3"}
    assert [g.evidence["available_in"] for g in found] == [[{**facts, "asin": "B0BOX"}]] * 2
    assert [g.evidence.get("sources") for g in found] == [None, None]
    assert "only in 'The Expanse Books 1-3'" in found[0].explanation


def test_conflicting_positions_are_recorded() -> None:
    known = [listed("2", "Caliban's War", asin="B0CW"), listed("3", "Caliban's War", source="mam")]
    (found,) = find_series_gaps(SERIES, [owned("1")], known, today=TODAY)
    assert found.evidence["other_positions"] == ["3"]
    assert found.evidence["listed_by"] == ["audible", "mam"]


def test_earliest_release_date_of_the_listings_decides_upcoming() -> None:
    known = [listed("2", released=date(2026, 1, 1)), listed("2", source="mam", released=date(2024, 1, 1))]
    (found,) = find_series_gaps(SERIES, [owned("1")], known, today=TODAY)
    assert (found.release_date, found.upcoming) == (date(2024, 1, 1), False)


def test_gap_key_is_the_wanted_key_and_stable_across_spellings() -> None:
    one = find_series_gaps(SERIES, [owned("1")], [listed("2", "Caliban's War (Unabridged)")], today=TODAY)
    two = find_series_gaps(
        "Expanse", [owned("1")], [listed("2", "CALIBAN'S WAR: The Expanse, Book 2", series="Expanse")], today=TODAY
    )
    assert one[0].key == two[0].key == wanted_key("Caliban's War", "Corey, James S.A.") == "calibans war|james sa corey"


def test_all_series_at_once() -> None:
    library = [owned("1"), owned("3"), owned("1", "The Final Empire", series="Mistborn")]
    known = [listed("2", "The Well of Ascension", series="Mistborn"), listed("4", series="The Expanse")]
    gaps = find_all_series_gaps(library, known, today=TODAY)
    assert {name: summary(found) for name, found in gaps.items()} == {
        SERIES: [gap("2", HOLE), gap("4", AFTER, "Listed Story 4")],
        "Mistborn": [gap("2", AFTER, "The Well of Ascension")],
    }


def test_an_index_can_be_reused() -> None:
    index = OwnedIndex([owned("1"), owned("3")])
    assert summary(find_series_gaps(SERIES, index, [], today=TODAY)) == [gap("2", HOLE)]


def test_entries_from_candidates_keep_each_series_membership() -> None:
    candidate = BookCandidate(
        source="audible",
        source_id="B0036UC2LO",
        title="Caliban's War",
        authors=(AUTHOR,),
        series=(SeriesRef("The Expanse", "2", "B0EXP"), SeriesRef("Expanse Universe", "2.0")),
        asin="B0036UC2LO",
        release_date=date(2012, 6, 26),
    )
    expected = SeriesEntry("The Expanse", "2", "Caliban's War", "audible", "B0036UC2LO", (AUTHOR,), "B0036UC2LO")
    assert entries_from_candidates([candidate], "Expanse") == [replace(expected, release_date=date(2012, 6, 26))]
    assert [e.series for e in entries_from_candidates([candidate])] == ["The Expanse", "Expanse Universe"]


def test_entries_from_mam_series_info() -> None:
    release = Release(
        indexer="MyAnonamouse",
        title="The Expanse Collection",
        guid="https://mam.example/t/77",
        source="mam",
        authors=(AUTHOR,),
        series=(("The Expanse", "01-16, 13.5"), ("Other", "3")),
        mam_id=77,
        language="ENG",
        extra={"isbn": "ASIN: B0BOX", "asin": "B0BOX"},
    )
    (entry,) = entries_from_releases([release], SERIES)
    assert (entry.position, entry.source, entry.source_id, entry.asin, entry.isbn) == (
        "01-16, 13.5",
        "mam",
        "77",
        "B0BOX",
        None,
    )
    assert label_positions(entry.position) == {Decimal(n) for n in range(1, 17)} | {Decimal("13.5")}


def test_owned_book_from_a_library_item() -> None:
    item = LibraryItem(
        "li_1", "lib", "Cibola Burn", authors=(AUTHOR,), series=(SeriesRef(SERIES, "4"),), asin="B00X", isbn="1"
    )
    assert OwnedBook.from_item(item) == OwnedBook("Cibola Burn", (AUTHOR,), "B00X", "1", (SeriesRef(SERIES, "4"),))


@pytest.mark.parametrize(
    ("label", "title", "expected"),
    [
        ("3", None, {"3"}),
        ("Book 2", None, {"2"}),
        ("1-3", None, {"1", "2", "3"}),
        ("1.5", None, {"1.5"}),
        ("0.5-2", None, {"0.5", "1", "2"}),
        ("1.5-3", None, {"1.5", "2", "3"}),
        ("01-04, 2.5", None, {"1", "2", "2.5", "3", "4"}),
        ("2, Dramatized Adaptation", None, {"2"}),
        ("1", "Books 1-3 Box Set", {"1", "2", "3"}),
        ("5", "Books 1-3 Box Set", {"5"}),
        (None, "The Expanse Books 4-6", {"4", "5", "6"}),
        ("1-2019", None, {"1", "2019"}),
        (None, None, set()),
        ("", "Leviathan Wakes", set()),
        ("Prequel", None, set()),
    ],
)
def test_label_positions(label: str | None, title: str | None, expected: set[str]) -> None:
    assert label_positions(label, title) == {Decimal(value) for value in expected}


def test_gap_of_sets_every_field() -> None:
    """Gaps are built without the dataclass ``__init__``: every field is set, in order, as ``Gap(...)`` would."""
    gaps = find_series_gaps(SERIES, [owned("1"), owned("3")], [listed("2"), listed("4", asin="b004")], today=TODAY)
    assert gaps
    for found in gaps:
        assert list(vars(found)) == [f.name for f in fields(Gap)]
        rebuilt = Gap(**vars(found))
        assert rebuilt == found and rebuilt.evidence == found.evidence and hash(rebuilt) == hash(found)


@pytest.mark.parametrize("seed", ["0", "1", "2", "3"])
def test_owned_title_found_does_not_depend_on_string_hashes(seed: str) -> None:
    """Two owned spellings of one title, each by another author: a provider's book by both names is matched to the
    first-named author's book, in every process (author keys were once a set, walked in string-hash order)."""
    import subprocess
    import sys

    script = (
        "from shelfkeeper.domain.discovery.ownership import OwnedBook, OwnedIndex\n"
        "index = OwnedIndex([OwnedBook('The Hollow Crown', ('Mara Quill',)), "
        "OwnedBook('The Hollow Crown!', ('Ivo Brandt',))])\n"
        "print(index.match('The Hollow Crown', ('Ivo Brandt', 'Mara Quill'), None, None).owned_title)\n"
        "print(index.match('The Hollow Crown', ('Mara Quill', 'Ivo Brandt'), None, None).owned_title)\n"
    )
    answer = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": seed},
    )
    assert answer.stdout.splitlines() == ["The Hollow Crown!", "The Hollow Crown"]


@pytest.mark.parametrize("last", ["0", "0.5", "3", "3.5", "1000", "1002"])
def test_holes_are_every_whole_position_up_to_the_last(last: str) -> None:
    """``add_holes`` takes its positions from a made-once tuple up to 1000 and builds them past it: the same slots."""
    covered = {Decimal(2): "Two"}
    slots: dict[object, Slot] = {Decimal(1): Slot(Decimal(1))}
    add_holes(slots, covered, Decimal(last))
    top = int(Decimal(last))
    assert list(slots) == [Decimal(1), *(Decimal(n) for n in range(3, top + 1))]
    assert all(slot.position == key for key, slot in slots.items())
