"""Acquisition with series packs, against the Prowlarr and MAM fakes over HTTP and an in-memory download client
(the e2e test grabs a real pack with real qBittorrents): a pack when it is the better choice, single books when
it is not or when packs are turned off, and a pack of another series never. Both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from shelfkeeper.automation.acquisition import acquire_wanted
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import Download, DownloadBook, WantedBook
from shelfkeeper.testing.doubles import InMemoryDownloadClient
from tests.automation.acquisition_support import Stack, build_stack, unique_size

AUTHOR, SERIES = "Brandon Sanderson", "Mistborn"
TITLES = ("The Final Empire", "The Well of Ascension", "The Hero of Ages")


def stack_with(engine: Engine, tmp_path: Path, **overrides: Any) -> Iterator[Stack]:
    for built in build_stack(engine, tmp_path, qbittorrent=False, quality_min_size_mb=0, **overrides):
        built.adapters["qbittorrent"] = InMemoryDownloadClient()
        built.fresh_integrations()
        built.prowlarr.add_indexer(1, "Audio Tracker", definition_name="cardigann")
        yield built


@pytest.fixture
def stack(engine: Engine, tmp_path: Path) -> Iterator[Stack]:
    yield from stack_with(engine, tmp_path)


@pytest.fixture
def no_packs(engine: Engine, tmp_path: Path) -> Iterator[Stack]:
    yield from stack_with(engine, tmp_path, quality_series_packs=False)


def arrange(stack: Stack, *, pack_seeders: int = 20) -> list[int]:
    """Three wanted books of Mistborn, their single releases, a Mistborn pack and another series' pack."""
    stack.prowlarr.add_release(f"{AUTHOR} - {SERIES} Books 1-3 [M4B]", indexer_id=1, size=unique_size(900),
                               seeders=pack_seeders)  # fmt: skip
    stack.prowlarr.add_release(f"{AUTHOR} - {SERIES}: Wax and Wayne Books 1-4 [M4B]", indexer_id=1,
                               size=unique_size(900), seeders=500)  # fmt: skip
    for number, title in enumerate(TITLES, start=1):
        stack.prowlarr.add_release(f"{AUTHOR} - {title} ({SERIES} {number}) [M4B]", indexer_id=1,
                                   size=unique_size(300), seeders=20)  # fmt: skip
    return [
        stack.wanted(title, AUTHOR, series_name=SERIES, series_position=str(number), approved=True)
        for number, title in enumerate(TITLES, start=1)
    ]


def downloads_of(stack: Stack) -> list[Download]:
    with unit_of_work(stack.context.sessions) as session:
        rows = list(session.scalars(select(Download).order_by(Download.id)))
        session.expunge_all()
        return rows


def links(stack: Stack) -> list[tuple[int, int]]:
    with unit_of_work(stack.context.sessions) as session:
        return [(r.download_id, r.wanted_book_id) for r in session.scalars(select(DownloadBook))]


def wanted(stack: Stack, wanted_id: int) -> WantedBook:
    with unit_of_work(stack.context.sessions) as session:
        row = session.get(WantedBook, wanted_id)
        assert row is not None
        session.expunge(row)
        return row


def test_the_pack_is_grabbed_once_for_the_three_books(stack: Stack) -> None:
    wanted_ids = arrange(stack)

    result = stack.go(acquire_wanted)

    assert result.counts == {"considered": 3, "searched": 3, "pack_searches": 1, "pack_grabbed": 1, "grabbed": 1}
    (download,) = downloads_of(stack)
    assert download.release_title == f"{AUTHOR} - {SERIES} Books 1-3 [M4B]"
    assert sorted(links(stack)) == [(download.id, wanted_id) for wanted_id in wanted_ids]
    assert all(wanted(stack, wanted_id).status == "grabbed" for wanted_id in wanted_ids)
    note = wanted(stack, wanted_ids[1]).evidence["last_search"]["pack"]
    assert note["chosen"] == download.release_title and any("the pack is grabbed" in r for r in note["reasons"])
    assert stack.go(acquire_wanted).counts.get("searched") is None, "the covered books are not searched again"


def test_single_books_are_grabbed_when_the_pack_is_worse(stack: Stack) -> None:
    wanted_ids = arrange(stack, pack_seeders=0)  # below the minimum seeders: rejected

    result = stack.go(acquire_wanted)

    assert (result.counts.get("grabbed"), result.counts.get("pack_grabbed")) == (3, None), result.counts
    assert [d.wanted_book_id for d in downloads_of(stack)] == wanted_ids
    assert links(stack) == []
    reasons = wanted(stack, wanted_ids[0]).evidence["last_search"]["pack"]["reasons"]
    assert reasons == ["no acceptable pack (1 found, each rejected) (+0)"]


def test_with_packs_turned_off_every_book_is_grabbed_on_its_own(no_packs: Stack) -> None:
    wanted_ids = arrange(no_packs)

    result = no_packs.go(acquire_wanted)

    assert result.counts == {"considered": 3, "searched": 3, "grabbed": 3}
    assert [d.wanted_book_id for d in downloads_of(no_packs)] == wanted_ids
    assert "Books" not in " ".join(d.release_title for d in downloads_of(no_packs))
