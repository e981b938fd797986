"""Audiobookshelf REST client: libraries, minified and expanded items, metadata write-back, scans."""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from shelfkeeper import __version__
from shelfkeeper.adapters.audiobookshelf_items import (
    SERVICE,
    as_int,
    clearing_patch,
    expect_list,
    expect_object,
    media_patch,
    parse_item,
    parse_minified_item,
    parse_ms,
    parse_series_row,
)
from shelfkeeper.adapters.http import BudgetStore, ServiceClient, ServicePolicy
from shelfkeeper.adapters.http_failures import answered_not_found
from shelfkeeper.adapters.redaction import redact_text
from shelfkeeper.domain.library.items import (
    Library,
    LibraryAccount,
    LibraryItem,
    LibraryPage,
    MetadataUpdate,
    SeriesPage,
)
from shelfkeeper.errors import ServiceAuthFailed, ServiceBadResponse, ServiceError, ServiceNotConfigured
from shelfkeeper.ports import ConnectionReport, CoverImage

_PAGE_SIZE = 500
COVER_WIDTH = 400  # Audiobookshelf resizes the cover to this width: a list shows it small


@dataclass(frozen=True)
class AbsSeries:
    """A series of a library with its books (minified items, ordered by sequence)."""

    id: str
    name: str
    library_id: str
    items: tuple[LibraryItem, ...] = ()
    description: str | None = None
    added_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class AbsAuthor:
    """An author of a library as Audiobookshelf keeps it (``asin`` when matched against Audible)."""

    id: str
    name: str
    library_id: str
    asin: str | None = None
    num_books: int = 0
    description: str | None = None
    added_at: datetime | None = None
    updated_at: datetime | None = None


class AudiobookshelfClient:
    """``ports.LibraryServer`` over Audiobookshelf 2.x; every failure is a ``ServiceError``."""

    name = SERVICE

    def __init__(self, http: ServiceClient, *, configured: bool = True) -> None:
        self.http = http
        self.configured = configured

    # ---- ports.LibraryServer -------------------------------------------------------------------------

    async def test_connection(self) -> ConnectionReport:
        """``/status`` (public) for the version, then ``/api/me`` to prove the token; never raises."""
        if not self.configured:
            error = ServiceNotConfigured(SERVICE, "set ABS_URL and ABS_TOKEN")
            return ConnectionReport(SERVICE, False, False, None, error=error.message, error_code=error.code)
        try:
            status = await self.http.get_json("/status", retry=False)
        except ServiceError as exc:
            return _report(reachable=isinstance(exc, ServiceBadResponse), auth_ok=None, error=exc)
        version = status.get("serverVersion") if isinstance(status, dict) else None
        try:
            await self.http.get_json("/api/me", retry=False)
        except ServiceAuthFailed as exc:
            return _report(reachable=True, auth_ok=False, version=version, error=exc)
        except ServiceError as exc:
            return _report(reachable=isinstance(exc, ServiceBadResponse), auth_ok=None, version=version, error=exc)
        return _report(reachable=True, auth_ok=True, version=version)

    async def account(self) -> LibraryAccount:
        """``/api/me``: who the token belongs to and what it may do (scans need an administrator)."""
        me = expect_object(await self.http.get_json("/api/me", retry=False), "user")
        found = me.get("permissions")
        permissions: dict[str, Any] = found if isinstance(found, dict) else {}
        user_type = str(me.get("type") or "user")
        admin = user_type in ("root", "admin")
        return LibraryAccount(
            username=str(me.get("username") or ""),
            user_type=user_type,
            can_update=admin or bool(permissions.get("update")),
            can_scan=admin,
        )

    async def libraries(self) -> list[Library]:
        payload = expect_object(await self.http.get_json("/api/libraries"), "libraries")
        return [
            Library(
                id=str(row["id"]),
                name=str(row.get("name") or ""),
                media_type=str(row.get("mediaType") or "book"),
                folders=tuple(str(f.get("fullPath")) for f in row.get("folders") or [] if isinstance(f, dict)),
            )
            for row in expect_list(payload.get("libraries"), "libraries")
        ]

    async def items_page(
        self, library_id: str, page: int, limit: int, *, updated_since: datetime | None = None
    ) -> LibraryPage:
        """One page of a library's items, oldest first (minified: see ``parse_minified_item``).

        Audiobookshelf cannot sort or filter by ``updatedAt`` (an unknown sort key leaves the order
        undefined), so ``updated_since`` keeps only the page's items changed since then: ``total`` stays the
        library's total, and a caller pages on until ``page * limit >= total``, not until a short page.
        """
        params = {"limit": limit, "page": page, "sort": "addedAt", "minified": 1}
        payload = expect_object(await self.http.get_json(f"/api/libraries/{library_id}/items", params=params), "items")
        items: list[LibraryItem] = []
        older: list[tuple[str, datetime]] = []
        for row in expect_list(payload.get("results"), "results"):
            # An item older than ``updated_since`` is only an id and a time: the rest of it is not parsed.
            updated = parse_ms(row.get("updatedAt")) if updated_since and isinstance(row, dict) else None
            if updated is not None and updated_since is not None and updated < updated_since and "id" in row:
                older.append((str(row["id"]), updated))
            else:
                items.append(parse_minified_item(row))
        total = as_int(payload.get("total"))
        return LibraryPage(items=tuple(items), total=total, page=page, limit=limit, older=tuple(older))

    async def item(self, item_id: str) -> LibraryItem:
        """One item, expanded: authors, narrators and series with sequences, duration and size."""
        payload = await self.http.get_json(f"/api/items/{item_id}", params={"expanded": 1})
        return parse_item(expect_object(payload, "item"))

    async def series_page(self, library_id: str, page: int, limit: int) -> SeriesPage:
        """One page of the library's series (oldest first), each with its books' ids and sequences."""
        params = {"limit": limit, "page": page, "sort": "addedAt"}
        payload = await self.http.get_json(f"/api/libraries/{library_id}/series", params=params)
        payload = expect_object(payload, "series")
        series = tuple(parse_series_row(row) for row in expect_list(payload.get("results"), "results"))
        return SeriesPage(series=series, total=as_int(payload.get("total")), page=page, limit=limit)

    async def items_batch(self, item_ids: Sequence[str]) -> list[LibraryItem]:
        """Several items expanded in one request (``POST /api/items/batch/get``); unknown ids are left out."""
        if not item_ids:
            return []
        body = {"libraryItemIds": list(item_ids)}
        payload = expect_object(await self.http.get_json("/api/items/batch/get", method="POST", json=body), "batch")
        return [parse_item(expect_object(row, "item")) for row in expect_list(payload.get("libraryItems"), "batch")]

    async def update_metadata(self, item_id: str, update: MetadataUpdate) -> LibraryItem:
        """PATCH the item's media; the answer is the item without duration and size (ABS's ``toOldJSON``)."""
        payload = await self.http.get_json(f"/api/items/{item_id}/media", method="PATCH", json=media_patch(update))
        payload = expect_object(payload, "media update")
        return parse_item(expect_object(payload.get("libraryItem"), "libraryItem"))

    async def clear_metadata(self, item_id: str, fields: Collection[str]) -> None:
        """Empty the fields: the PATCH body's null or [] itself (same auth, retries and redaction)."""
        await self.http.get_json(f"/api/items/{item_id}/media", method="PATCH", json=clearing_patch(fields))

    async def scan_library(self, library_id: str) -> None:
        """Ask for a scan; Audiobookshelf answers 200 at once and scans in the background (admin only)."""
        await self.http.request("POST", f"/api/libraries/{library_id}/scan")

    # ---- beyond the port -----------------------------------------------------------------------------

    async def cover(self, item_id: str) -> CoverImage | None:
        """``GET /api/items/{id}/cover?width=`` (token needed); a 404 means the item has no cover."""
        try:
            response = await self.http.request("GET", f"/api/items/{item_id}/cover", params={"width": COVER_WIDTH})
        except ServiceError as exc:
            if answered_not_found(exc):
                return None
            raise
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if not media_type.startswith("image/"):
            raise ServiceBadResponse(SERVICE, f"the cover of {item_id} is {media_type or 'untyped'}, not an image")
        return CoverImage(content=response.content, media_type=media_type)

    async def all_items(
        self, library_id: str, *, updated_since: datetime | None = None, page_size: int = _PAGE_SIZE
    ) -> list[LibraryItem]:
        """Every item of a library (those changed since ``updated_since`` when given), page by page."""
        found: list[LibraryItem] = []
        page = 0
        while True:
            batch = await self.items_page(library_id, page, page_size, updated_since=updated_since)
            found.extend(batch.items)
            page += 1
            if page * page_size >= batch.total or not batch.total:
                return found

    async def items_in_series(self, library_id: str, series_id: str) -> list[LibraryItem]:
        """A series' items ordered by sequence; the series filter is the one listing that gives sequences."""
        value = base64.b64encode(series_id.encode()).decode()
        found: list[LibraryItem] = []
        page = 0
        while True:
            params = {"filter": f"series.{value}", "sort": "sequence", "limit": _PAGE_SIZE, "page": page}
            payload = await self.http.get_json(f"/api/libraries/{library_id}/items", params=params)
            payload = expect_object(payload, "items")
            found.extend(parse_minified_item(row) for row in expect_list(payload.get("results"), "results"))
            page += 1
            if page * _PAGE_SIZE >= as_int(payload.get("total")):
                return found

    async def series_list(self, library_id: str) -> list[AbsSeries]:
        """Every series of a library, with its books."""
        rows = await self._paged(f"/api/libraries/{library_id}/series", {"sort": "name"})
        return [
            AbsSeries(
                id=str(row["id"]),
                name=str(row.get("name") or ""),
                library_id=str(row.get("libraryId") or library_id),
                items=tuple(parse_minified_item(book) for book in row.get("books") or [] if isinstance(book, dict)),
                description=row.get("description"),
                added_at=parse_ms(row.get("addedAt")),
                updated_at=parse_ms(row.get("updatedAt")),
            )
            for row in rows
        ]

    async def authors_list(self, library_id: str) -> list[AbsAuthor]:
        """Every author of a library."""
        rows = await self._paged(f"/api/libraries/{library_id}/authors", {"sort": "name"})
        return [
            AbsAuthor(
                id=str(row["id"]),
                name=str(row.get("name") or ""),
                library_id=str(row.get("libraryId") or library_id),
                asin=row.get("asin") or None,
                num_books=as_int(row.get("numBooks")),
                description=row.get("description"),
                added_at=parse_ms(row.get("addedAt")),
                updated_at=parse_ms(row.get("updatedAt")),
            )
            for row in rows
        ]

    async def _paged(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 0
        while True:
            payload = expect_object(await self.http.get_json(path, params={**params, "limit": 100, "page": page}), path)
            if "results" not in payload and isinstance(payload.get("authors"), list):
                return [r for r in payload["authors"] if isinstance(r, dict)]  # an older server ignored paging
            rows.extend(r for r in expect_list(payload.get("results"), "results") if isinstance(r, dict))
            page += 1
            if page * 100 >= as_int(payload.get("total")):
                return rows


def _report(
    *, reachable: bool, auth_ok: bool | None, version: str | None = None, error: ServiceError | None = None
) -> ConnectionReport:
    return ConnectionReport(
        service=SERVICE,
        configured=True,
        reachable=reachable,
        auth_ok=auth_ok,
        version=version,
        error=error.message if error else None,
        error_code=error.code if error else None,
    )


def classify(response: httpx.Response) -> ServiceError | None:
    """A 403 means the token's user lacks a permission (scans need admin, edits need canUpdate)."""
    if response.status_code == 403:
        return ServiceAuthFailed(
            SERVICE,
            "the token's user may not do this (scans need an admin; edits need update)",
            details={"status": 403, "body": redact_text(response.text[:200])},
        )
    return None


def build(
    base_url: str,
    token: str,
    *,
    budget: BudgetStore | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    rng: random.Random | None = None,
    **policy: Any,
) -> AudiobookshelfClient:
    """A client for ``base_url`` (with or without ``/audiobookshelf``) and an API key or user token."""
    settings: Mapping[str, Any] = {"timeout": 30.0, "max_concurrency": 4, **policy}
    service_policy = ServicePolicy(name=SERVICE, base_url=base_url, secrets=(token,), **settings)
    extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
    http = ServiceClient(
        service_policy,
        budget=budget,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "User-Agent": f"Shelfkeeper/{__version__}",
        },
        transport=transport,
        clock=clock,
        rng=rng,
        classify=classify,
        **extra,
    )
    return AudiobookshelfClient(http, configured=bool(base_url.strip() and token.strip()))
