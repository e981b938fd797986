"""A faithful fake Google Books API v1 (volumes list and get, q operators, paging, keys, daily quota errors)."""

from __future__ import annotations

import threading
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shelfkeeper.testing.fakes.google_books_data import (
    Volume,
    daily_limit_403,
    google_error,
    key_invalid_400,
    parse_q,
    quota_exhausted_429,
)
from shelfkeeper.testing.faults import FaultInjector

PREFIX = "/books/v1"
MAX_RESULTS = 40
QUOTA_STYLES = ("auto", "429", "403")


class FakeGoogleBooks:
    """An in-memory Google Books; serve ``.app`` and use ``<url>/books/v1`` as the base URL.

    ``api_keys`` None accepts any key (and none); a set refuses other keys with 400 keyInvalid. ``daily_quota``
    counts volume requests; past it the answer is the 429 RESOURCE_EXHAUSTED body for keyed requests and the
    older 403 dailyLimitExceeded body for keyless ones (``quota_style`` "429"/"403" forces one).
    ``total_items_skew`` is added to totalItems, which Google only estimates.
    """

    def __init__(
        self,
        *,
        api_keys: set[str] | None = None,
        daily_quota: int | None = None,
        quota_style: str = "auto",
        total_items_skew: int = 0,
    ) -> None:
        if quota_style not in QUOTA_STYLES:
            raise ValueError(f"quota_style must be one of {QUOTA_STYLES}")
        self.volumes: dict[str, Volume] = {}
        self.api_keys = api_keys
        self.daily_quota = daily_quota
        self.quota_style = quota_style
        self.total_items_skew = total_items_skew
        self.queries_used = 0
        self.requests: list[tuple[str, str, list[tuple[str, str]]]] = []
        self._lock = threading.Lock()
        auth_body = JSONResponse(key_invalid_400()).body
        self.faults = FaultInjector(self._build_app(), auth_status=400, auth_body=bytes(auth_body))
        self.app = self.faults

    # ---- seeding -------------------------------------------------------------------------------------------

    def add_volume(self, title: str, authors: list[str] | tuple[str, ...] = (), **fields: Any) -> Volume:
        """Add a volume: ``isbn_13``, ``isbn_10``, ``published_date``, ``description``, ``categories``, ...; or a
        raw Google volume with ``volumeInfo`` through ``add_raw_volume``."""
        volume = Volume.build(title, authors, **fields)
        self.volumes[volume.id] = volume
        return volume

    def add_raw_volume(self, volume: dict[str, Any]) -> Volume:
        raw = Volume(id=volume["id"], info=dict(volume["volumeInfo"]))
        self.volumes[raw.id] = raw
        return raw

    def seed(self, data: dict[str, Any]) -> None:
        """Load {"api_keys": [...], "daily_quota": n, "quota_style", "total_items_skew", "volumes": [...]}; a volume
        is either Google's own {"id", "volumeInfo"} or the friendly fields of ``add_volume``."""
        if "api_keys" in data:
            self.api_keys = set(data["api_keys"]) if data["api_keys"] is not None else None
        self.daily_quota = data.get("daily_quota", self.daily_quota)
        self.quota_style = data.get("quota_style", self.quota_style)
        self.total_items_skew = data.get("total_items_skew", self.total_items_skew)
        for entry in data.get("volumes", []):
            if "volumeInfo" in entry:
                self.add_raw_volume(entry)
            else:
                fields = dict(entry)
                self.add_volume(fields.pop("title"), fields.pop("authors", ()), **fields)

    def state(self) -> dict[str, Any]:
        with self._lock:
            log = [{"method": m, "path": p, "query": q} for m, p, q in self.requests]
        return {"volumes": len(self.volumes), "queries_used": self.queries_used, "requests": log}

    # ---- app -----------------------------------------------------------------------------------------------

    def _build_app(self) -> Starlette:
        routes = [
            Route(f"{PREFIX}/volumes", self._list),
            Route(f"{PREFIX}/volumes/{{volume_id}}", self._get),
            Route("/__fake__/seed", self._seed_endpoint, methods=["POST"]),
            Route("/__fake__/state", self._state_endpoint),
        ]
        return Starlette(routes=routes)

    def _gate(self, request: Request) -> Response | None:
        """Log, check the key, count the query against the daily quota."""
        key = request.query_params.get("key")
        with self._lock:
            self.requests.append((request.method, request.url.path, list(request.query_params.multi_items())))
            if key is not None and self.api_keys is not None and key not in self.api_keys:
                return JSONResponse(key_invalid_400(), status_code=400)
            if self.daily_quota is not None and self.queries_used >= self.daily_quota:
                keyless = key is None
                if self.quota_style == "403" or (self.quota_style == "auto" and keyless):
                    return JSONResponse(daily_limit_403(), status_code=403)
                return JSONResponse(quota_exhausted_429(), status_code=429)
            self.queries_used += 1
        return None

    @staticmethod
    def _bad(message: str, reason: str = "invalid") -> Response:
        return JSONResponse(google_error(400, "INVALID_ARGUMENT", message, reason), status_code=400)

    async def _list(self, request: Request) -> Response:
        refused = self._gate(request)
        if refused:
            return refused
        params = request.query_params
        q = params.get("q", "").strip()
        if not q:
            return self._bad("Missing query.", "queryRequired")
        try:
            start = int(params.get("startIndex", "0"))
            size = int(params.get("maxResults", "10"))
        except ValueError:
            return self._bad("Invalid value for a paging parameter.")
        if not 0 <= size <= MAX_RESULTS or start < 0:
            return self._bad(f"Values must be within the range: [0, {MAX_RESULTS}]")
        found = self._search(q, params.get("langRestrict"), params.get("printType", "all"))
        if params.get("orderBy") == "newest":
            found.sort(key=lambda v: v.info.get("publishedDate", ""), reverse=True)
        body: dict[str, Any] = {"kind": "books#volumes", "totalItems": len(found) + self.total_items_skew}
        projection = params.get("projection", "full")
        page = [v.json(full_images=False, projection=projection) for v in found[start : start + size]]
        if page:  # Google leaves "items" out entirely when a page has no hits
            body["items"] = page
        return JSONResponse(body)

    def _search(self, q: str, lang: str | None, print_type: str) -> list[Volume]:
        parsed = parse_q(q)
        wanted_type = {"books": "BOOK", "magazines": "MAGAZINE"}.get(print_type.lower())
        return [
            volume
            for volume in self.volumes.values()
            if volume.matches(parsed)
            and (not lang or volume.info.get("language") == lang)
            and (wanted_type is None or volume.info.get("printType") == wanted_type)
        ]

    async def _get(self, request: Request) -> Response:
        refused = self._gate(request)
        if refused:
            return refused
        volume = self.volumes.get(request.path_params["volume_id"])
        if volume is None:
            body = google_error(404, None, "The volume ID could not be found.", "notFound")
            return JSONResponse(body, status_code=404)
        projection = request.query_params.get("projection", "full")
        return JSONResponse(volume.json(full_images=True, projection=projection))

    async def _seed_endpoint(self, request: Request) -> Response:
        self.seed(await request.json())
        return JSONResponse({"ok": True})

    async def _state_endpoint(self, request: Request) -> Response:
        return JSONResponse(self.state())


def create_fake(seed: dict[str, Any] | None = None) -> FakeGoogleBooks:
    """A fake Google Books, loaded with ``seed`` when given."""
    fake = FakeGoogleBooks()
    if seed:
        fake.seed(seed)
    return fake
