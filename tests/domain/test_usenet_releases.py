"""Usenet releases: NZBs checked and named, and ranked by the same right-book rules with grabs and age for seeders."""

from __future__ import annotations

from typing import Any

import pytest

from shelfkeeper.domain.releases.ranking import QualityProfile, best_release, rank
from shelfkeeper.domain.releases.release import DownloadProtocol, Release
from shelfkeeper.domain.releases.verification import ReasonCode, WantedEdition
from shelfkeeper.domain.torrents.nzb import NzbError, nzb_id, parse_nzb
from shelfkeeper.domain.torrents.status import AddTorrent
from shelfkeeper.testing.nzbget import make_nzb

MB = 1024 * 1024
DUNE = WantedEdition("Dune", ("Frank Herbert",))
PROFILE = QualityProfile(min_seeders=1)


def nzb_release(guid: str, title: str, *, grabs: int | None = 5, age_days: float | None = 30, **fields: Any) -> Release:
    extra = {"protocol": "usenet", "age_hours": None if age_days is None else age_days * 24}
    return Release(
        indexer="NZBgeek",
        title=title,
        guid=guid,
        protocol=DownloadProtocol.USENET,
        size_bytes=600 * MB,
        grabs=grabs,
        extra=extra,
        **fields,
    )


def test_an_nzb_is_summarised_and_named_by_its_sha1() -> None:
    content = make_nzb("Frank.Herbert-Dune", files=2, segments=3, segment_bytes=1000)
    summary = parse_nzb(content)
    assert (summary.files, summary.segments, summary.size_bytes, summary.par2_files) == (3, 7, 7000, 1)
    assert summary.title == "Frank.Herbert-Dune"
    assert nzb_id(content) == nzb_id(bytes(content)) and len(nzb_id(content)) == 40
    assert nzb_id(content) != nzb_id(content + b"\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"d8:announce", "not XML"),
        (b"<html><body>Login</body></html>", "not <nzb>"),
        (b'<nzb xmlns="http://www.newzbin.com/DTD/2003/nzb"></nzb>', "no file"),
        (b'<!DOCTYPE nzb [<!ENTITY a "aaaa">]><nzb>&a;</nzb>', "entity"),
    ],
)
def test_what_is_not_an_nzb_is_refused_with_a_reason(content: bytes, message: str) -> None:
    with pytest.raises(NzbError, match=message):
        parse_nzb(content)


def test_an_add_request_with_an_nzb_is_a_usenet_one() -> None:
    assert AddTorrent(nzb_file=b"<nzb/>").protocol is DownloadProtocol.USENET
    assert AddTorrent(url="magnet:?xt=urn:btih:" + "a" * 40).protocol is DownloadProtocol.TORRENT


def test_seeder_rules_do_not_reject_usenet_releases() -> None:
    [ranked] = rank(DUNE, [nzb_release("n1", "Frank Herbert - Dune (Unabridged) M4B")], PROFILE)
    assert ranked.accepted, ranked.reason_texts
    codes = {reason.code for reason in ranked.reasons}
    assert ReasonCode.SEEDERS not in codes and {ReasonCode.GRABS, ReasonCode.AGE} <= codes


def test_the_wrong_book_on_usenet_is_rejected_as_on_a_tracker() -> None:
    [ranked] = rank(DUNE, [nzb_release("n1", "Frank Herbert - Dune Messiah (Unabridged) M4B")], PROFILE)
    assert not ranked.accepted


def test_more_grabs_and_a_younger_post_rank_higher() -> None:
    title = "Frank Herbert - Dune (Unabridged) M4B"
    releases = [
        nzb_release("ancient", title, grabs=40, age_days=3000),
        nzb_release("unknown", title, grabs=None, age_days=None),
        nzb_release("older", title, grabs=40, age_days=1000),
        nzb_release("popular", title, grabs=40, age_days=20),
        nzb_release("fresh-unknown-grabs", title, grabs=None, age_days=2),
    ]
    ranked = rank(DUNE, releases, PROFILE)
    assert all(r.accepted for r in ranked)
    base = min(r.score for r in ranked)
    assert {r.release.guid: r.score - base for r in ranked} == {
        "popular": 10,  # grabs 40 (+10), a young post
        "older": 6,  # two years past the first: -4
        "ancient": 0,  # the age penalty stops at -10
        "unknown": 0,
        "fresh-unknown-grabs": 0,
    }
    assert [r.release.guid for r in ranked][:2] == ["popular", "older"]
    texts = {r.release.guid: r.reason_texts for r in ranked}
    assert "grabs 40 (+10)" in texts["popular"] and "age 20 days (+0)" in texts["popular"]
    assert "age 3000 days (-10)" in texts["ancient"]
    assert "grabs unknown (+0)" in texts["unknown"] and "age unknown (+0)" in texts["unknown"]


def test_a_torrent_and_an_nzb_of_the_same_book_compete_on_the_same_scale() -> None:
    title = "Frank Herbert - Dune (Unabridged) M4B"
    torrent = Release(indexer="AudioBookBay", title=title, guid="t", size_bytes=600 * MB, seeders=0)
    nzb = nzb_release("n", title, grabs=3)
    best = best_release(rank(DUNE, [torrent, nzb], PROFILE))
    assert best is not None and best.release.guid == "n"  # the torrent has no seeder: rejected
