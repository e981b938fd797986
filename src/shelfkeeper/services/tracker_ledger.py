"""The MAM ledger: every bonus-store request with MAM's answer, the account's stats over time, today's count.

The caller owns the transaction (one per job step or request).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import Download, TrackerPurchase, TrackerSnapshot, WantedBook
from shelfkeeper.domain.releases.autopilot import Note
from shelfkeeper.domain.releases.tracker import BonusAnswer, PurchaseKind, TrackerStats
from shelfkeeper.services.paging import PageRequest, PageResult, paginate


def day_start(now: datetime) -> datetime:
    """Midnight UTC of ``now``'s day: the daily purchase cap counts from there."""
    return datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)


def used_today(session: Session, now: datetime) -> int:
    """Bonus-store requests made since midnight UTC, refused ones too (each is a request MAM saw)."""
    query = select(func.count(TrackerPurchase.id)).where(TrackerPurchase.at >= day_start(now))
    return int(session.scalar(query) or 0)


def record_purchase(
    session: Session,
    now: datetime,
    kind: PurchaseKind,
    answer: BonusAnswer,
    *,
    torrent_id: int | None = None,
    wanted_book_id: int | None = None,
    amount: float | None = None,
    cost_points: int | None = None,
    notes: Sequence[Note] = (),
) -> TrackerPurchase:
    said = answer.error if not answer.success else ", ".join(f"{k}={v}" for k, v in sorted(answer.data.items()))
    row = TrackerPurchase(
        at=now,
        kind=kind.value,
        torrent_id=torrent_id,
        wanted_book_id=wanted_book_id,
        amount=amount,
        cost_points=cost_points if answer.success else 0,
        success=answer.success,
        answer=said or None,
        reasons=[{"code": note.code.value, "text": note.text} for note in notes],
    )
    session.add(row)
    session.flush()
    return row


def record_snapshot(session: Session, now: datetime, stats: TrackerStats) -> TrackerSnapshot:
    row = TrackerSnapshot(
        at=now,
        ratio=stats.ratio,
        uploaded_bytes=stats.uploaded_bytes,
        downloaded_bytes=stats.downloaded_bytes,
        bonus_points=stats.bonus_points,
        wedges=stats.wedges,
        user_class=stats.user_class,
    )
    session.add(row)
    session.flush()
    return row


def _since(query: Select[Any], column: Any, since: datetime | None, until: datetime | None) -> Select[Any]:
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column < until)
    return query


def snapshots_page(
    session: Session, page: PageRequest, *, since: datetime | None = None, until: datetime | None = None
) -> PageResult[TrackerSnapshot]:
    """Stats snapshots, newest first."""
    query = _since(select(TrackerSnapshot), TrackerSnapshot.at, since, until)
    return paginate(session, query, page, [TrackerSnapshot.at.desc()], TrackerSnapshot.id.desc())


def purchases_page(
    session: Session,
    page: PageRequest,
    *,
    kinds: Sequence[PurchaseKind] = (),
    since: datetime | None = None,
    until: datetime | None = None,
) -> PageResult[TrackerPurchase]:
    """Bonus-store requests, newest first, of the given kinds."""
    query = _since(select(TrackerPurchase), TrackerPurchase.at, since, until)
    if kinds:
        query = query.where(TrackerPurchase.kind.in_([kind.value for kind in kinds]))
    return paginate(session, query, page, [TrackerPurchase.at.desc()], TrackerPurchase.id.desc())


def note_ratio_wait(session: Session, wanted_id: int, now: datetime, waits: Sequence[dict[str, Any]]) -> None:
    """Say on the wanted book why it was not grabbed now (``evidence["ratio_wait"]``); it stays wanted."""
    missing = session.get(WantedBook, wanted_id)
    if missing is not None:
        missing.evidence = {**(missing.evidence or {}), "ratio_wait": {"at": now.isoformat(), "releases": list(waits)}}


def note_download_autopilot(session: Session, download_id: int, decision: dict[str, Any]) -> None:
    """Keep the autopilot's decision (and what it bought) on the Download's release record."""
    download = session.get(Download, download_id)
    if download is not None:
        download.release = {**(download.release or {}), "autopilot": decision}
