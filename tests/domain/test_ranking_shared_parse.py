"""Ranking parses one upload listed by several indexers once: every release still gets what its own parse gives."""

from __future__ import annotations

import dataclasses

from bench.analysis import releases
from shelfkeeper.domain.releases.parsing import parse_release
from shelfkeeper.domain.releases.ranking import QualityProfile, RankedRelease, _parsed, _rank_one, rank
from shelfkeeper.domain.releases.release import Release, ReleaseSource
from shelfkeeper.domain.releases.verification import WantedEdition

BASE = Release(indexer="AudioBookBay", title="Brandon Sanderson - The Final Empire (Mistborn 1) [m4b]", guid="g0")

# alike in every field the parse reads, then each field the parse reads changed in turn
VARIANTS = [
    dataclasses.replace(BASE, guid="g1", indexer="Nyaa", size_bytes=900 * 1024 * 1024, seeders=40, info_hash="ab"),
    dataclasses.replace(BASE, guid="g2", extra={"asin": "B00ABCDEFG"}),
    dataclasses.replace(BASE, guid="g3", title=BASE.title + " (2008)"),
    dataclasses.replace(BASE, guid="g4", file_type="mp3"),
    dataclasses.replace(BASE, guid="g5", authors=("Brandon Sanderson",)),
    dataclasses.replace(BASE, guid="g6", narrators=("Michael Kramer",)),
    dataclasses.replace(BASE, guid="g7", series=(("Mistborn", "1"),)),
    dataclasses.replace(BASE, guid="g8", language="German"),
    dataclasses.replace(BASE, guid="g9", categories=(3030,)),
    dataclasses.replace(BASE, guid="g10", categories=(7020,)),
    dataclasses.replace(BASE, guid="g11", source=ReleaseSource.MAM, categories=(60,)),
    dataclasses.replace(BASE, guid="g12", extra={"main_cat": 14}),
    dataclasses.replace(BASE, guid="g13", extra={"main_cat": [14]}),
    dataclasses.replace(BASE, guid="g14", freeleech=True),
    dataclasses.replace(BASE, guid="g15", personal_freeleech=True),
    dataclasses.replace(BASE, guid="g16", vip=True),
]


def test_each_release_parses_as_alone() -> None:
    readings: dict[tuple[object, ...], object] = {}
    for release in [BASE, *VARIANTS, *VARIANTS]:
        assert _parsed(release, readings) == parse_release(release)  # type: ignore[arg-type]


def _one_by_one(wanted: WantedEdition, found: list[Release]) -> list[RankedRelease]:
    """The ranking as it was: each release parsed on its own, then sorted by the documented order."""
    profile = QualityProfile()
    ranked = [_rank_one(wanted, parse_release(r), profile, None, frozenset()) for r in found]
    return sorted(
        ranked,
        key=lambda item: (
            not item.accepted,
            -item.score,
            not item.freeleech,
            -(item.release.seeders or 0),
            item.release.guid,
        ),
    )


def test_ranking_as_one_parse_per_release() -> None:
    wanted, found = releases()
    found = [*found, BASE, *VARIANTS]
    assert len({r.title for r in found}) < len(found)  # some uploads are listed twice
    assert rank(wanted, found, QualityProfile()) == _one_by_one(wanted, found)
