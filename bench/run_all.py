"""Run every benchmark and write docs/performance.md (``make bench``)."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import analysis, api_queries, library_sync, matching, startup, summary

DOC = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
MATCHING_LINK = (
    "## Matching\n\nHow often matching writes or picks the wrong thing, and how many messy items it fixes: "
    "[matching.md](matching.md) (bench/matching.py)."
)


def main() -> None:
    loop_s = summary.reference_loop()
    intro = [
        "# Performance",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, by `make bench` (bench/run_all.py). The machine may be shared: "
        "every figure stands beside its floor, measured in the same rounds, and beside the load average "
        "(`os.getloadavg`) while it was taken; ratios hold up under load better than milliseconds do.",
        "",
    ]
    sqlite = api_queries.run()
    # PostgreSQL: a fresh database through this admin URL (the test server's by default), skipped when unreachable.
    pg_admin = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    postgresql = api_queries.run_postgresql(pg_admin)
    analysed, started = analysis.run(), startup.run()
    sync_items = int(os.environ.get("BENCH_SYNC_ITEMS", "50000"))  # smaller for a quick look
    sync_rounds = int(os.environ.get("BENCH_SYNC_ROUNDS", "3"))
    synced = library_sync.runs(sync_items, sync_rounds)
    glance = summary.markdown(
        loop_s=loop_s, sqlite=sqlite, postgresql=postgresql, analysed=analysed, started=started, synced=synced
    )
    sections = [
        *intro,
        glance,
        "## List requests at 50,000 books",
        "",
        "bench/api_queries.py: each request goes through the real app in-process over ASGI (routing, API key, "
        "validation, SQL, serialization) after one warm-up; the library is 50,000 books, 6,000 authors and 9,000 "
        "series made by bench/library_data.py. The floor runs the very SQL the app ran for that request through "
        "the raw driver (`sqlite3` / `psycopg`) and answers `json.dumps` of every row, behind a bare ASGI callable "
        "called the same way; *of which SQL + JSON* is that work alone, without the call.",
        "",
        api_queries.markdown("SQLite (the embedded default)", sqlite),
        api_queries.markdown("PostgreSQL", postgresql) if postgresql else f"PostgreSQL: not reachable at {pg_admin}.\n",
        "",
        analysis.markdown(analysed),
        startup.markdown(started),
        "",
        library_sync.section(synced),
    ]
    matching.DOC.write_text(matching.markdown(matching.run()), encoding="utf-8")
    sections += ["", MATCHING_LINK]
    extra = Path(__file__).with_name("extra_sections.md")
    if extra.exists():
        sections.append(extra.read_text(encoding="utf-8"))
    DOC.write_text("\n".join(sections), encoding="utf-8")
    sys.stdout.write(DOC.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
