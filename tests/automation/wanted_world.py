"""The outside world of the wanted-list tests: fake Audible/Audnexus, Google Books, Open Library and MAM, served live.

One live server per fake kind for a test module; each test plugs fresh fakes in (a switchboard), so a test seeds
only what it needs (import ``boards_fixture`` and ``world_fixture`` into a test module for the ``world`` fixture).
``library_with_holes`` is the library and provider data of the issue's "Done when" test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
from shelfkeeper.testing.fakes.audible import FakeAudible
from shelfkeeper.testing.fakes.audible_data import AudibleCatalog
from shelfkeeper.testing.fakes.audnexus import FakeAudnexus
from shelfkeeper.testing.fakes.google_books import FakeGoogleBooks
from shelfkeeper.testing.fakes.mam import FakeMam
from shelfkeeper.testing.fakes.openlibrary import FakeOpenLibrary
from shelfkeeper.testing.server import LiveServer, Switchboard, serve

API_KEY = "wanted-test-api-key-0123456789"
MAM_COOKIE = "mam-wanted-session-0123456789"
FAR_FUTURE = "2099-12-06"
SANDERSON = "Brandon Sanderson"
SANDERSON_ASIN = "B001IGFHW6"
STORMLIGHT = "The Stormlight Archive"
KINGS, RADIANCE, EDGEDANCER, OATHBRINGER = "B003P2WO5E", "B00DA6YEKS", "B0753HTTVX", "B075Y6JSDM"
RHYTHM, WIND = "B08F5JH8ZZ", "B0CPWQBHWB"


KINDS = ("audible", "audnexus", "google_books", "openlibrary", "mam")


@pytest.fixture(scope="module", name="boards")
def boards_fixture() -> Iterator[dict[str, tuple[Switchboard, LiveServer]]]:
    """One live server per fake kind for the whole module."""
    switches = {kind: Switchboard() for kind in KINDS}
    servers = [serve(switch) for switch in switches.values()]
    started = [server.__enter__() for server in servers]
    try:
        yield {kind: (switches[kind], server) for kind, server in zip(KINDS, started, strict=True)}
    finally:
        for server in servers:
            server.__exit__(None, None, None)


@dataclass
class World:
    """Fresh fakes for one test, already plugged into the module's live servers."""

    catalog: AudibleCatalog
    audible: FakeAudible
    audnexus: FakeAudnexus
    google: FakeGoogleBooks
    openlibrary: FakeOpenLibrary
    mam: FakeMam
    urls: dict[str, str] = field(default_factory=dict)

    def settings(self, data_dir: Path, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": data_dir,
            "api_key": API_KEY,
            "run_scheduler": False,
            "audible_url": self.urls["audible"],
            "audnexus_url": self.urls["audnexus"],
            "google_books_url": self.urls["google_books"] + "/books/v1",
            "openlibrary_url": self.urls["openlibrary"],
            "mam_url": self.urls["mam"],
            "mam_id": MAM_COOKIE,
            "mam_request_pause_seconds": 0,
            **overrides,
        }
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(name="world")
def world_fixture(boards: dict[str, tuple[Switchboard, LiveServer]]) -> World:
    catalog = AudibleCatalog()
    fakes: dict[str, Any] = {
        "audible": FakeAudible(catalog),
        "audnexus": FakeAudnexus(catalog),
        "google_books": FakeGoogleBooks(),
        "openlibrary": FakeOpenLibrary(),
        "mam": FakeMam(MAM_COOKIE, rotate_every=None),
    }
    for kind, fake in fakes.items():
        boards[kind][0].target = fake.app
    urls = {kind: server.url for kind, (_, server) in boards.items()}
    return World(
        catalog, fakes["audible"], fakes["audnexus"], fakes["google_books"], fakes["openlibrary"], fakes["mam"], urls
    )


async def no_wait(_seconds: float) -> None:
    """The services' pauses and retry waits, skipped."""


def make_context(settings: Settings, engine: Engine) -> AppContext:
    """An app context on the test database whose outside services never really wait."""
    context = AppContext.from_settings(settings, engine=engine)
    context.integrations = Integrations(context, sleep=no_wait)
    return context


def run_job(
    context: AppContext,
    job: Any,
    now: datetime | None = None,
    *,
    adapters: dict[str, Any] | None = None,
    **parameters: Any,
) -> Any:
    """Run an automation function once, in its own event loop, with fresh service clients (``adapters``: in-memory
    doubles in place of some services)."""
    context.integrations = Integrations(context, adapters=adapters, sleep=no_wait)
    clock = (lambda: now) if now else (lambda: datetime.now(UTC))

    async def go() -> Any:
        try:
            return await job(RunContext(app=context, parameters={"acquire": False, **parameters}, clock=clock))
        finally:
            await context.integrations.aclose()

    return asyncio.run(go())


def add_book(
    context: AppContext,
    title: str,
    authors: Sequence[str] = (SANDERSON,),
    series: Sequence[tuple[str, str | None]] = (),
    **fields: Any,
) -> int:
    """A book of the library, as the library sync would have stored it."""
    with unit_of_work(context.sessions) as session:
        book = create_book(
            session,
            {
                "title": title,
                "authors": list(authors),
                "series": [{"name": name, "position": position} for name, position in series],
                **fields,
            },
        )
        return book.id


def books_in(session: Session) -> list[str]:
    return sorted(book.title for book in session.query(Book))


def stormlight(catalog: AudibleCatalog) -> None:
    """The Stormlight Archive at Audible: 1, 2, the 2.5 novella, 3, 4 and an upcoming 5."""
    for asin, title, position, released in (
        (KINGS, "The Way of Kings", "1", "2010-08-31"),
        (RADIANCE, "Words of Radiance", "2", "2014-03-04"),
        (EDGEDANCER, "Edgedancer", "2.5", "2017-10-10"),
        (OATHBRINGER, "Oathbringer", "3", "2017-11-14"),
        (RHYTHM, "Rhythm of War", "4", "2020-11-17"),
        (WIND, "Wind and Truth", "5", FAR_FUTURE),
    ):
        catalog.add_book(
            asin,
            title,
            authors=[{"name": SANDERSON, "asin": SANDERSON_ASIN}],
            series=[{"title": STORMLIGHT, "sequence": position, "asin": "B00LSTORM1"}],
            release_date=released,
        )


def library_with_holes(world: World, context: AppContext, now: datetime) -> None:
    """The issue's library with holes, and what the providers know about it.

    Library: Stormlight 1, 2, 4; the Mistborn trilogy as one "1-3" omnibus; The Expanse 1 and 3; Warbreaker.
    Audible: all of Stormlight (2.5 novella, 3, upcoming 5), Mistborn 1-4, Elantris, Warbreaker, a German
    Way of Kings and a Cosmere collection. Google Books: Elantris, Warbreaker, Skyward. Open Library: Elantris,
    The Emperor's Soul. MAM: Oathbringer in the series, and the Fantasy most-snatched list.
    """
    add_book(context, "The Way of Kings", series=[(STORMLIGHT, "1")], asin=KINGS)
    add_book(context, "Words of Radiance", series=[(STORMLIGHT, "2")], asin=RADIANCE)
    add_book(context, "Rhythm of War", series=[(STORMLIGHT, "4")], asin=RHYTHM)
    add_book(context, "Mistborn: The Original Trilogy", series=[("Mistborn", "1-3")])
    add_book(context, "Leviathan Wakes", authors=["James S. A. Corey"], series=[("The Expanse", "1")])
    add_book(context, "Abaddon's Gate", authors=["James S. A. Corey"], series=[("The Expanse", "3")])
    add_book(context, "Warbreaker")
    seed_providers(world, now)


def seed_providers(world: World, now: datetime) -> None:
    catalog = world.catalog
    catalog.add_author(SANDERSON_ASIN, SANDERSON)
    stormlight(catalog)
    sanderson = [{"name": SANDERSON, "asin": SANDERSON_ASIN}]
    for asin, title, position in (
        ("B002UZMLXM", "The Final Empire", "1"),
        ("B002UZL9RA", "The Well of Ascension", "2"),
        ("B002V0QK4C", "The Hero of Ages", "3"),
        ("B0064XHJZY", "The Alloy of Law", "4"),
    ):
        catalog.add_book(asin, title, authors=sanderson, series=[{"title": "Mistborn", "sequence": position}])
    catalog.add_book("B002UZJGYY", "Elantris", authors=sanderson, release_date="2005-04-01")
    catalog.add_book("B0036NF6HO", "Warbreaker", authors=sanderson)
    catalog.add_book("B00KZ4U3ZI", "Der Weg der Könige", authors=sanderson, language="german")
    catalog.add_book("B01LZMEPQ2", "Arcanum Unbounded: The Cosmere Collection", authors=sanderson)
    world.google.add_volume("Elantris", [SANDERSON], isbn_13="9780765350374", published_date="2005-04-01")
    world.google.add_volume("Warbreaker", [SANDERSON], published_date="2009-06-09")
    world.google.add_volume("Skyward", [SANDERSON], published_date="2018-11-06")
    world.openlibrary.add_work("Elantris", [SANDERSON], isbn=["9780765350374"], language=["eng"])
    world.openlibrary.add_work("The Emperor's Soul", [SANDERSON], first_publish_year=2012, language=["eng"])
    recent = now - timedelta(days=3)
    world.mam.add_torrent(
        "Oathbringer", authors=[SANDERSON], series=[[STORMLIGHT, "3"]], times_completed=800, added=recent
    )
    world.mam.add_torrent(
        "The Way of Kings", authors=[SANDERSON], series=[[STORMLIGHT, "1"]], times_completed=5000, added=recent
    )
    world.mam.add_torrent("The Name of the Wind", authors=["Patrick Rothfuss"], times_completed=900, added=recent)
    world.mam.add_torrent(
        "Der Name des Windes", authors=["Patrick Rothfuss"], lang_code="GER", times_completed=950, added=recent
    )
