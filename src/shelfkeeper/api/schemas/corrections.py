"""Metadata correction schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class CorrectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    book_id: int
    field: str
    old_value: Any
    new_value: Any
    source: str
    confidence: float
    status: str
    reasons: list[Any]
    task_id: int | None
    created_at: datetime
    applied_at: datetime | None
    reverted_at: datetime | None
