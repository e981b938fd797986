"""GET/PATCH /api/settings: stored in the database, secrets sealed, applied without a restart, in every process."""

from __future__ import annotations

import stat
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from shelfkeeper.api.app import create_app
from shelfkeeper.context import AppContext
from shelfkeeper.errors import ConfigurationError
from shelfkeeper.settings import Settings, load_settings
from shelfkeeper.stored_settings import RECHECK_SECONDS
from shelfkeeper.testing.qbittorrent import QbittorrentProcess

API_KEY = "settings-api-key-0123456789abcdef"


@pytest.fixture(scope="module")
def qbittorrent() -> Iterator[QbittorrentProcess]:
    with QbittorrentProcess() as process:
        yield process


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@contextmanager
def server(engine: Engine, data_dir: Path, **environment: Any) -> Iterator[TestClient]:
    """One process of the server: ``environment`` is what its environment sets (nothing else is configured)."""
    settings = Settings(data_dir=data_dir, api_key=API_KEY, run_scheduler=False, _env_file=None, **environment)
    context = AppContext.from_settings(settings, engine=engine)
    with TestClient(create_app(context=context), headers={"X-Api-Key": API_KEY}) as client:
        yield client


def read_settings(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/settings")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def patch(client: TestClient, changes: dict[str, Any]) -> Any:
    return client.patch("/api/settings", json=changes)


def qb_values(process: QbittorrentProcess, password: str) -> dict[str, Any]:
    return {"qb_host": process.host, "qb_port": process.port, "qb_username": process.username, "qb_password": password}


def qbittorrent_row(client: TestClient, *, check: bool) -> dict[str, Any]:
    response = client.get("/api/system/integrations", params={"check": "true"} if check else None)
    assert response.status_code == 200, response.text
    return next(row for row in response.json()["data"] if row["name"] == "qbittorrent")


def installed_qbittorrent_version() -> str:
    out = subprocess.run(
        ["qbittorrent-nox", "--version"], stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True
    )
    return out.stdout.split()[-1]


def stored_bytes(engine: Engine) -> bytes:
    """Everything the database holds of the stored settings: the SQLite file(s), or PostgreSQL's rows as text."""
    if engine.dialect.name == "sqlite":
        path = Path(str(engine.url.database))
        files = [path, path.with_name(path.name + "-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    with engine.connect() as connection:
        values = connection.execute(text("SELECT key, CAST(value AS TEXT) FROM stored_settings")).all()
    return repr(values).encode()


@pytest.mark.qbittorrent
def test_qbittorrent_configured_through_the_api_works_without_a_restart(
    engine: Engine, data_dir: Path, qbittorrent: QbittorrentProcess
) -> None:
    with server(engine, data_dir) as client:
        assert qbittorrent_row(client, check=True)["configured"] is False

        # A wrong password first: the adapter built from it must not outlive the correction.
        response = patch(client, qb_values(qbittorrent, "wrong-password-123456"))
        assert response.status_code == 200, response.text
        assert qbittorrent_row(client, check=True)["auth_ok"] is False

        response = patch(client, {"qb_password": qbittorrent.password})
        assert response.status_code == 200, response.text
        row = qbittorrent_row(client, check=True)
        assert (row["configured"], row["reachable"], row["auth_ok"]) == (True, True, True)
        assert row["version"] == installed_qbittorrent_version()

        answer = client.get("/api/settings")
        assert qbittorrent.password not in answer.text
        data = answer.json()["data"]
        assert data["secrets"]["qb_password"] is True and "qb_password" not in data["values"]
        assert data["values"]["qb_host"] == qbittorrent.host and data["values"]["qb_port"] == qbittorrent.port
        assert {"qb_host", "qb_port", "qb_username", "qb_password"} <= set(data["stored"])

    held = stored_bytes(engine)
    assert qbittorrent.password.encode() not in held
    assert b"fernet:" in held  # the password is there, sealed
    key = data_dir / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600

    with server(engine, data_dir) as restarted:  # a restart (or another worker) reads them back
        assert qbittorrent_row(restarted, check=True)["auth_ok"] is True


@pytest.mark.qbittorrent
def test_values_tested_before_saving_are_neither_saved_nor_remembered(
    engine: Engine, data_dir: Path, qbittorrent: QbittorrentProcess
) -> None:
    with server(engine, data_dir) as client:
        response = client.post(
            "/api/system/integrations/qbittorrent/test", json=qb_values(qbittorrent, qbittorrent.password)
        )
        assert response.status_code == 200, response.text
        assert qbittorrent.password not in response.text
        row = response.json()["data"]
        assert (row["reachable"], row["auth_ok"], row["version"]) == (True, True, installed_qbittorrent_version())

        bad = client.post(
            "/api/system/integrations/qbittorrent/test", json=qb_values(qbittorrent, "wrong-password-123456")
        )
        assert bad.json()["data"]["auth_ok"] is False

        assert read_settings(client)["stored"] == []
        assert qbittorrent_row(client, check=False)["configured"] is False


def test_a_bad_value_is_refused_with_the_start_up_message_naming_the_setting(engine: Engine, data_dir: Path) -> None:
    with pytest.raises(ConfigurationError) as at_start:
        load_settings(qb_port=70000, _env_file=None)
    with server(engine, data_dir) as client:
        response = patch(client, {"qb_host": "qb.lan", "qb_port": 70000})
        assert response.status_code == 422
        body = response.json()
        assert body["success"] is False and body["error_code"] == "VALIDATION_ERROR"
        assert body["details"] == [{"field": "qb_port", "message": at_start.value.message.splitlines()[1].strip()}]
        assert read_settings(client)["values"]["qb_host"] is None  # nothing of a refused change is saved

        crossed = patch(client, {"metadata_review_threshold": 0.95})
        assert crossed.status_code == 422
        assert [d["field"] for d in crossed.json()["details"]] == ["metadata_review_threshold"]

        cron = patch(client, {"schedule_library_sync_task": "every minute"})
        assert cron.status_code == 422 and cron.json()["details"][0]["field"] == "schedule_library_sync_task"

        unknown = patch(client, {"sonarr_url": "http://x"})
        assert unknown.status_code == 422 and unknown.json()["details"][0]["field"] == "sonarr_url"

        start_only = patch(client, {"port": 9000})
        assert start_only.status_code == 422 and "start-up" in start_only.json()["error"]


def test_the_environment_wins_and_is_reported(engine: Engine, data_dir: Path) -> None:
    with server(engine, data_dir, qb_host="from-the-environment") as client:
        data = read_settings(client)
        assert "qb_host" in data["environment"] and "qb_port" not in data["environment"]
        response = patch(client, {"qb_host": "from-the-page"})
        assert response.status_code == 422 and response.json()["details"][0]["field"] == "qb_host"
        assert read_settings(client)["values"]["qb_host"] == "from-the-environment"

    with server(engine, data_dir) as other:  # stored here, but the environment of the first server still wins
        assert patch(other, {"qb_host": "from-the-page", "qb_port": 8123}).status_code == 200
    with server(engine, data_dir, qb_host="from-the-environment") as client:
        values = read_settings(client)["values"]
        assert (values["qb_host"], values["qb_port"]) == ("from-the-environment", 8123)


def test_another_process_picks_up_a_change_on_its_next_request(engine: Engine, data_dir: Path) -> None:
    with server(engine, data_dir) as first, server(engine, data_dir) as second:
        assert read_settings(second)["values"]["quality_min_seeders"] == 1
        assert (
            patch(first, {"quality_min_seeders": 4, "quality_preferred_words": "unabridged, retail"}).status_code == 200
        )
        values = read_settings(second)["values"]
        assert values["quality_min_seeders"] == 4
        assert values["quality_preferred_words"] == ["unabridged", "retail"]
        assert second.app.state.context.settings.quality_min_seeders == 4  # what jobs read, not only the answer

        assert patch(second, {"quality_min_seeders": None}).status_code == 200  # back to the default
        assert read_settings(first)["values"]["quality_min_seeders"] == 1
        assert "quality_min_seeders" not in read_settings(first)["stored"]


def test_another_process_applies_a_change_on_a_request_once_its_recheck_delay_passed(
    engine: Engine, data_dir: Path
) -> None:
    with server(engine, data_dir) as first, server(engine, data_dir) as second:
        assert second.get("/api/books").status_code == 200  # checks the version: nothing stored yet
        store = second.app.state.context.settings_store
        assert patch(first, {"quality_min_seeders": 5}).status_code == 200
        store.checked_at = time.monotonic()  # as if it had just checked (a loaded machine may be slower than that)
        assert second.get("/api/books").status_code == 200  # within the delay: no query, the old value
        assert second.app.state.context.settings.quality_min_seeders == 1
        store.checked_at -= RECHECK_SECONDS  # the delay has passed
        assert second.get("/api/books").status_code == 200
        assert second.app.state.context.settings.quality_min_seeders == 5


def test_a_secret_is_write_only_and_can_be_cleared(engine: Engine, data_dir: Path) -> None:
    secret = "prowlarr-key-not-to-be-shown-42"
    with server(engine, data_dir) as client:
        assert read_settings(client)["secrets"]["prowlarr_api_key"] is False
        response = patch(client, {"prowlarr_url": "http://prowlarr.lan:9696", "prowlarr_api_key": secret})
        assert response.status_code == 200 and secret not in response.text
        assert read_settings(client)["secrets"]["prowlarr_api_key"] is True
        assert secret not in client.get("/api/system/config").text
        assert patch(client, {"prowlarr_api_key": None}).status_code == 200
        assert read_settings(client)["secrets"]["prowlarr_api_key"] is False


def test_every_download_client_is_set_in_the_download_clients_group_nzbget_included(
    engine: Engine, data_dir: Path
) -> None:
    secret = "nzbget-password-not-to-be-shown-7"
    with server(engine, data_dir) as client:
        described = read_settings(client)
        group = next(g for g in described["groups"] if g["name"] == "Download clients")
        assert {"nzbget_url", "nzbget_username", "nzbget_password", "nzbget_priority", "nzbget_enabled"} <= set(
            group["keys"]
        )
        assert {"qb_host", "transmission_url", "deluge_host"} <= set(group["keys"])
        response = patch(client, {"nzbget_url": "http://127.0.0.1:6789", "nzbget_password": secret})
        assert response.status_code == 200 and secret not in response.text
        assert read_settings(client)["secrets"]["nzbget_password"] is True
        assert read_settings(client)["values"]["nzbget_url"] == "http://127.0.0.1:6789"
