"""GET /api/system/health against the fakes and a real qBittorrent (problems raised, then cleared), the calendar and
its iCal feed (the one route that takes ?apikey=), and the event history endpoint."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from shelfkeeper.api.app import create_app
from shelfkeeper.automation.health import can_hardlink, database_problems, local_problems
from shelfkeeper.context import AppContext
from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import Download, EventRow, ServiceState, Task, WantedBook
from shelfkeeper.domain.health import TokenKind, token_facts
from shelfkeeper.settings import Settings
from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf
from shelfkeeper.testing.fakes.prowlarr import FakeProwlarr
from shelfkeeper.testing.server import LiveServer, free_port
from tests.automation.acquisition_support import PROWLARR_KEY, shared_qbittorrent, shared_server

KEY = "health-calendar-api-key-0123"
ABS_TOKEN = "abs-health-token-0123456789"


def data(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()["data"]


def client_for(engine, **values: Any) -> TestClient:
    settings = Settings(_env_file=None, api_key=KEY, run_scheduler=False, **values)  # type: ignore[call-arg]
    return TestClient(create_app(context=AppContext.from_settings(settings, engine=engine)), headers={"X-Api-Key": KEY})


@pytest.fixture
def abs_server():
    fake = FakeAudiobookshelf(ABS_TOKEN)
    server = LiveServer(fake.app).start()
    yield fake, server
    server.stop()


@pytest.mark.qbittorrent
def test_health_reports_unreachable_audiobookshelf_and_a_missing_library_then_nothing(engine, tmp_path, abs_server):
    _fake, server = abs_server
    qbt = shared_qbittorrent()
    slot, prowlarr = shared_server("prowlarr")
    slot.app = FakeProwlarr(PROWLARR_KEY).app
    common = {
        "data_dir": tmp_path / "data",
        "qb_host": qbt.host,
        "qb_port": qbt.port,
        "qb_username": qbt.username,
        "qb_password": qbt.password,
        "prowlarr_url": prowlarr.url,
        "prowlarr_api_key": PROWLARR_KEY,
        "abs_token": ABS_TOKEN,
    }
    library = tmp_path / "library"
    with client_for(engine, abs_url=f"http://127.0.0.1:{free_port()}", library_path=library, **common) as client:
        report = data(client.get("/api/system/health", params={"refresh": "true"}))
    found = {(p["code"], p["source"]): p for p in report["problems"]}
    assert set(found) == {("unreachable", "audiobookshelf"), ("library_path_missing", str(library))}
    assert found[("unreachable", "audiobookshelf")]["level"] == "error"
    assert found[("library_path_missing", str(library))]["doc"] == "docs/troubleshooting.md#library-path"
    assert report["healthy"] is False

    library.mkdir()
    with client_for(engine, abs_url=server.url, library_path=library, **common) as client:
        report = data(client.get("/api/system/health", params={"refresh": "true"}))
        assert report == {"checked_at": report["checked_at"], "healthy": True, "problems": []}
        history = data(client.get("/api/events", params={"type": ["health_problem", "health_resolved"]}))
    assert [item["type"] for item in history["items"]] == ["health_resolved"] * 2 + ["health_problem"] * 2


def test_health_answers_a_fresh_check_without_checking_again(client, engine):
    first = data(client.get("/api/system/health"))
    codes = {p["code"] for p in first["problems"]}
    assert {"not_configured", "library_path_unset"} <= codes
    again = data(client.get("/api/system/health"))
    assert again["checked_at"] == first["checked_at"]


def test_a_user_that_cannot_update_or_scan_and_an_expiring_token_are_reported(engine, tmp_path, abs_server):
    fake, server = abs_server
    claims = {"userId": "usr_reader", "type": "access", "exp": int(datetime(2030, 1, 1, tzinfo=UTC).timestamp())}
    token = "x." + base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=") + ".sig"
    fake.add_user("reader", "pw", "user", token=token)
    with client_for(engine, abs_url=server.url, abs_token=token, data_dir=tmp_path / "d") as client:
        report = data(client.get("/api/system/health", params={"refresh": "true"}))
    codes = {p["code"] for p in report["problems"] if p["source"] == "audiobookshelf"}
    assert codes == {"cannot_update", "cannot_scan", "token_expires"}


@pytest.mark.parametrize(
    ("claims", "kind"),
    [
        ({"type": "api", "userId": "u"}, TokenKind.API_KEY),
        ({"type": "access", "exp": 1_900_000_000}, TokenKind.ACCESS_TOKEN),
        ({"userId": "u", "username": "root"}, TokenKind.LEGACY),
    ],
)
def test_token_kinds_are_read_from_the_jwt(claims, kind):
    token = "h." + base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=") + ".s"
    assert token_facts(token).kind == kind
    assert token_facts("not-a-jwt").kind == TokenKind.UNKNOWN


def test_local_checks_name_mappings_space_and_hardlinks(tmp_path: Path):
    library = tmp_path / "library"
    library.mkdir()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        library_path=library,
        remote_path_mappings=[f"/downloads={tmp_path / 'nowhere'}"],
        health_min_free_gb=10**9,
    )
    codes = {(p.code, p.source) for p in local_problems(settings)}
    assert codes == {("mapping_missing", str(tmp_path / "nowhere"))}
    (tmp_path / "nowhere").mkdir()
    codes = {p.code for p in local_problems(settings)}
    assert codes == {"disk_space_low"}
    assert can_hardlink(tmp_path / "nowhere", library) is True
    shm = Path("/dev/shm")
    if shm.is_dir() and os.stat(shm).st_dev != os.stat(library).st_dev:
        assert can_hardlink(shm, library) is False
    assert list(library.iterdir()) == []


def test_failing_jobs_a_stopped_scheduler_and_a_low_mam_ratio(engine, sessions):
    settings = Settings(_env_file=None, run_scheduler=True, mam_id="cookie", mam_ratio_floor=1.0)  # type: ignore[call-arg]
    now = datetime(2026, 12, 7, tzinfo=UTC)
    with unit_of_work(sessions) as session:
        for _ in range(3):
            session.add(Task(name="library_sync_task", trigger="scheduled", status="failed"))
        session.add(Task(name="cleanup_old_tasks", trigger="scheduled", status="failed"))
        session.add(Task(name="cleanup_old_tasks", trigger="scheduled", status="success"))
        session.add(ServiceState(service="mam", data={"stats": {"ratio": 0.6}}))
    with sessions() as session:
        found = {(p.code, p.source) for p in database_problems(session, settings, now)}
    assert found == {
        ("job_failing", "library_sync_task"),
        ("scheduler_stopped", "scheduler"),
        ("mam_ratio_low", "mam"),
    }


def seed_calendar(sessions, now: datetime) -> None:
    with unit_of_work(sessions) as session:
        upcoming = WantedBook(
            title="The Next One", author_name="An Author", series_name="Saga", series_position="4",
            release_date=now + timedelta(days=10), upcoming=True, reason="series_gap", source="test", dedupe_key="a",
        )  # fmt: skip
        ignored = WantedBook(
            title="Not Wanted", author_name="Other", release_date=now + timedelta(days=5), status="ignored",
            reason="author", source="test", dedupe_key="b",
        )  # fmt: skip
        done = WantedBook(title="Came In", author_name="An Author", reason="manual", source="test", dedupe_key="c")
        session.add_all([upcoming, ignored, done])
        session.flush()
        session.add(
            Download(
                wanted_book_id=done.id,
                indexer="x",
                release_title="Came In [M4B]",
                guid="g",
                status="imported",
                imported_at=now - timedelta(days=2),
            )
        )


def test_calendar_lists_upcoming_releases_and_recent_imports(client, sessions):
    now = datetime.now(UTC)
    seed_calendar(sessions, now)
    entries = data(client.get("/api/calendar"))
    assert [(e["kind"], e["title"]) for e in entries] == [("import", "Came In"), ("release", "The Next One")]
    assert entries[1]["series"] == "Saga" and entries[1]["position"] == "4"
    bad = client.get("/api/calendar", params={"start": now.isoformat(), "end": (now - timedelta(days=1)).isoformat()})
    assert bad.status_code == 422 and bad.json()["error_code"] == "VALIDATION_ERROR"


def test_the_ical_feed_takes_the_key_in_the_query_and_holds_the_upcoming_book(context, sessions):
    now = datetime.now(UTC)
    seed_calendar(sessions, now)
    with TestClient(create_app(context=context)) as anonymous:
        assert anonymous.get("/feed/calendar.ics").status_code == 401
        assert anonymous.get("/feed/calendar.ics", params={"apikey": "wrong"}).status_code == 401
        answer = anonymous.get("/feed/calendar.ics", params={"apikey": context.settings.api_key.get_secret_value()})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
        # Every other route still refuses a key in the query string.
        key = context.settings.api_key.get_secret_value()
        assert anonymous.get("/api/calendar", params={"apikey": key}).status_code == 401
    calendar = Calendar.from_ical(answer.content)
    summaries = {str(event.get("summary")): event for event in calendar.walk("VEVENT")}
    assert set(summaries) == {"The Next One (released)", "Came In (imported)"}
    assert summaries["The Next One (released)"].decoded("dtstart") == (now + timedelta(days=10)).date()


def test_event_rows_are_listed_by_the_history_endpoint(client, sessions):
    with unit_of_work(sessions) as session:
        session.add(EventRow(type="grabbed", message="m1", data={"book": {"title": "A"}}, download_id=3))
        session.add(EventRow(type="imported", message="m2", data={}, download_id=3))
        session.add(EventRow(type="imported", message="m3", data={}, download_id=4))
    page = data(client.get("/api/events", params={"download_id": 3}))
    assert page["total"] == 2 and [item["message"] for item in page["items"]] == ["m2", "m1"]
    assert page["items"][1]["title"] == "Grabbed: A"
    assert client.get("/api/events", params={"type": "nonsense"}).status_code == 422


def test_every_health_problem_links_to_a_section_of_troubleshooting():
    import re

    from shelfkeeper.automation import health

    text = Path(__file__).resolve().parents[2].joinpath("docs", "troubleshooting.md").read_text(encoding="utf-8")
    anchors = {re.sub(r"[^a-z0-9 -]", "", line[4:].strip().lower()).replace(" ", "-") for line in text.splitlines()
               if line.startswith("### ")}  # fmt: skip
    source = Path(health.__file__).read_text(encoding="utf-8")
    used = set(re.findall(r'Level\.(?:WARNING|ERROR), (?:message|f"[^"]*"), "([a-z0-9-]+)"\)', source))
    assert len(used) >= 10
    assert used <= anchors, used - anchors
