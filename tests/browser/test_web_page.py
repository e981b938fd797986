"""The page in a real browser: the key prompt, the library list, search and filters, a refused key."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import WEB_KEY, LiveApp, enter_key, open_with_key
from tests.browser.library_seed import BOOKS

pytestmark = pytest.mark.browser


def book_rows(page: Any) -> Any:
    return page.locator(".view-library table.data-table tbody tr")


def test_the_key_prompt_comes_first_then_the_library_lists_the_seeded_books(web_page: Any) -> None:
    web_page.goto("/")
    dialog = web_page.locator("#key-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("shelfkeeper api-key show")
    expect(web_page.locator("main")).not_to_contain_text("Leviathan Wakes")  # nothing is shown without the key
    enter_key(web_page)
    expect(dialog).to_be_hidden()
    expect(book_rows(web_page)).to_have_count(len(BOOKS))
    for book in BOOKS:
        expect(web_page.locator(".view-library tbody")).to_contain_text(book["title"])
    expect(web_page.locator(".summary")).to_contain_text(f"{len(BOOKS)} books in the library")
    expect(web_page.get_by_role("link", name="Library")).to_have_attribute("aria-current", "page")
    assert web_page.evaluate("localStorage.getItem('shelfkeeper.apiKey')") == WEB_KEY


def test_the_key_is_kept_for_the_next_visit(web_page: Any) -> None:
    open_with_key(web_page)
    expect(book_rows(web_page)).to_have_count(len(BOOKS))
    web_page.reload()
    expect(book_rows(web_page)).to_have_count(len(BOOKS))
    expect(web_page.locator("#key-dialog")).to_be_hidden()


def test_search_narrows_the_list_and_stays_in_the_address(web_page: Any) -> None:
    open_with_key(web_page)
    expect(book_rows(web_page)).to_have_count(len(BOOKS))
    web_page.get_by_label("Search").fill("expanse")
    web_page.get_by_label("Search").press("Enter")
    expect(book_rows(web_page)).to_have_count(3)
    for title in ("Leviathan Wakes", "Caliban's War", "Cibola Burn"):
        expect(book_rows(web_page).filter(has_text=title)).to_have_count(1)
    assert "q=expanse" in web_page.url
    web_page.reload()  # the search survives a reload
    expect(book_rows(web_page)).to_have_count(3)
    expect(web_page.get_by_label("Search")).to_have_value("expanse")


def test_filters_sort_and_paging(web_page: Any, live_app: LiveApp) -> None:
    open_with_key(web_page, "#/library?sort=-year")
    expect(book_rows(web_page).first).to_contain_text("Project Hail Mary")
    web_page.get_by_label("Language").select_option("German")
    expect(book_rows(web_page)).to_have_count(1)
    expect(book_rows(web_page).first).to_contain_text("Der Schwarm")
    web_page.get_by_label("Language").select_option("")
    web_page.get_by_label("ASIN").select_option("false")
    expect(book_rows(web_page)).to_have_count(3)
    web_page.get_by_label("ASIN").select_option("")
    checked_ok = live_app.data("GET", "/api/books", params={"metadata_status": "ok"})["total"]
    web_page.get_by_label("Metadata").select_option("ok")
    expect(book_rows(web_page)).to_have_count(checked_ok)
    expect(book_rows(web_page).filter(has_text="Ok")).to_have_count(checked_ok)
    web_page.get_by_label("Metadata").select_option("")
    web_page.get_by_label("Per page").select_option("10")
    expect(web_page.locator(".pager-status")).to_have_text(f"Showing 1–{len(BOOKS)} of {len(BOOKS)} books")
    web_page.goto("/#/library?limit=5&sort=title")
    expect(book_rows(web_page)).to_have_count(5)
    web_page.get_by_role("button", name="Next").click()
    expect(book_rows(web_page)).to_have_count(len(BOOKS) - 5)
    expect(web_page.locator(".pager-status")).to_have_text(f"Showing 6–{len(BOOKS)} of {len(BOOKS)} books")


def test_a_refused_key_brings_the_prompt_back_with_the_reason(web_page: Any, live_app: LiveApp) -> None:
    open_with_key(web_page)
    expect(book_rows(web_page)).to_have_count(len(BOOKS))
    # As if the key were rotated on the server: the stored one is refused on the next call.
    web_page.evaluate("localStorage.setItem('shelfkeeper.apiKey', 'an-old-key')")
    web_page.get_by_role("link", name="Series").click()
    dialog = web_page.locator("#key-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#key-problem")).to_contain_text("Invalid API key.")
    assert web_page.evaluate("localStorage.getItem('shelfkeeper.apiKey')") is None  # the refused key is forgotten
    enter_key(web_page, "still-wrong")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#key-problem")).to_contain_text("Invalid API key.")
    enter_key(web_page)
    expect(dialog).to_be_hidden()
    expect(web_page.locator(".series-card").filter(has_text="The Expanse")).to_be_visible()


def test_forget_key_asks_again(web_page: Any) -> None:
    open_with_key(web_page)
    expect(book_rows(web_page)).to_have_count(len(BOOKS))
    web_page.get_by_role("button", name="Forget key").click()
    expect(web_page.locator("#key-dialog")).to_be_visible()
    web_page.keyboard.press("Escape")  # no key, no page: the prompt stays
    expect(web_page.locator("#key-dialog")).to_be_visible()
    assert web_page.evaluate("localStorage.getItem('shelfkeeper.apiKey')") is None
