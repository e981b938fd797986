"""Run every benchmark and write docs/performance.md (``make bench``)."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import api_queries, library_sync, matching

DOC = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
MATCHING_LINK = (
    "## Matching\n\nHow often matching writes or picks the wrong thing, and how many messy items it fixes: "
    "[matching.md](matching.md) (bench/matching.py)."
)


def main() -> None:
    sections = [
        "# Performance",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, by `make bench` (bench/run_all.py). Each request runs through the "
        "real app (routing, auth, validation, serialization) 30 times after one warm-up; the library is 50,000 "
        "books, 6,000 authors and 9,000 series made by bench/library_data.py.",
        "",
        "## API queries at 50,000 books (target: median under 50 ms on SQLite)",
        "",
        api_queries.markdown("SQLite (the embedded default)", api_queries.run()),
    ]
    pg_url = os.environ.get("BENCH_PG_URL")
    if pg_url:
        sections.append(api_queries.markdown("PostgreSQL 15", api_queries.run(pg_url)))
    sync_items = int(os.environ.get("BENCH_SYNC_ITEMS", "50000"))  # smaller for a quick look
    sync_rounds = int(os.environ.get("BENCH_SYNC_ROUNDS", "3"))
    sections += ["", library_sync.section(sync_items, sync_rounds)]
    matching.DOC.write_text(matching.markdown(matching.run()), encoding="utf-8")
    sections += ["", MATCHING_LINK]
    extra = Path(__file__).with_name("extra_sections.md")
    if extra.exists():
        sections.append(extra.read_text(encoding="utf-8"))
    DOC.write_text("\n".join(sections), encoding="utf-8")
    sys.stdout.write(DOC.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
