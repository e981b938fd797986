"""Settings schemas: what ``GET /api/settings`` answers (never a secret's value)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shelfkeeper.api.schemas.common import ApiModel


class SettingsGroup(ApiModel):
    name: str = Field(description="Media management, Profiles, Indexers, Download clients, Metadata, Schedules, ...")
    keys: list[str] = Field(description="The settings shown in this group, in order.")
    services: list[str] = Field(description="The integrations its Test button checks.")


class SettingsRead(ApiModel):
    """Every setting in force: environment > database > defaults."""

    version: int | None = Field(description="Version of the stored settings this process applied (null: none).")
    values: dict[str, Any] = Field(description="Each setting that is not a secret, by lower-case variable name.")
    secrets: dict[str, bool] = Field(description="Each secret setting: whether it is set. Values are never answered.")
    environment: list[str] = Field(description="Settings the environment fixes (it wins; read-only here).")
    stored: list[str] = Field(description="Settings stored in the database.")
    start_up_only: list[str] = Field(description="Settings read at start-up only (environment or .env).")
    groups: list[SettingsGroup]
    descriptions: dict[str, str] = Field(description="One line on each setting.")
    choices: dict[str, list[str]] = Field(
        default_factory=dict,
        description="The allowed values of each setting that has a fixed set of them (a list setting takes some).",
    )

    model_config = {
        "json_schema_extra": {
            "example": {
                "version": 3,
                "values": {"qb_host": "qbittorrent", "qb_port": 8080, "qb_username": "admin"},
                "secrets": {"qb_password": True, "abs_token": False},
                "environment": ["data_dir"],
                "stored": ["qb_host", "qb_password", "qb_port", "qb_username"],
                "start_up_only": ["data_dir", "database_url", "host", "port"],
                "groups": [{"name": "Download clients", "keys": ["qb_host", "qb_port"], "services": ["qbittorrent"]}],
                "descriptions": {"qb_host": "qBittorrent WebUI host."},
                "choices": {"import_mode": ["hardlink", "copy"]},
            }
        }
    }
