"""Grabbing: the Download row first, then qBittorrent with category, tags and save path; never twice, even racing."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from shelfkeeper.adapters import qbittorrent
from shelfkeeper.automation.acquisition import GrabOutcome, acquire_wanted, grab
from shelfkeeper.automation.download_monitor import download_monitor_task
from shelfkeeper.automation.release_search import search_releases
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import BlocklistEntry, Download, FailedAttempt, WantedBook
from shelfkeeper.domain.releases.ranking import QualityProfile, rank
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.verification import WantedEdition
from shelfkeeper.errors import Conflict
from shelfkeeper.services.downloads import GrabRecord, record_grab
from shelfkeeper.testing.doubles import InMemoryDownloadClient
from shelfkeeper.testing.torrents import bencode
from tests.automation.acquisition_support import build_stack, unique_size

HAIL_MARY = WantedEdition(title="Project Hail Mary", authors=("Andy Weir",))


@pytest.fixture
def stack(engine, tmp_path):
    yield from build_stack(engine, tmp_path)


@pytest.fixture
def offline(engine, tmp_path):
    """The fakes, and a qBittorrent address where nothing listens."""
    yield from build_stack(engine, tmp_path, qbittorrent=False)


def client_of(stack):
    qbt = stack.qbt
    return qbittorrent.build(qbt.host, qbt.port, qbt.username, qbt.password, timeout=5.0)


def downloads_of(stack) -> list[Download]:
    with stack.context.sessions() as session:
        return list(session.scalars(select(Download).order_by(Download.id)))


def wanted_row(stack, wanted_id: int) -> WantedBook:
    with stack.context.sessions() as session:
        row = session.get(WantedBook, wanted_id)
        assert row is not None
        return row


def seed_hail_mary(stack, *, indexer_id: int = 1, **options):
    if indexer_id not in stack.prowlarr.indexers:
        stack.prowlarr.add_indexer(indexer_id, f"Indexer {indexer_id}", definition_name="cardigann")
    title = options.pop("title", "Andy Weir - Project Hail Mary [M4B]")
    return stack.prowlarr.add_release(title, indexer_id=indexer_id, size=unique_size(), **options)


@pytest.mark.qbittorrent
def test_grab_adds_the_torrent_with_category_tags_and_save_path(stack):
    release = seed_hail_mary(stack)
    wanted_id = stack.wanted("Project Hail Mary", "Andy Weir")
    result = stack.go(acquire_wanted)
    assert result.counts == {"considered": 1, "searched": 1, "grabbed": 1}
    (row,) = downloads_of(stack)
    assert (row.wanted_book_id, row.info_hash, row.status) == (wanted_id, release.info_hash, "downloading")
    assert row.release["accepted"] is True and row.release["score"] > 0
    assert "format m4b (+30)" in row.release["summary"]
    assert row.release["release"]["title"] == release.title
    assert row.started_at == stack.clock.now and row.save_path == str(stack.save_path)
    (torrent,) = asyncio.run(client_of(stack).info(hashes=[release.info_hash]))
    assert torrent.category == "sk-tests"
    assert set(torrent.tags) == {"shelfkeeper", f"sk-{row.id}"}
    assert torrent.save_path == str(stack.save_path)
    missing = wanted_row(stack, wanted_id)
    assert missing.status == "grabbed" and missing.search_count == 1
    assert missing.evidence["last_search"]["best"]["title"] == release.title


@pytest.fixture
def in_memory(engine, tmp_path):
    """The fakes, and an in-memory download client (for what is decided in the database, not by qBittorrent)."""
    for built in build_stack(engine, tmp_path, qbittorrent=False):
        built.adapters["qbittorrent"] = InMemoryDownloadClient()
        built.fresh_integrations()
        yield built


def test_a_second_grab_of_the_same_book_or_the_same_torrent_is_refused(in_memory):
    stack, client = in_memory, in_memory.adapters["qbittorrent"]
    release = seed_hail_mary(stack)
    wanted_id = stack.wanted("Project Hail Mary", "Andy Weir")
    ranked = stack.go(lambda run: search_releases(run, HAIL_MARY))
    stack.go(lambda run: grab(run, wanted_id, ranked[0]))
    with pytest.raises(Conflict) as same_book:
        stack.go(lambda run: grab(run, wanted_id, ranked[0]))
    assert (same_book.value.code, same_book.value.details["kind"]) == ("DOWNLOAD_ALREADY_EXISTS", "book")
    other_id = stack.wanted("Project Hail Mary", "Andy Weir", series_name="duplicate row")
    with pytest.raises(Conflict) as same_torrent:
        stack.go(lambda run: grab(run, other_id, ranked[0]))
    assert same_torrent.value.details["kind"] == "torrent"
    again = stack.go(acquire_wanted)  # the grabbed book is left alone; the other finds only a taken torrent
    assert again.counts == {"considered": 1, "searched": 1, "grab_failed": 1}
    assert [d.info_hash for d in downloads_of(stack)] == [release.info_hash]
    assert len(asyncio.run(client.info(hashes=[release.info_hash]))) == 1
    assert len(client.called("add")) == 1, "a refused grab never reaches the client"
    assert wanted_row(stack, other_id).status == "wanted"


@pytest.mark.qbittorrent
def test_two_racing_grabs_of_one_book_make_exactly_one_download(stack):
    seed_hail_mary(stack)
    wanted_id = stack.wanted("Project Hail Mary", "Andy Weir")
    ranked = stack.go(lambda run: search_releases(run, HAIL_MARY))

    async def race(run):
        return await asyncio.gather(*(grab(run, wanted_id, ranked[0]) for _ in range(2)), return_exceptions=True)

    outcomes = stack.go(race)
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "GrabOutcome"]
    (row,) = downloads_of(stack)
    winner = next(o for o in outcomes if isinstance(o, GrabOutcome))
    assert winner.download_id == row.id
    (torrent,) = asyncio.run(client_of(stack).info(hashes=[row.info_hash]))  # one torrent, tagged for the row
    assert f"sk-{row.id}" in torrent.tags


def ranked_release(info_hash: str, title: str = "Andy Weir - Project Hail Mary [M4B]"):
    release = Release(indexer="X", title=title, guid=info_hash, info_hash=info_hash, size_bytes=900 * 1024 * 1024)
    return rank(HAIL_MARY, [release], QualityProfile())[0]


@pytest.mark.parametrize("race", ["one book, two torrents", "two books, one torrent"])
def test_racing_transactions_on_two_connections_write_one_row(offline, race):
    first = offline.wanted("Project Hail Mary", "Andy Weir")
    second = first if race.startswith("one book") else offline.wanted("Project Hail Mary", "Andy Weir")
    attempts = [(first, "1" * 40), (second, "2" * 40 if second == first else "1" * 40)]
    barrier = threading.Barrier(2)

    def attempt(wanted_id: int, info_hash: str) -> GrabRecord | Conflict:
        barrier.wait()
        try:
            with unit_of_work(offline.context.sessions) as session:
                return record_grab(session, wanted_id, ranked_release(info_hash), info_hash, offline.clock.now)
        except Conflict as exc:
            return exc

    with ThreadPoolExecutor(2) as pool:
        outcomes = [f.result() for f in [pool.submit(attempt, *a) for a in attempts]]
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "GrabRecord"]
    assert all(o.code == "DOWNLOAD_ALREADY_EXISTS" for o in outcomes if isinstance(o, Conflict))
    assert len(downloads_of(offline)) == 1


def test_when_the_client_cannot_be_reached_the_row_fails_and_the_book_waits(offline):
    release = seed_hail_mary(offline)
    wanted_id = offline.wanted("Project Hail Mary", "Andy Weir")
    other_id = offline.wanted("The Martian", "Andy Weir")
    offline.prowlarr.add_release("Andy Weir - The Martian [M4B]", indexer_id=1, size=unique_size())
    result = offline.go(acquire_wanted)
    assert result.counts["grab_failed"] == 1 and "grabbed" not in result.counts
    stopped = result.metrics["stopped"]  # the second book is not even searched
    assert stopped.startswith("download_client: no torrent client took the torrent (qbittorrent: cannot reach")
    (row,) = downloads_of(offline)
    assert (row.status, row.info_hash, row.retry_count) == ("failed", release.info_hash, 0)
    assert "did not take the torrent" in row.result
    assert row.next_retry_at == offline.clock.now + timedelta(minutes=15)
    assert wanted_row(offline, wanted_id).status == "wanted"
    assert wanted_row(offline, other_id).search_count == 0
    with offline.context.sessions() as session:
        (failure,) = session.scalars(select(FailedAttempt))
    assert (failure.kind, failure.download_id, failure.wanted_book_id) == ("download", row.id, wanted_id)
    assert offline.go(lambda run: acquire_wanted(run, [wanted_id])).counts == {"considered": 0}  # retry not due
    offline.clock.advance(minutes=16)
    offline.go(lambda run: acquire_wanted(run, [wanted_id]))
    (again,) = downloads_of(offline)  # the failed row is re-queued in place: its hash is still its own
    assert (again.id, again.retry_count, again.status) == (row.id, 1, "failed")
    assert again.release["previous"][0]["info_hash"] == release.info_hash


def test_only_approved_released_wanted_books_are_searched_in_priority_order(offline):
    offline.prowlarr.add_indexer(1, "Indexer 1", definition_name="cardigann")
    low = offline.wanted("Project Hail Mary", "Andy Weir")
    high = offline.wanted("The Martian", "Andy Weir", priority=5)
    offline.wanted("Artemis", "Andy Weir", approved=False)
    offline.wanted("Upcoming Book", "Andy Weir", upcoming=True)
    offline.wanted("Ignored Book", "Andy Weir", status="ignored")
    first = offline.go(lambda run: acquire_wanted(run, limit=1))
    assert first.counts == {"considered": 1, "searched": 1, "no_release": 1}
    assert wanted_row(offline, high).search_count == 1 and wanted_row(offline, low).search_count == 0
    second = offline.go(acquire_wanted, limit=5)  # run.parameters["limit"], as a triggered job gets it
    assert second.counts["considered"] == 2  # searched least recently first: both again, none grabbed
    assert wanted_row(offline, low).last_searched_at == offline.clock.now


@pytest.mark.qbittorrent
def test_a_download_recorded_but_never_added_is_added_on_the_next_run(stack):
    release = seed_hail_mary(stack)
    wanted_id = stack.wanted("Project Hail Mary", "Andy Weir")
    ranked = stack.go(lambda run: search_releases(run, HAIL_MARY))[0]
    with unit_of_work(stack.context.sessions) as session:  # a crash right after the row was written
        record_grab(session, wanted_id, ranked, release.info_hash, stack.clock.now)
    assert stack.go(acquire_wanted).counts == {"considered": 0}  # too recent to be called stranded
    stack.clock.advance(minutes=2)
    result = stack.go(download_monitor_task, **{"import": False})
    assert result.counts["resumed"] == 1
    (row,) = downloads_of(stack)
    assert row.status == "downloading"
    (torrent,) = asyncio.run(client_of(stack).info(hashes=[release.info_hash]))
    assert f"sk-{row.id}" in torrent.tags


@pytest.mark.qbittorrent
def test_a_release_that_needs_a_wedge_gets_an_owned_one_spent_and_is_grabbed(engine, tmp_path):
    for stack in build_stack(engine, tmp_path, mam_use_wedges=True):
        needs_a_wedge(stack)


def needs_a_wedge(stack):
    stack.mam.user.ratio, stack.mam.user.wedges = 0.5, 3
    stack.mam.add_torrent("Project Hail Mary", id=9001, authors=["Andy Weir"], size=unique_size(900))
    wanted_id = stack.wanted("Project Hail Mary", "Andy Weir")
    ranked = stack.go(lambda run: search_releases(run, HAIL_MARY))[0]
    assert ranked.accepted and ranked.wedge is not None and ranked.wedge.use_wedge
    assert stack.go(acquire_wanted).counts["grabbed"] == 1
    (download,) = downloads_of(stack)
    assert download.wanted_book_id == wanted_id and download.release["wedge"]["use_wedge"] is True
    assert download.release["autopilot"]["action"] == "apply_wedge" and download.release["autopilot"]["wedge_applied"]
    assert stack.mam.torrents[9001].personal_freeleech and stack.mam.user.wedges == 2


@pytest.mark.qbittorrent
def test_a_torrent_the_client_refuses_is_a_failed_attempt_of_that_release(stack):
    broken = bencode({"info": {"name": "Project Hail Mary", "length": 10, "piece length": 16384, "pieces": b"x"}})
    release = seed_hail_mary(stack, torrent=broken)
    wanted_id = stack.wanted("Project Hail Mary", "Andy Weir")
    assert stack.go(acquire_wanted).counts["grab_failed"] == 1
    row = downloads_of(stack)[0]
    assert row.status == "failed" and row.result.startswith("the download client did not take the torrent")
    assert len(row.release["failures"]) == 1 and row.next_retry_at is not None
    with stack.context.sessions() as session:
        (entry,) = session.scalars(select(BlocklistEntry))
    assert entry.info_hash == release.info_hash
    assert wanted_row(stack, wanted_id).status == "wanted"


@pytest.mark.qbittorrent
def test_a_stranded_download_whose_torrent_is_gone_from_the_indexer_fails(stack):
    release = seed_hail_mary(stack)
    wanted_id = stack.wanted("Project Hail Mary", "Andy Weir")
    ranked = stack.go(lambda run: search_releases(run, HAIL_MARY))[0]
    with unit_of_work(stack.context.sessions) as session:
        record_grab(session, wanted_id, ranked, release.info_hash, stack.clock.now)
    release.unavailable = True
    stack.clock.advance(minutes=2)
    stack.go(download_monitor_task, **{"import": False})
    (row,) = downloads_of(stack)
    assert row.status == "failed" and row.result.startswith("the torrent could not be fetched again")
    assert wanted_row(stack, wanted_id).status == "wanted"
