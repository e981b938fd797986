"""A "test connection" answer built from how the adapter's probe request ended."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

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


async def version_probe(
    service: str, configured: bool, read_version: Callable[[], Awaitable[str | None]]
) -> ConnectionReport:
    """A download client's "test connection": not configured, or the report of ``read_version`` (which logs in
    afresh where the client keeps a session, so that a stale one cannot hide a wrong password); never raises."""
    if not configured:
        return ConnectionReport(
            service, False, False, None, error="not configured", error_code="SERVICE_NOT_CONFIGURED"
        )
    try:
        version = await read_version()
    except ServiceError as exc:
        return connection_report(service, exc)
    return connection_report(service, None, auth_ok=True, version=version)
