"""Ranking series packs for several wanted books of one series, and choosing a pack over single books.

A pack is verified like a single release (author, edition, language) and ranked by the same quality rules
(ranking.ranked_with); its size is judged per volume. It gains points for every grab it saves. It is chosen
when it covers two or more wanted books and scores (its ratio cost per wanted book weighed against the single
releases') at least the average of the best single releases of the books it covers, or when some of them
have no acceptable single release at all. Every step is a named reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from shelfkeeper.domain.releases.packs import pack_coverage, show_positions
from shelfkeeper.domain.releases.parsing import parse_release
from shelfkeeper.domain.releases.ranking import BlocklistKey, QualityProfile, RankedRelease, ranked_with
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.tracker import TrackerStats
from shelfkeeper.domain.releases.verification import (
    Reason,
    ReasonCode,
    Verification,
    WantedEdition,
    verify,
)
from shelfkeeper.domain.text import parse_position

PACK_GRAB_POINTS = 10  # for each grab the pack saves: "one grab instead of 3" is +20
RATIO_POINTS = 5  # the pack or the single releases, whichever costs less ratio per wanted book
_MIB = 1024 * 1024
# What a pack is checked for like any release; its title words are the series', not one book's.
_PACK_CHECKS = frozenset(
    {
        ReasonCode.AUTHOR_MATCH,
        ReasonCode.AUTHOR_MISMATCH,
        ReasonCode.AUTHOR_MISSING,
        ReasonCode.EBOOK,
        ReasonCode.ABRIDGED,
        ReasonCode.LANGUAGE_MISMATCH,
        ReasonCode.PARTIAL,
        ReasonCode.ASIN_MATCH,
    }
)


@dataclass(frozen=True)
class PackBook:
    """A wanted book a pack may cover: its wanted-list id and edition."""

    wanted_id: int
    edition: WantedEdition

    @property
    def position(self) -> Decimal | None:
        parsed = parse_position(self.edition.position)
        return parsed[0] if parsed is not None and parsed[0] == parsed[1] else None


@dataclass(frozen=True)
class RankedPack:
    """A pack ranked for a group of wanted books: the ranked release and the wanted books it covers."""

    ranked: RankedRelease
    covers: tuple[int, ...]  # wanted-list ids, in series order
    positions: frozenset[Decimal]  # every volume the pack holds (wanted or not)

    @property
    def accepted(self) -> bool:
        return self.ranked.accepted


@dataclass(frozen=True)
class PackDecision:
    """Whether a pack is grabbed for a group of wanted books, and why (the reasons name both sides)."""

    chosen: RankedPack | None
    reasons: tuple[Reason, ...]

    @property
    def reason_texts(self) -> tuple[str, ...]:
        return tuple(str(reason) for reason in self.reasons)


def rank_packs(
    books: Sequence[PackBook],
    releases: Iterable[Release],
    profile: QualityProfile,
    *,
    known_positions: Collection[Decimal] = (),
    mam_stats: TrackerStats | None = None,
    blocklist: Collection[BlocklistKey] = frozenset(),
) -> list[RankedPack]:
    """Every release that is a pack of the books' series, ranked best first (accepted first), with its reasons.

    ``books`` share one series; ``known_positions`` are the volumes of the series known anywhere (a complete
    series pack holds them all). Releases that are no pack of this series are left out.
    """
    if not books or not books[0].edition.series:
        return []
    series = books[0].edition.series
    known = set(known_positions) | {p for book in books if (p := book.position) is not None}
    ranked = []
    for release in releases:
        coverage = pack_coverage(release, series, known)
        if not coverage.usable:
            continue
        ranked.append(_rank_pack(books, release, coverage.positions, coverage.reason, profile, mam_stats, blocklist))
    return sorted(ranked, key=lambda p: (not p.accepted, -p.ranked.score, -len(p.covers), p.ranked.release.guid))


def _rank_pack(
    books: Sequence[PackBook],
    release: Release,
    positions: frozenset[Decimal],
    coverage: Reason,
    profile: QualityProfile,
    mam_stats: TrackerStats | None,
    blocklist: Collection[BlocklistKey],
) -> RankedPack:
    covered = sorted((b for b in books if b.position in positions), key=lambda b: (b.position, b.wanted_id))
    first = books[0].edition
    series = first.series or ""
    durations = [b.edition.duration_minutes for b in covered]
    as_wanted = WantedEdition(
        title=series,
        authors=first.authors,
        series=series,
        narrator=first.narrator,
        language=first.language,
        duration_minutes=sum(d for d in durations if d) if durations and all(durations) else None,
        abridged_ok=all(b.edition.abridged_ok for b in covered),
    )
    parsed = parse_release(release)
    checks = tuple(r for r in verify(as_wanted, parsed).reasons if r.code in _PACK_CHECKS)
    extra = [coverage, _covers_reason(covered, positions)]
    # without a runtime the size bounds are a book's: a pack of n volumes may be n times as large
    per_volume = dataclasses.replace(
        profile,
        min_size_mb=profile.min_size_mb * len(positions) if as_wanted.duration_minutes else profile.min_size_mb,
        max_size_mb=profile.max_size_mb * len(positions),
    )
    ranked = ranked_with(
        as_wanted,
        parsed,
        Verification(not any(r.rejects for r in checks), checks),
        per_volume,
        mam_stats=mam_stats,
        blocklist=blocklist,
        extra=extra,
    )
    return RankedPack(ranked, tuple(b.wanted_id for b in covered), positions)


def _covers_reason(covered: Sequence[PackBook], positions: frozenset[Decimal]) -> Reason:
    wanted = show_positions(b.position for b in covered if b.position is not None)
    if len(covered) < 2:
        text = f"covers {len(covered)} wanted book (volume {wanted or 'none'}); a pack needs two or more"
        return Reason(ReasonCode.PACK_NOT_USABLE, text, rejects=True)
    others = len(positions) - len(covered)
    also = f", and {others} volume(s) not wanted" if others else ""
    text = f"one grab instead of {len(covered)}: covers wanted volumes {wanted}{also}"
    return Reason(ReasonCode.PACK, text, PACK_GRAB_POINTS * (len(covered) - 1))


def choose_pack(packs: Sequence[RankedPack], singles: Mapping[int, RankedRelease | None]) -> PackDecision:
    """The best accepted pack when it beats the single releases of the books it covers; else none, and why.

    ``singles`` holds the best acceptable single release of each wanted book (None: none found).
    """
    accepted = [pack for pack in packs if pack.accepted]
    if not accepted:
        reason = "no acceptable pack" + (f" ({len(packs)} found, each rejected)" if packs else "")
        return PackDecision(None, (Reason(ReasonCode.PACK_CHOICE, reason),))
    pack = accepted[0]
    best = [singles.get(wanted_id) for wanted_id in pack.covers]
    found = [single for single in best if single is not None]
    reasons = [_ratio_reason(pack, found, len(best))]
    title = pack.ranked.release.title
    if len(found) < len(best):
        text = f"'{title}': {len(best) - len(found)} of its {len(best)} wanted books have no acceptable single release"
        return PackDecision(pack, (*reasons, Reason(ReasonCode.PACK_CHOICE, text)))
    average = sum(single.score for single in found) / len(found)
    total = pack.ranked.score + reasons[0].points
    shown = f"{total}" if total == pack.ranked.score else f"{total} with its ratio cost"
    if total >= average:
        text = f"'{title}' scores {shown}, the single releases {average:.0f} on average: the pack is grabbed"
        return PackDecision(pack, (*reasons, Reason(ReasonCode.PACK_CHOICE, text)))
    text = f"'{title}' scores {shown}, below the single releases' {average:.0f}: single books are grabbed"
    return PackDecision(None, (*reasons, Reason(ReasonCode.PACK_CHOICE, text)))


def _ratio_reason(pack: RankedPack, singles: Sequence[RankedRelease], books: int) -> Reason:
    """What the grab costs in ratio per wanted book (nothing when freeleech, else its size shared) against the
    single releases: the cheaper side gains ``RATIO_POINTS`` in the comparison."""
    size = pack.ranked.release.size_bytes
    cost = 0.0 if pack.ranked.freeleech else (size / books if size is not None else None)
    if pack.ranked.freeleech:
        shown = "0 MiB (freeleech)"
    else:
        shown = "unknown (size not stated)" if cost is None else f"{cost / _MIB:.0f} MiB"
    if not singles:
        return Reason(ReasonCode.PACK_CHOICE, f"ratio cost per wanted book: pack {shown}, single releases none found")
    unknown = any(s.release.size_bytes is None and not s.freeleech for s in singles)
    single_cost = sum(0 if s.freeleech else s.release.size_bytes or 0 for s in singles) / len(singles)
    text = f"ratio cost per wanted book: pack {shown}, single releases {single_cost / _MIB:.0f} MiB"
    if cost is None or unknown or abs(cost - single_cost) < _MIB:
        return Reason(ReasonCode.PACK_CHOICE, text)
    return Reason(ReasonCode.PACK_CHOICE, text, RATIO_POINTS if cost < single_cost else -RATIO_POINTS)
