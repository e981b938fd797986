"""Secrets at rest: the SecretBox, the sealed MAM cookie, 0600 files, and a restore on another machine."""

import stat
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from shelfkeeper.db.service_state import ServiceStateStore
from shelfkeeper.db.session import make_engine
from shelfkeeper.integrations import Integrations
from shelfkeeper.secret_store import MAM_COOKIE_SECRET, SecretBox, SecretUnreadable
from shelfkeeper.services.backup import create_backup, restore_backup, secrets_to_enter_again

COOKIE = "mam-rotated-cookie-0123456789abcdef"


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_seal_and_open_round_trip_with_a_0600_key(tmp_path):
    box = SecretBox(tmp_path)
    sealed = box.seal(COOKIE)
    assert COOKIE not in sealed and sealed.startswith("fernet:")
    assert box.open(sealed) == COOKIE
    assert mode(tmp_path / "secret.key") == 0o600
    assert SecretBox(tmp_path).open(sealed) == COOKIE  # the key is kept, not made anew


@pytest.mark.parametrize("lose_key", [True, False], ids=["missing key", "other key"])
def test_a_missing_or_other_key_names_the_secret_to_enter_again(tmp_path, lose_key):
    sealed = SecretBox(tmp_path / "here").seal(COOKIE)
    elsewhere = SecretBox(tmp_path / "there")
    if not lose_key:
        elsewhere.seal("something")  # a key of its own
    with pytest.raises(SecretUnreadable) as raised:
        elsewhere.open(sealed, secret=MAM_COOKIE_SECRET)
    assert MAM_COOKIE_SECRET in raised.value.message and "enter the" in raised.value.message
    assert COOKIE not in raised.value.message


def test_the_rotated_mam_cookie_is_stored_sealed_and_read_back(context, sessions):
    integrations = Integrations(context)
    store = ServiceStateStore(sessions)
    store.update("mam", cookie=integrations.secrets.seal(COOKIE))
    with sessions() as session:
        raw = session.execute(text("SELECT data FROM service_state WHERE service = 'mam'")).scalar_one()
    assert COOKIE not in str(raw)
    assert integrations.remembered_mam_cookie() == COOKIE


def test_the_database_and_its_backups_are_0600(tmp_path):
    database = tmp_path / "data" / "shelfkeeper.db"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
    for path in (database, database.with_name("shelfkeeper.db-wal"), database.with_name("shelfkeeper.db-shm")):
        assert mode(path) == 0o600, path
    made = create_backup(engine, tmp_path / "data", now=datetime(2026, 11, 24, tzinfo=UTC))
    assert mode(tmp_path / "data" / "backups" / made.name) == 0o600
    engine.dispose()


def test_restoring_on_another_machine_says_which_secrets_to_enter_again(engine, sessions, tmp_path):
    here, there = tmp_path / "here", tmp_path / "there"
    ServiceStateStore(sessions).update("mam", cookie=SecretBox(here).seal(COOKIE), stats={"ratio": 2.0})
    made = create_backup(engine, here, now=datetime(2026, 11, 24, tzinfo=UTC))
    assert secrets_to_enter_again(engine, here) == []
    (there / "backups").mkdir(parents=True)
    (there / "backups" / made.name).write_bytes((here / "backups" / made.name).read_bytes())
    restore_backup(engine, there, made.name)
    assert secrets_to_enter_again(engine, there) == [MAM_COOKIE_SECRET]
    backup_bytes = (here / "backups" / made.name).read_bytes()
    assert COOKIE.encode() not in backup_bytes


def test_the_status_endpoint_names_the_secrets_to_enter_again(client, context, sessions, tmp_path):
    assert client.get("/api/system/status").json()["data"]["secrets_to_enter_again"] == []
    sealed_elsewhere = SecretBox(tmp_path / "another-machine").seal(COOKIE)
    ServiceStateStore(sessions).update("mam", cookie=sealed_elsewhere)
    status = client.get("/api/system/status").json()["data"]
    assert status["secrets_to_enter_again"] == [MAM_COOKIE_SECRET]
    assert Integrations(context).remembered_mam_cookie() is None  # falls back to MAM_ID, with a warning
