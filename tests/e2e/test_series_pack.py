"""A series pack end to end: three wanted books of one series, a real "Books 1-3" torrent seeded on loopback,
grabbed ONCE through acquisition (Prowlarr and MAM fakes over HTTP, real qBittorrents), imported as three books,
each in its own ``Author/Series/NN - Title`` folder by hardlink, the pack still seeding, and a file of the
pack that belongs to no book reported and left where it is. On SQLite and PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from shelfkeeper.automation.acquisition import acquire_wanted
from shelfkeeper.context import AppContext
from shelfkeeper.db.tables import Book, Download, DownloadBook, EventRow, FailedAttempt, WantedBook
from shelfkeeper.domain.torrents.status import AddTorrent, TorrentState
from shelfkeeper.settings import Settings
from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf
from shelfkeeper.testing.fakes.mam import FakeMam
from shelfkeeper.testing.fakes.prowlarr import FakeProwlarr
from shelfkeeper.testing.qbittorrent import QbittorrentProcess
from shelfkeeper.testing.server import serve
from shelfkeeper.testing.torrents import info_hash, make_audio_book, make_torrent
from tests.e2e.test_acquisition_loop import (
    ABS_TOKEN,
    MAM_COOKIE,
    PROWLARR_KEY,
    Data,
    Loop,
    client_call,
    settings_values,
    torrents,
    wait_for,
)

pytestmark = pytest.mark.qbittorrent

AUTHOR, SERIES = "Brandon Sanderson", "Mistborn"
TITLES = ("The Final Empire", "The Well of Ascension", "The Hero of Ages")
PACK_TITLE = f"{AUTHOR} - {SERIES} Books 1-3 [MP3]"
EXTRA = "Extras/Author Interview.mp3"


@pytest.fixture(scope="module")
def seeder() -> Iterator[QbittorrentProcess]:
    with QbittorrentProcess() as process:
        yield process


@pytest.fixture
def leecher() -> Iterator[QbittorrentProcess]:
    with QbittorrentProcess() as process:
        yield process


@pytest.fixture
def loop(
    engine: Engine,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    seeder: QbittorrentProcess,
    leecher: QbittorrentProcess,
) -> Iterator[Loop]:
    dirs = {name: tmp_path / name for name in ("data", "library", "seeded")}
    for path in dirs.values():
        path.mkdir()
    (leecher.save_dir / "shelfkeeper").mkdir()
    dirs["view"] = tmp_path / "downloads-as-shelfkeeper-sees-them"
    dirs["view"].symlink_to(leecher.save_dir / "shelfkeeper")
    prowlarr, mam, abs_fake = (
        FakeProwlarr(PROWLARR_KEY),
        FakeMam(MAM_COOKIE, rotate_every=None),
        FakeAudiobookshelf(ABS_TOKEN),
    )
    prowlarr.add_indexer(1, "Audio Tracker", definition_name="AudioTracker")
    abs_fake.add_library("Audiobooks", [str(dirs["library"])])
    # MyAnonamouse holds a pack of ANOTHER series by the same author: found by the series search, never taken
    mam.add_torrent(f"{SERIES}: Wax and Wayne Books 1-3", authors=[AUTHOR], series=[["Wax and Wayne", "1-3"]],
                    seeders=80, size=1_200_000_000, filetype="m4b", free=True)  # fmt: skip
    with serve(prowlarr.app) as p, serve(mam.app) as m, serve(abs_fake.app) as a:
        servers = {"prowlarr": p.url, "mam": m.url, "abs": a.url}
        values = settings_values(dirs, servers, leecher) | {"database_url": engine.url.render_as_string(False)}
        settings = Settings(**values, _env_file=None)
        context = AppContext.from_settings(settings, engine=engine)
        yield Loop(prowlarr, mam, abs_fake, seeder, leecher, dirs["library"], dirs["seeded"], settings, context,
                   sessions)  # fmt: skip


def make_pack(root: Path) -> Data:
    """Generated MP3s for three books, each in its own folder, and one file that belongs to none of them."""
    folder = root / PACK_TITLE.removesuffix(" [MP3]")
    for number, title in enumerate(TITLES, start=1):
        make_audio_book(folder / f"Book {number} - {title}", 2, 3.0, seed=number)
    make_audio_book(folder / "Extras", 1, 2.0, seed=9, title="Author Interview")
    (folder / "Extras" / "01 - Author Interview 1.mp3").rename(folder / EXTRA)
    torrent = make_torrent(folder)
    return Data(folder, torrent, info_hash(torrent))


def make_single(root: Path, number: int, title: str) -> Data:
    folder = root / f"{AUTHOR} - {title}"
    make_audio_book(folder, 2, 3.0, seed=10 + number)
    torrent = make_torrent(folder)
    return Data(folder, torrent, info_hash(torrent))


def add_wanted_series(loop: Loop) -> list[int]:
    with loop.sessions() as session:
        rows = [
            WantedBook(
                title=title,
                author_name=AUTHOR,
                series_name=SERIES,
                series_position=str(number),
                reason="series_gap",
                source="e2e",
                dedupe_key=f"{title.lower()}|{AUTHOR.lower()}",
                status="wanted",
                approved=True,
            )
            for number, title in enumerate(TITLES, start=1)
        ]
        session.add_all(rows)
        session.commit()
        return [row.id for row in rows]


def offer(loop: Loop, title: str, data: Data, *, seeded: bool) -> None:
    """A release on the Prowlarr fake serving ``data``'s .torrent; ``seeded``: the seeder has the data."""
    size = sum(p.stat().st_size for p in data.folder.rglob("*") if p.is_file())
    loop.prowlarr.add_release(title, torrent=data.torrent, size=size, seeders=10)
    if not seeded:
        return
    add = AddTorrent(torrent_file=data.torrent, save_path=str(data.folder.parent))
    torrent_id = client_call(loop.seeder, lambda c: c.add(add))
    wait_for(lambda: [t for t in torrents(loop.seeder) if t.info_hash == torrent_id and t.is_complete],
             "the seeder has the data")  # fmt: skip


def test_a_three_book_pack_is_grabbed_once_and_imported_as_three_books(loop: Loop) -> None:
    pack = make_pack(loop.data_root)
    offer(loop, PACK_TITLE, pack, seeded=True)
    for number, title in enumerate(TITLES, start=1):  # single books as good as the pack's files: never grabbed
        offer(loop, f"{AUTHOR} - {title} ({SERIES} {number}) [MP3]", make_single(loop.data_root, number, title),
              seeded=False)  # fmt: skip
    wanted_ids = add_wanted_series(loop)

    acquired = loop.run(acquire_wanted)

    assert (acquired.counts.get("grabbed"), acquired.counts.get("pack_grabbed")) == (1, 1), acquired
    download = loop.download()  # exactly one download
    assert (download.info_hash, download.release_title, download.status) == (pack.info_hash, PACK_TITLE, "downloading")
    decision = " | ".join(entry["text"] for entry in download.release["pack"]["decision"])
    assert "the pack is grabbed" in decision and "ratio cost per wanted book" in decision
    reasons = [entry["text"] for entry in download.release["reasons"]]
    assert "one grab instead of 3: covers wanted volumes 1, 2, 3" in reasons
    with loop.sessions() as session:
        links = session.scalars(select(DownloadBook).order_by(DownloadBook.position)).all()
        assert [(link.wanted_book_id, link.position) for link in links] == list(
            zip(wanted_ids, ["1", "2", "3"], strict=True)
        )
    for wanted_id in wanted_ids:
        wanted = loop.wanted(wanted_id)
        assert wanted.status == "grabbed"
        assert wanted.evidence["pack"]["download_id"] == download.id
        assert "Wax and Wayne" not in (wanted.evidence["last_search"]["pack"]["chosen"] or "")
    assert [t.info_hash for t in torrents(loop.leecher)] == [pack.info_hash], "grabbed once, no single beside it"

    again = loop.run(acquire_wanted)  # the covered books are held by the pack: nothing searched or grabbed
    assert again.counts.get("searched") is None and again.counts.get("grabbed") is None, again

    loop.connect_peers(pack.info_hash)
    loop.monitor_until_imported()

    seeded_root = loop.leecher.save_dir / "shelfkeeper" / pack.folder.name
    with loop.sessions() as session:
        books = {book.title: book for book in session.scalars(select(Book))}
        assert sorted(books) == sorted(TITLES)
        for number, (wanted_id, title) in enumerate(zip(wanted_ids, TITLES, strict=True), start=1):
            book_dir = loop.library / AUTHOR / SERIES / f"{number:02d} - {title}"
            placed = sorted(p for p in book_dir.iterdir() if p.is_file())
            sources = sorted((seeded_root / f"Book {number} - {title}").iterdir())
            assert len(placed) == len(sources) == 2
            for in_library, in_client in zip(placed, sources, strict=True):
                assert os.stat(in_library).st_ino == os.stat(in_client).st_ino, "hardlinked: same inode"
            wanted = session.get(WantedBook, wanted_id)
            assert wanted is not None and (wanted.status, wanted.book_id) == ("imported", books[title].id)
            assert books[title].path == str(book_dir)
        assert not list(loop.library.rglob("*Interview*")), "the extra file goes into no book"
        assert (seeded_root / EXTRA).is_file(), "nothing is deleted from the download"
        unmatched = session.scalars(select(FailedAttempt)).one()
        assert unmatched.evidence["code"] == "unmatched_files"
        assert [entry["path"] for entry in unmatched.evidence["files"]] == [EXTRA]
        imported = session.scalars(select(EventRow).where(EventRow.type == "imported").order_by(EventRow.id)).all()
        messages = [e.message for e in imported]
        per_book = [(e.wanted_book_id, e.book_id) for e in imported if "of " + PACK_TITLE in e.message]
        assert per_book == [(w, books[t].id) for w, t in zip(wanted_ids, TITLES, strict=True)], "one event per book"
        assert any(EXTRA in m for m in messages), messages
        row = session.scalars(select(Download)).one()
        assert row.status == "imported" and row.release["import"]["pack"]["unmatched"][0]["path"] == EXTRA
    assert len(loop.abs.scans) == 1, "Audiobookshelf scans once for the three books"
    seeding = [t for t in torrents(loop.leecher) if t.info_hash == pack.info_hash]
    assert len(seeding) == 1 and seeding[0].state is TorrentState.COMPLETED, "the pack keeps seeding"
