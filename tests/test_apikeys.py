"""The API key store: generated once into the data directory, rotated, re-read by every worker."""

from __future__ import annotations

import os
import stat

import pytest

from shelfkeeper.apikeys import KEY_FILE_NAME, ApiKeyStore
from shelfkeeper.errors import ConfigurationError


def test_first_start_generates_a_private_key_file_and_the_next_start_reuses_it(tmp_path):
    data_dir = tmp_path / "fresh" / "data"  # not there yet: made on first start
    key, generated = ApiKeyStore(data_dir, None).ensure()
    assert generated is True
    assert len(key) == 32 and int(key, 16) >= 0  # 128 random bits, hex
    path = data_dir / KEY_FILE_NAME
    assert path.read_text(encoding="utf-8").strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(data_dir.iterdir()) == [path]  # no temporary file left behind
    again, generated_again = ApiKeyStore(data_dir, None).ensure()
    assert (again, generated_again) == (key, False)
    assert ApiKeyStore(data_dir, None).current() == key


def test_two_fresh_data_directories_get_different_keys(tmp_path):
    first, _ = ApiKeyStore(tmp_path / "a", None).ensure()
    second, _ = ApiKeyStore(tmp_path / "b", None).ensure()
    assert first != second


def test_a_configured_key_wins_and_no_file_is_written(tmp_path):
    store = ApiKeyStore(tmp_path, "from-the-environment")
    assert store.ensure() == ("from-the-environment", False)
    assert store.current() == "from-the-environment" and store.from_environment
    assert not (tmp_path / KEY_FILE_NAME).exists()
    with pytest.raises(ConfigurationError, match="API_KEY"):
        store.rotate()


def test_rotation_replaces_the_key_for_every_worker_at_once(tmp_path):
    cli, worker = ApiKeyStore(tmp_path, None), ApiKeyStore(tmp_path, None)
    old, _ = cli.ensure()
    assert worker.matches(old)
    seen = {old}
    for _ in range(20):  # back to back, faster than most file-system clocks tick
        new = cli.rotate()
        assert new not in seen
        seen.add(new)
        assert worker.current() == new and worker.matches(new)
    assert not worker.matches(old)
    assert stat.S_IMODE((tmp_path / KEY_FILE_NAME).stat().st_mode) == 0o600


def test_rotation_is_seen_even_when_the_file_system_repeats_the_modification_time(tmp_path):
    cli, worker = ApiKeyStore(tmp_path, None), ApiKeyStore(tmp_path, None)
    old, _ = cli.ensure()
    before = (tmp_path / KEY_FILE_NAME).stat()
    assert worker.current() == old
    new = cli.rotate()
    os.utime(tmp_path / KEY_FILE_NAME, ns=(before.st_atime_ns, before.st_mtime_ns))  # a coarse clock's answer
    assert worker.current() == new


@pytest.mark.parametrize("presented", [None, "", "wrong", "x" * 32])
def test_wrong_or_missing_keys_do_not_match(tmp_path, presented):
    store = ApiKeyStore(tmp_path, None)
    key, _ = store.ensure()
    assert not store.matches(presented)
    assert store.matches(key)


def test_a_missing_or_empty_key_file_is_a_configuration_error(tmp_path):
    store = ApiKeyStore(tmp_path, None)
    with pytest.raises(ConfigurationError, match="missing"):
        store.current()
    (tmp_path / KEY_FILE_NAME).write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="empty"):
        store.current()
    with pytest.raises(ConfigurationError, match="empty"):
        store.ensure()


def test_an_app_started_without_serve_makes_its_key_and_says_where(tmp_path, caplog):
    from fastapi.testclient import TestClient

    from shelfkeeper.api.app import create_app
    from shelfkeeper.db.migrate import upgrade
    from shelfkeeper.settings import Settings

    settings = Settings(data_dir=tmp_path, run_scheduler=False, _env_file=None)
    app = create_app(settings)
    upgrade(app.state.context.engine)
    with caplog.at_level("WARNING", logger="shelfkeeper"), TestClient(app) as client:
        key = (tmp_path / "api_key").read_text().strip()
        assert client.get("/api/books", headers={"X-Api-Key": key}).status_code == 200
    assert str(tmp_path / "api_key") in caplog.text
    assert key not in caplog.text
