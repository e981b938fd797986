"""How the fake Audiobookshelf renders its records: minified list items, old and expanded item JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shelfkeeper.testing.fakes.audiobookshelf_data import (
    AbsData,
    AudioFileRecord,
    ItemRecord,
    ignore_prefix,
    last_first,
)

# What Starlette's JSONResponse writes: the fake's listings are rendered to the same bytes.
_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
_STRING: Callable[[str], str] = json.encoder.encode_basestring  # what _ENCODE does with a str
_KEYS: dict[str, str] = {}  # the few keys a listing has, encoded once


@dataclass(frozen=True, slots=True)
class RawJson:
    """JSON text already rendered (an item's minified body), put into a larger answer as it is."""

    text: str


def render_json(value: Any) -> bytes:
    """``value`` as JSONResponse renders it, with each ``RawJson`` inside written as its text (str keys only)."""
    return _render(value).encode("utf-8")


def _render(value: Any) -> str:
    if isinstance(value, str):
        return _STRING(value)
    if isinstance(value, RawJson):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{_key(key)}:{_render(inner)}" for key, inner in value.items()) + "}"
    if isinstance(value, list | tuple):
        if all(isinstance(inner, RawJson) for inner in value):  # a page of items: no walk
            return "[" + ",".join(inner.text for inner in value) + "]"
        return "[" + ",".join(_render(inner) for inner in value) + "]"
    return _ENCODE(value)


def _key(key: str) -> str:
    encoded = _KEYS.get(key)
    if encoded is None:
        encoded = _STRING(key)
        if len(_KEYS) < 1024:
            _KEYS[key] = encoded
    return encoded


def minified_json(data: AbsData, item: ItemRecord) -> RawJson:
    """``minified`` rendered, kept on the item until one of its fields is assigned or a name may have changed:
    a listing page is then mostly joined text, as a real server's pages are quick."""
    rendered = item.rendered
    if rendered is None or rendered[0] != data.names_revision:
        rendered = (data.names_revision, _ENCODE(minified(data, item)))
        item.rendered = rendered
    return RawJson(rendered[1])


def author_names(data: AbsData, item: ItemRecord) -> list[str]:
    return [data.authors[a]["name"] for a in item.author_ids if a in data.authors]


def series_name(data: AbsData, item: ItemRecord) -> str:
    """ "Series #1, Other" : the only place a minified item carries sequences."""
    parts = []
    for series_id, sequence in item.series:
        name = data.series[series_id]["name"]
        parts.append(f"{name} #{sequence}" if sequence else name)
    return ", ".join(parts)


def _book_facts(item: ItemRecord) -> dict[str, Any]:
    # The fields the minified and the old (expanded) metadata shapes write alike.
    return {
        "genres": list(item.genres),
        "publishedYear": item.published_year,
        "publishedDate": item.published_date,
        "publisher": item.publisher,
        "description": item.description,
        "isbn": item.isbn,
        "asin": item.asin,
        "language": item.language,
        "explicit": item.explicit,
        "abridged": item.abridged,
    }


def minified_metadata(data: AbsData, item: ItemRecord) -> dict[str, Any]:
    names = author_names(data, item)
    return {
        "title": item.title,
        "titleIgnorePrefix": ignore_prefix(item.title),
        "subtitle": item.subtitle,
        "authorName": ", ".join(names),
        "authorNameLF": ", ".join(last_first(n) for n in names),
        "narratorName": ", ".join(item.narrators),
        "seriesName": series_name(data, item),
        **_book_facts(item),
    }


def item_base(item: ItemRecord) -> dict[str, Any]:
    return {
        "id": item.id,
        "ino": item.ino,
        "oldLibraryItemId": None,
        "libraryId": item.library_id,
        "folderId": item.folder_id,
        "path": item.path,
        "relPath": item.rel_path,
        "isFile": item.is_file,
        "mtimeMs": item.mtime_ms,
        "ctimeMs": item.mtime_ms,
        "birthtimeMs": item.mtime_ms,
        "addedAt": item.added_at,
        "updatedAt": item.updated_at,
    }


def minified(data: AbsData, item: ItemRecord) -> dict[str, Any]:
    """``toOldJSONMinified``: joined name strings, no authors/series arrays."""
    return {
        **item_base(item),
        "isMissing": item.is_missing,
        "isInvalid": item.is_invalid,
        "mediaType": "book",
        "media": {
            "id": item.media_id,
            "metadata": minified_metadata(data, item),
            "coverPath": item.cover_path,
            "tags": list(item.tags),
            "numTracks": len(item.audio_files),
            "numAudioFiles": len(item.audio_files),
            "numChapters": 0,
            "duration": item.duration,
            "size": item.size,
            "ebookFormat": None,
        },
        "numFiles": len(item.audio_files),
        "size": item.size,
    }


def old_json(data: AbsData, item: ItemRecord, *, expanded: bool = False) -> dict[str, Any]:
    """``toOldJSON`` (no duration/size) or, with ``expanded``, ``toOldJSONExpanded``."""
    audio = [audio_file_json(f, i + 1, item.added_at) for i, f in enumerate(item.audio_files)]
    media: dict[str, Any] = {
        "id": item.media_id,
        "libraryItemId": item.id,
        "metadata": _old_metadata(data, item),
        "coverPath": item.cover_path,
        "tags": list(item.tags),
        "audioFiles": audio,
        "chapters": [],
        "ebookFile": None,
    }
    body: dict[str, Any] = {
        **item_base(item),
        "lastScan": item.added_at,
        "scanVersion": "2.36.0",
        "isMissing": item.is_missing,
        "isInvalid": item.is_invalid,
        "mediaType": "book",
        "media": media,
        "libraryFiles": [{"ino": f["ino"], "metadata": f["metadata"], "fileType": "audio"} for f in audio],
    }
    if expanded:
        _expand(data, item, body, audio)
    return body


def _old_metadata(data: AbsData, item: ItemRecord) -> dict[str, Any]:
    return {
        "title": item.title,
        "subtitle": item.subtitle,
        "authors": [{"id": a, "name": data.authors[a]["name"]} for a in item.author_ids if a in data.authors],
        "narrators": list(item.narrators),
        "series": [
            {"id": sid, "name": data.series[sid]["name"], "sequence": seq}
            for sid, seq in item.series
            if sid in data.series
        ],
        **_book_facts(item),
    }


def _expand(data: AbsData, item: ItemRecord, body: dict[str, Any], audio: list[dict[str, Any]]) -> None:
    """What ``?expanded=1`` adds: sizes, duration, counts, tracks and the joined-name strings."""
    media, metadata = body["media"], body["media"]["metadata"]
    minified_meta = minified_metadata(data, item)
    for key in ("titleIgnorePrefix", "authorName", "authorNameLF", "narratorName", "seriesName"):
        metadata[key] = minified_meta[key]
    metadata["descriptionPlain"] = re.sub(r"<[^>]+>", "", item.description or "") or None
    offsets = start_offsets(item.audio_files)
    tracks = [
        {
            "index": a["index"],
            "startOffset": offsets[i],
            "duration": a["duration"],
            "title": a["metadata"]["filename"],
            "contentUrl": f"/api/items/{item.id}/file/{a['ino']}",
            "mimeType": a["mimeType"],
            "codec": a["codec"],
            "metadata": a["metadata"],
        }
        for i, a in enumerate(audio)
    ]
    media.update(
        duration=item.duration,
        size=item.size,
        numTracks=len(audio),
        numAudioFiles=len(audio),
        numChapters=0,
        ebookFormat=None,
        tracks=tracks,
    )
    body.update(numFiles=len(audio), size=item.size)


def author_json(data: AbsData, author: dict[str, Any]) -> dict[str, Any]:
    return {**author, "numBooks": len(data.books_of_author(author["id"])), "lastFirst": last_first(author["name"])}


def series_json(data: AbsData, series: dict[str, Any]) -> dict[str, Any]:
    books = data.books_of_series(series["id"])
    return {
        **series,
        "books": [minified_json(data, item) for item, _ in books],
        "totalDuration": sum(item.duration for item, _ in books),
    }


def audio_file_json(audio: AudioFileRecord, index: int, stamp: int) -> dict[str, Any]:
    ext = "." + audio.filename.rsplit(".", 1)[-1].lower()
    return {
        "index": index,
        "ino": str(abs(hash(audio.path)) % 10**9),
        "metadata": {
            "filename": audio.filename,
            "ext": ext,
            "path": audio.path,
            "relPath": audio.rel_path,
            "size": audio.size,
            "mtimeMs": audio.mtime_ms,
            "ctimeMs": audio.mtime_ms,
            "birthtimeMs": audio.mtime_ms,
        },
        "addedAt": stamp,
        "updatedAt": stamp,
        "trackNumFromMeta": None,
        "discNumFromMeta": None,
        "trackNumFromFilename": index,
        "discNumFromFilename": None,
        "manuallyVerified": False,
        "exclude": False,
        "error": None,
        "format": ext.lstrip(".").upper(),
        "duration": audio.duration,
        "bitRate": 64000,
        "language": None,
        "codec": "aac" if ext in (".m4b", ".m4a") else ext.lstrip("."),
        "timeBase": "1/44100",
        "channels": 2,
        "channelLayout": "stereo",
        "chapters": [],
        "embeddedCoverArt": None,
        "metaTags": {},
        "mimeType": "audio/mp4" if ext in (".m4b", ".m4a") else f"audio/{ext.lstrip('.')}",
    }


def start_offsets(files: list[AudioFileRecord]) -> list[float]:
    offsets, total = [], 0.0
    for audio in files:
        offsets.append(total)
        total += audio.duration
    return offsets
