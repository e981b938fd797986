"""Direct reads (api/direct_reads.py): the lists answered without the middleware stack answer exactly as the stack
does, byte for byte, for valid requests, refused ones and failures, and are counted into the metrics alike. Each
request is asked of the same app twice: directly, and with the direct reads switched off."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from shelfkeeper.api.route_areas import RouteAreasApp
from shelfkeeper.services import books

URLS = [
    "/api/books",
    "/api/books?limit=1&sort=-title",
    "/api/books?series_id=1",
    "/api/books?author_id=1&q=dune",
    "/api/books?limit=0",
    "/api/books?sort=bogus",
    "/api/books?q=a%00b",
    "/api/books?unknown=1",
    "/api/series",
    "/api/series?complete=maybe",
    "/api/series/completion-summary?limit=5",
    "/api/authors?sort=-books",
    "/api/authors?sort=bogus",
    "/api/books/",
    "/api/books/1",
]


def _arrange(session: Session) -> None:
    for fields in (
        {"title": "Dune", "authors": ["Frank Herbert"], "series": [{"name": "Dune", "position": "1"}], "asin": "B1"},
        {"title": "Emma", "authors": ["Jane Austen"], "narrators": ["Juliet Stevenson"], "language": "English"},
    ):
        books.create_book(session, fields)
    session.commit()


def _answer(client: TestClient, url: str, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    response = client.get(url, headers=headers, follow_redirects=False)
    body = re.sub(r'"timestamp":"[^"]*"', '"timestamp":"T"', response.text)
    return response.status_code, str(sorted(response.headers.items())), body


def _metrics(client: TestClient) -> str:
    text = client.get("/metrics").text
    return "\n".join(line for line in text.splitlines() if line.startswith("shelfkeeper_http_requests_total{"))


def test_direct_answers_are_the_stacks(client: TestClient, session: Session) -> None:
    _arrange(session)
    app = client.app
    assert isinstance(app, RouteAreasApp)
    app.load_route_areas()
    direct = app.direct_reads
    assert direct is not None
    cases = [(url, None) for url in URLS] + [("/api/books", {"X-Api-Key": "wrong"}), ("/api/series", {"X-Api-Key": ""})]
    answers = [_answer(client, url, headers) for url, headers in cases]
    counted = _metrics(client)
    app.direct_reads = None
    assert [_answer(client, url, headers) for url, headers in cases] == answers
    # Every request counted twice now: once directly, once by the stack, under the same labels.
    doubled = _metrics(client)
    for line in counted.splitlines():
        labels, value = line.rsplit(" ", 1)
        if "/metrics" not in labels:
            assert f"{labels} {float(value) * 2}" in doubled.splitlines(), line
    app.direct_reads = direct


def test_the_table_holds_the_lists(client: TestClient) -> None:
    client.get("/api/books")
    app = client.app
    assert isinstance(app, RouteAreasApp) and app.direct_reads is not None
    assert sorted(app.direct_reads._current()) == [
        "/api/authors",
        "/api/books",
        "/api/series",
        "/api/series/completion-summary",
    ]
