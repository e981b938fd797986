"""Logging at DEBUG never shows MAM's cookie, old or rotated: our handler, JSON lines, and httpcore's own loggers."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from shelfkeeper.adapters import mam
from shelfkeeper.adapters.redaction import (
    LIBRARY_LOGGERS,
    QUIET_LIBRARY_LOGGERS,
    REDACTED,
    SecretFilter,
    guard_library_loggers,
    register_secret,
)
from shelfkeeper.api.app import app_factory
from shelfkeeper.logs import JsonFormatter, configure_logging
from shelfkeeper.ports import BookQuery
from shelfkeeper.testing.fakes.mam import FakeMam
from shelfkeeper.testing.server import LiveServer, serve

COOKIE = "mam-logging-initial-cookie-0123456789abcdef"


class BareHandler(logging.Handler):
    """Every record's message as it reaches handlers, with no filter of its own (as a stray library handler)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.getMessage()))


async def no_wait(_seconds: float) -> None:
    return None


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging changes the root logger and the library levels: put them back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    library_levels = {name: logging.getLogger(name).level for name in (*LIBRARY_LOGGERS, *QUIET_LIBRARY_LOGGERS)}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, saved in library_levels.items():
        logging.getLogger(name).setLevel(saved)


@pytest.fixture
def fake() -> FakeMam:
    fake = FakeMam(COOKIE, rotate_every=1)  # every answer hands out a new mam_id and retires the old one
    fake.add_torrent("The Way of Kings", authors=["Brandon Sanderson"], series=[["The Stormlight Archive", "1"]])
    return fake


@pytest.fixture
def server(fake: FakeMam) -> Iterator[LiveServer]:
    with serve(fake.app) as live:
        yield live


def talk_to_mam(url: str) -> None:
    """Several requests, each rotating the cookie, one of them failing with MAM's 403."""

    async def scenario() -> None:
        client = mam.build(url, COOKIE, sleep=no_wait)
        try:
            await client.user_stats()
            await client.search(BookQuery(title="The Way of Kings"))
            await client.user_stats()
        finally:
            await client.aclose()

    asyncio.run(scenario())


def cookies_of(fake: FakeMam) -> list[str]:
    assert len(fake.rotations) >= 3, "the fake did not rotate the cookie: the test would prove nothing"
    return [COOKIE, *fake.rotations]


@pytest.mark.parametrize("json_lines", [False, True])
def test_debug_logging_shows_neither_the_old_nor_the_rotated_cookie(
    restore_logging: None, fake: FakeMam, server: LiveServer, json_lines: bool
) -> None:
    captured = io.StringIO()
    configure_logging("DEBUG", json_lines=json_lines, stream=captured)
    talk_to_mam(server.url)
    output = captured.getvalue()
    for cookie in cookies_of(fake):
        assert cookie not in output
    assert "jsonLoad.php" in output and f"mam_id={REDACTED}" in output  # the headers were logged, redacted
    if json_lines:
        lines = [json.loads(line) for line in output.splitlines()]
        assert {"shelfkeeper.http", "shelfkeeper.adapters.mam"} <= {line["logger"] for line in lines}


def test_httpcore_debug_records_are_redacted_before_any_handler(
    restore_logging: None, fake: FakeMam, server: LiveServer
) -> None:
    bare = BareHandler()
    logging.getLogger().addHandler(bare)  # before configure_logging's handler: it sees records unfiltered by it
    captured = io.StringIO()
    configure_logging("DEBUG", stream=captured)
    logging.getLogger("httpcore").setLevel(logging.DEBUG)  # someone asks for httpcore's trace on purpose
    talk_to_mam(server.url)
    trace = [message for name, message in bare.records if name == "httpcore.http11"]
    assert any("set-cookie" in message for message in trace)  # the raw response headers were logged ...
    for cookie in cookies_of(fake):
        assert not any(cookie in message for _name, message in bare.records)  # ... redacted at the source
        assert cookie not in captured.getvalue()


def test_library_loggers_are_filtered_and_quiet_unless_a_level_was_chosen(restore_logging: None) -> None:
    logging.getLogger("httpcore").setLevel(logging.NOTSET)
    logging.getLogger("httpx").setLevel(logging.INFO)  # an explicit choice is kept
    guard_library_loggers()
    guard_library_loggers()  # idempotent
    for name in LIBRARY_LOGGERS:
        assert len([f for f in logging.getLogger(name).filters if isinstance(f, SecretFilter)]) == 1, name
    assert logging.getLogger("httpcore").level == logging.WARNING
    assert logging.getLogger("httpcore.http11").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("httpx").level == logging.INFO


def test_json_lines_redact_a_traceback(restore_logging: None) -> None:
    register_secret("TRACEBACK-SECRET-5a6b7c")
    captured = io.StringIO()
    configure_logging("INFO", json_lines=True, stream=captured)
    try:
        raise RuntimeError("failed with key TRACEBACK-SECRET-5a6b7c")
    except RuntimeError:
        logging.getLogger("shelfkeeper.test").exception("call failed")
    (line,) = [json.loads(text) for text in captured.getvalue().splitlines()]
    assert "TRACEBACK-SECRET-5a6b7c" not in captured.getvalue()
    assert REDACTED in line["exception"] and "RuntimeError" in line["exception"]


def test_app_factory_sets_up_logging_from_the_settings(
    restore_logging: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name, value in {
        "DATA_DIR": str(tmp_path / "data"),
        "API_KEY": "factory-api-key-0123456789",
        "LOG_LEVEL": "debug",
        "LOG_JSON": "true",
        "RUN_SCHEDULER": "false",
    }.items():
        monkeypatch.setenv(name, value)
    app = app_factory()
    try:
        ours = [handler for handler in logging.getLogger().handlers if getattr(handler, "_shelfkeeper", False)]
        assert len(ours) == 1 and isinstance(ours[0].formatter, JsonFormatter)
        assert logging.getLogger().level == logging.DEBUG
        assert any(isinstance(f, SecretFilter) for f in ours[0].filters)
    finally:
        app.state.context.engine.dispose()
