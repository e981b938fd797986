"""Liveness: is the service up and does its database answer (what the public ``/health`` reports)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shelfkeeper import __version__
from shelfkeeper.db.session import database_reachable

if TYPE_CHECKING:
    from shelfkeeper.context import AppContext


def health(context: AppContext) -> dict[str, Any]:
    """Whether the database answers; the only thing /health reveals without a key."""
    reachable, error = database_reachable(context.engine)
    return {
        "status": "ok" if reachable else "degraded",
        "version": __version__,
        "database": {"reachable": reachable, "error": error},
    }
