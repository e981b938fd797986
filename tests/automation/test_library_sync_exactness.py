"""Library sync follows Audiobookshelf exactly: deleted items, renamed series and audio formats, after the
next sync, incremental or full; changes are made through the fake's HTTP API, as on the real server."""

# ruff: noqa: F811 - the fixtures come from test_library_sync and are named as its tests name them

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shelfkeeper.context import AppContext
from shelfkeeper.db.tables import Book, BookSeries, Series
from shelfkeeper.testing.fakes.audiobookshelf_data import AudioFileRecord
from shelfkeeper.testing.server import LiveServer
from tests.automation.test_library_sync import (  # noqa: F401 - fixtures
    TOKEN,
    Clock,
    Library,
    abs_context,
    abs_server,
    book,
    clock,
    fault,
    library,
    people,
    sync,
)

MODES = [pytest.param({}, id="incremental"), pytest.param({"full": True}, id="full")]


def abs_call(server: LiveServer, method: str, path: str, **kwargs: Any) -> httpx.Response:
    answer = httpx.request(method, server.url + path, headers={"Authorization": f"Bearer {TOKEN}"}, **kwargs)
    answer.raise_for_status()
    return answer


def series_id(library: Library, name: str) -> str:
    return next(s["id"] for s in library.fake.data.series.values() if s["name"] == name)


@pytest.mark.parametrize("mode", MODES)
def test_a_deleted_item_is_gone_after_the_next_sync(
    abs_context: AppContext,
    sessions: sessionmaker[Session],
    library: Library,
    abs_server: LiveServer,
    clock: Clock,
    mode: dict[str, Any],
) -> None:
    sync(abs_context, clock)
    item_id = library.ids["Men at Arms"]
    abs_call(abs_server, "DELETE", f"/api/items/{item_id}")
    clock.advance(60)
    result = sync(abs_context, clock, **mode)
    assert result.metrics["mode"] == ("full" if mode else "incremental")
    assert result.counts["removed"] == 1 and result.counts["seen"] == len(library.ids) - 1
    gone = book(sessions, item_id)
    assert not gone.in_library and gone.removed_at == clock.datetime()
    with sessions() as session:
        assert session.scalar(select(Series.owned_count).where(Series.name == "Discworld")) == 2
    clock.advance(60)
    again = sync(abs_context, clock, **mode)
    assert again.counts["removed"] == 0 and again.metrics["requests"].get("presence_checks", 0) == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("old", "new"),
    [("The Murderbot Diaries", "Murderbot Diaries"), ("Temeraire", "Temeraire Saga")],
)
def test_a_series_renamed_in_audiobookshelf_is_renamed_here(
    abs_context: AppContext,
    sessions: sessionmaker[Session],
    library: Library,
    abs_server: LiveServer,
    clock: Clock,
    mode: dict[str, Any],
    old: str,
    new: str,
) -> None:
    books = [
        library.fake.add_item(library.library_id, f"{old} {n}", authors=["Someone Else"], series=[(old, str(n))])
        for n in range(1, 5)
    ]
    sync(abs_context, clock)
    stamps = [library.fake.item(item_id).updated_at for item_id in books]
    abs_id = series_id(library, old)
    renamed = abs_call(abs_server, "PATCH", f"/api/series/{abs_id}", json={"name": new}).json()
    assert (renamed["id"], renamed["name"]) == (abs_id, new)
    assert [library.fake.item(item_id).updated_at for item_id in books] == stamps  # the books did not move
    clock.advance(60)
    result = sync(abs_context, clock, **mode)
    assert result.metrics["series_renamed"] == 1
    assert result.counts["unchanged"] == result.counts["seen"] == len(library.ids) + len(books)
    for position, item_id in enumerate(books, start=1):
        found = book(sessions, item_id)
        assert people(found)[2] == [(new, str(position))]
        assert f" {new.lower()} " in found.search_text
    with sessions() as session:
        rows = session.execute(select(Series.name, Series.abs_id, Series.owned_count)).all()
        links = select(func.count()).select_from(BookSeries).join(Series)
        linked = session.scalar(links.where(Series.abs_id == abs_id))
    assert [(name, count) for name, sid, count in rows if sid == abs_id] == [(new, 4)]
    assert old not in {name for name, _, _ in rows}  # no orphan row left behind
    assert linked == 4


def test_a_rename_onto_a_name_known_here_folds_the_two_rows(
    abs_context: AppContext, sessions: sessionmaker[Session], library: Library, abs_server: LiveServer, clock: Clock
) -> None:
    sync(abs_context, clock)
    with sessions.begin() as session:  # a series row of the same name that Audiobookshelf never had
        session.add(Series(name="Disc World", name_key="disc world"))
    abs_call(abs_server, "PATCH", f"/api/series/{series_id(library, 'Discworld')}", json={"name": "Disc World"})
    clock.advance(60)
    sync(abs_context, clock)
    with sessions() as session:
        rows = session.execute(select(Series.name, Series.owned_count).where(Series.name_key == "disc world")).all()
        assert rows == [("Disc World", 3)]
        assert session.scalar(select(func.count()).select_from(Series).where(Series.name == "Discworld")) == 0


def test_the_audio_format_comes_from_the_audio_files(
    abs_context: AppContext, sessions: sessionmaker[Session], library: Library, clock: Clock
) -> None:
    def files(*names: str) -> list[AudioFileRecord]:
        return [AudioFileRecord(filename=n, rel_path=n, path=f"/audiobooks/x/{n}", size=1, duration=1.0) for n in names]

    m4b = library.fake.add_item(library.library_id, "One File", authors=["A Writer"], audio_files=files("a.m4b"))
    mp3 = library.fake.add_item(library.library_id, "Tracks", authors=["A Writer"], audio_files=files("1.MP3", "2.mp3"))
    result = sync(abs_context, clock)
    assert (book(sessions, m4b).format, book(sessions, mp3).format) == ("m4b", "mp3")
    assert book(sessions, library.ids["Good Omens"]).format == ""  # no audio file at all: known to have none
    assert result.metrics["requests"]["expanded_items"] == len(library.ids) + 2
    # Files replaced in Audiobookshelf (a rescan moves updatedAt): the format is read again.
    record = library.fake.item(m4b)
    record.audio_files, record.size, record.updated_at = files("b.flac"), 5, library.fake.data.stamp()
    clock.advance(60)
    again = sync(abs_context, clock)
    assert again.counts["updated"] == 1 and book(sessions, m4b).format == "flac"


def test_formats_of_a_large_import_are_read_in_batches(
    abs_context: AppContext, sessions: sessionmaker[Session], library: Library, clock: Clock
) -> None:
    result = sync(abs_context, clock, format_limit=5)  # one page of 13 new items read expanded at once
    assert result.metrics["formats_read"] == 0
    with sessions.begin() as session:
        session.execute(Book.__table__.update().values(format=None))
    clock.advance(60)
    first = sync(abs_context, clock, format_limit=5)
    second = sync(abs_context, clock)
    assert (first.metrics["formats_read"], second.metrics["formats_read"]) == (5, len(library.ids) - 5)
    assert first.metrics["requests"]["format_batches"] == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Book).where(Book.format.is_(None))) == 0
