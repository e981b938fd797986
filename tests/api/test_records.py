"""The run records on both backends: downloads, corrections, scheduler history and failed attempts.

Rows are arranged with the tables directly, then listed, filtered, sorted, paged and fetched through the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shelfkeeper.db.tables import Book, Download, FailedAttempt, MetadataCorrection, Task, WantedBook
from tests.api.envelope_checks import failed, ok


@dataclass(frozen=True)
class Kind:
    """One kind of record: where it is listed, how its rows look, what it filters and sorts on."""

    path: str
    table: type[Any]
    not_found: str
    rows: list[dict[str, Any]]  # "@book", "@wanted", "@task" stand for rows made first; *_at values are days ago
    filters: list[dict[str, Any]]
    sorts: dict[str, Callable[[dict[str, Any]], Any]]
    bad_queries: list[tuple[str, str]] = field(default_factory=list)


DOWNLOAD_BASE = {"release_title": "Book - Author (m4b)", "flags": ["freeleech"], "release": {"score": 12}}
KINDS = {
    "downloads": Kind(
        path="/api/downloads",
        table=Download,
        not_found="DOWNLOAD_NOT_FOUND",
        rows=[
            {
                **DOWNLOAD_BASE,
                "indexer": "MyAnonamouse",
                "guid": "g1",
                "info_hash": "a" * 40,
                "status": "downloading",
                "priority": 5,
                "progress": 0.5,
                "book_id": "@book",
                "created_at": 3,
                "updated_at": 1,
            },
            {
                **DOWNLOAD_BASE,
                "indexer": "Prowlarr: Abc",
                "guid": "g2",
                "info_hash": "b" * 40,
                "status": "failed",
                "priority": 0,
                "progress": 0.1,
                "wanted_book_id": "@wanted",
                "created_at": 1,
                "updated_at": 3,
                "result": "stalled for 2 hours",
            },
            {
                **DOWNLOAD_BASE,
                "indexer": "MyAnonamouse",
                "guid": "g3",
                "status": "imported",
                "priority": 9,
                "progress": 1.0,
                "book_id": "@book",
                "created_at": 2,
                "updated_at": 2,
                "save_path": "/downloads/x",
            },
        ],
        filters=[
            {"status": "failed"},
            {"status": "queued"},
            {"indexer": "MyAnonamouse"},
            {"indexer": "Nope"},
            {"book_id": "@book"},
            {"wanted_book_id": "@wanted"},
            {"book_id": "@book", "status": "imported"},
        ],
        sorts={
            "created": lambda r: r["created_at"],
            "updated": lambda r: r["updated_at"],
            "priority": lambda r: r["priority"],
            "progress": lambda r: r["progress"],
            "id": lambda r: r["id"],
        },
        bad_queries=[("status=lost", "status"), ("book_id=x", "book_id")],
    ),
    "corrections": Kind(
        path="/api/metadata/corrections",
        table=MetadataCorrection,
        not_found="CORRECTION_NOT_FOUND",
        rows=[
            {
                "book_id": "@book",
                "field": "asin",
                "old_value": None,
                "new_value": "B002UZMLXM",
                "source": "audnexus",
                "confidence": 0.95,
                "status": "applied",
                "reasons": ["isbn match"],
                "task_id": "@task",
                "created_at": 2,
            },
            {
                "book_id": "@book",
                "field": "narrators",
                "old_value": ["A"],
                "new_value": ["A", "B"],
                "source": "google_books",
                "confidence": 0.6,
                "status": "pending",
                "reasons": [],
                "created_at": 1,
            },
            {
                "book_id": "@other_book",
                "field": "published_year",
                "old_value": 2001,
                "new_value": 2006,
                "source": "google_books",
                "confidence": 0.8,
                "status": "reverted",
                "reasons": ["year"],
                "task_id": "@task",
                "created_at": 3,
            },
        ],
        filters=[
            {"status": "pending"},
            {"status": "dry_run"},
            {"field": "asin"},
            {"source": "google_books"},
            {"book_id": "@book"},
            {"book_id": "@other_book"},
            {"task_id": "@task"},
            {"source": "google_books", "book_id": "@book"},
        ],
        sorts={"created": lambda r: r["created_at"], "confidence": lambda r: r["confidence"], "id": lambda r: r["id"]},
        bad_queries=[("status=maybe", "status"), ("task_id=x", "task_id")],
    ),
    "tasks": Kind(
        path="/api/scheduler/history",
        table=Task,
        not_found="TASK_NOT_FOUND",
        rows=[
            {
                "name": "library_sync_task",
                "trigger": "schedule",
                "status": "success",
                "started_at": 3,
                "duration_seconds": 12.5,
                "counts": {"books": 10},
                "metrics": {"requests": 3},
                "created_at": 3,
            },
            {
                "name": "cleanup_old_tasks",
                "trigger": "manual",
                "status": "failed",
                "started_at": 1,
                "duration_seconds": 0.5,
                "error": "boom",
                "traceback": "Traceback ...",
                "attempt": 2,
                "created_at": 1,
            },
            {
                "name": "library_sync_task",
                "trigger": "retry",
                "status": "running",
                "started_at": 2,
                "duration_seconds": 30.0,
                "parameters": {"full": True},
                "created_at": 2,
            },
        ],
        filters=[
            {"name": "library_sync_task"},
            {"name": "mam_scraping_task"},
            {"status": "failed"},
            {"trigger": "retry"},
            {"name": "library_sync_task", "trigger": "schedule"},
        ],
        sorts={
            "started": lambda r: r["started_at"],
            "created": lambda r: r["created_at"],
            "duration": lambda r: r["duration_seconds"],
            "id": lambda r: r["id"],
        },
        bad_queries=[("status=sleeping", "status"), ("trigger=cron", "trigger")],
    ),
    "failed_attempts": Kind(
        path="/api/system/failed-attempts",
        table=FailedAttempt,
        not_found="FAILED_ATTEMPT_NOT_FOUND",
        rows=[
            {
                "kind": "download",
                "subject": "Dune from MAM",
                "reason": "stalled",
                "evidence": {"hours": 3},
                "book_id": 11,
                "download_id": 21,
                "created_at": 2,
            },
            {"kind": "import", "subject": "Dune", "reason": "no audio files", "wanted_book_id": 31, "created_at": 3},
            {
                "kind": "download",
                "subject": "Emma from Prowlarr",
                "reason": "torrent removed",
                "task_id": 41,
                "download_id": 22,
                "created_at": 1,
            },
        ],
        filters=[
            {"kind": "download"},
            {"kind": "search"},
            {"book_id": 11},
            {"wanted_book_id": 31},
            {"download_id": 22},
            {"task_id": 41},
            {"kind": "download", "download_id": 21},
        ],
        sorts={"created": lambda r: r["created_at"], "id": lambda r: r["id"]},
        bad_queries=[("kind=explosion", "kind"), ("download_id=x", "download_id")],
    ),
}


def _references(session: Any, kind: Kind) -> dict[str, int]:
    """The rows the records point at, made only when the records use them (so they do not show up in the lists)."""
    wanted = {value for row in kind.rows for value in row.values() if isinstance(value, str) and value[:1] == "@"}
    made: dict[str, Any] = {}
    for name in sorted(wanted):
        if name in ("@book", "@other_book"):
            made[name] = Book(title=name[1:], title_sort=name[1:])
        elif name == "@wanted":
            made[name] = WantedBook(title="Wanted", reason="manual", source="manual", dedupe_key="wanted|author")
        elif name == "@task":
            made[name] = Task(name="metadata_new_books_task", trigger="schedule", status="success")
    session.add_all(made.values())
    session.flush()
    return {name: row.id for name, row in made.items()}


def _resolve(values: dict[str, Any], references: dict[str, int], now: datetime) -> dict[str, Any]:
    resolved = {}
    for name, value in values.items():
        if isinstance(value, str) and value[:1] == "@":
            value = references[value]
        elif name.endswith("_at"):
            value = now - timedelta(days=value)
        resolved[name] = value
    return resolved


@pytest.fixture(params=sorted(KINDS))
def arranged(request: pytest.FixtureRequest, session: Any) -> tuple[Kind, list[dict[str, Any]], dict[str, int]]:
    """One kind of record with its three rows in the database: the kind, the rows (with ids), the references."""
    kind = KINDS[request.param]
    now = datetime.now(UTC).replace(microsecond=0)
    references = _references(session, kind)
    rows = []
    for spec in kind.rows:
        values = _resolve(spec, references, now)
        row = kind.table(**values)
        session.add(row)
        session.flush()
        rows.append({**values, "id": row.id})
    session.commit()
    return kind, rows, references


def ids(page: dict[str, Any]) -> list[int]:
    return [item["id"] for item in page["items"]]


def newest_first(rows: list[dict[str, Any]]) -> list[int]:
    return [row["id"] for row in sorted(rows, key=lambda r: r["created_at"], reverse=True)]


def test_list_filters_sorts_and_pages(client, arranged):
    kind, rows, references = arranged
    page = ok(client.get(kind.path))
    assert ids(page) == newest_first(rows) and page["total"] == 3
    assert (page["limit"], page["offset"]) == (50, 0)
    for limit, offset in ((1, 0), (1, 2), (2, 2), (2, 3), (5, 100)):
        window = ok(client.get(kind.path, params={"limit": limit, "offset": offset}))
        assert ids(window) == newest_first(rows)[offset : offset + limit], (limit, offset)
        assert (window["total"], window["limit"], window["offset"]) == (3, limit, offset)
    for params in kind.filters:
        resolved = _resolve(params, references, datetime.now(UTC))
        expected = newest_first([row for row in rows if all(row.get(k) == v for k, v in resolved.items())])
        page = ok(client.get(kind.path, params=resolved))
        assert (ids(page), page["total"]) == (expected, len(expected)), params
    for name, key in kind.sorts.items():
        for descending in (False, True):
            expected = [row["id"] for row in sorted(rows, key=key, reverse=descending)]
            page = ok(client.get(kind.path, params={"sort": f"-{name}" if descending else name}))
            assert ids(page) == expected, (name, descending)


def test_get_one_and_a_missing_one(client, arranged):
    kind, rows, _ = arranged
    for row in rows:
        record = ok(client.get(f"{kind.path}/{row['id']}"))
        for name, value in row.items():
            if isinstance(value, datetime):
                assert datetime.fromisoformat(record[name]) == value, name
            else:
                assert record[name] == value, name
    missing = max(row["id"] for row in rows) + 1000
    assert str(missing) in failed(client.get(f"{kind.path}/{missing}"), 404, kind.not_found)["error"]


def test_empty_lists_missing_records_and_bad_queries(client):
    for kind in KINDS.values():
        page = ok(client.get(kind.path))
        assert (page["items"], page["total"]) == ([], 0)
        failed(client.get(f"{kind.path}/1"), 404, kind.not_found)
        failed(client.get(f"{kind.path}/1x"), 422, "VALIDATION_ERROR")
        queries = [
            *kind.bad_queries,
            ("sort=colour", "sort"),
            ("limit=0", "limit"),
            ("limit=501", "limit"),
            ("offset=-1", "offset"),
        ]
        for query, name in queries:
            error = failed(client.get(f"{kind.path}?{query}"), 422, "VALIDATION_ERROR")
            assert [entry["field"] for entry in error["details"]] == [name], query
        error = failed(client.get(kind.path, params={"sort": "-colour"}), 422, "VALIDATION_ERROR")
        for allowed in kind.sorts:
            assert allowed in error["error"]
