"""Edition-safe corrections over the fake library: a dry run proposes no edition field from another edition, and
messy items are searched by their cleaned title and a person's name (Google Books and Audible fakes served for real)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfkeeper.automation.metadata_correction import correct_book
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import MetadataCorrection
from shelfkeeper.domain.metadata.fields import EDITION_FIELDS
from shelfkeeper.services.books import create_book
from tests.automation.metadata_world import (
    DUNE_ASIN,
    FELLOWSHIP_ASIN,
    LEVIATHAN_ASIN,
    OMENS_ASIN,
    World,
    boards_fixture,  # noqa: F401 - a fixture
    sessionmaker_for,
    world_fixture,  # noqa: F401 - a fixture
)

# The provider record that is each story's own edition: the only one its edition fields may come from.
# (The author-less "outsider" has King's runtime: that recording is its edition, proposed for review only.)
MISTBORN_ASIN = "B002UZMLXM"
OWN_EDITION = {
    "leviathan": LEVIATHAN_ASIN,
    "dune": DUNE_ASIN,
    "omens": OMENS_ASIN,
    "fellowship": FELLOWSHIP_ASIN,
    "outsider": "B0DECOY008",
    "recorded": MISTBORN_ASIN,
}


def _matched_id(row: MetadataCorrection) -> str:
    header = next(reason for reason in row.reasons if reason.startswith("matched "))
    return str(header.split()[2]).rstrip(":")


def _dry_rows(world: World) -> list[MetadataCorrection]:
    with Session(world.engine) as session:
        return list(session.scalars(select(MetadataCorrection).where(MetadataCorrection.status == "dry_run")))


def _add_story(world: World, story: str, title: str, authors: list[str], **fields: Any) -> None:
    with unit_of_work(sessionmaker_for(world.engine)) as session:
        item_id = world.abs.add_item(
            world.library_id,
            title,
            authors=authors,
            duration=fields.get("duration_seconds", 36_000.0),
            narrators=fields.get("narrators", []),
        )
        book = create_book(
            session, {"title": title, "authors": authors, **fields, "abs_id": item_id, "library_id": world.library_id}
        )
        session.flush()
        world.books[story], world.items[story] = book.id, item_id


def _seed_mistborn(world: World) -> None:
    world.nexus.catalog.add_book(
        MISTBORN_ASIN,
        "The Final Empire",
        authors=["Brandon Sanderson"],
        narrators=["Michael Kramer"],
        series=[{"title": "Mistborn", "sequence": "1"}],
        publisher_name="Macmillan Audio",
        runtime_length_min=1476,
    )
    world.nexus.catalog.add_book(  # the same title by another author, another narrator and runtime
        "B0DECOY009", "The Final Empire", authors=["Jane Doe"], narrators=["Kate Reading"], runtime_length_min=700
    )
    world.google.add_volume(
        "Mistborn",
        ["Brandon Sanderson"],
        id="print-mistborn",
        subtitle="The Final Empire",
        isbn_13="9780765311788",
        publisher="Tor Books",
        published_date="2006",
    )


def test_a_dry_run_over_the_fake_library_proposes_no_edition_field_from_another_edition(world: World) -> None:
    _seed_mistborn(world)
    _add_story(
        world, "recorded", "The Final Empire", ["Recorded Books"], narrators=["Michael Kramer"], duration_seconds=88_600
    )
    outcomes = {
        story: world.call(lambda run, s=story: correct_book(run, world.books[s], dry_run=True))
        for story in list(world.books)
    }
    rows = _dry_rows(world)
    edition_rows = [row for row in rows if row.field in EDITION_FIELDS]
    assert edition_rows, "the library has edition fields to fill from the items' own editions"
    for row in edition_rows:
        story = next(name for name, book_id in world.books.items() if book_id == row.book_id)
        assert _matched_id(row) == OWN_EDITION.get(story), (story, row.field, row.new_value, row.reasons)
        assert row.source == "audnexus"
    # Google's print ISBN of Leviathan Wakes is shown as withheld, with the named reason, not proposed.
    google = next(m.summary() for m in outcomes["leviathan"].matches if m.provider == "google_books")
    assert google["same_edition"] is False and "isbn" in google["withheld_fields"]
    assert google["withheld_reason"]["code"] == "edition_fields_withheld"
    assert {r["code"] for r in google["edition_reasons"]} == {"no_edition_evidence"}
    # The publisher in the author field is repaired from the right book, never from the other author's.
    recorded = {row.field: row for row in rows if row.book_id == world.books["recorded"]}
    assert recorded["authors"].new_value == ["Brandon Sanderson"] and _matched_id(recorded["asin"]) == MISTBORN_ASIN
    assert any("author_is_publisher" in reason for reason in recorded["authors"].reasons)
    # Nothing changed anywhere: a dry run.
    assert world.abs.patches == []


def test_messy_titles_and_authors_are_searched_cleaned(world: World) -> None:
    _seed_mistborn(world)
    _add_story(world, "mistborn", "Mistborn Book 1 (Unabridged)", ["Sanderson, Brandon"], duration_seconds=88_600)
    _add_story(world, "publisher", "Mistborn_Book_1", ["Tantor Media"], duration_seconds=88_600)
    for story in ("mistborn", "publisher"):
        world.call(lambda run, s=story: correct_book(run, world.books[s], dry_run=True))
    queries = [dict(params)["q"] for _, path, params in world.google.requests if path.endswith("/volumes")]
    assert queries == ["intitle:Mistborn inauthor:Brandon Sanderson", "intitle:Mistborn"]
    rows = [row for row in _dry_rows(world) if row.book_id == world.books["mistborn"]]
    title = next(row for row in rows if row.field == "title")
    assert title.source == "google_books" and "Mistborn" in title.new_value
    assert all(row.field not in EDITION_FIELDS for row in rows)  # the print volume shows no edition evidence
    audible = [parse_qs(str(url).split("?", 1)[-1]) for url in map(str, world.audible.requests)]
    assert audible, "the Audible catalog was asked too"
