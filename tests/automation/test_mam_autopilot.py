"""The MAM ratio autopilot in the grab path, on both databases, against the fake MAM over HTTP and a real
qBittorrent: a grab that would take the ratio under the floor buys and spends a wedge within the daily cap, or
waits and says why; spare points buy upload credit after the crawler's stats refresh."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from shelfkeeper.automation.acquisition import acquire_wanted, request_download
from shelfkeeper.automation.mam_crawler import mam_scraping_task
from shelfkeeper.automation.release_search import search_releases
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import Download, TrackerPurchase, TrackerSnapshot, WantedBook
from shelfkeeper.domain.releases.tracker import BonusAnswer, PurchaseKind
from shelfkeeper.domain.releases.verification import WantedEdition
from shelfkeeper.errors import Conflict
from shelfkeeper.services.tracker_ledger import record_purchase
from shelfkeeper.testing.fakes.mam_bonus import NOT_ENOUGH_POINTS
from tests.automation.acquisition_support import build_stack, unique_size

GIB = 1024**3
AUTOPILOT = {"mam_use_wedges": True, "mam_buy_wedges": True, "mam_daily_purchase_cap": 3, "mam_points_reserve": 1000}
DARKER = WantedEdition(title="You Like It Darker", authors=("Stephen King",))


def near_the_floor(stack) -> None:
    """Ratio 1.02, no wedge, 60 000 points: a 600 MiB download that is not freeleech would end at 0.96."""
    user = stack.mam.user
    user.uploaded_bytes, user.downloaded_bytes = 10 * GIB, int(9.8 * GIB)
    user.ratio, user.wedges, user.seedbonus = 1.02, 0, 60_000
    stack.mam.add_torrent("You Like It Darker", id=7001, authors=["Stephen King"], size=unique_size(600))


def ledger(stack) -> list[TrackerPurchase]:
    with stack.context.sessions() as session:
        return list(session.scalars(select(TrackerPurchase).order_by(TrackerPurchase.id)))


def wanted_row(stack, wanted_id: int) -> WantedBook:
    with stack.context.sessions() as session:
        row = session.get(WantedBook, wanted_id)
        assert row is not None
        return row


def bonus_paths(stack) -> list[str]:
    return [path for _, path, _ in stack.mam.requests if path.startswith("/json/bonusBuy.php")]


@pytest.mark.qbittorrent
def test_a_grab_under_the_floor_buys_and_spends_a_wedge_before_the_download(engine, tmp_path):
    for stack in build_stack(engine, tmp_path, **AUTOPILOT):
        near_the_floor(stack)
        wanted_id = stack.wanted("You Like It Darker", "Stephen King")
        assert stack.go(acquire_wanted).counts == {"considered": 1, "searched": 1, "grabbed": 1}
        # bought with points, then spent on the torrent, both before the .torrent was downloaded
        kinds = [dict(query)["spendtype"] for _, path, query in stack.mam.requests if path.startswith("/json/bonus")]
        assert kinds == ["wedges", "personalFL"]
        order = [path for _, path, _ in stack.mam.requests]
        fetched = next(i for i, p in enumerate(order) if p.startswith("/tor/download.php"))
        assert max(i for i, p in enumerate(order) if p.startswith("/json/bonus")) < fetched
        assert stack.mam.torrents[7001].personal_freeleech
        assert (stack.mam.user.wedges, stack.mam.user.seedbonus) == (0, 10_000)
        bought, spent = ledger(stack)
        assert (bought.kind, bought.success, bought.cost_points) == ("buy_wedge", True, 50_000)
        assert (spent.kind, spent.success, spent.torrent_id, spent.wanted_book_id) == (
            "apply_wedge",
            True,
            7001,
            wanted_id,
        )
        assert [r["code"] for r in spent.reasons] == ["under_floor", "buy_wedge"]
        with stack.context.sessions() as session:
            (download,) = session.scalars(select(Download))
        decision = download.release["autopilot"]
        assert decision["action"] == "buy_and_apply" and decision["wedge_applied"] and decision["wedge_bought"]
        assert decision["ratio_after"] < 1.0 and download.status == "downloading"


def test_with_the_daily_cap_reached_the_grab_waits_and_says_why(engine, tmp_path):
    for stack in build_stack(engine, tmp_path, qbittorrent=False, **AUTOPILOT):
        near_the_floor(stack)
        with unit_of_work(stack.context.sessions) as session:  # two requests already made today: one is left
            for hours in (1, 2):
                record_purchase(session, stack.clock.now - timedelta(hours=hours), PurchaseKind.BUY_UPLOAD,
                                BonusAnswer(True), amount=1, cost_points=500)  # fmt: skip
            record_purchase(session, stack.clock.now - timedelta(days=1), PurchaseKind.BUY_UPLOAD, BonusAnswer(True))
        wanted_id = stack.wanted("You Like It Darker", "Stephen King")
        assert stack.go(acquire_wanted).counts == {"considered": 1, "searched": 1, "ratio_wait": 1}
        assert bonus_paths(stack) == [] and stack.mam.downloads == []
        row = wanted_row(stack, wanted_id)
        assert row.status == "wanted"  # the next search tries again
        (wait,) = row.evidence["ratio_wait"]["releases"]
        assert [r["code"] for r in wait["reasons"]] == ["under_floor", "daily_cap_reached"]
        assert "today's 3 purchases are used up" in wait["reasons"][1]["text"]
        with stack.context.sessions() as session:
            assert session.scalars(select(Download)).first() is None
        # a person asking for it gets the same answer, as a 409 with the reasons
        ranked = stack.go(lambda run: search_releases(run, DARKER))[0]
        with pytest.raises(Conflict) as refused:
            stack.go(lambda run, chosen=ranked.release, book=wanted_id: request_download(run, book, chosen))
        assert refused.value.code == "RATIO_FLOOR_WAIT" and "daily_cap_reached" in str(refused.value.details)


def test_a_refused_purchase_is_recorded_and_the_grab_waits(engine, tmp_path):
    for stack in build_stack(engine, tmp_path, qbittorrent=False, **AUTOPILOT):
        near_the_floor(stack)
        stack.mam.bonus.configure(refuse_with=NOT_ENOUGH_POINTS)
        wanted_id = stack.wanted("You Like It Darker", "Stephen King")
        assert stack.go(acquire_wanted).counts["ratio_wait"] == 1
        (refused,) = ledger(stack)
        assert (refused.kind, refused.success, refused.answer, refused.cost_points) == (
            "buy_wedge", False, NOT_ENOUGH_POINTS, 0)  # fmt: skip
        (wait,) = wanted_row(stack, wanted_id).evidence["ratio_wait"]["releases"]
        assert wait["reasons"][-1] == {
            "code": "refused",
            "text": f"MAM refused the wedge purchase: {NOT_ENOUGH_POINTS}",
        }
        assert stack.mam.user.wedges == 0 and stack.mam.downloads == []


def test_wedges_off_means_a_grab_that_would_cross_the_floor_waits(engine, tmp_path):
    for stack in build_stack(engine, tmp_path, qbittorrent=False):
        near_the_floor(stack)
        wanted_id = stack.wanted("You Like It Darker", "Stephen King")
        assert stack.go(acquire_wanted).counts["ratio_wait"] == 1
        (wait,) = wanted_row(stack, wanted_id).evidence["ratio_wait"]["releases"]
        assert [r["code"] for r in wait["reasons"]] == ["under_floor", "wedges_off"]
        assert bonus_paths(stack) == [] and ledger(stack) == []


def test_spare_points_buy_upload_credit_after_the_stats_refresh(engine, tmp_path):
    settings = {"mam_upload_autospend": True, "mam_points_reserve": 5_000}
    for stack in build_stack(engine, tmp_path, qbittorrent=False, **settings):
        stack.mam.user.seedbonus = 40_000  # 35 000 spare: 50 GB (25 000 points) is the largest listed amount
        result = stack.go(mam_scraping_task)
        assert result.metrics["upload_credit"]["bought_gb"] == 50
        assert stack.mam.user.seedbonus == 15_000
        (purchase,) = ledger(stack)
        assert (purchase.kind, purchase.amount, purchase.cost_points, purchase.success) == (
            "buy_upload",
            50,
            25_000,
            True,
        )
        with stack.context.sessions() as session:
            (snapshot,) = session.scalars(select(TrackerSnapshot))
        assert (snapshot.bonus_points, snapshot.wedges, snapshot.at) == (40_000, 3, stack.clock.now)
