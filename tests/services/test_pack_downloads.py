"""A series pack's download holds several wanted books: one grab for all, never a second grab beside it, and
every covered book follows the download when it fails or is cancelled. Both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import Download, DownloadBook, WantedBook
from shelfkeeper.domain.releases.pack_choice import choose_pack, rank_packs
from shelfkeeper.domain.releases.ranking import QualityProfile, RankedRelease, rank
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.verification import WantedEdition
from shelfkeeper.errors import Conflict
from shelfkeeper.services import downloads
from shelfkeeper.services.pack_downloads import pack_groups, record_pack_grab
from shelfkeeper.services.status import fail_attempt, new_wanted_book

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
AUTHOR = "Brandon Sanderson"
TITLES = ("The Final Empire", "The Well of Ascension", "The Hero of Ages")


def add_series(session: Session, series: str = "Mistborn", titles: tuple[str, ...] = TITLES) -> list[int]:
    rows = [
        new_wanted_book(title=title, author_name=AUTHOR, series_name=series, series_position=str(number),
                        reason="series_gap", source="test", dedupe_key=f"{title}|{AUTHOR}", approved=True)
        for number, title in enumerate(titles, start=1)
    ]  # fmt: skip
    session.add_all(rows)
    session.commit()
    return [row.id for row in rows]


def grab_pack(session: Session, wanted_ids: list[int]) -> int:
    (group,) = pack_groups(session, wanted_ids)
    release = Release(indexer="Audio Tracker", title=f"{AUTHOR} - Mistborn Books 1-3 [M4B]", guid="pack",
                      seeders=9, size_bytes=900 * 1024 * 1024)  # fmt: skip
    packs = rank_packs(group.books, [release], QualityProfile(min_size_mb=0), known_positions=group.known_positions)
    decision = choose_pack(packs, {})
    assert decision.chosen is not None
    record = record_pack_grab(session, decision.chosen, decision, "cd" * 20, NOW)
    session.commit()
    return record.download_id


def statuses(session: Session, wanted_ids: list[int]) -> list[str]:
    session.expire_all()
    return [row.status for row in session.scalars(select(WantedBook).where(WantedBook.id.in_(wanted_ids)))]


def test_books_of_one_series_and_author_are_grouped_with_the_volumes_known(session: Session) -> None:
    wanted_ids = add_series(session)
    other = add_series(session, "The Stormlight Archive", ("The Way of Kings",))
    groups = pack_groups(session, [*wanted_ids, *other])
    assert [[book.wanted_id for book in group.books] for group in groups] == [wanted_ids]
    assert sorted(int(p) for p in groups[0].known_positions) == [1, 2, 3]


def test_one_download_holds_every_covered_book_and_no_single_grab_comes_beside_it(session: Session) -> None:
    wanted_ids = add_series(session)
    download_id = grab_pack(session, wanted_ids)

    assert statuses(session, wanted_ids) == ["grabbed"] * 3
    links = session.scalars(select(DownloadBook).where(DownloadBook.download_id == download_id)).all()
    assert sorted((link.wanted_book_id, link.position) for link in links) == list(zip(wanted_ids, "123", strict=True))
    held = session.get(WantedBook, wanted_ids[2])
    assert held is not None and "held by series pack download" in held.evidence["pack"]["why"]
    download = session.get(Download, download_id)
    assert download is not None and download.release["pack"]["volumes"] == ["1", "2", "3"]
    for wanted_id in wanted_ids:
        found = downloads.active_download(session, wanted_id)
        assert found is not None and found.id == download_id
    assert downloads.eligible_wanted(session, NOW, wanted_ids, None) == []
    try:
        downloads.record_grab(session, wanted_ids[1], _ranked_single(), "ef" * 20, NOW)
    except Conflict as exc:
        assert exc.code == "DOWNLOAD_ALREADY_EXISTS"
    else:
        raise AssertionError("a single grab beside the pack was allowed")


def _ranked_single() -> RankedRelease:
    wanted = WantedEdition(TITLES[1], (AUTHOR,), series="Mistborn", position="2")
    release = Release(indexer="Audio Tracker", title=f"{AUTHOR} - {TITLES[1]} [M4B]", guid="single", seeders=3)
    return rank(wanted, [release], QualityProfile(min_size_mb=0))[0]


def test_a_failed_pack_sends_every_covered_book_back_to_the_wanted_list(session: Session) -> None:
    wanted_ids = add_series(session)
    download = session.get(Download, grab_pack(session, wanted_ids))
    assert download is not None

    fail_attempt(session, download, "stalled", {}, now=NOW, max_attempts=3, retry_base_minutes=15)
    session.commit()

    assert statuses(session, wanted_ids) == ["wanted"] * 3
    assert sorted(downloads.eligible_wanted(session, NOW, wanted_ids, None)) == wanted_ids[1:], (
        "the first waits for its retry time; the others are free to be searched on their own"
    )


def test_the_retry_of_a_failed_pack_holds_only_the_book_it_is_grabbed_for(session: Session) -> None:
    wanted_ids = add_series(session)
    download = session.get(Download, grab_pack(session, wanted_ids))
    assert download is not None
    fail_attempt(session, download, "stalled", {}, now=NOW, max_attempts=3, retry_base_minutes=15)
    session.commit()

    record = downloads.record_grab(session, wanted_ids[1], _ranked_single(), "ef" * 20, NOW)
    session.commit()
    assert record.reused is False, "book 2 never had a download of its own"
    retried = downloads.record_grab(session, wanted_ids[0], _ranked_first(), "aa" * 20, NOW)
    session.commit()

    assert retried.reused and retried.download_id == download.id
    assert session.scalars(select(DownloadBook).where(DownloadBook.download_id == download.id)).all() == []
    assert downloads.active_download(session, wanted_ids[2]) is None, "book 3 is free to be grabbed"
    held = downloads.active_download(session, wanted_ids[1])
    assert held is not None and held.id == record.download_id


def _ranked_first() -> RankedRelease:
    wanted = WantedEdition(TITLES[0], (AUTHOR,), series="Mistborn", position="1")
    release = Release(indexer="Audio Tracker", title=f"{AUTHOR} - {TITLES[0]} [M4B]", guid="first", seeders=3)
    return rank(wanted, [release], QualityProfile(min_size_mb=0))[0]
