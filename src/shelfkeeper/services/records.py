"""Read use cases of the run records: downloads, corrections, tasks and failed attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import Download, FailedAttempt, MetadataCorrection, Task
from shelfkeeper.errors import NotFound
from shelfkeeper.services.paging import PageRequest, PageResult, SortColumn, order_by, paginate

Row = TypeVar("Row", Download, MetadataCorrection, Task, FailedAttempt)


@dataclass(frozen=True)
class RecordKind(Generic[Row]):
    """How one kind of record is found, filtered and sorted."""

    table: type[Row]
    not_found_code: str
    label: str
    filters: tuple[str, ...]
    sorts: dict[str, SortColumn]
    default_sort: str


DOWNLOADS: RecordKind[Download] = RecordKind(
    Download,
    "DOWNLOAD_NOT_FOUND",
    "Download",
    ("status", "indexer", "wanted_book_id", "book_id", "info_hash"),
    {
        "created": Download.created_at,
        "updated": Download.updated_at,
        "priority": Download.priority,
        "progress": Download.progress,
        "id": Download.id,
    },
    "-created",
)
CORRECTIONS: RecordKind[MetadataCorrection] = RecordKind(
    MetadataCorrection,
    "CORRECTION_NOT_FOUND",
    "Correction",
    ("status", "field", "source", "book_id", "task_id"),
    {
        "created": MetadataCorrection.created_at,
        "confidence": MetadataCorrection.confidence,
        "id": MetadataCorrection.id,
    },
    "-created",
)
TASKS: RecordKind[Task] = RecordKind(
    Task,
    "TASK_NOT_FOUND",
    "Task",
    ("name", "status", "trigger"),
    {"started": Task.started_at, "created": Task.created_at, "duration": Task.duration_seconds, "id": Task.id},
    "-created",
)
FAILED_ATTEMPTS: RecordKind[FailedAttempt] = RecordKind(
    FailedAttempt,
    "FAILED_ATTEMPT_NOT_FOUND",
    "Failed attempt",
    ("kind", "book_id", "wanted_book_id", "download_id", "task_id"),
    {"created": FailedAttempt.created_at, "id": FailedAttempt.id},
    "-created",
)


def list_records(
    session: Session,
    kind: RecordKind[Any],
    filters: dict[str, Any],
    page: PageRequest,
    sort: str | None,
    *,
    since: datetime | None = None,
) -> PageResult[Any]:
    """One page of records with equality filters (None values are ignored) and an optional lower time bound."""
    table = kind.table
    query: Select[Any] = select(table)
    for name, value in filters.items():
        if value is not None and name in kind.filters:
            query = query.where(getattr(table, name) == value)
    if since is not None:
        query = query.where(table.created_at >= since)
    return paginate(session, query, page, order_by(sort, kind.sorts, kind.default_sort), table.id.desc())


def get_record(session: Session, kind: RecordKind[Row], record_id: int) -> Row:
    """The one way a record is read by its id: NotFound with the kind's code when there is none."""
    row = session.get(kind.table, record_id)
    if row is None:
        raise NotFound(f"{kind.label} {record_id} not found.", code=kind.not_found_code)
    return row
