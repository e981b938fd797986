"""/docs and /redoc render in a browser with every request to Shelfkeeper itself (no CDN, no font service)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveApp

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("path", "rendered"), [("/docs", ".swagger-ui .info .title"), ("/redoc", "h1")])
def test_the_documentation_renders_offline(
    web_page: Any, live_app: LiveApp, page_errors: list[str], path: str, rendered: str
) -> None:
    hosts: list[str] = []

    def only_local(route: Any) -> None:
        url = urlsplit(route.request.url)
        if url.scheme not in ("http", "https"):  # data: and blob: (ReDoc's worker) never leave the browser
            route.continue_()
            return
        hosts.append(url.hostname or "")
        if hosts[-1] == "127.0.0.1":
            route.continue_()
        else:
            route.abort()  # the network is cut: anything else would fail

    web_page.route("**/*", only_local)
    web_page.goto(path)
    expect(web_page.locator(rendered).first).to_contain_text("Shelfkeeper", timeout=30_000)  # a large schema
    assert set(hosts) == {"127.0.0.1"}, hosts
    # ReDoc's footer logo from cdn.redoc.ly is refused by the page's Content-Security-Policy, never requested.
    page_errors[:] = [error for error in page_errors if "cdn.redoc.ly" not in error]
