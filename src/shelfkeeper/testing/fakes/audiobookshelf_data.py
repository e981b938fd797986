"""The fake Audiobookshelf's records and their JSON shapes (minified, old, expanded), as ABS 2.x renders them."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

AUDIO_EXTENSIONS = ("m4b", "mp3", "m4a", "flac", "opus", "ogg")
_SORTING_PREFIXES = ("the", "a")  # ABS's default server setting "sortingPrefixes"
_STRING_FIELDS = ("title", "subtitle", "publishedDate", "publisher", "isbn", "asin", "language")


def new_id() -> str:
    return str(uuid.uuid4())


def ignore_prefix(text: str) -> str:
    """ "The Hobbit" -> "Hobbit, The" (ABS's titleIgnorePrefix / nameIgnorePrefix)."""
    for prefix in _SORTING_PREFIXES:
        if text.lower().startswith(prefix + " "):
            return f"{text[len(prefix) + 1 :]}, {text[: len(prefix)]}"
    return text


def last_first(name: str) -> str:
    """ "Brandon Sanderson" -> "Sanderson, Brandon" (ABS's author lastFirst)."""
    parts = name.split()
    if len(parts) < 2:
        return name
    return f"{parts[-1]}, {' '.join(parts[:-1])}"


@dataclass
class AudioFileRecord:
    filename: str
    rel_path: str
    path: str
    size: int = 0
    duration: float = 0.0
    mtime_ms: int = 0


@dataclass
class ItemRecord:
    """One library item with its book media, stored in the shape of ABS's database rows."""

    id: str
    library_id: str
    folder_id: str
    path: str
    rel_path: str
    title: str
    added_at: int
    updated_at: int
    media_id: str = field(default_factory=new_id)
    ino: str = field(default_factory=lambda: str(uuid.uuid4().int % 10**9))
    subtitle: str | None = None
    author_ids: list[str] = field(default_factory=list)
    narrators: list[str] = field(default_factory=list)
    series: list[tuple[str, str | None]] = field(default_factory=list)  # (series id, sequence)
    genres: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    published_year: str | None = None
    published_date: str | None = None
    publisher: str | None = None
    description: str | None = None
    isbn: str | None = None
    asin: str | None = None
    language: str | None = None
    explicit: bool = False
    abridged: bool = False
    duration: float = 0.0
    size: int = 0
    cover_path: str | None = None
    audio_files: list[AudioFileRecord] = field(default_factory=list)
    mtime_ms: int = 0
    is_missing: bool = False
    is_invalid: bool = False
    is_file: bool = False
    # Fake-only: True when the item stands for a real folder, so a scan may find it gone.
    on_disk: bool = False
    # Fake-only: the item's minified listing JSON as last rendered, with the names revision it was rendered
    # under (audiobookshelf_json.minified_json); assigning any field drops it.
    rendered: tuple[int, str] | None = field(default=None, init=False, repr=False, compare=False)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name != "rendered":
            object.__setattr__(self, "rendered", None)


class AbsData:
    """Libraries, authors, series and items, with ABS's rendering rules. Thread-safe through ``lock``."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.libraries: dict[str, dict[str, Any]] = {}
        self.authors: dict[str, dict[str, Any]] = {}
        self.series: dict[str, dict[str, Any]] = {}
        self.items: dict[str, ItemRecord] = {}
        # Moves whenever an author or series name may read differently: what an item's rendered JSON keeps.
        self.names_revision = 0
        self._last_stamp = 0

    def stamp(self) -> int:
        """Now in epoch milliseconds, strictly increasing so every change shows in updatedAt."""
        now = int(self.clock() * 1000)
        self._last_stamp = max(now, self._last_stamp + 1)
        return self._last_stamp

    # ---- entities -------------------------------------------------------------------------------

    def add_library(self, name: str, folders: Iterable[str] = (), *, id: str | None = None) -> dict[str, Any]:
        with self.lock:
            lib_id = id or new_id()
            now = self.stamp()
            folder_rows = [
                {"id": new_id(), "fullPath": str(path), "libraryId": lib_id, "addedAt": now} for path in folders
            ]
            self.libraries[lib_id] = {
                "id": lib_id,
                "name": name,
                "folders": folder_rows,
                "displayOrder": len(self.libraries) + 1,
                "icon": "audiobookshelf",
                "mediaType": "book",
                "provider": "google",
                "settings": {
                    "coverAspectRatio": 1,
                    "disableWatcher": False,
                    "autoScanCronExpression": None,
                    "skipMatchingMediaWithAsin": False,
                    "skipMatchingMediaWithIsbn": False,
                    "audiobooksOnly": False,
                    "hideSingleBookSeries": False,
                    "onlyShowLaterBooksInContinueSeries": False,
                    "metadataPrecedence": ["folderStructure", "audioMetatags", "nfoFile", "txtFiles", "opfFile"],
                },
                "lastScan": None,
                "lastScanVersion": None,
                "createdAt": now,
                "lastUpdate": now,
            }
            return self.libraries[lib_id]

    def ensure_author(self, library_id: str, name: str) -> str:
        for author in self.authors.values():
            if author["libraryId"] == library_id and author["name"].lower() == name.lower():
                return str(author["id"])
        now = self.stamp()
        self.names_revision += 1
        author_id = new_id()
        self.authors[author_id] = {
            "id": author_id,
            "asin": None,
            "name": name,
            "description": None,
            "imagePath": None,
            "libraryId": library_id,
            "addedAt": now,
            "updatedAt": now,
        }
        return author_id

    def ensure_series(self, library_id: str, name: str) -> str:
        for series in self.series.values():
            if series["libraryId"] == library_id and series["name"].lower() == name.lower():
                return str(series["id"])
        now = self.stamp()
        self.names_revision += 1
        series_id = new_id()
        self.series[series_id] = {
            "id": series_id,
            "name": name,
            "nameIgnorePrefix": ignore_prefix(name),
            "description": None,
            "addedAt": now,
            "updatedAt": now,
            "libraryId": library_id,
        }
        return series_id

    def remove_orphans(self) -> None:
        """ABS deletes authors and series left without books after an update."""
        used_authors = {a for item in self.items.values() for a in item.author_ids}
        used_series = {s for item in self.items.values() for s, _ in item.series}
        self.authors = {k: v for k, v in self.authors.items() if k in used_authors}
        self.series = {k: v for k, v in self.series.items() if k in used_series}
        self.names_revision += 1

    def books_of_author(self, author_id: str) -> list[ItemRecord]:
        return [item for item in self.items.values() if author_id in item.author_ids]

    def books_of_series(self, series_id: str) -> list[tuple[ItemRecord, str | None]]:
        found = [(item, seq) for item in self.items.values() for sid, seq in item.series if sid == series_id]
        return sorted(found, key=lambda pair: sequence_key(pair[1]))

    def add_item(
        self,
        library_id: str,
        title: str,
        *,
        authors: Iterable[str] = (),
        series: Iterable[Any] = (),
        id: str | None = None,
        path: str | None = None,
        added_at: int | None = None,
        updated_at: int | None = None,
        **fields: Any,
    ) -> ItemRecord:
        """Seed one book; ``series`` holds ("Name", "3") pairs or {"name", "sequence"} dicts."""
        with self.lock:
            library = self.libraries[library_id]
            folder = library["folders"][0] if library["folders"] else {"id": "", "fullPath": "/audiobooks"}
            pairs = [(s["name"], s.get("sequence")) if isinstance(s, dict) else (s[0], s[1]) for s in series]
            rel = "/".join([*list(authors)[:1], *[n for n, _ in pairs[:1]], title])
            now = self.stamp()
            if isinstance(fields.get("published_year"), int):
                fields["published_year"] = str(fields["published_year"])
            item = ItemRecord(
                id=id or new_id(),
                library_id=library_id,
                folder_id=folder["id"],
                path=path or f"{folder['fullPath'].rstrip('/')}/{rel}",
                rel_path=rel,
                title=title,
                added_at=added_at if added_at is not None else now,
                updated_at=updated_at if updated_at is not None else (added_at if added_at is not None else now),
                author_ids=[self.ensure_author(library_id, name) for name in authors],
                series=[
                    (self.ensure_series(library_id, name), None if seq is None else str(seq)) for name, seq in pairs
                ],
                **fields,
            )
            self.items[item.id] = item
            return item

    def delete_item(self, item_id: str) -> bool:
        """``DELETE /api/items/{id}``: gone from every listing; returns whether the item existed."""
        with self.lock:
            if self.items.pop(item_id, None) is None:
                return False
            self.remove_orphans()
            return True

    def update_series(self, series_id: str, body: dict[str, Any]) -> bool:
        """``PATCH /api/series/{id}``: name and description; only the series' own updatedAt moves."""
        with self.lock:
            series = self.series[series_id]
            changed = False
            name = body.get("name")
            if isinstance(name, str) and name.strip() and name != series["name"]:
                series["name"], series["nameIgnorePrefix"] = name, ignore_prefix(name)
                self.names_revision += 1
                changed = True
            if "description" in body and body["description"] != series["description"]:
                series["description"] = body["description"]
                changed = True
            if changed:
                series["updatedAt"] = self.stamp()
            return changed

    # ---- PATCH /api/items/{id}/media -----------------------------------------------------------------

    def apply_media_patch(self, item: ItemRecord, body: dict[str, Any]) -> bool:
        """``Book.updateFromRequest``: returns whether anything changed (and then bumps updatedAt)."""
        metadata = body.get("metadata") or {}
        before = _snapshot(item)
        for key in _STRING_FIELDS:
            if key in metadata:
                attr = {"publishedDate": "published_date"}.get(key, key)
                setattr(item, attr, _as_text(metadata[key]))
        if "publishedYear" in metadata:
            item.published_year = _as_text(metadata["publishedYear"])
        if "description" in metadata:
            item.description = _sanitize_html(_as_text(metadata["description"]))
        for key in ("explicit", "abridged"):
            if key in metadata:
                setattr(item, key, bool(metadata[key]))
        for key in ("narrators", "genres"):
            if isinstance(metadata.get(key), list):
                setattr(item, key, [str(v) for v in metadata[key] if str(v).strip()])
        if isinstance(body.get("tags"), list):
            item.tags = [str(v) for v in body["tags"]]
        if isinstance(metadata.get("authors"), list):
            names = [a.get("name", "") for a in metadata["authors"] if isinstance(a, dict)]
            item.author_ids = [self.ensure_author(item.library_id, n.strip()) for n in names if n and n.strip()]
        if isinstance(metadata.get("series"), list):
            item.series = [
                (self.ensure_series(item.library_id, s["name"].strip()), _sequence(s.get("sequence")))
                for s in metadata["series"]
                if isinstance(s, dict) and isinstance(s.get("name"), str) and s["name"].strip()
            ]
        changed = _snapshot(item) != before
        if changed:
            item.updated_at = self.stamp()
            self.remove_orphans()
        return changed


def sequence_key(sequence: str | None) -> tuple[int, float, str]:
    """Numeric order of sequences, missing ones last (``CAST(sequence AS FLOAT) ASC NULLS LAST``)."""
    if sequence is None:
        return (1, 0.0, "")
    match = re.match(r"\s*(\d+(?:\.\d+)?)", sequence)
    return (0, float(match.group(1)) if match else 0.0, sequence)


def _as_text(value: Any) -> str | None:
    """String fields accept strings, null, or numbers (converted)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    return value if isinstance(value, str) else None


def _sequence(value: Any) -> str | None:
    """A series sequence must be a string; a number becomes null (the ABS quirk)."""
    return value if isinstance(value, str) and value.strip() else None


def _sanitize_html(text: str | None) -> str | None:
    if text is None:
        return None
    return re.sub(r"<\s*(script|style)[^>]*>.*?<\s*/\s*\1\s*>", "", text, flags=re.IGNORECASE | re.DOTALL)


def _snapshot(item: ItemRecord) -> tuple[Any, ...]:
    return tuple(
        (v if not isinstance(v, list) else tuple(v))
        for k, v in vars(item).items()
        if k not in ("updated_at", "rendered")
    )
