"""The project's error tree and the one table of stable error codes.

Every error the program raises on purpose is a ``ShelfkeeperError``; the API turns each one into
the envelope with its ``error_code`` and the HTTP status the table gives that code.

    ShelfkeeperError
    ├── NotFound                    a resource does not exist               404
    ├── Conflict                    a duplicate or a forbidden state move   409
    ├── InvalidInput                input the schema could not catch        422 / 400
    ├── Unauthorized                missing or wrong API key                401
    ├── ConfigurationError          a setting is missing or wrong           500 / 503
    └── ServiceError                an outside service failed               502
        ├── ServiceUnreachable      connection refused, timeout, DNS        503
        │   └── CircuitOpen         too many failures: calls are held back  503
        ├── ServiceAuthFailed       the service refused our credentials     502
        ├── ServiceRateLimited      429 with an optional Retry-After        429
        ├── QuotaExhausted          daily budget or provider quota used up  429
        ├── ServiceBadResponse      an answer we cannot understand          502
        └── ServiceNotConfigured    the user has not set the service up     503
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCode:
    """One stable machine code with its HTTP status and its meaning for the reference docs."""

    code: str
    status: int
    meaning: str


_CODES = [
    # generic
    ErrorCode("VALIDATION_ERROR", 422, "The request's body, path or query failed validation."),
    ErrorCode("BAD_REQUEST", 400, "The request is malformed (for example a body that is not JSON)."),
    ErrorCode("PAYLOAD_TOO_LARGE", 413, "The request body is larger than MAX_REQUEST_BODY_BYTES."),
    ErrorCode("UNAUTHORIZED", 401, "No API key or a wrong one was given."),
    ErrorCode("FORBIDDEN", 403, "The key is valid but the action is not allowed."),
    ErrorCode("NOT_FOUND", 404, "No route or resource at this path."),
    ErrorCode("METHOD_NOT_ALLOWED", 405, "The path exists but not with this HTTP method."),
    ErrorCode("CONFLICT", 409, "The request conflicts with the current state."),
    ErrorCode("RATE_LIMITED", 429, "Too many requests."),
    ErrorCode("INTERNAL_ERROR", 500, "An unexpected error; the log has the traceback."),
    ErrorCode("DATABASE_UNAVAILABLE", 503, "The database cannot be reached."),
    ErrorCode(
        "START_UP_FAILED",
        503,
        "The service could not finish starting (its log says why); /health says so until a restart.",
    ),
    # resources
    ErrorCode("BOOK_NOT_FOUND", 404, "No book with this id."),
    ErrorCode("COVER_NOT_FOUND", 404, "The book has no cover in Audiobookshelf (or is not in it)."),
    ErrorCode("BOOK_ALREADY_EXISTS", 409, "A book with this Audiobookshelf id, ASIN or ISBN already exists."),
    ErrorCode("SERIES_NOT_FOUND", 404, "No series with this id."),
    ErrorCode("SERIES_ALREADY_EXISTS", 409, "A series with this name already exists."),
    ErrorCode("AUTHOR_NOT_FOUND", 404, "No author with this id."),
    ErrorCode("AUTHOR_ALREADY_EXISTS", 409, "An author with this name already exists."),
    ErrorCode("DOWNLOAD_NOT_FOUND", 404, "No download with this id."),
    ErrorCode("DOWNLOAD_ALREADY_EXISTS", 409, "This book or this torrent is already being downloaded."),
    ErrorCode("DOWNLOAD_STATE_CONFLICT", 409, "The download is not in a state that allows this action."),
    ErrorCode(
        "RATIO_FLOOR_WAIT",
        409,
        "The MAM grab would take the ratio under MAM_RATIO_FLOOR and no wedge could be spent; details say why.",
    ),
    ErrorCode("WANTED_NOT_FOUND", 404, "No wanted (missing) book with this id."),
    ErrorCode("WANTED_ALREADY_EXISTS", 409, "This book is already on the wanted list."),
    ErrorCode("WANTED_STATE_CONFLICT", 409, "The wanted book is not in a state that allows this action."),
    ErrorCode("BLOCKLIST_NOT_FOUND", 404, "No blocklist entry with this id."),
    ErrorCode("CORRECTION_NOT_FOUND", 404, "No metadata correction with this id."),
    ErrorCode("CORRECTION_STATE_CONFLICT", 409, "The correction is not in a state that allows this action."),
    ErrorCode("CORRECTION_IDS_INVALID", 422, "A bulk review names corrections that do not exist or cannot take it."),
    ErrorCode("TASK_NOT_FOUND", 404, "No task run with this id."),
    ErrorCode("JOB_NOT_FOUND", 404, "No scheduled job with this name."),
    ErrorCode("JOB_ALREADY_RUNNING", 409, "This job is running now; it is not started twice."),
    ErrorCode("FAILED_ATTEMPT_NOT_FOUND", 404, "No failed attempt with this id."),
    ErrorCode("INTEGRATION_NOT_FOUND", 404, "No integration with this name."),
    ErrorCode("BACKUP_NOT_FOUND", 404, "No backup with this name in the data directory."),
    ErrorCode("RELEASE_REJECTED", 422, "The chosen release fails verification for this book."),
    ErrorCode("NO_RELEASE_FOUND", 404, "No acceptable release was found for this book."),
    # configuration and outside services
    ErrorCode("CONFIGURATION_ERROR", 500, "A setting is missing or has a bad value."),
    ErrorCode("SERVICE_NOT_CONFIGURED", 503, "The outside service needed for this is not configured."),
    ErrorCode("SERVICE_UNREACHABLE", 503, "The outside service did not answer (refused, timed out)."),
    ErrorCode("SERVICE_CIRCUIT_OPEN", 503, "Calls to the outside service are paused after repeated failures."),
    ErrorCode("SERVICE_AUTH_FAILED", 502, "The outside service refused the configured credentials."),
    ErrorCode("SERVICE_RATE_LIMITED", 429, "The outside service asked us to slow down."),
    ErrorCode("SERVICE_QUOTA_EXHAUSTED", 429, "The daily request budget or the provider's quota is used up."),
    ErrorCode("SERVICE_BAD_RESPONSE", 502, "The outside service answered with something we cannot use."),
    ErrorCode("SERVICE_ERROR", 502, "The outside service failed."),
]

ERROR_CODES: dict[str, ErrorCode] = {c.code: c for c in _CODES}


def error_code_reference() -> str:
    """The error-code reference as Markdown (docs/error-codes.md is this text)."""
    lines = [
        "# Error codes",
        "",
        'Every error answer is the envelope `{"success": false, "data": null, "error": <message>,',
        '"error_code": <code>, "timestamp": <ISO-8601 UTC>}`; validation errors add `details`, one entry per',
        "field. The codes are stable: match on `error_code`, not on the message. This file is generated by",
        "`shelfkeeper docs error-codes` and checked by the tests.",
        "",
        "| code | HTTP status | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| `{c.code}` | {c.status} | {c.meaning} |" for c in sorted(_CODES, key=lambda c: (c.status, c.code))]
    return "\n".join(lines) + "\n"


def status_for(code: str) -> int:
    """The HTTP status of a stable error code (500 for an unknown one)."""
    entry = ERROR_CODES.get(code)
    return entry.status if entry else 500


class ShelfkeeperError(Exception):
    """Base of every error raised on purpose; carries a stable ``error_code``."""

    default_code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, code: str | None = None, details: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        if self.code not in ERROR_CODES:
            raise ValueError(f"unknown error code {self.code!r}: add it to errors._CODES")
        self.details = details

    @property
    def status(self) -> int:
        return status_for(self.code)


class NotFound(ShelfkeeperError):
    default_code = "NOT_FOUND"


class Conflict(ShelfkeeperError):
    default_code = "CONFLICT"


class InvalidInput(ShelfkeeperError):
    default_code = "VALIDATION_ERROR"


class Unauthorized(ShelfkeeperError):
    default_code = "UNAUTHORIZED"


class ConfigurationError(ShelfkeeperError):
    default_code = "CONFIGURATION_ERROR"


class ServiceError(ShelfkeeperError):
    """An outside service failed; ``service`` names it (``prowlarr``, ``mam``, ...)."""

    default_code = "SERVICE_ERROR"

    def __init__(self, service: str, message: str, *, code: str | None = None, details: object = None) -> None:
        super().__init__(f"{service}: {message}", code=code, details=details)
        self.service = service


class ServiceUnreachable(ServiceError):
    default_code = "SERVICE_UNREACHABLE"


class CircuitOpen(ServiceUnreachable):
    default_code = "SERVICE_CIRCUIT_OPEN"


class ServiceAuthFailed(ServiceError):
    default_code = "SERVICE_AUTH_FAILED"


class ServiceRateLimited(ServiceError):
    default_code = "SERVICE_RATE_LIMITED"

    def __init__(self, service: str, message: str, *, retry_after: float | None = None, details: object = None) -> None:
        super().__init__(service, message, details=details)
        self.retry_after = retry_after


class QuotaExhausted(ServiceError):
    default_code = "SERVICE_QUOTA_EXHAUSTED"


class ServiceBadResponse(ServiceError):
    default_code = "SERVICE_BAD_RESPONSE"


class ServiceNotConfigured(ServiceError):
    default_code = "SERVICE_NOT_CONFIGURED"
