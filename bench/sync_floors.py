"""The floors of the sync benchmark: the same requests to the same fake, done the simplest way.

A floor reads exactly the pages the sync reads (the series listing, then the item listing), sequentially,
parses them with the standard JSON decoder, and then either inserts one row per item with a Core
``executemany`` (the full sync's floor) or compares each item's ``updatedAt`` with what the database holds
(the unchanged syncs' floor). No normalising, no people, no series rows: what no sync can do without.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import Engine, insert, select

from shelfkeeper.automation.library_sync import DEFAULT_PAGE_SIZE, SERIES_PAGE_SIZE
from shelfkeeper.db.tables import Book

TIMEOUT = 60.0


def _pages(http: httpx.Client, path: str, limit: int, params: dict[str, Any]) -> Any:
    page = 0
    while True:
        payload = http.get(path, params={"limit": limit, "page": page, **params}).json()
        yield payload["results"]
        page += 1
        if not payload["results"] or page * limit >= payload["total"]:
            return


def _client(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)


def _series(http: httpx.Client, library_id: str) -> int:
    listed = 0
    for rows in _pages(http, f"/api/libraries/{library_id}/series", SERIES_PAGE_SIZE, {"sort": "addedAt"}):
        listed += sum(len(row["books"]) for row in rows)
    return listed


def _ms(value: Any) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, tz=UTC)


def full_floor(engine: Engine, url: str, token: str, library_id: str) -> float:
    """Seconds to read every page and insert each item as one row, one transaction per page."""
    started = time.perf_counter()
    with _client(url, token) as http:
        _series(http, library_id)
        params = {"sort": "addedAt", "minified": 1}
        for results in _pages(http, f"/api/libraries/{library_id}/items", DEFAULT_PAGE_SIZE, params):
            rows = []
            for item in results:
                metadata = item["media"]["metadata"]
                title = metadata.get("title") or ""
                rows.append(
                    {
                        "abs_id": item["id"],
                        "library_id": item["libraryId"],
                        "title": title,
                        "title_sort": title.lower(),
                        "path": item.get("path"),
                        "abs_updated_at": _ms(item.get("updatedAt")),
                    }
                )
            with engine.begin() as connection:
                connection.execute(insert(Book.__table__), rows)
    return time.perf_counter() - started


def unchanged_floor(engine: Engine, url: str, token: str, library_id: str) -> float:
    """Seconds to read every page and find that no item's ``updatedAt`` moved."""
    started = time.perf_counter()
    with engine.connect() as connection:
        stored = dict(connection.execute(select(Book.abs_id, Book.abs_updated_at)).all())
    changed = 0
    with _client(url, token) as http:
        _series(http, library_id)
        params = {"sort": "addedAt", "minified": 1}
        for results in _pages(http, f"/api/libraries/{library_id}/items", DEFAULT_PAGE_SIZE, params):
            changed += sum(1 for item in results if stored.get(item["id"]) != _ms(item.get("updatedAt")))
    if changed:
        raise RuntimeError(f"the unchanged floor found {changed} changed items")
    return time.perf_counter() - started
