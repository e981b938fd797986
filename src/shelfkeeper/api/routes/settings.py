"""Settings in the database: read them, change them (applied at once, in every process)."""

from __future__ import annotations

import asyncio
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


async def fresh_settings(request: Request) -> None:
    """Every protected request first applies settings another process saved, checked at most once a second.

    Async, and only a clock read between checks: the version query (in a worker thread) runs when
    ``RECHECK_SECONDS`` have passed, not on every request (docs/configuration.md: a change saved by another process
    is applied here within that delay).
    """
    store = settings_store(request.app.state.context)
    if store.due():
        await asyncio.to_thread(store.refresh)


@router.get("", response_model=Envelope[SettingsRead], responses=error_responses())
def read_settings(context: ContextDep) -> dict[str, object]:
    """Every setting in force, which the environment fixes, which are stored; secrets only as set or not."""
    store = settings_store(context)
    store.refresh()  # whatever the delay of other requests: what another process saved a moment ago is shown
    return ok(store.describe())


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
    """Validate and save settings, then apply them without a restart (other processes within a second)."""
    store = settings_store(context)
    with unit_of_work(context.sessions) as session:
        store.save(session, changes)
    store.refresh()
    return ok(store.describe())
