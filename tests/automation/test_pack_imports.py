"""Importing a finished series pack, book by book, against the served Audiobookshelf fake and a real library folder.

The pack's files are real generated MP3s; the download's content path is read from the row (no qBittorrent here,
the e2e test has a real one). Both databases.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    EventRow,
    FailedAttempt,
    Series,
    WantedBook,
)
from shelfkeeper.integrations import Integrations
from shelfkeeper.settings import Settings
from shelfkeeper.testing.audio import FFMPEG, NO_FFMPEG, make_sine_book
from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf
from shelfkeeper.testing.server import serve
from shelfkeeper.testing.torrents import make_audio_book
from tests.automation.test_imports import Sleeps, World

TOKEN = "abs-pack-token"
AUTHOR, SERIES = "Brandon Sanderson", "Mistborn"
TITLES = ("The Final Empire", "The Well of Ascension", "The Hero of Ages")
PACK = "Mistborn Books 1-3"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Settings a test changes (by parametrizing this fixture)."""
    return {}


@pytest.fixture
def world(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path, settings_overrides: dict[str, Any]
) -> Iterator[World]:
    library, downloads = tmp_path / "library", tmp_path / "downloads"
    library.mkdir()
    downloads.mkdir()
    fake = FakeAudiobookshelf(TOKEN, synchronous_scan=True)
    library_id = fake.add_library("Audiobooks", [str(library)])
    with serve(fake.app) as server:
        settings = Settings(data_dir=tmp_path / "data", api_key="k" * 32, abs_url=server.url, abs_token=TOKEN,
                            library_path=library, remote_path_mappings=[f"/qbt/downloads={downloads}"],
                            run_scheduler=False, _env_file=None, **settings_overrides)  # fmt: skip
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


# The generated noise lasts seconds, volume 1's provider runtime an hour: the mapping notes it, and with the audio
# check on the volume would be refused (tested below with real audio); here the mapping alone is tested.
@pytest.mark.parametrize("settings_overrides", [{"audio_check_enabled": False}])
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


# ---- the audio check, volume by volume ---------------------------------------------------------------------------


def make_sine_pack(world: World, seconds: dict[int, list[float]]) -> Path:
    """Real audio (ffmpeg) for each volume, tagged with its book, in its own folder of the pack."""
    content = world.downloads / PACK
    for number, lengths in seconds.items():
        title = TITLES[number - 1]
        make_sine_book(content / f"{number:02d} - {title}", lengths, title=title, author=AUTHOR)
    return content


def set_runtimes(world: World, wanted_ids: list[int], minutes: int) -> None:
    with world.sessions() as session:
        for wanted_id in wanted_ids:
            row = session.get(WantedBook, wanted_id)
            assert row is not None
            row.evidence = {"duration_minutes": minutes}
        session.commit()


@pytest.mark.skipif(FFMPEG is None, reason=NO_FFMPEG)
def test_an_abridged_volume_is_refused_alone_and_its_book_is_wanted_again_while_the_others_are_imported(
    world: World,
) -> None:
    # volume 2 is an abridged cut: 12 s of a 1-minute edition (20%); volumes 1 and 3 are whole
    content = make_sine_pack(world, {1: [30.0, 30.0], 2: [6.0, 6.0], 3: [30.0, 30.0]})
    wanted_ids, download_id = arrange_pack(world)
    set_runtimes(world, wanted_ids, 1)

    outcome = run_import(world, download_id)

    assert outcome.status is ImportStatus.IMPORTED, outcome
    series_dir = world.library / AUTHOR / SERIES
    assert sorted(p.name for p in series_dir.iterdir()) == ["01 - The Final Empire", "03 - The Hero of Ages"]
    one, two, three = (wanted(world, wanted_id) for wanted_id in wanted_ids)
    assert (one.status, three.status) == ("imported", "imported")
    assert one.evidence["import"]["audio_check"]["accepted"] is True, "each imported volume was checked too"
    assert two.status == "wanted", "the refused volume's book is searched again on its own"
    failure_note = two.evidence["import_failure"]
    assert (failure_note["download_id"], failure_note["code"], failure_note["volume"]) == (
        download_id,
        "audio_check",
        "2",
    )
    short = next(r for r in failure_note["audio_check"]["reasons"] if r["code"] == "runtime_short")
    assert short["rejects"] and short["ratio"] == pytest.approx(0.2, abs=0.02)
    with world.sessions() as session:
        download = session.get(Download, download_id)
        assert download is not None and download.status == "imported" and download.attempt_count == 0
        assert "1 refused by the audio check" in (download.result or "")
        refused = download.release["import"]["pack"]["refused"]
        assert [(r["wanted_book_id"], r["position"]) for r in refused] == [(wanted_ids[1], "2")]
        assert session.scalars(select(BlocklistEntry)).all() == [], "one bad volume does not blocklist the pack"
        failure = session.scalars(select(FailedAttempt)).one()
        assert (failure.kind, failure.wanted_book_id, failure.download_id) == ("import", wanted_ids[1], download_id)
        assert failure.reason.startswith("volume 2 'The Well of Ascension': audio check: runtime 12")
        assert failure.evidence["content_path"] == str(content)
        event = session.scalars(select(EventRow).where(EventRow.type == "download_failed")).one()
        assert event.wanted_book_id == wanted_ids[1] and failure.reason in event.message
        assert "the book stays on the wanted list" in event.message
    assert (content / "02 - The Well of Ascension").is_dir(), "the refused volume's files stay in the download"


@pytest.mark.skipif(FFMPEG is None, reason=NO_FFMPEG)
def test_a_pack_whose_every_volume_is_refused_fails_and_is_blocklisted_with_each_verdict(world: World) -> None:
    make_sine_pack(world, {1: [5.0], 2: [5.0], 3: [5.0]})
    wanted_ids, download_id = arrange_pack(world)
    set_runtimes(world, wanted_ids, 1)

    outcome = run_import(world, download_id)

    assert outcome.status is ImportStatus.FAILED
    assert outcome.reason.startswith("every volume of the pack was refused by the audio check: volume 1 ")
    assert [wanted(world, wanted_id).status for wanted_id in wanted_ids] == ["wanted", "wanted", "wanted"]
    with world.sessions() as session:
        assert session.scalars(select(BlocklistEntry.info_hash)).all() == ["ab" * 20]
        failure = session.scalars(select(FailedAttempt)).one()
        assert failure.evidence["code"] == "audio_check"
        assert [v["volume"] for v in failure.evidence["volumes"]] == [
            "volume 1 'The Final Empire'",
            "volume 2 'The Well of Ascension'",
            "volume 3 'The Hero of Ages'",
        ]
        assert all(v["audio_check"]["accepted"] is False for v in failure.evidence["volumes"])
    assert not world.library.joinpath(AUTHOR).exists()


@pytest.mark.skipif(FFMPEG is None, reason=NO_FFMPEG)
@pytest.mark.parametrize("settings_overrides", [{"quality_merge_mp3_to_m4b": True}])
def test_with_m4b_on_import_each_volume_of_a_pack_is_merged_into_its_own_m4b(world: World) -> None:
    content = make_sine_pack(world, {1: [4.0, 4.0], 2: [3.0, 5.0]})
    before = sorted(p.relative_to(content).as_posix() for p in content.rglob("*"))
    wanted_ids, download_id = arrange_pack(world)

    outcome = run_import(world, download_id)

    assert outcome.status is ImportStatus.IMPORTED, outcome
    for number, title in enumerate(TITLES[:2], start=1):
        book_dir = world.library / AUTHOR / SERIES / f"{number:02d} - {title}"
        (merged,) = list(book_dir.iterdir())
        assert merged.suffix == ".m4b", merged
        note = wanted(world, wanted_ids[number - 1]).evidence["import"]
        assert note["m4b"] == {"merged": True, "file": str(merged)} and note["files"] == [str(merged)]
    assert wanted(world, wanted_ids[2]).status == "wanted", "volume 3 is not in the pack"
    assert sorted(p.relative_to(content).as_posix() for p in content.rglob("*")) == before, "the pack is untouched"
