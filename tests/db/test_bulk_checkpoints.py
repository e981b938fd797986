"""A bulk write's connection checkpoints SQLite's write-ahead log less often, until it goes back to the pool."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from shelfkeeper.db.session import checkpoint_less_often, make_engine, make_session_factory, unit_of_work


def _pages(session: Session) -> int:
    return int(session.execute(text("PRAGMA wal_autocheckpoint")).scalar_one())


def test_the_setting_lasts_one_unit_of_work(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bulk.db'}")
    sessions = make_session_factory(engine)
    try:
        with unit_of_work(sessions) as session:
            checkpoint_less_often(session)
            checkpoint_less_often(session)  # once is enough
            assert _pages(session) == 10_000
        with unit_of_work(sessions) as session:  # the same pooled connection, back to SQLite's own
            assert _pages(session) == 1000
    finally:
        engine.dispose()
