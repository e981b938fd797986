"""API-key authentication: every route but /health needs the key, in any of the three header forms."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shelfkeeper.api.app import create_app
from shelfkeeper.apikeys import ApiKeyStore
from shelfkeeper.context import AppContext
from shelfkeeper.db.migrate import upgrade
from shelfkeeper.settings import Settings

KEY = "auth-test-key-0123456789abcdef"
PUBLIC = {("/health", "get")}


def _settings(data_dir: Path, api_key: str | None) -> Settings:
    return Settings(data_dir=data_dir, api_key=api_key, run_scheduler=False, _env_file=None)


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A client without default headers on an app with a configured key. Auth is refused before any query runs,
    so one backend (SQLite) is enough here."""
    context = AppContext.from_settings(_settings(tmp_path_factory.mktemp("auth"), KEY))
    upgrade(context.engine)
    with TestClient(create_app(context=context)) as test_client:
        yield test_client


def _operations(client: TestClient) -> list[tuple[str, str]]:
    spec = client.get("/openapi.json").json()
    return [
        (path, method)
        for path, methods in spec["paths"].items()
        for method in methods
        if method in ("get", "post", "put", "patch", "delete")
    ]


def _unauthorized(response: Any) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["success"] is False and body["data"] is None and body["error_code"] == "UNAUTHORIZED"
    assert body["error"] and datetime.fromisoformat(body["timestamp"]).utcoffset() == timedelta(0)
    assert KEY not in response.text


def test_every_route_but_health_refuses_a_missing_or_wrong_key(app_client):
    operations = _operations(app_client)
    assert len(operations) >= 25 and ("/api/books", "post") in operations
    assert set(operations) >= PUBLIC
    for path, method in operations:
        if (path, method) in PUBLIC:
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        for headers in (
            {},
            {"X-Api-Key": "wrong"},
            {"Authorization": "wrong"},
            {"Authorization": "Bearer wrong"},
            {"Authorization": f"Basic {KEY}x"},
            {"X-Api-Key": KEY.upper()},
        ):
            _unauthorized(app_client.request(method.upper(), url, headers=headers))


def test_health_is_public(app_client):
    response = app_client.get("/health")
    assert response.status_code == 200 and response.json()["success"] is True
    assert response.json()["data"]["database"]["reachable"] is True


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": KEY},
        {"Authorization": f"Bearer {KEY}"},
        {"Authorization": f"bearer  {KEY} "},
        {"X-Api-Key": KEY},
        {"x-api-key": KEY},
    ],
    ids=["raw", "bearer", "bearer-lower-spaced", "x-api-key", "x-api-key-lower"],
)
def test_the_three_header_forms_are_accepted(app_client, headers):
    response = app_client.get("/api/books", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True


def test_the_missing_key_message_says_where_to_send_it(app_client):
    body = app_client.get("/api/books").json()
    assert "Authorization" in body["error"] and "X-Api-Key" in body["error"]
    assert app_client.get("/api/books", headers={"X-Api-Key": "nope"}).json()["error"] == "Invalid API key."


@pytest.mark.parametrize(("path", "marker"), [("/docs", "swagger-ui"), ("/redoc", "redoc")])
def test_the_documentation_pages_are_served(app_client, path, marker):
    response = app_client.get(path)
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    assert marker in response.text.lower() and "/openapi.json" in response.text


def test_the_openapi_document_has_examples_and_the_security_schemes(app_client):
    spec = app_client.get("/openapi.json").json()
    assert spec["info"]["title"] == "Shelfkeeper"
    schemes = spec["components"]["securitySchemes"]
    assert {(s["in"], s["name"]) for s in schemes.values()} >= {("header", "Authorization"), ("header", "X-Api-Key")}
    for path in ("/api/authors", "/api/series", "/api/books"):  # the book example names that author
        body = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        schema = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
        assert schema.get("examples"), path
        # The example in the documentation is itself a valid request.
        created = app_client.post(path, json=schema["examples"][0], headers={"X-Api-Key": KEY})
        assert created.status_code == 201, (path, created.text)
        error_example = spec["paths"][path]["post"]["responses"]["401"]["content"]["application/json"]["example"]
        assert error_example["error_code"] == "UNAUTHORIZED"
    health = spec["paths"]["/health"]["get"]["responses"]["200"]["content"]["application/json"]
    assert health["example"]["success"] is True


def test_a_generated_key_is_stored_and_accepted(tmp_path, engine):
    settings = _settings(tmp_path / "data", None)
    context = AppContext.from_settings(settings, engine=engine)
    key, generated = context.api_keys.ensure()
    assert generated and (tmp_path / "data" / "api_key").read_text(encoding="utf-8").strip() == key
    with TestClient(create_app(context=context)) as client:
        assert client.get("/api/books", headers={"Authorization": key}).status_code == 200
        _unauthorized(client.get("/api/books", headers={"Authorization": "Bearer " + key[:-1]}))
        config = client.get("/api/system/config", headers={"Authorization": key})
        assert config.status_code == 200 and key not in config.text


def test_rotation_reaches_a_running_app_without_restart(tmp_path, engine):
    context = AppContext.from_settings(_settings(tmp_path / "data", None), engine=engine)
    old, _ = context.api_keys.ensure()
    with TestClient(create_app(context=context)) as client:
        assert client.get("/api/books", headers={"X-Api-Key": old}).status_code == 200
        new = ApiKeyStore(tmp_path / "data", None).rotate()  # as `shelfkeeper api-key rotate` does
        _unauthorized(client.get("/api/books", headers={"X-Api-Key": old}))
        assert client.get("/api/books", headers={"X-Api-Key": new}).status_code == 200
        newer = ApiKeyStore(tmp_path / "data", None).rotate()
        _unauthorized(client.get("/api/books", headers={"X-Api-Key": new}))
        assert client.get("/api/books", headers={"Authorization": f"Bearer {newer}"}).status_code == 200


def test_the_key_never_appears_in_any_answer(app_client):
    headers = {"X-Api-Key": KEY}
    config = app_client.get("/api/system/config", headers=headers)
    assert config.status_code == 200 and config.json()["data"]["api_key"] == "********"
    for path, method in _operations(app_client):
        if method == "get" and "{" not in path:
            params = {"lasting": 0.1} if path == "/api/stream" else None  # the live stream ends when asked to
            response = app_client.get(path, headers=headers, params=params)
            assert KEY not in response.text, path


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_documentation_pages_need_no_internet(app_client, path):
    """Every script, style, font and icon the page loads is served by Shelfkeeper itself."""
    page = app_client.get(path).text
    assert re.findall(r"https?://[^\s\"'<>)]+", page) == []  # no CDN, no Google Fonts, no remote favicon
    loaded = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page)
    assert any(url.endswith(".js") for url in loaded)
    for url in loaded:
        answer = app_client.get(url)
        assert answer.status_code == 200 and answer.content, url
