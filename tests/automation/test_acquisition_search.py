"""Release search: Prowlarr and MAM merged and de-duplicated, ranked with the profile, blocklist and MAM stats."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shelfkeeper.automation.release_search import (
    find_releases,
    merge_releases,
    quality_profile,
    search_query,
    search_releases,
    stats_from_json,
)
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import WantedBook
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.verification import WantedEdition
from shelfkeeper.services.blocklist import add_entry
from shelfkeeper.services.downloads import wanted_book_of
from shelfkeeper.settings import Settings
from tests.automation.acquisition_support import build_stack, unique_size

DARKER = WantedEdition(title="You Like It Darker", authors=("Stephen King",))


@pytest.fixture
def stack(engine, tmp_path):
    yield from build_stack(engine, tmp_path, qbittorrent=False)


def seed_darker(stack) -> dict[str, object]:
    """The same MAM torrent found twice (MAM itself and Prowlarr's MAM indexer), one other indexer, decoys."""
    stack.prowlarr.add_indexer(1, "MyAnonamouse")
    stack.prowlarr.add_indexer(2, "AudioBook Bay", privacy="public", definition_name="audiobookbay")
    on_mam = stack.mam.add_torrent(
        "You Like It Darker", id=555, authors=["Stephen King"], narrators=["Will Patton"], size=unique_size(600)
    )
    stack.mam.add_torrent("You Like It Darker (Abridged)", id=556, authors=["Stephen King"], size=unique_size(200))
    stack.prowlarr.add_release(
        "You Like It Darker by Stephen King [ENG / M4B]",
        indexer_id=1,
        guid="https://www.myanonamouse.net/t/555",
        torrent=on_mam.torrent,
        size=on_mam.size,
        seeders=30,
    )
    other = stack.prowlarr.add_release(
        "Stephen King - You Like It Darker [MP3 64kbps]", indexer_id=2, size=unique_size(300), seeders=4
    )
    stack.prowlarr.add_release("Stephen King - You Like It Darker [GER]", indexer_id=2, size=unique_size(300))
    return {"mam": on_mam, "other": other}


def by_title(ranked):
    return {item.release.title: item for item in ranked}


def test_search_merges_both_indexers_and_ranks_with_reasons(stack):
    seeded = seed_darker(stack)
    result = stack.go(lambda run: find_releases(run, DARKER))
    assert [(s.name, s.ok, s.count) for s in result.sources] == [("prowlarr", True, 3), ("mam", True, 2)]
    assert len(result.ranked) == 4  # five answers, one torrent found twice
    best = result.ranked[0]
    assert best.accepted and best.release.source == "mam"
    assert best.release.mam_id == 555
    assert best.release.info_hash == seeded["mam"].info_hash  # known only to Prowlarr's answer, kept on the merge
    assert best.release.narrators == ("Will Patton",)
    assert best.release.extra["also_found_at"] == ["MyAnonamouse: https://www.myanonamouse.net/t/555"]
    ranked = by_title(result.ranked)
    assert ranked["Stephen King - You Like It Darker [MP3 64kbps]"].accepted
    assert best.score > ranked["Stephen King - You Like It Darker [MP3 64kbps]"].score  # m4b over mp3
    assert [r.code for r in ranked["You Like It Darker (Abridged)"].rejections] == ["abridged"]
    assert [r.code for r in ranked["Stephen King - You Like It Darker [GER]"].rejections] == ["language"]
    assert all(item.reasons for item in result.ranked)


def test_search_asks_prowlarr_for_audiobooks_with_book_tokens_and_mam_in_its_fields(stack):
    seed_darker(stack)
    stack.go(
        lambda run: search_releases(run, WantedEdition(title="You Like It Darker: Stories", authors=("Stephen King",)))
    )
    (_, _, query) = next(r for r in stack.prowlarr.requests if r[1] == "/api/v1/search")
    params = dict(query)
    assert params["query"] == "{author:Stephen King}{title:You Like It Darker}"
    assert (params["type"], params["categories"]) == ("book", "3030")
    (_, _, mam_query) = next(r for r in stack.mam.requests if r[1].endswith("loadSearchJSONbasic.php"))
    mam_params = dict(mam_query)
    assert mam_params["tor[text]"] == "You Like It Darker Stephen King"
    assert mam_params["tor[srchIn][title]"] == mam_params["tor[srchIn][author]"] == "true"
    assert mam_params["tor[main_cat][]"] == "13"


def test_a_failing_source_is_reported_and_skipped(stack):
    seed_darker(stack)
    stack.prowlarr.faults.set("server_error")
    result = stack.go(lambda run: find_releases(run, DARKER))
    prowlarr, mam = result.sources
    assert not prowlarr.ok and prowlarr.error_code in ("SERVICE_ERROR", "SERVICE_BAD_RESPONSE", "SERVICE_UNREACHABLE")
    assert mam.ok and mam.count == 2
    assert {item.release.source for item in result.ranked} == {"mam"}
    assert result.ranked[0].accepted


def test_an_unconfigured_source_is_left_out(engine, tmp_path):
    for stack in build_stack(engine, tmp_path, qbittorrent=False, mam_id=None):
        seed_darker(stack)
        result = stack.go(lambda run: find_releases(run, DARKER))
        assert result.sources[1].error == "not configured"
        assert stack.mam.requests == []
        assert {item.release.source for item in result.ranked} == {"prowlarr"}


def test_a_blocklisted_release_is_rejected_and_the_next_one_is_best(stack):
    seed_darker(stack)
    with unit_of_work(stack.context.sessions) as session:
        add_entry(session, info_hash=None, title="You Like It Darker", indexer="MyAnonamouse", reason="stalled")
    ranked = stack.go(lambda run: search_releases(run, DARKER))
    blocked = by_title(ranked)["You Like It Darker"]
    assert not blocked.accepted and "blocklisted" in [r.code for r in blocked.rejections]
    assert ranked[0].release.title == "Stephen King - You Like It Darker [MP3 64kbps]"


def test_below_the_ratio_floor_only_freeleech_mam_releases_are_accepted(stack):
    stack.mam.user.ratio = 0.4
    stack.mam.add_torrent("You Like It Darker", id=701, authors=["Stephen King"], size=unique_size(600))
    stack.mam.add_torrent(
        "You Like It Darker [Freeleech]", id=702, authors=["Stephen King"], size=unique_size(600), free=True
    )
    result = stack.go(lambda run: find_releases(run, DARKER))
    ranked = {item.release.mam_id: item for item in result.ranked}
    assert [r.code for r in ranked[701].rejections] == ["mam_ratio"]
    assert ranked[702].accepted and ranked[702].freeleech
    assert result.mam_stats is not None and result.mam_stats.ratio == 0.4
    remembered = stack.context.integrations.state.get("mam")["stats"]
    assert remembered["ratio"] == 0.4 and remembered["fetched_at"] == stack.clock.now.isoformat()


def test_fresh_remembered_mam_stats_save_a_request_and_stale_ones_are_fetched_again(stack):
    stack.mam.add_torrent("You Like It Darker", id=801, authors=["Stephen King"], size=unique_size(600))

    def stats_requests() -> int:
        return sum(1 for _, path, _ in stack.mam.requests if path == "/jsonLoad.php")

    stack.go(lambda run: find_releases(run, DARKER))
    stack.clock.advance(hours=5)
    stack.go(lambda run: find_releases(run, DARKER))
    assert stats_requests() == 1
    stack.clock.advance(hours=2)
    stack.go(lambda run: find_releases(run, DARKER))
    assert stats_requests() == 2


def release(title: str, **fields) -> Release:
    return Release(indexer=fields.pop("indexer", "X"), title=title, guid=fields.pop("guid", title), **fields)


HASH_A, HASH_B = "a" * 40, "b" * 40
MAM_PAGE = "https://www.myanonamouse.net/t/{}"


@pytest.mark.parametrize(
    ("releases", "expected_groups"),
    [
        ([release("one", info_hash=HASH_A), release("two", info_hash=HASH_A.upper())], 1),
        ([release("one", info_hash=HASH_A), release("two", info_hash=HASH_B)], 2),
        ([release("one", mam_id=5, source="mam"), release("two", guid=MAM_PAGE.format(5))], 1),
        ([release("one", mam_id=5, source="mam"), release("two", guid=MAM_PAGE.format(6))], 2),
        ([release("one", guid="g1"), release("two", guid="g1")], 1),
        ([release("one", guid="g1"), release("two", guid="g2")], 2),
        # a third answer joins two that looked apart: MAM id links one, the hash the other
        (
            [
                release("by id", mam_id=9, source="mam"),
                release("by hash", info_hash=HASH_A),
                release("both", guid=MAM_PAGE.format(9), info_hash=HASH_A),
            ],
            1,
        ),
        ([], 0),
    ],
)
def test_merge_releases(releases, expected_groups):
    merged = merge_releases(releases)
    assert len(merged) == expected_groups
    if expected_groups == 1 and any(r.source == "mam" for r in releases):
        assert merged[0].source == "mam"
        assert merged[0].info_hash == next((r.info_hash.lower() for r in releases if r.info_hash), None)


@pytest.mark.parametrize(
    ("overrides", "attribute", "expected"),
    [
        ({"quality_format_order": "MP3,m4b"}, "format_order", ("mp3", "m4b")),
        ({"quality_min_seeders": 3}, "min_seeders", 3),
        ({"quality_languages": "english,german"}, "languages", ("english", "german")),
        ({"quality_forbidden_words": "sample, dramatized"}, "forbidden_words", ("sample", "dramatized")),
        ({"quality_preferred_narrators": "Ray Porter"}, "preferred_narrators", ("Ray Porter",)),
        ({"quality_prefer_vip": True}, "prefer_vip", True),
        ({"quality_max_size_mb": 900}, "max_size_mb", 900.0),
        ({"mam_ratio_floor": 1.5}, "mam.ratio_floor", 1.5),
        ({"mam_use_wedges": True}, "mam.use_wedges", True),
        ({"mam_wedge_min_size_mb": 100}, "mam.wedge_min_size_bytes", 100 * 1024 * 1024),
        ({"mam_wedge_reserve": 2}, "mam.wedge_reserve", 2),
    ],
)
def test_quality_profile_from_settings(tmp_path, overrides, attribute, expected):
    settings = Settings(data_dir=tmp_path, _env_file=None, **overrides)  # type: ignore[call-arg]
    value: object = quality_profile(settings)
    for name in attribute.split("."):
        value = getattr(value, name)
    assert value == expected


def test_search_query_drops_the_subtitle_and_keeps_the_first_author():
    query = search_query(
        WantedEdition(title="Dune: Book One", authors=("Frank Herbert", "Someone Else"), series="Dune")
    )
    assert (query.title, query.author, query.series, query.narrator) == ("Dune", "Frank Herbert", None, None)


def test_wanted_book_of_a_missing_book_row():
    row = WantedBook(
        title="Leviathan Wakes",
        subtitle="The Expanse, Book 1",
        author_name="James S. A. Corey",
        series_name="The Expanse",
        series_position="1",
        asin="B0058MX6W8",
        language="english",
        flags=["abridged"],
        evidence={"narrators": ["Jefferson Mays"], "duration_minutes": 1200},
    )
    wanted = wanted_book_of(row)
    assert wanted == WantedEdition(
        title="Leviathan Wakes",
        authors=("James S. A. Corey",),
        series="The Expanse",
        position="1",
        narrator="Jefferson Mays",
        language="english",
        asin="B0058MX6W8",
        duration_minutes=1200,
        abridged_ok=True,
        subtitle="The Expanse, Book 1",
        subtitle_note="from the wanted record",
    )
    looked_up = {"subtitle_lookup": {"asin": "B0058MX6W8", "source": "audnexus", "subtitle": "The Expanse, Book 1"}}
    row.evidence = {**row.evidence, **looked_up}
    assert wanted_book_of(row).subtitle_note == "looked up at audnexus by ASIN B0058MX6W8"
    row.subtitle, row.evidence = None, {"subtitle_lookup": {**looked_up["subtitle_lookup"], "subtitle": None}}
    assert wanted_book_of(row).subtitle_note == "audnexus has none for ASIN B0058MX6W8"
    row.asin = "B0OTHER000"  # looked up for another ASIN: not yet for this one
    assert wanted_book_of(row).subtitle_note is None
    row.asin = None
    assert wanted_book_of(row).subtitle_note == "no ASIN to look it up"


@pytest.mark.parametrize(
    ("stored", "expected_ratio", "expected_class"),
    [
        ({"username": "u", "user_class": "VIP", "ratio": 2.0, "wedges": 1}, 2.0, "VIP"),
        ({"username": "u", "classname": "Power User", "ratio": 0.5}, 0.5, "Power User"),
        ({"wedges": 4}, None, None),
    ],
)
def test_remembered_stats_are_read_leniently(stored, expected_ratio, expected_class):
    stats = stats_from_json({**stored, "fetched_at": datetime(2026, 1, 1, tzinfo=UTC).isoformat()})
    assert stats is not None
    assert (stats.ratio, stats.user_class) == (expected_ratio, expected_class)


def test_remembered_stats_without_ratio_or_wedges_are_unusable():
    assert stats_from_json({"username": "u"}) is None
