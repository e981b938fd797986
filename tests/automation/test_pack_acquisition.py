"""Acquisition with series packs, against the Prowlarr and MAM fakes over HTTP and an in-memory download client
(the e2e test grabs a real pack with real qBittorrents): a pack when it is the better choice, single books when
it is not or when packs are turned off, and a pack of another series never. Both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from shelfkeeper.automation.acquisition import acquire_wanted
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import Download, DownloadBook, TrackerPurchase, WantedBook
from shelfkeeper.domain.releases.tracker import BonusAnswer, PurchaseKind
from shelfkeeper.services.tracker_ledger import record_purchase
from shelfkeeper.testing.doubles import InMemoryDownloadClient
from tests.automation.acquisition_support import Stack, build_stack, unique_size

AUTHOR, SERIES = "Brandon Sanderson", "Mistborn"
TITLES = ("The Final Empire", "The Well of Ascension", "The Hero of Ages")


def stack_with(engine: Engine, tmp_path: Path, **overrides: Any) -> Iterator[Stack]:
    for built in build_stack(engine, tmp_path, qbittorrent=False, quality_min_size_mb=0, **overrides):
        built.adapters["qbittorrent"] = InMemoryDownloadClient()
        built.fresh_integrations()
        built.prowlarr.add_indexer(1, "Audio Tracker", definition_name="cardigann")
        yield built


@pytest.fixture
def stack(engine: Engine, tmp_path: Path) -> Iterator[Stack]:
    yield from stack_with(engine, tmp_path)


@pytest.fixture
def no_packs(engine: Engine, tmp_path: Path) -> Iterator[Stack]:
    yield from stack_with(engine, tmp_path, quality_series_packs=False)


def arrange(stack: Stack, *, pack_seeders: int = 20) -> list[int]:
    """Three wanted books of Mistborn, their single releases, a Mistborn pack and another series' pack."""
    stack.prowlarr.add_release(f"{AUTHOR} - {SERIES} Books 1-3 [M4B]", indexer_id=1, size=unique_size(900),
                               seeders=pack_seeders)  # fmt: skip
    stack.prowlarr.add_release(f"{AUTHOR} - {SERIES}: Wax and Wayne Books 1-4 [M4B]", indexer_id=1,
                               size=unique_size(900), seeders=500)  # fmt: skip
    for number, title in enumerate(TITLES, start=1):
        stack.prowlarr.add_release(f"{AUTHOR} - {title} ({SERIES} {number}) [M4B]", indexer_id=1,
                                   size=unique_size(300), seeders=20)  # fmt: skip
    return [
        stack.wanted(title, AUTHOR, series_name=SERIES, series_position=str(number), approved=True)
        for number, title in enumerate(TITLES, start=1)
    ]


def downloads_of(stack: Stack) -> list[Download]:
    with unit_of_work(stack.context.sessions) as session:
        rows = list(session.scalars(select(Download).order_by(Download.id)))
        session.expunge_all()
        return rows


def links(stack: Stack) -> list[tuple[int, int]]:
    with unit_of_work(stack.context.sessions) as session:
        return [(r.download_id, r.wanted_book_id) for r in session.scalars(select(DownloadBook))]


def wanted(stack: Stack, wanted_id: int) -> WantedBook:
    with unit_of_work(stack.context.sessions) as session:
        row = session.get(WantedBook, wanted_id)
        assert row is not None
        session.expunge(row)
        return row


def test_the_pack_is_grabbed_once_for_the_three_books(stack: Stack) -> None:
    wanted_ids = arrange(stack)

    result = stack.go(acquire_wanted)

    assert result.counts == {"considered": 3, "searched": 3, "pack_searches": 1, "pack_grabbed": 1, "grabbed": 1}
    (download,) = downloads_of(stack)
    assert download.release_title == f"{AUTHOR} - {SERIES} Books 1-3 [M4B]"
    assert sorted(links(stack)) == [(download.id, wanted_id) for wanted_id in wanted_ids]
    assert all(wanted(stack, wanted_id).status == "grabbed" for wanted_id in wanted_ids)
    note = wanted(stack, wanted_ids[1]).evidence["last_search"]["pack"]
    assert note["chosen"] == download.release_title and any("the pack is grabbed" in r for r in note["reasons"])
    assert stack.go(acquire_wanted).counts.get("searched") is None, "the covered books are not searched again"


def test_single_books_are_grabbed_when_the_pack_is_worse(stack: Stack) -> None:
    wanted_ids = arrange(stack, pack_seeders=0)  # below the minimum seeders: rejected

    result = stack.go(acquire_wanted)

    assert (result.counts.get("grabbed"), result.counts.get("pack_grabbed")) == (3, None), result.counts
    assert [d.wanted_book_id for d in downloads_of(stack)] == wanted_ids
    assert links(stack) == []
    reasons = wanted(stack, wanted_ids[0]).evidence["last_search"]["pack"]["reasons"]
    assert reasons == ["no acceptable pack (1 found, each rejected) (+0)"]


def test_with_packs_turned_off_every_book_is_grabbed_on_its_own(no_packs: Stack) -> None:
    wanted_ids = arrange(no_packs)

    result = no_packs.go(acquire_wanted)

    assert result.counts == {"considered": 3, "searched": 3, "grabbed": 3}
    assert [d.wanted_book_id for d in downloads_of(no_packs)] == wanted_ids
    assert "Books" not in " ".join(d.release_title for d in downloads_of(no_packs))


# ---- the MAM ratio autopilot on a pack -----------------------------------------------------------------------------

GIB = 1024**3
AUTOPILOT = {"mam_use_wedges": True, "mam_buy_wedges": True, "mam_daily_purchase_cap": 3, "mam_points_reserve": 1000}
MAM_PACK = f"{SERIES} Books 1-3"


@pytest.fixture
def autopilot(engine: Engine, tmp_path: Path) -> Iterator[Stack]:
    yield from stack_with(engine, tmp_path, **AUTOPILOT)


def near_the_floor_with_a_pack(stack: Stack) -> list[int]:
    """Ratio 1.02, no wedge, 60 000 points; MAM's only release is a 900 MiB Mistborn pack (not freeleech), which
    would end the ratio at 0.94, under the 1.0 floor. The three books are wanted."""
    user = stack.mam.user
    user.uploaded_bytes, user.downloaded_bytes = 10 * GIB, int(9.8 * GIB)
    user.ratio, user.wedges, user.seedbonus = 1.02, 0, 60_000
    stack.mam.add_torrent(MAM_PACK, id=7100, authors=[AUTHOR], series=[[SERIES, "1-3"]], size=unique_size(900))
    return [
        stack.wanted(title, AUTHOR, series_name=SERIES, series_position=str(number), approved=True)
        for number, title in enumerate(TITLES, start=1)
    ]


def test_a_pack_that_would_cross_the_ratio_floor_gets_a_wedge_bought_and_spent_before_it_is_fetched(
    autopilot: Stack,
) -> None:
    wanted_ids = near_the_floor_with_a_pack(autopilot)

    result = autopilot.go(acquire_wanted)

    assert result.counts.get("pack_grabbed") == 1, result.counts
    (download,) = downloads_of(autopilot)
    assert download.release_title == MAM_PACK and download.indexer == "MyAnonamouse"
    assert sorted(links(autopilot)) == [(download.id, wanted_id) for wanted_id in wanted_ids]
    order = [path for _, path, _ in autopilot.mam.requests]
    bonus = [dict(query)["spendtype"] for _, path, query in autopilot.mam.requests if path.startswith("/json/bonus")]
    assert bonus == ["wedges", "personalFL"], "a wedge bought with points, then spent on the pack"
    fetched = next(i for i, p in enumerate(order) if p.startswith("/tor/download.php"))
    assert max(i for i, p in enumerate(order) if p.startswith("/json/bonus")) < fetched, "before the torrent"
    assert autopilot.mam.torrents[7100].personal_freeleech
    assert (autopilot.mam.user.wedges, autopilot.mam.user.seedbonus) == (0, 10_000)
    decision = download.release["autopilot"]
    assert decision["action"] == "buy_and_apply" and decision["wedge_applied"] and decision["wedge_bought"]
    assert decision["ratio_after"] < 1.0, "the forecast used the pack's size"
    with unit_of_work(autopilot.context.sessions) as session:
        spent = session.scalars(select(TrackerPurchase).where(TrackerPurchase.kind == "apply_wedge")).one()
        assert (spent.success, spent.torrent_id, spent.wanted_book_id) == (True, 7100, wanted_ids[0])


def test_a_pack_that_would_cross_the_floor_with_the_daily_cap_reached_waits_and_each_book_says_why(
    autopilot: Stack,
) -> None:
    wanted_ids = near_the_floor_with_a_pack(autopilot)
    with unit_of_work(autopilot.context.sessions) as session:  # today's three purchases are used up
        for hours in (1, 2, 3):
            record_purchase(session, autopilot.clock.now - timedelta(hours=hours), PurchaseKind.BUY_UPLOAD,
                            BonusAnswer(True), amount=1, cost_points=500)  # fmt: skip

    result = autopilot.go(acquire_wanted)

    assert result.counts.get("pack_ratio_wait") == 1 and result.counts.get("grabbed") is None, result.counts
    assert downloads_of(autopilot) == [] and autopilot.mam.downloads == []
    assert [p for _, p, _ in autopilot.mam.requests if p.startswith("/json/bonus")] == [], "nothing bought"
    for wanted_id in wanted_ids:
        row = wanted(autopilot, wanted_id)
        assert row.status == "wanted", "the next search tries again"
        (wait,) = row.evidence["ratio_wait"]["releases"]
        assert (wait["title"], wait["pack"], wait["action"]) == (MAM_PACK, True, "wait")
        assert [r["code"] for r in wait["reasons"]] == ["under_floor", "daily_cap_reached"]
        assert "today's 3 purchases are used up" in wait["reasons"][1]["text"]


def test_a_pack_under_the_floor_already_is_taken_with_an_owned_wedge_no_longer_left_out(autopilot: Stack) -> None:
    wanted_ids = near_the_floor_with_a_pack(autopilot)
    user = autopilot.mam.user  # under the floor now: the ranking accepts the pack only because a wedge frees it
    user.uploaded_bytes, user.downloaded_bytes, user.ratio, user.wedges = int(9.5 * GIB), 10 * GIB, 0.95, 2

    result = autopilot.go(acquire_wanted)

    assert result.counts.get("pack_grabbed") == 1, result.counts
    (download,) = downloads_of(autopilot)
    assert download.release_title == MAM_PACK and len(links(autopilot)) == len(wanted_ids)
    bonus = [dict(query)["spendtype"] for _, path, query in autopilot.mam.requests if path.startswith("/json/bonus")]
    assert bonus == ["personalFL"], "an owned wedge is spent, none bought"
    assert autopilot.mam.torrents[7100].personal_freeleech and autopilot.mam.user.wedges == 1
    assert download.release["autopilot"]["action"] == "apply_wedge"
