"""Benchmark: library syncs from the Audiobookshelf fake, each beside its floor, in interleaved rounds.

The fake serves a generated library from its own process (bench/sync_library_data.py). Every measurement
runs in a fresh process of its own, so that its peak resident memory is its own: a sync's process imports
the whole app first, as the server does. Each round runs, one after the other: the full sync's floor and
the full sync (each into an empty SQLite file), then, on the synced database, the unchanged floor, the
incremental sync and the full sync of an unchanged library (each beside the unchanged floor of its round).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench.sync_library_data import LIBRARY_ID, SHORT_SERIES, TOKEN, SyncShape, serve_fake

GOALS = {"full": "< 15 s and ≤ 2× floor (50,000 items)", "incremental": "≤ 1.3× floor", "full_unchanged": "—"}
SPAWN = multiprocessing.get_context("spawn")


@dataclass
class Series:
    """The samples of one measured kind, with its floor's samples and the loads they ran under."""

    name: str
    goal: str
    seconds: list[float] = field(default_factory=list)
    floors: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # CPU seconds of the measured process (all its threads)
    floor_cpu: list[float] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)
    peak_mib: list[float] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """Median wall seconds over the floor's: what a user waits, moved by the machine's load."""
        return statistics.median(self.seconds) / statistics.median(self.floors)

    @property
    def cpu_ratio(self) -> float:
        """Median CPU seconds over the floor's: the work done client-side, whatever else the machine runs."""
        return statistics.median(self.cpu) / statistics.median(self.floor_cpu)


# ---- the measured processes -------------------------------------------------------------------------------------


def _measure(connection: Connection, kind: str, url: str, db: str, parameters: dict[str, Any]) -> None:
    """Child process: one floor or one sync, timed in wall and CPU seconds; the sync also reports its process'
    peak RSS. The CPU time is this process' own (``time.process_time``: every thread of it, the sync's database
    thread included, SQLite's work included): the fake answers from another process, so none of its work counts,
    for the sync as for its floor. The Audiobookshelf adapter, which a server imports when it first uses it (httpx
    with it: some 0.1 s, a tenth of a 20,000-item unchanged sync's CPU), is imported before the timers, as the
    floor's httpx is."""
    import asyncio
    import resource
    import time

    import shelfkeeper.adapters.audiobookshelf  # imported on first use by a server: see above
    import shelfkeeper.api.app  # noqa: F401 - the server's imports, so the memory is the server's
    from bench import sync_floors
    from shelfkeeper.automation.library_sync import library_sync_task
    from shelfkeeper.automation.run_context import RunContext
    from shelfkeeper.context import AppContext
    from shelfkeeper.db.migrate import upgrade
    from shelfkeeper.db.session import make_engine
    from shelfkeeper.integrations import Integrations
    from shelfkeeper.settings import Settings

    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    result: dict[str, Any] = {"load": os.getloadavg()[0]}
    if kind in ("full_floor", "unchanged_floor"):
        floor = sync_floors.full_floor if kind == "full_floor" else sync_floors.unchanged_floor
        cpu_started = time.process_time()
        result["seconds"] = floor(engine, url, TOKEN, LIBRARY_ID)
        result["cpu"] = time.process_time() - cpu_started
    else:
        directory = Path(db).parent
        settings = Settings(data_dir=directory, api_key="bench-key", abs_url=url, abs_token=TOKEN, _env_file=None)
        context = AppContext.from_settings(settings, engine=engine)

        async def sync() -> Any:
            integrations = context.integrations = Integrations(context)
            try:
                return await library_sync_task(RunContext(app=context, parameters=parameters))
            finally:
                await integrations.aclose()

        started, cpu_started = time.perf_counter(), time.process_time()
        answer = asyncio.run(sync())
        result["seconds"] = time.perf_counter() - started
        result["cpu"] = time.process_time() - cpu_started
        result["peak_mib"] = _peak_mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        result["counts"] = {k: v for k, v in answer.counts.items() if v}
        result["requests"] = dict(answer.metrics["requests"])
        result["formats_read"] = answer.metrics.get("formats_read", 0)
    engine.dispose()
    connection.send(result)


def _peak_mib(maxrss_mib: float) -> float:
    """This process' own peak resident memory. Linux keeps ``ru_maxrss`` across ``execve``, so a spawned child
    starts with its parent's peak (under bench/run_all.py the parent held the list benchmark's library: every
    sync showed 249 MiB); ``VmHWM`` belongs to the new address space and starts from nothing."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return maxrss_mib


def _run(kind: str, url: str, db: Path, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    parent, child = SPAWN.Pipe()
    process = SPAWN.Process(target=_measure, args=(child, kind, url, str(db), parameters or {}))
    process.start()
    child.close()
    try:
        return dict(parent.recv())
    finally:
        process.join(timeout=60)


def _fill_formats(db: Path) -> None:
    """The state the format pass leaves behind after its runs: every book's format known (not timed)."""
    import sqlite3

    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE books SET format = 'm4b' WHERE format IS NULL")


# ---- rounds --------------------------------------------------------------------------------------------------


def run(shape: SyncShape, rounds: int) -> tuple[dict[str, int], list[Series]]:
    """Serve the fake, then ``rounds`` interleaved rounds of floors and syncs."""
    parent, child = SPAWN.Pipe()
    server = SPAWN.Process(target=serve_fake, args=(child, shape), daemon=True)
    server.start()
    child.close()  # a child that dies ends the wait below with EOFError instead of a hang
    results = {
        "full": Series("full sync, empty database", GOALS["full"]),
        "incremental": Series("incremental sync, nothing changed", GOALS["incremental"]),
        "full_unchanged": Series("full sync, nothing changed", GOALS["full_unchanged"]),
    }
    try:
        url, items, series, in_series = parent.recv()
        for _ in range(rounds):
            _round(url, results)
    finally:
        parent.send("stop")
        server.join(timeout=30)
    return {"items": items, "series": series, "in_series": in_series}, list(results.values())


def _round(url: str, results: dict[str, Series]) -> None:
    directory = Path(tempfile.mkdtemp(prefix="shelfkeeper-sync-bench-"))
    try:
        floor = _run("full_floor", url, directory / "floor.db")
        synced = _run("sync", url, directory / "sync.db")
        _record(results["full"], synced, floor)
        _fill_formats(directory / "sync.db")
        for key, parameters in (("incremental", {}), ("full_unchanged", {"full": True})):
            floor = _run("unchanged_floor", url, directory / "sync.db")
            _record(results[key], _run("sync", url, directory / "sync.db", parameters), floor)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _record(series: Series, synced: dict[str, Any], floor: dict[str, Any]) -> None:
    series.seconds.append(synced["seconds"])
    series.floors.append(floor["seconds"])
    series.cpu.append(synced["cpu"])
    series.floor_cpu.append(floor["cpu"])
    series.loads += [floor["load"], synced["load"]]
    series.peak_mib.append(synced["peak_mib"])
    series.counts, series.requests = synced["counts"], {**synced["requests"], "formats": synced["formats_read"]}


# ---- the report ------------------------------------------------------------------------------------------------


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def markdown(shape: SyncShape, sizes: dict[str, int], results: list[Series]) -> str:
    """One docs/performance.md section."""
    rounds = len(results[0].seconds)
    lines = [
        f"### {shape.name}: {sizes['items']:,} items, {sizes['series']:,} series "
        f"({sizes['in_series']:,} books in series)",
        "",
        "| sync | median s | p99 s | floor median s | ratio | CPU s | floor CPU s | CPU ratio | goal | peak RSS MiB "
        "| load (1 min) | requests | counts |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---|---|",
    ]
    for series in results:
        median, floor = statistics.median(series.seconds), statistics.median(series.floors)
        cpu, floor_cpu = statistics.median(series.cpu), statistics.median(series.floor_cpu)
        requests = ", ".join(f"{k} {v:,}" for k, v in series.requests.items() if v)
        counts = ", ".join(f"{k} {v:,}" for k, v in series.counts.items())
        loads = f"{min(series.loads):.1f}–{max(series.loads):.1f}"
        lines.append(
            f"| {series.name} | {median:.2f} | {_p99(series.seconds):.2f} | {floor:.2f} | {series.ratio:.2f}× | "
            f"{cpu:.2f} | {floor_cpu:.2f} | {series.cpu_ratio:.2f}× | {series.goal} | {max(series.peak_mib):.0f} | "
            f"{loads} | {requests} | {counts} |"
        )
    lines.append("")
    lines.append(
        f"{rounds} interleaved round(s); p99 is the slowest of so few samples. Seconds are wall time; CPU s is the "
        "measured process' own CPU time (all its threads, SQLite's work included; the fake serves from another "
        "process, so none of its work counts, for the sync as for the floor): its ratio holds whatever else the "
        "machine runs, where the wall ratio moves with the load."
    )
    return "\n".join(lines) + "\n"


Run = tuple[SyncShape, dict[str, int], list[Series]]


def runs(items: int = 50_000, rounds: int = 3, *, short_series: bool = True) -> list[Run]:
    """The main library's rounds, then the independently shaped one's (unless ``short_series`` is False)."""
    main = SyncShape(items=items, name=f"{items:,} items, series mostly added together")
    measured = []
    for shape in (main, SHORT_SERIES) if short_series else (main,):
        measured.append((shape, *run(shape, rounds)))
        sys.stderr.write(
            markdown(*measured[-1])
        )  # each library's figures as soon as they are known (a long run may be cut)
    return measured


def section(measured: list[Run]) -> str:
    """The sync section of docs/performance.md."""
    parts = [
        "## Library sync, each beside its floor",
        "",
        "bench/library_sync.py: the Audiobookshelf fake serves a generated library from its own process on "
        "127.0.0.1; every sync and every floor runs in a fresh process, Shelfkeeper's importing the whole app "
        "first (its peak RSS is the server's). Floors (bench/sync_floors.py) make the same requests to the same "
        "fake (the series listing, then the item listing), parse them with `json`, and insert one row per item "
        "with a Core `executemany` (full sync) or compare each item's `updatedAt` with the database (unchanged "
        "syncs). Before the unchanged rounds every book's audio format is set, as the format pass leaves it "
        "after its runs (a full sync of 50,000 new items reads 1,000 formats; docs/library-sync.md).",
        "",
    ]
    parts += [markdown(*one) for one in measured]
    return "\n".join(parts)


if __name__ == "__main__":
    # A smaller, faster run: BENCH_SYNC_ITEMS=10000 BENCH_SYNC_ROUNDS=1 BENCH_SYNC_SHORT_SERIES=0
    items, rounds = int(os.environ.get("BENCH_SYNC_ITEMS", "50000")), int(os.environ.get("BENCH_SYNC_ROUNDS", "3"))
    print(section(runs(items, rounds, short_series=os.environ.get("BENCH_SYNC_SHORT_SERIES", "1") != "0")))
