"""GET /api/system/integrations and POST .../{name}/test against the fakes and a real qBittorrent."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfkeeper.api.app import create_app
from shelfkeeper.context import AppContext
from shelfkeeper.integrations import SERVICES, Integrations
from shelfkeeper.settings import Settings, load_settings
from shelfkeeper.testing.clock import RecordingSleep
from shelfkeeper.testing.fakes.audible import FakeAudible
from shelfkeeper.testing.fakes.audiobookshelf import VERSION as ABS_VERSION
from shelfkeeper.testing.fakes.audiobookshelf import FakeAudiobookshelf
from shelfkeeper.testing.fakes.audnexus import FakeAudnexus
from shelfkeeper.testing.fakes.google_books import FakeGoogleBooks
from shelfkeeper.testing.fakes.mam import FakeMam
from shelfkeeper.testing.fakes.openlibrary import FakeOpenLibrary
from shelfkeeper.testing.fakes.prowlarr import FakeProwlarr
from shelfkeeper.testing.qbittorrent import QbittorrentProcess
from shelfkeeper.testing.server import LiveServer

API_KEY = "integrations-api-key-0123456789"
ABS_TOKEN = "abs-token-5f4e3d2c1b0a99"
PROWLARR_KEY = "prowlarr-key-8a7b6c5d4e3f21"
MAM_COOKIE = "mam-cookie-initial-1234567890abcdef"
GOOGLE_KEY = "google-key-AIzaFAKE0987654321"
WRONG = {
    "abs_token": "abs-token-wrong-000000000",
    "prowlarr_api_key": "prowlarr-key-wrong-0000000",
    "mam_id": "mam-cookie-wrong-0000000000",
    "google_books_api_key": "google-key-wrong-000000000",
}
DOWNLOAD_CLIENTS = (
    "qbittorrent",
    "transmission",
    "deluge",
    "nzbget",
)  # real daemons (here and test_integrations_clients.py)
FAKED = tuple(name for name in SERVICES if name not in DOWNLOAD_CLIENTS)
KEYLESS = ("audnexus", "audible", "openlibrary")  # no credentials: a blocking proxy's 403 is their auth failure


@dataclass
class Fakes:
    """Every fake served for real on 127.0.0.1, and the settings that point Shelfkeeper at them."""

    apps: dict[str, Any]
    servers: dict[str, LiveServer] = field(default_factory=dict)

    def settings(self, **overrides: Any) -> dict[str, Any]:
        values: dict[str, Any] = {
            "abs_url": self.servers["audiobookshelf"].url,
            "abs_token": ABS_TOKEN,
            "prowlarr_url": self.servers["prowlarr"].url,
            "prowlarr_api_key": PROWLARR_KEY,
            "mam_url": self.servers["mam"].url,
            "mam_id": MAM_COOKIE,
            "google_books_url": self.servers["google_books"].url + "/books/v1",
            "google_books_api_key": GOOGLE_KEY,
            "audnexus_url": self.servers["audnexus"].url,
            "audible_url": self.servers["audible"].url,
            "openlibrary_url": self.servers["openlibrary"].url,
        }
        return {**values, **overrides}

    def requests_seen(self) -> dict[str, int]:
        """How many requests each fake received (FakeAudiobookshelf and the others all keep ``requests``)."""
        return {name: len(app.requests) for name, app in self.apps.items()}

    def stop(self) -> None:
        # In parallel: each uvicorn notices its exit flag on its own 0.1 s tick.
        with ThreadPoolExecutor(max_workers=len(self.servers) or 1) as pool:
            list(pool.map(LiveServer.stop, self.servers.values()))


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    apps: dict[str, Any] = {
        "audiobookshelf": FakeAudiobookshelf(ABS_TOKEN),
        "prowlarr": FakeProwlarr(PROWLARR_KEY),
        "mam": FakeMam(MAM_COOKIE, rotate_every=1),  # every answer rotates the cookie: the worst case for leaks
        "google_books": FakeGoogleBooks(api_keys={GOOGLE_KEY}),
        "audnexus": FakeAudnexus(),
        "audible": FakeAudible(),
        "openlibrary": FakeOpenLibrary(),
    }
    served = Fakes(apps)
    try:
        for name, app in apps.items():
            served.servers[name] = LiveServer(app.app).start()
        yield served
    finally:
        served.stop()


@pytest.fixture
def fake_sleep() -> RecordingSleep:
    return RecordingSleep()


Connect = Callable[..., Any]


@pytest.fixture
def connect(engine: Engine, tmp_path: Path, fake_sleep: RecordingSleep) -> Iterator[Connect]:
    """``connect(settings_values, check_timeout=10.0)``: a context manager giving an API client for those settings."""

    @contextmanager
    def open_client(values: dict[str, Any], *, check_timeout: float = 10.0) -> Iterator[TestClient]:
        settings = Settings(data_dir=tmp_path / "data", api_key=API_KEY, run_scheduler=False, _env_file=None, **values)
        yield from _client_for(settings, engine, fake_sleep, check_timeout)

    yield open_client


def _client_for(
    settings: Settings, engine: Engine, sleep: RecordingSleep, check_timeout: float
) -> Iterator[TestClient]:
    context = AppContext.from_settings(settings, engine=engine)
    context.integrations = Integrations(context, check_timeout=check_timeout, sleep=sleep)
    with TestClient(create_app(context=context), headers={"X-Api-Key": API_KEY}) as client:
        yield client


def secrets_of(fakes: Fakes | None = None, *extra: str) -> list[str]:
    rotated = list(fakes.apps["mam"].rotations) if fakes is not None else []
    return [API_KEY, ABS_TOKEN, PROWLARR_KEY, MAM_COOKIE, GOOGLE_KEY, *WRONG.values(), *rotated, *extra]


def rows(client: TestClient, *, check: bool = False, secrets: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """The integrations list by name, after checking the envelope and that no secret is in the body."""
    response = client.get("/api/system/integrations", params={"check": "true"} if check else None)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["error"] is None
    assert_no_secret(response.text, secrets or [])
    return {row["name"]: row for row in body["data"]}


def checked_row(client: TestClient, name: str, secrets: list[str] | None = None) -> dict[str, Any]:
    response = client.post(f"/api/system/integrations/{name}/test")
    assert response.status_code == 200, response.text
    assert_no_secret(response.text, secrets or [])
    row: dict[str, Any] = response.json()["data"]
    assert row["name"] == name and row["checked"] is row["configured"]  # nothing to check without settings
    return row


def assert_no_secret(text: str, secrets: list[str]) -> None:
    leaked = [secret for secret in secrets if secret in text]
    assert leaked == [], f"secrets in the response: {leaked}"


# ---- qBittorrent: the done-when, against the real program ----------------------------------------------


@pytest.fixture(scope="module")
def qbittorrent() -> Iterator[QbittorrentProcess]:
    with QbittorrentProcess() as process:
        yield process


def installed_qbittorrent_version() -> str:
    out = subprocess.run(
        ["qbittorrent-nox", "--version"], stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True
    )
    return out.stdout.split()[-1]  # "qBittorrent v4.5.2" -> "v4.5.2"


@contextmanager
def qbittorrent_app(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, tmp_path: Path, process: QbittorrentProcess, password: str
) -> Iterator[TestClient]:
    """The app configured the way a user does it: QB_HOST, QB_PORT, QB_USERNAME and QB_PASSWORD in the environment."""
    for name, value in {
        "QB_HOST": process.host,
        "QB_PORT": str(process.port),
        "QB_USERNAME": process.username,
        "QB_PASSWORD": password,
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(data_dir=tmp_path / "data", api_key=API_KEY, run_scheduler=False, _env_file=None)
    yield from _client_for(settings, engine, RecordingSleep(), 10.0)


@pytest.mark.qbittorrent
def test_real_qbittorrent_reachable_with_version_and_wrong_password_reported(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, tmp_path: Path, qbittorrent: QbittorrentProcess
) -> None:
    secrets = [API_KEY, qbittorrent.password, "wrong-password-123456"]
    with qbittorrent_app(monkeypatch, engine, tmp_path, qbittorrent, qbittorrent.password) as client:
        row = rows(client, check=True, secrets=secrets)["qbittorrent"]
        assert (row["configured"], row["reachable"], row["auth_ok"]) == (True, True, True)
        assert row["version"] == installed_qbittorrent_version()
        assert row["last_error"] is None and row["budget_left"] is None
        assert rows(client, secrets=secrets)["qbittorrent"]["version"] == row["version"]  # remembered without a check

    with qbittorrent_app(monkeypatch, engine, tmp_path, qbittorrent, "wrong-password-123456") as client:
        row = rows(client, check=True, secrets=secrets)["qbittorrent"]
        assert (row["configured"], row["reachable"], row["auth_ok"]) == (True, True, False)
        assert row["last_error_code"] == "SERVICE_AUTH_FAILED" and "password" in row["last_error"]
        assert row["version"] is None
        again = checked_row(client, "qbittorrent", secrets)  # the service keeps running and keeps answering
        assert again["auth_ok"] is False
        assert client.get("/health").json()["data"]["status"] == "ok"
        assert client.get("/api/system/status").status_code == 200


# ---- every other service through its fake ---------------------------------------------------------------------


def test_every_service_reachable_through_its_fake_with_its_version(fakes: Fakes, connect: Connect) -> None:
    with connect(fakes.settings()) as client:
        found = rows(client, check=True, secrets=secrets_of(fakes))
    assert list(found) == list(SERVICES)
    versions = {"audiobookshelf": ABS_VERSION, "prowlarr": fakes.apps["prowlarr"].version}
    for name in FAKED:
        row = found[name]
        assert (row["configured"], row["checked"], row["reachable"]) == (True, True, True), row
        assert row["version"] == versions.get(name), row
        assert row["last_error"] is None and row["checked_at"] is not None
    for name in ("audiobookshelf", "prowlarr", "mam", "google_books"):
        assert found[name]["auth_ok"] is True, found[name]
    assert [found[name]["configured"] for name in DOWNLOAD_CLIENTS] == [False] * len(DOWNLOAD_CLIENTS)
    assert fakes.apps["mam"].rotations  # the cookie rotated, and neither value showed up (checked in rows())


@pytest.mark.parametrize("name", ["audiobookshelf", "prowlarr", "mam", "google_books"])
def test_wrong_credentials_are_an_authentication_failure(fakes: Fakes, connect: Connect, name: str) -> None:
    setting = {"audiobookshelf": "abs_token", "prowlarr": "prowlarr_api_key", "mam": "mam_id"}.get(
        name, "google_books_api_key"
    )
    with connect(fakes.settings(**{setting: WRONG[setting]})) as client:
        row = checked_row(client, name, secrets_of(fakes))
        assert (row["configured"], row["reachable"], row["auth_ok"]) == (True, True, False), row
        assert row["last_error_code"] == "SERVICE_AUTH_FAILED"
        assert client.get("/api/system/status").status_code == 200  # nothing else is disturbed
        assert rows(client, secrets=secrets_of(fakes))[name]["auth_ok"] is False


@pytest.mark.parametrize("name", KEYLESS)
def test_keyless_service_blocked_is_an_authentication_failure(fakes: Fakes, connect: Connect, name: str) -> None:
    fakes.apps[name].faults.set("expired_auth")
    with connect(fakes.settings()) as client:
        row = checked_row(client, name, secrets_of(fakes))
    assert (row["reachable"], row["auth_ok"], row["last_error_code"]) == (True, False, "SERVICE_AUTH_FAILED"), row


def test_stopped_fakes_are_unreachable(fakes: Fakes, connect: Connect, fake_sleep: RecordingSleep) -> None:
    fakes.stop()
    with connect(fakes.settings()) as client:
        found = rows(client, check=True, secrets=secrets_of(fakes))
    for name in FAKED:
        row = found[name]
        assert (row["configured"], row["checked"], row["reachable"]) == (True, True, False), row
        assert row["last_error_code"] == "SERVICE_UNREACHABLE" and row["last_error_at"] is not None, row
        assert row["version"] is None
    assert fake_sleep.calls  # the retries waited on the fake sleep, not on the clock


def test_not_configured_services(fakes: Fakes, connect: Connect) -> None:
    values = fakes.settings()
    for name in ("abs_url", "abs_token", "prowlarr_url", "prowlarr_api_key", "mam_id"):
        values.pop(name)
    with connect(values) as client:
        found = rows(client)
        for name in ("audiobookshelf", "qbittorrent", "prowlarr", "mam"):
            row = found[name]
            assert (row["configured"], row["reachable"], row["auth_ok"]) == (False, False, None), row
            assert row["last_error_code"] == "SERVICE_NOT_CONFIGURED"
            assert checked_row(client, name)["configured"] is False  # a test of it is an answer, not an error
        assert "MAM_ID" in found["mam"]["last_error"] and "QB_HOST" in found["qbittorrent"]["last_error"]
        assert found["google_books"]["configured"] is True
    assert fakes.requests_seen()["mam"] == 0


def test_get_without_check_calls_no_service_and_shows_the_last_result(fakes: Fakes, connect: Connect) -> None:
    with connect(fakes.settings()) as client:
        before = rows(client)
        assert all(not row["checked"] and row["reachable"] is None for row in before.values() if row["configured"])
        assert set(fakes.requests_seen().values()) == {0}
        checked_row(client, "prowlarr")
        seen = fakes.requests_seen()
        after = rows(client)
        assert fakes.requests_seen() == seen  # showing the result asked nothing more
    assert after["prowlarr"]["reachable"] is True and after["prowlarr"]["checked"] is True
    assert after["audiobookshelf"]["checked"] is False
    with connect(fakes.settings()) as restarted:
        assert rows(restarted)["prowlarr"]["version"] == fakes.apps["prowlarr"].version  # kept in the database


def test_each_check_has_a_time_limit(fakes: Fakes, connect: Connect) -> None:
    for app in fakes.apps.values():
        app.faults.set("slow", delay=1.0)
    with connect(fakes.settings(), check_timeout=0.2) as client:
        found = rows(client, check=True, secrets=secrets_of(fakes))
    for app in fakes.apps.values():
        app.faults.clear()
    for name in list(FAKED):
        assert (found[name]["reachable"], found[name]["last_error_code"]) == (False, "SERVICE_UNREACHABLE")
        assert "no answer within 0.2 s" in found[name]["last_error"]


def test_checks_run_concurrently(fakes: Fakes, connect: Connect) -> None:
    # Each fake holds its first request until every fake holds one. Checked one after another, the first
    # check would wait alone until its limit and fail; together, every check is answered. No clock is read.
    slow = list(FAKED)
    gate = threading.Barrier(len(slow))
    for name in slow:
        fakes.apps[name].faults.set("slow", delay=0.0, gate=gate, times=1)
    with connect(fakes.settings(), check_timeout=60) as client:
        found = rows(client, check=True, secrets=secrets_of(fakes))
    for app in fakes.apps.values():
        app.faults.clear()
    assert not gate.broken
    assert {name: found[name]["reachable"] for name in slow} == dict.fromkeys(slow, True)


def test_budget_left_for_mam_and_google_books_decreases(fakes: Fakes, connect: Connect) -> None:
    values = fakes.settings(mam_daily_request_cap=3, google_books_daily_budget=5)
    with connect(values) as client:
        first = rows(client)
        assert (first["mam"]["budget_limit"], first["mam"]["budget_left"]) == (3, 3)
        assert (first["google_books"]["budget_limit"], first["google_books"]["budget_left"]) == (5, 5)
        assert all(first[name]["budget_left"] is None for name in ("prowlarr", "audnexus", "openlibrary"))
        assert checked_row(client, "mam")["budget_left"] == 2
        assert checked_row(client, "google_books")["budget_left"] == 4
        integrations: Integrations = client.app.state.context.integrations
        assert client.portal is not None
        client.portal.call(integrations.mam().user_stats)  # a job's request counts against the same budget
        assert rows(client)["mam"]["budget_left"] == 1
        assert checked_row(client, "mam")["budget_left"] == 0
        spent = checked_row(client, "mam", secrets_of(fakes))
    assert spent["last_error_code"] == "SERVICE_QUOTA_EXHAUSTED" and spent["budget_left"] == 0
    assert len([r for r in fakes.apps["mam"].requests if r[1] == "/jsonLoad.php"]) == 3  # none past the budget


def test_unknown_integration_and_bad_query(fakes: Fakes, connect: Connect, anonymous_client: TestClient) -> None:
    with connect(fakes.settings()) as client:
        missing = client.post("/api/system/integrations/sonarr/test")
        assert missing.status_code == 404
        assert missing.json()["error_code"] == "INTEGRATION_NOT_FOUND" and "sonarr" in missing.json()["error"]
        invalid = client.get("/api/system/integrations", params={"check": "sometimes"})
        assert (invalid.status_code, invalid.json()["error_code"]) == (422, "VALIDATION_ERROR")
    for method, path in (("GET", "/api/system/integrations"), ("POST", "/api/system/integrations/mam/test")):
        assert anonymous_client.request(method, path).status_code == 401


def test_no_secret_in_any_answer_even_with_rotations_and_failures(fakes: Fakes, connect: Connect) -> None:
    with ExitStack() as stack:
        good = stack.enter_context(connect(fakes.settings()))
        bad = stack.enter_context(connect(fakes.settings(**WRONG)))
        for client in (good, bad, good):
            rows(client, check=True, secrets=secrets_of(fakes))
            for name in SERVICES:
                checked_row(client, name, secrets_of(fakes))
        fakes.apps["prowlarr"].faults.set("server_error")
        row = checked_row(good, "prowlarr", secrets_of(fakes))
        assert row["last_error_code"] == "SERVICE_ERROR"
        config = good.get("/api/system/config")
        assert_no_secret(config.text, secrets_of(fakes))
    assert len(fakes.apps["mam"].rotations) >= 2
