"""A series pack end to end: three wanted books of one series, a real "Books 1-3" torrent seeded on loopback,
grabbed ONCE through acquisition (Prowlarr and MAM fakes over HTTP, real qBittorrents), imported as three books,
each in its own ``Author/Series/NN - Title`` folder by hardlink, the pack still seeding, and a file of the
pack that belongs to no book reported and left where it is; and a pack whose one volume is an abridged cut, that
volume refused by the audio check and its book grabbed again on its own. On SQLite and PostgreSQL (the ``engine``
fixture).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from shelfkeeper.automation.acquisition import acquire_wanted
from shelfkeeper.automation.download_monitor import download_monitor_task
from shelfkeeper.db.tables import BlocklistEntry, Book, Download, DownloadBook, EventRow, FailedAttempt, WantedBook
from shelfkeeper.domain.torrents.status import AddTorrent, TorrentState
from shelfkeeper.testing.audio import FFMPEG, NO_FFMPEG, make_sine_book
from shelfkeeper.testing.fakes.mam import FakeMam
from shelfkeeper.testing.qbittorrent import QbittorrentProcess
from shelfkeeper.testing.torrents import info_hash, make_audio_book, make_torrent
from tests.e2e.loop_support import Data, Loop, client_call, open_loop, torrents, wait_for

pytestmark = pytest.mark.qbittorrent

AUTHOR, SERIES = "Brandon Sanderson", "Mistborn"
TITLES = ("The Final Empire", "The Well of Ascension", "The Hero of Ages")
PACK_TITLE = f"{AUTHOR} - {SERIES} Books 1-3 [MP3]"
EXTRA = "Extras/Author Interview.mp3"


@pytest.fixture
def loop(
    engine: Engine,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    seeder: QbittorrentProcess,
    leecher: QbittorrentProcess,
) -> Iterator[Loop]:
    def stock_mam(mam: FakeMam) -> None:
        # MyAnonamouse holds a pack of ANOTHER series by the same author: found by the series search, never taken
        mam.add_torrent(f"{SERIES}: Wax and Wayne Books 1-3", authors=[AUTHOR], series=[["Wax and Wayne", "1-3"]],
                        seeders=80, size=1_200_000_000, filetype="m4b", free=True)  # fmt: skip

    with open_loop(engine, sessions, tmp_path, seeder, leecher, stock_mam=stock_mam) as loop:
        yield loop


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


@pytest.mark.skipif(FFMPEG is None, reason=NO_FFMPEG)
def test_a_pack_with_an_abridged_volume_imports_the_others_and_that_book_is_grabbed_again_on_its_own(
    loop: Loop,
) -> None:
    # real ffmpeg audio: each book runs one minute, but the pack's volume 2 is a 12-second abridged cut
    folder = loop.data_root / PACK_TITLE.removesuffix(" [MP3]")
    for number, title in enumerate(TITLES, start=1):
        make_sine_book(folder / f"Book {number} - {title}", [6.0, 6.0] if number == 2 else [30.0, 30.0],
                       title=title, author=AUTHOR)  # fmt: skip
    pack_torrent = make_torrent(folder)
    pack = Data(folder, pack_torrent, info_hash(pack_torrent))
    offer(loop, PACK_TITLE, pack, seeded=True)
    whole = loop.data_root / f"{AUTHOR} - {TITLES[1]}"
    make_sine_book(whole, [30.0, 30.0], title=TITLES[1], author=AUTHOR)
    single_torrent = make_torrent(whole)
    single = Data(whole, single_torrent, info_hash(single_torrent))
    offer(loop, f"{AUTHOR} - {TITLES[1]} ({SERIES} 2) [MP3]", single, seeded=True)
    wanted_ids = add_wanted_series(loop)
    with loop.sessions() as session:  # the providers' runtime of each book
        for wanted_id in wanted_ids:
            row = session.get(WantedBook, wanted_id)
            assert row is not None
            row.evidence = {"duration_minutes": 1}
        session.commit()

    assert loop.run(acquire_wanted).counts.get("pack_grabbed") == 1
    assert loop.download().info_hash == pack.info_hash
    loop.connect_peers(pack.info_hash)
    imported = loop.monitor_until_imported()

    series_dir = loop.library / AUTHOR / SERIES
    assert sorted(p.name for p in series_dir.iterdir()) == ["01 - The Final Empire", "03 - The Hero of Ages"]
    assert [loop.wanted(w).status for w in wanted_ids] == ["imported", "wanted", "imported"]
    evidence = loop.wanted(wanted_ids[1]).evidence["import_failure"]
    assert (evidence["code"], evidence["volume"], evidence["download_id"]) == ("audio_check", "2", imported.id)
    assert [r["wanted_book_id"] for r in imported.release["import"]["pack"]["refused"]] == [wanted_ids[1]]
    with loop.sessions() as session:
        assert session.scalars(select(BlocklistEntry)).all() == [], "the pack is not blocklisted for one volume"
        refusal = session.scalars(select(FailedAttempt).where(FailedAttempt.wanted_book_id == wanted_ids[1])).one()
        assert "volume 2 'The Well of Ascension': audio check: runtime 12" in refusal.reason
        assert "(20%), under the 80% minimum" in refusal.reason

    again = loop.run(acquire_wanted)  # the refused book alone: its single release, the whole one, is grabbed
    assert again.counts.get("grabbed") == 1 and again.counts.get("pack_grabbed") is None, again
    loop.connect_peers(single.info_hash)

    def single_imported() -> Download | None:
        loop.run(download_monitor_task)
        with loop.sessions() as session:
            row = session.scalars(select(Download).where(Download.info_hash == single.info_hash)).one()
            assert row.status not in ("failed", "cancelled"), row.result
            return row if row.status == "imported" else None

    done: Download = wait_for(single_imported, "the single book imported", timeout=45.0, every=0.2)
    assert done.wanted_book_id == wanted_ids[1] and done.release["import"]["audio_check"]["accepted"] is True
    assert loop.wanted(wanted_ids[1]).status == "imported"
    assert (series_dir / "02 - The Well of Ascension").is_dir()
    assert {t.info_hash for t in torrents(loop.leecher)} == {pack.info_hash, single.info_hash}, "both keep seeding"
