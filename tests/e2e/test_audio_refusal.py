"""An abridged release passed off as the book, refused on its audio and replaced, end to end: two real qBittorrent
instances on loopback seed and fetch real ffmpeg-made audio; Prowlarr and Audiobookshelf are the fakes served for
real. The better-ranked release holds a quarter of the wanted runtime: it downloads, its audio is read and refused,
its release is blocklisted with the numbers (the torrent keeps seeding), and after the retry wait the next-best
release, the full-length one, is grabbed and imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from shelfkeeper.automation.acquisition import acquire_wanted
from shelfkeeper.automation.download_monitor import download_monitor_task
from shelfkeeper.db.tables import BlocklistEntry, Book, Download, EventRow, FailedAttempt
from shelfkeeper.domain.torrents.status import TorrentState
from shelfkeeper.testing.audio import FFMPEG, NO_FFMPEG, make_sine_book
from shelfkeeper.testing.qbittorrent import QbittorrentProcess
from shelfkeeper.testing.torrents import info_hash, make_torrent
from tests.e2e.loop_support import AUTHOR, BOOK_DIR, TITLE, Data, Loop, add_wanted, open_loop, torrents
from tests.e2e.loop_support import wait_for as wait_until

pytestmark = [pytest.mark.qbittorrent, pytest.mark.skipif(FFMPEG is None, reason=NO_FFMPEG)]


@pytest.fixture
def loop(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path, seeder: QbittorrentProcess,
    leecher: QbittorrentProcess,
) -> Iterator[Loop]:  # fmt: skip
    # a one-minute book of a few hundred kilobytes is not junk here
    with open_loop(engine, sessions, tmp_path, seeder, leecher, settings={"quality_min_mb_per_hour": 0}) as loop:
        yield loop


def sine_data(root: Path, name: str, seconds: list[float], suffix: str) -> Data:
    folder = root / name
    make_sine_book(folder, seconds, title=TITLE, author=AUTHOR, suffix=suffix)
    torrent = make_torrent(folder)
    return Data(folder, torrent, info_hash(torrent))


def add_wanted_short(loop: Loop) -> int:
    """The wanted book, whose providers say it runs one minute."""
    return add_wanted(loop.sessions, evidence={"duration_minutes": 1})


def test_a_release_whose_audio_is_a_fraction_of_the_runtime_is_refused_and_the_next_one_imported(loop: Loop) -> None:
    short = sine_data(loop.data_root, f"{AUTHOR} - {TITLE} m4b", [15.0], ".m4b")  # a quarter of the book
    full = sine_data(loop.data_root, f"{AUTHOR} - {TITLE}", [20.0, 20.0, 20.0], ".mp3")
    short_title = f"{AUTHOR} - {TITLE} (The Stormlight Archive 1) [M4B]"
    loop.offer(short_title, short, seeded=True, seeders=50)
    loop.offer(f"{AUTHOR} - {TITLE} (The Stormlight Archive 1) [MP3]", full, seeded=True, seeders=5)
    wanted_id = add_wanted_short(loop)

    loop.run(acquire_wanted)
    assert (loop.download().info_hash, loop.download().release_title) == (short.info_hash, short_title), "m4b first"
    loop.connect_peers(short.info_hash)

    def refused() -> Download | None:
        loop.run(download_monitor_task)
        row = loop.download()
        return row if row.status == "failed" else None

    failed: Download = wait_until(refused, "the short release downloaded and refused", timeout=45.0, every=0.2)

    reason = (failed.result or "").removeprefix("import failed: ")
    assert reason.startswith("audio check: runtime 15.") and "edition (25%), under the 80% minimum" in reason
    assert loop.count(BlocklistEntry, BlocklistEntry.info_hash == short.info_hash) == 1
    with loop.sessions() as session:
        entry = session.scalars(select(BlocklistEntry)).one()
        assert entry.reason == f"import failed: {reason}" and "25%" in entry.reason
        attempt = session.scalars(select(FailedAttempt)).one()
        assert (attempt.kind, attempt.reason) == ("import", reason)
        runtime = next(r for r in attempt.evidence["audio_check"]["reasons"] if r["code"] == "runtime_short")
        assert runtime["ratio"] == pytest.approx(0.25, abs=0.01) and runtime["wanted_seconds"] == 60.0
        events = [e.message for e in session.scalars(select(EventRow).where(EventRow.type == "download_failed"))]
        assert len(events) == 1 and reason in events[0]
    assert loop.wanted(wanted_id).status == "wanted", "not lost: waiting for its retry"
    assert not (loop.library / BOOK_DIR).exists(), "nothing of the short release reached the library"
    seeding = [t for t in torrents(loop.leecher) if t.info_hash == short.info_hash]
    assert len(seeding) == 1 and seeding[0].state is TorrentState.COMPLETED, "the refused torrent keeps seeding"

    later = timedelta(minutes=2)  # past the retry time: the monitor grabs the next-best release
    retried = loop.run(download_monitor_task, offset=later)
    assert retried.counts.get("retry_grabbed") == 1, retried
    assert loop.download().info_hash == full.info_hash
    loop.connect_peers(full.info_hash)
    done = loop.monitor_until_imported(offset=later)

    placed = sorted(p.name for p in (loop.library / BOOK_DIR).iterdir())
    assert placed == sorted(p.name for p in full.folder.iterdir())
    check = done.release["import"]["audio_check"]
    assert check["accepted"] is True and check["total_seconds"] == pytest.approx(60.0, abs=0.5)
    with loop.sessions() as session:
        book = session.scalars(select(Book)).one()
        assert (book.title, book.path) == (TITLE, str(loop.library / BOOK_DIR))
    assert loop.wanted(wanted_id).status == "imported"
    assert loop.count(Download) == 1, "the refused attempt's row carries the next release"
    assert {t.info_hash for t in torrents(loop.leecher)} == {short.info_hash, full.info_hash}
