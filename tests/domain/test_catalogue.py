"""Author catalogues: editions merged across providers, owned books, other languages and other authors left out."""

from __future__ import annotations

from datetime import date

import pytest

from shelfkeeper.domain.discovery.author_catalogue import (
    CatalogueResult,
    ExclusionReason,
    OwnedBook,
    merge_catalogue,
    wanted_key,
)
from shelfkeeper.domain.discovery.series_gaps import SeriesEntry, find_series_gaps
from shelfkeeper.domain.library.items import SeriesRef
from shelfkeeper.domain.metadata.candidates import BookCandidate

SANDERSON = "Brandon Sanderson"
TODAY = date(2025, 6, 1)
ASIN, ISBN, TITLE, POSITION = (
    ExclusionReason.OWNED_BY_ASIN,
    ExclusionReason.OWNED_BY_ISBN,
    ExclusionReason.OWNED_BY_TITLE,
    ExclusionReason.OWNED_BY_POSITION,
)
LANGUAGE, AUTHOR = ExclusionReason.OTHER_LANGUAGE, ExclusionReason.NOT_BY_AUTHOR


def book(
    source: str,
    title: str,
    *,
    authors: tuple[str, ...] = (SANDERSON,),
    asin: str | None = None,
    isbn: str | None = None,
    language: str | None = "english",
    released: date | None = None,
    year: int | None = None,
    series: tuple[SeriesRef, ...] = (),
    format_type: str | None = None,
) -> BookCandidate:
    """A provider's book; its source id is made from the title so every test row stays readable."""
    return BookCandidate(
        source=source,
        source_id=f"{source[:2]}-{title[:12]}",
        title=title,
        authors=authors,
        asin=asin,
        isbn=isbn,
        language=language,
        release_date=released,
        published_year=year,
        series=series,
        format_type=format_type,
    )


def mine(title: str, *, authors: tuple[str, ...] = (SANDERSON,), **ids: str) -> OwnedBook:
    return OwnedBook(title, authors, ids.get("asin"), ids.get("isbn"))


Outcome = tuple[list[str], list[str], list[tuple[str, ExclusionReason]]]


def outcome(result: CatalogueResult) -> Outcome:
    return (
        [b.title for b in result.books],
        [b.title for b in result.collections],
        [(e.title, e.reason) for e in result.excluded],
    )


# Books come sorted by release date, then by normalised title (no leading article).
CATALOGUE_CASES = [
    pytest.param(
        [
            book("audible", "Elantris", asin="B001"),
            book("google_books", "Elantris: Tenth Anniversary Author's Definitive Edition", language="en"),
            book("openlibrary", "elantris", isbn="0765350378", language="eng"),
        ],
        [],
        (["Elantris"], [], []),
        id="editions merged across Audible, Google Books and Open Library",
    ),
    pytest.param(
        [
            book("google_books", "The Way of Kings", isbn="0765326353", year=2010),
            book("openlibrary", "Way of Kings (Stormlight Archive)", isbn="978-0-7653-2635-5", year=2010),
        ],
        [],
        (["The Way of Kings"], [], []),
        id="ISBN-10 and ISBN-13 of one edition merged",
    ),
    pytest.param(
        [book("audible", "Warbreaker (Unabridged)", asin="B002"), book("google_books", "Warbreaker", isbn="1")],
        [mine("Some Other Name", asin="b002")],
        ([], [], [("Warbreaker (Unabridged)", ASIN)]),
        id="owned by ASIN, the whole work out",
    ),
    pytest.param(
        [book("openlibrary", "The Emperor's Soul", isbn="1-61696-092-6")],
        [mine("Emperors Soul", isbn="9781616960926")],
        ([], [], [("The Emperor's Soul", ISBN)]),
        id="owned by ISBN",
    ),
    pytest.param(
        [book("audible", "THE WAY OF KINGS: The Stormlight Archive, Book 1", asin="B003")],
        [mine("Way of Kings, The (Unabridged)", authors=("Sanderson, Brandon",))],
        ([], [], [("THE WAY OF KINGS: The Stormlight Archive, Book 1", TITLE)]),
        id="owned by title: case, article, series suffix, (Unabridged), name order",
    ),
    pytest.param(
        [book("google_books", "Les Misérables", authors=("Victor Hugo",))],
        [mine("Les Miserables", authors=("Hugo, Victor",))],
        ([], [], [("Les Misérables", TITLE)]),
        id="owned by title despite accents",
    ),
    pytest.param(
        [book("google_books", "Elantris: Tenth Anniversary Author's Definitive Edition")],
        [mine("Elantris")],
        ([], [], [("Elantris: Tenth Anniversary Author's Definitive Edition", TITLE)]),
        id="owned by title: subtitle after the colon",
    ),
    pytest.param(
        [book("audible", "Der Weg der Könige", asin="B004", language="german"), book("audible", "Skyward", asin="B5")],
        [],
        (["Skyward"], [], [("Der Weg der Könige", LANGUAGE)]),
        id="translated edition filtered by language",
    ),
    pytest.param(
        [
            book("openlibrary", "Skyward", language="eng"),
            book("google_books", "Starsight", language="en-US"),
            book("mam", "Cytonic", language="ENG"),
            book("audible", "Defiant", language=None),
        ],
        [],
        (["Cytonic", "Defiant", "Skyward", "Starsight"], [], []),
        id="language codes and names are one; unknown language kept",
    ),
    pytest.param(
        [book("audible", "Mistborn Trilogy Boxed Set", asin="B006"), book("audible", "Tress of the Emerald Sea")],
        [],
        (["Tress of the Emerald Sea"], ["Mistborn Trilogy Boxed Set"], []),
        id="box set flagged and kept apart",
    ),
    pytest.param(
        [book("audible", "The Stormlight Archive", series=(SeriesRef("The Stormlight Archive", "1-2"),))],
        [],
        ([], ["The Stormlight Archive"], []),
        id="a range in the series makes it a collection",
    ),
    pytest.param(
        [book("audible", "Mistborn: The Final Empire", asin="B7"), book("audible", "Mistborn (Books 1-3)", asin="B8")],
        [],
        (["Mistborn: The Final Empire"], ["Mistborn (Books 1-3)"], []),
        id="box set never merged with the single of the same main title",
    ),
    pytest.param(
        [book("audible", "Wind and Truth", asin="B009", released=date(2030, 12, 6))],
        [],
        (["Wind and Truth"], [], []),
        id="future release kept",
    ),
    pytest.param(
        [book("audible", "Elantris", asin="B001"), book("google_books", "Elantris", authors=("Someone Else",))],
        [],
        (["Elantris"], [], [("Elantris", AUTHOR)]),
        id="another author's book with the same title excluded",
    ),
    pytest.param(
        [
            book("audible", "Star Wars: Thrawn", authors=("Timothy Zahn",)),
            book("audible", "Star Wars: Thrawn Alliances", authors=("Timothy Zahn",)),
        ],
        [mine("Star Wars: Heir to the Empire", authors=("Timothy Zahn",))],
        (["Star Wars: Thrawn", "Star Wars: Thrawn Alliances"], [], []),
        id="two subtitles of one main title are two books, neither owned",
    ),
    pytest.param(
        [book("audible", "The Final Empire", series=(SeriesRef("Mistborn", "1"),))],
        [OwnedBook("Kinder des Nebels", (SANDERSON,), series=(SeriesRef("Mistborn Saga", "Book 1"),))],
        ([], [], [("The Final Empire", POSITION)]),
        id="owned by series position under another title",
    ),
    pytest.param(
        [
            book("audible", "Mistborn Boxed Set", series=(SeriesRef("Mistborn", "1-3"),)),
            book("audible", "Wax and Wayne Boxed Set", series=(SeriesRef("Wax and Wayne", "1-3"),)),
        ],
        [
            *(OwnedBook(f"Mistborn {n}", (SANDERSON,), series=(SeriesRef("Mistborn", str(n)),)) for n in (1, 2, 3)),
            OwnedBook("Alloy of Law", (SANDERSON,), series=(SeriesRef("Wax and Wayne", "1"),)),
        ],
        ([], ["Wax and Wayne Boxed Set"], [("Mistborn Boxed Set", POSITION)]),
        id="box set of owned books out, partly owned box set kept",
    ),
    pytest.param(
        [
            book("audible", "The Cuckoo's Calling", authors=("Robert Galbraith",)),
            book("audible", "The Hobbit", authors=("J.R.R. Tolkien",)),
            book("audible", "A Wizard of Earthsea", authors=("Ursula K. Le Guin",)),
            book("audible", "Twilight", authors=("S. Meyer",)),
        ],
        [],
        (["The Cuckoo's Calling", "The Hobbit", "A Wizard of Earthsea"], [], [("Twilight", AUTHOR)]),
        id="pen names, initials and a missing middle initial are the author; a lone surname is not",
    ),
]
CATALOGUE_AUTHORS = ["Brandon Sanderson", "Victor Hugo", "Timothy Zahn", "Robert Galbraith", "J. R. R. Tolkien"]


@pytest.mark.parametrize(("candidates", "owned", "expected"), CATALOGUE_CASES)
def test_catalogue(candidates: list[BookCandidate], owned: list[OwnedBook], expected: Outcome) -> None:
    authors = [*CATALOGUE_AUTHORS, "Ursula Le Guin", "Stephenie Meyer"]
    result = merge_catalogue(candidates, owned, languages=["English"], today=TODAY, author_names=authors)
    assert outcome(result) == expected


def test_merged_work_keeps_every_identifier_source_and_the_earliest_date() -> None:
    candidates = [
        book("openlibrary", "elantris", isbn="0765350378", released=date(2006, 5, 1), language="eng"),
        book("google_books", "Elantris", isbn="9780765383105", released=date(2005, 4, 21), language="en"),
        book("audible", "Elantris", asin="B002UZMLXM", released=date(2009, 11, 1)),
    ]
    (work,) = merge_catalogue(candidates, [], languages=["en"], today=TODAY).books
    assert (work.title, work.asin, work.isbns) == ("Elantris", "B002UZMLXM", ("9780765383105", "9780765350374"))
    assert work.sources == ("audible:au-Elantris", "google_books:go-Elantris", "openlibrary:op-elantris")
    assert (work.release_date, work.published_year) == (date(2005, 4, 21), 2005)
    assert (work.language, work.upcoming) == ("en", False)
    editions = work.evidence["editions"]
    assert isinstance(editions, list)
    assert [e["source"] for e in editions] == ["audible", "google_books", "openlibrary"]
    assert editions[2] == {
        "source": "openlibrary",
        "source_id": "op-elantris",
        "title": "elantris",
        "isbn": "9780765350374",
        "language": "en",
        "release_date": "2006-05-01",
    }


@pytest.mark.parametrize(
    ("released", "year", "upcoming"),
    [
        (date(2030, 12, 6), None, True),
        (date(2025, 6, 2), None, True),
        (TODAY, None, False),
        (None, 2026, True),
        (None, 2025, False),
        (None, None, False),
    ],
)
def test_upcoming(released: date | None, year: int | None, upcoming: bool) -> None:
    candidate = book("audible", "Wind and Truth", released=released, year=year)
    (work,) = merge_catalogue([candidate], [], languages=[], today=TODAY).books
    assert work.upcoming is upcoming


def test_dramatized_only_when_every_edition_is() -> None:
    plain = book("audible", "The Way of Kings", asin="B1")
    drama = book("audible", "The Way of Kings (Dramatized Adaptation)", asin="B2", format_type="dramatized")
    (merged,) = merge_catalogue([drama, plain], [], languages=[], today=TODAY).books
    (alone,) = merge_catalogue([drama], [], languages=[], today=TODAY).books
    assert (merged.title, merged.asins, merged.dramatized) == ("The Way of Kings", ("B1", "B2"), False)
    assert (alone.dramatized, alone.abridged) == (True, False)


def test_exclusions_say_why() -> None:
    candidates = [
        book("audible", "Warbreaker", asin="B002"),
        book("audible", "Der Weg der Könige", language="de"),
        book("google_books", "Elantris", authors=("Someone Else",)),
    ]
    result = merge_catalogue(
        candidates, [mine("Warbreaker", asin="B002")], languages=["eng"], today=TODAY, author_names=[SANDERSON]
    )
    assert [(e.detail, e.sources) for e in result.excluded] == [
        ("language de is not one of en", ("audible:au-Der Weg der ",)),
        ("by Someone Else, not Brandon Sanderson", ("google_books:go-Elantris",)),
        ("ASIN B002 is owned as 'Warbreaker'", ("audible:au-Warbreaker",)),
    ]


def test_no_filters_keep_every_language_and_author() -> None:
    candidates = [book("audible", "Der Weg der Könige", language="de"), book("google_books", "X", authors=("Y Z",))]
    result = merge_catalogue(candidates, [], languages=(), today=TODAY)
    assert (len(result.books), result.excluded) == (2, ())


def test_catalogue_and_series_gap_share_the_wanted_key() -> None:
    """The same book found by the author job and by the series job becomes one wanted row."""
    co_authors = ("Corey, James S. A.", "Another Writer")
    catalogue = merge_catalogue(
        [book("audible", "Caliban's War (Unabridged)", authors=co_authors)], [], languages=[], today=TODAY
    )
    entry = SeriesEntry("The Expanse", "2", "Caliban's War: The Expanse, Book 2", "mam", "1", co_authors[::-1])
    (found,) = find_series_gaps("The Expanse", [], [entry], today=TODAY)
    assert found.key == catalogue.books[0].key == wanted_key("calibans war", "Another Writer")


def test_an_edition_without_authors_is_owned_through_its_works_authors() -> None:
    editions = [
        book("google_books", "Warbreaker", authors=(), asin="B0W"),
        book("audible", "Warbreaker Tenth Anniversary", asin="B0W"),
    ]
    result = merge_catalogue(editions, [mine("Warbreaker")], languages=[], today=TODAY)
    assert outcome(result) == ([], [], [("Warbreaker Tenth Anniversary", TITLE)])
    assert result.excluded[0].detail == "title 'Warbreaker' by the same author is owned as 'Warbreaker'"
