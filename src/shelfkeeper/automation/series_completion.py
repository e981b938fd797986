"""Series completion: what each monitored series lacks, from the library and the providers, onto the wanted list."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfkeeper.automation.acquisition import acquire_wanted
from shelfkeeper.automation.provider_calls import ProviderCalls, ProviderFailure
from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.db.repositories import refresh_series_stats
from shelfkeeper.db.tables import Series, WantedBook
from shelfkeeper.domain.discovery.following import wanted_while_following
from shelfkeeper.domain.discovery.positions import covered_positions
from shelfkeeper.domain.discovery.series_gaps import (
    Gap,
    SeriesEntry,
    entries_from_candidates,
    entries_from_releases,
    find_series_gaps,
)
from shelfkeeper.domain.lifecycle import WantedReason, WantedStatus
from shelfkeeper.domain.metadata.candidates import BookCandidate
from shelfkeeper.domain.releases.release import Release
from shelfkeeper.domain.text import format_position, normalize_language, parse_position, series_key
from shelfkeeper.errors import NotFound, ServiceError
from shelfkeeper.ports import BookQuery
from shelfkeeper.services.owned_books import candidate_books, owned_book, series_books
from shelfkeeper.services.wanted import (
    UNTITLED,
    Recorded,
    RecordOutcome,
    WantedCandidate,
    close_owned_wanted,
    count_outcomes,
    edition_flags,
    record_wanted,
)

AUDIBLE_RESULTS = 50  # one page: Audible refuses more per request, and few series are longer
# Owned books with an ASIN but no position are placed by Audnexus; a cap keeps one series from costing hundreds.
PLACE_BY_ASIN_LIMIT = 10
MAM_SERIES_LOOKUPS = 50  # per run by default (parameter "mam_series_lookups"): MAM's daily cap is shared
_HIGHEST_PLAUSIBLE_POSITION = Decimal(1000)


@dataclass(frozen=True)
class SeriesTarget:
    """What the providers are asked about one series."""

    id: int
    name: str
    authors: tuple[str, ...]
    asins_to_place: tuple[str, ...]  # owned books with an ASIN but no position


@dataclass
class CompletionOutcome:
    """One series (or author) checked: the rows found, what recording did, and the providers that failed."""

    subject_id: int
    name: str
    missing: list[WantedBook] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[ProviderFailure] = field(default_factory=list)
    excluded: list[dict[str, Any]] = field(default_factory=list)


def _target(session: Session, series_id: int) -> SeriesTarget:
    series = session.get(Series, series_id)
    if series is None:
        raise NotFound(f"Series {series_id} not found.", code="SERIES_NOT_FOUND")
    books = series_books(session, series_id)
    authors: dict[str, int] = {}
    for book in books:
        for link in book.author_links:
            authors[link.author.name] = authors.get(link.author.name, 0) + 1
    unplaced = [
        book.asin
        for book in books
        if book.asin
        and any(link.series_id == series_id and parse_position(link.position) is None for link in book.series_links)
    ]
    ranked = tuple(sorted(authors, key=lambda name: -authors[name]))
    return SeriesTarget(series.id, series.name, ranked, tuple(unplaced[:PLACE_BY_ASIN_LIMIT]))


def _language_ok(language: str | None, allowed: Collection[str]) -> bool:
    code = normalize_language(language)
    return not allowed or code is None or code in allowed


async def series_entries(
    target: SeriesTarget, calls: ProviderCalls, languages: Collection[str], *, ask_mam: bool
) -> tuple[list[SeriesEntry], dict[str, str]]:
    """The series as Audible, Audnexus (placing owned books) and MAM list it; and provider series ids found."""
    found: list[BookCandidate] = []
    audible = calls.adapter("audible", calls.run.integrations.audible)
    if audible is not None:
        query = BookQuery(series=target.name, author=target.authors[0] if target.authors else None)
        found += await calls.ask("audible", target.name, lambda: audible.search(query, limit=AUDIBLE_RESULTS), [])
    audnexus = calls.adapter("audnexus", calls.run.integrations.audnexus) if target.asins_to_place else None
    if audnexus is not None:
        for asin in target.asins_to_place:
            book: BookCandidate | None = await calls.ask("audnexus", asin, partial(audnexus.by_id, asin), None)
            found += [book] if book is not None else []
    entries = entries_from_candidates(found, target.name)
    mam = calls.adapter("mam", calls.run.integrations.mam) if ask_mam else None
    if mam is not None:
        releases: list[Release] = await calls.ask(
            "mam", target.name, lambda: mam.search(BookQuery(series=target.name)), []
        )
        entries += entries_from_releases(releases, target.name)
    allowed = {code for code in (normalize_language(lang) for lang in languages) if code}
    return [entry for entry in entries if _language_ok(entry.language, allowed)], _series_ids(found, target.name)


def _series_ids(candidates: Sequence[BookCandidate], name: str) -> dict[str, str]:
    ids: dict[str, str] = {}
    for candidate in candidates:
        for ref in candidate.series:
            if ref.series_id and series_key(ref.name) == series_key(name):
                ids.setdefault("audible", ref.series_id)
    return ids


def gap_candidate(gap: Gap, series: Series) -> WantedCandidate:
    """The wanted-list entry of one gap: a hole no provider names is titled "<series> #<position>"."""
    listed = gap.evidence.get("listed_by")
    source = ",".join(listed) if isinstance(listed, list) and listed else "library"
    editions = gap.evidence.get("editions")
    markers = [str(m) for m in editions] if isinstance(editions, list) else []
    flags = set(edition_flags(gap.title or "")) | set(markers) | ({"omnibus"} if "omnibus" in markers else set())
    if not gap.title:
        flags.add(UNTITLED)
    return WantedCandidate(
        title=gap.title or f"{series.name} #{gap.position}",
        authors=gap.authors,
        key=gap.key,
        reason=WantedReason.SERIES_GAP,
        source=source,
        evidence={**gap.evidence, "gap_reason": gap.reason.value, "explanation": gap.explanation},
        series_id=series.id,
        series_name=series.name,
        series_position=gap.position,
        asin=gap.asin,
        isbn=gap.isbn,
        release_date=gap.release_date,
        upcoming=gap.upcoming,
        flags=tuple(sorted(flags)),
    )


def _known_positions(session: Session, series_id: int, gaps: Sequence[Gap]) -> list[str]:
    """Owned positions (as the completion summary counts them) and the missing ones, in order."""
    labels = [
        link.position
        for book in series_books(session, series_id)
        for link in book.series_links
        if link.series_id == series_id
    ]
    positions = {p for p in covered_positions(labels) if p <= _HIGHEST_PLAUSIBLE_POSITION}
    positions |= {parsed[0] for gap in gaps if (parsed := parse_position(gap.position)) is not None}
    return [format_position(p) for p in sorted(positions)]


def record_series_gaps(
    session: Session,
    series_id: int,
    entries: Sequence[SeriesEntry],
    provider_ids: dict[str, str],
    *,
    today: date,
    now: datetime,
) -> list[RecordOutcome]:
    """Find the series' gaps against what the library owns right now and record each as a wanted book."""
    series = session.get(Series, series_id)
    if series is None:
        raise NotFound(f"Series {series_id} not found.", code="SERIES_NOT_FOUND")
    close_owned_wanted(session, now, series_id=series_id)
    # Books owned outside this series (no series data) still count when a provider's book is one of them.
    books = {book.id: book for book in series_books(session, series_id)}
    extra = candidate_books(session, [e.title for e in entries], [e.asin for e in entries], [e.isbn for e in entries])
    books.update((book.id, book) for book in extra)
    gaps = find_series_gaps(series.name, [owned_book(book) for book in books.values()], entries, today=today)
    follows = partial(wanted_while_following, future_only=series.future_only, since=series.monitored_since)
    gaps = [gap for gap in gaps if follows(gap.release_date)]
    outcomes = [record_wanted(session, gap_candidate(gap, series), now) for gap in gaps]
    series.known_positions = _known_positions(session, series_id, gaps)
    series.known_total = len(series.known_positions)
    series.last_checked_at = now
    series.provider_ids = {**provider_ids, **(series.provider_ids or {})}
    session.flush()
    refresh_series_stats(session, [series_id])
    return outcomes


def listed_rows(outcomes: Sequence[RecordOutcome]) -> list[WantedBook]:
    """The rows on the wanted list after recording (created or refreshed)."""
    return [o.row for o in outcomes if o.row is not None and o.result in (Recorded.CREATED, Recorded.UPDATED)]


async def complete_series(
    run: RunContext, series_id: int, calls: ProviderCalls, *, ask_mam: bool = True
) -> CompletionOutcome:
    """Check one series now: ask the providers, record its gaps; raises NotFound for an unknown series."""
    target = await run.transaction(lambda session: _target(session, series_id))
    failures_before = len(calls.failures)
    entries, provider_ids = await series_entries(target, calls, run.app.settings.wanted_languages, ask_mam=ask_mam)
    now = run.now()
    outcomes = await run.transaction(
        lambda session: record_series_gaps(session, series_id, entries, provider_ids, today=now.date(), now=now)
    )
    counts = {**count_outcomes(outcomes), "entries": len(entries), "gaps": len(outcomes)}
    return CompletionOutcome(target.id, target.name, listed_rows(outcomes), counts, calls.failures[failures_before:])


async def check_series(run: RunContext, series_id: int) -> CompletionOutcome:
    """``POST /api/series/{id}/complete``: one series checked now, monitored or not (no grabbing)."""
    return await complete_series(run, series_id, ProviderCalls(run))


def _series_to_check(session: Session, series_id: int | None) -> list[int]:
    if series_id is not None:
        return [series_id]
    query = select(Series.id).where(Series.monitored.is_(True))
    return list(session.scalars(query.order_by(Series.last_checked_at.is_not(None), Series.last_checked_at, Series.id)))


async def acquire_found(run: RunContext, rows: Sequence[WantedBook]) -> dict[str, int]:
    """Go on to search and grab what a run found (approved, wanted, not upcoming), unless ``acquire`` is false."""
    ids = [r.id for r in rows if r.approved and r.status == WantedStatus.WANTED and not r.upcoming]
    if not ids or run.parameters.get("acquire") is False:
        return {}
    try:
        result = await acquire_wanted(run, ids)
    except ServiceError as exc:
        run.log.warning("acquisition failed: %s (%s); the found books stay wanted", exc.message, exc.code)
        return {"acquire_failed": 1}
    return {f"acquire_{name}": value for name, value in result.counts.items()}


@dataclass
class CompletionTally:
    """A completion job's run so far: counts over the subjects checked and every wanted row found, once."""

    result: JobResult = field(default_factory=JobResult)
    found: dict[int, WantedBook] = field(default_factory=dict)

    def add(self, outcome: CompletionOutcome, checked: str) -> None:
        """Count one subject checked (under ``checked``) and what recording its books did."""
        self.result.add(checked)
        for name, value in outcome.counts.items():
            self.result.add(name, value)
        self.found.update((row.id, row) for row in outcome.missing)

    async def finish(self, run: RunContext, calls: ProviderCalls, job: str) -> JobResult:
        """Go on to acquire what was found; the run's result with the provider calls' counts and metrics."""
        for name, value in {**calls.counts(), **await acquire_found(run, list(self.found.values()))}.items():
            self.result.add(name, value)
        self.result.metrics.update(calls.metrics())
        run.log.info("%s: %s", job, self.result.counts)
        return self.result


async def series_completion_task(run: RunContext) -> JobResult:
    """The series completion job: every monitored series (or ``series_id``) checked, its gaps wanted, then grabbed."""
    wanted_id = run.parameters.get("series_id")
    ids = await run.transaction(lambda session: _series_to_check(session, int(wanted_id) if wanted_id else None))
    calls, tally = ProviderCalls(run), CompletionTally()
    mam_lookups = int(run.parameters.get("mam_series_lookups", MAM_SERIES_LOOKUPS))
    for index, series_id in enumerate(ids):
        try:
            outcome = await complete_series(run, series_id, calls, ask_mam=index < mam_lookups)
        except NotFound:
            tally.result.add("series_gone")  # deleted while the run went on
            continue
        tally.add(outcome, "series_checked")
    return await tally.finish(run, calls, "series completion")
