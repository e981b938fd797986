"""Recording wanted books: once per book, never an owned one, stronger reasons take over, ignored rows stay ignored."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from shelfkeeper.db.tables import Series, WantedBook
from shelfkeeper.domain.discovery.ownership import book_key
from shelfkeeper.domain.lifecycle import WantedReason
from shelfkeeper.services import wanted
from shelfkeeper.services.books import create_book
from shelfkeeper.services.owned_books import find_owner
from shelfkeeper.services.wanted import (
    UNTITLED,
    Recorded,
    WantedCandidate,
    close_owned_wanted,
    count_outcomes,
    edition_flags,
    record_wanted,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
AUTHOR = "Brandon Sanderson"


def candidate(title: str, reason: WantedReason = WantedReason.SERIES_GAP, **fields: Any) -> WantedCandidate:
    authors = fields.pop("authors", (AUTHOR,))
    return WantedCandidate(
        title=title,
        authors=authors,
        key=fields.pop("key", book_key(title, authors)),
        reason=reason,
        source=fields.pop("source", "audible"),
        evidence=fields.pop("evidence", {"explanation": f"{title} is missing"}),
        **fields,
    )


def book(session, title: str, authors=(AUTHOR,), series=(), **fields: Any) -> int:
    row = create_book(
        session,
        {"title": title, "authors": list(authors), "series": [{"name": n, "position": p} for n, p in series], **fields},
    )
    session.flush()
    return row.id


def rows(session) -> list[WantedBook]:
    return list(session.scalars(select(WantedBook).order_by(WantedBook.id)))


def test_the_same_book_twice_is_one_row_refreshed(session):
    first = record_wanted(session, candidate("Oathbringer", asin="B075Y6JSDM"), NOW)
    later = replace(candidate("Oathbringer"), evidence={"explanation": "again", "listed_by": ["mam"]})
    second = record_wanted(session, later, NOW)
    session.commit()
    assert (first.result, second.result) == (Recorded.CREATED, Recorded.UPDATED)
    (row,) = rows(session)
    assert row.asin == "B075Y6JSDM"  # kept: the later find did not know it
    assert row.evidence["explanation"] == "again" and row.evidence["listed_by"] == ["mam"]
    assert row.evidence["found_at"] and row.evidence["checked_at"]
    assert count_outcomes([first, second])["wanted_created"] == 1


@pytest.mark.parametrize(
    ("owned", "wanted", "by"),
    [
        (
            {"title": "Oathbringer", "asin": "B075Y6JSDM"},
            {"title": "Oathbringer (Unabridged)", "asin": "b075y6jsdm"},
            "asin",
        ),
        ({"title": "Elantris", "isbn": "0765350378"}, {"title": "Elantris", "isbn": "978-0-7653-5037-4"}, "isbn"),
        ({"title": "Elantris: Tenth Anniversary Edition"}, {"title": "Elantris"}, "title"),
        ({"title": "The Way of Kings"}, {"title": "Way of Kings, The"}, "title"),
        ({"title": "Warbreaker"}, {"title": "WARBREAKER", "authors": ("Sanderson, Brandon",)}, "title"),
    ],
)
def test_an_owned_book_is_never_listed(session, owned, wanted, by):
    book_id = book(session, **owned)
    outcome = record_wanted(session, candidate(**wanted), NOW)
    session.commit()
    assert outcome.result is Recorded.OWNED and outcome.row is None
    assert outcome.owner is not None and (outcome.owner.book_id, outcome.owner.by) == (book_id, by)
    assert rows(session) == []


def test_same_title_by_another_author_or_a_removed_book_is_not_owned(session):
    book(session, "Elantris", authors=("Someone Else",))
    book(session, "Skyward", in_library=False)
    assert find_owner(session, "Elantris", (AUTHOR,), None, None) is None
    assert find_owner(session, "Skyward", (AUTHOR,), None, None) is None


def test_an_untitled_hole_is_owned_by_position_and_a_title_takes_it_over(session):
    book(session, "Leviathan Wakes", authors=("James S. A. Corey",), series=[("The Expanse", "1")])
    expanse = session.scalar(select(Series).where(Series.name == "The Expanse"))
    hole = candidate(
        "The Expanse #2",
        key="expanse#2",
        flags=(UNTITLED,),
        series_id=expanse.id,
        series_name="The Expanse",
        series_position="2",
        authors=("James S. A. Corey",),
    )
    created = record_wanted(session, hole, NOW)
    named = replace(hole, title="Caliban's War", key=book_key("Caliban's War", hole.authors), flags=())
    updated = record_wanted(session, named, NOW)
    session.commit()
    assert (created.result, updated.result) == (Recorded.CREATED, Recorded.UPDATED)
    (row,) = rows(session)
    assert row.id == created.row.id and row.title == "Caliban's War" and UNTITLED not in row.flags
    assert row.dedupe_key == named.key

    # Once the library has a book at position 2 the untitled hole is owned by its position, whatever its title.
    book(session, "Caliban's War (Expanse 2)", authors=("Someone Else",), series=[("The Expanse", "2")])
    again = record_wanted(session, hole, NOW)
    assert again.result is Recorded.OWNED and again.owner.by == "position"
    session.commit()
    assert row.status == "imported"


def test_a_row_acquisition_holds_keeps_its_title(session):
    hole = candidate("The Expanse #2", key="expanse#2", flags=(UNTITLED,), series_position="2")
    row = record_wanted(session, hole, NOW).row
    row.status = "searching"
    record_wanted(session, replace(hole, title="Caliban's War", key="calibans war|", flags=()), NOW)
    session.commit()
    assert (row.title, row.dedupe_key, row.flags) == ("The Expanse #2", "expanse#2", [UNTITLED])


def test_a_stronger_reason_takes_over_and_a_weaker_one_is_noted(session):
    top = record_wanted(session, candidate("Oathbringer", WantedReason.TOP10, approved=False, source="mam"), NOW)
    assert top.row.approved is False
    gap = record_wanted(session, candidate("Oathbringer", series_name="The Stormlight Archive"), NOW)
    session.commit()
    row = gap.row
    assert (row.id, row.reason, row.approved, row.source) == (top.row.id, "series_gap", True, "audible")
    assert row.evidence["also_found_by"]["top10"]["source"] == "mam"
    record_wanted(session, candidate("Oathbringer", WantedReason.AUTHOR_CATALOGUE, isbn="9780765326379"), NOW)
    session.commit()
    assert row.reason == "series_gap" and row.isbn == "9780765326379"  # filled, not taken over
    assert set(row.evidence["also_found_by"]) == {"top10", "author_catalogue"}


def test_ignored_rows_stay_ignored_and_imported_ones_are_not_wanted_again(session):
    ignored = record_wanted(session, candidate("Skyward"), NOW).row
    imported = record_wanted(session, candidate("Elantris"), NOW).row
    ignored.status, imported.status = "ignored", "imported"
    session.flush()
    before = dict(ignored.evidence)
    later = replace(candidate("Skyward"), evidence={"explanation": "found again"})
    assert record_wanted(session, later, NOW).result is Recorded.IGNORED
    assert record_wanted(session, candidate("Elantris"), NOW).result is Recorded.CLOSED
    session.commit()
    assert ignored.evidence == before and ignored.status == "ignored" and imported.status == "imported"


def test_open_rows_of_owned_books_are_closed_and_others_left_alone(session):
    titles = {"Oathbringer": "B075Y6JSDM", "Edgedancer": None, "Skyward": None, "Elantris": None}
    made = {title: record_wanted(session, candidate(title, asin=asin), NOW).row for title, asin in titles.items()}
    made["Edgedancer"].status = "failed"
    made["Skyward"].status = "searching"
    made["Elantris"].status = "ignored"
    for title, asin in titles.items():
        book(session, title if asin is None else "A Differently Titled Copy", asin=asin)
    assert close_owned_wanted(session, NOW) == 2
    session.commit()
    assert {title: row.status for title, row in made.items()} == {
        "Oathbringer": "imported",
        "Edgedancer": "imported",
        "Skyward": "searching",  # acquisition holds it; its import closes it
        "Elantris": "ignored",
    }
    assert made["Oathbringer"].evidence["owned"]["by"] == "asin" and made["Oathbringer"].book_id is not None


def test_a_racing_insert_of_the_same_book_refreshes_the_winner(sessions):
    with sessions() as first, sessions() as second:
        winner = record_wanted(first, candidate("Oathbringer"), NOW).row
        first.commit()
        # The second run looked before the first committed; its insert hits the unique key and refreshes instead.
        row = wanted._insert(second, replace(candidate("Oathbringer"), evidence={"explanation": "second"}), NOW)
        second.commit()
        assert row.id == winner.id and row.evidence["explanation"] == "second"
        assert second.scalar(select(func.count(WantedBook.id))) == 1


@pytest.mark.parametrize(
    ("title", "subtitle", "collection", "flags"),
    [
        ("Oathbringer", None, False, ()),
        ("Mistborn: The Original Trilogy", None, False, ("omnibus",)),
        ("The Stormlight Archive Box Set", None, False, ("box_set", "omnibus")),
        ("Arcanum Unbounded", "The Cosmere Collection", False, ("omnibus",)),
        ("Skyward", None, True, ("omnibus",)),
        ("The Hobbit (Dramatized)", None, False, ("dramatized",)),
        ("Dune", "Abridged Edition", False, ("abridged",)),
        ("Books 1-3 Boxed Set", None, False, ("box_set", "omnibus")),
    ],
)
def test_edition_flags(title, subtitle, collection, flags):
    assert edition_flags(title, subtitle, collection=collection) == flags


def test_release_dates_are_stored_as_midnight(session):
    row = record_wanted(session, candidate("Wind and Truth", release_date=date(2099, 12, 6), upcoming=True), NOW).row
    session.commit()
    assert row.release_date == datetime(2099, 12, 6) and row.upcoming is True
