"""Library sync: what a listed item's book row holds, prepared from the item alone (no session, no network).

The page's transaction (services/library_sync.py) adds what only the database knows: the stored book, what it
keeps, its presence. Everything here is pure, so it runs before the transaction, while the previous page is
still being written: the transaction is left with the database's own work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import String

from shelfkeeper.db import repositories
from shelfkeeper.db.repositories import sort_name
from shelfkeeper.db.tables import Book
from shelfkeeper.domain.library.items import LibraryItem, SeriesRef
from shelfkeeper.domain.library.sync import book_values, item_source, unique_names
from shelfkeeper.domain.text import fold, normalize_title
from shelfkeeper.services.library_series import SeriesWanted

_NAME_LENGTH = 300
_POSITION_LENGTH = 40
_LENGTHS = {c.name: c.type.length for c in Book.__table__.c if isinstance(c.type, String) and c.type.length}

# A library names the same people again and again: their folded words are computed once (bounded caches; an
# author's key is cached by the domain already). A library's titles are all different: they are normalised
# without a cache, which would otherwise keep tens of thousands of them for the rest of the process.
author_key = repositories.author_key
narrator_key = lru_cache(maxsize=2048)(fold)
_title_key: Callable[[str], str] = normalize_title.__wrapped__


@lru_cache(maxsize=2048)
def _folded_after(name: str) -> str:
    """The words a name adds to a search text after its title: ``fold`` of the whole text, part by part.

    ``fold(" ".join(parts))`` equals the non-empty ``fold``s of the parts joined by spaces, provided each part
    after the first is folded behind its separating space: every step of ``fold`` maps characters on their own
    or within a word, except that a combining mark is dropped after a Latin base (the space is one), and a
    space neither composes nor reorders with its neighbours (tests/services/test_library_rows.py checks it).
    """
    return fold(" " + name)


@dataclass(frozen=True, slots=True)
class ItemWrite:
    """One listed item to bring into the database, with what the network side learnt about it."""

    item: LibraryItem
    # Exact series (from the series listing or the expanded item); None leaves the book's series as they are.
    series: tuple[SeriesRef, ...] | None = None
    # Exact people from the expanded item; None means "split from the list's joined names".
    authors: tuple[str, ...] | None = None
    narrators: tuple[str, ...] | None = None
    # The audio format read from the item's audio files (expanded items only); None: not read this time.
    audio_format: str | None = None


@dataclass(frozen=True, slots=True)
class PreparedItem:
    """An item's book values as far as the item alone decides them; the transaction copies, never changes them."""

    write: ItemWrite
    row: dict[str, Any]  # the book's columns from the item (people, series, presence and sort keys apart)
    source: dict[str, Any]  # what the book remembers of its item (Book.extra["audiobookshelf"])
    authors: tuple[str, ...]
    narrators: tuple[str, ...]
    series: list[tuple[SeriesWanted, str | None]] | None  # None: the series are not known exactly
    path: str  # the path as stored (a removed book at this path is the item's, added again)
    title_sort: str
    author_sort: str
    title_words: str  # the folded title and subtitle: the search text's start


def prepare_items(writes: Sequence[ItemWrite]) -> list[PreparedItem]:
    """Each write's item-only values, once per item id (the last write of an id wins, as a page's dict would)."""
    unique = {write.item.id: write for write in writes}
    return [prepare(write) for write in unique.values()]


def prepare(write: ItemWrite) -> PreparedItem:
    """The values of one item's book that do not depend on what the database holds."""
    item = write.item
    row: dict[str, Any] = fit_columns(book_values(item))
    row["abs_id"] = item.id
    if write.audio_format is not None:
        row["format"] = write.audio_format
    source: dict[str, Any] = clean(item_source(item))
    source["num_audio_files"] = item.extra.get("num_audio_files")
    authors, author_sort = _authors(write.authors or item.authors)
    title = str(row["title"])
    return PreparedItem(
        write=write,
        row=row,
        source=source,
        authors=authors,
        narrators=_narrators(write.narrators or item.narrators),
        series=None if write.series is None else _series_pairs(write.series),
        path=stored_path(item),
        title_sort=_title_key(title) or fold(title),
        author_sort=author_sort,
        title_words=title_words(title, row.get("subtitle")),
    )


def title_words(title: str, subtitle: str | None) -> str:
    """The start of a book's search text: its title and subtitle folded."""
    folded = fold(title)
    return (folded + " " + fold(" " + subtitle)).strip() if subtitle else folded


def search_text(title_part: str, *names: Sequence[str]) -> str:
    """The folded text the search matches, ``" " + fold(" ".join([title, subtitle, *authors, *narrators,
    *series])) + " "``, from ``title_words`` and the names: each name folded once (``_folded_after``)."""
    words = [title_part]
    for group in names:
        words.extend(map(_folded_after, group))
    return " " + " ".join(part for part in words if part) + " "


def stored_path(item: LibraryItem) -> str:
    return text(item.path or "")[: _LENGTHS["path"]]


# A library's items name the same people in the same order again and again (the listing's joined names are split
# once per distinct string, so equal lists arrive as the same tuple): their stored form is worked out once.
@lru_cache(maxsize=2048)
def _authors(names: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """The authors as stored, and the book's author sort (from the first)."""
    stored = _names(names, author_key)
    return stored, sort_name(stored[0]).lower()[:300] if stored else ""


@lru_cache(maxsize=2048)
def _narrators(names: tuple[str, ...]) -> tuple[str, ...]:
    return _names(names, narrator_key)


def _names(names: Sequence[str], key: Callable[[str], str]) -> tuple[str, ...]:
    """Names as stored: shown in reading order, NUL-free, cut to length, blanks and repeats (by key) dropped."""
    seen: set[str] = set()
    result: list[str] = []
    for raw in unique_names(names):
        name = " ".join(text(raw)[:_NAME_LENGTH].split())
        if name and (name_key := key(name)) not in seen:
            seen.add(name_key)
            result.append(name)
    return tuple(result)


def _series_pairs(series: Sequence[SeriesRef]) -> list[tuple[SeriesWanted, str | None]]:
    pairs = []
    for ref in series:
        name = text(ref.name)
        if name.strip():
            pairs.append((SeriesWanted(ref.series_id, name), text(ref.sequence or "")[:_POSITION_LENGTH] or None))
    return pairs


def text(value: str) -> str:
    """PostgreSQL refuses NUL characters in text and JSON; tags read from audio files sometimes carry them."""
    return value.replace("\x00", "") if "\x00" in value else value


def clean(value: Any) -> Any:
    """``value`` with every string in it (lists and dicts too) free of NUL characters (itself when it has none)."""
    if isinstance(value, str):
        return text(value)
    if not _holds_nul(value):
        return value
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    return value


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(map(_holds_nul, value))
    if isinstance(value, dict):
        return any(not isinstance(k, str) or "\x00" in k or _holds_nul(v) for k, v in value.items())
    return False


def fit_columns(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (a dict made for the purpose, changed in place): text without NUL characters, cut to its column's
    length. PostgreSQL refuses both, SQLite would not mind."""
    for name, value in values.items():
        if isinstance(value, str):
            length = _LENGTHS.get(name)
            values[name] = text(value)[:length] if length else text(value)
        elif isinstance(value, list | dict):
            values[name] = clean(value)
    return values
