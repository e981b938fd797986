"""API-key authentication as the *arr apps do it: raw key or ``Bearer`` in Authorization, or X-Api-Key."""

from __future__ import annotations

from fastapi import Request
from fastapi.security import APIKeyHeader

from shelfkeeper.apikeys import ApiKeyStore
from shelfkeeper.errors import Unauthorized

# Declared for the OpenAPI document so /docs offers an "Authorize" button for each header form; each needs its
# own scheme name, or the second replaces the first in the document.
authorization_header = APIKeyHeader(
    name="Authorization",
    scheme_name="AuthorizationHeader",
    auto_error=False,
    description="The API key itself, or `Bearer <key>`.",
)
x_api_key_header = APIKeyHeader(
    name="X-Api-Key", scheme_name="XApiKeyHeader", auto_error=False, description="The API key."
)


def presented_key(request: Request) -> str | None:
    """The key a request carries, from whichever header it used."""
    header = request.headers.get("x-api-key")
    if header:
        return header.strip()
    authorization = request.headers.get("authorization")
    if not authorization:
        return None
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme.lower() == "bearer" and rest:
        return rest.strip()
    return authorization.strip()


def require_key_or_query(request: Request, apikey: str | None, hint: str) -> None:
    """For the routes a client cannot send headers to (calendar apps, EventSource): the key as ``?apikey=`` too."""
    store: ApiKeyStore = request.app.state.api_keys
    key = apikey or presented_key(request)
    if key is None or not store.matches(key):
        raise Unauthorized(f"Missing or invalid API key: {hint}.")


async def require_api_key(request: Request) -> None:
    """Dependency on every non-public route: 401 in the envelope without the right key (no thread: a stat)."""
    store: ApiKeyStore = request.app.state.api_keys
    key = presented_key(request)
    if key is None:
        raise Unauthorized("Missing API key: send it in the Authorization or X-Api-Key header.")
    if not store.matches(key):
        raise Unauthorized("Invalid API key.")
