"""The live page: download progress moving without a reload, history entries after a grab and an import, the
metadata review per book with bulk approve and reject, and the page without its stream or the internet.

These tests change what they see (a grab, approvals), so they run on an app of their own: the same seeded
library in a fresh database, its download client an in-memory double the test moves on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from shelfkeeper.api.app import create_app
from shelfkeeper.context import AppContext
from shelfkeeper.db.migrate import upgrade
from shelfkeeper.db.tables import Download, MetadataCorrection
from shelfkeeper.domain.events import Event, EventType
from shelfkeeper.domain.torrents.status import TorrentInfo, TorrentState
from shelfkeeper.integrations import Integrations
from shelfkeeper.services import events
from shelfkeeper.settings import Settings
from shelfkeeper.testing.doubles.downloads import InMemoryDownloadClient
from shelfkeeper.testing.server import LiveServer
from tests.browser.conftest import DESKTOP, PHONE, WEB_KEY, LiveApp, _console_error, enter_key
from tests.browser.library_seed import SeededLibrary, seed_library

pytestmark = pytest.mark.browser
LIVE_HASH = "5e" * 20
LONG_DESCRIPTION = "A very long description without a single break " * 40 + "https://example.invalid/" + "x" * 300


@dataclass
class OwnApp(LiveApp):
    """A running app of this module's own, with its context and download client at hand."""

    context: AppContext
    client: InMemoryDownloadClient


def _seed_reviews(context: AppContext, seeded: SeededLibrary) -> None:
    """Three more pending corrections: two on one book sharing their reasons, one long description."""
    shared = ["title matches exactly (1.00)", "author matches (1.00)"]
    leviathan, empire = seeded.books["Leviathan Wakes"], seeded.books["The Final Empire"]
    rows = [
        (leviathan, "narrators", ["Jefferson Mays"], ["Jefferson Mays", "Someone Else"], "narrators differ: waits"),
        (leviathan, "publisher", None, "Hachette Audio", "publisher differs: below 0.85, so it waits"),
        (empire, "description", None, LONG_DESCRIPTION, None),
    ]
    with context.sessions() as session:
        for book_id, field, old, new, own in rows:
            reasons = [*shared, own] if own else list(shared)
            change = {"field": field, "old_value": old, "new_value": new, "reasons": reasons, "source": "audnexus"}
            session.add(MetadataCorrection(book_id=book_id, confidence=0.8, status="pending", **change))
        session.commit()


@pytest.fixture(scope="module")
def own_app(web_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnApp]:
    # The same fakes, a data directory (so a database) of its own.
    given = {name: getattr(web_settings, name) for name in web_settings.model_fields_set}
    given |= {"data_dir": tmp_path_factory.mktemp("web-live"), "download_refresh_seconds": 1}
    settings = Settings(_env_file=None, **given)  # type: ignore[call-arg]
    context = AppContext.from_settings(settings)
    client = InMemoryDownloadClient()
    context.integrations = Integrations(context, adapters={"qbittorrent": client})
    upgrade(context.engine)
    with context.sessions() as session:
        seeded = seed_library(session)
        session.commit()
    _seed_reviews(context, seeded)
    server = LiveServer(create_app(context=context)).start()
    api = httpx.Client(base_url=server.url, headers={"X-Api-Key": WEB_KEY}, timeout=10)
    try:
        yield OwnApp(server.url, seeded, api, context, client)
    finally:
        api.close()
        server.stop()
        context.engine.dispose()


@pytest.fixture
def page(chromium: Any, own_app: OwnApp) -> Iterator[Any]:
    """A fresh tab on the app of this module; nothing may leave 127.0.0.1, and no script error may happen."""
    errors: list[str] = []
    outside: list[str] = []
    context = chromium.new_context(viewport=DESKTOP, base_url=own_app.url)
    context.set_default_timeout(8_000)
    context.route(
        lambda url: not url.startswith(("http://127.0.0.1", "data:")),
        lambda route: (outside.append(route.request.url), route.abort()),
    )
    tab = context.new_page()
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda message: _console_error(message, errors))
    yield tab
    context.close()
    assert errors == [], errors
    assert outside == [], f"requests left 127.0.0.1: {outside}"


def _open(tab: Any, route: str) -> None:
    tab.goto(f"/{route}")
    enter_key(tab)


def _row(tab: Any, text: str) -> Any:
    return tab.locator("table.data-table tbody tr").filter(has_text=text)


def test_download_progress_moves_on_the_page_without_a_reload(page: Any, own_app: OwnApp) -> None:
    own_app.client.torrents[LIVE_HASH] = TorrentInfo(
        info_hash=LIVE_HASH, name="Live Book", state=TorrentState.DOWNLOADING, raw_state="downloading",
        progress=0.1, size_bytes=1_000_000,
    )  # fmt: skip
    with own_app.context.sessions() as session:
        session.add(Download(indexer="Prowlarr: Test", release_title="Live Book [m4b]", guid="g-live",
                             info_hash=LIVE_HASH, status="downloading", progress=0.1))  # fmt: skip
        session.commit()
    _open(page, "#/queue")
    row = _row(page, "Live Book [m4b]")
    expect(row.locator("progress")).to_have_attribute("value", "10")
    expect(page.locator(".live-mark")).to_have_text("Live")
    page.evaluate("window.stayedOnThisPage = true")
    own_app.client.advance(LIVE_HASH, progress=0.55, download_speed=2_000_000, eta_seconds=600)
    expect(row.locator("progress")).to_have_attribute("value", "55")
    expect(row).to_contain_text("10 min left")
    own_app.client.advance(LIVE_HASH, progress=0.8)
    expect(row.locator("progress")).to_have_attribute("value", "80")
    assert page.evaluate("window.stayedOnThisPage") is True  # moved by the stream, not by a reload
    # Finished in the client: the row changes status by itself.
    own_app.client.advance(LIVE_HASH, progress=1.0, state=TorrentState.COMPLETED)
    expect(_row(page, "Live Book [m4b]")).to_contain_text("Completed", timeout=10_000)


def test_a_grab_and_an_import_are_entries_of_the_history(page: Any, own_app: OwnApp) -> None:
    _open(page, "#/wanted?q=nemesis")
    row = _row(page, "Nemesis Games")
    row.get_by_role("button", name="Search releases").click()
    right = row.locator(".releases-panel .release").filter(has_text="Games [ENG / M4B]")
    right.get_by_role("button", name="Grab this release").click()
    expect(page.locator("#toast")).to_contain_text("Nemesis Games")
    wanted_id = own_app.seeded.wanted["Nemesis Games"]
    page.goto(f"/#/history?wanted_book_id={wanted_id}")
    expect(page.locator(".scope")).to_contain_text(f"Only the history of wanted book #{wanted_id}")
    grabbed = _row(page, "Grabbed")
    expect(grabbed).to_contain_text("James S. A. Corey - Nemesis Games [ENG / M4B]")
    expect(grabbed).to_contain_text("a person")  # a manual grab says so
    expect(grabbed).to_contain_text("Indexer")
    # The import (as the import records it) appears on the open page, without a reload.
    download_id = own_app.data("GET", "/api/downloads", params={"wanted_book_id": wanted_id})["items"][0]["id"]
    with own_app.context.sessions() as session:
        download = session.get_one(Download, download_id)
        where = "/library/James S. A. Corey/The Expanse/05 - Nemesis Games"
        events.record_download_event(
            session, download, EventType.IMPORTED, f"{download.release_title} imported into {where}.", None, path=where
        )
        session.commit()
    imported = _row(page, "Imported")
    expect(imported).to_contain_text(where)
    expect(page.locator("table.data-table").first.locator("tbody tr").first).to_contain_text("Imported")
    # Every event of the book is one click away from its row: the link keeps to this book.
    imported.get_by_role("link", name="This book's history").click()
    expect(page.locator(".scope")).to_contain_text("Only the history of")


def test_bulk_review_approves_and_rejects_books_at_once(page: Any, own_app: OwnApp) -> None:
    _open(page, "#/metadata")
    cards = page.locator(".review-card")
    leviathan = cards.filter(has_text="Leviathan Wakes")
    expect(leviathan.locator("tbody tr")).to_have_count(2)  # one card, every changed field
    expect(leviathan.locator(".review-why li").filter(has_text="author matches (1.00)")).to_have_count(1)
    mistborn = cards.filter(has_text="The Final Empire")
    for width in (1400, PHONE["width"]):
        page.set_viewport_size({"width": width, "height": 900})
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"the metadata view scrolls sideways by {overflow}px at {width}px"
        box = mistborn.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width + 1
    page.set_viewport_size(DESKTOP)
    applied = own_app.data("GET", "/api/metadata/quality")["corrections"].get("applied", 0)
    leviathan.get_by_label("Select Leviathan Wakes").check()
    expect(page.locator(".bulk-count")).to_have_text("2 corrections selected")
    page.get_by_role("button", name="Approve selected").click()
    expect(page.locator("#toast")).to_contain_text("Approved 2 corrections")
    expect(leviathan).to_have_count(0)
    expect(page.locator(".stat-card").filter(has_text="Applied").locator("dd")).to_have_text(str(applied + 2))
    book = own_app.data("GET", f"/api/books/{own_app.seeded.books['Leviathan Wakes']}")
    assert book["publisher"] == "Hachette Audio"
    page.get_by_label("Select every book on this page").check()
    page.get_by_role("button", name="Reject selected").click()
    expect(page.locator("#toast")).to_contain_text("Rejected")
    expect(page.locator(".view-metadata")).to_contain_text("No corrections wait for review.")
    assert own_app.data("GET", "/api/metadata/corrections", params={"status": "pending"})["total"] == 0


def test_without_its_stream_the_page_says_so_and_keeps_itself_current(page: Any, own_app: OwnApp) -> None:
    page.route("**/api/stream", lambda route: route.abort())
    _open(page, "#/history")
    expect(page.locator(".live-mark")).to_contain_text("Offline")
    with own_app.context.sessions() as session:
        events.record(session, Event(EventType.BOOK_RELEASED, "Tiamat's Wrath is out today."))
        session.commit()
    expect(_row(page, "Tiamat's Wrath is out today.")).to_be_visible(timeout=12_000)  # read again by polling
    page.unroute("**/api/stream")
    expect(page.locator(".live-mark")).to_have_text("Live", timeout=40_000)
