"""Scheduler schemas: job views, job changes, trigger answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from shelfkeeper.api.schemas.common import ApiModel, StrictModel


class LastRun(ApiModel):
    task_id: int
    status: str
    trigger: str
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    error: str | None


class JobRead(ApiModel):
    name: str
    description: str
    schedule: str = Field(description="Five-field cron expression in the scheduler's time zone.")
    default_schedule: str
    overridden: bool
    enabled: bool
    timezone: str
    next_run_at: datetime | None
    running: bool
    running_task_id: int | None
    last_run: LastRun | None


class JobUpdate(StrictModel):
    schedule: str | None = Field(None, min_length=9, max_length=100, description="Cron expression, e.g. '0 2 * * *'.")
    enabled: bool | None = None
    reset_schedule: bool = Field(False, description="Go back to the configured/default schedule.")

    model_config = {"extra": "forbid", "json_schema_extra": {"examples": [{"schedule": "30 2 * * *", "enabled": True}]}}


class TriggerRequest(StrictModel):
    parameters: dict[str, Any] = Field(default_factory=dict, description="Options for this run (e.g. dry_run).")


class TriggerAnswer(ApiModel):
    task_id: int
    name: str
    status: str = "running"


class SchedulerStatus(ApiModel):
    running: bool
    is_leader: bool
    this_process: str
    leader: str | None
    leader_lease_expires_at: str | None
    lease_seconds: float
    timezone: str
    jobs: int
    running_tasks: list[int]
