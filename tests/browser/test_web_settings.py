"""Configuring a service from the Settings page: tested before saving, then saved and applied without a restart."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from shelfkeeper.testing.qbittorrent import QbittorrentProcess
from tests.browser.conftest import LiveApp, open_with_key

pytestmark = [pytest.mark.browser, pytest.mark.qbittorrent]
QB_KEYS = ("qb_host", "qb_port", "qb_username", "qb_password")


@pytest.fixture
def qbittorrent(live_app: LiveApp) -> Iterator[QbittorrentProcess]:
    """A real qbittorrent-nox; afterwards the shared app is back to qBittorrent not configured."""
    with QbittorrentProcess() as process:
        yield process
    live_app.data("PATCH", "/api/settings", json=dict.fromkeys(QB_KEYS))


def integration_row(page: Any, name: str) -> Any:
    return page.locator("table.data-table tbody tr").filter(has_text=name)


def test_a_download_client_is_tested_saved_and_applied_without_restart(
    web_page: Any, live_app: LiveApp, qbittorrent: QbittorrentProcess
) -> None:
    open_with_key(web_page, "#/settings?section=status")
    expect(integration_row(web_page, "qBittorrent")).to_contain_text("Not configured")
    # Values the environment fixes are read-only, with a note.
    web_page.get_by_role("link", name="Indexers").click()
    prowlarr = web_page.locator('.setting[data-key="prowlarr_url"]')
    expect(prowlarr.locator("input")).to_be_disabled()
    expect(prowlarr).to_contain_text("Set by the environment (PROWLARR_URL)")
    web_page.get_by_role("link", name="Download clients").click()
    expect(web_page).to_have_url(f"{live_app.url}/#/settings?section=download")
    group = web_page.locator(".settings-group").filter(has=web_page.get_by_role("heading", name="Download clients"))
    expect(group.locator('.setting[data-key="qb_password"]')).to_contain_text("not set")

    group.get_by_label("qb_host").fill(qbittorrent.host)
    group.get_by_label("qb_port").fill(str(qbittorrent.port))
    group.get_by_label("qb_username").fill(qbittorrent.username)
    group.get_by_label("qb_password").fill("wrong-password-123456")
    group.get_by_role("button", name="Test qBittorrent").click()
    expect(group.locator(".feedback")).to_contain_text("credentials refused")
    assert live_app.data("GET", "/api/settings")["stored"] == []  # a test saves nothing

    group.get_by_label("qb_port").fill("70000")
    group.get_by_role("button", name="Save").click()
    expect(group.locator('.setting[data-key="qb_port"] .setting-error')).to_contain_text("QB_PORT")
    expect(group.locator(".feedback .notice-error code")).to_have_text("VALIDATION_ERROR")

    group.get_by_label("qb_port").fill(str(qbittorrent.port))
    group.get_by_label("qb_password").fill(qbittorrent.password)
    group.get_by_role("button", name="Test qBittorrent").click()
    expect(group.locator(".feedback")).to_contain_text("qBittorrent: reachable, version v")
    group.get_by_role("button", name="Save").click()
    expect(web_page.locator("#toast")).to_contain_text("Download clients: saved and applied")

    group = web_page.locator(".settings-group").filter(has=web_page.get_by_role("heading", name="Download clients"))
    expect(group.locator('.setting[data-key="qb_password"]')).to_contain_text("set")
    expect(group.get_by_label("qb_password")).to_have_value("")  # never sent back to the page
    web_page.get_by_role("link", name="Status").click()
    row = integration_row(web_page, "qBittorrent")
    expect(row).to_contain_text("Configured")
    row.get_by_role("button", name="Test").click()
    expect(row).to_contain_text("Reachable")
    expect(row).to_contain_text("Accepted")
    assert qbittorrent.password not in web_page.content()
