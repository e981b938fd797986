"""What the library sync leaves in the database, hashed: for proving that a change to the sync writes the same bytes.

A generated library (bench/sync_library_data.py, plus a few hand-written tricky items) is served by the
Audiobookshelf fake; the sync runs in stages: a full sync into an empty database, an incremental and a full sync
of the unchanged library, then changes made in Audiobookshelf (a series renamed, items deleted, edited, moved to
another series, moved to another folder, added) synced incrementally, then fully. After each stage every table is
dumped, its rows sorted, and hashed. Run it before and after a change: the hashes must be equal.

Times the database writes itself (``created_at``/``updated_at``, its own clock) cannot be equal between runs:
each is replaced by the stage in which it first appeared, so that which rows a stage wrote still counts. Every
other time comes from the test clock. SQLite's full-text index is dumped through ``fts5vocab`` (every term of
every row at its place), not through its segment tables, whose layout depends on how the rows were batched.

    PYTHONPATH=src:. python -m bench.sync_equality [--items N] [--seed S] [--page-size P] [--backend sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import tempfile
import time
import types
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from bench.sync_library_data import LIBRARY_ID, TRICKY, SyncShape, seed_fake
from shelfkeeper.testing.clock import SyncClock as Clock

TOKEN = "abs-equality-token-0123456789"
SERVER_TIMES = {"created_at", "updated_at", "monitored_since"}  # written by the database's now()
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _deterministic_ids(seed: int) -> None:
    """The fake's ids (uuid4) drawn from a seeded generator, so that two runs list the same items."""
    from shelfkeeper.testing.fakes import audiobookshelf_data

    rng = random.Random(seed)
    audiobookshelf_data.uuid = types.SimpleNamespace(  # type: ignore[attr-defined]
        uuid4=lambda: uuid.UUID(int=rng.getrandbits(128), version=4)
    )


def _change(fake: Any, clock: Clock, seed: int) -> None:
    """What happens in Audiobookshelf between syncs: renames, deletions, edits, moves, additions."""
    clock.now += 3600
    data = fake.data
    rng = random.Random(seed)
    series = sorted(data.series.values(), key=lambda s: s["id"])
    for renamed in rng.sample(series, min(3, len(series))):
        data.update_series(renamed["id"], {"name": renamed["name"] + " (Renamed)"})
    if len(series) > 2:  # a rename onto another series' name: the two are folded together
        data.update_series(series[0]["id"], {"name": series[1]["name"]})
    items = sorted(data.items)
    for item_id in rng.sample(items, max(1, len(items) // 50)):
        data.delete_item(item_id)
    items = sorted(data.items)
    for item_id in rng.sample(items, max(1, len(items) // 40)):  # moved to another series, or out of any
        target = rng.choice(sorted(data.series.values(), key=lambda s: s["id"]))
        moved = [{"name": target["name"], "sequence": str(rng.randint(1, 9))}] if rng.random() < 0.8 else []
        data.apply_media_patch(data.items[item_id], {"metadata": {"series": moved}})
    for item_id in rng.sample(items, max(1, len(items) // 40)):  # edited: title, narrators
        item = data.items[item_id]
        data.apply_media_patch(item, {"metadata": {"title": item.title + " (Revised)", "narrators": ["Stephen Fry"]}})
    for item_id in rng.sample(items, max(1, len(items) // 60)):  # moved to another folder
        item = data.items[item_id]
        item.path, item.updated_at = item.path + " (moved)", data.stamp()
    for item_id in rng.sample(items, max(1, len(items) // 80)):  # missing on disk
        item = data.items[item_id]
        item.is_missing, item.updated_at = True, data.stamp()
    fake.add_item(LIBRARY_ID, "The Expanse Boxed Set", authors=["James S. A. Corey"], series=[("The Expanse", "1-3")])
    fake.add_item(LIBRARY_ID, "A Standalone Arrival", authors=["Le Guin, Ursula K.", "Someone Else"])


# ---- the dump -------------------------------------------------------------------------------------------------


class Dumper:
    """Every table's rows, sorted, hashed; database-written times replaced by the stage they first appeared in."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.first_seen: dict[Any, int] = {}
        self.stage = 0

    def dump(self) -> dict[str, str]:
        hashes: dict[str, str] = {}
        with self.engine.connect() as connection:
            names = sorted(inspect(connection).get_table_names())
            for name in names:
                if name.startswith("books_fts"):
                    continue  # the segment tables: layout, not content (the index is dumped below)
                result = connection.execute(text(f'SELECT * FROM "{name}"'))
                keys = list(result.keys())
                rows = sorted(repr(self._row(keys, row)) for row in result)
                hashes[name] = _hash(rows)
            if self.engine.dialect.name == "sqlite":
                connection.exec_driver_sql(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_terms USING fts5vocab(main, books_fts, instance)"
                )
                terms = connection.exec_driver_sql("SELECT term, doc, col, offset FROM temp.fts_terms").all()
                hashes["books_fts(terms)"] = _hash(sorted(repr(tuple(t)) for t in terms))
        self.stage += 1
        return hashes

    def _row(self, keys: list[str], row: Any) -> tuple[Any, ...]:
        values = []
        for key, value in zip(keys, row, strict=True):
            if key in SERVER_TIMES and value is not None:
                value = f"stage {self.first_seen.setdefault(value, self.stage)}"
            values.append(value)
        return tuple(values)


def _hash(rows: list[str]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(row.encode())
        digest.update(b"\n")
    return f"{len(rows)}:{digest.hexdigest()[:16]}"


# ---- the stages -----------------------------------------------------------------------------------------------


@contextmanager
def _database(backend: str, directory: Path) -> Iterator[Engine]:
    from shelfkeeper.db.migrate import upgrade
    from shelfkeeper.db.session import make_engine

    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{directory / 'equality.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    import psycopg

    name = f"shelfkeeper_equality_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    url = make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def _sync(engine: Engine, url: str, directory: Path, clock: Clock, **parameters: Any) -> dict[str, int]:
    from shelfkeeper.automation.library_sync import library_sync_task
    from shelfkeeper.automation.run_context import RunContext
    from shelfkeeper.context import AppContext
    from shelfkeeper.integrations import Integrations
    from shelfkeeper.settings import Settings
    from shelfkeeper.testing.clock import RecordingSleep

    settings = Settings(data_dir=directory, api_key="k" * 32, abs_url=url, abs_token=TOKEN, _env_file=None)
    context = AppContext.from_settings(settings, engine=engine)
    context.integrations = Integrations(context, sleep=RecordingSleep())

    async def run() -> Any:
        try:
            return await library_sync_task(RunContext(app=context, parameters=parameters, clock=clock.datetime))
        finally:
            await context.integrations.aclose()

    return {k: v for k, v in asyncio.run(run()).counts.items() if v}


def stages(backend: str, items: int, seed: int, page_size: int) -> list[tuple[str, dict[str, int], dict[str, str]]]:
    """Each stage's name, the sync's counts and the tables' hashes."""
    from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf
    from shelfkeeper.testing.server import serve

    _deterministic_ids(seed)
    clock = Clock()
    fake = FakeAudiobookshelf(TOKEN, clock=clock)
    seed_fake(fake, SyncShape(items=items, authors=max(10, items // 6), seed=seed))
    for title, fields in TRICKY.items():
        fake.add_item(LIBRARY_ID, title, **fields)
    done = []
    with tempfile.TemporaryDirectory(prefix="sync-equality-") as tmp, _database(backend, Path(tmp)) as engine:
        dumper = Dumper(engine)
        dumper.dump()  # the migrated, empty database: its times are stage 0
        with serve(fake.app) as live:
            plan: list[tuple[str, dict[str, Any]]] = [
                ("full, empty database", {"full": True}),
                ("incremental, unchanged", {}),
                ("full, unchanged", {"full": True}),
                ("incremental, after changes", {}),
                ("full, after more changes", {"full": True}),
            ]
            for number, (name, parameters) in enumerate(plan):
                if number in (3, 4):
                    _change(fake, clock, seed + number)
                clock.now += 60
                time.sleep(1.1)  # SQLite's CURRENT_TIMESTAMP has whole seconds: each stage its own
                counts = _sync(engine, live.url, Path(tmp), clock, page_size=page_size, **parameters)
                done.append((name, counts, dumper.dump()))
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    options = parser.parse_args()
    total = hashlib.sha256()
    for name, counts, hashes in stages(options.backend, options.items, options.seed, options.page_size):
        print(f"## {name}: {counts}")
        for table, digest in hashes.items():
            print(f"  {table}: {digest}")
            total.update(f"{name}|{table}|{digest}".encode())
        total.update(f"{name}|{sorted(counts.items())}".encode())
    print(f"all: {total.hexdigest()}")


if __name__ == "__main__":
    main()
