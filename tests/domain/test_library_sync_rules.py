"""The library sync's pure rules: which sync to run, the watermark, names, titles and where series come from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shelfkeeper.domain.library.items import LibraryItem, SeriesRef
from shelfkeeper.domain.library.sync import (
    SeriesSourcePlan,
    SyncMode,
    book_values,
    choose_mode,
    item_title,
    needs_exact_series,
    next_watermark,
    plan_series_sources,
    renamed_in_joined,
    series_text,
)
from shelfkeeper.domain.names import display_name

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("forced", "last_full", "watermark", "mode", "reason"),
    [
        (True, NOW - HOUR, NOW - HOUR, SyncMode.FULL, "a full sync was asked for"),
        (True, None, None, SyncMode.FULL, "a full sync was asked for"),
        (False, None, None, SyncMode.FULL, "no full sync was done before"),
        (False, None, NOW - HOUR, SyncMode.FULL, "no full sync was done before"),
        (False, NOW - HOUR, None, SyncMode.FULL, "no full sync was done before"),
        (False, NOW - 24 * HOUR, NOW - HOUR, SyncMode.FULL, "the last full sync was 24 h ago (one a day)"),
        (False, NOW - 30 * HOUR, NOW - HOUR, SyncMode.FULL, "the last full sync was 30 h ago (one a day)"),
        (False, NOW - 23 * HOUR, NOW - HOUR, SyncMode.INCREMENTAL, "items updated since 2026-11-24T11:00:00+00:00"),
        (False, NOW - 15 * timedelta(minutes=1), NOW, SyncMode.INCREMENTAL, "items updated since 2026-11-24T12:00"),
    ],
)
def test_mode_is_full_when_asked_never_done_or_a_day_old(
    forced: bool, last_full: datetime | None, watermark: datetime | None, mode: SyncMode, reason: str
) -> None:
    decision = choose_mode(forced_full=forced, last_full_at=last_full, watermark=watermark, now=NOW)
    assert decision.mode is mode
    assert decision.reason.startswith(reason)
    assert decision.since == (watermark if mode is SyncMode.INCREMENTAL else None)


OVERLAP = timedelta(minutes=10)


@pytest.mark.parametrize(
    ("newest_seen", "oldest_failed", "expected"),
    [
        (None, None, NOW - OVERLAP),  # an empty library: our own start
        (NOW - HOUR, None, NOW - HOUR - OVERLAP),  # the server's clock is behind ours
        (NOW + HOUR, None, NOW - OVERLAP),  # ahead: never skip past our own start
        (NOW - HOUR, NOW - 5 * HOUR, NOW - 5 * HOUR - OVERLAP),  # a failed item is tried again
        (NOW - HOUR, NOW + HOUR, NOW - HOUR - OVERLAP),
    ],
)
def test_watermark_is_the_earliest_of_start_newest_and_failed_less_overlap(
    newest_seen: datetime | None, oldest_failed: datetime | None, expected: datetime
) -> None:
    assert next_watermark(NOW, newest_seen, oldest_failed) == expected


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Brandon Sanderson", "Brandon Sanderson"),
        ("Sanderson, Brandon", "Brandon Sanderson"),
        ("Le Guin, Ursula K.", "Ursula K. Le Guin"),
        ("  Tolkien,   J. R. R.  ", "J. R. R. Tolkien"),
        ("King, Jr.", "King, Jr."),
        ("Harry Connick, Jr.", "Harry Connick, Jr."),
        ("Vonnegut, Kurt, Jr.", "Vonnegut, Kurt, Jr."),  # two commas: left as written
        ("刘慈欣", "刘慈欣"),
        ("Schätzing, Frank", "Frank Schätzing"),
        (",", ","),
        ("Plato", "Plato"),
    ],
)
def test_names_are_shown_in_reading_order(name: str, shown: str) -> None:
    assert display_name(name) == shown


@pytest.mark.parametrize(
    ("title", "path", "shown"),
    [
        ("The Way of Kings", "/a/b", "The Way of Kings"),
        ("  Spaced   Out  ", None, "Spaced Out"),
        ("", "/audiobooks/Author/Mystery Folder", "Mystery Folder"),
        ("   ", "/audiobooks/Author/Trailing/", "Trailing"),
        ("", "C:\\Books\\Windows Folder", "Windows Folder"),
        ("", None, "Audiobookshelf item li_1"),
        ("", "/", "Audiobookshelf item li_1"),
    ],
)
def test_a_book_is_never_nameless(title: str, path: str | None, shown: str) -> None:
    assert item_title(LibraryItem(id="li_1", library_id="lib", title=title, path=path)) == shown


@pytest.mark.parametrize(
    ("series", "remembered", "needed", "text"),
    [
        ((), None, False, ""),
        ((), "Old #1", False, ""),  # losing every series needs no lookup: the list says so exactly
        ((SeriesRef("Mistborn", "1"),), None, True, "Mistborn #1"),
        ((SeriesRef("Mistborn", "1"),), "Mistborn #1", False, "Mistborn #1"),
        ((SeriesRef("Mistborn", "1"),), "Mistborn #2", True, "Mistborn #1"),
        ((SeriesRef("Mistborn", "1"), SeriesRef("Cosmere")), "Mistborn #1", True, "Mistborn #1, Cosmere"),
        ((SeriesRef("Nul\x00Series", "1-3"),), "NulSeries #1-3", False, "NulSeries #1-3"),
    ],
)
def test_exact_series_are_read_only_when_they_changed(
    series: tuple[SeriesRef, ...], remembered: str | None, needed: bool, text: str
) -> None:
    item = LibraryItem(id="li", library_id="lib", title="T", series=series, minified=True)
    assert series_text(item) == text
    assert needs_exact_series(item, remembered) is needed


def test_book_values_keep_genres_once_in_order() -> None:
    item = LibraryItem(id="li", library_id="", title="T", genres=("Fantasy", " Fantasy ", "", "Epic", "Fantasy"))
    values = book_values(item)
    assert values["genres"] == ["Fantasy", "Epic"]
    assert values["library_id"] is None


@pytest.mark.parametrize(
    ("members", "known", "listed", "plan"),
    [
        ({}, {}, set(), SeriesSourcePlan()),
        ({"mistborn": ["a"]}, {}, set(), SeriesSourcePlan()),
        ({"mistborn": ["a"]}, {"mistborn": "s1"}, set(), SeriesSourcePlan()),  # one book: one request either way
        ({"mistborn": ["a", "b"]}, {"mistborn": "s1"}, set(), SeriesSourcePlan(listings=("mistborn",))),
        ({"mistborn": ["a", "b"]}, {}, set(), SeriesSourcePlan()),  # learning + listing = 2 = two fetches
        ({"mistborn": ["a", "b", "c"]}, {}, set(), SeriesSourcePlan(learn_from=("a",), listings=("mistborn",))),
        ({"mistborn": ["a", "b", "c"]}, {"mistborn": "s1"}, {"mistborn"}, SeriesSourcePlan()),
        (
            {"discworld": ["d1", "d2", "d3", "d4"], "expanse": ["e1", "e2"], "dune": ["x"]},
            {"expanse": "s2"},
            set(),
            SeriesSourcePlan(learn_from=("d1",), listings=("discworld", "expanse")),
        ),
        (  # one book in two big unknown series is fetched once to learn both ids
            {"cosmere": ["m", "n", "o"], "mistborn": ["m", "p", "q"]},
            {},
            set(),
            SeriesSourcePlan(learn_from=("m",), listings=("cosmere", "mistborn")),
        ),
    ],
)
def test_each_series_gets_the_cheaper_source(
    members: dict[str, list[str]], known: dict[str, str], listed: set[str], plan: SeriesSourcePlan
) -> None:
    found = plan_series_sources(members, known, listed)
    assert (found.learn_from, found.listings) == (plan.learn_from, plan.listings)
    assert set(found.reasons) == set(members)
    assert all(reason for reason in found.reasons.values())


@pytest.mark.parametrize(
    ("joined", "expected"),
    [
        ("Old #1", "New #1"),
        ("Old", "New"),
        ("Other #2, Old #1.5", "Other #2, New #1.5"),
        ("Old Tales #1, Bold #2", "Old Tales #1, Bold #2"),
        ("", ""),
    ],
)
def test_a_rename_rewrites_only_whole_parts_of_a_joined_series_name(joined: str, expected: str) -> None:
    assert renamed_in_joined(joined, "Old", "New") == expected


def test_a_renamed_name_holding_a_comma_is_matched_whole() -> None:
    joined = "Earthsea Cycle, The #1, Cosmere #3"
    assert renamed_in_joined(joined, "Earthsea Cycle, The", "Earthsea") == "Earthsea #1, Cosmere #3"
