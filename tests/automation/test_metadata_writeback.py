"""Writing corrected fields back to the library server, with its in-memory double: set fields are written, emptied
ones cleared (a MetadataUpdate cannot say "empty"), and the value read back is the server's."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from shelfkeeper.automation.metadata_writeback import library_value, write_back
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.context import AppContext
from shelfkeeper.domain.library.items import Library, LibraryItem, MetadataUpdate, SeriesRef
from shelfkeeper.integrations import Integrations
from shelfkeeper.settings import Settings
from shelfkeeper.testing.doubles import InMemoryLibraryServer

ITEM = LibraryItem(
    "li_1",
    "lib_1",
    "The Way of Kngs",
    subtitle="Book One",
    authors=("Brandon Sanderson",),
    series=(SeriesRef("The Stormlight Archive", "1"),),
    published_year=2010,
    genres=("Fantasy",),
)


@pytest.fixture
def library() -> InMemoryLibraryServer:
    return InMemoryLibraryServer([Library("lib_1", "Books", "book")], [ITEM])


@pytest.fixture
def run(engine: Engine, tmp_path: Path, library: InMemoryLibraryServer) -> RunContext:
    settings = Settings(data_dir=tmp_path / "data", api_key="k" * 32, run_scheduler=False, _env_file=None)
    context = AppContext.from_settings(settings, engine=engine)
    context.integrations = Integrations(context, adapters={"audiobookshelf": library})
    return RunContext(app=context)


def test_set_fields_are_written_and_emptied_ones_cleared(run: RunContext, library: InMemoryLibraryServer) -> None:
    values: dict[str, Any] = {"title": "The Way of Kings", "subtitle": None, "series": (), "published_year": None}
    asyncio.run(write_back(run, "li_1", values))
    item = library.items["li_1"]
    assert (item.title, item.subtitle, item.series, item.published_year) == ("The Way of Kings", None, (), None)
    assert item.genres == ("Fantasy",) and item.authors == ("Brandon Sanderson",), "fields not named stay"
    assert library.called("update_metadata") == [("li_1", MetadataUpdate(title="The Way of Kings"))]
    assert library.called("clear_metadata") == [("li_1", ("subtitle", "series", "published_year"))]


def test_nothing_is_sent_for_a_book_outside_the_library(run: RunContext, library: InMemoryLibraryServer) -> None:
    asyncio.run(write_back(run, None, {"title": "Anything"}))
    asyncio.run(write_back(run, "li_1", {}))
    assert library.calls == []


def test_the_value_read_back_is_the_servers(run: RunContext, library: InMemoryLibraryServer) -> None:
    asyncio.run(write_back(run, "li_1", {"title": "The Way of Kings"}))
    assert asyncio.run(library_value(run, "li_1", "title")) == "The Way of Kings"
    assert asyncio.run(library_value(run, "li_1", "published_year")) == 2010
