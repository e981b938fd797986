"""Schemas of the run records: downloads, tasks and failed attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from shelfkeeper.api.schemas.common import ApiModel


class DownloadRead(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    wanted_book_id: int | None
    book_id: int | None
    indexer: str
    release_title: str
    guid: str
    info_hash: str | None
    size_bytes: int | None
    format: str | None
    flags: list[Any]
    release: dict[str, Any]
    status: str
    download_client: str | None = Field(
        None, description="The download client holding it (qbittorrent, transmission, deluge); null while queued."
    )
    client_state: str | None
    progress: float
    eta_seconds: int | None
    download_speed: int | None
    save_path: str | None
    content_path: str | None
    priority: int
    retry_count: int
    next_retry_at: datetime | None
    last_progress_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    imported_at: datetime | None
    result: str | None
    created_at: datetime
    updated_at: datetime


class TaskRead(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    trigger: str
    status: str
    attempt: int
    parameters: dict[str, Any]
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    counts: dict[str, Any]
    metrics: dict[str, Any]
    error: str | None
    traceback: str | None
    created_at: datetime


class FailedAttemptRead(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    subject: str
    reason: str
    evidence: dict[str, Any]
    book_id: int | None
    wanted_book_id: int | None
    download_id: int | None
    task_id: int | None
    created_at: datetime


class BackupRead(ApiModel):
    name: str
    path: str
    size_bytes: int
    created_at: datetime
    backend: str
