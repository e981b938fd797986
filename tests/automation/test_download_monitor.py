"""The download monitor against a real qBittorrent: progress, completion, stalls, retries and the last attempt."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from shelfkeeper.adapters import qbittorrent
from shelfkeeper.automation.acquisition import acquire_wanted
from shelfkeeper.automation.download_monitor import Watched, download_monitor_task, judge
from shelfkeeper.db.tables import BlocklistEntry, Download, FailedAttempt, WantedBook
from shelfkeeper.domain.releases.ranking import release_title_key
from shelfkeeper.domain.torrents.status import TorrentInfo, TorrentState
from tests.automation.acquisition_support import build_stack, unique_size, wait_until

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
STALL, METADATA = timedelta(minutes=120), timedelta(minutes=30)


def watched(status="downloading", progress=0.0, started=T0, last=T0) -> Watched:
    return Watched(1, "a" * 40, status, progress, started, last, "Some Book", "qbittorrent")


def torrent(state: TorrentState, progress: float = 0.0, raw: str = "x") -> TorrentInfo:
    return TorrentInfo(info_hash="a" * 40, name="n", state=state, raw_state=raw, progress=progress, size_bytes=1)


@pytest.mark.parametrize(
    ("row", "seen", "minutes_later", "expected"),
    [
        (watched(), None, 1, "the torrent is gone from the download client"),
        (watched(status="queued"), None, 500, None),  # not in the client yet: the grab is still adding it
        (watched(), torrent(TorrentState.ERROR, raw="error"), 0, "the download client reports an error (error)"),
        (watched(), torrent(TorrentState.MISSING_FILES), 0, "the torrent's files are missing"),
        (watched(), torrent(TorrentState.STALLED), 119, None),
        (watched(), torrent(TorrentState.STALLED), 120, "stalled: no progress for 120 minutes"),
        (watched(), torrent(TorrentState.DOWNLOADING), 121, "stalled: no progress for 121 minutes"),
        (watched(), torrent(TorrentState.UNKNOWN), 300, "stalled: no progress for 300 minutes"),
        (watched(progress=0.2), torrent(TorrentState.STALLED, 0.3), 500, None),  # it grew since the last look
        (watched(progress=0.3), torrent(TorrentState.STALLED, 0.3), 500, "stalled: no progress for 500 minutes"),
        (watched(last=T0 + timedelta(minutes=100)), torrent(TorrentState.STALLED), 200, None),
        (watched(last=None), torrent(TorrentState.STALLED), 130, "stalled: no progress for 130 minutes"),
        (watched(status="paused"), torrent(TorrentState.PAUSED), 5000, None),
        (watched(status="paused"), torrent(TorrentState.STALLED), 5000, None),  # a paused row is never stalled
        (watched(), torrent(TorrentState.CHECKING), 5000, None),
        (watched(), torrent(TorrentState.MOVING), 5000, None),
        (watched(), torrent(TorrentState.POST_PROCESSING), 5000, None),  # usenet: par repair or unpack takes time
        (
            watched(),
            dataclasses.replace(torrent(TorrentState.ERROR, raw="FAILURE/HEALTH"), error="too many articles missing"),
            0,
            "the download client reports an error (FAILURE/HEALTH: too many articles missing)",
        ),
        (watched(), torrent(TorrentState.QUEUED), 5000, None),  # the client's own queue, not a dead torrent
        (watched(), torrent(TorrentState.COMPLETED, 1.0), 5000, None),
        (watched(), torrent(TorrentState.METADATA), 29, None),
        (watched(), torrent(TorrentState.METADATA), 30, "no metadata received in 30 minutes"),
        (
            watched(last=T0 + timedelta(minutes=60)),
            torrent(TorrentState.METADATA),
            31,
            "no metadata received in 31 minutes",
        ),
    ],
)
def test_judge(row, seen, minutes_later, expected):
    assert judge(row, seen, T0 + timedelta(minutes=minutes_later), STALL, METADATA) == expected


def client_of(stack):
    qbt = stack.qbt
    return qbittorrent.build(qbt.host, qbt.port, qbt.username, qbt.password, timeout=5.0)


def in_client(stack, info_hash: str) -> TorrentInfo | None:
    found = asyncio.run(client_of(stack).info(hashes=[info_hash]))
    return found[0] if found else None


def settled(stack, info_hash: str) -> TorrentInfo:
    """Wait until the client has finished checking the torrent's files."""
    busy = (TorrentState.CHECKING, TorrentState.MOVING, TorrentState.QUEUED)
    return wait_until(lambda: in_client(stack, info_hash), lambda t: t is not None and t.state not in busy)


def monitor(stack):
    return stack.go(download_monitor_task, **{"import": False})


def rows(stack, table):
    with stack.context.sessions() as session:
        return list(session.scalars(select(table).order_by(table.id)))


def the_download(stack) -> Download:
    (row,) = rows(stack, Download)
    return row


def the_wanted(stack) -> WantedBook:
    (row,) = rows(stack, WantedBook)
    return row


def add_indexer(stack):
    if not stack.prowlarr.indexers:
        stack.prowlarr.add_indexer(1, "Audio Indexer", definition_name="cardigann")


def seed_real(stack, title: str, folder_name: str, *, drop_last_file: bool = False, **options):
    """A release whose data sits in the save path: the client finds it (all of it, or all but one file)."""
    add_indexer(stack)
    folder, torrent_bytes, _ = stack.book_folder(folder_name)
    if drop_last_file:
        sorted(folder.iterdir())[-1].unlink()
    return stack.prowlarr.add_release(title, indexer_id=1, torrent=torrent_bytes, size=unique_size(), **options)


def seed_dead(stack, title: str, **options):
    """A release whose data no peer has: it stays at 0 progress (stalledDL)."""
    add_indexer(stack)
    return stack.prowlarr.add_release(title, indexer_id=1, size=unique_size(), **options)


@pytest.fixture
def stack(engine, tmp_path):
    yield from build_stack(engine, tmp_path)


QBITTORRENT = pytest.mark.qbittorrent


@QBITTORRENT
def test_progress_completion_and_a_stall_of_real_torrents(stack):
    partial = seed_real(stack, "Andy Weir - Project Hail Mary [M4B]", "Project Hail Mary", drop_last_file=True)
    complete = seed_real(stack, "Andy Weir - The Martian [M4B]", "The Martian")
    stack.wanted("Project Hail Mary", "Andy Weir")
    stack.wanted("The Martian", "Andy Weir")
    assert stack.go(acquire_wanted).counts["grabbed"] == 2
    started = stack.clock.now
    assert 0 < settled(stack, partial.info_hash).progress < 1
    wait_until(lambda: in_client(stack, complete.info_hash), lambda t: t.state is TorrentState.COMPLETED)
    stack.clock.advance(minutes=1)
    result = monitor(stack)
    assert (result.counts["watched"], result.counts["updated"], result.counts["completed"]) == (2, 2, 1)
    by_hash = {row.info_hash: row for row in rows(stack, Download)}
    growing, done = by_hash[partial.info_hash], by_hash[complete.info_hash]
    assert growing.status == "downloading" and 0 < growing.progress < 1
    assert (growing.client_state, growing.last_progress_at) == ("stalledDL", stack.clock.now)
    assert growing.content_path and growing.save_path == str(stack.save_path)
    assert (done.status, done.progress, done.completed_at) == ("completed", 1.0, stack.clock.now)
    assert {w.title: w.status for w in rows(stack, WantedBook)} == {
        "Project Hail Mary": "grabbed",
        "The Martian": "downloaded",
    }
    stack.clock.advance(minutes=119)  # 119 minutes since it last grew: not stalled yet
    assert "failed" not in monitor(stack).counts
    stack.clock.advance(minutes=2)
    assert monitor(stack).counts["failed"] == 1
    failed = next(row for row in rows(stack, Download) if row.info_hash == partial.info_hash)
    assert (failed.status, failed.result) == ("failed", "stalled: no progress for 121 minutes")
    assert in_client(stack, partial.info_hash) is None
    assert any((stack.save_path).glob("Project Hail Mary */*"))  # some data came: the files are kept
    assert started < failed.next_retry_at


@QBITTORRENT
def test_a_dead_torrent_is_blocklisted_and_replaced_by_the_next_best_release(stack):
    dead = seed_dead(stack, "Andy Weir - Project Hail Mary [M4B]", seeders=50)
    alive = seed_real(stack, "Andy Weir - Project Hail Mary [MP3]", "Project Hail Mary mp3", seeders=2)
    stack.wanted("Project Hail Mary", "Andy Weir")
    stack.go(acquire_wanted)
    first = the_download(stack)
    assert first.info_hash == dead.info_hash  # m4b ranks first
    assert settled(stack, dead.info_hash).raw_state == "stalledDL"
    stack.clock.advance(minutes=1)
    assert "failed" not in monitor(stack).counts
    stack.clock.advance(minutes=121)
    result = monitor(stack)
    assert (result.counts["failed"], result.counts["retry_scheduled"]) == (1, 1)
    failed = the_download(stack)
    assert failed.status == "failed" and failed.result.startswith("stalled: no progress for 122 minutes")
    assert failed.next_retry_at == stack.clock.now + timedelta(minutes=15)
    assert in_client(stack, dead.info_hash) is None
    (entry,) = rows(stack, BlocklistEntry)
    assert (entry.info_hash, entry.title_key, entry.indexer) == (
        dead.info_hash,
        release_title_key(dead.title),
        "Audio Indexer",
    )
    (attempt,) = rows(stack, FailedAttempt)
    assert (attempt.kind, attempt.download_id, attempt.reason) == ("download", failed.id, failed.result)
    assert attempt.evidence["client_state"] == "stalledDL" and attempt.evidence["progress"] == 0
    assert (attempt.evidence["attempt"], attempt.evidence["max_attempts"]) == (1, 3)
    assert the_wanted(stack).status == "wanted"
    stack.clock.advance(minutes=14)
    assert not any(name.startswith("retry_") for name in monitor(stack).counts)  # backoff not over
    stack.clock.advance(minutes=2)
    assert monitor(stack).counts["retry_grabbed"] == 1
    retried = the_download(stack)
    assert (retried.id, retried.info_hash, retried.retry_count) == (failed.id, alive.info_hash, 1)
    assert retried.status == "downloading" and retried.release["previous"][0]["info_hash"] == dead.info_hash
    assert len(retried.release["failures"]) == 1
    assert the_wanted(stack).status == "grabbed"
    wait_until(lambda: in_client(stack, alive.info_hash), lambda t: t.state is TorrentState.COMPLETED)
    stack.clock.advance(minutes=1)
    monitor(stack)
    assert the_download(stack).status == "completed" and the_wanted(stack).status == "downloaded"
    handed_over = stack.go(download_monitor_task).counts  # with the import on, the finished download goes to it
    assert handed_over.get("import_attempts", 0) + handed_over.get("import_errors", 0) == 1


@QBITTORRENT
def test_after_the_last_attempt_the_wanted_book_fails_with_the_evidence(engine, tmp_path):
    for stack in build_stack(engine, tmp_path, download_max_attempts=2):
        first = seed_dead(stack, "Andy Weir - Project Hail Mary [M4B]")
        second = seed_dead(stack, "Andy Weir - Project Hail Mary [MP3]")
        stack.wanted("Project Hail Mary", "Andy Weir")
        stack.go(acquire_wanted)
        settled(stack, first.info_hash)
        stack.clock.advance(minutes=121)
        assert monitor(stack).counts["retry_scheduled"] == 1
        stack.clock.advance(minutes=16)
        assert monitor(stack).counts["retry_grabbed"] == 1
        assert the_download(stack).info_hash == second.info_hash
        settled(stack, second.info_hash)
        stack.clock.advance(minutes=121)
        assert monitor(stack).counts["wanted_failed"] == 1
        last = the_download(stack)
        assert (last.status, last.next_retry_at, len(last.release["failures"])) == ("failed", None, 2)
        wanted = the_wanted(stack)
        assert wanted.status == "failed"
        assert wanted.evidence["acquisition_failure"]["attempt"] == 2
        assert wanted.evidence["acquisition_failure"]["download_id"] == last.id
        assert {e.info_hash for e in rows(stack, BlocklistEntry)} == {first.info_hash, second.info_hash}
        assert [a.evidence["next_retry_at"] is None for a in rows(stack, FailedAttempt)] == [False, True]
        stack.clock.advance(days=2)
        assert not any(name.startswith("retry_") for name in monitor(stack).counts)
        assert stack.go(acquire_wanted).counts == {"considered": 0}


@QBITTORRENT
def test_a_magnet_without_metadata_fails_after_the_timeout(stack):
    add_indexer(stack)
    magnet_hash = f"{unique_size():040x}"[-40:]
    stack.prowlarr.add_release(
        "Andy Weir - Project Hail Mary [M4B]",
        indexer_id=1,
        magnet=f"magnet:?xt=urn:btih:{magnet_hash}&dn=Project+Hail+Mary",
        info_hash=magnet_hash,
        size=unique_size(),
    )
    stack.wanted("Project Hail Mary", "Andy Weir")
    stack.go(acquire_wanted)
    assert the_download(stack).info_hash == magnet_hash
    assert settled(stack, magnet_hash).state is TorrentState.METADATA
    stack.clock.advance(minutes=29)
    assert "failed" not in monitor(stack).counts
    stack.clock.advance(minutes=2)
    assert monitor(stack).counts["failed"] == 1
    assert the_download(stack).result == "no metadata received in 31 minutes"
    assert in_client(stack, magnet_hash) is None


@QBITTORRENT
def test_a_torrent_removed_from_the_client_fails_the_attempt(stack):
    dead = seed_dead(stack, "Andy Weir - Project Hail Mary [M4B]")
    stack.wanted("Project Hail Mary", "Andy Weir")
    stack.go(acquire_wanted)
    settled(stack, dead.info_hash)
    asyncio.run(client_of(stack).delete([dead.info_hash], delete_files=True))
    assert monitor(stack).counts["failed"] == 1
    row = the_download(stack)
    assert row.result == "the torrent is gone from the download client"
    (attempt,) = rows(stack, FailedAttempt)
    assert "client_state" not in attempt.evidence


@QBITTORRENT
def test_a_torrent_paused_in_the_client_is_paused_in_the_queue_and_never_stalls(stack):
    dead = seed_dead(stack, "Andy Weir - Project Hail Mary [M4B]")
    stack.wanted("Project Hail Mary", "Andy Weir")
    stack.go(acquire_wanted)
    settled(stack, dead.info_hash)
    asyncio.run(client_of(stack).pause([dead.info_hash]))
    wait_until(lambda: in_client(stack, dead.info_hash), lambda t: t.state is TorrentState.PAUSED)
    monitor(stack)
    assert the_download(stack).status == "paused"
    stack.clock.advance(days=3)
    assert "failed" not in monitor(stack).counts
    assert the_download(stack).status == "paused"
