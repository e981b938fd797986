"""Audiobookshelf's item JSON read into domain records, and metadata updates written as its PATCH body."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from shelfkeeper.domain.library.items import LibraryItem, LibrarySeries, MetadataUpdate, SeriesRef
from shelfkeeper.domain.names import split_names
from shelfkeeper.errors import ServiceBadResponse

SERVICE = "audiobookshelf"
_SERIES_WITH_SEQUENCE = re.compile(r"^(?P<name>.+?) #(?P<sequence>\S+)$")


@lru_cache(maxsize=2048)
def joined_names(joined: str) -> tuple[str, ...]:
    """A list item's joined names split (``split_names``): a library names the same people on many items."""
    return tuple(split_names(joined))


@lru_cache(maxsize=2048)
def listed_authors(joined: str, joined_last_first: str) -> tuple[str, ...] | None:
    """A list item's authors from its ``authorName`` ("Ursula K. Le Guin, Someone Else") and ``authorNameLF``
    ("Le Guin, Ursula K., Else, Someone"); None when the two cannot tell the names apart exactly.

    Both are joined with ", ", so a name holding ", " ("Le Guin, Ursula K." as Audiobookshelf has it) cannot
    be told from two names by either alone. The split at every ", " is taken when each of its names has
    several words and appears in the last-first string as exactly two parts (last, first) of the same words;
    anything else (a one-word name, a name written last-first, a suffix) is left to an expanded read.
    """
    if ", " not in joined:
        return (joined.strip(),) if joined.strip() else ()
    names = joined.split(", ")
    parts = joined_last_first.split(", ")
    if len(parts) != 2 * len(names):
        return None
    for at, name in enumerate(names):
        words = name.split()
        last, first = parts[2 * at], parts[2 * at + 1]
        if len(words) < 2 or sorted(words) != sorted(f"{first} {last}".split()):
            return None
    return tuple(name.strip() for name in names)


def parse_ms(value: Any) -> datetime | None:
    """Audiobookshelf times are epoch milliseconds; an aware UTC datetime (None when absent or bad)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(float(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def parse_series_name(joined: str | None) -> tuple[SeriesRef, ...]:
    """The minified ``seriesName`` "Mistborn #1, Cosmere #3" back into series refs (names with ", " split too)."""
    refs = []
    for part in (joined or "").split(", "):
        part = part.strip()
        if not part:
            continue
        match = _SERIES_WITH_SEQUENCE.match(part)
        refs.append(SeriesRef(match["name"], match["sequence"]) if match else SeriesRef(part))
    return tuple(refs)


def sequence_in_joined(joined: str | None, name: str) -> tuple[bool, str | None]:
    """The sequence of the series ``name`` in a joined ``seriesName`` ("Earthsea Cycle, The #1, Other #2").

    The name is known exactly (from the series listing), so a name holding ", " is found whole; returns
    (found, sequence), the sequence None when the part has no "#".
    """
    text = joined or ""
    if text.startswith(name):
        # The common case, the item in this one series only: "Name" or "Name #3". The search below finds the
        # same (its first candidate is this one) at the cost of a slice and a split.
        rest = text[len(name) :]
        if not rest:
            return True, None
        if rest.startswith(" #") and ", " not in rest:
            sequence = rest[2:].strip()
            if sequence:
                return True, sequence
    start = 0
    while (at := text.find(name, start)) >= 0:
        start = at + 1
        if at and not text.startswith(", ", at - 2):
            continue
        rest = text[at + len(name) :]
        if not rest or rest.startswith(", "):
            return True, None
        if rest.startswith(" #"):
            sequence = rest[2:].split(", ", 1)[0].strip()
            if sequence:
                return True, sequence
    return False, None


def parse_series_row(row: dict[str, Any]) -> LibrarySeries:
    """A row of ``/api/libraries/{id}/series``: its id, name and books, each book's sequence read from its
    ``seriesName`` (books without the series there are left out: a listing read while the item changed)."""
    if not isinstance(row, dict) or "id" not in row:
        raise ServiceBadResponse(SERVICE, "a series without an id", details={"body": str(row)[:200]})
    name = str(row.get("name") or "")
    members: list[tuple[str, str | None]] = []
    for book in row.get("books") or []:
        if not isinstance(book, dict) or "id" not in book:
            continue
        metadata = (book.get("media") or {}).get("metadata") or {}
        found, sequence = sequence_in_joined(metadata.get("seriesName"), name)
        if found:
            members.append((str(book["id"]), sequence))
    return LibrarySeries(id=str(row["id"]), name=name, members=tuple(members))


def parse_minified_item(row: dict[str, Any]) -> LibraryItem:
    """A list item: authors, narrators and series only as joined strings, so ``minified=True``; authors
    the joined strings cannot split exactly are a guess, marked ``authors_exact=False``.

    With a series filter, ``metadata.series`` is one ``{id, name, sequence}`` object: it replaces the
    series of that name parsed from ``seriesName`` and adds the id.
    """
    if not isinstance(row, dict) or "id" not in row:
        raise ServiceBadResponse(SERVICE, "a library item without an id", details={"body": str(row)[:200]})
    media = row.get("media") or {}
    metadata = media.get("metadata") or {}
    series = parse_series_name(metadata.get("seriesName"))
    filtered = metadata.get("series")
    if isinstance(filtered, dict) and filtered.get("name"):
        exact = SeriesRef(str(filtered["name"]), _text(filtered.get("sequence")), _text(filtered.get("id")))
        series = (exact, *(s for s in series if s.name != exact.name))
    joined = str(metadata.get("authorName") or "")
    authors = listed_authors(joined, str(metadata.get("authorNameLF") or ""))
    item = _item(
        row,
        metadata,
        minified=True,
        authors=joined_names(joined) if authors is None else authors,
        narrators=joined_names(str(metadata.get("narratorName") or "")),
        series=series,
    )
    return item if authors is not None else replace(item, authors_exact=False)


def parse_item(row: dict[str, Any]) -> LibraryItem:
    """A single item (``toOldJSON``, expanded or not): authors, narrators and series as arrays."""
    if "id" not in row:
        raise ServiceBadResponse(SERVICE, "a library item without an id", details={"body": str(row)[:200]})
    metadata = (row.get("media") or {}).get("metadata") or {}
    authors = tuple(str(a["name"]) for a in metadata.get("authors") or [] if isinstance(a, dict) and a.get("name"))
    series = tuple(
        SeriesRef(str(s["name"]), _text(s.get("sequence")), _text(s.get("id")))
        for s in metadata.get("series") or []
        if isinstance(s, dict) and s.get("name")
    )
    narrators = tuple(str(n) for n in metadata.get("narrators") or [] if n)
    item = _item(row, metadata, minified=False, authors=authors, narrators=narrators, series=series)
    return replace(item, audio_format=file_format(row.get("media") or {}))


def file_format(media: dict[str, Any]) -> str:
    """The first included audio file's extension ("m4b"); an e-book-only item's e-book format; "" for neither."""
    files = [f for f in media.get("audioFiles") or [] if isinstance(f, dict) and not f.get("exclude")]
    files.sort(key=lambda f: as_int(f.get("index")))
    for audio in files:
        info = audio.get("metadata") or {}
        ext = str(info.get("ext") or "") or ("." + str(info.get("filename") or "").rsplit(".", 1)[-1])
        found = ext.lstrip(".").strip().lower()
        if found:
            return found[:20]
    ebook = media.get("ebookFile")
    ebook_format = ebook.get("ebookFormat") if isinstance(ebook, dict) else media.get("ebookFormat")
    return str(ebook_format or "").strip().lower()[:20]


def _item(
    row: dict[str, Any],
    metadata: dict[str, Any],
    *,
    minified: bool,
    authors: tuple[str, ...],
    narrators: tuple[str, ...],
    series: tuple[SeriesRef, ...],
) -> LibraryItem:
    media = row.get("media") or {}
    size = row.get("size") if row.get("size") is not None else media.get("size")
    return LibraryItem(
        id=str(row["id"]),
        library_id=str(row.get("libraryId") or ""),
        title=str(metadata.get("title") or ""),
        subtitle=_text(metadata.get("subtitle")),
        authors=authors,
        narrators=narrators,
        series=series,
        asin=_text(metadata.get("asin")),
        isbn=_text(metadata.get("isbn")),
        publisher=_text(metadata.get("publisher")),
        published_year=_year(metadata.get("publishedYear")),
        language=_text(metadata.get("language")),
        genres=tuple(str(g) for g in metadata.get("genres") or [] if g),
        description=_text(metadata.get("description")),
        duration_seconds=_float(media.get("duration")),
        size_bytes=None if size is None else as_int(size),
        path=_text(row.get("path")),
        has_cover=bool(media.get("coverPath")),
        is_missing=bool(row.get("isMissing")),
        added_at=parse_ms(row.get("addedAt")),
        updated_at=parse_ms(row.get("updatedAt")),
        minified=minified,
        extra=_extra(row, media, metadata),
    )


def _extra(row: dict[str, Any], media: dict[str, Any], metadata: dict[str, Any]) -> dict[str, object]:
    """What the domain record has no field for but a sync may want."""
    return {
        "rel_path": row.get("relPath"),
        "is_invalid": bool(row.get("isInvalid")),
        "tags": list(media.get("tags") or []),
        "explicit": bool(metadata.get("explicit")),
        "abridged": bool(metadata.get("abridged")),
        "num_audio_files": media.get("numAudioFiles", len(media.get("audioFiles") or []) or None),
        "series_name": metadata.get("seriesName"),  # the joined list form, kept whole to check listings against
        "author_ids": [a.get("id") for a in metadata.get("authors") or [] if isinstance(a, dict)],
    }


def media_patch(update: MetadataUpdate) -> dict[str, Any]:
    """The ``PATCH /api/items/{id}/media`` body: only the fields set; years and sequences sent as strings."""
    metadata: dict[str, Any] = {}
    for field in ("title", "subtitle", "asin", "isbn", "publisher", "language", "description"):
        value = getattr(update, field)
        if value is not None:
            metadata[field] = value
    if update.published_year is not None:
        metadata["publishedYear"] = str(update.published_year)
    if update.authors is not None:
        metadata["authors"] = [{"name": name} for name in update.authors]
    if update.narrators is not None:
        metadata["narrators"] = list(update.narrators)
    if update.genres is not None:
        metadata["genres"] = list(update.genres)
    if update.series is not None:
        # A number would be stored as null: Audiobookshelf keeps a sequence only when it is a string.
        metadata["series"] = [
            {"name": s.name, "sequence": None if s.sequence is None else str(s.sequence)} for s in update.series
        ]
    return {"metadata": metadata}


# The PATCH body's names of the book fields (see reference/audiobookshelf.md: publishedYear is a string or null).
PATCH_KEYS = {
    "title": "title",
    "subtitle": "subtitle",
    "authors": "authors",
    "narrators": "narrators",
    "series": "series",
    "asin": "asin",
    "isbn": "isbn",
    "publisher": "publisher",
    "published_year": "publishedYear",
    "language": "language",
    "genres": "genres",
    "description": "description",
}
_LIST_KEYS = frozenset({"authors", "narrators", "genres", "series"})


def clearing_patch(fields: Collection[str]) -> dict[str, Any]:
    """The ``PATCH /api/items/{id}/media`` body that empties fields: [] for a list, null for anything else.

    ``media_patch`` cannot say this: a MetadataUpdate reads None as "leave alone".
    """
    unknown = sorted(set(fields) - PATCH_KEYS.keys())
    if unknown:
        raise ValueError(f"no Audiobookshelf field for {', '.join(unknown)}")
    return {"metadata": {PATCH_KEYS[name]: [] if name in _LIST_KEYS else None for name in fields}}


def expect_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ServiceBadResponse(SERVICE, f"expected a JSON object for {what}", details={"body": str(value)[:200]})
    return value


def expect_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ServiceBadResponse(SERVICE, f"expected a JSON list in {what}", details={"body": str(value)[:200]})
    return value


def _text(value: Any) -> str | None:
    if type(value) is str:  # nearly every field of a listed item: no str() copy, no isinstance walk
        return value.strip() or None
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def as_int(value: Any) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _year(value: Any) -> int | None:
    """``publishedYear`` is a string ("2019", sometimes "2019-05-01"); the first four digits."""
    match = re.search(r"\d{4}", str(value)) if value is not None else None
    return int(match.group()) if match else None
