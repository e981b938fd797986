"""The page's log viewer: `GET /api/system/logs`, the newest records kept in memory, redacted like every log."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from shelfkeeper.api.envelope import Envelope, error_responses, ok
from shelfkeeper.api.schemas.common import ApiModel
from shelfkeeper.logs import RECENT_CAPACITY, LogLevelName, keep_recent_logs

router = APIRouter(prefix="/api/system", tags=["system"])


class LogRecordRead(ApiModel):
    time: datetime
    level: str
    logger: str
    task_id: int | None = Field(description="The job run that logged it, if any.")
    message: str
    exception: str | None = Field(description="The traceback, redacted.")


class LogsRead(ApiModel):
    level: LogLevelName
    capacity: int = Field(description="How many records the server keeps in memory (the oldest go first).")
    items: list[LogRecordRead]


@router.get("/logs", response_model=Envelope[LogsRead], responses=error_responses())
async def recent_logs(
    level: Annotated[LogLevelName, Query(description="Only records at this level or above.")] = "info",
    limit: Annotated[int, Query(ge=1, le=RECENT_CAPACITY, description="At most this many, newest first.")] = 200,
) -> dict[str, object]:
    """The newest log records of this process, newest first, secrets redacted as in the log file.

    Kept in memory (the last 1000, whatever LOG_LEVEL lets through); a restart empties it."""
    records = keep_recent_logs().recent(logging.getLevelNamesMapping()[level.upper()], limit)
    items = [LogRecordRead.model_validate(entry) for entry in records]
    return ok(LogsRead(level=level, capacity=RECENT_CAPACITY, items=items))
