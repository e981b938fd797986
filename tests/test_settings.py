"""Settings: every variable from the environment and from .env, clear errors that name the variable, no secrets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from shelfkeeper.api.app import create_app
from shelfkeeper.errors import ConfigurationError
from shelfkeeper.settings import DEFAULT_SCHEDULES, JOB_NAMES, Settings, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No setting in the environment and a working directory without a .env file."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def secret(value: str) -> SecretStr:
    return SecretStr(value)


VARIABLES = [  # variable, value as written, attribute, value read
    (
        "DATABASE_URL",
        "postgresql://shelf:pw@db:5432/shelf",
        "database_url",
        "postgresql+psycopg://shelf:pw@db:5432/shelf",
    ),
    ("DATABASE_URL", "postgres://shelf@db/shelf", "database_url", "postgresql+psycopg://shelf@db/shelf"),
    ("DATABASE_URL", "sqlite:////srv/shelf.db", "database_url", "sqlite:////srv/shelf.db"),
    ("API_KEY", "k" * 32, "api_key", secret("k" * 32)),
    ("ABS_URL", "http://audiobookshelf:13378/", "abs_url", "http://audiobookshelf:13378"),
    ("ABS_TOKEN", "abs-token", "abs_token", secret("abs-token")),
    ("ABS_LIBRARY_IDS", "lib_1, lib_2", "abs_library_ids", ["lib_1", "lib_2"]),
    ("QB_HOST", "qbittorrent", "qb_host", "qbittorrent"),
    ("QB_PORT", "8090", "qb_port", 8090),
    ("QB_USERNAME", "admin", "qb_username", "admin"),
    ("QB_PASSWORD", "adminadmin", "qb_password", secret("adminadmin")),
    ("QB_CATEGORY", "books", "qb_category", "books"),
    ("PROWLARR_URL", "http://prowlarr:9696", "prowlarr_url", "http://prowlarr:9696"),
    ("PROWLARR_API_KEY", "prowlarr-key", "prowlarr_api_key", secret("prowlarr-key")),
    ("PROWLARR_INDEXER_IDS", "1, 5,9", "prowlarr_indexer_ids", [1, 5, 9]),
    ("GOOGLE_BOOKS_API_KEY", "google-key", "google_books_api_key", secret("google-key")),
    ("MAM_ID", "mam-cookie", "mam_id", secret("mam-cookie")),
    ("MAM_USERNAME", "reader", "mam_username", "reader"),
    ("MAM_PASSWORD", "hunter2", "mam_password", secret("hunter2")),
    ("GOOGLE_BOOKS_URL", "http://127.0.0.1:9001/books/v1", "google_books_url", "http://127.0.0.1:9001/books/v1"),
    ("MAM_URL", "http://127.0.0.1:9002", "mam_url", "http://127.0.0.1:9002"),
    ("AUDNEXUS_URL", "http://127.0.0.1:9003/", "audnexus_url", "http://127.0.0.1:9003"),
    ("AUDIBLE_URL", "http://127.0.0.1:9004", "audible_url", "http://127.0.0.1:9004"),
    ("OPENLIBRARY_URL", "http://127.0.0.1:9005", "openlibrary_url", "http://127.0.0.1:9005"),
    ("DATA_DIR", "/srv/shelfkeeper", "data_dir", Path("/srv/shelfkeeper")),
    ("LIBRARY_PATH", "/audiobooks", "library_path", Path("/audiobooks")),
    (
        "REMOTE_PATH_MAPPINGS",
        "/downloads=/mnt/downloads, /data/t=/srv/t",
        "remote_path_mappings",
        ["/downloads=/mnt/downloads", "/data/t=/srv/t"],
    ),
    ("TIMEZONE", "Europe/Berlin", "timezone", "Europe/Berlin"),
    ("METADATA_APPLY_THRESHOLD", "0.95", "metadata_apply_threshold", 0.95),
    ("METADATA_REVIEW_THRESHOLD", "0.5", "metadata_review_threshold", 0.5),
    ("METADATA_DRY_RUN", "true", "metadata_dry_run", True),
    ("QUALITY_FORMAT_ORDER", "mp3, m4b", "quality_format_order", ["mp3", "m4b"]),
    ("QUALITY_MIN_BITRATE_KBPS", "64", "quality_min_bitrate_kbps", 64),
    ("QUALITY_LANGUAGES", "english,german", "quality_languages", ["english", "german"]),
    ("QUALITY_FORBIDDEN_WORDS", "abridged", "quality_forbidden_words", ["abridged"]),
    ("QUALITY_MIN_SEEDERS", "3", "quality_min_seeders", 3),
    ("FOLLOWED_GENRES", "Fantasy, Science Fiction", "followed_genres", ["Fantasy", "Science Fiction"]),
    ("AUTO_GRAB", "yes", "auto_grab", True),
    ("RUN_SCHEDULER", "false", "run_scheduler", False),
    ("LOG_LEVEL", "debug", "log_level", "debug"),
    ("PORT", "9999", "port", 9999),
    ("TASK_RETENTION_DAYS", "45", "task_retention_days", 45),
    *[(f"SCHEDULE_{job.upper()}", "15 5 * * mon", f"schedule_{job}", "15 5 * * mon") for job in JOB_NAMES],
]


def _read(settings: Settings, attribute: str) -> Any:
    value = getattr(settings, attribute)
    return SecretStr(value.get_secret_value()) if isinstance(value, SecretStr) else value


@pytest.mark.parametrize("source", ["environment", "dotenv"])
@pytest.mark.parametrize(
    ("variable", "raw", "attribute", "expected"), VARIABLES, ids=[f"{v[0]}={v[1]}" for v in VARIABLES]
)
def test_every_variable_is_read(monkeypatch, clean_environment, source, variable, raw, attribute, expected):
    if source == "environment":
        monkeypatch.setenv(variable, raw)
    else:
        (clean_environment / ".env").write_text(f"# a comment\n{variable}={raw}\n", encoding="utf-8")
    assert _read(load_settings(), attribute) == expected


def test_the_environment_wins_over_the_dotenv_file(monkeypatch, clean_environment):
    (clean_environment / ".env").write_text("QB_HOST=from-file\nQB_PORT=1111\n", encoding="utf-8")
    monkeypatch.setenv("QB_HOST", "from-environment")
    settings = load_settings()
    assert (settings.qb_host, settings.qb_port) == ("from-environment", 1111)


def test_the_defaults_are_the_public_services_and_the_documented_schedules(monkeypatch, clean_environment):
    monkeypatch.setenv("HOME", str(clean_environment / "home"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    settings = load_settings()
    assert settings.google_books_url == "https://www.googleapis.com/books/v1"
    assert settings.mam_url == "https://www.myanonamouse.net"
    assert settings.audnexus_url == "https://api.audnex.us"
    assert settings.audible_url == "https://api.audible.com"
    assert settings.openlibrary_url == "https://openlibrary.org"
    data_dir = clean_environment / "home" / ".local" / "share" / "shelfkeeper"  # the same from any folder
    assert settings.data_dir == data_dir and settings.database_url is None
    assert settings.resolved_database_url == f"sqlite:///{data_dir / 'shelfkeeper.db'}"
    assert settings.api_key is None and settings.remote_path_mappings == []
    spec_table = {  # SPEC §5
        "mam_scraping_task": "0 2 * * *",
        "top10_discovery_task": "0 3 * * sun",
        "metadata_full_refresh_task": "0 4 1 * *",
        "metadata_new_books_task": "30 4 * * sun",
        "series_completion_task": "0 3 2 * *",
        "author_completion_task": "0 3 3 * *",
        "cleanup_old_tasks": "0 1 * * *",
    }
    for job, expression in spec_table.items():
        assert settings.schedule_for(job) == expression == DEFAULT_SCHEDULES[job]
    assert settings.task_retention_days == 30


def test_a_schedule_setting_replaces_the_default(monkeypatch):
    monkeypatch.setenv("SCHEDULE_CLEANUP_OLD_TASKS", "0 5 * * *")
    settings = load_settings()
    assert settings.schedule_for("cleanup_old_tasks") == "0 5 * * *"
    assert settings.schedule_for("mam_scraping_task") == "0 2 * * *"


def test_remote_path_mappings_become_pairs(monkeypatch):
    monkeypatch.setenv("REMOTE_PATH_MAPPINGS", " /downloads = /mnt/downloads ,/data/t=/srv/t")
    assert load_settings().path_mappings() == [("/downloads", "/mnt/downloads"), ("/data/t", "/srv/t")]


@pytest.mark.parametrize(
    ("mappings", "reason"),
    [
        ("downloads=/mnt/downloads", "not an absolute path"),
        ("/downloads=mnt/downloads", "not an absolute path"),
        ("/downloads/../etc=/mnt/downloads", "must not contain '..'"),
        ("/downloads=/mnt/../etc", "must not contain '..'"),
        ("/downloads=/mnt/a,/downloads/=/mnt/b", "mapped twice"),
    ],
)
def test_remote_path_mappings_must_be_absolute_without_dotdot_or_duplicates(monkeypatch, mappings, reason):
    monkeypatch.setenv("REMOTE_PATH_MAPPINGS", mappings)
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert "REMOTE_PATH_MAPPINGS" in raised.value.message and reason in raised.value.message


def test_a_remote_path_mapping_may_name_its_client(monkeypatch):
    monkeypatch.setenv(
        "REMOTE_PATH_MAPPINGS", "/downloads=/mnt/qb,transmission:/downloads=/mnt/tr,Deluge:/srv/dl=/mnt/deluge"
    )
    settings = load_settings()
    assert settings.path_mappings("transmission") == [("/downloads", "/mnt/tr"), ("/downloads", "/mnt/qb")]
    assert settings.path_mappings("qbittorrent") == [("/downloads", "/mnt/qb")]
    assert settings.path_mappings("deluge") == [("/srv/dl", "/mnt/deluge"), ("/downloads", "/mnt/qb")]
    assert len(settings.path_mappings()) == 3  # every local folder, for the health check


@pytest.mark.parametrize(
    ("mappings", "reason"),
    [
        ("rtorrent:/downloads=/mnt/x", "not an absolute path"),  # not a client Shelfkeeper knows
        ("transmission:/downloads=/mnt/a,transmission:/downloads/=/mnt/b", "mapped twice"),
        ("transmission:=/mnt/a", "must be 'remote=local' or 'client:remote=local'"),
    ],
)
def test_a_client_mapping_is_checked_like_any_other(monkeypatch, mappings, reason):
    monkeypatch.setenv("REMOTE_PATH_MAPPINGS", mappings)
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert reason in raised.value.message


def test_a_windows_remote_path_is_absolute_too(monkeypatch):
    monkeypatch.setenv("REMOTE_PATH_MAPPINGS", r"C:\Torrents=/mnt/torrents")
    assert load_settings().path_mappings() == [(r"C:\Torrents", "/mnt/torrents")]


BAD_VALUES = [  # variables to set -> the variable the message must name
    ({"QB_PORT": "abc"}, "QB_PORT"),
    ({"QB_PORT": "70000"}, "QB_PORT"),
    ({"ABS_URL": "notaurl"}, "ABS_URL"),
    ({"PROWLARR_URL": "ftp://prowlarr"}, "PROWLARR_URL"),
    ({"MAM_URL": "http://"}, "MAM_URL"),
    ({"TIMEZONE": "Mars/X"}, "TIMEZONE"),
    ({"SCHEDULE_CLEANUP_OLD_TASKS": "every day"}, "SCHEDULE_CLEANUP_OLD_TASKS"),
    ({"SCHEDULE_MAM_SCRAPING_TASK": "61 * * * *"}, "SCHEDULE_MAM_SCRAPING_TASK"),
    ({"METADATA_REVIEW_THRESHOLD": "0.95", "METADATA_APPLY_THRESHOLD": "0.9"}, "METADATA_REVIEW_THRESHOLD"),
    ({"METADATA_APPLY_THRESHOLD": "1.5"}, "METADATA_APPLY_THRESHOLD"),
    ({"REMOTE_PATH_MAPPINGS": "/downloads"}, "REMOTE_PATH_MAPPINGS"),
    ({"REMOTE_PATH_MAPPINGS": "/a=/b,/c=/d=/e"}, "REMOTE_PATH_MAPPINGS"),
    ({"REMOTE_PATH_MAPPINGS": "=/local"}, "REMOTE_PATH_MAPPINGS"),
    ({"DATABASE_URL": "mysql://shelf:hunter2-db@db/shelf"}, "DATABASE_URL"),
    ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
    ({"PROWLARR_INDEXER_IDS": "1,two"}, "PROWLARR_INDEXER_IDS"),
    ({"AUTO_GRAB": "perhaps"}, "AUTO_GRAB"),
    ({"DOWNLOAD_MAX_ATTEMPTS": "0"}, "DOWNLOAD_MAX_ATTEMPTS"),
]
SECRETS = {
    "API_KEY": "api-secret-1",
    "ABS_TOKEN": "abs-secret-2",
    "QB_PASSWORD": "qb-secret-3",
    "PROWLARR_API_KEY": "prowlarr-secret-4",
    "GOOGLE_BOOKS_API_KEY": "google-secret-5",
    "MAM_ID": "mam-secret-6",
    "MAM_PASSWORD": "mam-secret-7",
    "SENTRY_DSN": "https://sentry-secret-8@s.io/1",
}


@pytest.mark.parametrize("source", ["environment", "dotenv"])
@pytest.mark.parametrize(("values", "named"), BAD_VALUES, ids=[n for _, n in BAD_VALUES])
def test_a_bad_value_names_the_variable_and_never_a_secret(monkeypatch, clean_environment, source, values, named):
    everything = {**SECRETS, **values}
    if source == "environment":
        for variable, value in everything.items():
            monkeypatch.setenv(variable, value)
    else:
        text = "".join(f"{variable}={value}\n" for variable, value in everything.items())
        (clean_environment / ".env").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    message = raised.value.message
    assert named in message and message.startswith("Invalid configuration")
    assert raised.value.code == "CONFIGURATION_ERROR"
    for value in SECRETS.values():
        assert value not in message
    assert "hunter2-db" not in message


def test_every_bad_variable_is_named_at_once(monkeypatch):
    monkeypatch.setenv("QB_PORT", "abc")
    monkeypatch.setenv("ABS_URL", "notaurl")
    monkeypatch.setenv("TIMEZONE", "Mars/X")
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    for name in ("QB_PORT", "ABS_URL", "TIMEZONE"):
        assert name in raised.value.message


def test_numbers_are_checked_against_their_bounds(monkeypatch):
    monkeypatch.setenv("MAM_REQUEST_PAUSE_SECONDS", "-1")
    monkeypatch.setenv("GOOGLE_BOOKS_DAILY_BUDGET", "many")
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert "GOOGLE_BOOKS_DAILY_BUDGET" in raised.value.message and "MAM_REQUEST_PAUSE_SECONDS" in raised.value.message
    assert "'many'" in raised.value.message  # a plain value is shown, to help fix it


def test_secrets_never_appear_in_the_settings_repr(monkeypatch):
    for variable, value in SECRETS.items():
        monkeypatch.setenv(variable, value)
    settings = load_settings()
    for value in SECRETS.values():
        assert value not in repr(settings) and value not in str(settings.model_dump())


@pytest.mark.parametrize("variable", ["MAM_USERNAME", "MAM_PASSWORD"])
def test_a_mam_password_login_is_explained_not_used(monkeypatch, variable):
    monkeypatch.setenv(variable, "something")
    settings = load_settings()
    notes = [note for note in settings.configuration_notes() if "MAM_USERNAME" in note]
    assert len(notes) == 1
    assert "MAM_ID" in notes[0] and "session cookie" in notes[0]
    assert "something" not in notes[0]
    assert settings.configured_services()["mam"] is False
    monkeypatch.setenv("MAM_ID", "cookie")
    assert load_settings().configured_services()["mam"] is True


def test_unconfigured_services_are_listed_not_fatal(clean_environment):
    settings = load_settings()
    notes = settings.configuration_notes()
    for service in ("audiobookshelf", "qbittorrent", "prowlarr", "mam"):
        assert f"{service} is not configured" in notes
        assert settings.configured_services()[service] is False
    assert settings.configured_services()["google_books"] is True  # works without a key
    settings = Settings(data_dir=clean_environment / "data", run_scheduler=False, _env_file=None)
    with TestClient(create_app(settings)) as client:
        health = client.get("/health").json()
    assert health["success"] is True and health["data"]["database"]["reachable"] is True


def test_qbittorrent_is_not_missed_when_another_torrent_client_is_configured(clean_environment, monkeypatch):
    assert "qbittorrent is not configured" in load_settings().configuration_notes()
    monkeypatch.setenv("DELUGE_HOST", "127.0.0.1")
    notes = load_settings().configuration_notes()
    assert "qbittorrent is not configured" not in notes and "prowlarr is not configured" in notes


def test_a_half_configured_service_is_not_configured(monkeypatch):
    monkeypatch.setenv("ABS_URL", "http://abs:13378")
    monkeypatch.setenv("PROWLARR_API_KEY", "k")
    services = load_settings().configured_services()
    assert services["audiobookshelf"] is False and services["prowlarr"] is False
    monkeypatch.setenv("ABS_TOKEN", "t")
    assert load_settings().configured_services()["audiobookshelf"] is True


def test_a_schedule_setting_that_never_fires_is_refused(monkeypatch):
    monkeypatch.setenv("SCHEDULE_CLEANUP_OLD_TASKS", "0 0 31 2 *")
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert "SCHEDULE_CLEANUP_OLD_TASKS" in raised.value.message and "never fires" in raised.value.message


def test_the_default_data_dir_follows_xdg_data_home(monkeypatch, clean_environment):
    monkeypatch.setenv("XDG_DATA_HOME", str(clean_environment / "xdg"))
    assert load_settings().data_dir == clean_environment / "xdg" / "shelfkeeper"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")  # the XDG rule: only an absolute path counts
    monkeypatch.setenv("HOME", str(clean_environment / "home"))
    assert load_settings().data_dir == clean_environment / "home" / ".local" / "share" / "shelfkeeper"
    monkeypatch.setenv("DATA_DIR", str(clean_environment / "chosen"))
    assert load_settings().data_dir == clean_environment / "chosen"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("audible", "unknown source 'audible'"), ("audnexus, Audnexus", "named twice"), ("", "at least one source")],
)
def test_metadata_sources_are_known_distinct_and_not_empty(raw: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        load_settings(metadata_sources=raw, _env_file=None)


def test_metadata_sources_keep_their_order() -> None:
    settings = load_settings(metadata_sources="OpenLibrary, audnexus", _env_file=None)
    assert settings.metadata_sources == ["openlibrary", "audnexus"]
    assert Settings(_env_file=None).metadata_sources == ["google_books", "audnexus", "openlibrary"]  # type: ignore[call-arg]
