"""GET /api/system/integrations?check=true with Transmission, Deluge and NZBGet: real Debian daemons on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfkeeper.api.app import create_app
from shelfkeeper.context import AppContext
from shelfkeeper.integrations import Integrations
from shelfkeeper.settings import load_settings
from shelfkeeper.testing.clock import RecordingSleep
from shelfkeeper.testing.deluge import DelugeProcess
from shelfkeeper.testing.nzbget import NzbgetProcess
from shelfkeeper.testing.transmission import TransmissionProcess

API_KEY = "integrations-clients-key-0123456789"
WRONG_PASSWORD = "wrong-password-7654321"


@pytest.fixture(scope="module")
def transmission_daemon() -> Iterator[TransmissionProcess]:
    with TransmissionProcess() as process:
        yield process


@pytest.fixture(scope="module")
def deluge_daemon() -> Iterator[DelugeProcess]:
    with DelugeProcess() as process:
        yield process


@pytest.fixture(scope="module")
def nzbget_daemon() -> Iterator[NzbgetProcess]:
    with NzbgetProcess() as process:
        yield process


@contextmanager
def app_with_env(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, tmp_path: Path, env: dict[str, str]
) -> Iterator[TestClient]:
    """The app configured the way a user does it: the client's settings in the environment."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(data_dir=tmp_path / "data", api_key=API_KEY, run_scheduler=False, _env_file=None)
    context = AppContext.from_settings(settings, engine=engine)
    context.integrations = Integrations(context, check_timeout=10.0, sleep=RecordingSleep())
    with TestClient(create_app(context=context), headers={"X-Api-Key": API_KEY}) as client:
        yield client


def checked(client: TestClient, name: str, secrets: list[str]) -> dict[str, Any]:
    response = client.get("/api/system/integrations", params={"check": "true"})
    assert response.status_code == 200, response.text
    leaked = [secret for secret in secrets if secret in response.text]
    assert leaked == []
    rows = {row["name"]: row for row in response.json()["data"]}
    return rows[name]


def transmission_env(process: TransmissionProcess, password: str) -> dict[str, str]:
    return {
        "TRANSMISSION_URL": process.url,
        "TRANSMISSION_USERNAME": process.username,
        "TRANSMISSION_PASSWORD": password,
    }


def deluge_env(process: DelugeProcess, password: str) -> dict[str, str]:
    return {
        "DELUGE_HOST": process.host,
        "DELUGE_PORT": str(process.port),
        "DELUGE_USERNAME": process.username,
        "DELUGE_PASSWORD": password,
    }


def nzbget_env(process: NzbgetProcess, password: str) -> dict[str, str]:
    return {"NZBGET_URL": process.url, "NZBGET_USERNAME": process.username, "NZBGET_PASSWORD": password}


@pytest.mark.transmission
def test_real_transmission_reachable_with_version_and_wrong_password_reported(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, tmp_path: Path, transmission_daemon: TransmissionProcess
) -> None:
    secrets = [API_KEY, transmission_daemon.password, WRONG_PASSWORD]
    env = transmission_env(transmission_daemon, transmission_daemon.password)
    with app_with_env(monkeypatch, engine, tmp_path, env) as client:
        row = checked(client, "transmission", secrets)
        assert (row["configured"], row["reachable"], row["auth_ok"], row["last_error"]) == (True, True, True, None)
        assert row["version"] and row["version"][0].isdigit()  # e.g. "3.00 (bb6b5a062e)"

    env = transmission_env(transmission_daemon, WRONG_PASSWORD)
    with app_with_env(monkeypatch, engine, tmp_path, env) as client:
        row = checked(client, "transmission", secrets)
        assert (row["configured"], row["reachable"], row["auth_ok"]) == (True, True, False)
        assert row["last_error_code"] == "SERVICE_AUTH_FAILED" and row["version"] is None
        assert client.get("/health").json()["data"]["status"] == "ok"


@pytest.mark.deluge
def test_real_deluge_reachable_with_version_and_wrong_password_reported(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, tmp_path: Path, deluge_daemon: DelugeProcess
) -> None:
    secrets = [API_KEY, deluge_daemon.password, WRONG_PASSWORD]
    with app_with_env(monkeypatch, engine, tmp_path, deluge_env(deluge_daemon, deluge_daemon.password)) as client:
        row = checked(client, "deluge", secrets)
        assert (row["configured"], row["reachable"], row["auth_ok"], row["last_error"]) == (True, True, True, None)
        assert row["version"] and row["version"][0].isdigit()  # e.g. "2.0.3"

    with app_with_env(monkeypatch, engine, tmp_path, deluge_env(deluge_daemon, WRONG_PASSWORD)) as client:
        row = checked(client, "deluge", secrets)
        assert (row["configured"], row["reachable"], row["auth_ok"]) == (True, True, False)
        assert row["last_error_code"] == "SERVICE_AUTH_FAILED" and row["version"] is None
        assert client.get("/health").json()["data"]["status"] == "ok"


@pytest.mark.nzbget
def test_real_nzbget_reachable_with_version_and_wrong_password_reported(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, tmp_path: Path, nzbget_daemon: NzbgetProcess
) -> None:
    secrets = [API_KEY, nzbget_daemon.password, WRONG_PASSWORD]
    with app_with_env(monkeypatch, engine, tmp_path, nzbget_env(nzbget_daemon, nzbget_daemon.password)) as client:
        row = checked(client, "nzbget", secrets)
        assert (row["configured"], row["reachable"], row["auth_ok"], row["last_error"]) == (True, True, True, None)
        assert row["version"] == nzbget_daemon.call("version")  # e.g. "21.0"

    with app_with_env(monkeypatch, engine, tmp_path, nzbget_env(nzbget_daemon, WRONG_PASSWORD)) as client:
        row = checked(client, "nzbget", secrets)
        assert (row["configured"], row["reachable"], row["auth_ok"]) == (True, True, False)
        assert row["last_error_code"] == "SERVICE_AUTH_FAILED" and row["version"] is None
        assert client.get("/health").json()["data"]["status"] == "ok"


def test_unset_clients_are_not_configured_and_a_bad_url_is_reported(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, tmp_path: Path
) -> None:
    with app_with_env(monkeypatch, engine, tmp_path, {}) as client:
        for name, setting in (
            ("transmission", "TRANSMISSION_URL"),
            ("deluge", "DELUGE_HOST"),
            ("nzbget", "NZBGET_URL"),
        ):
            row = checked(client, name, [API_KEY])
            assert (row["configured"], row["last_error_code"]) == (False, "SERVICE_NOT_CONFIGURED")
            assert setting in row["last_error"]
    with app_with_env(monkeypatch, engine, tmp_path, {"TRANSMISSION_URL": "ftp://nas"}) as client:
        row = checked(client, "transmission", [API_KEY])
        assert (row["configured"], row["reachable"]) == (True, False)
        assert "TRANSMISSION_URL" in row["last_error"]
    with app_with_env(monkeypatch, engine, tmp_path, {"NZBGET_URL": "ftp://nas"}) as client:
        row = checked(client, "nzbget", [API_KEY])
        assert (row["configured"], row["reachable"]) == (True, False)
        assert "NZBGET_URL" in row["last_error"]
