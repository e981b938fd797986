"""The MyAnonamouse ratio autopilot: the ratio a grab would leave, the wedge plan that keeps it above the floor,
and the upload credit spare bonus points buy. Pure: the caller fetches stats, counts today's purchases, acts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from shelfkeeper.domain.releases.mam_policy import freeleech_kind, is_mam_release, mam_torrent_id
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.tracker import TrackerStats

_GIB = 1024**3
# The upload-credit amounts MAM's store lists (GB), largest first.
UPLOAD_AMOUNTS_GB: tuple[float, ...] = (100, 50, 20, 5, 2.5, 1)
# MAM's refusals of a personal freeleech wedge that mean "this torrent costs no ratio anyway" (reference §5.3).
_ALREADY_FREE_REFUSALS = ("this torrent is vip", "already a personal freeleech", "freeleech picks")


class WedgePolicy(StrEnum):
    NEVER = "never"  # wedges are never spent: below the floor only freeleech is grabbed
    OWNED = "owned"  # wedges already owned are spent, none is bought
    BUY = "buy"  # when none is left, one is bought with bonus points first


class PlanAction(StrEnum):
    PROCEED = "proceed"  # grab as it is
    APPLY_WEDGE = "apply_wedge"  # spend an owned wedge on the torrent, then grab
    BUY_AND_APPLY = "buy_and_apply"  # buy a wedge with points, spend it on the torrent, then grab
    WAIT = "wait"  # do not grab now: the wanted book stays wanted, the next search tries again


class AutopilotReason(StrEnum):
    NOT_MAM = "not_mam"
    FREELEECH = "freeleech"
    VIP = "vip"
    STATS_UNKNOWN = "stats_unknown"
    ABOVE_FLOOR = "above_floor"
    UNDER_FLOOR = "under_floor"
    WEDGES_OFF = "wedges_off"
    TOO_SMALL_FOR_WEDGE = "too_small_for_wedge"
    NO_TORRENT_ID = "no_torrent_id"
    OWNED_WEDGE = "owned_wedge"
    NO_WEDGE_LEFT = "no_wedge_left"
    BUY_WEDGE = "buy_wedge"
    NOT_ENOUGH_POINTS = "not_enough_points"
    DAILY_CAP_REACHED = "daily_cap_reached"
    REFUSED = "refused"  # MAM said no (its own words follow)
    AUTOSPEND_OFF = "autospend_off"
    POINTS_AT_RESERVE = "points_at_reserve"
    UPLOAD_CREDIT = "upload_credit"


@dataclass(frozen=True)
class Note:
    """One named reason of a decision and its words."""

    code: AutopilotReason
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class AutopilotPolicy:
    """What the ``MAM_*`` settings allow the autopilot."""

    ratio_floor: float = 1.0
    wedges: WedgePolicy = WedgePolicy.NEVER
    wedge_reserve: int = 0  # wedges always kept back
    wedge_min_size_bytes: int = 0  # wedges are not spent on smaller releases
    wedge_price_points: int = 50_000
    points_reserve: int = 0  # bonus points never spent
    daily_cap: int = 5  # bonusBuy requests (purchases and wedge applications) per UTC day
    upload_autospend: bool = False
    upload_price_points_per_gb: int = 500


@dataclass(frozen=True)
class RatioForecast:
    ratio_now: float | None
    ratio_after: float
    size_bytes: int
    exact: bool = True  # False: the totals are unknown, ratio_after is the ratio now (a download only lowers it)


@dataclass(frozen=True)
class GrabPlan:
    action: PlanAction
    notes: tuple[Note, ...]
    forecast: RatioForecast | None = None
    torrent_id: int | None = None

    @property
    def why(self) -> str:
        return "; ".join(note.text for note in self.notes)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(note.code.value for note in self.notes)


@dataclass(frozen=True)
class UploadPlan:
    amount_gb: float | None  # None: buy nothing
    notes: tuple[Note, ...]


def forecast(stats: TrackerStats, size_bytes: int) -> RatioForecast | None:
    """uploaded / (downloaded + size): the ratio right after the release is downloaded; never above MAM's ratio
    now (a download only lowers it). Without the totals, the ratio now; None when that is unknown too."""
    if stats.uploaded_bytes is None or stats.downloaded_bytes is None:
        return None if stats.ratio is None else RatioForecast(stats.ratio, stats.ratio, size_bytes, exact=False)
    downloaded = stats.downloaded_bytes + max(0, size_bytes)
    after = stats.uploaded_bytes / downloaded if downloaded else float("inf")
    if stats.ratio is not None:
        after = min(after, stats.ratio)
    return RatioForecast(stats.ratio, after, size_bytes)


def purchases_left(policy: AutopilotPolicy, used_today: int) -> int:
    return max(0, policy.daily_cap - used_today)


def plan_grab(release: Release, stats: TrackerStats | None, policy: AutopilotPolicy, used_today: int) -> GrabPlan:
    """Before a grab: proceed, spend a wedge (buying one first), or wait; every answer with its named reasons."""
    if not is_mam_release(release):
        return GrabPlan(PlanAction.PROCEED, (Note(AutopilotReason.NOT_MAM, "not a MyAnonamouse release"),))
    if release.vip:
        return GrabPlan(PlanAction.PROCEED, (Note(AutopilotReason.VIP, "VIP torrent: costs no ratio"),))
    kind = freeleech_kind(release, stats)
    if kind:
        return GrabPlan(PlanAction.PROCEED, (Note(AutopilotReason.FREELEECH, f"{kind}: costs no ratio"),))
    predicted = forecast(stats, release.size_bytes or 0) if stats is not None else None
    if predicted is None:
        text = "ratio and upload and download totals unknown: no forecast (the ranking's ratio check applies)"
        return GrabPlan(PlanAction.PROCEED, (Note(AutopilotReason.STATS_UNKNOWN, text),))
    shown = f"ratio after the download {_ratio(predicted.ratio_after)}"
    if not predicted.exact:
        shown = f"ratio now {_ratio(predicted.ratio_after)} (upload and download totals unknown)"
    if predicted.ratio_after >= policy.ratio_floor:
        note = Note(AutopilotReason.ABOVE_FLOOR, f"{shown} >= floor {policy.ratio_floor:g}")
        return GrabPlan(PlanAction.PROCEED, (note,), predicted)
    under = Note(AutopilotReason.UNDER_FLOOR, f"{shown} < floor {policy.ratio_floor:g}")
    action, note = _wedge_step(release, stats, policy, purchases_left(policy, used_today))
    return GrabPlan(action, (under, note), predicted, mam_torrent_id(release))


def _wedge_step(
    release: Release, stats: TrackerStats | None, policy: AutopilotPolicy, left: int
) -> tuple[PlanAction, Note]:
    wait = PlanAction.WAIT
    if policy.wedges == WedgePolicy.NEVER:
        return wait, Note(AutopilotReason.WEDGES_OFF, "wedges are turned off (MAM_USE_WEDGES)")
    if mam_torrent_id(release) is None:
        return wait, Note(AutopilotReason.NO_TORRENT_ID, "MAM torrent id unknown: no wedge can be spent on it")
    size = release.size_bytes or 0
    if size < policy.wedge_min_size_bytes:
        text = f"{_gib(size)} is below the wedge minimum {_gib(policy.wedge_min_size_bytes)}"
        return wait, Note(AutopilotReason.TOO_SMALL_FOR_WEDGE, text)
    wedges = (stats.wedges if stats is not None else None) or 0
    if wedges > policy.wedge_reserve:
        if left < 1:
            return wait, _cap_note(policy)
        return PlanAction.APPLY_WEDGE, Note(AutopilotReason.OWNED_WEDGE, f"a wedge is spent ({wedges} owned)")
    none_left = f"no wedge to spend ({wedges} owned, reserve {policy.wedge_reserve})"
    if policy.wedges != WedgePolicy.BUY:
        return wait, Note(AutopilotReason.NO_WEDGE_LEFT, f"{none_left}; buying is off (MAM_BUY_WEDGES)")
    points = int(stats.bonus_points or 0) if stats is not None else 0
    if points - policy.wedge_price_points < policy.points_reserve:
        text = (f"{none_left}; a wedge costs {policy.wedge_price_points} points, {points} owned, "
                f"reserve {policy.points_reserve}")  # fmt: skip
        return wait, Note(AutopilotReason.NOT_ENOUGH_POINTS, text)
    if left < 2:  # the purchase and the application are two requests
        return wait, _cap_note(policy)
    text = f"{none_left}: one is bought for {policy.wedge_price_points} points ({points} owned)"
    return PlanAction.BUY_AND_APPLY, Note(AutopilotReason.BUY_WEDGE, text)


def _cap_note(policy: AutopilotPolicy) -> Note:
    return Note(AutopilotReason.DAILY_CAP_REACHED, f"today's {policy.daily_cap} purchases are used up (UTC day)")


def plan_upload(stats: TrackerStats | None, policy: AutopilotPolicy, used_today: int) -> UploadPlan:
    """Spare bonus points (above the reserve) buy the largest listed upload credit they afford, within the cap."""
    if not policy.upload_autospend:
        return UploadPlan(None, (Note(AutopilotReason.AUTOSPEND_OFF, "upload credit autospend is off"),))
    if stats is None or stats.bonus_points is None:
        return UploadPlan(None, (Note(AutopilotReason.STATS_UNKNOWN, "bonus points unknown"),))
    if purchases_left(policy, used_today) < 1:
        return UploadPlan(None, (_cap_note(policy),))
    spare = int(stats.bonus_points) - policy.points_reserve
    price = max(1, policy.upload_price_points_per_gb)
    amount = next((gb for gb in UPLOAD_AMOUNTS_GB if gb * price <= spare), None)
    if amount is None:
        text = f"{int(stats.bonus_points)} points, reserve {policy.points_reserve}: {max(spare, 0)} spare buy no credit"
        return UploadPlan(None, (Note(AutopilotReason.POINTS_AT_RESERVE, text),))
    text = f"{amount:g} GB of upload credit for {amount * price:g} points ({max(spare, 0)} spare)"
    return UploadPlan(amount, (Note(AutopilotReason.UPLOAD_CREDIT, text),))


def refusal_means_free(error: str | None) -> bool:
    """MAM refused a wedge because the torrent is VIP, a freeleech pick or already personal freeleech."""
    folded = (error or "").lower()
    return any(marker in folded for marker in _ALREADY_FREE_REFUSALS)


def after_wedge(stats: TrackerStats, *, bought: bool, price: int) -> TrackerStats:
    """The stats once a wedge was spent (and bought first): what the next forecast of the same run starts from."""
    points = stats.bonus_points
    if bought and points is not None:
        points -= price
    wedges = max(0, (stats.wedges or 0) + (1 if bought else 0) - 1)
    return replace(stats, bonus_points=points, wedges=wedges)


def after_download(stats: TrackerStats, size_bytes: int) -> TrackerStats:
    """The stats once a release that is not freeleech was grabbed: its size counts as downloaded."""
    if stats.downloaded_bytes is None:
        return stats
    downloaded = stats.downloaded_bytes + max(0, size_bytes)
    ratio = stats.uploaded_bytes / downloaded if stats.uploaded_bytes is not None and downloaded else stats.ratio
    return replace(stats, downloaded_bytes=downloaded, ratio=ratio)


def _ratio(value: float) -> str:
    return "inf" if value == float("inf") else f"{value:.2f}"


def _gib(size: int) -> str:
    return f"{size / _GIB:.2f} GiB"
