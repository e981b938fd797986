"""Importing a finished series pack, book by book, against the served Audiobookshelf fake and a real library folder.

The pack's files are real generated MP3s; the download's content path is read from the row (no qBittorrent here,
the e2e test has a real one). Both databases.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from mutagen.easyid3 import EasyID3
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from shelfkeeper.automation.imports import ImportOptions, ImportOutcome, ImportStatus, import_download
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.context import AppContext
from shelfkeeper.db.tables import (
    BlocklistEntry,
    Book,
    BookSeries,
    Download,
    DownloadBook,
    FailedAttempt,
    Series,
    WantedBook,
)
from shelfkeeper.integrations import Integrations
from shelfkeeper.settings import Settings
from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf
from shelfkeeper.testing.server import serve
from shelfkeeper.testing.torrents import make_audio_book
from tests.automation.test_imports import Sleeps, World

TOKEN = "abs-pack-token"
AUTHOR, SERIES = "Brandon Sanderson", "Mistborn"
TITLES = ("The Final Empire", "The Well of Ascension", "The Hero of Ages")
PACK = "Mistborn Books 1-3"


@pytest.fixture
def world(engine: Engine, sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[World]:
    library, downloads = tmp_path / "library", tmp_path / "downloads"
    library.mkdir()
    downloads.mkdir()
    fake = FakeAudiobookshelf(TOKEN, synchronous_scan=True)
    library_id = fake.add_library("Audiobooks", [str(library)])
    with serve(fake.app) as server:
        settings = Settings(data_dir=tmp_path / "data", api_key="k" * 32, abs_url=server.url, abs_token=TOKEN,
                            library_path=library, remote_path_mappings=[f"/qbt/downloads={downloads}"],
                            run_scheduler=False, _env_file=None)  # fmt: skip
        context = AppContext.from_settings(settings, engine=engine)
        yield World(fake, server, library, downloads, context, sessions, Sleeps(), library_id)


def run_import(world: World, download_id: int) -> ImportOutcome:
    async def go() -> ImportOutcome:
        integrations = world.context.integrations = Integrations(world.context, sleep=world.sleeps)
        try:
            run = RunContext(app=world.context, task_id=7)
            return await import_download(run, download_id, options=ImportOptions(sleep=world.sleeps))
        finally:
            await integrations.aclose()

    return asyncio.run(go())


def arrange_pack(world: World, *, owned: int | None = None) -> tuple[list[int], int]:
    """Three downloaded wanted books held by one completed pack download; volume ``owned`` is in the library."""
    with world.sessions() as session:
        rows = [
            WantedBook(title=title, author_name=AUTHOR, series_name=SERIES, series_position=str(number),
                       reason="series_gap", source="test", dedupe_key=f"{title}|{AUTHOR}", status="downloaded")
            for number, title in enumerate(TITLES, start=1)
        ]  # fmt: skip
        session.add_all(rows)
        session.flush()
        download = Download(wanted_book_id=rows[0].id, indexer="Audio Tracker", release_title=PACK, guid="guid-pack",
                            info_hash="ab" * 20, status="completed", content_path=f"/qbt/downloads/{PACK}",
                            release={"score": 60}, progress=1.0)  # fmt: skip
        session.add(download)
        session.flush()
        for number, row in enumerate(rows, start=1):
            session.add(DownloadBook(download_id=download.id, wanted_book_id=row.id, position=str(number)))
        if owned is not None:
            series = Series(name=SERIES, name_key="mistborn")
            book = Book(title=TITLES[owned - 1], title_sort=TITLES[owned - 1], path="/elsewhere")
            session.add_all([series, book])
            session.flush()
            session.add(BookSeries(book_id=book.id, series_id=series.id, position=str(owned)))
        session.commit()
        return [row.id for row in rows], download.id


def wanted(world: World, wanted_id: int) -> WantedBook:
    with world.sessions() as session:
        found = session.get(WantedBook, wanted_id)
        assert found is not None
        return found


def test_an_owned_volume_is_skipped_and_a_volume_missing_from_the_pack_goes_back_to_wanted(world: World) -> None:
    content = world.downloads / PACK
    make_audio_book(content / "01 - The Final Empire", 2, 0.5, seed=1)
    make_audio_book(content / "02 - The Well of Ascension", 2, 0.5, seed=2)
    (content / "readme.nfo").write_text("ripped with care")
    (bonus,) = make_audio_book(content, 1, 0.5, seed=4, title="Bonus")
    tags = EasyID3()
    tags["album"] = "The Final Empire (Unabridged)"  # only its tag says which book it belongs to
    tags.save(bonus)
    wanted_ids, download_id = arrange_pack(world, owned=2)
    with world.sessions() as session:  # the provider's runtime of volume 1: an hour, far more than the files
        first_wanted = session.get(WantedBook, wanted_ids[0])
        assert first_wanted is not None
        first_wanted.evidence = {"duration_minutes": 60}
        session.commit()

    outcome = run_import(world, download_id)

    assert outcome.status is ImportStatus.IMPORTED, outcome
    first = world.library / AUTHOR / SERIES / "01 - The Final Empire"
    placed = sorted(p.name for p in first.iterdir())
    assert placed == ["01 - 01 - Bonus 1.mp3", "02 - 01 - Chapter 1.mp3", "03 - 02 - Chapter 2.mp3"], placed
    source = content / "01 - The Final Empire" / "01 - Chapter 1.mp3"
    assert os.stat(first / "02 - 01 - Chapter 1.mp3").st_ino == os.stat(source).st_ino, "hardlinked"
    assert os.stat(first / "01 - 01 - Bonus 1.mp3").st_ino == os.stat(bonus).st_ino, "placed by its tag"
    assert not (world.library / AUTHOR / SERIES / "02 - The Well of Ascension").exists(), "owned: not imported again"
    assert (content / "02 - The Well of Ascension").is_dir() and (content / "readme.nfo").is_file(), "nothing deleted"
    one, two, three = (wanted(world, wanted_id) for wanted_id in wanted_ids)
    assert one.status == "imported" and one.book_id is not None
    assert two.status == "imported" and two.evidence["import"]["skipped"] == "owned"
    assert three.status == "wanted", "the pack did not hold it: it is searched again on its own"
    assert "no file of the pack maps to volume 3" in three.evidence["pack_import"]["reason"]
    with world.sessions() as session:
        download = session.get(Download, download_id)
        assert download is not None and download.status == "imported"
        pack = download.release["import"]["pack"]
        assert [entry["path"] for entry in pack["unmatched"]] == ["readme.nfo"]
        assert [entry["wanted_book_id"] for entry in pack["missing"]] == [wanted_ids[2]]
        assert pack["notes"] == ["volume 1: its files last 0 min, the wanted edition 60 min"], "durations read"
        reported = session.scalars(select(FailedAttempt)).one()
        assert reported.evidence["code"] == "unmatched_files" and "readme.nfo" in reported.reason
    assert len(world.fake.scans) == 1


def test_a_pack_whose_files_name_no_wanted_book_fails_and_every_book_is_wanted_again(world: World) -> None:
    make_audio_book(world.downloads / PACK / "Stormlight", 2, 0.5, seed=3)
    wanted_ids, download_id = arrange_pack(world)

    outcome = run_import(world, download_id)

    assert outcome.status is ImportStatus.FAILED and "no book of the pack could be imported" in outcome.reason
    assert [wanted(world, wanted_id).status for wanted_id in wanted_ids] == ["wanted", "wanted", "wanted"]
    with world.sessions() as session:
        assert session.scalars(select(BlocklistEntry.info_hash)).all() == ["ab" * 20], "the pack is blocklisted"
        failure = session.scalars(select(FailedAttempt)).one()
        assert failure.kind == "import" and failure.evidence["code"] == "pack_unmapped"
    assert not list(world.library.rglob("*.mp3"))
