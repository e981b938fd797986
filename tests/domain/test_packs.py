"""Series packs: which titles are packs of which series and volumes, and when a pack beats the single books."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shelfkeeper.domain.releases.pack_choice import PackBook, choose_pack, rank_packs
from shelfkeeper.domain.releases.packs import PackKind, is_pack, pack_claims, pack_coverage
from shelfkeeper.domain.releases.ranking import QualityProfile, best_release, rank
from shelfkeeper.domain.releases.release import Release, ReleaseSource
from shelfkeeper.domain.releases.verification import ReasonCode, WantedEdition

MB = 1024 * 1024
KNOWN = [Decimal(n) for n in (1, 2, 3, 4)]


def release(title: str, **fields: object) -> Release:
    return Release(indexer="Audio Tracker", title=title, guid=f"guid-{title}", **fields)  # type: ignore[arg-type]


def volumes(*numbers: str) -> frozenset[Decimal]:
    return frozenset(Decimal(n) for n in numbers)


# title, the series asked about, the volumes it holds of that series (empty: not usable for it)
COVERAGE = [
    ("Brandon Sanderson - Mistborn Books 1-3 [MP3]", "Mistborn", volumes("1", "2", "3")),
    ("Mistborn Book 1–3 (Brandon Sanderson)", "Mistborn", volumes("1", "2", "3")),
    ("The Expanse #1-3 - James S. A. Corey", "The Expanse", volumes("1", "2", "3")),
    ("Mistborn Books 1, 2 & 3", "Mistborn", volumes("1", "2", "3")),
    ("Vol. 1-3 of Mistborn", "Mistborn", volumes("1", "2", "3")),
    ("Mistborn: The Complete Series", "Mistborn", volumes("1", "2", "3", "4")),
    ("The Complete Mistborn Series [M4B]", "Mistborn", volumes("1", "2", "3", "4")),
    ("The Mistborn Trilogy", "Mistborn", volumes("1", "2", "3")),
    ("Mistborn Omnibus, Books 1-3", "Mistborn", volumes("1", "2", "3")),
    # decoys: one book, no keyword, another series of the same author, another series' "Books 1-3"
    ("Brandon Sanderson - Mistborn Book 13", "Mistborn", volumes()),
    ("1-800-Flowers", "Mistborn", volumes()),
    ("Catch-22", "Mistborn", volumes()),
    ("Brandon Sanderson - The Stormlight Archive Books 1-3", "Mistborn", volumes()),
    ("Mistborn: Wax and Wayne Books 1-3", "Mistborn", volumes()),
    ("The Wheel of Time Books 1-3", "Mistborn", volumes()),
    ("Brandon Sanderson - Books 1-3", "Mistborn", volumes()),  # the author alone is not enough
    ("Mistborn Box Set", "Mistborn", volumes()),  # a pack, but its volumes are not stated
    ("The Fifth Season: The Broken Earth Trilogy, Book 1", "The Broken Earth", volumes()),  # one volume
]


@pytest.mark.parametrize(("title", "series", "expected"), COVERAGE)
def test_pack_titles_cover_the_volumes_of_their_own_series_only(
    title: str, series: str, expected: frozenset[Decimal]
) -> None:
    coverage = pack_coverage(release(title), series, KNOWN)
    assert coverage.positions == expected, coverage.reason
    assert coverage.usable == bool(expected)
    assert coverage.reason.code == (ReasonCode.PACK if expected else ReasonCode.PACK_NOT_USABLE)


def test_the_reasons_say_why_a_pack_does_not_count() -> None:
    other = pack_coverage(release("Brandon Sanderson - The Stormlight Archive Books 1-3"), "Mistborn", KNOWN)
    assert "another series" in other.reason.text and "Stormlight Archive" in other.reason.text
    unknown = pack_coverage(release("Mistborn Box Set"), "Mistborn", KNOWN)
    assert "volumes are not stated" in unknown.reason.text
    assert is_pack(release("Mistborn Box Set")) and not is_pack(release("Book 13"))
    complete = pack_coverage(release("Mistborn: The Complete Series"), "Mistborn", ())
    assert not complete.usable and "not known yet" in complete.reason.text


def test_mam_series_ranges_are_packs_and_a_single_number_is_not() -> None:
    mam = release("Mistborn", source=ReleaseSource.MAM, series=(("Mistborn", "01-03, 13.5"),))
    (claim,) = pack_claims(mam)
    assert claim.kind is PackKind.MAM_SERIES
    assert claim.positions == volumes("1", "2", "3", "13.5")
    assert pack_coverage(mam, "Mistborn").positions == volumes("1", "2", "3", "13.5")
    other = release("Stormlight", source=ReleaseSource.MAM, series=(("The Stormlight Archive", "1-3"),))
    assert not pack_coverage(other, "Mistborn").usable
    assert pack_claims(release("The Final Empire", series=(("Mistborn", "1"),))) == ()


AUTHOR = ("Brandon Sanderson",)
BOOKS = [
    PackBook(10 + n, WantedEdition(title, AUTHOR, series="Mistborn", position=str(n)))
    for n, title in ((1, "The Final Empire"), (2, "The Well of Ascension"), (3, "The Hero of Ages"))
]
PROFILE = QualityProfile(min_size_mb=0)


def offers() -> list[Release]:
    return [
        release("Brandon Sanderson - Mistborn Books 1-3 [M4B]", seeders=20, size_bytes=900 * MB, freeleech=True),
        release("Brandon Sanderson - The Stormlight Archive Books 1-3 [M4B]", seeders=90, size_bytes=3000 * MB),
        release("Brandon Sanderson - The Final Empire (Mistborn 1) [MP3]", seeders=30, size_bytes=300 * MB),
        release("Brandon Sanderson - The Well of Ascension (Mistborn 2) [MP3]", seeders=30, size_bytes=300 * MB),
        release("Brandon Sanderson - The Hero of Ages (Mistborn 3) [MP3]", seeders=30, size_bytes=300 * MB),
    ]


def test_the_pack_beats_three_single_books_and_says_why() -> None:
    packs = rank_packs(BOOKS, offers(), PROFILE)
    assert [p.ranked.release.title for p in packs] == ["Brandon Sanderson - Mistborn Books 1-3 [M4B]"]
    singles = {book.wanted_id: best_release(rank(book.edition, offers(), PROFILE)) for book in BOOKS}
    assert all(single is not None and "Mistborn Books" not in single.release.title for single in singles.values())

    decision = choose_pack(packs, singles)

    assert decision.chosen is not None and decision.chosen.covers == (11, 12, 13)
    texts = decision.chosen.ranked.reason_texts
    assert "one grab instead of 3: covers wanted volumes 1, 2, 3 (+20)" in texts
    assert "pack of Mistborn (Books 1-3): volumes 1, 2, 3 (+0)" in texts
    assert "freeleech (+15)" in texts and "author Brandon Sanderson named in the title (+0)" in texts
    why = " | ".join(decision.reason_texts)
    assert "ratio cost per wanted book: pack 0 MiB (freeleech), single releases 300 MiB (+5)" in why
    assert "with its ratio cost, the single releases" in why and "the pack is grabbed" in why


def test_single_books_win_when_the_pack_is_worse() -> None:
    poor = [
        release("Brandon Sanderson - Mistborn Books 1-3 [MP3]", seeders=1, size_bytes=900 * MB),
        *[
            release(f"Brandon Sanderson - {b.edition.title} (Mistborn {b.edition.position}) [M4B]", seeders=200,
                    size_bytes=300 * MB, freeleech=True)
            for b in BOOKS
        ],
    ]  # fmt: skip
    packs = rank_packs(BOOKS, poor, PROFILE)
    singles = {book.wanted_id: best_release(rank(book.edition, poor, PROFILE)) for book in BOOKS}
    decision = choose_pack(packs, singles)
    assert decision.chosen is None
    assert "single books are grabbed" in decision.reason_texts[-1]
    assert decision.reason_texts[0] == "ratio cost per wanted book: pack 300 MiB, single releases 0 MiB (-5)"


def test_a_pack_holding_one_wanted_book_is_not_a_pack_choice() -> None:
    packs = rank_packs(BOOKS[:1], offers(), PROFILE)
    assert packs and not packs[0].accepted
    assert any(r.code == ReasonCode.PACK_NOT_USABLE and r.rejects for r in packs[0].ranked.reasons)
    assert choose_pack(packs, {}).chosen is None


def test_a_pack_of_another_author_is_rejected() -> None:
    other = [release("Someone Else - Mistborn Books 1-3 [M4B]", seeders=20, size_bytes=900 * MB)]
    (pack,) = rank_packs(BOOKS, other, PROFILE)
    assert not pack.accepted
    assert {r.code for r in pack.ranked.rejections} & {ReasonCode.AUTHOR_MISMATCH, ReasonCode.AUTHOR_MISSING}
