"""Upkeep from the page: rotating the API key, downloading and restoring backups, the naming example, choices."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfkeeper.api.app import create_app
from shelfkeeper.context import AppContext
from shelfkeeper.settings import Settings
from tests.conftest import TEST_API_KEY


def data(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()["data"]


@pytest.fixture
def keyless(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    """A server whose key was generated into its data directory (API_KEY not set), and that key."""
    settings = Settings(data_dir=tmp_path / "data", run_scheduler=False, _env_file=None)  # type: ignore[call-arg]
    context = AppContext.from_settings(settings, engine=engine)
    with TestClient(create_app(context=context)) as client:
        key, _generated = context.api_keys.ensure()
        yield client, key


def test_rotating_the_key_answers_the_new_one_once_and_the_old_one_stops_working(
    keyless: tuple[TestClient, str],
) -> None:
    client, old = keyless
    rotated = data(client.post("/api/system/apikey/rotate", headers={"X-Api-Key": old}))
    new = rotated["api_key"]
    assert new != old and len(new) == 32
    refused = client.get("/api/system/status", headers={"X-Api-Key": old})
    assert (refused.status_code, refused.json()["error_code"]) == (401, "UNAUTHORIZED")
    assert data(client.get("/api/system/status", headers={"X-Api-Key": new}))["version"]


def test_a_key_set_in_the_environment_is_not_rotated(client: TestClient) -> None:
    answer = client.post("/api/system/apikey/rotate")
    assert (answer.status_code, answer.json()["error_code"]) == (409, "CONFLICT")
    assert "API_KEY" in answer.json()["error"]
    assert data(client.get("/api/system/status"))  # the key still works


def test_a_backup_is_made_listed_and_downloaded(client: TestClient, settings: Settings) -> None:
    made = data(client.post("/api/system/backup"), 201)
    assert [b["name"] for b in data(client.get("/api/system/backups"))] == [made["name"]]
    download = client.get(f"/api/system/backups/{made['name']}")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/octet-stream"
    assert made["name"] in download.headers["content-disposition"]
    assert download.content == (settings.data_dir / "backups" / made["name"]).read_bytes()


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [("..shelfkeeper.db", 422, "VALIDATION_ERROR"), ("secret.key", 422, "VALIDATION_ERROR"),
     ("..%2Fshelfkeeper.db", 404, "NOT_FOUND"), ("shelfkeeper-19990101.db", 404, "BACKUP_NOT_FOUND")],
)  # fmt: skip
def test_only_a_backup_in_the_backup_folder_is_downloaded(
    client: TestClient, name: str, status: int, code: str
) -> None:
    answer = client.get(f"/api/system/backups/{name}")
    assert (answer.status_code, answer.json()["error_code"]) == (status, code)


def test_restoring_a_backup_brings_back_its_settings_without_a_restart(client: TestClient) -> None:
    data(client.patch("/api/settings", json={"qb_category": "before-backup"}))
    made = data(client.post("/api/system/backup"), 201)
    data(client.patch("/api/settings", json={"qb_category": "after-backup"}))

    restored = data(client.post(f"/api/system/backups/{made['name']}/restore"))

    assert restored["backup"]["name"] == made["name"]
    assert restored["secrets_to_enter_again"] == []
    assert data(client.get("/api/settings"))["values"]["qb_category"] == "before-backup"


def test_restoring_an_unknown_backup_is_a_404(client: TestClient) -> None:
    answer = client.post("/api/system/backups/shelfkeeper-19990101.db/restore")
    assert (answer.status_code, answer.json()["error_code"]) == (404, "BACKUP_NOT_FOUND")


def test_the_naming_example_follows_the_library_path(client: TestClient) -> None:
    assert data(client.get("/api/system/naming"))["examples"][0].startswith("LIBRARY_PATH/")
    data(client.patch("/api/settings", json={"library_path": "/audiobooks"}))
    assert data(client.get("/api/system/naming")) == {
        "library_path": "/audiobooks",
        "examples": [
            "/audiobooks/James S. A. Corey/The Expanse/05 - Nemesis Games",
            "/audiobooks/Andy Weir/Project Hail Mary",
        ],
    }


def test_settings_with_a_fixed_set_of_values_name_them_and_refuse_others(client: TestClient) -> None:
    described = data(client.get("/api/settings"))
    assert described["choices"]["import_mode"] == ["hardlink", "copy"]
    assert described["choices"]["first_run_wizard"] == ["pending", "completed", "skipped"]
    refused = client.patch("/api/settings", json={"import_mode": "move"})
    assert refused.status_code == 422
    assert [d["field"] for d in refused.json()["details"]] == ["import_mode"]
    assert (
        data(client.patch("/api/settings", json={"first_run_wizard": "skipped"}))["values"]["first_run_wizard"]
        == "skipped"
    )


def test_the_test_key_is_the_one_in_force(client: TestClient) -> None:
    assert client.headers["X-Api-Key"] == TEST_API_KEY
