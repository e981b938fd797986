"""The audio check and the M4B merge inside the import: real audio made by ffmpeg, the Audiobookshelf fake served
for real, a real library folder, both databases. (The whole loop with real torrents: tests/e2e/test_audio_refusal.)
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mutagen.mp4
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from shelfkeeper.automation.imports import ImportOptions, ImportOutcome, ImportStatus, import_download
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.context import AppContext
from shelfkeeper.db.tables import BlocklistEntry, Download, EventRow, FailedAttempt, WantedBook
from shelfkeeper.integrations import Integrations
from shelfkeeper.settings import Settings
from shelfkeeper.testing.audio import FFMPEG, NO_FFMPEG, make_sine_audio, make_sine_book, truncate
from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf
from shelfkeeper.testing.server import serve

pytestmark = pytest.mark.skipif(FFMPEG is None, reason=NO_FFMPEG)

TOKEN = "abs-audio-token"
TITLE, AUTHOR, NARRATOR = "The Way of Kings", "Brandon Sanderson", "Michael Kramer"
BOOK_DIR = Path(AUTHOR) / "The Stormlight Archive" / "01 - The Way of Kings"


async def _no_wait(_: float) -> None:
    return None


@dataclass
class World:
    library: Path
    downloads: Path
    context: AppContext
    sessions: sessionmaker[Session]
    fake: FakeAudiobookshelf

    def run(self, download_id: int) -> ImportOutcome:
        async def go() -> ImportOutcome:
            integrations = self.context.integrations = Integrations(self.context)
            try:
                options = ImportOptions(sleep=_no_wait)
                return await import_download(RunContext(app=self.context, task_id=3), download_id, options=options)
            finally:
                await integrations.aclose()

        return asyncio.run(go())

    def arrange(self, folder: str, *, minutes: int | None = 1, narrator: str | None = None) -> tuple[int, int]:
        evidence: dict[str, Any] = {"duration_minutes": minutes} if minutes else {}
        if narrator:
            evidence["narrator"] = narrator
        with self.sessions() as session:
            missing = WantedBook(
                title=TITLE, author_name=AUTHOR, series_name="The Stormlight Archive", series_position="1",
                reason="series_gap", source="test", dedupe_key="way|sanderson", status="downloaded", evidence=evidence,
            )  # fmt: skip
            session.add(missing)
            session.flush()
            download = Download(
                wanted_book_id=missing.id, indexer="Audio Tracker", release_title=f"{AUTHOR} - {TITLE} [MP3]",
                guid="guid-1", info_hash="ab" * 20, status="completed", content_path=f"/qbt/{folder}",
                release={"score": 50}, progress=1.0,
            )  # fmt: skip
            session.add(download)
            session.commit()
            return missing.id, download.id

    def get(self, table: type, row_id: int) -> Any:
        with self.sessions() as session:
            return session.get(table, row_id)


def make_world(engine: Engine, sessions: sessionmaker[Session], tmp_path: Path, **values: Any) -> Iterator[World]:
    library, downloads = tmp_path / "library", tmp_path / "downloads"
    library.mkdir()
    downloads.mkdir()
    fake = FakeAudiobookshelf(TOKEN, synchronous_scan=True)
    fake.add_library("Audiobooks", [str(library)])
    with serve(fake.app) as server:
        settings = Settings(data_dir=tmp_path / "data", api_key="k" * 32, abs_url=server.url, abs_token=TOKEN,
                            library_path=library, remote_path_mappings=[f"/qbt={downloads}"], run_scheduler=False,
                            _env_file=None, **values)  # fmt: skip
        yield World(library, downloads, AppContext.from_settings(settings, engine=engine), sessions, fake)


@pytest.fixture
def world(engine: Engine, sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[World]:
    yield from make_world(engine, sessions, tmp_path)


@pytest.fixture
def merging(engine: Engine, sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[World]:
    yield from make_world(engine, sessions, tmp_path, quality_merge_mp3_to_m4b=True)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# ---- the check ----------------------------------------------------------------------------------------------


def test_an_abridged_download_is_refused_blocklisted_with_its_numbers_and_left_seeding(world: World) -> None:
    folder = world.downloads / "abridged"
    make_sine_book(folder, [5.0, 5.0, 5.0], title=TITLE, author=AUTHOR)
    before = snapshot(folder)
    wanted_id, download_id = world.arrange("abridged", minutes=1)

    outcome = world.run(download_id)

    assert outcome.status is ImportStatus.FAILED
    assert outcome.reason.startswith("audio check: runtime 15.")
    assert "of audio for a 1 min 00 s edition (25%), under the 80% minimum" in outcome.reason
    download, wanted = world.get(Download, download_id), world.get(WantedBook, wanted_id)
    assert download.status == "failed" and download.result == f"import failed: {outcome.reason}"
    assert download.next_retry_at is not None, "the next-best release is grabbed after the retry wait"
    assert wanted.status == "wanted" and wanted.evidence["import_failure"]["code"] == "audio_check"
    with world.sessions() as session:
        entry = session.scalars(select(BlocklistEntry)).one()
        assert (entry.info_hash, entry.download_id) == (download.info_hash, download_id)
        assert entry.reason == f"import failed: {outcome.reason}"
        failure = session.scalars(select(FailedAttempt)).one()
        assert (failure.kind, failure.reason, failure.task_id) == ("import", outcome.reason, 3)
        check = failure.evidence["audio_check"]
        assert (check["accepted"], check["files"], check["wanted_minutes"], check["codecs"]) == (False, 3, 1, ["mp3"])
        short = next(r for r in check["reasons"] if r["code"] == "runtime_short")
        assert short["rejects"] and short["ratio"] == pytest.approx(0.25, abs=0.01)
        assert short["audio_seconds"] == pytest.approx(15.0, abs=0.3) and short["wanted_seconds"] == 60.0
        assert {r["code"] for r in check["reasons"]} >= {"title_match", "author_match"}
        assert [f["name"] for f in failure.evidence["files"]] == sorted(before)
        event = session.scalars(select(EventRow).where(EventRow.type == "download_failed")).one()
        assert outcome.reason in event.message and "the next-best release is tried after" in event.message
    assert not (world.library / AUTHOR).exists(), "nothing was placed"
    assert world.fake.scans == []
    assert snapshot(folder) == before, "the download is left as it is: it keeps seeding"


def test_a_full_length_download_passes_and_the_check_is_kept_with_the_import(world: World) -> None:
    make_sine_book(world.downloads / "full", [20.0, 20.0, 20.0], title=TITLE, author=AUTHOR, narrator=NARRATOR)
    _, download_id = world.arrange("full", minutes=1, narrator=NARRATOR)

    outcome = world.run(download_id)

    assert outcome.status is ImportStatus.IMPORTED, outcome.reason
    assert outcome.linked == 3
    check = world.get(Download, download_id).release["import"]["audio_check"]
    assert check["accepted"] is True
    codes = {r["code"] for r in check["reasons"]}
    assert codes == {"runtime_ok", "title_match", "author_match", "narrator_match"}
    assert check["total_seconds"] == pytest.approx(60.0, abs=0.5)


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        ("truncated", "is truncated (the audio ends at"),
        ("narrator", "another narrator: Stephen Fry, not Michael Kramer"),
    ],
)
def test_a_truncated_file_or_another_narrator_is_refused(world: World, problem: str, expected: str) -> None:
    files = make_sine_book(world.downloads / "book", [20.0, 20.0, 20.0], title=TITLE, author=AUTHOR,
                           narrator="Stephen Fry" if problem == "narrator" else NARRATOR)  # fmt: skip
    if problem == "truncated":
        truncate(files[1], 0.4)
    _, download_id = world.arrange("book", minutes=None, narrator=NARRATOR)

    outcome = world.run(download_id)

    assert outcome.status is ImportStatus.FAILED
    assert expected in outcome.reason
    assert world.get(Download, download_id).release["import"]["code"] == "audio_check"


def test_without_a_runtime_or_tags_nothing_is_refused(world: World) -> None:
    make_sine_audio(world.downloads / "bare" / "book.mp3", 3.0)  # no tags at all
    _, download_id = world.arrange("bare", minutes=None)

    outcome = world.run(download_id)

    assert outcome.status is ImportStatus.IMPORTED, outcome.reason
    codes = {r["code"] for r in world.get(Download, download_id).release["import"]["audio_check"]["reasons"]}
    assert codes == {"runtime_unknown", "tags_missing"}


# ---- the merge ----------------------------------------------------------------------------------------------


def test_a_multi_file_mp3_book_is_merged_into_one_m4b_in_the_library(merging: World) -> None:
    folder = merging.downloads / "full"
    make_sine_book(folder, [4.0, 5.0, 6.0], title=TITLE, author=AUTHOR, narrator=NARRATOR)
    before = snapshot(folder)
    _, download_id = merging.arrange("full", minutes=None, narrator=NARRATOR)

    outcome = merging.run(download_id)

    assert outcome.status is ImportStatus.IMPORTED, outcome.reason
    book_dir = merging.library / BOOK_DIR
    assert [p.name for p in book_dir.iterdir()] == ["The Way of Kings.m4b"], "one file, no partial left"
    merged = mutagen.mp4.MP4(book_dir / "The Way of Kings.m4b")
    assert merged.info.length == pytest.approx(15.0, abs=0.5)
    assert [c.title for c in merged.chapters] == ["Chapter 1", "Chapter 2", "Chapter 3"]
    assert merged.tags is not None and merged.tags["©wrt"] == [NARRATOR]
    assert merged.tags["©grp"] == ["The Stormlight Archive #1"]
    download = merging.get(Download, download_id)
    assert download.release["import"]["m4b"] == {"merged": True, "file": str(book_dir / "The Way of Kings.m4b")}
    assert snapshot(folder) == before, "the download is untouched"
    assert all(os.stat(folder / name).st_nlink == 1 for name in before), "no hardlink into the library"

    again = merging.run(download_id)
    assert again.status is ImportStatus.ALREADY_IMPORTED


def test_without_ffmpeg_the_book_is_imported_as_it_is_and_the_note_says_why(
    merging: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_sine_book(merging.downloads / "full", [4.0, 5.0], title=TITLE, author=AUTHOR)
    _, download_id = merging.arrange("full", minutes=None)
    monkeypatch.setenv("PATH", "/nonexistent")  # neither ffmpeg nor ffprobe can be found: mutagen reads alone

    outcome = merging.run(download_id)

    assert (outcome.status, outcome.linked) == (ImportStatus.IMPORTED, 2)
    note = merging.get(Download, download_id).release["import"]
    assert note["m4b"] == {"merged": False, "reason": "ffmpeg is not installed (Debian's ffmpeg package)"}
    assert note["audio_check"]["readers"] == ["mutagen"]
    assert sorted(p.suffix for p in (merging.library / BOOK_DIR).iterdir()) == [".mp3", ".mp3"]


def test_a_book_placed_as_it_is_is_not_merged_over_when_its_import_runs_again(
    merging: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_sine_book(merging.downloads / "full", [4.0, 5.0], title=TITLE, author=AUTHOR)
    _, download_id = merging.arrange("full", minutes=None)
    with monkeypatch.context() as patched:
        patched.setenv("PATH", "/nonexistent")
        assert merging.run(download_id).status is ImportStatus.IMPORTED
    with merging.sessions() as session:  # a run killed before the import was recorded, done again with ffmpeg
        download = session.get(Download, download_id)
        assert download is not None
        download.status = "completed"
        session.commit()

    again = merging.run(download_id)

    assert (again.status, again.present, again.linked) == (ImportStatus.IMPORTED, 2, 0)
    note = merging.get(Download, download_id).release["import"]["m4b"]
    assert note["merged"] is False and note["reason"].startswith("the merge failed: ")
    assert "already holds audio" in note["reason"]
    assert sorted(p.suffix for p in (merging.library / BOOK_DIR).iterdir()) == [".mp3", ".mp3"]
