"""Following a series or an author: every missing book, or "future books only" (released after the follow began)."""

from __future__ import annotations

from datetime import date, datetime


def wanted_while_following(release_date: date | None, *, future_only: bool, since: datetime | None) -> bool:
    """Whether a book the series or author lacks is wanted under the follow mode.

    In "future books only" mode a book is wanted when it comes out on or after the day the follow began; a book
    whose release date no provider gives cannot be shown to be new, so it is left out.
    """
    if not future_only:
        return True
    if release_date is None:
        return False
    return since is None or release_date >= since.date()
