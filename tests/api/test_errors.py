"""Every failure answers in the envelope with a stable code and the status that code documents."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shelfkeeper import errors
from shelfkeeper.api.app import create_app
from shelfkeeper.context import AppContext
from shelfkeeper.db.session import make_engine
from shelfkeeper.settings import Settings
from shelfkeeper.testing.server import free_port

KEY = "errors-test-key-0123456789"
DOCUMENTED_STATUSES = {400, 401, 403, 404, 405, 409, 413, 422, 429, 500, 502, 503}


def failed(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"success", "data", "error", "error_code", "timestamp"}
    assert body["success"] is False and body["data"] is None and body["error_code"] == code
    assert isinstance(body["error"], str) and body["error"]
    assert datetime.fromisoformat(body["timestamp"]).utcoffset() == timedelta(0)
    return body


def _context(tmp_path: Path, engine: Any) -> AppContext:
    settings = Settings(data_dir=tmp_path / "data", api_key=KEY, run_scheduler=False, _env_file=None)
    return AppContext.from_settings(settings, engine=engine)


@pytest.mark.parametrize("code", sorted(errors.ERROR_CODES))
def test_every_error_code_has_a_documented_status(code):
    entry = errors.ERROR_CODES[code]
    assert entry.status in DOCUMENTED_STATUSES
    assert entry.code == code and code.isupper() and entry.meaning
    assert errors.status_for(code) == entry.status
    assert f"`{code}`" in errors.error_code_reference()


def test_every_error_class_has_a_known_default_code():
    classes = [errors.ShelfkeeperError]
    seen = []
    while classes:
        cls = classes.pop()
        seen.append(cls)
        assert cls.default_code in errors.ERROR_CODES, cls
        classes.extend(cls.__subclasses__())
    assert len(seen) >= 14
    with pytest.raises(ValueError, match="unknown error code"):
        errors.NotFound("x", code="NO_SUCH_CODE")
    assert errors.status_for("NO_SUCH_CODE") == 500


def test_an_unknown_route_is_404_not_found(client):
    for path in ("/api/nothing-here", "/nothing", "/api/books/1/nothing"):
        failed(client.get(path), 404, "NOT_FOUND")


def test_a_wrong_method_is_405_method_not_allowed(client):
    for method, path in (
        ("PATCH", "/api/books"),
        ("DELETE", "/api/books"),
        ("POST", "/api/books/stats"),
        ("PUT", "/api/series"),
        ("POST", "/health"),
    ):
        response = client.request(method, path)
        failed(response, 405, "METHOD_NOT_ALLOWED")
        assert response.headers["allow"]


RAISED = [  # an error raised inside a route -> the status and code of the answer
    (errors.NotFound("Book 5 not found.", code="BOOK_NOT_FOUND"), 404, "BOOK_NOT_FOUND"),
    (errors.Conflict("taken"), 409, "CONFLICT"),
    (errors.InvalidInput("bad", details=[{"field": "x"}]), 422, "VALIDATION_ERROR"),
    (errors.Unauthorized("who?"), 401, "UNAUTHORIZED"),
    (errors.ConfigurationError("QB_HOST is missing"), 500, "CONFIGURATION_ERROR"),
    (errors.ServiceUnreachable("prowlarr", "refused"), 503, "SERVICE_UNREACHABLE"),
    (errors.CircuitOpen("prowlarr", "paused"), 503, "SERVICE_CIRCUIT_OPEN"),
    (errors.ServiceAuthFailed("qbittorrent", "403"), 502, "SERVICE_AUTH_FAILED"),
    (errors.ServiceRateLimited("mam", "slow down", retry_after=30), 429, "SERVICE_RATE_LIMITED"),
    (errors.QuotaExhausted("google_books", "daily budget"), 429, "SERVICE_QUOTA_EXHAUSTED"),
    (errors.ServiceBadResponse("audnexus", "not JSON"), 502, "SERVICE_BAD_RESPONSE"),
    (errors.ServiceNotConfigured("prowlarr", "PROWLARR_URL unset"), 503, "SERVICE_NOT_CONFIGURED"),
    (RuntimeError("secret detail in /etc/passwd"), 500, "INTERNAL_ERROR"),
    (KeyError("secret-key-name"), 500, "INTERNAL_ERROR"),
]


@pytest.fixture(scope="module")
def raising_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An app with one extra route that raises whatever error the test names (no database work involved)."""
    data_dir = tmp_path_factory.mktemp("errors")
    context = _context(data_dir, make_engine(f"sqlite:///{data_dir / 'unused.db'}"))
    app = create_app(context=context)

    @app.get("/test/raise/{index}")
    def raise_error(index: int) -> None:
        raise RAISED[index][0]

    with TestClient(app, raise_server_exceptions=False, headers={"X-Api-Key": KEY}) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("index", "status", "code"),
    [(i, s, c) for i, (_, s, c) in enumerate(RAISED)],
    ids=[type(e).__name__ for e, _, _ in RAISED],
)
def test_raised_errors_become_their_envelope(raising_client, index, status, code):
    response = raising_client.get(f"/test/raise/{index}")
    body = failed(response, status, code)
    error = RAISED[index][0]
    if isinstance(error, errors.ShelfkeeperError):
        assert body["error"] == error.message
    else:  # an unexpected error says nothing about its insides
        assert "Traceback" not in response.text and "secret" not in response.text
        assert type(error).__name__ not in response.text and "details" not in body
    if isinstance(error, errors.ServiceRateLimited):
        assert response.headers["retry-after"] == "30"
    if isinstance(error, errors.InvalidInput):
        assert body["details"] == [{"field": "x"}]


def test_an_unreachable_database_is_reported_not_fatal(tmp_path):
    port = free_port()  # nothing listens there
    engine = make_engine(f"postgresql+psycopg://shelfkeeper@127.0.0.1:{port}/shelfkeeper")
    context = _context(tmp_path, engine)
    with TestClient(create_app(context=context), raise_server_exceptions=False) as client:
        health = client.get("/health")
        assert health.status_code == 503
        assert health.json()["success"] is False and health.json()["error_code"] == "DATABASE_UNAVAILABLE"
        data = health.json()["data"]
        assert data["status"] == "degraded" and data["database"]["reachable"] is False
        assert data["database"]["error"] == "OperationalError"
        body = failed(client.get("/api/books", headers={"X-Api-Key": KEY}), 503, "DATABASE_UNAVAILABLE")
        assert str(port) not in body["error"]
        status = client.get("/api/system/status", headers={"X-Api-Key": KEY})
        assert status.status_code == 200 and status.json()["data"]["database"]["reachable"] is False
        assert "database unreachable" in status.json()["data"]["scheduler"]["error"]
