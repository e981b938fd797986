"""Asking the metadata providers about one book: Google Books, Audnexus (via the Audible catalog), Open Library.

Every answer goes through the provider_cache table first, so a book checked again within
``provider_cache_hours`` costs no request. A provider that fails is recorded and skipped (``ProviderCalls``); the
daily quota running out (``QuotaExhausted``) stops the lookup so that a batch can stop cleanly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy.exc import IntegrityError

from shelfkeeper.automation.provider_calls import ProviderCalls
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.domain.metadata.candidates import BookCandidate
from shelfkeeper.domain.metadata.distance import BookFacts, MatchWeights
from shelfkeeper.domain.metadata.repair import search_author, search_title
from shelfkeeper.domain.text import normalize_asin
from shelfkeeper.errors import QuotaExhausted, ServiceError, ServiceUnreachable
from shelfkeeper.ports import BookQuery
from shelfkeeper.services.provider_cache import (
    cache_key,
    cached_payload,
    candidate_from_json,
    candidate_to_json,
    remember_outcomes,
    store_payload,
)
from shelfkeeper.settings import METADATA_SOURCES, Settings

PROVIDERS = METADATA_SOURCES
GOOGLE_LIMIT = 10
AUDIBLE_LIMIT = 5  # each ASIN found costs one Audnexus request
OPENLIBRARY_LIMIT = 10

log = logging.getLogger("shelfkeeper.automation.metadata")


def match_weights(settings: Settings) -> MatchWeights:
    """The matching weights with the thresholds the settings give."""
    return MatchWeights(apply_at=settings.metadata_apply_threshold, review_at=settings.metadata_review_threshold)


def book_query(facts: BookFacts) -> BookQuery:
    """What to search for: the title without edition noise and book numbers ("Mistborn Book 1 (Unabridged)" is
    searched as "Mistborn"), the first author that is a person (not a publisher) as people write it."""
    title = search_title(facts.title)
    author = search_author(facts.authors)
    return BookQuery(title=title, author=author, isbn=facts.isbn, asin=normalize_asin(facts.asin))


@dataclass(frozen=True)
class ProviderAnswer:
    """One provider's candidates for a book, or the error that stopped it."""

    provider: str
    candidates: tuple[BookCandidate, ...] = ()
    error: ServiceError | None = None
    requests: int = 0  # answers fetched from the provider (not the cache)
    timed_out: bool = False  # no answer within the request's bound

    @property
    def failed(self) -> bool:
        return self.error is not None


@dataclass
class ProviderLookup:
    """Asks the providers through the cache; one per batch (or per request), so counts add up."""

    run: RunContext
    stop_on_quota: bool = True
    fetched: dict[str, int] = field(default_factory=dict)  # provider -> requests made
    cache_hits: int = 0
    calls: ProviderCalls = field(init=False)

    def __post_init__(self) -> None:
        # Every book asks every provider again: an error never drops one for the rest of the batch.
        self.calls = ProviderCalls(self.run, drop_failing=False)

    def sources(self) -> list[str]:
        """The providers METADATA_SOURCES names, in its order (the default: every one)."""
        return [name for name in self.run.app.settings.metadata_sources if name in PROVIDERS]

    async def ask_all(self, facts: BookFacts, *, within: float | None = None) -> list[ProviderAnswer]:
        """Every provider in order; QuotaExhausted propagates when ``stop_on_quota``.

        With ``within`` (seconds, an API request's bound) the providers are asked at once and one still silent
        then answers a ServiceUnreachable "no answer within" error (``timed_out``).
        """
        if within is None:
            answers = [await self.ask(provider, facts) for provider in self.sources()]
        else:
            answers = list(await asyncio.gather(*(self._ask_within(p, facts, within) for p in self.sources())))
        outcomes = {
            a.provider: ((a.error.message, a.error.code) if a.error else (None, None))
            for a in answers
            if a.requests or a.error
        }
        if outcomes:
            now = self.run.now()
            await self.run.transaction(lambda session: remember_outcomes(session, outcomes, now))
        return answers

    async def _ask_within(self, provider: str, facts: BookFacts, within: float) -> ProviderAnswer:
        try:
            return await asyncio.wait_for(self.ask(provider, facts), within)
        except TimeoutError:
            log.warning("metadata provider %s gave no answer within %g s for %r", provider, within, facts.title)
            error = ServiceUnreachable(provider, f"no answer within {within:g} s")
            return ProviderAnswer(provider, error=error, timed_out=True)

    async def ask(self, provider: str, facts: BookFacts) -> ProviderAnswer:
        ask = {"google_books": self._google, "audnexus": self._audnexus, "openlibrary": self._openlibrary}[provider]
        before = sum(self.fetched.values())
        raising = (QuotaExhausted,) if self.stop_on_quota else ()
        none: list[BookCandidate] = []
        candidates, error = await self.calls.attempt(
            provider, repr(facts.title), partial(ask, book_query(facts)), none, raising=raising
        )
        return ProviderAnswer(provider, tuple(candidates), error=error, requests=sum(self.fetched.values()) - before)

    # ---- the providers ----

    async def _google(self, query: BookQuery) -> list[BookCandidate]:
        client = self.run.integrations.google_books()
        google_query = BookQuery(title=query.title, author=query.author, isbn=query.isbn)
        return await self._candidates(
            "google_books", {"q": _fields(google_query)}, lambda: client.search(google_query, limit=GOOGLE_LIMIT)
        )

    async def _audnexus(self, query: BookQuery) -> list[BookCandidate]:
        """By the ASIN the book has; else the Audible catalog finds ASINs and Audnexus describes each."""
        if query.asin:
            found = await self._audnexus_book(query.asin)
            if found:
                return found
        catalog = self.run.integrations.audible()
        words = BookQuery(title=query.title, author=query.author)
        key = {"asins": _fields(words), "region": catalog.region}
        asins = await self._cached("audible", key, lambda: catalog.search_asins(words, limit=AUDIBLE_LIMIT))
        books: list[BookCandidate] = []
        for asin in asins[:AUDIBLE_LIMIT]:
            books.extend(await self._audnexus_book(str(asin)))
        return books

    async def _audnexus_book(self, asin: str) -> list[BookCandidate]:
        nexus = self.run.integrations.audnexus()

        async def fetch() -> list[BookCandidate]:
            found = await nexus.by_id(asin)
            return [found] if found else []

        return await self._candidates("audnexus", {"asin": asin, "region": nexus.region}, fetch)

    async def by_asin(self, provider: str, asin: str) -> tuple[BookCandidate | None, ServiceError | None]:
        """One book by its ASIN from "audnexus" or "audible" (its catalog), through the cache; on a failure (logged
        and counted) None and the error."""
        fetch = {"audnexus": self._audnexus_book, "audible": self._audible_book}[provider]
        none: list[BookCandidate] = []
        found, error = await self.calls.attempt(provider, asin, partial(fetch, asin), none)
        return (found[0] if found else None), error

    async def _audible_book(self, asin: str) -> list[BookCandidate]:
        catalog = self.run.integrations.audible()

        async def fetch() -> list[BookCandidate]:
            found = await catalog.by_id(asin)
            return [found] if found else []

        return await self._candidates("audible", {"asin": asin, "region": catalog.region}, fetch)

    async def _openlibrary(self, query: BookQuery) -> list[BookCandidate]:
        client = self.run.integrations.openlibrary()
        # Open Library is searched by words: an audiobook's ISBN is rarely one of its print editions'.
        words = BookQuery(title=query.title, author=query.author)
        return await self._candidates(
            "openlibrary", {"q": _fields(words)}, lambda: client.search(words, limit=OPENLIBRARY_LIMIT)
        )

    # ---- the cache ----

    async def _candidates(
        self, source: str, query: dict[str, Any], fetch: Callable[[], Awaitable[list[BookCandidate]]]
    ) -> list[BookCandidate]:
        async def fetch_json() -> list[dict[str, Any]]:
            return [candidate_to_json(c) for c in await fetch()]

        payload = await self._cached(source, query, fetch_json)
        return [candidate_from_json(item) for item in payload]

    async def _cached(self, source: str, query: dict[str, Any], fetch: Callable[[], Awaitable[list[Any]]]) -> list[Any]:
        """The cached answer when it is fresh, else a request whose answer (even an empty one) is kept."""
        hours = self.run.app.settings.provider_cache_hours
        key = cache_key(source, query)
        now = self.run.now()
        if hours > 0:
            found, payload = await self.run.transaction(lambda session: cached_payload(session, key, now))
            if found:
                self.cache_hits += 1
                return list(payload or [])
        payload = await fetch()
        self.fetched[source] = self.fetched.get(source, 0) + 1
        if hours > 0:
            try:
                await self.run.transaction(lambda session: store_payload(session, key, source, payload, now, hours))
            except IntegrityError:
                log.debug("another run cached %s first", key)  # same answer, kept by the other run
        return payload


def _fields(query: BookQuery) -> dict[str, str]:
    values = {"title": query.title, "author": query.author, "isbn": query.isbn}
    return {name: " ".join(value.lower().split()) for name, value in values.items() if value}
