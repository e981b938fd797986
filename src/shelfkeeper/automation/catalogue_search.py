"""Searching the providers' catalogues for a book to add by hand ("Add a book" in the page).

Every configured catalogue (Google Books, Audible with Audnexus, Open Library) is asked at once through
``ProviderLookup``, each within the request's bound; a provider that fails, is not configured or stays silent is
reported by name, never failing the search. Each result says whether the library owns it or the wanted list has it
already, so the page can refuse a duplicate before the user asks.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from shelfkeeper.automation.metadata_providers import ProviderLookup
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.domain.discovery.ownership import book_key
from shelfkeeper.domain.metadata.candidates import BookCandidate
from shelfkeeper.domain.metadata.distance import BookFacts
from shelfkeeper.domain.text import normalize_asin
from shelfkeeper.services.wanted_list import Holding, where_held

MAX_RESULTS = 40


@dataclass(frozen=True)
class CatalogueHit:
    """One book a provider knows, with the other providers that gave the same book, and where it is already."""

    candidate: BookCandidate
    sources: tuple[str, ...]
    held: Holding | None


@dataclass(frozen=True)
class ProviderOutcome:
    """How one provider answered: ``status`` ok, failed or timed_out; the error's message and code if any."""

    provider: str
    status: str
    results: int
    error: str | None = None
    error_code: str | None = None


@dataclass(frozen=True)
class CatalogueSearch:
    query: str
    author: str | None
    hits: list[CatalogueHit]
    providers: list[ProviderOutcome]


def _identity(candidate: BookCandidate) -> str:
    """One book across providers: its ASIN, else its ISBN, else its folded title and authors."""
    asin = normalize_asin(candidate.asin)
    if asin:
        return f"asin:{asin}"
    if candidate.isbn:
        return f"isbn:{candidate.isbn}"
    return f"key:{book_key(candidate.title, candidate.authors)}"


def _merge(candidates: list[BookCandidate]) -> list[tuple[BookCandidate, tuple[str, ...]]]:
    """The candidates without repeats, in the providers' order; each with every provider that gave it."""
    merged: dict[str, tuple[BookCandidate, list[str]]] = {}
    for candidate in candidates:
        key = _identity(candidate)
        if key in merged:
            first, sources = merged[key]
            if candidate.source not in sources:
                sources.append(candidate.source)
            if first.cover_url is None and candidate.cover_url:  # keep a cover when one provider has it
                merged[key] = (candidate, sources)
        else:
            merged[key] = (candidate, [candidate.source])
    return [(candidate, tuple(sources)) for candidate, sources in merged.values()][:MAX_RESULTS]


async def search_catalogue(run: RunContext, query: str, author: str | None, *, within: float) -> CatalogueSearch:
    """Every configured catalogue's books for ``query`` (and ``author``), merged, each with where it is already."""
    facts = BookFacts(title=query, authors=(author,) if author else ())
    answers = await ProviderLookup(run, stop_on_quota=False).ask_all(facts, within=within)
    merged = _merge([candidate for answer in answers for candidate in answer.candidates])

    def held(session: Session) -> list[Holding | None]:
        return [where_held(session, c.title, c.authors, c.asin, c.isbn) for c, _sources in merged]

    places = await run.transaction(held)
    hits = [CatalogueHit(candidate, sources, place) for (candidate, sources), place in zip(merged, places, strict=True)]
    outcomes = [
        ProviderOutcome(
            provider=answer.provider,
            status="timed_out" if answer.timed_out else "failed" if answer.error else "ok",
            results=len(answer.candidates),
            error=answer.error.message if answer.error else None,
            error_code=answer.error.code if answer.error else None,
        )
        for answer in answers
    ]
    return CatalogueSearch(query=query, author=author, hits=hits, providers=outcomes)
