"""A "test connection" answer built from how the adapter's probe request ended."""

from __future__ import annotations

from shelfkeeper.errors import ServiceAuthFailed, ServiceError, ServiceUnreachable
from shelfkeeper.ports import ConnectionReport


def connection_report(
    service: str, error: ServiceError | None, *, auth_ok: bool | None = None, version: str | None = None
) -> ConnectionReport:
    """The report of a configured service whose probe raised ``error`` (None = it answered fine).

    Unreachable -> not reachable and credentials unknown; refused credentials -> ``auth_ok`` False;
    any other failure -> reachable with ``auth_ok`` as the caller knows it.
    """
    if error is None:
        return ConnectionReport(service, configured=True, reachable=True, auth_ok=auth_ok, version=version)
    reachable = not isinstance(error, ServiceUnreachable)
    auth = False if isinstance(error, ServiceAuthFailed) else (auth_ok if reachable else None)
    return ConnectionReport(service, True, reachable, auth, error=error.message, error_code=error.code)
