"""``GET /health`` (public): the one route answered before the route areas load (shelfkeeper.api.route_areas)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from shelfkeeper.api.envelope import Envelope, utc_now_iso
from shelfkeeper.services import liveness

router = APIRouter(tags=["system"])


@router.get(
    "/health",
    response_model=Envelope[dict[str, Any]],
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "success": True,
                        "data": {"status": "ok", "version": "0.1.0", "database": {"reachable": True, "error": None}},
                        "error": None,
                        "error_code": None,
                        "timestamp": "2026-11-24T12:00:00Z",
                    }
                }
            }
        }
    },
)
def health(request: Request) -> Any:
    """Public: is the service up, started and its database reachable (503 when not, for container checks)."""
    # The context straight from the app: shelfkeeper.api.deps loads the job runner and the ORM with it.
    areas = getattr(request.app, "route_areas", None)
    failed = areas is not None and areas.failure is not None  # a broken install or start: a container check sees it
    status, body = liveness.answer(
        liveness.health(request.app.state.context), start_up_failed=failed, timestamp=utc_now_iso()
    )
    return body if status == 200 else JSONResponse(body, status_code=status)
