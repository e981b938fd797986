"""Turning every failure into the envelope with its stable error code and HTTP status."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shelfkeeper.api.envelope import error_response
from shelfkeeper.errors import ServiceRateLimited, ShelfkeeperError

logger = logging.getLogger("shelfkeeper.api")

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    429: "RATE_LIMITED",
}


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    fields = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        fields.append(
            {
                "field": ".".join(location[1:]) or location[0] if location else "",
                "location": location[0] if location else "",
                "message": error.get("msg", ""),
                "type": error.get("type", ""),
            }
        )
    return fields


async def _on_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
    fields = _field_errors(exc)
    if any(f["type"] == "json_invalid" for f in fields):
        return error_response(400, "BAD_REQUEST", "The request body is not valid JSON.", fields)
    summary = "; ".join(f"{f['field'] or f['location']}: {f['message']}" for f in fields)
    return error_response(422, "VALIDATION_ERROR", f"Invalid input: {summary}", fields)


async def _on_domain_error(_request: Request, exc: ShelfkeeperError) -> JSONResponse:
    headers = None
    if isinstance(exc, ServiceRateLimited) and exc.retry_after:
        headers = {"Retry-After": str(int(exc.retry_after))}
    if exc.status >= 500:
        logger.warning("request failed: %s (%s)", exc.message, exc.code)
    return error_response(exc.status, exc.code, exc.message, exc.details, headers)


async def _on_http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "INTERNAL_ERROR" if exc.status_code >= 500 else "BAD_REQUEST")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ").capitalize()
    return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))


async def _on_database(_request: Request, exc: OperationalError) -> JSONResponse:
    logger.error("database error: %s", type(exc.orig).__name__ if exc.orig else exc)
    return error_response(503, "DATABASE_UNAVAILABLE", "The database cannot be reached right now.")


async def _on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error", exc_info=exc)
    return error_response(500, "INTERNAL_ERROR", "An unexpected error happened; see the server log.")


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(RequestValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(ShelfkeeperError, _on_domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http)  # type: ignore[arg-type]
    app.add_exception_handler(OperationalError, _on_database)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_unexpected)
