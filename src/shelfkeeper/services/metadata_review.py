"""Corrections as a person reviews them: one card per book (every changed field, one list of reasons), and the
checks of a bulk review (every id known, every correction in the state the action needs)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from shelfkeeper.db.tables import Book, MetadataCorrection
from shelfkeeper.domain.lifecycle import CorrectionStatus
from shelfkeeper.errors import InvalidInput
from shelfkeeper.services.paging import PageRequest, PageResult

BULK_LIMIT = 200  # ids one bulk review may name


@dataclass(frozen=True)
class BookReview:
    """One book's corrections, oldest field first, and every reason they give, each once."""

    book_id: int
    title: str
    author: str
    corrections: list[MetadataCorrection]
    reasons: list[Any]
    sources: list[str]


@dataclass(frozen=True)
class ReviewFilter:
    status: CorrectionStatus | None = None
    field: str | None = None
    source: str | None = None
    book_id: int | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.status is not None:
            found.append(MetadataCorrection.status == str(self.status))
        if self.field:
            found.append(MetadataCorrection.field == self.field)
        if self.source:
            found.append(MetadataCorrection.source == self.source)
        if self.book_id is not None:
            found.append(MetadataCorrection.book_id == self.book_id)
        return found


def unique_reasons(corrections: Sequence[MetadataCorrection]) -> list[Any]:
    """Every reason of the corrections, in the order first given, each once (the same match explains each field)."""
    seen: set[str] = set()
    reasons: list[Any] = []
    for correction in corrections:
        for reason in correction.reasons or []:
            key = json.dumps(reason, sort_keys=True, default=str)
            if key not in seen:
                seen.add(key)
                reasons.append(reason)
    return reasons


def reviews_by_book(session: Session, chosen: ReviewFilter, page: PageRequest) -> PageResult[BookReview]:
    """The books with matching corrections, the most recently corrected first, each with its corrections."""
    conditions = chosen.conditions()
    newest = func.max(MetadataCorrection.created_at)
    books = select(MetadataCorrection.book_id, newest.label("newest")).where(*conditions)
    books = books.group_by(MetadataCorrection.book_id)
    total = session.scalar(select(func.count()).select_from(books.subquery())) or 0
    ordered = books.order_by(newest.desc(), MetadataCorrection.book_id.desc()).limit(page.limit).offset(page.offset)
    book_ids = [row.book_id for row in session.execute(ordered)]
    rows = session.scalars(
        select(MetadataCorrection)
        .where(MetadataCorrection.book_id.in_(book_ids), *conditions)
        .order_by(MetadataCorrection.field, MetadataCorrection.id)
    ).all()
    facts = {
        row.id: (row.title, row.author_sort)
        for row in session.execute(select(Book.id, Book.title, Book.author_sort).where(Book.id.in_(book_ids)))
    }
    reviews = []
    for book_id in book_ids:
        mine = [row for row in rows if row.book_id == book_id]
        title, author = facts.get(book_id, (f"Book #{book_id}", ""))
        sources = sorted({row.source for row in mine})
        reviews.append(BookReview(book_id, title, author, mine, unique_reasons(mine), sources))
    return PageResult(reviews, total, page.limit, page.offset)


def check_bulk(session: Session, ids: Sequence[int], needed: CorrectionStatus) -> list[int]:
    """The ids, each once, in order; 422 CORRECTION_IDS_INVALID naming the unknown ones and those not ``needed``."""
    unique = list(dict.fromkeys(ids))
    query = select(MetadataCorrection.id, MetadataCorrection.status).where(MetadataCorrection.id.in_(unique))
    found = {row.id: row.status for row in session.execute(query)}
    unknown = [one for one in unique if one not in found]
    wrong = {one: found[one] for one in unique if one in found and found[one] != str(needed)}
    if unknown or wrong:
        parts = []
        if unknown:
            parts.append(f"unknown corrections {', '.join(map(str, unknown))}")
        if wrong:
            parts.append("not " + str(needed) + ": " + ", ".join(f"{one} ({state})" for one, state in wrong.items()))
        raise InvalidInput(
            f"Nothing was reviewed: {'; '.join(parts)}.",
            code="CORRECTION_IDS_INVALID",
            details={"unknown": unknown, "not_" + str(needed): sorted(wrong)},
        )
    return unique
