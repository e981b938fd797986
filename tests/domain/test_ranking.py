"""Quality profile, MAM policy and ranking: a table of cases asserting which release is chosen, or that none is."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from shelfkeeper.domain.releases.mam_policy import MamPolicy, decide_wedge, is_mam_release, mam_torrent_id
from shelfkeeper.domain.releases.ranking import (
    BlocklistKey,
    QualityProfile,
    best_release,
    rank,
    release_title_key,
)
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.tracker import TrackerStats
from shelfkeeper.domain.releases.verification import WantedEdition

MB = 1024 * 1024
GB = 1024 * MB

# Wanted books (runtimes make size-per-hour checks apply)
IT = WantedEdition("It", ("Stephen King",), duration_minutes=2700)
DARKER = WantedEdition("You Like It Darker", ("Stephen King",), narrator="Will Patton", duration_minutes=1200)
FINAL_EMPIRE = WantedEdition("The Final Empire", ("Brandon Sanderson",), series="Mistborn", position="1")
LEVIATHAN = WantedEdition("Leviathan Wakes", ("James S. A. Corey",), series="The Expanse", position="1")
RED_RISING = WantedEdition("Red Rising", ("Pierce Brown",), series="Red Rising", position="1")
THE_STAND = WantedEdition("The Stand", ("Stephen King",), duration_minutes=2880)
DUNE = WantedEdition("Dune", ("Frank Herbert",), language="english")
DUNE_ANY_LENGTH = WantedEdition("Dune", ("Frank Herbert",))
MISTBORN = WantedEdition("Mistborn", ("Brandon Sanderson",), series="Mistborn", position="1")


def web(guid: str, title: str, *, size_mb: float = 600, seeders: int | None = 10, **fields: Any) -> Release:
    """A release as Prowlarr gives it: a title, a size, seeders and flags."""
    indexer = fields.pop("indexer", "AudioBookBay")
    return Release(indexer=indexer, title=title, guid=guid, size_bytes=int(size_mb * MB), seeders=seeders, **fields)


def mam(
    guid: str, title: str, authors: tuple[str, ...] = ("Stephen King",), *, size_mb: float = 600, **fields: Any
) -> Release:
    """A release as MyAnonamouse gives it: structured authors, narrators, series, file type and language."""
    defaults: dict[str, Any] = {"file_type": "m4b", "language": "ENG", "seeders": 10, "mam_id": 1}
    return Release(
        indexer="MyAnonamouse",
        source="mam",
        title=title,
        guid=guid,
        authors=authors,
        size_bytes=int(size_mb * MB),
        **{**defaults, **fields},
    )


@dataclass(frozen=True)
class Case:
    wanted: WantedEdition
    releases: list[Release]
    chosen: str | None  # guid of the release to grab, or None when every release must be rejected
    profile: QualityProfile = field(default_factory=QualityProfile)
    stats: TrackerStats | None = None
    blocklist: frozenset[BlocklistKey] = frozenset()


def stats(ratio: float, wedges: int = 0) -> TrackerStats:
    return TrackerStats("reader", "Power User", ratio, None, None, None, wedges)


def vip_stats(ratio: float, wedges: int = 0) -> TrackerStats:
    return TrackerStats("reader", "VIP", ratio, None, None, None, wedges)


# Guids starting with "wrong-" name a release that holds another book: none may ever be accepted.
CASES = {
    # --- the wrong book: title words, author, volume -------------------------------------------------
    "it-is-not-you-like-it-darker": Case(
        IT,
        [
            web("wrong-darker", "Stephen King - You Like It Darker (2024) [M4B] 64kbps", seeders=300),
            web("it", "Stephen King - It (1986) [MP3] 64kbps", size_mb=1200, seeders=3),
        ],
        "it",
    ),
    "it-only-darker-offered": Case(
        IT,
        [web("wrong-darker", "Stephen King - You Like It Darker [M4B]"), mam("wrong-darker-mam", "You Like It Darker")],
        None,
    ),
    "darker-is-not-it": Case(
        DARKER,
        [web("wrong-it", "Stephen King - It [M4B]", seeders=500), mam("darker", "You Like It Darker", seeders=2)],
        "darker",
    ),
    "volume-03-against-01": Case(
        FINAL_EMPIRE,
        [
            web("wrong-03", "Brandon Sanderson - Mistborn 03 - The Hero of Ages [M4B]", seeders=90),
            web("01", "Brandon Sanderson - Mistborn 01 - The Final Empire [MP3]", seeders=4),
        ],
        "01",
    ),
    "volume-03-only-title-is-series": Case(
        RED_RISING,
        [web("wrong-03", "Pierce Brown - Red Rising 03 [M4B]"), web("wrong-02", "Pierce Brown - Red Rising 02")],
        None,
    ),
    "volume-01-title-is-series": Case(
        RED_RISING,
        [
            web("wrong-03", "Pierce Brown - Red Rising 03 [M4B]", seeders=80),
            web("01", "Pierce Brown - Red Rising 01 [MP3]"),
        ],
        "01",
    ),
    "mam-series-volume-3-against-1": Case(
        MISTBORN,
        [
            mam(
                "wrong-3.5",
                "Mistborn: Secret History",
                ("Brandon Sanderson",),
                series=(("Mistborn", "3.5"),),
                seeders=99,
            ),
            mam("wrong-vol2", "Mistborn", ("Brandon Sanderson",), series=(("Mistborn", "2"),), seeders=50),
            mam("vol1", "Mistborn", ("Brandon Sanderson",), series=(("Mistborn", "1"),), file_type="mp3"),
        ],
        "vol1",
    ),
    "another-volume-of-the-expanse": Case(
        LEVIATHAN,
        [mam("wrong-3", "Abaddon's Gate", ("James S. A. Corey",), series=(("The Expanse", "3"),))],
        None,
    ),
    "omnibus-against-single": Case(
        FINAL_EMPIRE,
        [
            web("wrong-omnibus", "Brandon Sanderson - Mistborn 1-3 - The Final Empire Omnibus [M4B]", seeders=200),
            web("single", "Brandon Sanderson - Mistborn 01 - The Final Empire [M4B]"),
        ],
        "single",
    ),
    "another-author": Case(
        DARKER,
        [
            web("wrong-owen", "Owen King - You Like It Darker [M4B]", seeders=90),
            web("king", "You Like It Darker by Stephen King [MP3]"),
        ],
        "king",
    ),
    "another-author-only": Case(
        DUNE_ANY_LENGTH,
        [
            web("wrong-brian", "Brian Herbert, Kevin J. Anderson - Dune: House Atreides [M4B]"),
            mam("wrong-messiah", "Dune Messiah", ("Frank Herbert",)),
        ],
        None,
    ),
    "author-not-named": Case(IT, [web("wrong-anon", "It [M4B] 64kbps", seeders=50)], None),
    "dune-not-its-sequels": Case(
        DUNE_ANY_LENGTH,
        [
            web("wrong-messiah", "Frank Herbert - Dune Messiah [M4B]", seeders=70),
            web("wrong-children", "Frank Herbert - Children of Dune [M4B]", seeders=70),
            web("dune", "Frank Herbert - Dune [MP3]", seeders=5),
        ],
        "dune",
    ),
    "partial-against-whole": Case(
        THE_STAND,
        [
            web("wrong-part1", "Stephen King - The Stand (Part 1 of 2) [M4B]", size_mb=800, seeders=40),
            web("whole", "Stephen King - The Stand [MP3]", size_mb=1500),
        ],
        "whole",
    ),
    # --- edition: abridged, ebook ---------------------------------------------------------------------
    "abridged-against-unabridged": Case(
        THE_STAND,
        [
            web("wrong-abridged", "Stephen King - The Stand (Abridged) [M4B]", size_mb=900, seeders=60),
            web("unabridged", "Stephen King - The Stand [Unabridged] [MP3]", size_mb=1500),
        ],
        "unabridged",
    ),
    "abridged-only": Case(
        THE_STAND, [web("wrong-abridged", "Stephen King - The Stand (Abridged) [M4B]", size_mb=900)], None
    ),
    "abridged-when-wanted": Case(
        WantedEdition("The Stand", ("Stephen King",), abridged_ok=True),
        [web("abridged", "Stephen King - The Stand (Abridged) [M4B]", size_mb=900)],
        "abridged",
    ),
    "ebook-against-audio": Case(
        DUNE,
        [
            web("wrong-epub", "Dune (Frank Herbert) [EPUB]", size_mb=2, seeders=400),
            web("mp3", "Frank Herbert - Dune [MP3]"),
        ],
        "mp3",
    ),
    "ebook-only": Case(
        DUNE,
        [
            web("wrong-epub", "Dune (Frank Herbert) [EPUB]", size_mb=2),
            mam("wrong-pdf", "Dune", ("Frank Herbert",), file_type="pdf mobi"),
        ],
        None,
    ),
    "ebook-category-only": Case(DUNE, [web("wrong-cat", "Frank Herbert - Dune", size_mb=3, categories=(7020,))], None),
    # --- narrator ------------------------------------------------------------------------------------
    "another-narrator-loses-to-the-wanted-one": Case(
        DARKER,
        [
            mam("other-narrator", "You Like It Darker", narrators=("Someone Else",), seeders=40),
            mam("patton", "You Like It Darker", narrators=("Will Patton",), file_type="mp3"),
        ],
        "patton",
    ),
    "unknown-narrator-beats-another-narrator": Case(
        DARKER,
        [
            mam("other-narrator", "You Like It Darker", narrators=("Someone Else",)),
            web("no-narrator", "Stephen King - You Like It Darker [MP3]"),
        ],
        "no-narrator",
    ),
    "another-narrator-is-still-the-right-book": Case(
        DARKER, [mam("other-narrator", "You Like It Darker", narrators=("Someone Else",))], "other-narrator"
    ),
    "preferred-narrator": Case(
        IT,
        [
            web("weber", "Stephen King - It - read by Steven Weber [MP3]", size_mb=1200),
            web("plain", "Stephen King - It [MP3]", size_mb=1200),
        ],
        "weber",
        QualityProfile(preferred_narrators=("Steven Weber",)),
    ),
    # --- language --------------------------------------------------------------------------------------
    "foreign-language": Case(
        DUNE_ANY_LENGTH,
        [
            mam("german", "Dune", ("Frank Herbert",), language="GER", freeleech=True, seeders=80),
            mam("english", "Dune", ("Frank Herbert",), file_type="mp3", seeders=2),
        ],
        "english",
    ),
    "foreign-language-only": Case(
        DUNE,
        [
            web("german", "Frank Herbert - Der Wüstenplanet - Dune [GER] [M4B]"),
            mam("fr", "Dune", ("Frank Herbert",), language="FRE"),
        ],
        None,
    ),
    "unknown-language-accepted": Case(DUNE, [web("plain", "Frank Herbert - Dune [M4B]")], "plain"),
    "profile-wants-german": Case(
        WantedEdition("Dune", ("Frank Herbert",), language="german"),
        [
            mam("english", "Dune", ("Frank Herbert",), seeders=99),
            mam("german", "Dune", ("Frank Herbert",), language="GER"),
        ],
        "german",
        QualityProfile(languages=("german",)),
    ),
    # --- size outliers ----------------------------------------------------------------------------------
    "size-outlier-small-per-hour": Case(
        DARKER,
        [
            web("tiny", "Stephen King - You Like It Darker [M4B]", size_mb=5, seeders=99),
            web("ok", "Stephen King - You Like It Darker [MP3]"),
        ],
        "ok",
    ),
    "size-outlier-large-per-hour": Case(
        DARKER,
        [
            web("huge", "Stephen King - You Like It Darker [M4B]", size_mb=40_000),
            web("ok", "Stephen King - You Like It Darker [MP3]"),
        ],
        "ok",
    ),
    "size-outliers-only": Case(
        DARKER,
        [
            web("tiny", "Stephen King - You Like It Darker [M4B]", size_mb=3),
            web("huge", "Stephen King - You Like It Darker", size_mb=9000),
        ],
        None,
    ),
    "size-bounds-without-runtime": Case(
        DUNE_ANY_LENGTH,
        [
            web("sample", "Frank Herbert - Dune [M4B]", size_mb=4, seeders=90),
            web("full", "Frank Herbert - Dune [MP3]", size_mb=700),
        ],
        "full",
    ),
    # --- flags, seeders, ties ---------------------------------------------------------------------------
    "freeleech-tie": Case(
        DUNE,
        [mam("paid", "Dune", ("Frank Herbert",)), mam("free", "Dune", ("Frank Herbert",), freeleech=True)],
        "free",
        QualityProfile(prefer_freeleech=False),
    ),
    "freeleech-preferred-over-more-seeders": Case(
        DUNE,
        [
            mam("paid", "Dune", ("Frank Herbert",), seeders=60),
            mam("free", "Dune", ("Frank Herbert",), seeders=5, freeleech=True),
        ],
        "free",
    ),
    "personal-freeleech-counts-as-freeleech": Case(
        DUNE,
        [
            mam("paid", "Dune", ("Frank Herbert",), seeders=60),
            mam("pfl", "Dune", ("Frank Herbert",), seeders=5, personal_freeleech=True),
        ],
        "pfl",
    ),
    "seeders-tie-break": Case(
        DUNE,
        [mam("twelve", "Dune", ("Frank Herbert",), seeders=12), mam("ten", "Dune", ("Frank Herbert",), seeders=10)],
        "twelve",
    ),
    "guid-tie-break": Case(
        DUNE,
        [mam("guid-b", "Dune", ("Frank Herbert",)), mam("guid-a", "Dune", ("Frank Herbert",))],
        "guid-a",
    ),
    "vip-preference": Case(
        DUNE,
        [mam("plain", "Dune", ("Frank Herbert",)), mam("vip", "Dune", ("Frank Herbert",), vip=True)],
        "vip",
        QualityProfile(prefer_vip=True),
    ),
    "no-seeders": Case(DUNE, [web("dead", "Frank Herbert - Dune [M4B]", seeders=0)], None),
    "minimum-seeders": Case(
        DUNE,
        [web("few", "Frank Herbert - Dune [M4B]", seeders=3), web("enough", "Frank Herbert - Dune [MP3]", seeders=6)],
        "enough",
        QualityProfile(min_seeders=5),
    ),
    # --- format, bitrate, words ---------------------------------------------------------------------------
    "m4b-over-mp3": Case(
        DUNE, [web("mp3", "Frank Herbert - Dune [MP3]"), web("m4b", "Frank Herbert - Dune [M4B]")], "m4b"
    ),
    "mp3-first-profile": Case(
        DUNE,
        [web("mp3", "Frank Herbert - Dune [MP3]"), web("m4b", "Frank Herbert - Dune [M4B]")],
        "mp3",
        QualityProfile(format_order=("mp3", "m4b")),
    ),
    "format-not-in-profile": Case(
        DUNE, [web("wma", "Frank Herbert - Dune [WMA]", seeders=90), web("unknown", "Frank Herbert - Dune")], "unknown"
    ),
    "bitrate-too-low": Case(
        DUNE,
        [web("low", "Frank Herbert - Dune [M4B] 16kbps", seeders=90), web("ok", "Frank Herbert - Dune [MP3] 64kbps")],
        "ok",
    ),
    "bitrate-too-high": Case(
        DUNE,
        [web("high", "Frank Herbert - Dune {mp3 320}"), web("ok", "Frank Herbert - Dune {mp3 128}")],
        "ok",
        QualityProfile(max_bitrate_kbps=192),
    ),
    "forbidden-word": Case(
        DUNE,
        [web("sample", "Frank Herbert - Dune [M4B] sample", seeders=50), web("ok", "Frank Herbert - Dune [MP3]")],
        "ok",
        QualityProfile(forbidden_words=("sample",)),
    ),
    "preferred-word": Case(
        DUNE,
        [web("plain", "Frank Herbert - Dune [M4B]"), web("retail", "Frank Herbert - Dune [M4B] [Retail]")],
        "retail",
        QualityProfile(preferred_words=("retail",)),
    ),
    # --- blocklist --------------------------------------------------------------------------------------
    "blocklisted-hash": Case(
        DUNE,
        [web("bad", "Frank Herbert - Dune [M4B]", info_hash="ABCDEF"), web("ok", "Frank Herbert - Dune [MP3]")],
        "ok",
        blocklist=frozenset({BlocklistKey.for_hash("abcdef")}),
    ),
    "blocklisted-title-on-one-indexer": Case(
        DUNE,
        [
            web("bad", "Frank Herbert - Dune [M4B]", indexer="AudioBookBay", seeders=50),
            web("other-indexer", "Frank Herbert - Dune [M4B]", indexer="TorrentLeech"),
        ],
        "other-indexer",
        blocklist=frozenset({BlocklistKey.for_title("frank herbert: DUNE [m4b]", "audiobookbay")}),
    ),
    # --- MAM ratio and wedges ---------------------------------------------------------------------------
    "ratio-below-floor-needs-freeleech": Case(
        DUNE,
        [
            mam("paid", "Dune", ("Frank Herbert",), seeders=90),
            mam("free", "Dune", ("Frank Herbert",), file_type="mp3", freeleech=True),
        ],
        "free",
        QualityProfile(prefer_freeleech=False),
        stats(0.8),
    ),
    "ratio-below-floor-no-freeleech": Case(DUNE, [mam("paid", "Dune", ("Frank Herbert",))], None, stats=stats(0.8)),
    "ratio-below-floor-wedge-on-large": Case(
        DUNE,
        [mam("big", "Dune", ("Frank Herbert",), size_mb=1500, mam_id=77)],
        "big",
        QualityProfile(mam=MamPolicy(use_wedges=True, wedge_min_size_bytes=1 * GB)),
        stats(0.8, wedges=3),
    ),
    "ratio-below-floor-no-wedge-on-vip": Case(
        DUNE,
        [mam("vip", "Dune", ("Frank Herbert",), size_mb=1500, vip=True)],
        None,
        QualityProfile(mam=MamPolicy(use_wedges=True, wedge_min_size_bytes=1 * GB)),
        stats(0.8, wedges=3),
    ),
    "ratio-below-floor-no-wedges-left": Case(
        DUNE,
        [mam("big", "Dune", ("Frank Herbert",), size_mb=1500)],
        None,
        QualityProfile(mam=MamPolicy(use_wedges=True, wedge_min_size_bytes=1 * GB, wedge_reserve=2)),
        stats(0.8, wedges=2),
    ),
    "ratio-floor-spares-other-indexers": Case(
        DUNE,
        [mam("paid", "Dune", ("Frank Herbert",), seeders=90), web("abb", "Frank Herbert - Dune [MP3]", seeders=3)],
        "abb",
        stats=stats(0.5),
    ),
    "ratio-below-floor-fl-vip-for-a-vip-user": Case(
        DUNE,
        [mam("fl-vip", "Dune", ("Frank Herbert",), extra={"fl_vip": True})],
        "fl-vip",
        stats=vip_stats(0.8),
    ),
    "ratio-below-floor-fl-vip-not-for-others": Case(
        DUNE, [mam("fl-vip", "Dune", ("Frank Herbert",), extra={"fl_vip": True})], None, stats=stats(0.8)
    ),
    "ratio-above-floor": Case(DUNE, [mam("paid", "Dune", ("Frank Herbert",))], "paid", stats=stats(2.5)),
    # --- messy real-world titles ---------------------------------------------------------------------------
    "scene-style-dotted-title": Case(
        WantedEdition("Project Hail Mary", ("Andy Weir",)),
        [
            web("dots", "Andy.Weir.Project.Hail.Mary.2021.Audiobook.M4B"),
            web("wrong-artemis", "Andy Weir - Artemis [M4B]"),
        ],
        "dots",
    ),
    "expanse-book-3": Case(
        WantedEdition("Abaddon's Gate", ("James S. A. Corey",), series="The Expanse", position="3"),
        [
            web("book3", "The Expanse Book 3 - Abaddon's Gate - James S.A. Corey.m4b"),
            web("wrong-book1", "The Expanse Book 1 - Leviathan Wakes - James S.A. Corey.m4b", seeders=99),
        ],
        "book3",
    ),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_ranking_chooses_the_right_release(case: Case) -> None:
    ranked = rank(case.wanted, case.releases, case.profile, mam_stats=case.stats, blocklist=case.blocklist)
    chosen = best_release(ranked)
    assert (chosen.release.guid if chosen else None) == case.chosen
    assert sorted(item.release.guid for item in ranked) == sorted(release.guid for release in case.releases)


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_no_wrong_book_is_ever_accepted(case: Case) -> None:
    ranked = rank(case.wanted, case.releases, case.profile, mam_stats=case.stats, blocklist=case.blocklist)
    wrongly_accepted = [
        item.release.guid for item in ranked if item.accepted and item.release.guid.startswith("wrong-")
    ]
    assert wrongly_accepted == []


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_rejected_releases_come_last_with_their_reasons(case: Case) -> None:
    ranked = rank(case.wanted, case.releases, case.profile, mam_stats=case.stats, blocklist=case.blocklist)
    accepted_flags = [item.accepted for item in ranked]
    assert accepted_flags == sorted(accepted_flags, reverse=True)
    for item in ranked:
        assert item.accepted == (not item.rejections)
        assert item.score == sum(reason.points for reason in item.reasons)


@pytest.mark.parametrize("seed", range(5))
def test_ranking_order_does_not_depend_on_input_order(seed: int) -> None:
    releases = [r for case in CASES.values() if case.wanted is DUNE for r in case.releases]
    shuffled = list(releases)
    random.Random(seed).shuffle(shuffled)
    profile = QualityProfile()
    assert [r.release.guid for r in rank(DUNE, shuffled, profile)] == [
        r.release.guid for r in rank(DUNE, releases, profile)
    ]


def test_reasons_read_as_signed_contributions() -> None:
    ranked = rank(
        DUNE,
        [
            mam("free", "Dune", ("Frank Herbert",), freeleech=True, seeders=12),
            web("dead", "Frank Herbert - Dune", seeders=0),
        ],
        QualityProfile(),
    )
    assert ranked[0].reason_texts == (
        "title words match 'Dune' (+0)",
        "author Frank Herbert (+0)",
        "format m4b (+30)",
        "size 600.0 MB (+0)",
        "language en (+0)",
        "seeders 12 (+8)",
        "freeleech (+15)",
    )
    assert ranked[0].score == 53
    assert "seeders 0 < minimum 1 (rejected)" in ranked[1].reason_texts
    assert "format unknown (+0)" in ranked[1].reason_texts


def test_ratio_reason_names_the_floor() -> None:
    [item] = rank(DUNE, [mam("paid", "Dune", ("Frank Herbert",))], QualityProfile(), mam_stats=stats(0.8))
    assert "ratio 0.80 < floor 1.00 and not freeleech (wedges are turned off) (rejected)" in item.reason_texts


def test_empty_release_list_ranks_to_nothing() -> None:
    assert rank(DUNE, [], QualityProfile()) == []
    assert best_release([]) is None


def _wedge_release(guid: str = "w", **fields: Any) -> Release:
    defaults: dict[str, Any] = {"size_mb": 2000, "mam_id": 5}
    return mam(guid, "Dune", ("Frank Herbert",), **{**defaults, **fields})


WEDGE_ON = MamPolicy(use_wedges=True, wedge_min_size_bytes=1 * GB)


@pytest.mark.parametrize(
    ("release", "tracker", "policy", "use", "reason_part"),
    [
        (_wedge_release(), stats(1.2, wedges=4), WEDGE_ON, True, "4 wedges left"),
        (_wedge_release(), stats(1.2, wedges=4), MamPolicy(), False, "turned off"),
        (_wedge_release(freeleech=True), stats(1.2, wedges=4), WEDGE_ON, False, "already freeleech"),
        (_wedge_release(personal_freeleech=True), stats(1.2, wedges=4), WEDGE_ON, False, "already personal freeleech"),
        (_wedge_release(extra={"fl_vip": True}), vip_stats(1.2, wedges=4), WEDGE_ON, False, "already VIP freeleech"),
        (_wedge_release(extra={"fl_vip": True}), stats(1.2, wedges=4), WEDGE_ON, True, "4 wedges left"),
        (_wedge_release(vip=True), stats(1.2, wedges=4), WEDGE_ON, False, "VIP"),
        (_wedge_release(size_mb=300), stats(1.2, wedges=4), WEDGE_ON, False, "below the wedge minimum"),
        (_wedge_release(), stats(1.2, wedges=0), WEDGE_ON, False, "no wedges to spend"),
        (_wedge_release(), stats(1.2, wedges=0), replace(WEDGE_ON, buy_wedges=True), True, "bought with points"),
        (_wedge_release(), None, WEDGE_ON, False, "wedge count unknown"),
        (_wedge_release(), stats(1.2, wedges=2), MamPolicy(use_wedges=True, wedge_reserve=2), False, "reserve 2"),
        (_wedge_release(mam_id=None, guid="x"), stats(1.2, wedges=4), WEDGE_ON, False, "torrent id unknown"),
        (web("abb", "Frank Herbert - Dune", size_mb=2000), stats(1.2, wedges=4), WEDGE_ON, False, "not a MyAnonamouse"),
        (
            web("https://www.myanonamouse.net/t/4242", "Dune by Frank Herbert", size_mb=2000, indexer="MyAnonamouse"),
            stats(1.2, wedges=4),
            WEDGE_ON,
            True,
            "large non-freeleech release",
        ),
    ],
)
def test_decide_wedge(
    release: Release, tracker: TrackerStats | None, policy: MamPolicy, use: bool, reason_part: str
) -> None:
    decision = decide_wedge(release, tracker, policy)
    assert decision.use_wedge is use
    assert reason_part in decision.reason


@pytest.mark.parametrize(
    ("release", "is_mam", "torrent_id"),
    [
        (mam("m", "Dune", mam_id=12), True, 12),
        (web("https://www.myanonamouse.net/t/99", "Dune", indexer="MyAnonamouse"), True, 99),
        (web("g", "Dune", indexer="My Anonamouse"), True, None),
        (web("g", "Dune"), False, None),
    ],
)
def test_mam_releases_are_recognised(release: Release, is_mam: bool, torrent_id: int | None) -> None:
    assert is_mam_release(release) is is_mam
    assert mam_torrent_id(release) == torrent_id


def test_blocklist_keys_are_normalised() -> None:
    release = web("g", "Frank Herbert – Dune [M4B]", info_hash="ABCDEF", indexer="AudioBookBay")
    assert BlocklistKey.for_hash(" AbCdEf ") in BlocklistKey.keys_of(release)
    assert BlocklistKey.for_title("frank herbert dune m4b", "AUDIOBOOKBAY") in BlocklistKey.keys_of(release)
    assert BlocklistKey.for_title("Frank Herbert - Dune [M4B]", "Other") not in BlocklistKey.keys_of(release)
    assert release_title_key("Mistborn 01") != release_title_key("Mistborn 02")
