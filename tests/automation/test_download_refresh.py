"""The fast download refresh: the client's progress into the rows between monitor runs, only when worth it, never
two at once, quiet about a client that is down."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from sqlalchemy import Engine

from shelfkeeper.automation.download_refresh import DownloadRefresher, refresh_client_state
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.context import AppContext
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import Download, WantedBook
from shelfkeeper.domain.torrents.status import TorrentInfo, TorrentState
from shelfkeeper.errors import ServiceUnreachable
from shelfkeeper.integrations import Integrations
from shelfkeeper.settings import Settings
from shelfkeeper.testing.doubles.downloads import InMemoryDownloadClient

MOVING, RESTING = "1" * 40, "2" * 40


def build(engine: Engine, tmp_path: Path, **values: object) -> tuple[AppContext, InMemoryDownloadClient]:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", run_scheduler=False, **values)  # type: ignore[arg-type]
    context = AppContext.from_settings(settings, engine=engine)
    client = InMemoryDownloadClient()
    context.integrations = Integrations(context, adapters={"qbittorrent": client})
    return context, client


def torrent(info_hash: str, progress: float, state: TorrentState = TorrentState.DOWNLOADING) -> TorrentInfo:
    return TorrentInfo(info_hash=info_hash, name=info_hash[:4], state=state, raw_state=str(state), progress=progress,
                       size_bytes=1000, eta_seconds=120, download_speed=500)  # fmt: skip


def arrange(context: AppContext, info_hash: str, status: str, progress: float = 0.1) -> tuple[int, int]:
    with unit_of_work(context.sessions) as session:
        wanted = WantedBook(title=f"Book {info_hash[:4]}", reason="manual", source="test", dedupe_key=info_hash,
                            status="grabbed")  # fmt: skip
        session.add(wanted)
        session.flush()
        download = Download(wanted_book_id=wanted.id, indexer="Test", release_title=f"Release {info_hash[:4]}",
                            guid=info_hash, info_hash=info_hash, status=status, progress=progress)  # fmt: skip
        session.add(download)
        session.flush()
        return wanted.id, download.id


def fetch(context: AppContext, table: type, row_id: int) -> object:
    with context.sessions() as session:
        row = session.get(table, row_id)
        assert row is not None
        session.expunge(row)
        return row


def test_progress_speed_and_eta_come_from_the_client(engine: Engine, tmp_path: Path) -> None:
    context, client = build(engine, tmp_path)
    _, download_id = arrange(context, MOVING, "downloading")
    client.torrents[MOVING] = torrent(MOVING, 0.45)
    result = asyncio.run(refresh_client_state(RunContext(app=context), include_paused=False))
    assert (result.read, result.updated, result.completed, result.error) == (1, 1, 0, None)
    row = fetch(context, Download, download_id)
    assert (row.progress, row.download_speed, row.eta_seconds, row.client_state) == (0.45, 500, 120, "downloading")
    assert row.last_progress_at is not None  # the stall clock moves with the progress


def test_a_finished_torrent_is_marked_completed_and_left_for_the_monitor_to_import(
    engine: Engine, tmp_path: Path
) -> None:
    context, client = build(engine, tmp_path)
    wanted_id, download_id = arrange(context, MOVING, "downloading")
    client.torrents[MOVING] = torrent(MOVING, 1.0, TorrentState.COMPLETED)
    result = asyncio.run(refresh_client_state(RunContext(app=context), include_paused=False))
    assert result.completed == 1
    assert fetch(context, Download, download_id).status == "completed"  # not importing: that is the monitor's
    assert fetch(context, WantedBook, wanted_id).status == "downloaded"


def test_the_client_is_not_asked_when_nothing_moves_and_no_page_looks(engine: Engine, tmp_path: Path) -> None:
    context, client = build(engine, tmp_path)
    _, download_id = arrange(context, RESTING, "paused")
    client.torrents[RESTING] = torrent(RESTING, 0.3, TorrentState.DOWNLOADING)  # resumed in the client by hand
    assert asyncio.run(refresh_client_state(RunContext(app=context), include_paused=False)).read == 0
    assert client.called("info") == []
    # With a page open, paused downloads are read too: the row follows the client.
    result = asyncio.run(refresh_client_state(RunContext(app=context), include_paused=True))
    assert result.updated == 1
    assert fetch(context, Download, download_id).status == "downloading"


def test_a_down_client_is_reported_once_and_tried_again(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    context, client = build(engine, tmp_path, download_refresh_seconds=1)
    arrange(context, MOVING, "downloading")
    client.torrents[MOVING] = torrent(MOVING, 0.6)
    client.fail("info", ServiceUnreachable("qbittorrent", "connection refused"), times=2)
    refresher = DownloadRefresher(context)

    async def three_ticks() -> list[object]:
        answers = []
        for _ in range(3):
            refresher._last_started = None  # due again at once: the interval is not what is tested here
            answers.append(await refresher.tick())
        return answers

    with caplog.at_level(logging.INFO, logger="shelfkeeper.automation"):
        first, second, third = asyncio.run(three_ticks())
    assert first.error == second.error == "qbittorrent: connection refused"  # type: ignore[union-attr]
    assert third.updated == 1 and third.error is None  # type: ignore[union-attr]
    warnings = [r for r in caplog.records if "cannot be read" in r.getMessage()]
    assert len(warnings) == 1
    assert any("answers again" in r.getMessage() for r in caplog.records)


def test_runs_never_overlap_and_wait_for_their_interval(engine: Engine, tmp_path: Path) -> None:
    context, client = build(engine, tmp_path, download_refresh_seconds=60)
    arrange(context, MOVING, "downloading")
    client.torrents[MOVING] = torrent(MOVING, 0.2)
    refresher = DownloadRefresher(context)
    release = asyncio.Event()
    answer = client.info

    async def slow_info(**kwargs: object) -> list[TorrentInfo]:
        await release.wait()
        return await answer(**kwargs)  # type: ignore[arg-type]

    client.info = slow_info  # type: ignore[method-assign]

    async def race() -> tuple[object, object, object]:
        first = asyncio.create_task(refresher.tick())
        await asyncio.sleep(0.05)
        during = await refresher.tick()  # the first is still reading the client
        release.set()
        done = await first
        after = await refresher.tick()  # within the interval
        return done, during, after

    done, during, after = asyncio.run(race())
    assert done.updated == 1  # type: ignore[attr-defined]
    assert during is None and after is None


def test_turned_off_or_without_a_client_nothing_runs(engine: Engine, tmp_path: Path) -> None:
    context, client = build(engine, tmp_path, download_refresh_seconds=0)
    arrange(context, MOVING, "downloading")
    assert asyncio.run(DownloadRefresher(context).tick()) is None
    assert client.called("info") == []
    bare = AppContext.from_settings(
        Settings(_env_file=None, data_dir=tmp_path / "bare", run_scheduler=False), engine=engine
    )  # type: ignore[call-arg]
    assert asyncio.run(DownloadRefresher(bare).tick()) is None  # qBittorrent not configured: nothing asked
