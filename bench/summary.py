"""The goals of issue #11 beside this run's figures, and how fast the machine was (docs/performance.md's summary).

Written from the results themselves, so the summary cannot disagree with the tables below it. The machine's speed
is one figure any later run can be compared with: machines of one kind have differed by 3× between runs, which
moves every figure in seconds and hardly any ratio.
"""

from __future__ import annotations

import statistics
import time

from bench import analysis, api_queries, library_sync, startup

LOOP_STEPS = 10_000_000


def reference_loop(rounds: int = 3) -> float:
    """Seconds the fastest of ``rounds`` runs of a plain Python loop of ten million additions takes here."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        total = 0
        for step in range(LOOP_STEPS):
            total += step
        best = min(best, time.perf_counter() - started)
    return best


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _lists(result: api_queries.Result | None, name: str) -> tuple[str, str, str]:
    if result is None:
        return (f"{name} lists", "not measured (database not reachable)", "—")
    goal = api_queries.GOALS[result.dialect]
    medians = [t.median_ms for t in result.timings]
    p99s = [t.p99_ms for t in result.timings]
    figure = f"medians {min(medians):.1f}–{max(medians):.1f} ms, p99 ≤ {max(p99s):.1f} ms"
    ok = max(medians) < goal.median_ms and max(p99s) < goal.p99_ms
    slow = [t for t in result.timings if t.median_ms >= goal.median_ms or t.p99_ms >= goal.p99_ms]
    if slow:
        figure += " (over: " + ", ".join(f"{t.name} {t.median_ms:.1f} / {t.p99_ms:.1f} ms" for t in slow) + ")"
    wanted = f"{name} lists: median < {goal.median_ms:g} ms, p99 < {goal.p99_ms:g} ms"
    if goal.max_ratio is not None:
        over = [t for t in result.timings if t.ratio > goal.max_ratio]
        wanted += f", ≤ {goal.max_ratio:g}× floor"
        figure += f"; ratio met on {len(result.timings) - len(over)} of {len(result.timings)}"
        if over:
            figure += " (not: " + ", ".join(f"{t.name} {t.ratio:.2f}×" for t in over) + ")"
        ok = ok and not over
    return (wanted, figure, _met(ok))


def _sync(measured: list[library_sync.Run]) -> list[tuple[str, str, str]]:
    rows = []
    (_main, sizes, main), *others = measured
    full, incremental = main[0], main[1]
    seconds, floor = statistics.median(full.seconds), statistics.median(full.floors)
    rows.append(
        (
            f"full sync of {sizes['items']:,} items < 15 s and ≤ 2× floor",
            f"{seconds:.1f} s, {full.ratio:.2f}× (CPU {full.cpu_ratio:.2f}×; floor {floor:.1f} s)",
            _met(seconds < 15 and full.ratio <= 2),
        )
    )
    unchanged = [(sizes["items"], incremental)] + [(s["items"], r[1]) for _, s, r in others]
    rows.append(
        (
            "incremental sync, unchanged, ≤ 1.3× floor",
            ", ".join(f"{r.ratio:.2f}× (CPU {r.cpu_ratio:.2f}×; {items:,} items)" for items, r in unchanged),
            _met(all(r.ratio <= 1.3 for _, r in unchanged)),
        )
    )
    peaks = [max(max(series.peak_mib) for series in r) for _, _, r in measured]
    rows.append(
        ("peak sync memory ≤ 150 MiB", " / ".join(f"{peak:.0f} MiB" for peak in peaks), _met(max(peaks) <= 150))
    )
    return rows


def markdown(
    *,
    loop_s: float,
    sqlite: api_queries.Result,
    postgresql: api_queries.Result | None,
    analysed: analysis.AnalysisResult,
    started: startup.StartupResult,
    synced: list[library_sync.Run],
) -> str:
    rows = [*_sync(synced), _lists(sqlite, "SQLite"), _lists(postgresql, "PostgreSQL")]
    for figure in analysed.figures:
        rows.append(
            (
                f"{figure.name} < {figure.goal_s:g} s",
                f"{figure.median_s:.3f} s (floor {figure.floor_median_s:.3f} s)",
                _met(figure.median_s < figure.goal_s),
            )
        )
    rows.append(
        (
            f"start-up to `/health` < {startup.GOAL_SECONDS:g} s",
            f"{started.median_s:.2f} s (a bare FastAPI app: {started.floor_median_s:.2f} s)",
            _met(started.median_s < startup.GOAL_SECONDS),
        )
    )
    lines = [
        "## Issue #11 at a glance (this run)",
        "",
        "Written by bench/summary.py from the tables below. How fast this machine is: a plain Python loop of ten "
        f"million additions took {loop_s:.2f} s (the best of three). Machines of this kind have differed by up to 3× "
        "from one session to the next (the bare FastAPI start-up floor below took 0.28 s on one and 0.83 s on "
        "another): seconds move with the machine, ratios hardly do.",
        "",
        "| goal | figure | met |",
        "|---|---|---|",
    ]
    lines += [f"| {goal} | {figure} | {met} |" for goal, figure, met in rows]
    return "\n".join(lines) + "\n"
