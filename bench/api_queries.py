"""Benchmark: list, filter and search requests against 50,000 books, through the real app."""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from bench.library_data import LibraryShape, load_library
from shelfkeeper.api.app import create_app
from shelfkeeper.context import AppContext
from shelfkeeper.db.migrate import upgrade
from shelfkeeper.db.session import make_engine
from shelfkeeper.settings import Settings

KEY = "bench-key"
QUERIES = {
    "list, first page": "/api/books?limit=50",
    "list, deep page": "/api/books?limit=50&offset=40000",
    "list, sorted by author desc": "/api/books?limit=50&sort=-author",
    "list, sorted by added": "/api/books?limit=50&sort=-added",
    "filter: language": "/api/books?language=German&limit=50",
    "filter: has_asin=false": "/api/books?has_asin=false&limit=50",
    "filter: metadata_status": "/api/books?metadata_status=needs_review&limit=50",
    "filter: author_id": "/api/books?author_id=42",
    "filter: series_id": "/api/books?series_id=5",
    "filter: combined": "/api/books?language=English&has_asin=true&metadata_status=ok&sort=-year&limit=50",
    "search: one word": "/api/books?q=citadel&limit=50",
    "search: two words": "/api/books?q=winter%20garden&limit=50",
    "search: author name": "/api/books?q=sorensen&limit=50",
    "search: rare word": "/api/books?q=requiem%20ember%20atlas&limit=50",
    "series list": "/api/series?limit=50",
    "authors list": "/api/authors?limit=50",
    "series completion summary": "/api/series/completion-summary?limit=50",
}


@dataclass(frozen=True)
class Timing:
    name: str
    median_ms: float
    p95_ms: float
    total: int


def run(database_url: str | None = None, *, repeats: int = 30, shape: LibraryShape = LibraryShape()) -> list[Timing]:
    """Load the library into a fresh database (SQLite in a temp dir by default) and time each query."""
    with tempfile.TemporaryDirectory() as directory:
        url = database_url or f"sqlite:///{Path(directory) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        load_library(engine, shape)
        settings = Settings(data_dir=Path(directory), api_key=KEY, _env_file=None)  # type: ignore[call-arg]
        app = create_app(context=AppContext.from_settings(settings, engine=engine))
        timings = []
        with TestClient(app, headers={"X-Api-Key": KEY}) as client:
            for name, path in QUERIES.items():
                first = client.get(path)
                assert first.status_code == 200, (path, first.text)
                samples = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    response = client.get(path)
                    samples.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200
                samples.sort()
                timings.append(
                    Timing(
                        name,
                        statistics.median(samples),
                        samples[int(len(samples) * 0.95) - 1],
                        first.json()["data"]["total"],
                    )
                )
        engine.dispose()
        return timings


def markdown(title: str, timings: list[Timing], limit_ms: float = 50.0) -> str:
    lines = [f"### {title}", "", "| request | matches | median ms | p95 ms | under 50 ms |", "|---|---|---|---|---|"]
    for t in timings:
        lines.append(
            f"| {t.name} | {t.total} | {t.median_ms:.1f} | {t.p95_ms:.1f} | "
            f"{'yes' if t.median_ms < limit_ms else '**no**'} |"
        )
    return "\n".join(lines) + "\n"
