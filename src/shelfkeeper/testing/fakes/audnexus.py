"""A faithful fake Audnexus (api.audnex.us): books, chapters, authors, book search, both error envelopes, rate limit."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shelfkeeper.adapters.audible import ASIN, AUDIBLE_TLDS
from shelfkeeper.testing.fakes.audible_data import (
    AudibleCatalog,
    CatalogAuthor,
    CatalogBook,
)
from shelfkeeper.testing.faults import FaultInjector

Handler = Callable[[Request], Awaitable[Response]]
BAD_REGION = f"Invalid region. Valid regions are: {', '.join(AUDIBLE_TLDS)}"
_TAG = re.compile(r"<[^>]+>")


class AudnexusError(Exception):
    """What the Fastify error handler turns into a JSON error body."""

    def __init__(self, status: int, message: str, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.details = status, message, code, details


def _fastify_body(status: int, message: str) -> dict[str, Any]:
    return {"statusCode": status, "error": HTTPStatus(status).phrase, "message": message}


def _genres(book: CatalogBook) -> list[dict[str, str]]:
    # ApiHelper.getGenres/getTags: the first rung of each ladder is a genre, the rungs below it are tags.
    genres: dict[str, dict[str, str]] = {}
    tags: dict[str, dict[str, str]] = {}
    for ladder in book.category_ladders:
        rungs = ladder.get("ladder", [])
        for index, rung in enumerate(rungs):
            target = genres if index == 0 else tags
            target.setdefault(
                rung["name"], {"asin": rung["id"], "name": rung["name"], "type": "genre" if index == 0 else "tag"}
            )
    return [*genres.values(), *tags.values()]


def _series(book: CatalogBook) -> dict[str, Any]:
    # seriesPrimary is the series named like publication_name; seriesSecondary another one, only beside a primary.
    def api(entry: dict[str, str]) -> dict[str, str]:
        out = {"name": entry["title"]}
        if entry.get("asin"):
            out["asin"] = entry["asin"]
        if entry.get("sequence"):
            out["position"] = entry["sequence"]
        return out

    primary = next((s for s in book.series if s["title"] == book.publication_name), None)
    if primary is None:
        return {}
    others = [s for s in book.series if s["title"] != book.publication_name]
    return {"seriesPrimary": api(primary), **({"seriesSecondary": api(others[-1])} if others else {})}


def api_book(book: CatalogBook, region: str) -> dict[str, Any]:
    """The ApiBook JSON Audnexus returns: camelCase, unknown keys stripped, optional keys left out."""
    copyright_year = re.search(r"(?:©|\(c\)|copyright\b)\s*(\d{4})", book.copyright or "", re.IGNORECASE)
    release = book.release_date or book.issue_date
    image = book.image_url("1024")
    body: dict[str, Any] = {
        "asin": book.asin,
        "authors": [{"asin": p.get("asin"), "name": p["name"]} for p in book.authors],
        "copyright": int(copyright_year.group(1)) if copyright_year else None,
        "description": _TAG.sub("", book.merchandising_summary or "").strip(),
        "formatType": book.format_type,
        "genres": _genres(book) or None,
        "image": image.replace("._SL1024_", "") if image else None,
        "isAdult": book.is_adult_product,
        "isbn": book.isbn or "",  # ApiHelper: `isbn ?? ''` — an empty string, not an absent key
        "language": book.language,
        "narrators": [{k: v for k, v in p.items() if k in ("asin", "name")} for p in book.narrators],
        "publisherName": book.publisher_name,
        "rating": f"{book.rating:.1f}",
        "region": region,
        "releaseDate": f"{release}T00:00:00.000Z",
        "runtimeLengthMin": book.runtime_length_min or 0,
        "subtitle": book.subtitle,
        "summary": book.publisher_summary or "",
        "title": book.title,
        **_series(book),
    }
    body["authors"] = [{k: v for k, v in a.items() if v is not None} for a in body["authors"]]
    return dict(sorted((k, v) for k, v in body.items() if v is not None))


def api_author(author: CatalogAuthor, region: str) -> dict[str, Any]:
    body = {
        "asin": author.asin,
        "description": author.description,
        "genres": author.genres or None,
        "image": author.image,
        "name": author.name,
        "region": region,
        "similar": author.similar or None,
    }
    return {k: v for k, v in body.items() if v is not None}


def api_chapters(book: CatalogBook, region: str) -> dict[str, Any]:
    chapters, offset = [], 0
    for chapter in book.chapters or []:
        length = int(chapter["length_ms"])
        chapters.append(
            {"lengthMs": length, "startOffsetMs": offset, "startOffsetSec": offset // 1000, "title": chapter["title"]}
        )
        offset += length
    return {
        "asin": book.asin,
        "brandIntroDurationMs": 2043,
        "brandOutroDurationMs": 5061,
        "chapters": chapters,
        "isAccurate": True,
        "region": region,
        "runtimeLengthMs": offset,
        "runtimeLengthSec": round(offset / 1000),
    }


class FakeAudnexus:
    """An in-memory Audnexus over an ``AudibleCatalog``; serve ``.app``.

    ``error_style`` "envelope" gives the 2026-02+ ``{"error": {code, message, details}}`` body, "fastify" the older
    ``{statusCode, error, message}``; ``search_enabled`` False mimics deployments without ``/books/search``;
    ``max_requests`` per minute (per ``clock``) mimics @fastify/rate-limit.
    """

    def __init__(
        self,
        catalog: AudibleCatalog | None = None,
        *,
        error_style: str = "envelope",
        search_enabled: bool = True,
        max_requests: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.catalog = catalog or AudibleCatalog()
        self.error_style = error_style
        self.search_enabled = search_enabled
        self.max_requests = max_requests
        self.clock = clock
        self.requests: list[tuple[str, str, list[tuple[str, str]]]] = []
        self._window: tuple[float, int] = (0.0, 0)
        self._lock = threading.Lock()
        # Audnexus has no credentials; a client blocked in front of it (Cloudflare) gets a 403.
        self.faults = FaultInjector(self._build_app(), auth_status=403, auth_body=b"error code: 1020")
        self.app = self.faults

    # ---- seeding -------------------------------------------------------------------------------------------

    def add_book(self, asin: str, title: str, **fields: Any) -> CatalogBook:
        return self.catalog.add_book(asin, title, **fields)

    def add_author(self, asin: str, name: str, **fields: Any) -> CatalogAuthor:
        return self.catalog.add_author(asin, name, **fields)

    def seed(self, data: dict[str, Any]) -> None:
        """Load {"error_style", "search_enabled", "max_requests", "books": [...], "authors": [...]}."""
        self.error_style = data.get("error_style", self.error_style)
        self.search_enabled = data.get("search_enabled", self.search_enabled)
        self.max_requests = data.get("max_requests", self.max_requests)
        self.catalog.seed(data)
        self.faults.app = self._build_app()

    def state(self) -> dict[str, Any]:
        with self._lock:
            log = [{"method": m, "path": p, "query": q} for m, p, q in self.requests]
        return {"books": len(self.catalog.books), "authors": len(self.catalog.authors), "requests": log}

    # ---- app -----------------------------------------------------------------------------------------------

    def _build_app(self) -> Starlette:
        routes = [
            Route("/__fake__/seed", self._seed_endpoint, methods=["POST"]),
            Route("/__fake__/state", self._state_endpoint),
            Route("/health", self._wrap(self._health)),
        ]
        if self.search_enabled:  # without it, /books/search falls to /books/:asin and fails as "Bad ASIN"
            routes.append(Route("/books/search", self._wrap(self._book_search)))
        routes += [
            Route("/books/{asin}", self._wrap(self._book)),
            Route("/books/{asin}/chapters", self._wrap(self._chapters)),
            Route("/authors", self._wrap(self._author_search)),
            Route("/authors/{asin}", self._wrap(self._author)),
            Route("/{path:path}", self._wrap(self._no_route), methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        ]
        return Starlette(routes=routes)

    def _wrap(self, handler: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            with self._lock:
                self.requests.append((request.method, request.url.path, list(request.query_params.multi_items())))
            limited = self._rate_limited()
            if limited:
                return limited
            try:
                return await handler(request)
            except AudnexusError as error:
                return self._error(error)

        return wrapped

    def _rate_limited(self) -> Response | None:
        if self.max_requests is None:
            return None
        now = self.clock()
        with self._lock:
            start, count = self._window
            if now - start >= 60:
                start, count = now, 0
            count += 1
            self._window = (start, count)
        if count <= self.max_requests:
            return None
        reset = max(1, int(60 - (now - start)))
        headers = {
            "x-ratelimit-limit": str(self.max_requests),
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": str(reset),
            "retry-after": str(reset),
        }
        if self.error_style == "fastify":
            body = _fastify_body(429, "Rate limit exceeded, retry in 1 minute")
        else:
            body = {
                "error": {
                    "code": "RATE_LIMIT_EXCEEDED",
                    "message": "Rate limit reached. Please try again later.",
                    "details": None,
                }
            }
        return JSONResponse(body, status_code=429, headers=headers)

    def _error(self, error: AudnexusError) -> Response:
        if self.error_style == "fastify" or error.code is None:
            return JSONResponse(_fastify_body(error.status, error.message), status_code=error.status)
        body = {"error": {"code": error.code, "message": error.message, "details": error.details}}
        return JSONResponse(body, status_code=error.status)

    # ---- validation (RouteCommonHelper) ---------------------------------------------------------------------

    @staticmethod
    def _region(request: Request, asin: str | None = None) -> str:
        if asin is not None and not ASIN.match(asin.strip()):
            raise AudnexusError(400, "Bad ASIN", "BAD_REQUEST")
        query = request.query_params
        region = query.get("region", "us")
        if region not in AUDIBLE_TLDS:
            raise AudnexusError(400, BAD_REGION, "BAD_REQUEST")
        for flag in ("update", "seedAuthors"):
            if flag in query and query[flag] not in ("0", "1"):
                raise AudnexusError(400, f"Bad query: {flag}", "BAD_REQUEST")
        if "name" in query and len(query["name"]) < 2:
            raise AudnexusError(400, "Invalid search parameters", "BAD_REQUEST")
        return region

    def _available_book(self, asin: str, region: str) -> CatalogBook:
        book = self.catalog.books.get(asin.strip())
        if book is not None and region in book.regions and book.product_state != "AVAILABLE":
            message = f"Item is '{book.product_state}' in region '{region}' for ASIN: {asin}"
            raise AudnexusError(
                404,
                message,
                "PRODUCT_DELISTED",
                {"asin": asin, "code": "PRODUCT_DELISTED", "productState": book.product_state},
            )
        if book is None or not book.available_in(region):
            # Audible answers a bare product for unknown and foreign ASINs alike: both read as "not in region".
            message = f"Item not available in region '{region}' for ASIN: {asin}"
            raise AudnexusError(404, message, "REGION_UNAVAILABLE", {"asin": asin, "code": "REGION_UNAVAILABLE"})
        if not book.is_book():
            kind = "podcast" if book.content_delivery_type == "PodcastParent" else str(book.content_delivery_type)
            details = {"asin": asin, "requestedType": "book", "actualType": book.content_delivery_type}
            raise AudnexusError(400, f"Item is a {kind}, not a book. ASIN: {asin}", "CONTENT_TYPE_MISMATCH", details)
        return book

    # ---- routes --------------------------------------------------------------------------------------------

    async def _health(self, request: Request) -> Response:
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        checks = {"server": True, "database": True, "redis": None}
        return JSONResponse({"status": "healthy", "timestamp": stamp, "checks": checks})

    async def _book(self, request: Request) -> Response:
        asin = request.path_params["asin"]
        region = self._region(request, asin)
        return JSONResponse(api_book(self._available_book(asin, region), region))

    async def _chapters(self, request: Request) -> Response:
        asin = request.path_params["asin"]
        region = self._region(request, asin)
        book = self._available_book(asin, region)
        if not book.chapters:
            # The route sets 404 and throws a plain Error: Fastify's own body, whatever the envelope version.
            raise AudnexusError(404, f"{asin} has no chapters")
        return JSONResponse(api_chapters(book, region))

    async def _author(self, request: Request) -> Response:
        asin = request.path_params["asin"]
        region = self._region(request, asin)
        author = self.catalog.authors.get(asin.strip())
        if author is None or region not in author.regions:
            message = f"Item not available in region '{region}' for ASIN: {asin}"
            raise AudnexusError(404, message, "REGION_UNAVAILABLE", {"asin": asin, "code": "REGION_UNAVAILABLE"})
        return JSONResponse(api_author(author, region))

    async def _author_search(self, request: Request) -> Response:
        self._region(request)
        name = request.query_params.get("name")
        if not name:
            # findByName throws a plain Error when the name is missing: a 500, not a 400.
            raise AudnexusError(500, "Invalid search parameters")
        # Searches the authors already in Audnexus's database, whatever the region.
        return JSONResponse([{"asin": a.asin, "name": a.name} for a in self.catalog.authors_named(name)])

    async def _book_search(self, request: Request) -> Response:
        q = request.query_params.get("q", "").strip()
        region = request.query_params.get("region", "us")
        if not q:
            return JSONResponse({"error": "Bad Request", "message": "q is required"}, status_code=400)
        if region not in AUDIBLE_TLDS:
            return JSONResponse({"error": "Bad Request", "message": f"Unknown region: {region}"}, status_code=400)
        found = [b for b in self.catalog.search(region, keywords=q) if b.is_book()][:10]
        return JSONResponse([api_book(book, region) for book in found])

    async def _no_route(self, request: Request) -> Response:
        message = f"Route {request.method}:{request.url.path} not found"
        return JSONResponse({"message": message, "error": "Not Found", "statusCode": 404}, status_code=404)

    async def _seed_endpoint(self, request: Request) -> Response:
        self.seed(await request.json())
        return JSONResponse({"ok": True})

    async def _state_endpoint(self, request: Request) -> Response:
        return JSONResponse(self.state())


def create_fake(seed: dict[str, Any] | None = None) -> FakeAudnexus:
    """A fake Audnexus, loaded with ``seed`` when given (books and authors in the Audible catalog shape)."""
    fake = FakeAudnexus()
    if seed:
        fake.seed(seed)
    return fake
