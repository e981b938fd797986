"""The fake Audiobookshelf's list queries: filter, sort and page items, series and authors as ABS does."""

from __future__ import annotations

import base64
import binascii
import random
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from shelfkeeper.testing.fakes.audiobookshelf_data import AbsData, ItemRecord, last_first, sequence_key
from shelfkeeper.testing.fakes.audiobookshelf_json import (
    RawJson,
    author_json,
    author_names,
    minified,
    minified_json,
    series_json,
)

ITEM_FILTER_GROUPS = (
    "genres",
    "tags",
    "series",
    "authors",
    "progress",
    "narrators",
    "publishers",
    "missing",
    "languages",
    "tracks",
    "ebooks",
)
_SIXTY_DAYS_MS = 60 * 24 * 3600 * 1000
_UNFINISHED_ONLY = ("finished", "in-progress", "audio-in-progress", "ebook-in-progress", "ebook-finished")


def number(raw: str | None) -> int:
    """ABS turns a non-numeric ``limit``/``page`` into 0."""
    return int(raw) if raw and raw.isdigit() else 0


def decode_filter(raw: str | None, groups: tuple[str, ...] = ITEM_FILTER_GROUPS) -> tuple[str | None, str | None]:
    """``<group>.<base64(value)>``, URL-decoded then base64-decoded; bare words (``issues``) have no value."""
    if not raw:
        return None, None
    group = next((g for g in groups if raw.startswith(g + ".")), None)
    if group is None:
        return raw, None
    try:
        return group, base64.b64decode(unquote(raw[len(group) + 1 :])).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return group, ""


def sequence_in(item: ItemRecord, series_id: str | None) -> str | None:
    return next((seq for sid, seq in item.series if sid == series_id), None)


def query_items(
    data: AbsData, library_id: str, params: Mapping[str, str], rng: random.Random
) -> tuple[list[dict[str, Any] | RawJson], int]:
    """``GET /api/libraries/{id}/items``: minified results of one page (rendered: ``render_json``), and the total
    before paging."""
    group, value = decode_filter(params.get("filter"))
    items = [i for i in data.items.values() if i.library_id == library_id and _matches(data, i, group, value)]
    sort = params.get("sort")
    if (sort == "sequence" and group != "series") or (sort == "progress" and group != "progress"):
        sort = "media.metadata.title"
    series_id = value if group == "series" and value != "no-series" else None
    if series_id:  # the secondary (or only) order when filtering by a series: its sequence
        items.sort(key=lambda i: sequence_key(sequence_in(i, series_id)))
    items = _sorted_items(data, items, sort, params.get("desc") == "1", series_id, rng)
    total = len(items)
    limit, page = number(params.get("limit")), number(params.get("page"))
    if limit:
        items = items[page * limit : page * limit + limit]
    if not (series_id and series_id in data.series):
        return [minified_json(data, item) for item in items], total
    results: list[dict[str, Any] | RawJson] = []
    for item in items:
        body = minified(data, item)
        # The one exception to "minified has no series array": the filtered series with its sequence.
        name = data.series[series_id]["name"]
        body["media"]["metadata"]["series"] = {"id": series_id, "name": name, "sequence": sequence_in(item, series_id)}
        results.append(body)
    return results, total


def _matches(data: AbsData, item: ItemRecord, group: str | None, value: str | None) -> bool:
    if group is None:
        return True
    checks: dict[str, Callable[[], bool]] = {
        "authors": lambda: value in item.author_ids,
        "series": lambda: not item.series if value == "no-series" else any(s == value for s, _ in item.series),
        "genres": lambda: value in item.genres,
        "tags": lambda: value in item.tags,
        "narrators": lambda: value in item.narrators,
        "publishers": lambda: item.publisher == value,
        "languages": lambda: item.language == value,
        "missing": lambda: _lacks(item, value or ""),
        "issues": lambda: item.is_missing or item.is_invalid,
        "abridged": lambda: item.abridged,
        "recent": lambda: item.added_at >= data.stamp() - _SIXTY_DAYS_MS,
        "progress": lambda: value not in _UNFINISHED_ONLY,  # nobody has listened to anything in the fake
        "tracks": lambda: {"none": 0, "multi": 2}.get(value or "", 1) == min(len(item.audio_files), 2),
    }
    check = checks.get(group)
    return check() if check else True


def _lacks(item: ItemRecord, field: str) -> bool:
    attrs = {
        "asin": item.asin,
        "isbn": item.isbn,
        "subtitle": item.subtitle,
        "publishedYear": item.published_year,
        "description": item.description,
        "publisher": item.publisher,
        "language": item.language,
        "cover": item.cover_path,
        "genres": item.genres,
        "tags": item.tags,
        "narrators": item.narrators,
        "authors": item.author_ids,
        "series": item.series,
    }
    return field in attrs and not attrs[field]


def _sorted_items(
    data: AbsData, items: list[ItemRecord], sort: str | None, desc: bool, series_id: str | None, rng: random.Random
) -> list[ItemRecord]:
    keys: dict[str, Callable[[ItemRecord], Any]] = {
        "media.metadata.title": lambda i: i.title.lower(),
        "media.metadata.authorName": lambda i: ", ".join(author_names(data, i)).lower(),
        "media.metadata.authorNameLF": lambda i: ", ".join(last_first(n) for n in author_names(data, i)).lower(),
        "media.metadata.publishedYear": lambda i: i.published_year,  # a string column: "999" sorts after "1999"
        "media.duration": lambda i: i.duration,
        "addedAt": lambda i: i.added_at,
        "size": lambda i: i.size,
        "birthtimeMs": lambda i: i.mtime_ms,
        "mtimeMs": lambda i: i.mtime_ms,
    }
    if sort == "random":
        shuffled = list(items)
        rng.shuffle(shuffled)
        return shuffled
    if sort == "sequence":
        ordered = sorted(items, key=lambda i: sequence_key(sequence_in(i, series_id)))
        return ordered[::-1] if desc else ordered
    key = keys.get(sort or "")
    if key is None:  # an unknown key (updatedAt among them) leaves the database's order
        return items
    return sorted(items, key=lambda i: (key(i) is not None, key(i)), reverse=desc)  # NULLs first, as SQLite


def query_series(data: AbsData, library_id: str, params: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]:
    """``GET /api/libraries/{id}/series``: series with their minified books ordered by sequence."""
    rows = [s for s in data.series.values() if s["libraryId"] == library_id]
    sort = params.get("sort")
    keys: dict[str, Callable[[dict[str, Any]], Any]] = {
        "name": lambda s: s["name"].lower(),
        "addedAt": lambda s: s["addedAt"],
        "numBooks": lambda s: len(data.books_of_series(s["id"])),
        "totalDuration": lambda s: sum(i.duration for i, _ in data.books_of_series(s["id"])),
        "lastBookAdded": lambda s: max((i.added_at for i, _ in data.books_of_series(s["id"])), default=0),
        "lastBookUpdated": lambda s: max((i.updated_at for i, _ in data.books_of_series(s["id"])), default=0),
    }
    if sort in keys:
        rows.sort(key=keys[sort], reverse=params.get("desc") == "1")
    total = len(rows)
    limit, page = number(params.get("limit")), number(params.get("page"))
    if limit:
        rows = rows[page * limit : page * limit + limit]
    results = [series_json(data, s) for s in rows]
    if sort != "totalDuration":  # ABS only reports it when it sorted by it
        for row in results:
            row.pop("totalDuration")
    return results, total


def query_authors(data: AbsData, library_id: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
    """``GET /api/libraries/{id}/authors`` rows, sorted; paging is the caller's (it changes the answer's shape)."""
    rows = [author_json(data, a) for a in data.authors.values() if a["libraryId"] == library_id]
    sort = params.get("sort")
    if sort in ("name", "lastFirst", "addedAt", "updatedAt", "numBooks"):
        rows.sort(key=lambda a: a[sort].lower() if isinstance(a[sort], str) else a[sort])
        if params.get("desc") == "1":
            rows.reverse()
    return rows
