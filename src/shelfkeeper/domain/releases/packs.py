"""Series packs: a release holding several books of one series ("Books 1-3", "Complete Series", MAM's "1-3").

Pure: what a release claims (``pack_claims``) and which volumes of a given series it covers (``pack_coverage``),
each with a named reason. A pack counts for a series only when it names that series; the author alone is never
enough, so a pack of another series by the same author is not taken for this one.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.verification import Reason, ReasonCode, series_names_match
from shelfkeeper.domain.text import format_position, parse_position

MAX_PACK_VOLUMES = 60  # "Books 1-800" is not a pack: a range wider than this is read as something else
_TRILOGY = frozenset({Decimal(1), Decimal(2), Decimal(3)})
_KEYWORD = r"(?:\b(?:books?|bks?|vols?|volumes?|novels?|parts?)\.?\s*#?|#)"
_DASH = r"(?:-|–|—|\bto\b|\bthrough\b|\bthru\b)"
_RANGE = re.compile(_KEYWORD + r"\s*(?P<low>\d{1,3})\s*" + _DASH + r"\s*(?P<high>\d{1,3})\b", re.IGNORECASE)
_LIST = re.compile(
    r"\b(?:books?|vols?|volumes?)\.?\s*#?\s*(?P<list>\d{1,3}(?:\s*(?:,|&|\+|\band\b)\s*#?\d{1,3})+)\b", re.IGNORECASE
)
_COMPLETE = re.compile(
    r"\bcomplete\s+(?:(?P<inner>[^\-–—:|\[\](){}]*?)\s+)?(?:series|saga|collection|set|cycle|trilogy|works)\b"
    r"|\b(?:series|saga)\s+complete\b",
    re.IGNORECASE,
)
_TRILOGY_WORD = re.compile(r"\btrilogy\b", re.IGNORECASE)
_OMNIBUS = re.compile(r"\bomnibus\b|\bbox(?:ed)?[\s-]?set\b", re.IGNORECASE)
# A single volume stated in the title: then "Trilogy" or "Omnibus" is the series' name, not a pack.
_SINGLE_VOLUME = re.compile(_KEYWORD + r"\s*\d{1,3}(?:\.\d+)?\b(?!\s*(?:" + _DASH + r"|,|&|\+|\band\b)\s*\d)", re.I)
_NAME_BREAK = re.compile(r"\s+[-–—]+\s+|[:|\[\](){},;]")
_ARTICLES = re.compile(r"^(?:the|a|an|of)(?:\s+|$)|\s+(?:the|a|an|of)$", re.IGNORECASE)


class PackKind(StrEnum):
    """How a release says it holds several books."""

    RANGE = "range"  # "Books 1-3", "#1-3", "Vol. 1 to 3"
    LIST = "list"  # "Books 1, 2 & 3"
    COMPLETE = "complete"  # "The Complete Series": every volume known
    TRILOGY = "trilogy"  # "The Mistborn Trilogy" with no numbers: volumes 1-3
    OMNIBUS = "omnibus"  # "Omnibus", "Box Set" with no numbers: which volumes is unknown
    MAM_SERIES = "mam_series"  # MyAnonamouse's series_info with a range: "1-3", "01-16, 13.5"


@dataclass(frozen=True)
class PackClaim:
    """What a release claims to hold: a series (when named) and its volumes, or every known volume."""

    kind: PackKind
    series: str | None
    positions: frozenset[Decimal] = frozenset()
    all_known: bool = False  # a complete series: resolved against the series' known books
    evidence: str = ""  # the words of the release that say so

    @property
    def volumes_known(self) -> bool:
        return self.all_known or bool(self.positions)


@dataclass(frozen=True)
class PackCoverage:
    """The volumes of one series a pack holds (empty when it cannot be used for that series), and why."""

    claim: PackClaim | None
    positions: frozenset[Decimal]
    reason: Reason

    @property
    def usable(self) -> bool:
        return len(self.positions) >= 2 and not self.reason.rejects


def show_positions(positions: Iterable[Decimal]) -> str:
    """ "1, 2, 3" for a person."""
    return ", ".join(format_position(p) for p in sorted(positions))


def pack_claims(release: Release) -> tuple[PackClaim, ...]:
    """Every pack claim of a release: MAM's stated series ranges first, then what the title says."""
    stated = [claim for name, position in release.series if (claim := _mam_claim(name, position)) is not None]
    return (*stated, *_title_claims(_clean(release.title)))


def is_pack(release: Release) -> bool:
    """True when the release claims to hold several books of a series (with known volumes or not)."""
    return bool(pack_claims(release))


def pack_coverage(release: Release, series: str, known_positions: Collection[Decimal] = ()) -> PackCoverage:
    """Which volumes of ``series`` the release holds; a claim for another (or no named) series never counts.

    A complete-series claim holds every volume in ``known_positions`` (the series' known books).
    """
    claims = pack_claims(release)
    if not claims:
        return PackCoverage(None, frozenset(), Reason(ReasonCode.PACK_NOT_USABLE, "not a pack", rejects=True))
    named = [claim for claim in claims if claim.series and series_names_match(claim.series, series)]
    if not named:
        shown = "; ".join(f"{c.evidence} ({c.series or 'no series named'})" for c in claims)
        text = f"a pack of another series, or of none named: {shown} (wanted series {series})"
        return PackCoverage(claims[0], frozenset(), Reason(ReasonCode.PACK_NOT_USABLE, text, rejects=True))
    usable = [claim for claim in named if claim.volumes_known]
    if not usable:
        text = f"{named[0].evidence}: a pack of {series} whose volumes are not stated"
        return PackCoverage(named[0], frozenset(), Reason(ReasonCode.PACK_NOT_USABLE, text, rejects=True))
    claim = usable[0]
    positions = frozenset(known_positions) if claim.all_known else claim.positions
    if claim.all_known and not positions:
        text = f"{claim.evidence}: the volumes of {series} are not known yet"
        return PackCoverage(claim, frozenset(), Reason(ReasonCode.PACK_NOT_USABLE, text, rejects=True))
    where = "every known volume" if claim.all_known else "volumes"
    text = f"pack of {series} ({claim.evidence}): {where} {show_positions(positions)}"
    return PackCoverage(claim, positions, Reason(ReasonCode.PACK, text))


def _clean(title: str) -> str:
    return html.unescape(title).replace("_", " ").strip()


def _mam_claim(name: str, position: str | None) -> PackClaim | None:
    """MAM's "1-3" or "01-16, 13.5" as a claim; a single number is one book, not a pack."""
    if not position:
        return None
    found: set[Decimal] = set()
    for piece in re.split(r"\s*[,;]\s*", position.strip()):
        parsed = parse_position(piece)
        if parsed is None:
            continue
        low, high = parsed
        if low == high:
            found.add(low)
        elif high - low <= MAX_PACK_VOLUMES and low == low.to_integral_value() and high == high.to_integral_value():
            found.update(Decimal(n) for n in range(int(low), int(high) + 1))
    if len(found) < 2:
        return None
    return PackClaim(PackKind.MAM_SERIES, name.strip() or None, frozenset(found), evidence=f"MAM series {position}")


def _title_claims(title: str) -> list[PackClaim]:
    claims: list[PackClaim] = []
    for match in _RANGE.finditer(title):
        low, high = int(match.group("low")), int(match.group("high"))
        if low < high and high - low <= MAX_PACK_VOLUMES:
            positions = frozenset(Decimal(n) for n in range(low, high + 1))
            name = _name_before(title, match.start()) or _name_after(title, match.end())
            claims.append(PackClaim(PackKind.RANGE, name, positions, evidence=match[0]))
    for match in _LIST.finditer(title):
        numbers = frozenset(Decimal(n) for n in re.findall(r"\d{1,3}", match.group("list")))
        if len(numbers) >= 2:
            claims.append(PackClaim(PackKind.LIST, _name_before(title, match.start()), numbers, evidence=match[0]))
    if claims:
        return claims
    single = _SINGLE_VOLUME.search(title) is not None
    complete = _COMPLETE.search(title)
    if complete:
        inner = _strip_name(complete.group("inner") or "")
        name = inner or _name_before(title, complete.start())
        return [PackClaim(PackKind.COMPLETE, name, all_known=True, evidence=complete[0])]
    trilogy = _TRILOGY_WORD.search(title)
    if trilogy and not single:
        name = _name_before(title, trilogy.start()) or _name_after(title, trilogy.end())
        return [PackClaim(PackKind.TRILOGY, name, _TRILOGY, evidence=trilogy[0])]
    omnibus = _OMNIBUS.search(title)
    if omnibus and not single:
        name = _name_before(title, omnibus.start()) or _name_after(title, omnibus.end())
        return [PackClaim(PackKind.OMNIBUS, name, evidence=omnibus[0])]
    return []


def _strip_name(text: str) -> str:
    previous = None
    text = text.strip(" .,:;-–—#")
    while previous != text:
        previous, text = text, _ARTICLES.sub("", text).strip(" .,:;-–—#")
    return text


def _name_before(title: str, end: int) -> str | None:
    """The series name just before a pack keyword: the last piece (between dashes, colons, brackets) with words."""
    pieces = [_strip_name(piece) for piece in _NAME_BREAK.split(title[:end])]
    named = [piece for piece in pieces if piece and not piece.isdigit()]
    return named[-1] if named else None


def _name_after(title: str, start: int) -> str | None:
    """ "Trilogy: Mistborn" or "Omnibus - Mistborn": the series named after the keyword."""
    pieces = [_strip_name(piece) for piece in _NAME_BREAK.split(title[start:])]
    named = [piece for piece in pieces if piece and not piece.isdigit()]
    return named[0] if named else None
