"""Metadata correction schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shelfkeeper.api.schemas.common import ApiModel


class CorrectionRead(ApiModel):
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


class BookReviewRead(ApiModel):
    """One book's corrections as one card: every changed field, and every reason given, each once."""

    book_id: int
    title: str
    author: str
    corrections: list[CorrectionRead]
    reasons: list[Any] = Field(description="The reasons of all its corrections, each once, in the order given.")
    sources: list[str]

    @classmethod
    def of(cls, review: Any) -> BookReviewRead:
        return cls(
            book_id=review.book_id,
            title=review.title,
            author=review.author,
            corrections=[CorrectionRead.model_validate(row) for row in review.corrections],
            reasons=review.reasons,
            sources=review.sources,
        )


class BulkReviewRequest(BaseModel):  # a request body: built at once (see StrictModel)
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"action": "approve", "ids": [12, 13]}})

    action: Literal["approve", "reject"]
    ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(
        min_length=1, max_length=200, description="Pending corrections (at most 200)."
    )


class BulkFailureRead(ApiModel):
    id: int
    error: str
    error_code: str


class BulkReviewRead(ApiModel):
    action: str
    done: list[CorrectionRead] = Field(description="The corrections moved (approved or rejected).")
    failed: list[BulkFailureRead] = Field(description="Approvals refused one by one (the others went on).")
