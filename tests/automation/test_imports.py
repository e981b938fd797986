"""Import on completion against the Audiobookshelf fake served for real and a real library folder, both databases.

qBittorrent is left unconfigured here (the e2e loop uses a real one), so the import reads the content path the
monitor recorded. Crossing filesystems is shown by a linker that fails the way ``os.link`` does with EXDEV —
only a syscall's outcome is faked (no tmpfs is available), the copy that follows is real.
"""

from __future__ import annotations

import asyncio
import errno
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from shelfkeeper.automation.imports import ImportOptions, ImportOutcome, ImportStatus, import_download
from shelfkeeper.automation.library_sync import library_sync_task
from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.context import AppContext
from shelfkeeper.db.tables import BlocklistEntry, Book, Download, EventRow, FailedAttempt, WantedBook
from shelfkeeper.integrations import Integrations
from shelfkeeper.settings import Settings
from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf
from shelfkeeper.testing.server import LiveServer, serve
from shelfkeeper.testing.torrents import make_audio_book

TOKEN = "abs-import-token"


class Sleeps:
    """A recording sleep: the polls after a scan never wait in real time."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@dataclass
class World:
    """A library folder known to a served Audiobookshelf fake, a downloads folder, and the app over them."""

    fake: FakeAudiobookshelf
    server: LiveServer
    library: Path
    downloads: Path
    context: AppContext
    sessions: sessionmaker[Session]
    sleeps: Sleeps
    library_id: str

    def run(self, download_id: int, **options: Any) -> ImportOutcome:
        """One import in its own event loop, with clients built for that loop (as the job runner does)."""

        async def go() -> ImportOutcome:
            integrations = self.context.integrations = Integrations(self.context, sleep=self.sleeps)
            try:
                run = RunContext(app=self.context, task_id=7)
                return await import_download(run, download_id, options=ImportOptions(sleep=self.sleeps, **options))
            finally:
                await integrations.aclose()

        return asyncio.run(go())


@pytest.fixture
def world(engine: Engine, sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[World]:
    library, downloads = tmp_path / "library", tmp_path / "downloads"
    library.mkdir()
    downloads.mkdir()
    fake = FakeAudiobookshelf(TOKEN, synchronous_scan=True)
    library_id = fake.add_library("Audiobooks", [str(library)])
    with serve(fake.app) as server:
        settings = Settings(
            data_dir=tmp_path / "data",
            api_key="k" * 32,
            abs_url=server.url,
            abs_token=TOKEN,
            library_path=library,
            remote_path_mappings=[f"/qbt/downloads={downloads}"],
            run_scheduler=False,
            _env_file=None,
        )
        context = AppContext.from_settings(settings, engine=engine)
        yield World(fake, server, library, downloads, context, sessions, Sleeps(), library_id)


def arrange(
    world: World,
    *,
    title: str = "The Way of Kings",
    author: str = "Brandon Sanderson",
    series: str | None = "The Stormlight Archive",
    position: str | None = "1",
    content: str = "/qbt/downloads/Way of Kings [m4b]",
    status: str = "completed",
    wanted_status: str = "downloaded",
) -> tuple[int, int]:
    """A wanted book and its completed download; returns (wanted id, download id)."""
    with world.sessions() as session:
        missing = WantedBook(
            title=title, author_name=author, series_name=series, series_position=position, reason="series_gap",
            source="test", dedupe_key=f"{title}|{author}", status=wanted_status,
        )  # fmt: skip
        session.add(missing)
        session.flush()
        download = Download(
            wanted_book_id=missing.id, indexer="MyAnonamouse", release_title=f"{author} - {title} [m4b]",
            guid=f"guid-{missing.id}", info_hash=f"{missing.id:040x}", status=status, content_path=content,
            release={"score": 50}, progress=1.0,
        )  # fmt: skip
        session.add(download)
        session.commit()
        return missing.id, download.id


def audio_book(folder: Path, n_files: int = 3) -> list[Path]:
    return make_audio_book(folder, n_files, 0.5, seed=n_files)


def row(world: World, table: type, row_id: int) -> Any:
    with world.sessions() as session:
        return session.get(table, row_id)


def count(world: World, table: type, *where: Any) -> int:
    with world.sessions() as session:
        return session.scalar(select(func.count()).select_from(table).where(*where)) or 0


# ---- the happy path -------------------------------------------------------------------------------------


def test_a_completed_download_is_hardlinked_into_the_series_folder_scanned_and_linked(world: World) -> None:
    sources = audio_book(world.downloads / "Way of Kings [m4b]")
    (world.downloads / "Way of Kings [m4b]" / "release.nfo").write_text("nfo")
    wanted_id, download_id = arrange(world)

    outcome = world.run(download_id)

    book_dir = world.library / "Brandon Sanderson" / "The Stormlight Archive" / "01 - The Way of Kings"
    assert outcome.status is ImportStatus.IMPORTED, outcome.reason
    assert (outcome.book_dir, outcome.linked, outcome.copied) == (str(book_dir), 3, 0)
    placed = sorted(p for p in book_dir.iterdir())
    assert [p.name for p in placed] == [s.name for s in sources]  # the .nfo stays behind
    for source, target in zip(sources, placed, strict=True):
        assert os.stat(source).st_ino == os.stat(target).st_ino, "hardlinked: the torrent keeps seeding"

    assert len(world.fake.scans) == 1
    item = world.fake.item(outcome.abs_id or "")
    assert (item.path, item.title) == (str(book_dir), "The Way of Kings")
    with world.sessions() as session:
        book = session.get(Book, outcome.book_id)
        assert book is not None
        assert (book.abs_id, book.title, book.path, book.format) == (item.id, "The Way of Kings", str(book_dir), "mp3")
        assert [link.author.name for link in book.author_links] == ["Brandon Sanderson"]
        assert [(link.series.name, link.position) for link in book.series_links] == [("The Stormlight Archive", "1")]
        download, wanted = session.get(Download, download_id), session.get(WantedBook, wanted_id)
        assert download is not None and wanted is not None
        assert (download.status, download.book_id) == ("imported", book.id)
        assert download.imported_at is not None
        assert (wanted.status, wanted.book_id) == ("imported", book.id)
        assert wanted.evidence["import"]["book_dir"] == str(book_dir)
        # The import is an entry of its own in the history: which book, and where it went.
        entry = session.scalars(select(EventRow).where(EventRow.type == "imported")).one()
        assert (entry.book_id, entry.wanted_book_id, entry.download_id) == (book.id, wanted_id, download_id)
        assert entry.data["details"]["path"] == str(book_dir)
    assert count(world, FailedAttempt) == 0


def test_importing_twice_or_after_a_crash_duplicates_nothing(world: World) -> None:
    audio_book(world.downloads / "Way of Kings [m4b]")
    _, download_id = arrange(world)
    first = world.run(download_id)
    assert first.status is ImportStatus.IMPORTED

    again = world.run(download_id)
    assert (again.status, again.book_id) == (ImportStatus.ALREADY_IMPORTED, first.book_id)

    # a run killed after placing the files and before recording them left the row "completed"
    with world.sessions() as session:
        download = session.get(Download, download_id)
        assert download is not None
        download.status, download.imported_at = "completed", None
        session.commit()
    resumed = world.run(download_id)
    assert (resumed.status, resumed.present, resumed.linked, resumed.book_id) == (ImportStatus.IMPORTED, 3, 0,
                                                                                  first.book_id)  # fmt: skip
    assert len(world.fake.scans) == 1, "the item was already listed: no second scan"
    assert count(world, Book) == 1
    assert len(list((world.library / "Brandon Sanderson").rglob("*.mp3"))) == 3
    assert sum(1 for item in world.fake.data.items.values() if item.library_id == world.library_id) == 1


def test_across_filesystems_the_files_are_copied(world: World) -> None:
    sources = audio_book(world.downloads / "Way of Kings [m4b]")
    _, download_id = arrange(world)
    attempts: list[str] = []

    def other_filesystem(source: Path, target: Path) -> None:
        attempts.append(target.name)
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), str(source))

    outcome = world.run(download_id, link=other_filesystem)

    assert (outcome.status, outcome.linked, outcome.copied) == (ImportStatus.IMPORTED, 0, 3)
    assert len(attempts) == 3
    book_dir = Path(outcome.book_dir or "")
    for source in sources:
        copy = book_dir / source.name
        assert copy.read_bytes() == source.read_bytes()
        assert os.stat(copy).st_ino != os.stat(source).st_ino
        assert copy.stat().st_mtime == pytest.approx(source.stat().st_mtime)  # copy2 keeps the times
    assert not [p for p in book_dir.iterdir() if p.name.startswith(".")], "no partial copy left behind"


def test_import_mode_copy_copies_every_file_even_on_the_same_filesystem(world: World, engine: Engine) -> None:
    sources = audio_book(world.downloads / "Way of Kings [m4b]")
    _, download_id = arrange(world)
    settings = world.context.settings.model_copy(update={"import_mode": "copy"})
    world.context = AppContext.from_settings(settings, engine=engine)

    outcome = world.run(download_id)

    assert (outcome.status, outcome.linked, outcome.copied) == (ImportStatus.IMPORTED, 0, 3)
    book_dir = Path(outcome.book_dir or "")
    for source in sources:
        copy = book_dir / source.name
        assert copy.read_bytes() == source.read_bytes()
        assert os.stat(copy).st_ino != os.stat(source).st_ino, "a copy: the download can be deleted"


def test_multi_disc_books_keep_their_order_and_their_cover(world: World) -> None:
    root = world.downloads / "Dune"
    make_audio_book(root / "Disc 1", 2, 0.2, seed=1)
    make_audio_book(root / "Disc 2", 2, 0.2, seed=2)
    (root / "cover.jpg").write_bytes(b"\xff\xd8cover")
    (root / "Disc 1" / "sample.mp3").write_bytes(b"\xff\xfbsample")
    _, download_id = arrange(world, title="Dune", author="Frank Herbert", series=None, position=None,
                             content="/qbt/downloads/Dune")  # fmt: skip

    outcome = world.run(download_id)

    book_dir = world.library / "Frank Herbert" / "Dune"
    assert outcome.status is ImportStatus.IMPORTED
    placed = sorted(p.relative_to(book_dir).as_posix() for p in book_dir.rglob("*") if p.is_file())
    assert placed == ["CD1/01 - Chapter 1.mp3", "CD1/02 - Chapter 2.mp3", "CD2/01 - Chapter 1.mp3",
                      "CD2/02 - Chapter 2.mp3", "cover.jpg"]  # fmt: skip
    item = world.fake.item(outcome.abs_id or "")
    assert [a.rel_path for a in item.audio_files] == placed[:4]
    assert item.title == "Dune"


def test_a_single_file_torrent_through_a_remote_path_mapping(world: World) -> None:
    (world.downloads / "incoming").mkdir()
    (generated,) = make_audio_book(world.downloads / "generated", 1, 1.0)
    source = world.downloads / "incoming" / "Project Hail Mary.mp3"
    generated.rename(source)
    _, download_id = arrange(world, title="Project Hail Mary", author="Andy Weir", series=None, position=None,
                             content="/qbt/downloads/incoming/Project Hail Mary.mp3")  # fmt: skip

    outcome = world.run(download_id)

    target = world.library / "Andy Weir" / "Project Hail Mary" / "Project Hail Mary.mp3"
    assert outcome.status is ImportStatus.IMPORTED
    assert target.samefile(source)


# ---- failures -------------------------------------------------------------------------------------------


def test_a_download_without_audio_fails_and_the_next_release_gets_its_turn(world: World) -> None:
    folder = world.downloads / "Way of Kings [m4b]"
    folder.mkdir()
    (folder / "book.epub").write_bytes(b"epub")
    (folder / "cover.jpg").write_bytes(b"jpg")
    wanted_id, download_id = arrange(world)

    outcome = world.run(download_id)

    assert outcome.status is ImportStatus.FAILED
    assert "no audio files" in outcome.reason
    download, wanted = row(world, Download, download_id), row(world, WantedBook, wanted_id)
    assert download.status == "failed" and download.result.startswith("import failed")
    assert download.next_retry_at is not None, "a retry with the next-best release is scheduled"
    assert wanted.status == "wanted"
    assert wanted.evidence["import_failure"]["code"] == "no_audio"
    assert count(world, BlocklistEntry, BlocklistEntry.info_hash == download.info_hash) == 1
    with world.sessions() as session:
        failure = session.scalars(select(FailedAttempt)).one()
        assert (failure.kind, failure.download_id, failure.wanted_book_id, failure.task_id) == (
            "import", download_id, wanted_id, 7)  # fmt: skip
        assert failure.evidence["files"] == ["book.epub", "cover.jpg"]
    assert not (world.library / "Brandon Sanderson").exists()
    assert world.fake.scans == []


def test_the_last_attempt_without_audio_fails_the_wanted_book(world: World) -> None:
    (world.downloads / "Way of Kings [m4b]").mkdir()
    wanted_id, download_id = arrange(world)
    with world.sessions() as session:
        download = session.get(Download, download_id)
        assert download is not None
        download.release = {"failures": [{"reason": "stalled"}, {"reason": "stalled"}]}
        download.attempt_count = 2
        session.commit()

    assert world.run(download_id).status is ImportStatus.FAILED
    assert row(world, Download, download_id).next_retry_at is None
    assert row(world, WantedBook, wanted_id).status == "failed"


def test_content_that_cannot_be_found_fails_with_the_mapped_path_as_evidence(world: World) -> None:
    wanted_id, download_id = arrange(world, content="/elsewhere/Way of Kings")

    outcome = world.run(download_id)

    assert outcome.status is ImportStatus.FAILED
    assert "REMOTE_PATH_MAPPINGS" in outcome.reason
    wanted = row(world, WantedBook, wanted_id)
    assert wanted.status == "failed", "the configuration is at fault: no other release is grabbed for it"
    assert wanted.evidence["import_failure"]["content_path"] == "/elsewhere/Way of Kings"
    assert count(world, BlocklistEntry) == 0
    assert row(world, Download, download_id).status == "failed"


def test_a_different_file_in_the_library_is_never_overwritten(world: World) -> None:
    sources = audio_book(world.downloads / "Way of Kings [m4b]")
    book_dir = world.library / "Brandon Sanderson" / "The Stormlight Archive" / "01 - The Way of Kings"
    book_dir.mkdir(parents=True)
    (book_dir / sources[0].name).write_bytes(b"another edition")
    wanted_id, download_id = arrange(world)

    outcome = world.run(download_id)

    assert outcome.status is ImportStatus.FAILED
    assert "nothing was overwritten" in outcome.reason
    assert (book_dir / sources[0].name).read_bytes() == b"another edition"
    assert sorted(p.name for p in book_dir.iterdir()) == [sources[0].name], "nothing placed beside it either"
    assert row(world, WantedBook, wanted_id).evidence["import_failure"]["different"] == [sources[0].name]


def test_a_library_that_cannot_be_written_fails_with_the_reason(world: World) -> None:
    audio_book(world.downloads / "Way of Kings [m4b]")
    wanted_id, download_id = arrange(world)

    def refused(source: Path, target: Path) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(target))

    outcome = world.run(download_id, link=refused)

    assert outcome.status is ImportStatus.FAILED
    assert "Permission denied" in outcome.reason
    assert row(world, WantedBook, wanted_id).evidence["import_failure"]["code"] == "permission"


# ---- when Audiobookshelf does not play along --------------------------------------------------------------


def test_audiobookshelf_down_leaves_the_download_waiting_then_imported_after_the_last_try(world: World) -> None:
    audio_book(world.downloads / "Way of Kings [m4b]")
    wanted_id, download_id = arrange(world)
    world.fake.faults.set("server_error")

    first = world.run(download_id, max_waits=2)
    assert first.status is ImportStatus.WAITING
    assert (first.linked, row(world, Download, download_id).status) == (3, "completed")
    assert row(world, WantedBook, wanted_id).status == "downloaded"

    second = world.run(download_id, max_waits=2)
    assert (second.status, second.present, second.book_id) == (ImportStatus.IMPORTED, 3, None)
    assert "Audiobookshelf" in second.reason
    assert row(world, WantedBook, wanted_id).status == "imported"
    assert count(world, FailedAttempt, FailedAttempt.kind == "import") == 1


def test_a_scan_that_never_lists_the_folder_polls_within_its_bounds(world: World) -> None:
    audio_book(world.downloads / "Way of Kings [m4b]")
    _, download_id = arrange(world)
    world.fake.data.libraries[world.library_id]["folders"][0]["fullPath"] = str(world.library / "not-here")

    outcome = world.run(download_id, poll_delays=(1.0, 2.0))

    assert outcome.status is ImportStatus.WAITING
    assert world.sleeps.calls == [1.0, 2.0]
    assert len(world.fake.scans) == 1
    assert row(world, Download, download_id).release["import"]["waits"] == 1


def test_without_a_library_path_nothing_is_imported(world: World, engine: Engine) -> None:
    _, download_id = arrange(world)
    settings = world.context.settings.model_copy(update={"library_path": None})
    world.context = AppContext.from_settings(settings, engine=engine)
    outcome = world.run(download_id)
    assert outcome.status is ImportStatus.SKIPPED
    assert row(world, Download, download_id).status == "completed"


@pytest.mark.parametrize("status", ["downloading", "queued", "failed", "cancelled"])
def test_only_completed_downloads_are_imported(world: World, status: str) -> None:
    audio_book(world.downloads / "Way of Kings [m4b]")
    _, download_id = arrange(world, status=status)
    outcome = world.run(download_id)
    assert outcome.status is ImportStatus.SKIPPED
    assert row(world, Download, download_id).status == status
    assert not world.library.joinpath("Brandon Sanderson").exists()


def test_an_unknown_download_is_skipped(world: World) -> None:
    assert world.run(4242).status is ImportStatus.SKIPPED


def test_when_no_library_can_be_told_to_hold_the_folder_the_files_are_imported_with_a_warning(world: World) -> None:
    audio_book(world.downloads / "Way of Kings [m4b]")
    wanted_id, download_id = arrange(world)
    world.fake.data.libraries[world.library_id]["folders"][0]["fullPath"] = "/somewhere/else"
    world.fake.add_library("Podcasts-like", ["/another/place"])

    outcome = world.run(download_id)

    assert (outcome.status, outcome.linked, outcome.book_id) == (ImportStatus.IMPORTED, 3, None)
    assert "ABS_LIBRARY_IDS" in outcome.reason
    assert world.fake.scans == []
    assert row(world, WantedBook, wanted_id).status == "imported"
    assert count(world, FailedAttempt, FailedAttempt.kind == "import") == 1


def test_without_audiobookshelf_the_files_are_still_placed(world: World, engine: Engine) -> None:
    audio_book(world.downloads / "Way of Kings [m4b]")
    _, download_id = arrange(world)
    settings = world.context.settings.model_copy(update={"abs_url": None, "abs_token": None})
    world.context = AppContext.from_settings(settings, engine=engine)

    outcome = world.run(download_id)

    assert (outcome.status, outcome.linked) == (ImportStatus.IMPORTED, 3)
    assert "not configured" in outcome.reason
    assert row(world, Download, download_id).status == "imported"


def test_a_library_sync_after_the_import_finds_the_book_unchanged(world: World) -> None:
    audio_book(world.downloads / "Way of Kings [m4b]")
    _, download_id = arrange(world)
    imported = world.run(download_id)

    async def sync() -> JobResult:
        integrations = world.context.integrations = Integrations(world.context, sleep=world.sleeps)
        try:
            return await library_sync_task(RunContext(app=world.context, parameters={"full": True}))
        finally:
            await integrations.aclose()

    result = asyncio.run(sync())

    assert result.counts.get("created", 0) == 0 and result.counts.get("unchanged") == 1, result.counts
    with world.sessions() as session:
        assert [book.id for book in session.scalars(select(Book))] == [imported.book_id]
