"""Audnexus (Audible data: narrators, series positions, ASINs) as a metadata source: books, authors, chapters."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from shelfkeeper.adapters.audible import (
    AUDIBLE_TLDS,
    AudibleCatalogClient,
    language_code,
    names,
    parse_day,
)
from shelfkeeper.adapters.connection_report import connection_report
from shelfkeeper.adapters.http import BudgetStore, ServiceClient, ServicePolicy, split_options
from shelfkeeper.adapters.payload import as_list, plain_text
from shelfkeeper.domain.library.items import SeriesRef
from shelfkeeper.domain.metadata.candidates import AuthorProfile, BookCandidate
from shelfkeeper.domain.names import normalize_author
from shelfkeeper.errors import ConfigurationError, ServiceBadResponse, ServiceError, ServiceRateLimited
from shelfkeeper.ports import BookQuery, ConnectionReport

SERVICE = "audnexus"
DEFAULT_URL = "https://api.audnex.us"
ASIN_CHARS = 10

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Chapter:
    title: str
    start_ms: int
    length_ms: int


@dataclass(frozen=True)
class BookChapters:
    """A book's chapter list as Audnexus gives it (``accurate`` False when Audible marks it approximate)."""

    asin: str
    region: str
    chapters: tuple[Chapter, ...]
    runtime_ms: int
    accurate: bool


def error_parts(body: object) -> tuple[str | None, str | None]:
    """(code, message) from any of Audnexus's error bodies: the ``{"error": {code, message, details}}`` envelope,
    Fastify's ``{statusCode, error, message}``, and the search route's ``{"error": "Bad Request", message}``."""
    if not isinstance(body, dict):
        return None, None
    error = body.get("error")
    if isinstance(error, dict):
        return _text(error.get("code")), _text(error.get("message"))
    return None, _text(body.get("message")) or _text(error)


def _text(value: object) -> str | None:
    return str(value) if value is not None and str(value).strip() else None


def classify(response: httpx.Response) -> ServiceError | None:
    """Audnexus's JSON errors in its own words; a 404 that means "no such book here" is marked ``not_found``."""
    status = response.status_code
    if status < 400 or status >= 500:
        return None  # 5xx: the HTTP layer retries and translates
    try:
        code, message = error_parts(response.json())
    except (ValueError, json.JSONDecodeError):
        return None  # not Audnexus talking (a proxy's page): the HTTP layer's own translation fits
    if message is None:
        return None
    details: dict[str, Any] = {"status": status, "code": code, "message": message}
    if status == 429:
        return ServiceRateLimited(SERVICE, f"rate limited: {message}", details=details)
    if status in (401, 403):
        return None
    # Fastify's "Route GET:/x not found" means a wrong base URL, not a missing book: that must not read as "none".
    details["not_found"] = status == 404 and not message.startswith("Route ")
    return ServiceBadResponse(SERVICE, f"HTTP {status} {code or ''}: {message}".replace("  ", " "), details=details)


def is_not_found(error: ServiceError) -> bool:
    return isinstance(error.details, dict) and bool(error.details.get("not_found"))


def _series(book: dict[str, Any]) -> tuple[SeriesRef, ...]:
    refs = []
    for key in ("seriesPrimary", "seriesSecondary"):
        entry = book.get(key)
        if isinstance(entry, dict) and entry.get("name"):
            position = entry.get("position")
            refs.append(SeriesRef(str(entry["name"]), str(position) if position else None, entry.get("asin")))
    return tuple(refs)


def book_to_candidate(book: object) -> BookCandidate | None:
    """An Audnexus book (ApiBook) as a candidate; None when it lacks an ASIN or a title."""
    if not isinstance(book, dict) or not book.get("asin") or not book.get("title"):
        return None
    released = parse_day(book.get("releaseDate"))
    genre_list = as_list(book.get("genres"))
    genres = tuple(g["name"] for g in genre_list if isinstance(g, dict) and g.get("type") == "genre" and g.get("name"))
    tags = tuple(g["name"] for g in genre_list if isinstance(g, dict) and g.get("type") == "tag" and g.get("name"))
    runtime = book.get("runtimeLengthMin")
    extra: dict[str, object] = {"tags": tags}
    extra.update({k: book[k] for k in ("region", "rating", "literatureType", "isAdult", "copyright") if k in book})
    return BookCandidate(
        source=SERVICE,
        source_id=str(book["asin"]),
        title=str(book["title"]).strip(),
        subtitle=book.get("subtitle") or None,
        authors=names(book.get("authors")),
        narrators=names(book.get("narrators")),
        series=_series(book),
        asin=str(book["asin"]),
        isbn=book.get("isbn") or None,  # Audnexus sends "" when Audible has none
        publisher=book.get("publisherName") or None,
        published_year=released.year if released else None,
        release_date=released,
        language=language_code(book.get("language")),
        genres=genres,
        description=plain_text(book.get("summary")) or plain_text(book.get("description")),
        duration_minutes=int(runtime) if isinstance(runtime, int | float) and runtime > 0 else None,
        cover_url=book.get("image") or None,
        format_type=str(book["formatType"]).lower() if book.get("formatType") else None,
        extra=extra,
    )


def _chapters(body: dict[str, Any], asin: str, region: str) -> BookChapters:
    chapters = tuple(
        Chapter(str(c.get("title", "")), int(c.get("startOffsetMs", 0)), int(c.get("lengthMs", 0)))
        for c in body.get("chapters") or []
        if isinstance(c, dict)
    )
    return BookChapters(
        asin=str(body.get("asin") or asin),
        region=str(body.get("region") or region),
        chapters=chapters,
        runtime_ms=int(body.get("runtimeLengthMs") or sum(c.length_ms for c in chapters)),
        accurate=bool(body.get("isAccurate", False)),
    )


class AudnexusClient:
    """Audnexus for one region; implements ``MetadataSource`` and ``AuthorCatalogSource``.

    Title searches use ``/books/search`` where the instance has it; older deployments lack that route, so then the
    Audible ``catalog`` (when given) finds the ASINs and Audnexus describes each, as Audiobookshelf does.
    """

    name = SERVICE

    def __init__(self, client: ServiceClient, region: str = "us", *, catalog: AudibleCatalogClient | None = None):
        if region not in AUDIBLE_TLDS:
            raise ConfigurationError(f"unknown Audnexus region {region!r}; one of {', '.join(AUDIBLE_TLDS)}")
        self._client = client
        self.region = region
        self.catalog = catalog
        self._search_route: bool | None = None  # unknown until the first search

    async def _get(self, path: str, params: dict[str, Any]) -> Any | None:
        """GET JSON; None when Audnexus says the item is not there (unknown, not in the region, delisted)."""
        try:
            return await self._client.get_json(path, params=params)
        except ServiceBadResponse as exc:
            if is_not_found(exc):
                return None
            raise

    async def book(self, asin: str, *, region: str | None = None, refresh: bool = False) -> BookCandidate | None:
        """A book by ASIN in ``region`` (default: the client's); ``refresh`` makes Audnexus re-read Audible."""
        asin = asin.strip().upper()
        if len(asin) != ASIN_CHARS:
            return None  # Audnexus would only answer "Bad ASIN"
        params = {"region": region or self.region, **({"update": "1"} if refresh else {})}
        body = await self._get(f"/books/{asin}", params)
        if body is None:
            return None
        candidate = book_to_candidate(body)
        if candidate is None:
            raise ServiceBadResponse(SERVICE, f"book {asin} came back without an ASIN or a title")
        return candidate

    async def by_id(self, identifier: str) -> BookCandidate | None:
        return await self.book(identifier)

    async def search(self, query: BookQuery, *, limit: int = 10) -> list[BookCandidate]:
        if query.asin:
            found = await self.book(query.asin)
            return [found] if found else []
        text = " ".join(part.strip() for part in (query.title, query.author) if part and part.strip())
        if not text:
            return []
        if self._search_route is not False:
            results = await self._search_route_results(text)
            if results is not None:
                return results[:limit]
        if self.catalog is None:
            return []
        asins = await self.catalog.search_asins(query, limit=limit)
        books = [await self.book(asin) for asin in asins]
        return [book for book in books if book is not None]

    async def _search_route_results(self, text: str) -> list[BookCandidate] | None:
        """Results of ``/books/search``; None when this instance has no such route."""
        try:
            body = await self._client.get_json("/books/search", params={"q": text, "region": self.region})
        except ServiceBadResponse as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            # Without the route, "/books/search" reaches "/books/:asin" and fails as "Bad ASIN" (or no route at all).
            if details.get("message") == "Bad ASIN" or str(details.get("message", "")).startswith("Route "):
                log.info("audnexus has no /books/search; searching the Audible catalog for ASINs instead")
                self._search_route = False
                return None
            raise
        if not isinstance(body, list):
            raise ServiceBadResponse(SERVICE, "book search answered with something other than a list")
        self._search_route = True
        return [c for c in (book_to_candidate(b) for b in body) if c is not None]

    async def chapters(self, asin: str, *, region: str | None = None) -> BookChapters | None:
        """The chapters of a book; None when Audnexus has none for it."""
        asin = asin.strip().upper()
        region = region or self.region
        body = await self._get(f"/books/{asin}/chapters", {"region": region})
        if body is None:
            return None
        if not isinstance(body, dict):
            raise ServiceBadResponse(SERVICE, f"chapters of {asin} are not a JSON object")
        return _chapters(body, asin, region)

    async def author(self, asin: str, *, region: str | None = None) -> AuthorProfile | None:
        """An author by Audible author ASIN."""
        body = await self._get(f"/authors/{asin.strip().upper()}", {"region": region or self.region})
        if not isinstance(body, dict) or not body.get("name"):
            return None
        genres = tuple(g["name"] for g in body.get("genres") or [] if isinstance(g, dict) and g.get("name"))
        return AuthorProfile(
            source=SERVICE,
            source_id=str(body.get("asin") or asin),
            name=str(body["name"]),
            description=plain_text(body.get("description")),
            image_url=body.get("image") or None,
            genres=genres,
        )

    async def find_author(self, name: str) -> AuthorProfile | None:
        """The author of exactly this name among those Audnexus knows (its search only covers authors it has seen)."""
        if len(name.strip()) < 2:
            return None  # Audnexus refuses names under two characters
        hits = await self._get("/authors", {"name": name.strip(), "region": self.region})
        wanted = normalize_author(name)
        for hit in as_list(hits):
            if isinstance(hit, dict) and hit.get("asin") and normalize_author(str(hit.get("name", ""))) == wanted:
                profile = await self.author(str(hit["asin"]))
                return profile or AuthorProfile(source=SERVICE, source_id=str(hit["asin"]), name=str(hit["name"]))
        return None

    async def author_books(self, author: str, *, author_id: str | None = None) -> list[BookCandidate]:
        """Audnexus lists no author's books; the Audible catalog does, when one is configured."""
        if self.catalog is None:
            return []
        return await self.catalog.author_books(author, author_id=author_id)

    async def test_connection(self) -> ConnectionReport:
        try:
            body = await self._client.get_json("/health")
        except ServiceError as exc:
            return connection_report(SERVICE, exc)
        if isinstance(body, dict) and body.get("status") not in (None, "healthy"):
            return ConnectionReport(SERVICE, True, True, None, error=f"audnexus reports {body.get('status')}")
        return connection_report(SERVICE, None)


def build(
    base_url: str = DEFAULT_URL,
    *,
    region: str = "us",
    catalog: AudibleCatalogClient | None = None,
    budget: BudgetStore | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    **options: Any,
) -> AudnexusClient:
    """An Audnexus client; ``catalog`` lets title searches work on instances without ``/books/search``."""
    policy_options, client_options = split_options(options)
    # The public instance allows 100 requests a minute per address (@fastify/rate-limit's default).
    defaults: dict[str, Any] = {"timeout": 20.0, "min_interval": 0.6, "max_concurrency": 4}
    policy = ServicePolicy(name=SERVICE, base_url=base_url, **{**defaults, **policy_options})
    client = ServiceClient(policy, budget=budget, transport=transport, classify=classify, **client_options)
    return AudnexusClient(client, region, catalog=catalog)
