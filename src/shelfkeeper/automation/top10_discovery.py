"""Top-10 discovery: MAM's most-snatched audiobooks of each followed genre, wanted once approved (or auto-grabbed)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfkeeper.automation.provider_calls import ProviderCalls
from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.automation.series_completion import acquire_found, listed_rows
from shelfkeeper.db.tables import Series, WantedBook
from shelfkeeper.domain.discovery.ownership import book_key
from shelfkeeper.domain.events import Event, EventType
from shelfkeeper.domain.lifecycle import WantedReason
from shelfkeeper.domain.releases.parsing import parse_release
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.releases.tracker import AUDIOBOOK_CATEGORIES
from shelfkeeper.domain.text import fold, normalize_language, series_key
from shelfkeeper.services import events
from shelfkeeper.services.wanted import (
    Recorded,
    RecordOutcome,
    WantedCandidate,
    close_owned_wanted,
    count_outcomes,
    edition_flags,
    record_wanted,
)

TOP_N = 10
FETCHED = 30  # more than ten: owned, ignored and duplicate torrents make room for the next ones
# Everyday genre names that are not MAM's own category names (folded: lower case, punctuation as spaces).
GENRE_ALIASES: dict[str, int] = {
    "sci fi": 47, "scifi": 47, "sf": 47, "thriller": 40, "thrillers": 40, "crime": 40, "suspense": 40,
    "mysteries": 87, "biography": 50, "memoir": 50, "memoirs": 50, "non fiction": 52, "nonfiction": 52,
    "ya": 111, "teen": 111, "children": 44, "childrens": 44, "kids": 44, "classics": 45, "self help": 53,
    "humour": 99, "comedy": 99, "literary fiction": 42, "fiction": 42, "science": 57, "technology": 57,
    "politics": 58, "religion": 58, "travel": 89, "adventure": 39, "action": 39, "health": 85, "litrpg": 41,
}  # fmt: skip


def genre_category(genre: str) -> int | None:
    """The MAM audiobook category of a followed genre: its id, its MAM name, one half of it, or an alias."""
    text = genre.strip()
    if text.isdigit():
        return int(text) if int(text) in AUDIOBOOK_CATEGORIES else None
    wanted = fold(text)
    for category_id, name in AUDIOBOOK_CATEGORIES.items():
        if fold(name) == wanted:
            return category_id
    if wanted in GENRE_ALIASES:
        return GENRE_ALIASES[wanted]
    for category_id, name in AUDIOBOOK_CATEGORIES.items():
        if wanted in (fold(part) for part in name.split("/")):
            return category_id  # "Crime" is half of "Crime/Thriller"
    return None


@dataclass(frozen=True)
class GenreTop:
    """MAM's most-snatched audiobooks of one genre over the window, best first."""

    genre: str
    category_id: int
    releases: tuple[Release, ...]


def release_candidate(
    release: Release, top: GenreTop, rank: int, window: tuple[date, date], *, approved: bool
) -> WantedCandidate:
    """The wanted-list entry of one top-10 torrent, with its ranking as evidence."""
    asin, isbn = release.extra.get("asin"), release.extra.get("isbn")
    series = release.series[0] if release.series else None
    category = AUDIOBOOK_CATEGORIES[top.category_id]
    days = (window[1] - window[0]).days - 1
    ranking = {
        "rank": rank,
        "category_id": top.category_id,
        "category": category,
        "snatched": release.grabs,
        "mam_id": release.mam_id,
        "info_url": release.info_url,
    }
    explanation = f"#{rank} most snatched in MAM {category} over the last {days} days ({release.grabs or 0} snatches)"
    return WantedCandidate(
        title=release.title,
        authors=release.authors,
        key=book_key(release.title, release.authors),
        reason=WantedReason.TOP10,
        source="mam",
        evidence={
            "explanation": explanation,
            "rankings": {top.genre: ranking},
            "window": [window[0].isoformat(), window[1].isoformat()],
        },
        series_name=series[0] if series else None,
        series_position=series[1] if series else None,
        asin=asin if isinstance(asin, str) else None,
        isbn=isbn if isinstance(isbn, str) and not isbn.upper().startswith("ASIN:") else None,
        language=normalize_language(release.language),
        flags=edition_flags(release.title),
        approved=approved,
    )


def is_ebook_upload(release: Release) -> bool:
    """True when the upload's files are e-books (no audio format among them), whatever its category says."""
    parsed = parse_release(dataclasses.replace(release, categories=(), extra={}))
    return parsed.is_ebook


def _with_series_id(session: Session, candidate: WantedCandidate) -> WantedCandidate:
    if not candidate.series_name:
        return candidate
    found = session.scalar(select(Series.id).where(Series.name_key == series_key(candidate.series_name)))
    return replace(candidate, series_id=found)


def record_top10(
    session: Session,
    tops: Sequence[GenreTop],
    window: tuple[date, date],
    languages: Collection[str],
    *,
    approved: bool,
    now: datetime,
) -> tuple[list[RecordOutcome], int]:
    """Each genre's first ten books the library lacks (owned, ignored, other-language and e-book ones make room).

    An upload is an e-book by its file type (MAM's ``filetype``, or the format its title states: epub, mobi,
    azw3, pdf…) whatever category it is filed in; e-books are skipped and counted as ``skipped_ebooks``.
    """
    allowed = {code for code in (normalize_language(lang) for lang in languages) if code}
    # A top-10 find the library got since (by hand, or it dropped off the list) is closed, not left wanted.
    closed = close_owned_wanted(session, now, reason=WantedReason.TOP10)
    outcomes: list[RecordOutcome] = []
    for top in tops:
        listed: set[str] = set()
        for rank, release in enumerate(top.releases, start=1):
            if is_ebook_upload(release):
                continue
            candidate = release_candidate(release, top, rank, window, approved=approved)
            if len(listed) >= TOP_N or candidate.key in listed:
                continue  # another torrent (mp3 beside m4b) of a book already counted
            if allowed and candidate.language and candidate.language not in allowed:
                continue
            outcome = record_wanted(session, _with_series_id(session, candidate), now)
            outcomes.append(outcome)
            if outcome.result in (Recorded.CREATED, Recorded.UPDATED):
                listed.add(candidate.key)
    return outcomes, closed


async def fetch_tops(run: RunContext, calls: ProviderCalls, window: tuple[date, date]) -> tuple[list[GenreTop], int]:
    """MAM's most-snatched list of every followed genre; and how many genres have no MAM category."""
    tops: list[GenreTop] = []
    unknown = 0
    mam = calls.adapter("mam", run.integrations.mam)
    for genre in run.app.settings.followed_genres:
        category_id = genre_category(genre)
        if category_id is None:
            run.log.warning("followed genre %r is no MAM audiobook category; skipped (see docs/wanted.md)", genre)
            unknown += 1
            continue
        if mam is None:
            continue

        top = partial(mam.top_snatched, category_id, window[0], window[1], FETCHED)
        releases: list[Release] = await calls.ask("mam", genre, top, [])
        tops.append(GenreTop(genre, category_id, tuple(releases)))
    return tops, unknown


async def top10_discovery_task(run: RunContext) -> JobResult:
    """The top-10 job: for each followed genre, MAM's most-snatched books not owned become wanted (approval waits).

    Audible best sellers are not asked: the Audible adapter offers no best-seller listing.
    """
    settings = run.app.settings
    days = int(run.parameters.get("window_days") or settings.top10_window_days)
    now = run.now()
    window = (now.date() - timedelta(days=days), now.date() + timedelta(days=1))  # MAM's end date is exclusive
    calls, result = ProviderCalls(run), JobResult()
    tops, unknown = await fetch_tops(run, calls, window)
    outcomes, closed = await run.transaction(
        lambda session: record_top10(
            session, tops, window, settings.wanted_languages, approved=settings.auto_grab, now=now
        )
    )
    counts: dict[str, Any] = {
        **count_outcomes(outcomes),
        "skipped_ebooks": sum(is_ebook_upload(release) for top in tops for release in top.releases),
        "wanted_closed_owned": closed,
        "genres_checked": len(tops),
        "genres_unknown": unknown,
        **calls.counts(),
    }
    rows: list[WantedBook] = listed_rows(outcomes)
    counts.update(await acquire_found(run, rows) if settings.auto_grab else {})
    created = [o.row for o in outcomes if o.row is not None and o.result == Recorded.CREATED]
    if created and not settings.auto_grab:
        titles = ", ".join(row.title for row in created[:5]) + (" …" if len(created) > 5 else "")
        message = f"{len(created)} top-10 book(s) await your approval (Wanted): {titles}"
        event = Event(EventType.TOP10_APPROVAL, message, at=now, details={"count": len(created)})
        await run.transaction(lambda session: events.record(session, event))
    for name, value in counts.items():
        result.add(name, int(value))
    result.metrics.update({**calls.metrics(), "window_days": days, "audible_best_sellers": "not offered"})
    run.log.info("top-10 discovery: %s", result.counts)
    return result
