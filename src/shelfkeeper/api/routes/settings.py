"""Settings in the database: read them, change them (applied at once, in every process)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from shelfkeeper.api.deps import ContextDep
from shelfkeeper.api.envelope import Envelope, error_responses, ok
from shelfkeeper.api.schemas.settings import SettingsRead
from shelfkeeper.context import AppContext
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.stored_settings import SettingsStore

router = APIRouter(prefix="/api/settings", tags=["settings"])
INVALID = {422: ("VALIDATION_ERROR", "Invalid configuration: QB_PORT: Input should be less than or equal to 65535")}
EXAMPLE_CHANGES = {"qb_host": "qbittorrent", "qb_port": 8080, "qb_username": "admin", "qb_password": "s3cret"}


def settings_store(context: AppContext) -> SettingsStore:
    if context.settings_store is None:
        raise RuntimeError("no settings store: the app was not built by create_app")
    return context.settings_store


def fresh_settings(request: Request) -> None:
    """Every protected request first applies settings another process saved (one cheap version query)."""
    settings_store(request.app.state.context).refresh()


@router.get("", response_model=Envelope[SettingsRead], responses=error_responses())
def read_settings(context: ContextDep) -> dict[str, object]:
    """Every setting in force, which the environment fixes, which are stored; secrets only as set or not."""
    return ok(settings_store(context).describe())


@router.patch("", response_model=Envelope[SettingsRead], responses=error_responses(codes=INVALID))
def change_settings(
    context: ContextDep,
    changes: Annotated[
        dict[str, Any],
        Body(
            description="Settings by lower-case variable name; null puts one back to its default.",
            examples=[EXAMPLE_CHANGES],
        ),
    ],
) -> dict[str, object]:
    """Validate and save settings, then apply them without a restart (other processes on their next request)."""
    store = settings_store(context)
    with unit_of_work(context.sessions) as session:
        store.save(session, changes)
    store.refresh()
    return ok(store.describe())
