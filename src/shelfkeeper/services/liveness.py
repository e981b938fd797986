"""Liveness: is the service up and does its database answer (what the public ``/health`` reports)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shelfkeeper import __version__

if TYPE_CHECKING:
    from shelfkeeper.context import AppContext

START_UP_FAILED = "The service could not finish starting; its log says why. Restart it once that is fixed."
DATABASE_UNAVAILABLE = "The database cannot be reached."


def health(context: AppContext) -> dict[str, Any]:
    """Whether the database answers; the only thing /health reveals without a key."""
    from shelfkeeper.db.session import database_reachable  # SQLAlchemy: not for the front (api/front.py)

    return report(*database_reachable(context.engine))


def report(reachable: bool, error: str | None) -> dict[str, Any]:
    """What /health says of the service, given whether the database answered (and the error's name if not)."""
    return {
        "status": "ok" if reachable else "degraded",
        "version": __version__,
        "database": {"reachable": reachable, "error": error},
    }


def answer(report: dict[str, Any], *, start_up_failed: bool, timestamp: str) -> tuple[int, dict[str, Any]]:
    """The status and envelope of /health: 503 START_UP_FAILED when the start did not finish (a container check
    sees it), 503 DATABASE_UNAVAILABLE when the database does not answer, else 200."""
    body = {"success": True, "data": report, "error": None, "error_code": None, "timestamp": timestamp}
    if start_up_failed:
        degraded = {**report, "status": "degraded"}
        return 503, {
            **body,
            "data": degraded,
            "success": False,
            "error": START_UP_FAILED,
            "error_code": "START_UP_FAILED",
        }
    if not report["database"]["reachable"]:
        return 503, {**body, "success": False, "error": DATABASE_UNAVAILABLE, "error_code": "DATABASE_UNAVAILABLE"}
    return 200, body
