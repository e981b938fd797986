"""``ReadRoute`` (api/read_route.py) answers exactly as FastAPI's own handler, for any query: valid ones on its
fast path, invalid ones through FastAPI's handler. Each query is asked twice of the same app: as it is, and with a
dependency override set, which sends every request to FastAPI's handler."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import routing as fastapi_routing
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from shelfkeeper.api.app import create_app
from shelfkeeper.context import AppContext
from shelfkeeper.services import books
from tests.conftest import TEST_API_KEY

PATHS = ["/api/books", "/api/series", "/api/authors", "/api/series/completion-summary"]
KEYS = [
    "limit",
    "offset",
    "q",
    "author_id",
    "author",
    "series_id",
    "series",
    "narrator",
    "status",
    "language",
    "has_asin",
    "metadata_status",
    "library_id",
    "sort",
    "monitored",
    "complete",
    "unknown",
]
VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "1",
            "2",
            "50",
            "-1",
            "500",
            "501",
            "2147483647",
            "2147483648",
            "1.5",
            "x",
            "true",
            "false",
            "yes",
            "off",
            "in_library",
            "removed",
            "ok",
            "needs_review",
            "title",
            "-author",
            "+year",
            " id",
            "name",
            "-completion",
            "English",
            "a" * 201,
            "é",
            "\x00",
            "%",
            "_",
        ]
    ),
    st.text(max_size=8),
)
QUERIES = st.lists(st.tuples(st.sampled_from(KEYS), VALUES), max_size=5)


def _unused() -> None:  # pragma: no cover - only its presence in dependency_overrides matters
    return None


@pytest.fixture
def app_client(context: AppContext, session: Session) -> Iterator[tuple[Any, TestClient]]:
    for fields in (
        {"title": "Dune", "authors": ["Frank Herbert"], "series": [{"name": "Dune", "position": "1"}], "asin": "B1"},
        {"title": "Emma", "authors": ["Jane Austen"], "narrators": ["Juliet Stevenson"], "language": "English"},
        {"title": "Solaris", "authors": ["Stanisław Lem"], "metadata_status": "needs_review", "in_library": False},
    ):
        books.create_book(session, fields)
    session.commit()
    app = create_app(context=context)
    with TestClient(app, headers={"X-Api-Key": TEST_API_KEY}) as client:
        yield app, client


def _answer(client: TestClient, path: str, query: list[tuple[str, str]]) -> tuple[int, str]:
    response = client.get(path, params=query)
    return response.status_code, re.sub(r'"timestamp":"[^"]*"', '"timestamp":"T"', response.text)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(PATHS), query=QUERIES)
def test_every_query_is_answered_as_fastapi_answers_it(app_client, path, query):
    app, client = app_client
    fast = _answer(client, path, query)
    app.dependency_overrides[_unused] = _unused
    try:
        standard = _answer(client, path, query)
    finally:
        app.dependency_overrides.clear()
    assert fast == standard


def test_a_valid_query_skips_fastapis_dependency_solving_and_an_invalid_one_does_not(app_client, monkeypatch):
    _app, client = app_client
    solved: list[object] = []
    solve = fastapi_routing.solve_dependencies

    async def counted(**kwargs: Any) -> Any:
        solved.append(kwargs["dependant"].call)
        return await solve(**kwargs)

    monkeypatch.setattr(fastapi_routing, "solve_dependencies", counted)
    for path in PATHS:
        assert client.get(path, params={"limit": "2", "q": "a"}).status_code == 200
    assert client.get("/api/books", params={"has_asin": "false", "sort": "-added"}).status_code == 200
    assert solved == []
    assert client.get("/api/books", params={"limit": "0"}).status_code == 422
    assert client.get("/api/books/1").status_code == 200  # a route it does not serve: FastAPI's handler
    assert len(solved) == 2


def test_the_api_key_is_checked_before_anything_else(anonymous_client):
    for path in PATHS:
        response = anonymous_client.get(path, params={"limit": "3"})
        assert (response.status_code, response.json()["error_code"]) == (401, "UNAUTHORIZED")
        response = anonymous_client.get(path, params={"limit": "0"})  # invalid too: the key still comes first
        assert response.status_code == 401
