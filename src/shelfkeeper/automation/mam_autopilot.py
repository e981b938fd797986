"""The MAM ratio autopilot at work: before a grab it spends (or buys, then spends) a wedge, or the grab waits;
after a stats refresh spare bonus points buy upload credit. Every request to MAM's bonus store is in the ledger.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from shelfkeeper.automation.release_search import MamStatsCache
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.domain.releases.autopilot import (
    AutopilotPolicy,
    AutopilotReason,
    GrabPlan,
    Note,
    PlanAction,
    WedgePolicy,
    after_download,
    after_wedge,
    plan_grab,
    plan_upload,
    refusal_means_free,
)
from shelfkeeper.domain.releases.mam_policy import is_mam_release
from shelfkeeper.domain.releases.ranking import RankedRelease
from shelfkeeper.domain.releases.tracker import BonusAnswer, PurchaseKind, TrackerStats
from shelfkeeper.errors import ServiceError
from shelfkeeper.services import tracker_ledger as ledger
from shelfkeeper.settings import Settings

_MIB = 1024 * 1024


def autopilot_policy(settings: Settings) -> AutopilotPolicy:
    """The AutopilotPolicy the ``MAM_*`` settings describe."""
    wedges = WedgePolicy.NEVER
    if settings.mam_use_wedges:
        wedges = WedgePolicy.BUY if settings.mam_buy_wedges else WedgePolicy.OWNED
    return AutopilotPolicy(
        ratio_floor=settings.mam_ratio_floor,
        wedges=wedges,
        wedge_reserve=settings.mam_wedge_reserve,
        wedge_min_size_bytes=settings.mam_wedge_min_size_mb * _MIB,
        wedge_price_points=settings.mam_wedge_price_points,
        points_reserve=settings.mam_points_reserve,
        daily_cap=settings.mam_daily_purchase_cap,
        upload_autospend=settings.mam_upload_autospend,
        upload_price_points_per_gb=settings.mam_upload_price_points_per_gb,
    )


class RatioWait(Exception):
    """The grab of this release waits: it would take the ratio under the floor and no wedge can be spent now."""

    def __init__(self, title: str, plan: GrabPlan) -> None:
        super().__init__(f"{title}: {plan.why}")
        self.title = title
        self.plan = plan

    def as_json(self) -> dict[str, Any]:
        return {"title": self.title, **plan_json(self.plan)}


def plan_json(plan: GrabPlan) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "action": plan.action.value,
        "reasons": [{"code": note.code.value, "text": note.text} for note in plan.notes],
    }
    if plan.forecast is not None:
        after = plan.forecast.ratio_after
        shown["ratio_after"] = None if after == float("inf") else round(after, 4)
    return shown


@dataclass
class _Purchase:
    kind: PurchaseKind
    call: Callable[[], Awaitable[BonusAnswer]]
    torrent_id: int | None = None
    amount: float | None = None
    cost: int | None = None


async def _buy(
    run: RunContext, purchase: _Purchase, notes: tuple[Note, ...], wanted_id: int | None = None
) -> BonusAnswer:
    """One bonus-store request, written to the ledger whatever happens (an unanswered one counts too)."""
    try:
        answer = await purchase.call()
    except ServiceError as exc:
        answer = BonusAnswer(False, f"no answer from MAM: {exc.message}")
        await _record(run, purchase, answer, notes, wanted_id)
        raise
    await _record(run, purchase, answer, notes, wanted_id)
    return answer


async def _record(
    run: RunContext, purchase: _Purchase, answer: BonusAnswer, notes: tuple[Note, ...], wanted_id: int | None
) -> None:
    now = run.now()
    await run.transaction(
        lambda s: ledger.record_purchase(
            s, now, purchase.kind, answer, torrent_id=purchase.torrent_id, wanted_book_id=wanted_id,
            amount=purchase.amount, cost_points=purchase.cost, notes=notes,
        )
    )  # fmt: skip


async def prepare_grab(
    run: RunContext, wanted_id: int, ranked: RankedRelease, stats: MamStatsCache
) -> dict[str, Any] | None:
    """Run the forecast for a MAM release and carry out its plan before the torrent is fetched.

    Returns the decision to keep on the Download (None for a release of another indexer); raises RatioWait
    when the grab must wait, a ServiceError when MAM could not be asked.
    """
    release = ranked.release
    if not is_mam_release(release):
        return None
    current = await stats.get(run)
    policy = autopilot_policy(run.app.settings)
    now = run.now()
    used = await run.transaction(lambda s: ledger.used_today(s, now))
    plan = plan_grab(release, current, policy, used)
    if plan.action == PlanAction.WAIT:
        raise RatioWait(release.title, plan)
    if plan.action == PlanAction.PROCEED:
        costs_ratio = not ranked.freeleech and not release.vip
        if current is not None and costs_ratio:
            stats.stats = after_download(current, release.size_bytes or 0)
        return plan_json(plan)
    return await _spend_wedge(run, wanted_id, release.title, plan, policy, stats, current)


async def _spend_wedge(
    run: RunContext,
    wanted_id: int,
    title: str,
    plan: GrabPlan,
    policy: AutopilotPolicy,
    stats: MamStatsCache,
    current: TrackerStats | None,
) -> dict[str, Any]:
    tracker, torrent_id = run.integrations.mam(), plan.torrent_id
    assert torrent_id is not None  # the plan spends a wedge only on a known torrent id
    bought = plan.action == PlanAction.BUY_AND_APPLY
    decision = plan_json(plan)
    if bought:
        purchase = _Purchase(PurchaseKind.BUY_WEDGE, tracker.buy_wedge_with_points, cost=policy.wedge_price_points)
        answer = await _buy(run, purchase, plan.notes, wanted_id)
        if not answer.success:
            raise RatioWait(title, _refused(plan, f"MAM refused the wedge purchase: {answer.error}"))
        run.log.info("mam autopilot: bought a wedge for %s points", policy.wedge_price_points)
    apply = _Purchase(PurchaseKind.APPLY_WEDGE, lambda: tracker.apply_wedge(torrent_id), torrent_id=torrent_id)
    answer = await _buy(run, apply, plan.notes, wanted_id)
    if current is not None:
        stats.stats = after_wedge(current, bought=bought, price=policy.wedge_price_points)
        if not answer.success:  # the wedge bought first is still owned
            stats.stats = replace(stats.stats, wedges=(stats.stats.wedges or 0) + 1)
    if not answer.success:
        if not refusal_means_free(answer.error):
            raise RatioWait(title, _refused(plan, f"MAM refused the wedge on torrent {torrent_id}: {answer.error}"))
        decision |= {"wedge_applied": False, "free_anyway": answer.error}
        return decision
    run.log.info("mam autopilot: torrent %s is personal freeleech now (%r)", torrent_id, title)
    return decision | {"wedge_applied": True, "wedge_bought": bought}


def _refused(plan: GrabPlan, text: str) -> GrabPlan:
    return replace(plan, action=PlanAction.WAIT, notes=(*plan.notes, Note(AutopilotReason.REFUSED, text)))


async def spend_spare_points(run: RunContext, stats: TrackerStats | None) -> dict[str, Any]:
    """Buy the largest upload credit the points above the reserve afford (autospend on, within the cap)."""
    policy = autopilot_policy(run.app.settings)
    now = run.now()
    used = await run.transaction(lambda s: ledger.used_today(s, now))
    plan = plan_upload(stats, policy, used)
    shown: dict[str, Any] = {"reasons": [{"code": n.code.value, "text": n.text} for n in plan.notes]}
    amount = plan.amount_gb
    if amount is None:
        return shown | {"bought_gb": None}
    tracker = run.integrations.mam()
    cost = round(amount * policy.upload_price_points_per_gb)
    purchase = _Purchase(PurchaseKind.BUY_UPLOAD, lambda: tracker.buy_upload(amount), amount=amount, cost=cost)
    try:
        answer = await _buy(run, purchase, plan.notes)
    except ServiceError as exc:
        return shown | {"bought_gb": None, "error": exc.message}
    if not answer.success:
        return shown | {"bought_gb": None, "refused": answer.error}
    run.log.info("mam autopilot: bought %s GB of upload credit for %s points", amount, cost)
    return shown | {"bought_gb": amount, "cost_points": cost}
