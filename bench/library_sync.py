"""Benchmark: a full and an incremental library sync of 50,000 items from the Audiobookshelf fake.

The fake runs in a child process (so tracemalloc sees only Shelfkeeper's memory) and is seeded directly
into its records (its ``add_item`` looks authors and series up one by one: minutes for 50,000 items).
Its series filter scans every item per request where a real Audiobookshelf uses an index, so the child
gives it an index: the numbers measure Shelfkeeper, not the fake.
"""

from __future__ import annotations

import asyncio
import copy
import multiprocessing
import random
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench.library_data import FIRST, GENRES, LAST, NOUNS, WORDS
from shelfkeeper.automation.library_sync import library_sync_task
from shelfkeeper.automation.run_context import RunContext
from shelfkeeper.context import AppContext
from shelfkeeper.db.migrate import upgrade
from shelfkeeper.db.session import make_engine
from shelfkeeper.integrations import Integrations
from shelfkeeper.settings import Settings

TOKEN = "bench-abs-token"
LIBRARY_ID = "lib_bench"
START_MS = 1_600_000_000_000


@dataclass(frozen=True)
class SyncShape:
    items: int = 50_000
    authors: int = 6_000
    share_standalone: float = 0.4  # draws that add one book in no series (other draws add 1-8 books of a series)
    share_continued: float = 0.15  # draws that add 1-2 books to an older series
    seed: int = 2026


@dataclass(frozen=True)
class SyncTiming:
    name: str
    seconds: float
    peak_mib: float
    counts: dict[str, int]
    requests: dict[str, int]


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
            run_index, position, count = len(runs) - 1, 1, rng.randint(1, 8)
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
    )
    return item_id


def _index_series_filter(index: dict[str, list[str]]) -> None:
    """Answer the series filter from an index (a real server's SQL does); every other query is the fake's own."""
    from shelfkeeper.testing.fakes import audiobookshelf as fake_module
    from shelfkeeper.testing.fakes.audiobookshelf_listing import decode_filter, query_items

    def indexed(data: Any, library_id: str, params: Any, rng: random.Random) -> tuple[list[dict[str, Any]], int]:
        group, value = decode_filter(params.get("filter"))
        if group == "series" and value and value != "no-series":
            view = copy.copy(data)
            view.items = {item_id: data.items[item_id] for item_id in index.get(value, ())}
            return query_items(view, library_id, params, rng)
        return query_items(data, library_id, params, rng)

    fake_module.query_items = indexed  # type: ignore[attr-defined]


def serve_fake(connection: Connection, shape: SyncShape) -> None:
    """Child process: seed, serve on 127.0.0.1, send the URL, serve until told to stop."""
    from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf
    from shelfkeeper.testing.server import LiveServer

    fake = FakeAudiobookshelf(TOKEN)
    _index_series_filter(seed_fake(fake, shape))
    server = LiveServer(fake.app).start()
    in_series = sum(1 for item in fake.data.items.values() if item.series)
    connection.send((server.url, len(fake.data.items), len(fake.data.series), in_series))
    connection.recv()
    server.stop()


# ---- the syncs --------------------------------------------------------------------------------------------------


SYNCS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("full sync, empty database", {}),
    ("incremental sync, nothing changed", {}),
    ("full sync, nothing changed", {"full": True}),
)


def run(shape: SyncShape = SyncShape()) -> tuple[dict[str, int], list[SyncTiming]]:
    """Serve the fake, then run the three syncs twice into fresh SQLite files: timed, then under tracemalloc."""
    spawn = multiprocessing.get_context("spawn")
    parent, child = spawn.Pipe()
    process = spawn.Process(target=serve_fake, args=(child, shape), daemon=True)
    process.start()
    child.close()  # so that a child that dies ends the wait below with EOFError instead of a hang
    try:
        url, items, series, in_series = parent.recv()
        # tracemalloc slows Python down about five times: the times come from a pass without it.
        timed = _pass(url, traced=False)
        traced = _pass(url, traced=True)
    finally:
        parent.send("stop")
        process.join(timeout=30)
    timings = [
        SyncTiming(t.name, t.seconds, m.peak_mib, t.counts, t.requests) for t, m in zip(timed, traced, strict=True)
    ]
    return {"items": items, "series": series, "in_series": in_series}, timings


def _pass(url: str, *, traced: bool) -> list[SyncTiming]:
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'sync.db'}")
        upgrade(engine)
        settings = Settings(data_dir=Path(directory), api_key="bench-key", abs_url=url, abs_token=TOKEN, _env_file=None)
        context = AppContext.from_settings(settings, engine=engine)
        try:
            return [_timed(context, name, parameters, traced=traced) for name, parameters in SYNCS]
        finally:
            engine.dispose()


def _timed(context: AppContext, name: str, parameters: dict[str, Any], *, traced: bool) -> SyncTiming:
    async def sync() -> Any:
        integrations = context.integrations = Integrations(context)
        try:
            return await library_sync_task(RunContext(app=context, parameters=parameters))
        finally:
            await integrations.aclose()

    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    result = asyncio.run(sync())
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    if traced:
        tracemalloc.stop()
    return SyncTiming(name, seconds, peak / 2**20, dict(result.counts), dict(result.metrics["requests"]))


def markdown(sizes: dict[str, int], timings: list[SyncTiming]) -> str:
    """The docs/performance.md section."""
    lines = [
        f"## Library sync of {sizes['items']:,} items ({sizes['series']:,} series)",
        "",
        "bench/library_sync.py: the Audiobookshelf fake, in its own process on 127.0.0.1, serves a generated "
        f"library ({sizes['in_series']:,} books in series, a series' books mostly added together); Shelfkeeper "
        "syncs it into "
        "a fresh SQLite database with 500-item pages (docs/library-sync.md). Times come from one pass; the peak "
        "memory (Shelfkeeper's process only, tracemalloc) from a second pass into another fresh database, since "
        "tracemalloc slows Python down about five times.",
        "",
        "| sync | time (s) | peak memory (MiB) | listing pages | series listings | expanded items | counts |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for t in timings:
        counts = ", ".join(f"{k} {v:,}" for k, v in t.counts.items() if v)
        lines.append(
            f"| {t.name} | {t.seconds:.1f} | {t.peak_mib:.1f} | {t.requests.get('pages', 0):,} | "
            f"{t.requests.get('series_listings', 0):,} | {t.requests.get('expanded_items', 0):,} | {counts} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(*run()))
