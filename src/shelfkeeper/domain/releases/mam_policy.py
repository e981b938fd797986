"""MyAnonamouse's ratio and wedge policy: which releases are MAM's, which are freeleech, when to spend a wedge."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from shelfkeeper.domain.releases.release import Release, ReleaseSource
from shelfkeeper.domain.releases.tracker import TrackerStats
from shelfkeeper.domain.text import fold

_MIB = 1024 * 1024
_MAM_GUID = re.compile(r"myanonamouse\.net/t/(\d+)", re.IGNORECASE)
_VIP_CLASSES = frozenset({"vip", "elite vip"})  # MAM classes for whom fl_vip torrents are freeleech
_MAM = ReleaseSource.MAM  # read for every release (reading a member off an Enum class costs a lookup)


@dataclass(frozen=True)
class MamPolicy:
    """How MyAnonamouse grabs protect the account: a ratio floor and when to spend freeleech wedges."""

    ratio_floor: float = 1.0  # below it only freeleech (or wedged) MAM releases may be grabbed
    use_wedges: bool = False
    buy_wedges: bool = False  # when none is left, the ratio autopilot buys one with points at grab time
    wedge_min_size_bytes: int = 500 * _MIB  # wedges are worth spending only on large releases
    wedge_reserve: int = 0  # wedges kept back and never spent


@dataclass(frozen=True, slots=True)
class WedgeDecision:
    """Whether to spend a freeleech wedge on a release, and why."""

    use_wedge: bool
    reason: str


def is_mam_release(release: Release) -> bool:
    """True for a MyAnonamouse torrent, found directly or through Prowlarr."""
    return (
        release.source == _MAM
        or release.mam_id is not None
        or _is_mam_indexer(release.indexer)
        or _MAM_GUID.search(release.guid) is not None
    )


@lru_cache(maxsize=256)  # a handful of indexers, asked for every release
def _is_mam_indexer(indexer: str) -> bool:
    return "myanonamouse" in fold(indexer).replace(" ", "")


def mam_torrent_id(release: Release) -> int | None:
    """MAM's torrent id (needed to spend a wedge): the stated one, else the one in a MAM guid."""
    if release.mam_id is not None:
        return release.mam_id
    match = _MAM_GUID.search(release.guid)
    return int(match.group(1)) if match else None


def freeleech_kind(release: Release, stats: TrackerStats | None = None) -> str | None:
    """Why downloading a release costs no ratio: "freeleech", "personal freeleech", "VIP freeleech"; else None."""
    if release.freeleech:
        return "freeleech"
    if release.personal_freeleech:
        return "personal freeleech"
    user_class = fold(stats.user_class or "") if stats is not None else ""
    if release.extra.get("fl_vip") and user_class in _VIP_CLASSES:
        return "VIP freeleech"
    return None


def decide_wedge(release: Release, stats: TrackerStats | None, policy: MamPolicy) -> WedgeDecision:
    """Spend a wedge only on a large, non-VIP, non-freeleech MAM release while wedges beyond the reserve remain."""
    refusal = _wedge_refusal(release, policy) or _already_free(release, stats)
    if refusal is not None:
        return WedgeDecision(False, refusal)
    if stats is None or stats.wedges is None:
        return WedgeDecision(False, "wedge count unknown")
    if stats.wedges <= policy.wedge_reserve:
        none_left = f"no wedges to spend ({stats.wedges} left, reserve {policy.wedge_reserve})"
        if policy.buy_wedges:
            return WedgeDecision(True, f"{none_left}: one may be bought with points when it is grabbed")
        return WedgeDecision(False, none_left)
    size = _show_size(release.size_bytes or 0)
    return WedgeDecision(True, f"large non-freeleech release ({size}), {stats.wedges} wedges left")


def _wedge_refusal(release: Release, policy: MamPolicy) -> str | None:
    if not is_mam_release(release):
        return "not a MyAnonamouse release"
    if not policy.use_wedges:
        return "wedges are turned off"
    if release.vip:
        return "VIP torrent: wedges cannot be spent on it"
    if mam_torrent_id(release) is None:
        return "MAM torrent id unknown"
    if release.size_bytes is None or release.size_bytes < policy.wedge_min_size_bytes:
        shown = _show_size(release.size_bytes) if release.size_bytes is not None else "unknown size"
        return f"{shown} below the wedge minimum {_show_size(policy.wedge_min_size_bytes)}"
    return None


def _already_free(release: Release, stats: TrackerStats | None) -> str | None:
    kind = freeleech_kind(release, stats)
    return f"already {kind}" if kind else None


def _show_size(size_bytes: int) -> str:
    if size_bytes >= 1024 * _MIB:
        return f"{size_bytes / (1024 * _MIB):.2f} GiB"
    return f"{size_bytes / _MIB:.0f} MiB"
