"""The MAM ratio autopilot's decisions: the forecast, the wedge plan (owned, bought, wait) and the upload credit."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest

from shelfkeeper.domain.releases.autopilot import (
    AutopilotPolicy,
    AutopilotReason,
    PlanAction,
    WedgePolicy,
    after_download,
    after_wedge,
    forecast,
    plan_grab,
    plan_upload,
    refusal_means_free,
)
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.tracker import TrackerStats

GIB = 1024**3
A = AutopilotReason


def account(uploaded_gib: float = 105, downloaded_gib: float = 100, *, points: float = 60_000, wedges: int = 0,
            user_class: str = "Power User") -> TrackerStats:  # fmt: skip
    ratio = uploaded_gib / downloaded_gib if downloaded_gib else None
    return TrackerStats("reader", user_class, ratio, int(uploaded_gib * GIB), int(downloaded_gib * GIB), points, wedges)


def torrent(size_gib: float = 10, **fields: Any) -> Release:
    defaults: dict[str, Any] = {"mam_id": 4242, "source": "mam", "guid": "mam-4242"}
    return Release(indexer="MyAnonamouse", title="A Book", size_bytes=int(size_gib * GIB), **{**defaults, **fields})


OWNED = AutopilotPolicy(ratio_floor=1.0, wedges=WedgePolicy.OWNED, daily_cap=5)
BUY = replace(OWNED, wedges=WedgePolicy.BUY, wedge_price_points=50_000, points_reserve=5_000)


@dataclass(frozen=True)
class Case:
    release: Release
    stats: TrackerStats | None
    policy: AutopilotPolicy
    action: PlanAction
    codes: tuple[AutopilotReason, ...]
    used_today: int = 0


CASES = {
    # 105 / (100 + 4) = 1.01: still above the floor
    "stays-above-floor": Case(torrent(4), account(), OWNED, PlanAction.PROCEED, (A.ABOVE_FLOOR,)),
    # 105 / (100 + 10) = 0.95: the download would cross the floor
    "crosses-floor-owned-wedge": Case(
        torrent(10), account(wedges=2), OWNED, PlanAction.APPLY_WEDGE, (A.UNDER_FLOOR, A.OWNED_WEDGE)
    ),
    "already-under-floor-owned-wedge": Case(
        torrent(1), account(90, 100, wedges=1), OWNED, PlanAction.APPLY_WEDGE, (A.UNDER_FLOOR, A.OWNED_WEDGE)
    ),
    "crosses-floor-wedges-off": Case(
        torrent(10), account(wedges=2), AutopilotPolicy(), PlanAction.WAIT, (A.UNDER_FLOOR, A.WEDGES_OFF)
    ),
    "crosses-floor-none-owned-buying-off": Case(
        torrent(10), account(wedges=0), OWNED, PlanAction.WAIT, (A.UNDER_FLOOR, A.NO_WEDGE_LEFT)
    ),
    "wedge-reserve-kept": Case(
        torrent(10),
        account(wedges=2),
        replace(OWNED, wedge_reserve=2),
        PlanAction.WAIT,
        (A.UNDER_FLOOR, A.NO_WEDGE_LEFT),
    ),
    "buys-a-wedge-with-points": Case(
        torrent(10), account(points=60_000), BUY, PlanAction.BUY_AND_APPLY, (A.UNDER_FLOOR, A.BUY_WEDGE)
    ),
    "no-points": Case(torrent(10), account(points=0), BUY, PlanAction.WAIT, (A.UNDER_FLOOR, A.NOT_ENOUGH_POINTS)),
    # 60 000 - 50 000 leaves 10 000, above the 5 000 reserve; 54 000 would leave 4 000, under it
    "points-reserve-kept": Case(
        torrent(10), account(points=54_000), BUY, PlanAction.WAIT, (A.UNDER_FLOOR, A.NOT_ENOUGH_POINTS)
    ),
    "cap-reached-for-owned": Case(
        torrent(10), account(wedges=2), OWNED, PlanAction.WAIT, (A.UNDER_FLOOR, A.DAILY_CAP_REACHED), used_today=5
    ),
    # buying and spending are two requests: one left is not enough
    "cap-leaves-one-request": Case(
        torrent(10), account(), BUY, PlanAction.WAIT, (A.UNDER_FLOOR, A.DAILY_CAP_REACHED), used_today=4
    ),
    "vip-needs-nothing": Case(torrent(10, vip=True), account(), BUY, PlanAction.PROCEED, (A.VIP,)),
    "freeleech-needs-nothing": Case(torrent(10, freeleech=True), account(), BUY, PlanAction.PROCEED, (A.FREELEECH,)),
    "personal-freeleech-needs-nothing": Case(
        torrent(10, personal_freeleech=True), account(), BUY, PlanAction.PROCEED, (A.FREELEECH,)
    ),
    "vip-freeleech-for-a-vip": Case(
        torrent(10, extra={"fl_vip": True}), account(user_class="VIP"), BUY, PlanAction.PROCEED, (A.FREELEECH,)
    ),
    "fl-vip-is-not-free-for-others": Case(
        torrent(10, extra={"fl_vip": True}), account(), BUY, PlanAction.BUY_AND_APPLY, (A.UNDER_FLOOR, A.BUY_WEDGE)
    ),
    "too-small-for-a-wedge": Case(
        torrent(10),
        account(wedges=3),
        replace(OWNED, wedge_min_size_bytes=20 * GIB),
        PlanAction.WAIT,
        (A.UNDER_FLOOR, A.TOO_SMALL_FOR_WEDGE),
    ),
    "torrent-id-unknown": Case(
        torrent(10, mam_id=None, guid="x"),
        account(wedges=3),
        OWNED,
        PlanAction.WAIT,
        (A.UNDER_FLOOR, A.NO_TORRENT_ID),
    ),
    "stats-unknown": Case(torrent(10), None, BUY, PlanAction.PROCEED, (A.STATS_UNKNOWN,)),
    "totals-unknown-ratio-under-floor": Case(
        torrent(1),
        replace(account(wedges=1), uploaded_bytes=None, ratio=0.9),
        OWNED,
        PlanAction.APPLY_WEDGE,
        (A.UNDER_FLOOR, A.OWNED_WEDGE),
    ),
    "totals-unknown-ratio-above-floor": Case(
        torrent(10), replace(account(), downloaded_bytes=None), OWNED, PlanAction.PROCEED, (A.ABOVE_FLOOR,)
    ),
    "other-indexer": Case(
        Release(indexer="AudioBookBay", title="A Book", guid="abb-1", size_bytes=10 * GIB),
        account(),
        BUY,
        PlanAction.PROCEED,
        (A.NOT_MAM,),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_grab_plan(case: Case) -> None:
    plan = plan_grab(case.release, case.stats, case.policy, case.used_today)
    assert (plan.action, tuple(note.code for note in plan.notes)) == (case.action, case.codes), plan.why
    assert all(note.text for note in plan.notes)


def test_the_forecast_adds_the_release_to_the_downloaded_total() -> None:
    predicted = forecast(account(105, 100), 10 * GIB)
    assert predicted is not None and predicted.ratio_after == pytest.approx(105 / 110)
    assert forecast(account(5, 0), 0) is not None and forecast(account(5, 0), 0).ratio_after == float("inf")  # type: ignore[union-attr]
    unknown_totals = forecast(replace(account(), uploaded_bytes=None), GIB)
    assert unknown_totals is not None and (unknown_totals.ratio_after, unknown_totals.exact) == (1.05, False)
    assert forecast(replace(account(), uploaded_bytes=None, ratio=None), GIB) is None
    # MAM's ratio now bounds the forecast: a download never raises it
    assert forecast(replace(account(250, 100), ratio=0.5), GIB).ratio_after == 0.5  # type: ignore[union-attr]


def test_the_plan_names_the_forecast_and_the_floor() -> None:
    plan = plan_grab(torrent(10), account(wedges=1), OWNED, 0)
    assert plan.torrent_id == 4242
    assert plan.why.startswith("ratio after the download 0.95 < floor 1")


@pytest.mark.parametrize(
    ("points", "policy", "used", "amount", "code"),
    [
        (60_000, replace(OWNED, upload_autospend=True), 0, 100, A.UPLOAD_CREDIT),
        (30_000, replace(OWNED, upload_autospend=True, points_reserve=5_000), 0, 50, A.UPLOAD_CREDIT),
        (3_000, replace(OWNED, upload_autospend=True, points_reserve=500), 0, 5, A.UPLOAD_CREDIT),
        (1_000, replace(OWNED, upload_autospend=True, points_reserve=500), 0, 1, A.UPLOAD_CREDIT),
        (900, replace(OWNED, upload_autospend=True, points_reserve=500), 0, None, A.POINTS_AT_RESERVE),
        (60_000, OWNED, 0, None, A.AUTOSPEND_OFF),
        (60_000, replace(OWNED, upload_autospend=True), 5, None, A.DAILY_CAP_REACHED),
    ],
)
def test_spare_points_buy_the_largest_affordable_upload_credit(points, policy, used, amount, code) -> None:
    plan = plan_upload(account(points=points), policy, used)
    assert plan.amount_gb == amount
    assert [note.code for note in plan.notes] == [code]


@pytest.mark.parametrize(
    ("error", "free"),
    [
        ("This Torrent is VIP", True),
        ("This is already a personal freeleech", True),
        ("Cannot spend FL Wedges on Freeleech Picks", True),
        ("Not enough bonus points", False),
        (None, False),
    ],
)
def test_which_refusals_mean_the_torrent_is_free_anyway(error, free) -> None:
    assert refusal_means_free(error) is free


def test_the_stats_after_a_wedge_and_after_a_download() -> None:
    bought = after_wedge(account(points=60_000, wedges=0), bought=True, price=50_000)
    assert (bought.bonus_points, bought.wedges) == (10_000, 0)
    spent = after_wedge(account(wedges=3), bought=False, price=50_000)
    assert spent.wedges == 2
    later = after_download(account(105, 100), 5 * GIB)
    assert later.downloaded_bytes == 105 * GIB and later.ratio == pytest.approx(1.0)
