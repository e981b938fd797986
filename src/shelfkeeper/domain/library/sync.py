"""Pure decisions of the library sync: full or incremental, what an item becomes, where exact series come from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import permutations

from shelfkeeper.domain.library.items import LibraryItem, SeriesRef
from shelfkeeper.domain.names import display_name

FULL_SYNC_EVERY = timedelta(days=1)
# Items edited while a sync pages through the library, and clocks that differ a little between the two machines.
WATERMARK_OVERLAP = timedelta(minutes=10)
# A series-filtered listing costs one request and answers for every changed book of the series at once.
LISTING_MIN_BOOKS = 2
# An unknown series id costs one expanded fetch to learn, then the listing: two requests, worth it from three books.
LEARN_MIN_BOOKS = 3
# A book in more series than this is read expanded rather than matched against every order of its series.
MAX_SERIES_ORDERS = 4


class SyncMode(StrEnum):
    FULL = "full"
    INCREMENTAL = "incremental"


@dataclass(frozen=True)
class ModeDecision:
    """Which sync to run, why, and (incremental) the ``updatedAt`` from which items are looked at."""

    mode: SyncMode
    reason: str
    since: datetime | None = None


def choose_mode(
    *,
    forced_full: bool,
    last_full_at: datetime | None,
    watermark: datetime | None,
    now: datetime,
    full_every: timedelta = FULL_SYNC_EVERY,
) -> ModeDecision:
    """Full when asked, when no full sync was ever done, or once a day; incremental otherwise."""
    if forced_full:
        return ModeDecision(SyncMode.FULL, "a full sync was asked for")
    if last_full_at is None or watermark is None:
        return ModeDecision(SyncMode.FULL, "no full sync was done before")
    if now - last_full_at >= full_every:
        hours = (now - last_full_at).total_seconds() / 3600
        return ModeDecision(SyncMode.FULL, f"the last full sync was {hours:.0f} h ago (one a day)")
    return ModeDecision(SyncMode.INCREMENTAL, f"items updated since {watermark.isoformat()}", since=watermark)


def next_watermark(
    run_started_at: datetime,
    newest_seen: datetime | None,
    oldest_failed: datetime | None = None,
    overlap: timedelta = WATERMARK_OVERLAP,
) -> datetime:
    """Where the next incremental sync starts: no later than this run's start, an item's time, or a failed item.

    The earliest of the run's start (our clock) and the newest ``updatedAt`` seen (the server's clock), less an
    overlap: an item edited while this run paged past it, or a small clock difference, is read again next time.
    A failed item holds the watermark back so that the next incremental sync tries it again.
    """
    candidates = [run_started_at]
    if newest_seen is not None:
        candidates.append(newest_seen)
    if oldest_failed is not None:
        candidates.append(oldest_failed)
    return min(candidates) - overlap


def unique_names(names: Sequence[str]) -> tuple[str, ...]:
    """Names in reading order, blanks and repeats dropped, order kept."""
    seen: set[str] = set()
    result: list[str] = []
    for name in names:
        shown = display_name(name)
        if shown and shown.lower() not in seen:
            seen.add(shown.lower())
            result.append(shown)
    return tuple(result)


def item_title(item: LibraryItem) -> str:
    """The title, or the folder's name when the item has none (a book is never nameless in the list)."""
    if item.title.strip():
        return " ".join(item.title.split())
    folder = (item.path or "").rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1]
    return folder.strip() or f"Audiobookshelf item {item.id}"


def book_values(item: LibraryItem) -> dict[str, object]:
    """The book columns an item sets (people and series apart: they are links)."""
    return {
        "library_id": item.library_id or None,
        "title": item_title(item),
        "subtitle": item.subtitle,
        "asin": item.asin,
        "isbn": item.isbn,
        "publisher": item.publisher,
        "published_year": item.published_year,
        "language": item.language,
        "genres": list(dict.fromkeys(g.strip() for g in item.genres if g.strip())),
        "description": item.description,
        "duration_seconds": item.duration_seconds,
        "size_bytes": item.size_bytes,
        "path": item.path,
        "has_cover": item.has_cover,
        "abs_added_at": item.added_at,
        "abs_updated_at": item.updated_at,
    }


def series_text(item: LibraryItem) -> str:
    """The item's series as the list shows them ("Mistborn #1, Cosmere #3"): remembered to notice a change."""
    joined = ", ".join(f"{ref.name} #{ref.sequence}" if ref.sequence else ref.name for ref in item.series)
    return joined.replace("\x00", "")  # as stored: a database refuses NUL characters


def item_source(item: LibraryItem) -> dict[str, object]:
    """What the book remembers of its item besides the columns: the joined people and series, tags, flags."""
    extra = item.extra
    tags = extra.get("tags")
    return {
        "authors": ", ".join(item.authors),
        "narrators": ", ".join(item.narrators),
        "series": series_text(item),
        "rel_path": extra.get("rel_path"),
        "tags": [str(tag) for tag in tags] if isinstance(tags, list) else [],
        "abridged": bool(extra.get("abridged")),
        "explicit": bool(extra.get("explicit")),
    }


def needs_exact_series(item: LibraryItem, remembered_series: str | None) -> bool:
    """Whether the item's series must be read exactly: it has some, and they differ from what the book has."""
    return bool(item.series) and series_text(item) != remembered_series


@dataclass(frozen=True)
class SeriesSourcePlan:
    """How the changed books of one page get their exact series, with a reason for each series."""

    learn_from: tuple[str, ...] = ()  # item ids fetched expanded first, to learn their series' ids
    listings: tuple[str, ...] = ()  # series keys to list (series-filtered listing), once their id is known
    reasons: dict[str, str] = field(default_factory=dict)


def plan_series_sources(
    members: Mapping[str, Sequence[str]], known_ids: Mapping[str, str], listed: Set[str]
) -> SeriesSourcePlan:
    """Choose, per series, the cheaper source of exact sequences for its changed books.

    ``members`` maps a series key to the ids of this page's changed books that name it; ``known_ids`` the
    series keys whose Audiobookshelf id is known; ``listed`` the keys already listed in this run. A book
    every series of which is answered by a listing needs no request of its own; any other book is fetched
    expanded (one request, exact authors, narrators and series).
    """
    learn: list[str] = []
    listings: list[str] = []
    reasons: dict[str, str] = {}
    for key, ids in sorted(members.items(), key=lambda pair: (-len(pair[1]), pair[0])):
        count = len(ids)
        if key in listed:
            reasons[key] = "listed earlier in this run: no request"
        elif key in known_ids and count >= LISTING_MIN_BOOKS:
            listings.append(key)
            reasons[key] = f"one series listing answers for its {count} changed books"
        elif key not in known_ids and count >= LEARN_MIN_BOOKS:
            learn.append(ids[0])
            listings.append(key)
            reasons[key] = f"id learned from one expanded book, then one listing for its {count} changed books"
        else:
            reasons[key] = f"{count} changed book(s): fetched expanded, one request each"
    return SeriesSourcePlan(learn_from=tuple(dict.fromkeys(learn)), listings=tuple(listings), reasons=reasons)


def is_unchanged(stored_updated_at: datetime | None, stored_in_library: bool | None, item: LibraryItem) -> bool:
    """The book already holds this item: the same ``updatedAt`` and the same presence (nothing to write)."""
    return (
        item.updated_at is not None
        and stored_updated_at is not None
        and stored_updated_at == item.updated_at
        and stored_in_library is (not item.is_missing)
    )


def exact_series(
    item: LibraryItem, members: Sequence[tuple[str, str | None]], names: Mapping[str, str]
) -> tuple[SeriesRef, ...] | None:
    """The item's series with ids and sequences from the series listing, or None when the listing is ambiguous.

    ``members`` are the (series id, sequence) pairs the series listing gave for the item, ``names`` the listed
    series' names by id. They are exact when, joined as Audiobookshelf joins them ("Name #1, Other"), they
    give the item's own ``seriesName``: a listing read while the item changed, or a name the list form cannot
    carry, does not, and the item is read expanded instead.
    """
    joined = item.extra.get("series_name")
    joined = joined if isinstance(joined, str) else ", ".join(_part(ref.name, ref.sequence) for ref in item.series)
    if not members:
        return () if not joined else None
    if len(members) > MAX_SERIES_ORDERS or any(series_id not in names for series_id, _ in members):
        return None
    refs = [SeriesRef(names[series_id], sequence, series_id) for series_id, sequence in members]
    for order in permutations(refs):
        if ", ".join(_part(ref.name, ref.sequence) for ref in order) == joined:
            return tuple(order)
    return None


def _part(name: str, sequence: str | None) -> str:
    return f"{name} #{sequence}" if sequence else name


def renamed_in_joined(joined: str, old: str, new: str) -> str:
    """A joined ``seriesName`` ("Old #1, Other #2") with the series ``old`` named ``new``; parts are matched
    whole (the name alone or followed by " #sequence"), so "Old" does not touch "Old Tales"."""
    parts = joined.split(", ")
    at = 0
    while at < len(parts):
        width = old.count(", ") + 1  # a name holding ", " spans as many parts
        candidate = ", ".join(parts[at : at + width])
        if candidate == old or candidate.startswith(old + " #"):
            parts[at : at + width] = [new + candidate[len(old) :]]
        at += 1
    return ", ".join(parts)
