"""Upkeep from the web page: rotate the API key; download and restore a backup (making and listing: system.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse
from pydantic import Field

from shelfkeeper.adapters.redaction import register_secret
from shelfkeeper.api.deps import ContextDep
from shelfkeeper.api.envelope import Envelope, error_responses, ok
from shelfkeeper.api.routes.settings import settings_store
from shelfkeeper.api.schemas.common import ApiModel
from shelfkeeper.api.schemas.records import BackupRead
from shelfkeeper.domain.library.naming import book_folder
from shelfkeeper.errors import Conflict
from shelfkeeper.services import backup

router = APIRouter(prefix="/api/system", tags=["system"])
FIXED_KEY = {409: ("CONFLICT", "API_KEY is set in the environment, which wins: change it there.")}
NO_BACKUP = {404: ("BACKUP_NOT_FOUND", "No backup called 'shelfkeeper-20261124.db' in /data/backups")}


class ApiKeyRotated(ApiModel):
    api_key: str = Field(description="The new key, answered this once; the old one stops working at once.")


class BackupRestored(ApiModel):
    backup: BackupRead
    secrets_to_enter_again: list[str] = Field(
        description="Secrets in the restored database this data directory's key cannot open: enter them again."
    )


class NamingExample(ApiModel):
    library_path: str | None
    examples: list[str] = Field(description="Where a series book and a standalone book would be imported.")


@router.post("/apikey/rotate", response_model=Envelope[ApiKeyRotated], responses=error_responses(409, codes=FIXED_KEY))
def rotate_api_key(context: ContextDep) -> dict[str, object]:
    """Replace the API key with a new one and answer it once (refused while API_KEY is set in the environment)."""
    if context.api_keys.from_environment:
        raise Conflict("API_KEY is set in the environment, which wins: change it there instead of rotating")
    key = context.api_keys.rotate()
    register_secret(key)
    return ok({"api_key": key})


@router.get(
    "/backups/{name}",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
        **error_responses(404, codes=NO_BACKUP),
    },
)
def download_backup(context: ContextDep, name: str) -> FileResponse:
    """The backup file itself (a SQLite database or a pg_dump archive); secrets in it stay sealed."""
    path = backup.find_backup(context.settings.data_dir, name)
    return FileResponse(path, media_type="application/octet-stream", filename=path.name)


@router.post(
    "/backups/{name}/restore",
    response_model=Envelope[BackupRestored],
    responses=error_responses(404, codes=NO_BACKUP),
)
async def restore(context: ContextDep, name: str) -> dict[str, object]:
    """Replace the database with a backup now, then apply the settings it holds; jobs running meanwhile may fail."""
    data_dir = context.settings.data_dir
    restored = await asyncio.to_thread(backup.restore_backup, context.engine, data_dir, name)
    missing = await asyncio.to_thread(backup.secrets_to_enter_again, context.engine, data_dir)
    await asyncio.to_thread(settings_store(context).refresh, force=True)  # the restored database's own settings
    answer: dict[str, Any] = {"backup": BackupRead.model_validate(restored, from_attributes=True)}
    return ok({**answer, "secrets_to_enter_again": missing})


@router.get("/naming", response_model=Envelope[NamingExample], responses=error_responses())
def naming_example(context: ContextDep) -> dict[str, object]:
    """Where imports go, with the library path in force: a series book and a standalone book as examples."""
    root = context.settings.library_path
    folders = [
        book_folder("Nemesis Games", ["James S. A. Corey"], "The Expanse", "5"),
        book_folder("Project Hail Mary", ["Andy Weir"]),
    ]
    prefix = str(root).rstrip("/") if root else "LIBRARY_PATH"
    return ok(
        {"library_path": str(root) if root else None, "examples": [f"{prefix}/{f.relative_path}" for f in folders]}
    )
