"""A fresh install set up from the page: the first-run wizard end to end (with the first sync's progress), then
General's API key rotation and backups, the schedules in words, the settings tabs' editors. Each test gets an
empty install of its own (no service configured, no API_KEY: the key is generated into the data directory), and
the browser may reach nothing but 127.0.0.1: every other request is cut and reported."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from shelfkeeper.api.app import create_app
from shelfkeeper.context import AppContext
from shelfkeeper.db.migrate import upgrade
from shelfkeeper.settings import Settings
from shelfkeeper.testing.fakes import RunningFake, start_fakes, stop_fakes
from shelfkeeper.testing.qbittorrent import QbittorrentProcess
from shelfkeeper.testing.server import LiveServer, free_port
from tests.browser.conftest import DESKTOP, PHONE, _console_error, enter_key

pytestmark = [pytest.mark.browser]
ABS_TOKEN = "abs-wizard-token-0123456789"
BOOKS = [("Leviathan Wakes", "1"), ("Caliban's War", "2"), ("Abaddon's Gate", "3")]


@dataclass
class FreshInstall:
    """An empty install: its address, its generated key, its fakes, the requests the browser tried elsewhere."""

    url: str
    key: str
    context: AppContext
    fakes: dict[str, RunningFake]
    cut: list[str] = field(default_factory=list)

    def data(self, method: str, path: str, **kwargs: Any) -> Any:
        with httpx.Client(
            base_url=self.url, headers={"X-Api-Key": self.context.api_keys.current()}, timeout=30
        ) as client:
            answer = client.request(method, path, **kwargs)
        assert answer.status_code < 400, answer.text
        return answer.json()["data"]


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, RunningFake]]:
    """Audiobookshelf (a library of three books) and Prowlarr, served on 127.0.0.1."""
    library = {"id": "lib-books", "name": "Audiobooks", "folders": ["/audiobooks"]}
    items = [
        {"libraryId": "lib-books", "title": title, "authors": ["James S. A. Corey"], "series": [["The Expanse", n]]}
        for title, n in BOOKS
    ]
    seeds = {"audiobookshelf": {"token": ABS_TOKEN, "libraries": [library], "items": items}}
    running = start_fakes(["audiobookshelf", "prowlarr"], seeds)
    try:
        yield {fake.name: fake for fake in running}
    finally:
        stop_fakes(running)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[FreshInstall]:
    """Nothing configured; the providers Shelfkeeper would call by default point at a port nothing listens on."""
    dead = f"http://127.0.0.1:{free_port()}"
    settings = Settings(
        data_dir=tmp_path / "data",
        run_scheduler=False,
        mam_url=dead,
        google_books_url=dead,
        audnexus_url=dead,
        audible_url=dead,
        openlibrary_url=dead,
        _env_file=None,
    )  # type: ignore[call-arg]
    context = AppContext.from_settings(settings)
    upgrade(context.engine)
    key, _generated = context.api_keys.ensure()
    server = LiveServer(create_app(context=context)).start()
    try:
        yield FreshInstall(server.url, key, context, {})
    finally:
        server.stop()
        context.engine.dispose()


@pytest.fixture
def page(chromium: Any, fresh: FreshInstall, fakes: dict[str, RunningFake], page_errors: list[str]) -> Iterator[Any]:
    """A tab on the fresh install that may reach 127.0.0.1 only (anything else is aborted and listed)."""
    fresh.fakes = fakes
    context = chromium.new_context(viewport=DESKTOP, base_url=fresh.url, accept_downloads=True)
    context.set_default_timeout(8_000)

    def local_only(route: Any) -> None:
        url = route.request.url
        if url.startswith((fresh.url, "blob:", "data:")):
            route.continue_()
        else:
            fresh.cut.append(url)
            route.abort()

    context.route("**/*", local_only)
    tab = context.new_page()
    tab.on("pageerror", lambda error: page_errors.append(str(error)))
    tab.on("console", lambda message: _console_error(message, page_errors))
    yield tab
    context.close()
    assert fresh.cut == [], f"the page asked outside 127.0.0.1: {fresh.cut}"


def step_form(page: Any) -> Any:
    return page.locator(".wizard-body .settings-group")


@pytest.mark.qbittorrent
def test_the_wizard_sets_up_an_empty_install_and_follows_the_first_sync(
    page: Any, fresh: FreshInstall, screenshot_dir: Path
) -> None:
    abs_url = fresh.fakes["audiobookshelf"].url
    prowlarr = fresh.fakes["prowlarr"]
    page.goto("/#/library")
    enter_key(page, fresh.key)
    expect(page).to_have_url(f"{fresh.url}/#/setup", timeout=15_000)
    expect(page.get_by_role("heading", name="Set up Shelfkeeper")).to_be_visible()
    page.get_by_role("button", name="Start").click()

    # Audiobookshelf: a wrong token is reported by the test, nothing is saved; the right one is saved.
    form = step_form(page)
    expect(form.get_by_role("heading", name="Audiobookshelf")).to_be_visible()
    form.get_by_label("abs_url").fill(abs_url)
    form.get_by_label("abs_token").fill("not-the-token")
    form.get_by_role("button", name="Test Audiobookshelf").click()
    expect(form.locator(".feedback")).to_contain_text("credentials refused")
    assert fresh.data("GET", "/api/settings")["stored"] == []
    form.get_by_label("abs_token").fill(ABS_TOKEN)
    form.get_by_role("button", name="Test Audiobookshelf").click()
    expect(form.locator(".feedback")).to_contain_text("Audiobookshelf: reachable")
    page.screenshot(path=str(screenshot_dir / "desktop-setup-audiobookshelf.png"), full_page=True)
    form.get_by_role("button", name="Save and continue").click()

    # The download client, tested against a real qBittorrent.
    expect(form.get_by_role("heading", name="Download client")).to_be_visible()
    with QbittorrentProcess() as qbittorrent:
        form.get_by_label("qb_host").fill(qbittorrent.host)
        form.get_by_label("qb_port").fill(str(qbittorrent.port))
        form.get_by_label("qb_username").fill(qbittorrent.username)
        form.get_by_label("qb_password").fill(qbittorrent.password)
        form.get_by_role("button", name="Test qBittorrent").click()
        expect(form.locator(".feedback")).to_contain_text("qBittorrent: reachable, version v")
        form.get_by_role("button", name="Save and continue").click()
        expect(form.get_by_role("heading", name="Indexers")).to_be_visible()

    # Indexers: Prowlarr tested, then saved.
    form.get_by_label("prowlarr_url").fill(prowlarr.url + prowlarr.fake.url_base)
    form.get_by_label("prowlarr_api_key").fill(prowlarr.fake.api_key)
    form.get_by_role("button", name="Test Prowlarr").click()
    expect(form.locator(".feedback")).to_contain_text("Prowlarr: reachable")
    form.get_by_role("button", name="Save and continue").click()

    # The library folder and a path mapping: a relative path is refused on the field, then corrected.
    expect(form.get_by_role("heading", name="Library folder")).to_be_visible()
    form.get_by_label("library_path").fill("/audiobooks")
    form.get_by_role("button", name="Add a mapping").click()
    form.get_by_label("Remote path 1").fill("/downloads")
    form.get_by_label("Local path 1").fill("data/downloads")
    form.get_by_role("button", name="Save and continue").click()
    error = form.locator('.setting[data-key="remote_path_mappings"] .setting-error')
    expect(error).to_contain_text("not an absolute path")
    form.get_by_label("Local path 1").fill("/data/downloads")
    form.get_by_role("button", name="Save and continue").click()

    # The first sync: started, followed to its end, its counts shown.
    expect(form.get_by_role("heading", name="First sync")).to_be_visible()
    form.get_by_role("button", name="Start the first sync").click()
    progress = form.locator(".sync-progress")
    expect(progress).to_contain_text("Finished in", timeout=30_000)
    expect(progress.locator(".badge")).to_have_text("Success")
    expect(progress.locator("dl")).to_contain_text("3")
    page.screenshot(path=str(screenshot_dir / "desktop-setup-first-sync.png"), full_page=True)
    form.get_by_role("button", name="Finish").click()
    expect(page).to_have_url(f"{fresh.url}/#/library")
    expect(page.locator("#toast")).to_contain_text("Setup done")

    settings = fresh.data("GET", "/api/settings")
    assert settings["values"]["first_run_wizard"] == "completed"
    assert settings["values"]["abs_url"] == abs_url
    assert settings["values"]["remote_path_mappings"] == ["/downloads=/data/downloads"]
    assert settings["secrets"] == {**settings["secrets"], "abs_token": True, "qb_password": True}
    books = fresh.data("GET", "/api/books")
    assert sorted(book["title"] for book in books["items"]) == sorted(title for title, _ in BOOKS)
    page.reload()
    expect(page.get_by_role("heading", name="Library", exact=True)).to_be_visible()
    expect(page).to_have_url(f"{fresh.url}/#/library")  # never shown again


def test_skipping_the_wizard_is_remembered(page: Any, fresh: FreshInstall) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/")
    enter_key(page, fresh.key)
    expect(page).to_have_url(f"{fresh.url}/#/setup", timeout=15_000)
    page.get_by_role("button", name="Start").click()
    expect(step_form(page).get_by_role("heading", name="Audiobookshelf")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"the wizard scrolls sideways by {overflow}px on a phone"
    page.get_by_role("button", name="Skip the wizard").click()
    expect(page).to_have_url(f"{fresh.url}/#/library")
    assert fresh.data("GET", "/api/settings")["values"]["first_run_wizard"] == "skipped"
    page.goto("/#/settings")
    page.reload()
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    expect(page).to_have_url(f"{fresh.url}/#/settings")


def open_settings(page: Any, fresh: FreshInstall, section: str) -> None:
    fresh.data("PATCH", "/api/settings", json={"first_run_wizard": "skipped"})
    page.goto(f"/#/settings?section={section}")
    enter_key(page, fresh.key)


def test_the_api_key_is_copied_and_rotated_and_the_page_keeps_working(page: Any, fresh: FreshInstall) -> None:
    open_settings(page, fresh, "general")
    panel = page.locator(".settings-group").filter(has=page.get_by_role("heading", name="API key"))
    expect(panel.locator(".api-key")).to_contain_text(fresh.key[-4:])
    assert fresh.key not in panel.inner_text()  # shown masked
    page.on("dialog", lambda dialog: dialog.accept())
    panel.get_by_role("button", name="Rotate the key").click()
    expect(panel.locator(".feedback")).to_contain_text("A new key is in force")
    new_key = fresh.context.api_keys.current()
    assert new_key != fresh.key
    expect(panel.locator(".api-key")).to_contain_text(new_key[-4:])
    stored = page.evaluate("() => window.localStorage.getItem('shelfkeeper.apiKey')")
    assert stored == new_key
    with httpx.Client(base_url=fresh.url) as client:
        assert client.get("/api/system/status", headers={"X-Api-Key": fresh.key}).status_code == 401
    page.get_by_role("link", name="Schedules").click()  # the page goes on with the new key, no prompt
    expect(page.get_by_role("heading", name="Job schedules")).to_be_visible()
    expect(page.locator("#key-dialog")).not_to_be_visible()


def test_a_backup_is_made_and_downloaded(page: Any, fresh: FreshInstall, tmp_path: Path, screenshot_dir: Path) -> None:
    open_settings(page, fresh, "general")
    panel = page.locator(".settings-group").filter(has=page.get_by_role("heading", name="Backups"))
    expect(panel).to_contain_text("No backup yet.")
    panel.get_by_role("button", name="Back up now").click()
    expect(panel.locator(".feedback")).to_contain_text("Backup shelfkeeper-")
    made = fresh.data("GET", "/api/system/backups")
    assert len(made) == 1
    row = panel.locator("tbody tr").filter(has_text=made[0]["name"])
    with page.expect_download() as waiting:
        row.get_by_role("button", name="Download").click()
    download = waiting.value
    assert download.suggested_filename == made[0]["name"]
    saved = tmp_path / "downloaded.db"
    download.save_as(saved)
    assert saved.read_bytes() == Path(made[0]["path"]).read_bytes()
    page.screenshot(path=str(screenshot_dir / "desktop-settings-general.png"), full_page=True)


def test_schedules_read_in_words_and_a_change_shows_the_servers_next_run(
    page: Any, fresh: FreshInstall, screenshot_dir: Path
) -> None:
    open_settings(page, fresh, "schedules")
    row = page.locator("tbody tr").filter(has_text="Library sync")
    expect(row.locator(".schedule-words")).to_have_text("every 15 minutes")
    cleanup = page.locator("tbody tr").filter(has_text="Clean-up of old runs")
    expect(cleanup.locator(".schedule-words")).to_have_text("every day at 01:00")

    box = cleanup.get_by_label("Schedule of Clean-up of old runs (cron)")
    box.fill("30 4 * * sun")
    expect(cleanup.locator(".cron-preview")).to_have_text("every Sunday at 04:30")
    cleanup.get_by_role("button", name="Save").click()
    cleanup = page.locator("tbody tr").filter(has_text="Clean-up of old runs")
    expect(cleanup.locator(".schedule-words")).to_have_text("every Sunday at 04:30")
    job = fresh.data("GET", "/api/scheduler/jobs/cleanup_old_tasks")
    assert job["schedule"] == "30 4 * * sun"
    shown = cleanup.locator(".next-run time")
    expect(shown).to_have_attribute("datetime", job["next_run_at"].replace("+00:00", "Z"), timeout=3_000)

    cleanup.get_by_label("Schedule of Clean-up of old runs (cron)").fill("0 0 31 2 *")
    cleanup.get_by_role("button", name="Save").click()
    expect(cleanup.locator(".row-feedback")).to_contain_text("never fires")
    page.screenshot(path=str(screenshot_dir / "desktop-settings-schedules.png"), full_page=True)


def test_media_management_edits_mappings_format_order_and_shows_the_naming_example(
    page: Any, fresh: FreshInstall, screenshot_dir: Path
) -> None:
    open_settings(page, fresh, "media")
    group = page.locator(".settings-group")
    expect(group.locator(".naming-example")).to_contain_text(
        "LIBRARY_PATH/James S. A. Corey/The Expanse/05 - Nemesis Games"
    )
    group.get_by_label("library_path").fill("/srv/books")
    group.get_by_label("import_mode").select_option("copy")
    group.get_by_role("button", name="Add a mapping").click()
    group.get_by_label("Remote path 1").fill("/downloads")
    group.get_by_label("Local path 1").fill("/srv/downloads")
    group.get_by_role("button", name="Save").click()
    expect(group.locator(".feedback")).to_contain_text("Saved and applied without a restart")
    expect(group.locator(".naming-example")).to_contain_text("/srv/books/Andy Weir/Project Hail Mary")
    page.screenshot(path=str(screenshot_dir / "desktop-settings-media.png"), full_page=True)
    values = fresh.data("GET", "/api/settings")["values"]
    assert (values["library_path"], values["import_mode"], values["remote_path_mappings"]) == (
        "/srv/books", "copy", ["/downloads=/srv/downloads"],
    )  # fmt: skip

    page.get_by_role("link", name="Profiles").click()
    order = page.locator("#setting-quality_format_order")
    expect(order.locator("li").first).to_contain_text("m4b")
    order.get_by_role("button", name="Move mp3 up").click()
    expect(page.get_by_role("button", name="Move mp3 up")).to_be_focused()
    page.locator(".settings-group").get_by_role("button", name="Save").click()
    expect(page.locator(".settings-group .feedback")).to_contain_text("Saved and applied")
    page.screenshot(path=str(screenshot_dir / "desktop-settings-profiles.png"), full_page=True)
    assert fresh.data("GET", "/api/settings")["values"]["quality_format_order"][:3] == ["m4b", "mp3", "m4a"]

    page.get_by_role("navigation", name="Settings sections").get_by_role("link", name="Metadata").click()
    sources = page.locator("#setting-metadata_sources")
    expect(sources.locator("li")).to_have_count(3)
    sources.get_by_label("Use google_books").uncheck()
    sources.get_by_role("button", name="Move openlibrary up").click()
    page.locator(".settings-group").get_by_role("button", name="Save").click()
    expect(page.locator(".settings-group .feedback")).to_contain_text("Saved and applied")
    assert fresh.data("GET", "/api/settings")["values"]["metadata_sources"] == ["openlibrary", "audnexus"]
    expect(page.locator("#setting-metadata_sources").get_by_label("Use google_books")).not_to_be_checked()
