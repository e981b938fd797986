"""A messy library and the metadata providers that describe it, every outside service a fake served for real.

Used by the pipeline tests and the metadata API tests. Provider records whose id says "decoy" (an ASIN
starting B0DEC, a Google volume id starting "decoy") look like a library book but are another book: the
sequel, an omnibus, the abridged cut, a dramatization, the same title by another author.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.context import AppContext
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import Book
from shelfkeeper.integrations import Integrations
from shelfkeeper.services.books import create_book
from shelfkeeper.settings import Settings
from shelfkeeper.testing.clock import RecordingSleep
from shelfkeeper.testing.fakes.audible import FakeAudible
from shelfkeeper.testing.fakes.audible_data import AudibleCatalog
from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf
from shelfkeeper.testing.fakes.audnexus import FakeAudnexus
from shelfkeeper.testing.fakes.google_books import FakeGoogleBooks
from shelfkeeper.testing.fakes.openlibrary import FakeOpenLibrary
from shelfkeeper.testing.server import LiveServer, Switchboard, serve

T = TypeVar("T")
API_KEY = "metadata-api-key-0123456789abcdef"
ABS_TOKEN = "abs-metadata-token-0123456789"
SERVICES = ("audiobookshelf", "google_books", "audnexus", "audible", "openlibrary")

COREY = "James S. A. Corey"
LEVIATHAN_ASIN = "B0058TQAAU"
DUNE_ASIN = "B002V1OF70"
OMENS_ASIN = "B0036H7MXM"
KINGS_ASIN = "B003P2WO5E"
WRONG_KINGS_ASIN = "B00WRONG01"  # a region's edition Audnexus does not know here
FELLOWSHIP_ASIN = "B007978NPG"


@dataclass
class World:
    """The fakes, their servers, the database and the app context pointed at them."""

    abs: FakeAudiobookshelf
    google: FakeGoogleBooks
    nexus: FakeAudnexus
    audible: FakeAudible
    openlibrary: FakeOpenLibrary
    urls: dict[str, str]
    engine: Engine
    data_dir: Path
    library_id: str
    books: dict[str, int] = field(default_factory=dict)  # story -> Book id
    items: dict[str, str] = field(default_factory=dict)  # story -> Audiobookshelf item id
    sleep: RecordingSleep = field(default_factory=RecordingSleep)
    context: AppContext | None = None

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": self.data_dir,
            "api_key": API_KEY,
            "run_scheduler": False,
            "abs_url": self.urls["audiobookshelf"],
            "abs_token": ABS_TOKEN,
            "google_books_url": self.urls["google_books"] + "/books/v1",
            "audnexus_url": self.urls["audnexus"],
            "audible_url": self.urls["audible"],
            "openlibrary_url": self.urls["openlibrary"],
        }
        return Settings(**{**values, **overrides}, _env_file=None)

    def make_context(self, **overrides: Any) -> AppContext:
        """A context (with integrations whose waits are faked) for these settings."""
        context = AppContext.from_settings(self.settings(**overrides), engine=self.engine)
        context.integrations = Integrations(context, sleep=self.sleep)
        self.context = context
        return context

    def call(self, work: Callable[[RunContext], Awaitable[T]], **parameters: Any) -> T:
        """Run ``work`` in its own event loop with fresh service clients (they belong to one loop), then close them."""
        context = self.context or self.make_context()

        async def main() -> T:
            integrations = Integrations(context, sleep=self.sleep)
            context.integrations = integrations
            try:
                return await work(RunContext(app=context, parameters=parameters))
            finally:
                await integrations.aclose()

        return asyncio.run(main())

    def provider_requests(self) -> dict[str, int]:
        return {
            "google_books": len(self.google.requests),
            "audnexus": len(self.nexus.requests),
            "audible": len(self.audible.requests),
            "openlibrary": len(self.openlibrary.requests),
        }

    def book(self, story: str) -> Book:
        with Session(self.engine) as session:
            book = session.get(Book, self.books[story])
            assert book is not None
            session.expunge(book)
            return book

    def abs_item(self, story: str) -> dict[str, Any]:
        """The item as the fake Audiobookshelf holds it now."""
        record = self.abs.item(self.items[story])
        names = {a["id"]: a["name"] for a in self.abs.data.authors.values()}
        series = {s["id"]: s["name"] for s in self.abs.data.series.values()}
        return {
            "title": record.title,
            "subtitle": record.subtitle,
            "authors": [names[i] for i in record.author_ids],
            "narrators": list(record.narrators),
            "series": [(series[i], seq) for i, seq in record.series],
            "asin": record.asin,
            "isbn": record.isbn,
            "published_year": record.published_year,
            "publisher": record.publisher,
            "description": record.description,
            "genres": list(record.genres),
            "language": record.language,
        }

    def patched_fields(self, story: str) -> set[str]:
        item_id = self.items[story]
        return {key for patch in self.abs.patches if patch["itemId"] == item_id for key in patch["body"]["metadata"]}


@pytest.fixture(name="boards", scope="module")
def boards_fixture() -> Iterator[dict[str, tuple[Switchboard, LiveServer]]]:
    made = {name: Switchboard() for name in SERVICES}
    servers: dict[str, tuple[Switchboard, LiveServer]] = {}
    started = []
    try:
        for name, board in made.items():
            context = serve(board)
            servers[name] = (board, context.__enter__())
            started.append(context)
        yield servers
    finally:
        for context in reversed(started):
            context.__exit__(None, None, None)


@pytest.fixture(name="world")
def world_fixture(boards: dict[str, tuple[Switchboard, LiveServer]], engine: Engine, tmp_path: Path) -> World:
    catalog = AudibleCatalog()
    fakes: dict[str, Any] = {
        "audiobookshelf": FakeAudiobookshelf(ABS_TOKEN),
        "google_books": FakeGoogleBooks(),
        "audnexus": FakeAudnexus(catalog, search_enabled=False),
        "audible": FakeAudible(catalog),
        "openlibrary": FakeOpenLibrary(),
    }
    for name, fake in fakes.items():
        boards[name][0].target = fake.app
    abs_fake: FakeAudiobookshelf = fakes["audiobookshelf"]
    created = World(
        abs=abs_fake,
        google=fakes["google_books"],
        nexus=fakes["audnexus"],
        audible=fakes["audible"],
        openlibrary=fakes["openlibrary"],
        urls={name: pair[1].url for name, pair in boards.items()},
        engine=engine,
        data_dir=tmp_path / "data",
        library_id=abs_fake.add_library("Audiobooks", ["/audiobooks"]),
    )
    seed_providers(created)
    seed_library(created)
    return created


# ---- the providers -----------------------------------------------------------------------------------------------


def seed_providers(world: World) -> None:
    catalog = world.nexus.catalog
    catalog.add_book(
        LEVIATHAN_ASIN,
        "Leviathan Wakes",
        authors=[COREY],
        narrators=["Jefferson Mays"],
        series=[{"title": "The Expanse", "sequence": "1"}],
        publisher_name="Hachette Audio",
        release_date="2011-06-15",
        runtime_length_min=1238,
        genres=[["Science Fiction & Fantasy", "Science Fiction"]],
    )
    catalog.add_book(  # the sequel: same author, same series
        "B0DECOY002",
        "Caliban's War",
        authors=[COREY],
        narrators=["Jefferson Mays"],
        series=[{"title": "The Expanse", "sequence": "2"}],
        runtime_length_min=1245,
    )
    catalog.add_book(
        DUNE_ASIN,
        "Dune",
        authors=["Frank Herbert"],
        narrators=["Scott Brick", "Orlagh Cassidy"],
        series=[{"title": "Dune", "sequence": "1"}],
        publisher_name="Macmillan Audio",
        release_date="2007-02-01",
        runtime_length_min=1260,
    )
    catalog.add_book(  # the abridged cut
        "B0DECOY003",
        "Dune",
        authors=["Frank Herbert"],
        narrators=["Simon Vance"],
        format_type="abridged",
        runtime_length_min=480,
    )
    catalog.add_book(  # the sequel, found by the same word
        "B0DECOY004",
        "Dune Messiah",
        authors=["Frank Herbert"],
        narrators=["Scott Brick"],
        series=[{"title": "Dune", "sequence": "2"}],
        runtime_length_min=520,
    )
    catalog.add_book(
        OMENS_ASIN,
        "Good Omens",
        authors=["Terry Pratchett", "Neil Gaiman"],
        narrators=["Martin Jarvis"],
        runtime_length_min=760,
    )
    catalog.add_book(  # the dramatization
        "B0DECOY005",
        "Good Omens: The BBC Radio 4 Dramatisation",
        authors=["Terry Pratchett", "Neil Gaiman"],
        narrators=["Full Cast", "Peter Serafinowicz"],
        format_type="dramatized",
        runtime_length_min=180,
    )
    catalog.add_book(
        KINGS_ASIN,
        "The Way of Kings",
        authors=["Brandon Sanderson"],
        narrators=["Michael Kramer", "Kate Reading"],
        series=[{"title": "The Stormlight Archive", "sequence": "1"}],
        runtime_length_min=2740,
    )
    catalog.add_book(  # the omnibus
        "B0DECOY006",
        "The Lord of the Rings: The Fellowship of the Ring, The Two Towers, The Return of the King",
        authors=["J. R. R. Tolkien"],
        narrators=["Rob Inglis"],
        series=[{"title": "The Lord of the Rings", "sequence": "1-3"}],
        runtime_length_min=3300,
    )
    catalog.add_book(
        FELLOWSHIP_ASIN,
        "The Fellowship of the Ring",
        authors=["J. R. R. Tolkien"],
        narrators=["Rob Inglis"],
        series=[{"title": "The Lord of the Rings", "sequence": "1"}],
        runtime_length_min=1160,
    )
    catalog.add_book(  # the same title by another author
        "B0DECOY007",
        "The Outsider",
        authors=["Albert Camus"],
        narrators=["Jonathan Oliver"],
        runtime_length_min=250,
    )
    catalog.add_book(
        "B0DECOY008", "The Outsider", authors=["Stephen King"], narrators=["Will Patton"], runtime_length_min=1110
    )
    google = world.google
    google.add_volume(
        "Leviathan Wakes",
        [COREY],
        id="ok-leviathan",
        isbn_13="9780316129084",
        publisher="Orbit",
        published_date="2011-06-15",
        description="<p>Humanity has colonized the solar system.</p>",
        categories=["Fiction / Science Fiction / Space Opera"],
    )
    google.add_volume("Dune", ["Frank Herbert"], id="ok-dune", isbn_13="9780441013593", published_date="1965")
    google.add_volume("Dune Messiah", ["Frank Herbert"], id="decoy-dune-messiah", isbn_13="9780593098233")
    google.add_volume("The Outsider", ["Albert Camus"], id="decoy-outsider-camus", published_date="1942")
    google.add_volume("The Outsider", ["Stephen King"], id="decoy-outsider-king", published_date="2018")
    google.add_volume("Good Omens", ["Terry Pratchett", "Neil Gaiman"], id="ok-omens", published_date="1990")
    google.add_volume("The Way of Kings", ["Brandon Sanderson"], id="ok-kings", isbn_13="9780765326355")
    world.openlibrary.add_work("Leviathan Wakes", [COREY], first_publish_year=2011, publisher=["Orbit"])
    world.openlibrary.add_work("Dune", ["Frank Herbert"], first_publish_year=1965, publisher=["Chilton Books"])


DECOY_IDS = frozenset(
    {
        "B0DECOY002",
        "B0DECOY003",
        "B0DECOY004",
        "B0DECOY005",
        "B0DECOY006",
        "B0DECOY007",
        "B0DECOY008",
        "decoy-dune-messiah",
        "decoy-outsider-camus",
        "decoy-outsider-king",
    }
)


# ---- the library -------------------------------------------------------------------------------------------------

LIBRARY: dict[str, dict[str, Any]] = {
    # story -> the book as Audiobookshelf (and, after a sync, the database) has it
    # Durations are the recordings' own (Audible's runtime): the evidence that an item is that edition.
    "leviathan": {
        "title": "Leviathan Wakes (Unabridged)",
        "authors": ["Corey, James S. A."],
        "duration_seconds": 74_290,
    },
    "dune": {"title": "Dune", "authors": ["Frank Herbert"], "duration_seconds": 75_600},
    "omens": {"title": "Good Omens", "authors": ["Terry Pratchett", "Neil Gaiman"], "narrators": ["Martin Jarvis"]},
    "kings": {
        "title": "The Way of Kings",
        "authors": ["Sanderson, Brandon"],
        "asin": WRONG_KINGS_ASIN,
        "duration_seconds": 164_400,
    },
    "fellowship": {
        "title": "Fellowship of the Ring, The",
        "authors": ["Tolkien, J.R.R."],
        "series": [{"name": "The Lord of the Rings", "position": "1"}],
        "duration_seconds": 69_650,
    },
    # No author and no narrator: the runtime alone makes King's recording its edition, but only a person may decide.
    "outsider": {"title": "The Outsider", "authors": [], "duration_seconds": 66_600},
    "unknown": {"title": "Grandpa Reads Aloud", "authors": ["Walter Nobody"]},
}


def seed_library(world: World) -> None:
    """Each story as an Audiobookshelf item and as the Book row a sync would have made of it."""
    with unit_of_work(sessionmaker_for(world.engine)) as session:
        for story, fields in LIBRARY.items():
            series = [(s["name"], s["position"]) for s in fields.get("series", [])]
            extra = {k: fields[k] for k in ("narrators", "asin") if k in fields}
            item_id = world.abs.add_item(
                world.library_id,
                fields["title"],
                authors=fields["authors"],
                series=series,
                duration=fields.get("duration_seconds", 36_000.0),
                **extra,
            )
            book = create_book(session, {**fields, "abs_id": item_id, "library_id": world.library_id})
            session.flush()
            world.books[story] = book.id
            world.items[story] = item_id


def sessionmaker_for(engine: Engine) -> Any:
    from shelfkeeper.db.session import make_session_factory

    return make_session_factory(engine)
