"""The Authors, Add a book, Calendar, Statistics and System views, and covers, in Chromium with the network cut:
every request that would leave 127.0.0.1 is refused and fails the test."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from shelfkeeper.api.app import create_app
from shelfkeeper.context import AppContext
from shelfkeeper.db.migrate import upgrade
from shelfkeeper.services.books import create_book
from shelfkeeper.settings import Settings
from shelfkeeper.testing.fakes.audiobookshelf import COVER_PNG, FakeAudiobookshelf
from shelfkeeper.testing.server import LiveServer
from tests.browser.conftest import PHONE, WEB_KEY, LiveApp, open_with_key
from tests.browser.test_web_views import WIDEST

pytestmark = pytest.mark.browser
COREY = "James S. A. Corey"


def fake_root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def settings_of(live_app: LiveApp) -> Any:
    return live_app.data("GET", "/api/system/config")


@pytest.fixture(scope="module")
def picture_server() -> Iterator[str]:
    """A cover on this machine, as a local mirror of a provider would serve it."""
    app = Starlette(routes=[Route("/cover.png", lambda request: Response(COVER_PNG, media_type="image/png"))])
    server = LiveServer(app).start()
    try:
        yield server.url
    finally:
        server.stop()


def _forget_wanted(live_app: LiveApp, title: str) -> None:
    for row in live_app.data("GET", "/api/wanted", params={"q": title, "limit": 50})["items"]:
        live_app.api.delete(f"/api/wanted/{row['id']}")


# ---- Authors -----------------------------------------------------------------------------------------------------


def test_authors_show_completion_missing_books_and_monitoring(
    web_page: Any, live_app: LiveApp, outside: list[str]
) -> None:
    open_with_key(web_page, "#/authors")
    card = web_page.locator(".author-card").filter(has=web_page.get_by_role("heading", name=COREY))
    expect(card).to_contain_text("owned")
    expect(card.locator("progress")).to_have_count(1)
    card.locator("summary", has_text="Missing books").click()
    expect(card.locator(".missing-books")).to_contain_text("Nemesis Games")
    expect(card.locator(".missing-books")).to_contain_text("The Expanse #5")
    author_id = int(card.get_attribute("data-id"))
    monitored = live_app.data("GET", f"/api/authors/{author_id}")["monitored"]
    first, second = ("Stop monitoring", "Monitor") if monitored else ("Monitor", "Stop monitoring")
    card.get_by_role("button", name=first, exact=True).click()
    card = web_page.locator(f".author-card[data-id='{author_id}']")
    expect(card.get_by_role("button", name=second, exact=True)).to_be_visible()
    assert live_app.data("GET", f"/api/authors/{author_id}")["monitored"] is not monitored
    card.get_by_role("button", name=second).click()
    expect(card.get_by_role("button", name=first)).to_be_visible()
    assert live_app.data("GET", f"/api/authors/{author_id}")["monitored"] is monitored
    card.get_by_role("button", name="Complete now").click()
    expect(card.locator(".found-report")).to_contain_text("missing book")


# ---- Add a book --------------------------------------------------------------------------------------------------


def _seed_google(live_app: LiveApp, volumes: list[dict[str, Any]]) -> None:
    config = settings_of(live_app)
    root = fake_root(config["google_books_url"])
    answer = httpx.post(f"{root}/__fake__/seed", json={"volumes": volumes}, timeout=5)
    assert answer.status_code == 200, answer.text


def _volume(volume_id: str, title: str, cover: str | None = None) -> dict[str, Any]:
    info: dict[str, Any] = {"title": title, "authors": [COREY], "language": "en", "printType": "BOOK"}
    if cover:
        info["imageLinks"] = {"thumbnail": cover, "smallThumbnail": cover}
    return {"id": volume_id, "volumeInfo": info}


def _search(page: Any, title: str, author: str = COREY) -> None:
    page.get_by_label("Title").fill(title)
    page.get_by_label("Author (optional)").fill(author)
    page.get_by_role("button", name="Search the providers").click()


def test_add_a_book_from_the_catalogue(
    web_page: Any, live_app: LiveApp, outside: list[str], picture_server: str
) -> None:
    _seed_google(
        live_app,
        [
            _volume("tiamat01", "Tiamat's Wrath", cover=f"{picture_server}/cover.png"),
            _volume("leviathan01", "Leviathan Wakes"),
        ],
    )
    try:
        open_with_key(web_page, "#/add")
        _search(web_page, "Tiamat's Wrath")
        statuses = web_page.locator(".provider-statuses")
        expect(statuses).to_contain_text("Google Books: 1 found")
        card = web_page.locator(".catalogue-card", has_text="Tiamat's Wrath")
        cover = card.locator("img.cover")
        expect(cover).to_have_attribute("src", f"{picture_server}/cover.png")
        web_page.wait_for_function("(img) => img.complete && img.naturalWidth === 1", arg=cover.element_handle())
        card.get_by_role("button", name="Want it").click()
        expect(card).to_contain_text("On the wanted list")
        expect(card.get_by_role("button", name="Want it")).to_have_count(0)
        wanted = live_app.data("GET", "/api/wanted", params={"q": "Tiamat"})["items"]
        assert len(wanted) == 1 and wanted[0]["reason"] == "manual"
        assert wanted[0]["evidence"]["edition"]["source"] == "google_books"
        assert wanted[0]["evidence"]["edition"]["source_id"] == "tiamat01"

        _search(web_page, "Leviathan Wakes")  # the library has it
        owned = web_page.locator(".catalogue-card", has_text="Leviathan Wakes")
        expect(owned).to_contain_text("In the library")
        expect(owned.get_by_role("button", name="Want it")).to_have_count(0)
        expect(owned.locator(".cover-none")).to_be_visible()  # no cover: the placeholder

        _search(web_page, "Tiamat's Wrath")  # already wanted: said before anyone asks
        expect(web_page.locator(".catalogue-card", has_text="Tiamat's Wrath")).to_contain_text("On the wanted list")
    finally:
        _forget_wanted(live_app, "Tiamat")


def test_wanting_a_book_listed_meanwhile_is_refused_clearly(
    web_page: Any, live_app: LiveApp, outside: list[str]
) -> None:
    _seed_google(live_app, [_volume("babylon01", "Babylon's Ashes")])
    try:
        open_with_key(web_page, "#/add")
        _search(web_page, "Babylon's Ashes")
        card = web_page.locator(".catalogue-card", has_text="Babylon's Ashes")
        expect(card.get_by_role("button", name="Want it")).to_be_visible()
        live_app.data("POST", "/api/wanted", json={"title": "Babylon's Ashes", "authors": [COREY]})  # another tab
        card.get_by_role("button", name="Want it").click()
        problem = card.locator(".notice-error")
        expect(problem).to_contain_text("already on the wanted list")
        expect(problem).to_contain_text("WANTED_ALREADY_EXISTS")
    finally:
        _forget_wanted(live_app, "Babylon")


def test_a_failing_provider_is_named_and_the_others_still_answer(
    web_page: Any, live_app: LiveApp, outside: list[str]
) -> None:
    _seed_google(live_app, [_volume("persepolis01", "Persepolis Rising")])
    openlibrary = fake_root(settings_of(live_app)["openlibrary_url"])
    httpx.post(f"{openlibrary}/__fake__/faults", json={"mode": "garbage"}, timeout=5).raise_for_status()
    try:
        open_with_key(web_page, "#/add")
        _search(web_page, "Persepolis Rising")
        statuses = web_page.locator(".provider-statuses")
        expect(statuses.locator("[data-provider='openlibrary']")).to_contain_text("Failed")
        expect(statuses.locator("[data-provider='google_books']")).to_contain_text("1 found")
        expect(web_page.locator(".provider-report .notice-error")).to_contain_text("Open Library")
        expect(web_page.locator(".provider-report .notice-error")).to_contain_text("SERVICE_BAD_RESPONSE")
        expect(web_page.locator(".catalogue-card", has_text="Persepolis Rising")).to_be_visible()
    finally:
        httpx.post(f"{openlibrary}/__fake__/faults", json={"mode": "none"}, timeout=5).raise_for_status()


# ---- Calendar ----------------------------------------------------------------------------------------------------


def test_calendar_shows_upcoming_releases_by_month_and_the_feed(
    web_page: Any, live_app: LiveApp, outside: list[str]
) -> None:
    today = datetime.now(UTC).date()
    release = (today.replace(day=1) + timedelta(days=40)).replace(day=12)  # the 12th of next month
    body = {
        "title": "Leviathan Falls",
        "authors": [COREY],
        "series": {"name": "The Expanse", "position": "9"},
        "release_date": release.isoformat(),
    }
    live_app.data("POST", "/api/wanted", json=body)
    try:
        open_with_key(web_page, "#/calendar")
        month = web_page.locator(f".calendar-month[data-month='{release.isoformat()[:7]}']")
        expect(month.locator("h2")).to_contain_text(str(release.year))
        entry = month.locator(".calendar-entry", has_text="Leviathan Falls")
        expect(entry).to_contain_text("The Expanse #9")
        expect(entry).to_contain_text("Release")
        expect(entry.locator("time")).to_have_attribute("datetime", f"{release.isoformat()}T00:00:00Z")
        web_page.get_by_text("Subscribe in a calendar app").click()
        feed = web_page.get_by_role("link", name="Download the feed (.ics)").get_attribute("href")
        assert feed is not None and urlsplit(feed).path == "/feed/calendar.ics" and f"apikey={WEB_KEY}" in feed
        answer = web_page.request.get(feed)
        assert answer.status == 200 and "text/calendar" in answer.headers["content-type"]
        assert "Leviathan Falls (released)" in answer.text()
        assert "DTSTART;VALUE=DATE:" + release.strftime("%Y%m%d") in answer.text()
    finally:
        _forget_wanted(live_app, "Leviathan Falls")


# ---- System ------------------------------------------------------------------------------------------------------


def test_system_health_services_and_the_log_filter(web_page: Any, live_app: LiveApp, outside: list[str]) -> None:
    log = logging.getLogger("shelfkeeper.browser.viewer")
    log.setLevel(logging.INFO)
    log.info("viewer note: shelves dusted at dawn")  # other tests of this process may have made any word a secret
    log.warning("viewer warning: token=abcdef123456 was refused")
    open_with_key(web_page, "#/system?level=info&limit=1000")
    expect(web_page.locator(".services")).to_contain_text("Google Books")
    expect(web_page.locator(".health")).to_contain_text("Checked")
    logs = web_page.locator(".logs")
    expect(logs.locator("tr", has_text="viewer note:")).to_have_count(1)
    warning = logs.locator("tr", has_text="viewer warning")
    expect(warning).to_contain_text("token=[REDACTED]")
    expect(warning).not_to_contain_text("abcdef123456")
    web_page.get_by_label("Level").select_option("warning")
    expect(logs).not_to_contain_text("viewer note:")
    expect(logs).to_contain_text("viewer warning")
    assert "level=warning" in web_page.url
    link = web_page.get_by_role("link", name="Settings › General")
    assert link.get_attribute("href", timeout=1000).startswith("#/settings")


# ---- Statistics --------------------------------------------------------------------------------------------------


def test_charts_render_growth_and_series_completion(web_page: Any, live_app: LiveApp, outside: list[str]) -> None:
    open_with_key(web_page, "#/stats")
    growth = web_page.locator("svg.chart-growth")
    expect(growth.locator("circle.chart-dot")).to_have_count(12)
    books = live_app.data("GET", "/api/books/stats")["in_library"]
    expect(growth.locator("circle.chart-dot").last.locator("title")).to_contain_text(f"{books} books")
    expect(web_page.locator(".chart-figure figcaption").first).to_contain_text(f"{books} in the library now")
    completion = web_page.locator("svg.chart-completion")
    expect(completion.locator(".chart-row", has_text="The Expanse")).to_contain_text("%")
    web_page.get_by_label("By").select_option("week")
    expect(growth.locator("circle.chart-dot")).to_have_count(12)
    web_page.get_by_label("Period").select_option("26")
    expect(web_page.locator("svg.chart-growth circle.chart-dot")).to_have_count(26)


# ---- every new view fits a phone ---------------------------------------------------------------------------------


def test_the_new_views_fit_a_phone(web_page: Any, live_app: LiveApp, outside: list[str], screenshot_dir: Path) -> None:
    web_page.set_viewport_size(PHONE)
    open_with_key(web_page, "#/authors")
    for name, text in {
        "authors": COREY,
        "add": "Search",
        "calendar": "Calendar",
        "stats": "Library growth",
        "system": "Logs",
    }.items():
        web_page.goto(f"/#/{name}")
        view = web_page.locator(f".view-{name}")
        expect(view).to_contain_text(text)
        expect(view.locator(".loading")).to_have_count(0)
        overflow = web_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        wide = web_page.evaluate(WIDEST)
        assert overflow <= 1, f"{name} scrolls sideways by {overflow}px on a phone: {wide}"
        web_page.screenshot(path=str(screenshot_dir / f"phone-{name}.png"), full_page=True)


# ---- covers ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def covers_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, dict[str, int]]]:
    """An app whose Audiobookshelf (a fake) has a cover for one book and none for the other."""
    token = "abs-cover-token-0123456789"
    fake = FakeAudiobookshelf(token)
    library = fake.add_library("Audiobooks", ["/audiobooks"])
    with_cover = fake.add_item(library, "Red Mars", authors=["Kim Stanley Robinson"], cover_path="/m/red.jpg")
    without = fake.add_item(library, "Green Mars", authors=["Kim Stanley Robinson"])
    abs_server = LiveServer(fake.app).start()
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("covers"),
        api_key=WEB_KEY,
        run_scheduler=False,
        abs_url=abs_server.url,
        abs_token=token,
        _env_file=None,
    )
    context = AppContext.from_settings(settings)
    upgrade(context.engine)
    ids: dict[str, int] = {}
    with context.sessions() as session:
        for title, item, cover in (("Red Mars", with_cover, True), ("Green Mars", without, False)):
            book = create_book(
                session, {"title": title, "authors": ["Kim Stanley Robinson"], "abs_id": item, "has_cover": cover}
            )
            ids[title] = book.id
        session.commit()
    server = LiveServer(create_app(context=context)).start()
    try:
        yield server.url, abs_server.url, ids
    finally:
        server.stop()
        abs_server.stop()
        context.engine.dispose()


def test_covers_come_through_the_proxy_lazily(
    web_page: Any, outside: list[str], covers_app: tuple[str, str, dict[str, int]]
) -> None:
    url, abs_url, ids = covers_app
    asked: list[str] = []
    web_page.on("request", lambda request: asked.append(request.url))
    web_page.goto(f"{url}/#/library?sort=title")
    web_page.locator("#key-dialog").get_by_label("API key").fill(WEB_KEY)
    web_page.locator("#key-dialog").get_by_role("button", name="Save and continue").click()
    red = web_page.locator(f"tr[data-id='{ids['Red Mars']}'] .cover-frame")
    expect(red).to_have_attribute("data-cover", "loaded")
    image = red.locator("img")
    assert image.get_attribute("src").startswith("blob:")
    assert web_page.evaluate("(img) => img.naturalWidth", image.element_handle()) == 1
    green = web_page.locator(f"tr[data-id='{ids['Green Mars']}'] .cover-frame")
    expect(green.locator(".cover-none")).to_have_text("GM")
    assert f"{url}/api/books/{ids['Red Mars']}/cover" in asked
    assert f"{url}/api/books/{ids['Green Mars']}/cover" not in asked  # no cover: nothing asked
    assert not [address for address in asked if address.startswith(abs_url)]  # the browser never meets Audiobookshelf
