"""GET /api/tracker/history: the MAM stats snapshots and bonus-store requests, paged, filtered, validated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shelfkeeper.db.session import unit_of_work
from shelfkeeper.domain.releases.autopilot import AutopilotReason, Note
from shelfkeeper.domain.releases.tracker import BonusAnswer, PurchaseKind, TrackerStats
from shelfkeeper.services.tracker_ledger import record_purchase, record_snapshot

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def data(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()["data"]


@pytest.fixture
def ledger(sessions):
    with unit_of_work(sessions) as session:
        for day in range(5):
            stats = TrackerStats("reader", "User", 1.0 + day / 10, 100 + day, 100, 1000.0 * day, day)
            record_snapshot(session, START + timedelta(days=day), stats)
        note = Note(AutopilotReason.BUY_WEDGE, "no wedge to spend: one is bought")
        record_purchase(session, START, PurchaseKind.BUY_WEDGE, BonusAnswer(True, None, {"seedbonus": 10}),
                        cost_points=50_000, notes=(note,))  # fmt: skip
        record_purchase(session, START + timedelta(minutes=1), PurchaseKind.APPLY_WEDGE,
                        BonusAnswer(False, "This Torrent is VIP"), torrent_id=77, wanted_book_id=5)  # fmt: skip
        record_purchase(session, START + timedelta(days=2), PurchaseKind.BUY_UPLOAD, BonusAnswer(True),
                        amount=2.5, cost_points=1250)  # fmt: skip


def test_history_pages_both_lists_newest_first(client, ledger):
    history = data(client.get("/api/tracker/history", params={"limit": 2}))
    snapshots, purchases = history["snapshots"], history["purchases"]
    assert (snapshots["total"], snapshots["limit"], snapshots["offset"]) == (5, 2, 0)
    assert [s["ratio"] for s in snapshots["items"]] == [1.4, 1.3]
    assert purchases["total"] == 3 and [p["kind"] for p in purchases["items"]] == ["buy_upload", "apply_wedge"]
    refused = purchases["items"][1]
    assert (refused["success"], refused["answer"], refused["cost_points"], refused["torrent_id"]) == (
        False, "This Torrent is VIP", 0, 77)  # fmt: skip
    assert history["policy"] == {
        "ratio_floor": 1.0, "wedge_policy": "never", "points_reserve": 0, "daily_purchase_cap": 5,
        "purchases_today": 0, "upload_autospend": False,
    }  # fmt: skip
    later = data(client.get("/api/tracker/history", params={"limit": 2, "offset": 2}))
    assert [s["ratio"] for s in later["snapshots"]["items"]] == [1.2, 1.1]
    assert [p["kind"] for p in later["purchases"]["items"]] == ["buy_wedge"]
    assert later["purchases"]["items"][0]["reasons"] == [
        {"code": "buy_wedge", "text": "no wedge to spend: one is bought"}
    ]


def test_history_filters_by_time_and_kind(client, ledger):
    window = {"since": (START + timedelta(days=1)).isoformat(), "until": "2026-11-04T12:00:00"}
    history = data(client.get("/api/tracker/history", params=window))
    assert [s["wedges"] for s in history["snapshots"]["items"]] == [2, 1]
    assert [p["kind"] for p in history["purchases"]["items"]] == ["buy_upload"]
    kinds = data(client.get("/api/tracker/history", params=[("kind", "apply_wedge"), ("kind", "buy_wedge")]))
    assert sorted(p["kind"] for p in kinds["purchases"]["items"]) == ["apply_wedge", "buy_wedge"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "buy_vip"}, "kind.0"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-11-03T00:00:00Z", "until": "2026-11-02T00:00:00Z"}, "until"),
    ],
)
def test_bad_query_parameters_are_a_precise_422(client, params, field):
    response = client.get("/api/tracker/history", params=params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_code"] == "VALIDATION_ERROR"
    assert field in {detail["field"] for detail in body["details"]}


def test_history_needs_the_key(anonymous_client):
    assert anonymous_client.get("/api/tracker/history").status_code == 401
