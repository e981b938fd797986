"""Author completion: each monitored author's catalogue from the providers, owned books out, the rest wanted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfkeeper.automation.provider_calls import ProviderCalls
from shelfkeeper.automation.run_context import JobResult, RunContext
from shelfkeeper.automation.series_completion import CompletionOutcome, CompletionTally, listed_rows
from shelfkeeper.db.tables import Author, Series
from shelfkeeper.domain.discovery.author_catalogue import CatalogueBook, Exclusion, merge_catalogue
from shelfkeeper.domain.discovery.following import wanted_while_following
from shelfkeeper.domain.lifecycle import WantedReason
from shelfkeeper.domain.metadata.candidates import AuthorProfile, BookCandidate
from shelfkeeper.domain.text import series_key
from shelfkeeper.errors import NotFound
from shelfkeeper.ports import AuthorCatalogSource
from shelfkeeper.services.owned_books import author_books, candidate_books, owned_book
from shelfkeeper.services.wanted import (
    RecordOutcome,
    WantedCandidate,
    close_owned_wanted,
    count_outcomes,
    edition_flags,
    record_wanted,
)


@dataclass(frozen=True)
class AuthorTarget:
    """What the providers are asked about one author."""

    id: int
    name: str
    asin: str | None
    openlibrary_id: str | None


def _target(session: Session, author_id: int) -> AuthorTarget:
    author = session.get(Author, author_id)
    if author is None:
        raise NotFound(f"Author {author_id} not found.", code="AUTHOR_NOT_FOUND")
    openlibrary = (author.provider_ids or {}).get("openlibrary")
    return AuthorTarget(author.id, author.name, author.asin, str(openlibrary) if openlibrary else None)


async def author_catalogue(target: AuthorTarget, calls: ProviderCalls) -> tuple[list[BookCandidate], str | None]:
    """The author's books from the Audible catalog (the author found through Audnexus), Google Books, Open Library."""
    asin = target.asin
    audnexus = calls.adapter("audnexus", calls.run.integrations.audnexus)
    if audnexus is not None:
        lookup = partial(audnexus.author, asin) if asin else partial(audnexus.find_author, target.name)
        profile: AuthorProfile | None = await calls.ask("audnexus", target.name, lookup, None)
        asin = asin or (profile.source_id if profile else None)
    found: list[BookCandidate] = []
    askers: dict[str, Callable[[AuthorCatalogSource], Awaitable[list[BookCandidate]]]] = {
        "audible": lambda adapter: adapter.author_books(target.name, author_id=asin),
        "google_books": lambda adapter: adapter.author_books(target.name),
        "openlibrary": lambda adapter: adapter.author_books(target.name, author_id=target.openlibrary_id),
    }
    for provider, asker in askers.items():
        adapter = calls.adapter(provider, partial(calls.run.integrations.book_catalog, provider))
        if adapter is not None:
            found += await calls.ask(provider, target.name, partial(asker, adapter), [])
    return found, asin


def _sources(book: CatalogueBook) -> list[str]:
    return list(dict.fromkeys(label.split(":", 1)[0] for label in book.sources))


def _explanation(book: CatalogueBook, author: str) -> str:
    text = f"{book.title} is in {author}'s catalogue ({', '.join(_sources(book))}) but not in the library"
    if book.upcoming:
        text += f"; it comes out {book.release_date or book.published_year}"
    if book.collection:
        text += "; a collection of books, so it waits for approval"
    return text


def catalogue_candidate(book: CatalogueBook, author: Author, series_ids: dict[str, int]) -> WantedCandidate:
    """The wanted-list entry of one catalogue book; box sets and omnibus editions wait for approval."""
    ref = book.series[0] if book.series else None
    flags = set(edition_flags(book.title, book.subtitle, collection=book.collection))
    flags |= {name for name, on in (("dramatized", book.dramatized), ("abridged", book.abridged)) if on}
    evidence: dict[str, Any] = {
        **book.evidence,
        "sources": list(book.sources),
        "explanation": _explanation(book, author.name),
    }
    return WantedCandidate(
        title=book.title,
        authors=book.authors or (author.name,),
        key=book.key,
        reason=WantedReason.AUTHOR_CATALOGUE,
        source=",".join(_sources(book)),
        evidence=evidence,
        subtitle=book.subtitle,
        author_id=author.id,
        series_id=series_ids.get(series_key(ref.name)) if ref else None,
        series_name=ref.name if ref else None,
        series_position=ref.sequence if ref else None,
        asin=book.asin,
        isbn=book.isbns[0] if book.isbns else None,
        language=book.language,
        release_date=book.release_date,
        upcoming=book.upcoming,
        flags=tuple(sorted(flags)),
        approved=not book.collection,
    )


def exclusion_facts(exclusion: Exclusion) -> dict[str, Any]:
    """An exclusion as JSON for the API and the Task's metrics."""
    return {
        "title": exclusion.title,
        "authors": list(exclusion.authors),
        "reason": exclusion.reason.value,
        "detail": exclusion.detail,
        "sources": list(exclusion.sources),
    }


def record_catalogue(
    session: Session,
    author_id: int,
    candidates: Sequence[BookCandidate],
    asin: str | None,
    *,
    languages: Collection[str],
    today: date,
    now: datetime,
) -> tuple[list[RecordOutcome], list[Exclusion]]:
    """Merge the catalogue against what the library owns right now and record each missing book."""
    author = session.get(Author, author_id)
    if author is None:
        raise NotFound(f"Author {author_id} not found.", code="AUTHOR_NOT_FOUND")
    close_owned_wanted(session, now, author_id=author_id)
    books = {book.id: book for book in author_books(session, author_id)}
    extra = candidate_books(
        session, [c.title for c in candidates], [c.asin for c in candidates], [c.isbn for c in candidates]
    )
    books.update((book.id, book) for book in extra)
    owned = [owned_book(book) for book in books.values()]
    result = merge_catalogue(candidates, owned, languages=languages, today=today, author_names=(author.name,))
    follows = partial(wanted_while_following, future_only=author.future_only, since=author.monitored_since)
    wanted = [book for book in (*result.books, *result.collections) if follows(book.release_date)]
    names = {series_key(ref.name) for book in wanted for ref in book.series[:1]}
    rows = session.execute(select(Series.name_key, Series.id).where(Series.name_key.in_(names)))
    series_ids = {name_key: series_id for name_key, series_id in rows}
    outcomes = [record_wanted(session, catalogue_candidate(book, author, series_ids), now) for book in wanted]
    author.last_catalogue_check_at = now
    author.asin = author.asin or asin
    session.flush()
    return outcomes, list(result.excluded)


async def discover_author(run: RunContext, author_id: int, calls: ProviderCalls) -> CompletionOutcome:
    """Check one author's catalogue now; raises NotFound for an unknown author."""
    target = await run.transaction(lambda session: _target(session, author_id))
    failures_before = len(calls.failures)
    candidates, asin = await author_catalogue(target, calls)
    now, languages = run.now(), run.app.settings.wanted_languages
    outcomes, excluded = await run.transaction(
        lambda session: record_catalogue(
            session, author_id, candidates, asin, languages=languages, today=now.date(), now=now
        )
    )
    counts = {**count_outcomes(outcomes), "catalogue_books": len(candidates), "excluded": len(excluded)}
    return CompletionOutcome(
        target.id,
        target.name,
        listed_rows(outcomes),
        counts,
        calls.failures[failures_before:],
        [exclusion_facts(e) for e in excluded],
    )


async def check_author(run: RunContext, author_id: int) -> CompletionOutcome:
    """``POST /api/authors/{id}/discover``: one author's catalogue checked now, monitored or not (no grabbing)."""
    return await discover_author(run, author_id, ProviderCalls(run))


def _authors_to_check(session: Session, author_id: int | None, limit: int | None) -> list[int]:
    if author_id is not None:
        return [author_id]
    # Never checked first, then the longest unchecked: a run cut short by provider quotas goes on next time.
    query = select(Author.id).where(Author.monitored.is_(True))
    query = query.order_by(Author.last_catalogue_check_at.is_not(None), Author.last_catalogue_check_at, Author.id)
    return list(session.scalars(query.limit(limit) if limit else query))


async def author_completion_task(run: RunContext) -> JobResult:
    """The author completion job: each monitored author (or ``author_id``) checked, the books found wanted."""
    wanted_id, limit = run.parameters.get("author_id"), run.parameters.get("max_authors")
    ids = await run.transaction(
        lambda session: _authors_to_check(session, int(wanted_id) if wanted_id else None, int(limit) if limit else None)
    )
    calls, tally = ProviderCalls(run), CompletionTally()
    for author_id in ids:
        try:
            outcome = await discover_author(run, author_id, calls)
        except NotFound:
            tally.result.add("authors_gone")
            continue
        tally.add(outcome, "authors_checked")
    return await tally.finish(run, calls, "author completion")
