"""The MyAnonamouse view: ratio, bonus points and wedges over time drawn as inline SVG, and the purchase list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from shelfkeeper.context import AppContext
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.domain.releases.autopilot import AutopilotReason, Note
from shelfkeeper.domain.releases.tracker import BonusAnswer, PurchaseKind, TrackerStats
from shelfkeeper.services.tracker_ledger import record_purchase, record_snapshot
from shelfkeeper.settings import Settings
from tests.browser.conftest import PHONE, LiveApp, open_with_key

pytestmark = pytest.mark.browser
GIB = 1024**3
READINGS = 4


@pytest.fixture(scope="module")
def ledger(web_settings: Settings, live_app: LiveApp) -> None:
    """Four stats readings a day apart and two bonus-store requests, in the live app's database."""
    context = AppContext.from_settings(web_settings)
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    try:
        with unit_of_work(context.sessions) as session:
            for day in range(READINGS):
                stats = TrackerStats("reader", "Power User", 1.1 - day / 20, (110 - day) * GIB, 100 * GIB,
                                     60_000.0 - day * 10_000, day % 2)  # fmt: skip
                record_snapshot(session, start + timedelta(days=day), stats)
            note = Note(AutopilotReason.BUY_WEDGE, "no wedge to spend: one is bought for 50000 points")
            record_purchase(session, start, PurchaseKind.BUY_WEDGE, BonusAnswer(True), cost_points=50_000,
                            notes=(note,))  # fmt: skip
            record_purchase(session, start, PurchaseKind.APPLY_WEDGE, BonusAnswer(False, "This Torrent is VIP"),
                            torrent_id=4242)  # fmt: skip
    finally:
        context.engine.dispose()


def test_the_chart_draws_ratio_points_and_wedges_over_time(web_page: Any, ledger: None) -> None:
    open_with_key(web_page, "#/tracker")
    view = web_page.locator(".view-tracker")
    expect(view.locator("h1")).to_have_text("MyAnonamouse")
    chart = view.locator("svg.tracker-chart")
    expect(chart).to_be_visible()
    for series in ("ratio", "bonus_points", "wedges"):
        group = chart.locator(f"g[data-series='{series}']")
        expect(group.locator("circle.chart-point")).to_have_count(READINGS)
        assert group.locator("path.chart-line").get_attribute("d").count("L") == READINGS - 1
    expect(chart.locator(".chart-floor")).to_have_count(1)
    # the oldest reading is drawn left of the newest: time runs left to right
    xs = [
        float(x)
        for x in chart.locator("g[data-series='ratio'] circle").evaluate_all("cs => cs.map(c => c.getAttribute('cx'))")
    ]
    assert xs == sorted(xs) and xs[0] < xs[-1]
    expect(chart.locator("g[data-series='ratio'] circle title").first).to_contain_text("Ratio 1.1")
    expect(view.locator(".stat-cards")).to_contain_text("0.95")  # the newest ratio
    rows = view.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(view.locator("table")).to_contain_text("This Torrent is VIP")
    expect(view.locator("table")).to_contain_text("50,000 points")


def test_the_view_fits_a_phone(web_page: Any, ledger: None) -> None:
    web_page.set_viewport_size(PHONE)
    open_with_key(web_page, "#/tracker")
    expect(web_page.locator("svg.tracker-chart")).to_be_visible()
    overflow = web_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
