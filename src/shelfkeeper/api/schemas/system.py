"""System schemas: the state of each outside-service integration."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field

from shelfkeeper.api.schemas.common import ApiModel


class IntegrationRead(ApiModel):
    """One outside service as Shelfkeeper last saw it; never carries a credential."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "name": "qbittorrent",
                "configured": True,
                "checked": True,
                "checked_at": "2026-11-24T12:00:00Z",
                "reachable": True,
                "auth_ok": True,
                "version": "v4.5.2",
                "last_error": None,
                "last_error_code": None,
                "last_error_at": None,
                "budget_limit": None,
                "budget_left": None,
            }
        },
    )

    name: str = Field(description="audiobookshelf, qbittorrent, prowlarr, mam, google_books, audnexus, audible, ...")
    configured: bool = Field(description="Whether the settings the service needs are present.")
    checked: bool = Field(description="Whether a check result is shown (false until the first test).")
    checked_at: datetime | None = Field(None, description="When the shown check ran (UTC).")
    reachable: bool | None = Field(None, description="The service answered the last check; null when never checked.")
    auth_ok: bool | None = Field(
        None, description="The service accepted the credentials; null when unknown or when it takes none."
    )
    version: str | None = Field(None, description="The version the service reports, where it reports one.")
    last_error: str | None = Field(None, description="The newest error seen (check or job request), redacted.")
    last_error_code: str | None = Field(None, description="Its stable error code (see docs/error-codes.md).")
    last_error_at: datetime | None = Field(None, description="When that error happened (UTC).")
    budget_limit: int | None = Field(None, description="Requests allowed per UTC day (MAM, Google Books).")
    budget_left: int | None = Field(None, description="Requests left today under that budget.")
