"""Backups: a consistent copy on both databases, listed newest first, pruned, and restored."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shelfkeeper.db.tables import Author
from shelfkeeper.errors import InvalidInput, NotFound
from shelfkeeper.services.backup import create_backup, list_backups, restore_backup


def count_authors(sessions):
    with sessions() as session:
        return session.scalar(select(func.count(Author.id)))


def test_backup_then_restore_brings_the_rows_back(engine, sessions, session, tmp_path):
    session.add(Author(name="Ursula K. Le Guin", name_key="ursula k le guin", sort_name="Le Guin, Ursula K."))
    session.commit()
    made = create_backup(engine, tmp_path, now=datetime(2026, 11, 24, tzinfo=UTC))
    assert made.size_bytes > 0 and made.backend == engine.dialect.name
    session.add(Author(name="Someone Else", name_key="someone else", sort_name="Else, Someone"))
    session.commit()
    assert count_authors(sessions) == 2
    session.close()

    restore_backup(engine, tmp_path, made.name)

    assert count_authors(sessions) == 1


def test_backups_are_listed_newest_first_and_pruned(engine, tmp_path):
    start = datetime(2026, 11, 24, tzinfo=UTC)
    for day in range(4):
        create_backup(engine, tmp_path, now=start + timedelta(days=day), keep=3)
    names = [b.name for b in list_backups(tmp_path)]
    assert len(names) == 3
    assert names == sorted(names, reverse=True)
    assert "20261127" in names[0]


def test_restore_refuses_unknown_and_hostile_names(engine, tmp_path):
    with pytest.raises(NotFound):
        restore_backup(engine, tmp_path, "shelfkeeper-nope.db")
    with pytest.raises(InvalidInput):
        restore_backup(engine, tmp_path, "../../etc/passwd")


def test_backup_endpoint(client):
    made = client.post("/api/system/backup")
    assert made.status_code == 201
    listed = client.get("/api/system/backups").json()["data"]
    assert [b["name"] for b in listed] == [made.json()["data"]["name"]]
