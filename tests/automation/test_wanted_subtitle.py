"""The search step looks a wanted book's subtitle up once by its ASIN (Audnexus, else Audible) over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from shelfkeeper.automation.acquisition import acquire_wanted
from shelfkeeper.automation.release_search import SearchResult, find_releases
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.automation.wanted_subtitle import searchable_wanted
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import ProviderCache, WantedBook
from shelfkeeper.testing.fakes.audible import FakeAudible
from shelfkeeper.testing.fakes.audible_data import AudibleCatalog
from shelfkeeper.testing.fakes.audnexus import FakeAudnexus
from tests.automation.acquisition_support import Stack, build_stack, shared_server, unique_size

ASIN = "B002V0QK4C"
RIGHT = "Laura Hillenbrand - Seabiscuit: An American Legend [M4B]"  # the heuristic refuses it ("american")
OTHER = "Laura Hillenbrand - Seabiscuit: The Horse Nobody Wanted To Race [M4B]"  # the heuristic would take it


@pytest.fixture
def providers() -> tuple[FakeAudnexus, FakeAudible]:
    catalog = AudibleCatalog()
    catalog.add_book(ASIN, "Seabiscuit", subtitle="An American Legend", authors=["Laura Hillenbrand"])
    nexus, audible = FakeAudnexus(catalog, search_enabled=False), FakeAudible(catalog)
    shared_server("audnexus")[0].app, shared_server("audible")[0].app = nexus.app, audible.app
    return nexus, audible


@pytest.fixture
def stack(engine, tmp_path, providers):
    urls = {"audnexus_url": shared_server("audnexus")[1].url, "audible_url": shared_server("audible")[1].url}
    yield from build_stack(engine, tmp_path, qbittorrent=False, **urls)


def seed_releases(stack: Stack, *, other: bool = True) -> None:
    stack.prowlarr.add_indexer(2, "AudioBook Bay", privacy="public", definition_name="audiobookbay")
    stack.prowlarr.add_release(RIGHT, indexer_id=2, size=unique_size(400), seeders=5)
    if other:
        stack.prowlarr.add_release(OTHER, indexer_id=2, size=unique_size(400), seeders=90)


def search(stack: Stack, wanted_id: int) -> SearchResult:
    async def work(run: RunContext) -> SearchResult:
        return await find_releases(run, await searchable_wanted(run, wanted_id))

    return stack.go(work)


def verdicts(result: SearchResult) -> dict[str, tuple[bool, set[str]]]:
    return {
        item.release.title: (item.accepted, {str(reason.code) for reason in item.reasons if "subtitle" in reason.code})
        for item in result.ranked
    }


def row(stack: Stack, wanted_id: int) -> dict[str, Any]:
    with unit_of_work(stack.context.sessions) as session:
        found = session.get(WantedBook, wanted_id)
        assert found is not None
        return {"subtitle": found.subtitle, **(found.evidence or {})}


def nexus_asks(nexus: FakeAudnexus) -> list[str]:
    return [path for _, path, _ in nexus.requests if path.startswith("/books/")]


def test_the_subtitle_is_looked_up_once_remembered_and_decides(stack, providers):
    nexus, audible = providers
    seed_releases(stack)
    wanted_id = stack.wanted("Seabiscuit", "Laura Hillenbrand", asin=ASIN)
    result = search(stack, wanted_id)
    assert result.wanted.subtitle == "An American Legend"
    assert verdicts(result) == {RIGHT: (True, {"subtitle_known"}), OTHER: (False, {"subtitle_mismatch"})}
    assert nexus_asks(nexus) == [f"/books/{ASIN}"] and audible.requests == []
    remembered = row(stack, wanted_id)
    assert remembered["subtitle"] == "An American Legend"
    assert remembered["subtitle_lookup"]["source"] == "audnexus" and remembered["subtitle_lookup"]["asin"] == ASIN
    again = search(stack, wanted_id)  # from the record now: no second request
    assert verdicts(again)[RIGHT] == (True, {"subtitle_known"})
    assert len(nexus_asks(nexus)) == 1
    reason = next(r for r in again.ranked[0].reasons if r.code == "subtitle_known")
    assert reason.text == f"subtitle 'An American Legend' is the book's; looked up at audnexus by ASIN {ASIN}"


def test_another_wanted_record_with_the_same_asin_is_answered_from_the_provider_cache(stack, providers):
    nexus, _ = providers
    seed_releases(stack)
    first = stack.wanted("Seabiscuit", "Laura Hillenbrand", asin=ASIN)
    second = stack.wanted("Seabiscuit", "Laura Hillenbrand", asin=ASIN)
    search(stack, first)
    assert verdicts(search(stack, second))[RIGHT] == (True, {"subtitle_known"})
    assert len(nexus_asks(nexus)) == 1
    with unit_of_work(stack.context.sessions) as session:
        assert session.scalars(select(ProviderCache.source)).all() == ["audnexus"]


def test_audible_answers_when_audnexus_is_down(stack, providers):
    nexus, audible = providers
    nexus.faults.set("down")
    seed_releases(stack)
    wanted_id = stack.wanted("Seabiscuit", "Laura Hillenbrand", asin=ASIN)
    result = search(stack, wanted_id)
    assert verdicts(result)[RIGHT] == (True, {"subtitle_known"})
    assert [path for _, path, _ in audible.requests] == [f"/1.0/catalog/products/{ASIN}"]
    assert row(stack, wanted_id)["subtitle_lookup"]["source"] == "audible"


def test_both_providers_down_leaves_the_heuristic_and_the_reason_then_asks_again(stack, providers):
    nexus, audible = providers
    nexus.faults.set("down")
    audible.faults.set("down")
    seed_releases(stack, other=False)
    wanted_id = stack.wanted("Seabiscuit", "Laura Hillenbrand", asin=ASIN)
    result = stack.go(lambda run: acquire_wanted(run, [wanted_id]))
    assert result.counts["no_release"] == 1  # the heuristic alone refuses "An American Legend"
    summary = row(stack, wanted_id)["last_search"]
    assert summary["sources"] == {"prowlarr": 1, "mam": 0}
    assert summary["subtitle"]["known"] is None
    assert summary["subtitle"]["note"].startswith("subtitle lookup failed (audnexus: HTTP 502")
    assert "subtitle_lookup" not in row(stack, wanted_id)
    found = search(stack, wanted_id)
    refused = next(item for item in found.ranked if item.release.title == RIGHT)
    assert not refused.accepted and "subtitle lookup failed" in str(refused.rejections[0])
    nexus.faults.set("none")
    audible.faults.set("none")
    assert verdicts(search(stack, wanted_id))[RIGHT] == (True, {"subtitle_known"})
    assert row(stack, wanted_id)["subtitle"] == "An American Legend"


def test_no_asin_no_lookup_and_the_heuristic_says_so(stack, providers):
    nexus, audible = providers
    stack.prowlarr.add_indexer(2, "AudioBook Bay", privacy="public", definition_name="audiobookbay")
    stack.prowlarr.add_release("Yuval Noah Harari - Homo Deus: A Brief History of Tomorrow [M4B]", indexer_id=2,
                               size=unique_size(400))  # fmt: skip
    wanted_id = stack.wanted("Homo Deus", "Yuval Noah Harari")
    result = search(stack, wanted_id)
    assert result.wanted.subtitle_note == "no ASIN to look it up"
    assert [str(reason) for reason in result.ranked[0].reasons if reason.code == "subtitle"] == [
        "subtitle 'A Brief History of Tomorrow' (the wanted record has none; no ASIN to look it up) (+0)"
    ]
    assert nexus.requests == [] and audible.requests == []


def test_an_asin_no_provider_knows_is_remembered_as_none(stack, providers):
    nexus, audible = providers
    seed_releases(stack)
    wanted_id = stack.wanted("Seabiscuit", "Laura Hillenbrand", asin="B0000UNKNW")
    result = search(stack, wanted_id)
    assert result.wanted.subtitle is None
    assert verdicts(result)[RIGHT] == (False, set())  # the heuristic alone
    assert row(stack, wanted_id)["subtitle_lookup"]["subtitle"] is None
    search(stack, wanted_id)
    assert len(nexus_asks(nexus)) == 1 and len(audible.requests) == 1


def test_a_request_bounded_lookup_that_gets_no_answer_in_time_leaves_the_heuristic(stack, providers):
    nexus, _ = providers
    nexus.faults.set("slow", delay=3.0)
    wanted_id = stack.wanted("Seabiscuit", "Laura Hillenbrand", asin=ASIN)
    wanted = stack.go(lambda run: searchable_wanted(run, wanted_id, within=0.2))
    assert (wanted.subtitle, wanted.subtitle_note) == (None, "subtitle lookup gave no answer within 0.2 s")
    assert "subtitle_lookup" not in row(stack, wanted_id)  # asked again at the next search
