"""The page and its assets are served by the app itself, publicly, and stay out of the API's OpenAPI document."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shelfkeeper.api.app import create_app
from shelfkeeper.api.routes.web import STATIC_DIR, TEMPLATE
from shelfkeeper.context import AppContext
from shelfkeeper.settings import Settings

ASSETS = sorted(path.name for path in STATIC_DIR.iterdir() if path.is_file())


@pytest.fixture(scope="module")
def anonymous(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """A client without any key; the page needs no database, so none is migrated."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("page"),
        api_key="page-test-key-0123456789",
        run_scheduler=False,
        _env_file=None,
    )
    return TestClient(create_app(context=AppContext.from_settings(settings)))


def test_the_page_is_public_html_with_a_strict_content_policy(anonymous: TestClient) -> None:
    response = anonymous.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert 'id="key-dialog"' in response.text and "shelfkeeper api-key show" in response.text
    assert "{{" not in response.text  # the version was stamped in


def test_the_page_loads_nothing_from_elsewhere() -> None:
    for path in [TEMPLATE, *(STATIC_DIR / name for name in ASSETS)]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
        assert "@import url(" not in text and "fonts.googleapis" not in text


@pytest.mark.parametrize("name", ASSETS)
def test_every_asset_is_public_with_its_type(anonymous: TestClient, name: str) -> None:
    response = anonymous.get(f"/static/{name}")
    assert response.status_code == 200, response.text
    expected = {".js": "text/javascript", ".css": "text/css"}[Path(name).suffix]
    assert response.headers["content-type"].startswith(expected)
    assert response.headers["x-content-type-options"] == "nosniff" and "etag" in response.headers


def test_every_module_the_page_imports_exists() -> None:
    for name in ASSETS:
        text = (STATIC_DIR / name).read_text(encoding="utf-8")
        for imported in re.findall(r"""from\s+["']\./([\w.-]+)["']""", text):
            assert (STATIC_DIR / imported).is_file(), (name, imported)


def test_a_missing_asset_is_an_enveloped_404_and_no_file_outside_is_served(anonymous: TestClient) -> None:
    missing = anonymous.get("/static/nope.js")
    assert missing.status_code == 404 and missing.json()["error_code"] == "NOT_FOUND"
    assert anonymous.get("/static/../routes/web.py").status_code == 404
    assert anonymous.get("/static/%2e%2e/templates/index.html").status_code == 404


def test_the_page_routes_are_not_in_the_api_schema(anonymous: TestClient) -> None:
    paths = anonymous.get("/openapi.json").json()["paths"]
    assert "/" not in paths and not any(path.startswith("/static") for path in paths)
    assert anonymous.get("/api/books").status_code == 401  # the API stays closed
