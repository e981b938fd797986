"""Browser tests of the web page: the real app on a seeded SQLite database, driven by Debian's Chromium.

One app and one browser for the whole session (starting Chromium is the slow part); a fresh browser context per
test, so each test starts with empty local storage (no API key). The page is what is tested here, not the
database, so SQLite alone is enough. Every outside service points at a fake on 127.0.0.1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from shelfkeeper.api.app import create_app
from shelfkeeper.context import AppContext
from shelfkeeper.db.migrate import upgrade
from shelfkeeper.settings import Settings
from shelfkeeper.testing.fakes import start_fakes, stop_fakes
from shelfkeeper.testing.server import LiveServer, free_port
from tests.browser.library_seed import SeededLibrary, seed_library

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WEB_KEY = "web-test-key-0123456789abcdef"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
FAKES = ["audible", "audnexus", "google_books", "openlibrary", "prowlarr"]
# Releases a manual search for the seeded wanted book "Nemesis Games" finds: the right book, and a decoy.
RELEASES = [
    {"title": "James S. A. Corey - Nemesis Games [ENG / M4B]", "size": 1_100_000_000, "seeders": 25},
    {"title": "James S. A. Corey - Nemesis Games (Abridged) [ENG / MP3]", "size": 600_000_000, "seeders": 3},
]


@dataclass
class LiveApp:
    """The running app: its address, the ids of what was seeded, and an API client with the key."""

    url: str
    seeded: SeededLibrary
    api: httpx.Client

    def data(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.api.request(method, path, **kwargs)
        assert answer.status_code < 400, answer.text
        return answer.json()["data"]


@pytest.fixture(scope="session")
def web_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings whose every outside service is a fake on 127.0.0.1 (MAM: a port nothing listens on)."""
    running = start_fakes(FAKES)
    urls: dict[str, Any] = {}
    prowlarr = next(fake.fake for fake in running if fake.name == "prowlarr")
    for release in RELEASES:
        prowlarr.add_release(
            release["title"], indexer_id=1, categories=[3030], size=release["size"], seeders=release["seeders"]
        )
    for fake in running:
        urls.update({name.lower(): value for name, value in fake.env().items()})
    try:
        yield Settings(
            data_dir=tmp_path_factory.mktemp("web"),
            api_key=WEB_KEY,
            run_scheduler=False,
            mam_url=f"http://127.0.0.1:{free_port()}",
            first_run_wizard="completed",  # Audiobookshelf is not configured here: no setup wizard in the way
            _env_file=None,
            **urls,
        )
    finally:
        stop_fakes(running)


@pytest.fixture(scope="session")
def live_app(web_settings: Settings) -> Iterator[LiveApp]:
    context = AppContext.from_settings(web_settings)
    upgrade(context.engine)
    with context.sessions() as session:
        seeded = seed_library(session)
        session.commit()
    server = LiveServer(create_app(context=context)).start()
    client = httpx.Client(base_url=server.url, headers={"X-Api-Key": WEB_KEY}, timeout=10)
    try:
        yield LiveApp(server.url, seeded, client)
    finally:
        client.close()
        server.stop()
        context.engine.dispose()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page_errors() -> list[str]:
    """Uncaught script errors and console errors (a blocked script or style, say); a test ends with none."""
    return []


def _console_error(message: Any, errors: list[str]) -> None:
    # Chromium logs every 4xx/5xx answer as "Failed to load resource"; the tests cause those on purpose.
    # ReDoc asks for its footer logo from cdn.redoc.ly; the page's Content-Security-Policy blocks it (nothing leaves
    # 127.0.0.1), and Chromium reports the block, sometimes after the page is done: that report is expected.
    blocked_by_us = "Content Security Policy" in message.text and "cdn.redoc.ly" in message.text
    if message.type == "error" and "Failed to load resource" not in message.text and not blocked_by_us:
        errors.append(message.text)


@pytest.fixture
def web_page(chromium: Any, live_app: LiveApp, page_errors: list[str]) -> Iterator[Any]:
    """A fresh tab (empty local storage) at desktop width, not yet opened on the app."""
    context = chromium.new_context(viewport=DESKTOP, base_url=live_app.url)
    context.set_default_timeout(5_000)
    page = context.new_page()
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.on("console", lambda message: _console_error(message, page_errors))
    yield page
    context.close()
    assert page_errors == [], page_errors


@pytest.fixture
def outside(web_page: Any) -> Iterator[list[str]]:
    """Cut the network: a request for anything but 127.0.0.1 is refused and remembered; the test ends with none."""
    refused: list[str] = []

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    web_page.context.route("**/*", guard)
    yield refused
    assert refused == [], refused


def enter_key(page: Any, key: str = WEB_KEY) -> None:
    """Answer the API key prompt."""
    dialog = page.locator("#key-dialog")
    dialog.get_by_label("API key").fill(key)
    dialog.get_by_role("button", name="Save and continue").click()


def open_with_key(page: Any, route: str = "#/library") -> None:
    """Open the page at ``route`` and give it the key."""
    page.goto(f"/{route}")
    enter_key(page)


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: $SHELFKEEPER_SCREENSHOTS, or a temporary directory."""
    chosen = os.environ.get("SHELFKEEPER_SCREENSHOTS")
    directory = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory
