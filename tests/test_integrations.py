"""The composition root hands out ports; ready-made adapters (the in-memory doubles) can stand in for services."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Engine

from shelfkeeper.context import AppContext
from shelfkeeper.errors import ServiceNotConfigured, ServiceUnreachable
from shelfkeeper.integrations import Integrations
from shelfkeeper.settings import Settings
from shelfkeeper.testing.doubles import InMemoryDownloadClient, InMemoryIndexer


def bare_context(engine: Engine, tmp_path: Path) -> AppContext:
    """No outside service configured."""
    settings = Settings(data_dir=tmp_path / "data", api_key="k" * 32, run_scheduler=False, _env_file=None)
    return AppContext.from_settings(settings, engine=engine)


def test_a_supplied_adapter_is_handed_out_and_counts_as_configured(engine: Engine, tmp_path: Path) -> None:
    context = bare_context(engine, tmp_path)
    client = InMemoryDownloadClient()
    integrations = Integrations(context, adapters={"qbittorrent": client})
    assert integrations.download_client() is client and integrations.get("qbittorrent") is client
    assert integrations.configured("qbittorrent")
    assert not integrations.configured("prowlarr")
    with pytest.raises(ServiceNotConfigured):
        integrations.prowlarr()


def test_a_supplied_adapter_is_tested_like_a_built_one(engine: Engine, tmp_path: Path) -> None:
    context = bare_context(engine, tmp_path)
    prowlarr = InMemoryIndexer("prowlarr")
    prowlarr.fail("test_connection", ServiceUnreachable("prowlarr", "connection refused"))
    context.integrations = Integrations(context, adapters={"prowlarr": prowlarr})
    first = asyncio.run(context.integrations.status("prowlarr", check=True))
    second = asyncio.run(context.integrations.status("prowlarr", check=True))
    assert (first.configured, first.reachable, first.last_error_code) == (True, False, "SERVICE_UNREACHABLE")
    assert (second.reachable, second.auth_ok) == (True, True)
    assert len(prowlarr.called("test_connection")) == 2


def test_an_unknown_service_cannot_be_supplied(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="plex"):
        Integrations(bare_context(engine, tmp_path), adapters={"plex": InMemoryDownloadClient()})


def test_the_context_builds_its_integrations_once(engine: Engine, tmp_path: Path) -> None:
    context = bare_context(engine, tmp_path)
    assert context.integrations is context.integrations
    with pytest.raises(RuntimeError, match="create_app"):
        context.job_runner()
