"""Every view renders at desktop and phone width (no sideways scrolling on a phone), with a screenshot of each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, open_with_key

pytestmark = pytest.mark.browser

# Each view with something the seeded library must make it show.
VIEWS = {
    "library": "Leviathan Wakes",
    "series": "The Expanse",
    "wanted": "Abaddon's Gate",
    "queue": "Abaddon's Gate [m4b]",
    "history": "library_sync_task",
    "tasks": "cleanup_old_tasks",
    "metadata": "Books",
    "settings": "Audiobookshelf",
}


# The elements that stick out of the window on the right, for the failure message.
WIDEST = """[...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(0, 5).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def _settled(page: Any, name: str) -> None:
    view = page.locator(f".view-{name}")
    expect(view.locator("h1")).to_be_visible()
    expect(view).to_contain_text(VIEWS[name])
    expect(view.locator(".loading")).to_have_count(0)
    expect(view.locator("[aria-busy='true']")).to_have_count(0)


def test_every_view_at_desktop_width(web_page: Any, screenshot_dir: Path) -> None:
    open_with_key(web_page)
    for name in VIEWS:
        web_page.get_by_role("navigation", name="Sections").get_by_role("link", name=name.capitalize()).click()
        _settled(web_page, name)
        expect(web_page).to_have_title(f"{name.capitalize()} · Shelfkeeper")
        if name != "library":  # the first link is the view already shown: no navigation, no focus move
            assert web_page.evaluate("document.activeElement.tagName") == "H1"  # focus follows the navigation
        web_page.screenshot(path=str(screenshot_dir / f"desktop-{name}.png"), full_page=True)


def test_every_view_fits_a_phone(web_page: Any, screenshot_dir: Path) -> None:
    web_page.set_viewport_size(PHONE)
    open_with_key(web_page)
    for name in VIEWS:
        web_page.goto(f"/#/{name}")
        _settled(web_page, name)
        overflow = web_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        wide = web_page.evaluate(WIDEST)
        assert overflow <= 1, f"{name} scrolls sideways by {overflow}px on a phone: {wide}"
        web_page.screenshot(path=str(screenshot_dir / f"phone-{name}.png"), full_page=True)


def test_the_key_prompt(web_page: Any, screenshot_dir: Path) -> None:
    web_page.goto("/")
    dialog = web_page.locator("#key-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("API key")).to_be_focused()
    web_page.screenshot(path=str(screenshot_dir / "desktop-key-prompt.png"))
