"""The series list and completion summary answer plain rows, never validated: their bytes must be the models'.

Each listed series is compared, byte for byte, with ``SeriesRead`` of the same series read through the ORM and
serialised by pydantic (what the list answered before), on both databases: nulls, unicode, JSON columns, floats,
and timestamps with and without microseconds, as SQLAlchemy and CURRENT_TIMESTAMP store them; the summary with
``CompletionSummary`` built from ORM objects.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from shelfkeeper.api.envelope import Page
from shelfkeeper.api.schemas.series import CompletionSummary, SeriesCompletion, SeriesRead, SeriesRow
from shelfkeeper.db.tables import Series
from shelfkeeper.services import books
from shelfkeeper.services import series as service
from tests.api.envelope_checks import listed_data

SERIES: list[dict[str, Any]] = [
    {
        "name": 'Ça ✓ "quoted" \\ back',
        "description": "Line one\nLine two\ttab \u2028 sep 😀",
        "provider_ids": {"audible": "B0ÇA", "nested": "x"},
        "known_total": 3,
        "known_positions": ["1", "1.5", "2"],
        "monitored": False,
        "future_only": True,
        "abs_id": "se_1",
    },
    {"name": "Bare", "monitored": False},  # every optional field null or empty
    {"name": "Whole", "known_total": 1, "known_positions": ["1"]},
]
TIMESTAMPS: dict[str, dict[str, datetime]] = {
    'Ça ✓ "quoted" \\ back': {
        "monitored_since": datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        "last_checked_at": datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=UTC),
    },
    "Whole": {"last_checked_at": datetime(2026, 12, 7, 16, 11, 9, tzinfo=UTC)},
}


def expected_data(session: Session, ids: list[int], total: int, limit: int = 50, offset: int = 0) -> bytes:
    session.expire_all()
    items = [SeriesRead.model_validate(session.get_one(Series, series_id)) for series_id in ids]
    return TypeAdapter(Page[SeriesRead]).dump_json(
        Page[SeriesRead](items=items, total=total, limit=limit, offset=offset)
    )


def arrange(session: Session) -> None:
    for fields in SERIES:
        service.create_series(session, fields)
    books.create_book(session, {"title": "Owned", "series": [{"name": "Whole", "position": "1"}]})  # completion 1.0
    for name, values in TIMESTAMPS.items():
        session.execute(update(Series).where(Series.name == name).values(**values))
    session.commit()


def ids_by_name(session: Session) -> list[int]:
    return [series.id for series in session.query(Series).order_by(Series.name_key, Series.id)]


def test_the_row_schema_is_seriesreads_fields_in_its_order() -> None:
    assert tuple(SeriesRead.model_fields) == service.ROW_KEYS
    assert tuple(SeriesRow.__annotations__) == tuple(SeriesRead.model_fields)


def test_listed_rows_are_seriesreads_bytes(client: TestClient, session: Session) -> None:
    arrange(session)
    ids = ids_by_name(session)
    assert listed_data(client, "/api/series") == expected_data(session, ids, total=3)
    assert listed_data(client, "/api/series?sort=-id&limit=2&offset=1") == expected_data(
        session, sorted(ids, reverse=True)[1:3], total=3, limit=2, offset=1
    )
    whole = session.query(Series).filter_by(name="Whole").one()
    assert whole.completion == 1.0
    assert listed_data(client, "/api/series?complete=true") == expected_data(session, [whole.id], total=1)
    assert listed_data(client, "/api/series?q=%C3%A7a&monitored=false") == expected_data(session, ids[1:2], total=1)


def test_timestamps_as_current_timestamp_stores_them(client: TestClient, session: Session) -> None:
    arrange(session)
    session.execute(text("UPDATE series SET created_at = CURRENT_TIMESTAMP, monitored_since = NULL"))
    session.commit()
    assert listed_data(client, "/api/series") == expected_data(session, ids_by_name(session), total=3)


def expected_summary(session: Session, ids: list[int], total: int, limit: int = 50, offset: int = 0) -> bytes:
    """The summary as the ORM path built it: ``Series`` objects, validated into ``CompletionSummary``."""
    session.expire_all()
    listed = [session.get_one(Series, series_id) for series_id in ids]
    owned = service.positions_owned(session, ids)
    everything = session.query(Series).all()
    summary = CompletionSummary(
        items=[SeriesCompletion(**service.completion_entry(s, owned.get(s.id, []))) for s in listed],
        total=total,
        limit=limit,
        offset=offset,
        complete_series=sum(1 for s in everything if s.completion is not None and s.completion >= 1.0),
        series_with_known_positions=sum(1 for s in everything if s.completion is not None),
    )
    return TypeAdapter(CompletionSummary).dump_json(summary)


def test_the_summary_is_completionsummarys_bytes(client: TestClient, session: Session) -> None:
    arrange(session)
    books.create_book(session, {"title": "Half", "series": [{"name": SERIES[0]["name"], "position": "1.5"}]})
    session.commit()
    ids = ids_by_name(session)
    data = listed_data(client, "/api/series/completion-summary")
    assert data == expected_summary(session, ids, total=3)
    summary = json.loads(data)
    assert [item["owned_positions"] for item in summary["items"]] == [[], ["1.5"], ["1"]]
    assert [item["missing_positions"] for item in summary["items"]] == [[], ["1", "2"], []]
    assert (summary["complete_series"], summary["series_with_known_positions"]) == (1, 2)
    assert listed_data(client, "/api/series/completion-summary?limit=1&offset=1&monitored=false") == expected_summary(
        session, ids[1:2], total=2, limit=1, offset=1
    )
