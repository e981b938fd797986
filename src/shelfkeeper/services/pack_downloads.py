"""Series-pack downloads: wanted books grouped by series, one download recorded for several of them.

A pack's Download names its first covered wanted book (``wanted_book_id``) like any download, and lists every
covered wanted book in ``download_books``. The other covered books are moved to grabbed with it (through
services/status.py) and carry a note saying which download holds them, so no search grabs them again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import Book, BookSeries, Download, DownloadBook, FailedAttempt, Series, WantedBook
from shelfkeeper.domain.events import EventType
from shelfkeeper.domain.lifecycle import FailureKind, WantedStatus
from shelfkeeper.domain.names import split_names
from shelfkeeper.domain.releases.pack_choice import PackBook, PackDecision, RankedPack
from shelfkeeper.domain.text import parse_position, series_key
from shelfkeeper.services import events
from shelfkeeper.services.downloads import (
    AUTOMATIC_GRAB_STATES,
    GrabRecord,
    active_download,
    record_grab,
    wanted_book_of,
)
from shelfkeeper.services.records import DOWNLOADS, get_record
from shelfkeeper.services.status import move_wanted


@dataclass(frozen=True)
class PackGroup:
    """Wanted books of one series and author (two or more), and every volume of the series known."""

    series: str
    books: tuple[PackBook, ...]
    known_positions: frozenset[Decimal]


def pack_groups(session: Session, wanted_ids: Sequence[int]) -> list[PackGroup]:
    """The eligible wanted books that share a series and an author and have a single volume number, grouped."""
    rows = session.scalars(select(WantedBook).where(WantedBook.id.in_(list(wanted_ids)))).all()
    grouped: dict[tuple[str, str], list[WantedBook]] = defaultdict(list)
    for row in rows:
        position = parse_position(row.series_position)
        authors = split_names(row.author_name)
        if row.series_name and position is not None and position[0] == position[1] and authors:
            grouped[(series_key(row.series_name), series_key(authors[0]))].append(row)
    groups = []
    for members in grouped.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda r: (parse_position(r.series_position) or (Decimal(0),))[0])
        series = members[0].series_name or ""
        books = tuple(PackBook(row.id, wanted_book_of(row)) for row in members)
        groups.append(PackGroup(series, books, _known_positions(session, series, members)))
    return groups


def _known_positions(session: Session, series: str, members: Sequence[WantedBook]) -> frozenset[Decimal]:
    """Every single volume of the series known here: wanted, owned, or in the series' known list."""
    key = series_key(series)
    found: set[Decimal] = set()
    raw: list[Any] = [
        position
        for position, name in session.execute(
            select(WantedBook.series_position, WantedBook.series_name).where(WantedBook.series_name.isnot(None))
        )
        if series_key(name or "") == key
    ]
    for row in session.scalars(select(Series).where(Series.name_key == key)):
        raw += list(row.known_positions or [])
        raw += list(session.scalars(select(BookSeries.position).where(BookSeries.series_id == row.id)))
    raw += [m.series_position for m in members]
    for value in raw:
        parsed = parse_position(value if isinstance(value, str | int | float) else None)
        if parsed is not None and parsed[0] == parsed[1]:
            found.add(parsed[0])
    return frozenset(found)


def record_pack_grab(
    session: Session,
    pack: RankedPack,
    decision: PackDecision,
    info_hash: str,
    now: datetime,
) -> GrabRecord:
    """Write one download for every wanted book the pack covers (queued, before the client add); all grabbed.

    The first covered book is the download's own (``record_grab``: duplicates refused with 409); every other
    one still waiting for a grab is linked in ``download_books``, moved to grabbed and noted. A covered book
    that meanwhile got a download of its own is left to it.
    """
    first, *others = pack.covers
    record = record_grab(session, first, pack.ranked, info_hash, now)
    download = get_record(session, DOWNLOADS, record.download_id)
    positions = {}
    linked = [first]
    for wanted_id in others:
        row = session.get(WantedBook, wanted_id)
        if row is None or WantedStatus(row.status) not in AUTOMATIC_GRAB_STATES or active_download(session, wanted_id):
            continue
        move_wanted(row, WantedStatus.GRABBED, via=WantedStatus.WANTED)
        linked.append(wanted_id)
    for wanted_id in linked:
        row = session.get(WantedBook, wanted_id)
        if row is None:
            continue
        positions[wanted_id] = row.series_position
        session.add(DownloadBook(download_id=download.id, wanted_book_id=wanted_id, position=row.series_position))
        note = {
            "download_id": download.id,
            "title": download.release_title,
            "volumes": sorted(str(p) for p in pack.positions),
            "why": f"held by series pack download {download.id}: no single release is grabbed for it",
        }
        row.evidence = {**(row.evidence or {}), "pack": note}
    download.release = {
        **(download.release or {}),
        "pack": {
            "covers": [{"wanted_book_id": w, "position": positions.get(w)} for w in linked],
            "volumes": sorted(str(p) for p in pack.positions),
            "decision": [
                {"code": str(r.code), "text": r.text, "points": r.points, "rejects": r.rejects}
                for r in decision.reasons
            ],
        },
    }
    session.flush()
    return record


def pack_links(session: Session, download_id: int) -> list[DownloadBook]:
    """The wanted books a pack download holds (empty for a single-book download)."""
    return list(session.scalars(select(DownloadBook).where(DownloadBook.download_id == download_id)))


def is_pack_download(session: Session, download_id: int) -> bool:
    return len(pack_links(session, download_id)) >= 2


def owned_book_ids(session: Session, series: str) -> dict[Decimal, int]:
    """The library's books of a series by volume (a pack's volume already owned is not imported again)."""
    key = series_key(series)
    owned: dict[Decimal, int] = {}
    for row in session.scalars(select(Series).where(Series.name_key == key)):
        links = session.execute(
            select(BookSeries.position, Book.id).join(Book, Book.id == BookSeries.book_id).where(
                BookSeries.series_id == row.id, Book.in_library.is_(True))
        )  # fmt: skip
        for position, book_id in links:
            parsed = parse_position(position)
            if parsed is not None and parsed[0] == parsed[1]:
                owned.setdefault(parsed[0], book_id)
    return owned


def report_unmatched(
    session: Session, download: Download, unmatched: list[dict[str, str]], now: datetime, task_id: int | None
) -> None:
    """Files of an imported pack that map to no book: kept in the download, told in an event and a FailedAttempt."""
    shown = ", ".join(entry["path"] for entry in unmatched[:5]) + (" ..." if len(unmatched) > 5 else "")
    reason = f"{len(unmatched)} file(s) of the pack map to no wanted book and stay in the download: {shown}"
    evidence = {"code": "unmatched_files", "files": unmatched[:200]}
    message = f"{download.release_title}: {reason}."
    events.record_download_event(session, download, EventType.IMPORTED, message, now, unmatched=len(unmatched))
    session.add(
        FailedAttempt(
            kind=str(FailureKind.IMPORT),
            subject=f"Import of download {download.id}: {download.release_title}"[:1000],
            reason=reason,
            evidence=evidence,
            book_id=download.book_id,
            wanted_book_id=download.wanted_book_id,
            download_id=download.id,
            task_id=task_id,
        )
    )
