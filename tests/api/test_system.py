"""System endpoints on both backends: health, status, the redacted configuration and the statistics."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from shelfkeeper import __version__
from shelfkeeper.api.app import create_app
from shelfkeeper.context import AppContext
from shelfkeeper.db.migrate import head_revision
from shelfkeeper.db.tables import Book, Download, FailedAttempt, MetadataCorrection, Task, WantedBook
from shelfkeeper.settings import Settings

SECRETS = {  # setting -> a value that must never be shown
    "api_key": "system-test-api-key-42",
    "abs_token": "abs-token-secret-1",
    "qb_password": "qb-password-secret-2",
    "prowlarr_api_key": "prowlarr-secret-3",
    "google_books_api_key": "google-secret-4",
    "mam_id": "mam-cookie-secret-5",
    "mam_password": "mam-password-secret-6",
    "sentry_dsn": "https://sentry-secret-7@sentry.example/1",
}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True and body["error"] is None and body["error_code"] is None
    assert datetime.fromisoformat(body["timestamp"]).utcoffset() == timedelta(0)
    return body["data"]


def test_health_says_the_database_is_reachable(anonymous_client):
    health = ok(anonymous_client.get("/health"))
    assert health == {"status": "ok", "version": __version__, "database": {"reachable": True, "error": None}}


def test_status_names_the_version_database_revision_and_notes(client, engine):
    status = ok(client.get("/api/system/status"))
    assert status["version"] == __version__ and status["uptime_seconds"] >= 0
    database = status["database"]
    assert database["backend"] == engine.dialect.name and database["reachable"] is True
    assert database["revision"] == database["head"] == head_revision(engine)
    assert database["url"] == engine.url.render_as_string(hide_password=True)
    assert "audiobookshelf is not configured" in status["configuration_notes"]
    assert isinstance(status["scheduler"], dict)


def test_configuration_is_shown_with_every_secret_redacted(tmp_path: Path, engine):
    settings = Settings(
        data_dir=tmp_path / "data",
        run_scheduler=False,
        abs_url="http://abs.local:13378",
        qb_host="127.0.0.1",
        qb_username="admin",
        mam_username="reader",
        _env_file=None,
        **SECRETS,
    )
    context = AppContext.from_settings(settings, engine=engine)
    with TestClient(create_app(context=context), headers={"X-Api-Key": SECRETS["api_key"]}) as client:
        response = client.get("/api/system/config")
        config = ok(response)
    for name, secret in SECRETS.items():
        assert config[name] == "********", name
        assert secret not in response.text, name
    assert config["prowlarr_url"] is None and config["abs_url"] == "http://abs.local:13378"
    assert config["qb_username"] == "admin" and config["qb_port"] == 8080
    assert config["data_dir"] == str(tmp_path / "data")
    assert config["configured_services"]["audiobookshelf"] is True
    assert config["configured_services"]["prowlarr"] is False
    assert config["resolved_database_url"].startswith(engine.dialect.name)


def test_unset_secrets_are_null_not_redacted(client):
    config = ok(client.get("/api/system/config"))
    assert config["api_key"] == "********"
    assert config["abs_token"] is None and config["mam_id"] is None
    assert config["configured_services"]["mam"] is False


def test_statistics_count_every_table_by_status(client, session):
    book = Book(title="B", title_sort="b")
    session.add(book)
    session.flush()
    wanted = [
        WantedBook(title=f"W{i}", reason="series_gap", source="audnexus", dedupe_key=f"w{i}", status=status)
        for i, status in enumerate(("wanted", "wanted", "ignored"))
    ]
    session.add_all(wanted)
    session.flush()
    session.add_all(
        [
            Download(indexer="MAM", release_title="r1", guid="g1", status="downloading", wanted_book_id=wanted[0].id),
            Download(indexer="MAM", release_title="r2", guid="g2", status="failed"),
            Download(indexer="MAM", release_title="r3", guid="g3", status="failed"),
            Task(name="library_sync_task", trigger="schedule", status="success"),
            MetadataCorrection(book_id=book.id, field="asin", source="audnexus", confidence=0.9, status="pending"),
            FailedAttempt(kind="download", subject="r2", reason="stalled"),
            FailedAttempt(kind="download", subject="r3", reason="stalled"),
        ]
    )
    session.commit()
    ok(
        client.post(
            "/api/books",
            json={"title": "Dune", "authors": ["Frank Herbert"], "series": [{"name": "Dune", "position": "1"}]},
        ),
        201,
    )
    stats = ok(client.get("/api/system/stats"))
    assert (stats["books"], stats["series"], stats["authors"]) == (2, 1, 1)
    assert stats["wanted"] == {"wanted": 2, "ignored": 1}
    assert stats["downloads"] == {"downloading": 1, "failed": 2}
    assert stats["tasks"] == {"success": 1} and stats["corrections"] == {"pending": 1}
    assert stats["failed_attempts"] == 2
