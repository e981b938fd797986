"""The start settings (shelfkeeper.start_settings), read without pydantic before `serve` listens, are the full
settings' values whenever they are read at all; a value in another form is left to the full settings (None)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shelfkeeper.errors import ConfigurationError
from shelfkeeper.settings import Settings, load_settings
from shelfkeeper.start_settings import StartSettings, listening_url, read_start_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No setting in the environment and a working directory without a .env file."""
    for name in list(os.environ):
        if name.lower() in Settings.model_fields:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# (environment, .env file): each read as the full settings read it, or left to them.
CASES: list[tuple[dict[str, str], str, bool]] = [
    ({}, "", True),
    ({"DATA_DIR": "/srv/shelf", "HOST": "0.0.0.0", "PORT": "9000"}, "", True),
    ({"data_dir": "relative/dir", "Port": "1"}, "", True),
    ({"PORT": "65535", "LOG_LEVEL": "debug", "LOG_JSON": "TRUE"}, "", True),
    ({"LOG_LEVEL": "Warning", "LOG_JSON": "off"}, "", True),
    ({"LOG_JSON": "yes"}, "", True),
    ({"LOG_JSON": "0"}, "", True),
    ({"API_KEY": "k-1"}, "", True),
    ({"API_KEY": ""}, "", True),
    ({"DATABASE_URL": ""}, "", True),
    ({"DATABASE_URL": "   "}, "", True),
    ({"DATABASE_URL": "postgres://u:p@db:5432/shelf"}, "", True),
    ({"DATABASE_URL": "postgresql://u@db/shelf?sslmode=require"}, "", True),
    ({"DATABASE_URL": "sqlite:///x.db"}, "", True),
    ({"XDG_DATA_HOME": "/xdg"}, "", True),
    ({}, "PORT=9100\nHOST=::\nAPI_KEY='from the file'\n", True),
    ({"PORT": "9200"}, "PORT=9100\nDATA_DIR=/from/file\n", True),
    ({}, 'export LOG_LEVEL="ERROR"\n# a comment\nlog_json=1\n', True),
    ({}, "DATA_DIR\n", False),
    ({"PORT": "0"}, "", False),
    ({"PORT": "65536"}, "", False),
    ({"PORT": " 80"}, "", False),
    ({"PORT": "8_0"}, "", False),
    ({"PORT": "eighty"}, "", False),
    ({"LOG_LEVEL": "verbose"}, "", False),
    ({"LOG_LEVEL": " info"}, "", False),
    ({"LOG_JSON": "maybe"}, "", False),
    ({"LOG_JSON": " true"}, "", False),
    ({"DATA_DIR": ""}, "", False),
    ({"DATA_DIR": " /srv"}, "", False),
    ({"DATABASE_URL": "mysql://u@h/d"}, "", False),
]


@pytest.mark.parametrize(("environment", "env_file", "read"), CASES)
def test_the_start_settings_are_the_full_settings_values_or_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, environment: dict[str, str], env_file: str, read: bool
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    if env_file:
        (tmp_path / ".env").write_text(env_file, encoding="utf-8")
    start = read_start_settings()
    assert (start is not None) == read
    try:
        full = StartSettings.of(load_settings())
    except ConfigurationError:
        assert start is None, "a value the full settings refuse is left to them"
        return
    assert start is None or start == full


def test_the_start_settings_give_the_same_database_url() -> None:
    start = read_start_settings({"DATA_DIR": "d"}, Path("no-such-file"))
    assert start is not None
    assert start.resolved_database_url == Settings(data_dir=Path("d"), _env_file=None).resolved_database_url  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:8787"),
        ("::", "http://127.0.0.1:8787"),
        ("", "http://127.0.0.1:8787"),
        ("::1", "http://[::1]:8787"),
        ("shelf.local", "http://shelf.local:8787"),
    ],
)
def test_listening_url(host: str, url: str) -> None:
    assert listening_url(host, 8787) == url
