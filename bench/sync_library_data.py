"""The library the sync benchmark reads: generated straight into the Audiobookshelf fake, served from a child.

The fake is seeded directly into its records (its ``add_item`` looks authors and series up one by one:
minutes for 50,000 items). Where the fake scans every item per request and a real Audiobookshelf uses an
index (the listing's order, a series' books, the series filter), the child gives it one: the numbers
measure Shelfkeeper, and its floors, not the fake. Every item's listing JSON is rendered once before the
URL is sent (the fake keeps it until the item changes): the first round's floor does not pay for the others.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from bench.library_data import FIRST, GENRES, LAST, NOUNS, WORDS

TOKEN = "bench-abs-token"
LIBRARY_ID = "lib_bench"
START_MS = 1_600_000_000_000


@dataclass(frozen=True)
class SyncShape:
    name: str = "50,000 items, series mostly added together"
    items: int = 50_000
    authors: int = 6_000
    share_standalone: float = 0.4  # draws that add one book in no series (other draws add a run of a series)
    share_continued: float = 0.15  # draws that add 1-2 books to an older series
    longest_run: int = 8  # a new series comes with 1..longest_run books
    seed: int = 2026


# An independently shaped library: fewer standalone books, many short series (1-3 books), other authors.
SHORT_SERIES = SyncShape(
    name="20,000 items, many short series",
    items=20_000,
    authors=9_000,
    share_standalone=0.25,
    share_continued=0.05,
    longest_run=3,
    seed=7,
)


# ---- the fake, in its own process ------------------------------------------------------------------------------


def seed_fake(fake: Any, shape: SyncShape) -> dict[str, list[str]]:
    """Put ``shape.items`` items straight into the fake's records; returns series id -> item ids (the index)."""
    from shelfkeeper.testing.fakes.audiobookshelf_data import ItemRecord

    rng = random.Random(shape.seed)
    data = fake.data
    fake.add_library("Audiobooks", ["/audiobooks"], id=LIBRARY_ID)
    author_ids = _seed_authors(data, rng, shape.authors)
    index: dict[str, list[str]] = {}
    runs: list[tuple[str, list[str], int]] = []  # series id, its authors, the next position
    while len(data.items) < shape.items:
        roll = rng.random()
        if roll < shape.share_standalone:
            _add(data, ItemRecord, rng, [rng.choice(author_ids)], None, None)
            continue
        if roll < shape.share_standalone + shape.share_continued and runs:
            run_index = rng.randrange(len(runs))
            series_id, authors, position = runs[run_index]
            count = rng.randint(1, 2)
        else:
            series_id, authors = _new_series(data, rng, author_ids)
            runs.append((series_id, authors, 1))
            run_index, position, count = len(runs) - 1, 1, rng.randint(1, shape.longest_run)
        for offset in range(count):
            sequence = str(position + offset) if rng.random() < 0.93 else f"{position + offset}.5"
            item_id = _add(data, ItemRecord, rng, authors, series_id, sequence)
            index.setdefault(series_id, []).append(item_id)
        runs[run_index] = (series_id, authors, position + count)
    return index


def _seed_authors(data: Any, rng: random.Random, count: int) -> list[str]:
    author_ids = []
    for n in range(count):
        author_id = f"au_{n:06d}"
        data.authors[author_id] = {
            "id": author_id,
            "asin": None,
            "name": f"{rng.choice(FIRST)} {rng.choice(FIRST)[0]}. {rng.choice(LAST)} {n}",
            "description": None,
            "imagePath": None,
            "libraryId": LIBRARY_ID,
            "addedAt": START_MS,
            "updatedAt": START_MS,
        }
        author_ids.append(author_id)
    return author_ids


def _new_series(data: Any, rng: random.Random, author_ids: list[str]) -> tuple[str, list[str]]:
    from shelfkeeper.testing.fakes.audiobookshelf_data import ignore_prefix

    series_id = f"se_{len(data.series):06d}"
    name = f"{rng.choice(WORDS)} {rng.choice(NOUNS)} Saga {len(data.series)}"
    data.series[series_id] = {
        "id": series_id,
        "name": name,
        "nameIgnorePrefix": ignore_prefix(name),
        "description": None,
        "addedAt": START_MS,
        "updatedAt": START_MS,
        "libraryId": LIBRARY_ID,
    }
    return series_id, [rng.choice(author_ids) for _ in range(1 if rng.random() < 0.9 else 2)]


def _add(data: Any, record: Any, rng: random.Random, authors: list[str], series_id: str | None, seq: str | None) -> str:
    from shelfkeeper.testing.fakes.audiobookshelf_data import AudioFileRecord

    n = len(data.items)
    item_id = f"li_{n:08d}"
    title = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(NOUNS)}"
    stamp = START_MS + n * 60_000
    data.items[item_id] = record(
        id=item_id,
        library_id=LIBRARY_ID,
        folder_id="",
        path=f"/audiobooks/{n // 1000}/{title} {n}",
        rel_path=f"{n // 1000}/{title} {n}",
        title=title,
        added_at=stamp,
        updated_at=stamp,
        subtitle=f"A {rng.choice(NOUNS)} Story" if rng.random() < 0.2 else None,
        author_ids=list(authors),
        narrators=[f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(1 if rng.random() < 0.85 else 2)],
        series=[(series_id, seq)] if series_id else [],
        genres=[rng.choice(GENRES)],
        published_year=str(rng.randint(1950, 2026)),
        publisher=f"{rng.choice(NOUNS)} Audio",
        description=" ".join(rng.choice(WORDS) for _ in range(30)),
        asin=f"B{n:09d}" if rng.random() < 0.7 else None,
        isbn=f"978{n:010d}" if rng.random() < 0.3 else None,
        language=rng.choice(["English"] * 8 + ["German", "French"]),
        duration=rng.uniform(3600, 40 * 3600),
        size=rng.randint(50, 2000) * 1_000_000,
        cover_path=f"/metadata/items/{item_id}/cover.jpg" if rng.random() < 0.9 else None,
        audio_files=_audio_files(AudioFileRecord, rng, f"/audiobooks/{n // 1000}/{title} {n}"),
    )
    return item_id


def _audio_files(record: Any, rng: random.Random, folder: str) -> list[Any]:
    """One m4b for most books, a few mp3 tracks for the others."""
    if rng.random() < 0.75:
        return [record(filename="book.m4b", rel_path="book.m4b", path=f"{folder}/book.m4b", size=1, duration=1.0)]
    return [
        record(filename=f"{t:02d}.mp3", rel_path=f"{t:02d}.mp3", path=f"{folder}/{t:02d}.mp3", size=1, duration=1.0)
        for t in range(1, rng.randint(2, 6))
    ]


def _index_fake(data: Any, index: dict[str, list[str]]) -> None:
    """Answer from indexes where a real server's SQL has them; every query is otherwise the fake's own code."""
    from shelfkeeper.testing.fakes import audiobookshelf as fake_module
    from shelfkeeper.testing.fakes.audiobookshelf_data import sequence_key
    from shelfkeeper.testing.fakes.audiobookshelf_listing import decode_filter, number, query_items

    by_added = dict(sorted(data.items.items(), key=lambda pair: pair[1].added_at))
    in_order = list(by_added.values())
    ids = {item.library_id for item in in_order}
    assert len(ids) == 1, "the slice below stands for one library's whole listing"

    def books_of_series(series_id: str) -> list[tuple[Any, str | None]]:
        found = [
            (data.items[i], seq) for i in index.get(series_id, ()) for s, seq in data.items[i].series if s == series_id
        ]
        return sorted(found, key=lambda pair: sequence_key(pair[1]))

    def indexed(data: Any, library_id: str, params: Any, rng: random.Random) -> tuple[list[dict[str, Any]], int]:
        group, value = decode_filter(params.get("filter"))
        view = copy.copy(data)
        if group == "series" and value and value != "no-series":
            view.items = {item_id: data.items[item_id] for item_id in index.get(value, ())}
        elif group is None and params.get("sort") == "addedAt" and params.get("desc") != "1" and library_id in ids:
            # The index's range scan (LIMIT/OFFSET): only the page's items are sorted (already in order) and rendered.
            limit, page = number(params.get("limit")), number(params.get("page"))
            chosen = in_order[page * limit : page * limit + limit] if limit else in_order
            view.items = {item.id: item for item in chosen}
            unpaged = {k: v for k, v in params.items() if k not in ("limit", "page")}
            return query_items(view, library_id, unpaged, rng)[0], len(in_order)
        return query_items(view, library_id, params, rng)

    data.books_of_series = books_of_series
    fake_module.query_items = indexed  # type: ignore[attr-defined]


def _render_items(data: Any) -> None:
    """Every item's listing JSON rendered once, before any floor or sync asks: the fake keeps it until the item
    changes, as a real server has its rows at hand, and the first round's floor does not pay for the others."""
    from shelfkeeper.testing.fakes.audiobookshelf_json import minified_json

    for item in data.items.values():
        minified_json(data, item)


# Hand-written items that are hard to read right (names joined with commas, positions between numbers, two
# series, scripts other than Latin), added beside a generated library by the sync's tests and bench/sync_equality.py.
TRICKY: dict[str, dict[str, Any]] = {
    "A Wizard of Earthsea": {"authors": ["Le Guin, Ursula K."], "series": [("Earthsea Cycle, The", "1")]},
    # Joined in the list as "Le Guin, Ursula K., Someone Else": only an expanded read has the names whole.
    "The Word for World": {"authors": ["Le Guin, Ursula K.", "Someone Else"]},
    "Good Omens": {"authors": ["Terry Pratchett", "Neil Gaiman"], "narrators": ["Martin Jarvis", "Stephen Fry"]},
    "The Butcher of Anderson Station": {"authors": ["James S. A. Corey"], "series": [("The Expanse", "1.5")]},
    "Two Series Book": {"authors": ["Brandon Sanderson"], "series": [("Mistborn", "0.5"), ("Cosmere", "7")]},
    "三体": {"authors": ["刘慈欣"], "series": [("地球往事", "1")], "language": "Chinese"},
    "Déjà Lu": {"authors": ["Frank Schätzing"], "narrators": ["Renée Élan"], "series": [("Série Noire", "2")]},
}


def serve_fake(connection: Connection, shape: SyncShape) -> None:
    """Child process: seed, serve on 127.0.0.1, send the URL, serve until told to stop."""
    from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf
    from shelfkeeper.testing.server import LiveServer

    fake = FakeAudiobookshelf(TOKEN)
    _index_fake(fake.data, seed_fake(fake, shape))
    _render_items(fake.data)
    server = LiveServer(fake.app).start()
    in_series = sum(1 for item in fake.data.items.values() if item.series)
    connection.send((server.url, len(fake.data.items), len(fake.data.series), in_series))
    connection.recv()
    server.stop()
