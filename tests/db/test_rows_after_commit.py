"""Rows stay readable after their unit of work closes, database-set timestamps included (both databases)."""

from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import Series, WantedBook


def test_updated_rows_keep_their_database_timestamps(sessions):
    with unit_of_work(sessions) as session:
        series = Series(name="The Expanse", name_key="expanse")
        wanted = WantedBook(
            title="Caliban's War", reason="series_gap", source="audible", dedupe_key="calibans war|james s a corey"
        )
        session.add_all([series, wanted])
    with unit_of_work(sessions) as session:
        changed = session.get(Series, series.id)
        changed.monitored = False
        row = session.get(WantedBook, wanted.id)
        row.status = "ignored"
    # Read after the session closed, as the wanted/series routes do with rows an automation returns.
    assert changed.updated_at is not None and changed.updated_at >= changed.created_at
    assert row.updated_at is not None and row.status == "ignored"
