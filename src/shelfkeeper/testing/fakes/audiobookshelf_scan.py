"""The fake Audiobookshelf's library scanner: folders on disk become items, vanished folders go missing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from shelfkeeper.domain.names import split_names
from shelfkeeper.domain.text import format_position
from shelfkeeper.testing.fakes.audiobookshelf_data import AUDIO_EXTENSIONS, AbsData, AudioFileRecord, ItemRecord

_CD_DIR = re.compile(r"cd\d{1,3}", re.IGNORECASE)
_VOLUME = re.compile(
    r"^(?P<label>vol\.? |volume |book )?(?P<seq>\d{1,3}(?:\.\d{1,2})?)(?P<dot>\.?)(?: (?P<rest>.*))?$", re.I
)
_NARRATOR = re.compile(r"^(?P<title>.*) \{(?P<narrators>.*)\}$")
_YEAR = re.compile(r"^ *\(?(?P<year>[0-9]{4})\)? * - *(?P<rest>.+)")


@dataclass(frozen=True)
class FolderBook:
    """What ABS reads from a book's folder path: ``Author/Series/N - Title {Narrator}``."""

    title: str
    authors: tuple[str, ...] = ()
    series: str | None = None
    sequence: str | None = None
    narrators: tuple[str, ...] = ()
    published_year: str | None = None


def parse_book_folder(rel_path: str) -> FolderBook:
    """Only the last three folders count: title folder, then series, then author."""
    parts = [p for p in rel_path.split("/") if p]
    folder = parts.pop()
    series = parts.pop() if len(parts) > 1 else None
    author = parts.pop() if parts else None
    narrators: tuple[str, ...] = ()
    if match := _NARRATOR.match(folder):
        folder, narrators = match["title"], tuple(split_names(match["narrators"]))
    sequence = None
    if series:
        folder, sequence = _take_sequence(folder)
    year = None
    if match := _YEAR.match(folder):
        year, folder = match["year"], match["rest"]
    return FolderBook(
        title=folder.strip(),
        authors=tuple(split_names(author)) if author else (),
        series=series,
        sequence=sequence,
        narrators=narrators,
        published_year=year,
    )


def _take_sequence(folder: str) -> tuple[str, str | None]:
    """ "01 - Title", "Book 2 - Title", "6. Title", "Title - Vol 3"; "101 Dalmatians" is a title, not a number."""
    pieces = folder.split(" - ")
    for index, piece in enumerate(pieces):
        match = _VOLUME.match(piece)
        if not match or (match["rest"] and not (match["label"] or match["dot"])):
            continue
        try:
            sequence = format_position(Decimal(match["seq"]))  # "01" -> "1", like JavaScript's Number()
        except InvalidOperation:
            continue
        if match["rest"]:
            pieces[index] = match["rest"]
        else:
            del pieces[index]
        return " - ".join(pieces), sequence
    return folder, None


def group_book_folders(root: Path) -> dict[str, list[Path]]:
    """Audio files grouped by the folder that makes one item (``CD1``/``CD2`` folders join their parent)."""
    files = [p for p in root.rglob("*") if p.is_file() and p.suffix.lower().lstrip(".") in AUDIO_EXTENSIONS]
    files.sort(key=lambda p: (len(p.relative_to(root).parts), str(p)))
    groups: dict[str, list[Path]] = {}
    for audio in files:
        parts = audio.relative_to(root).parent.parts
        if parts and _CD_DIR.fullmatch(parts[-1]):
            parts = parts[:-1]
        key = "/".join(parts) if parts else audio.name
        owner = next((g for g in groups if key == g or key.startswith(g + "/")), key)
        groups.setdefault(owner, []).append(audio)
    return groups


def scan_library(data: AbsData, library_id: str) -> dict[str, Any]:
    """Add an item per new book folder, mark items whose folder vanished as missing; returns the counts."""
    with data.lock:
        library = data.libraries[library_id]
        started = data.stamp()
        added = updated = missing = 0
        for folder in library["folders"]:
            root = Path(folder["fullPath"])
            if not root.is_dir():
                continue
            for rel_path, files in group_book_folders(root).items():
                outcome = _scan_one(data, library_id, folder, root, rel_path, files)
                added += outcome == "ADDED"
                updated += outcome == "UPDATED"
        for item in data.items.values():
            if item.library_id == library_id and item.on_disk and not item.is_missing and not Path(item.path).exists():
                item.is_missing = True
                item.updated_at = data.stamp()
                missing += 1
        library["lastScan"] = data.stamp()
        library["lastScanVersion"] = "2.36.0"
        return {"libraryId": library_id, "added": added, "updated": updated, "missing": missing, "startedAt": started}


def _scan_one(
    data: AbsData, library_id: str, folder: dict[str, Any], root: Path, rel_path: str, files: list[Path]
) -> str:
    path = root / rel_path
    audio = [
        AudioFileRecord(
            filename=f.name,
            rel_path=str(f.relative_to(path)) if path.is_dir() else f.name,
            path=str(f),
            size=f.stat().st_size,
            mtime_ms=int(f.stat().st_mtime * 1000),
        )
        for f in files
    ]
    existing = next((i for i in data.items.values() if i.library_id == library_id and i.path == str(path)), None)
    if existing is not None:
        return _refresh(data, existing, audio)
    is_file = path.is_file()
    book = parse_book_folder(path.stem if is_file else rel_path)
    item = data.add_item(
        library_id,
        book.title,
        authors=book.authors,
        series=[(book.series, book.sequence)] if book.series else [],
        path=str(path),
        narrators=list(book.narrators),
        published_year=book.published_year,
        audio_files=audio,
        size=_folder_size(path),
        on_disk=True,
        is_file=is_file,
        mtime_ms=int(path.stat().st_mtime * 1000),
    )
    item.rel_path = rel_path
    item.folder_id = folder["id"]
    return "ADDED"


def _refresh(data: AbsData, item: ItemRecord, audio: list[AudioFileRecord]) -> str:
    changed = item.is_missing or [a.path for a in item.audio_files] != [a.path for a in audio]
    if not changed:
        return "UPTODATE"
    item.is_missing = False
    item.on_disk = True
    item.audio_files = audio
    item.updated_at = data.stamp()
    return "UPDATED"


def _folder_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
