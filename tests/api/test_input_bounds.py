"""Inputs that once answered 500 (issue #15): huge ids and offsets, NUL bytes, oversized bodies."""

import pytest
from fastapi.testclient import TestClient

from shelfkeeper.api.app import create_app
from shelfkeeper.context import AppContext
from tests.api.envelope_checks import failed, ok
from tests.conftest import TEST_API_KEY

BIG_ID = 2**31  # one past PostgreSQL's integer
BIG_OFFSET = 2**63  # one past SQLite's integer


def _operations(client, method, wanted):
    schema = client.get("/openapi.json").json()
    for path, item in schema["paths"].items():
        operation = item.get(method)
        if operation and wanted(operation):
            yield path, operation


def test_an_id_past_the_database_integer_is_422_on_every_path(client):
    paths = [path for path, _ in _operations(client, "get", lambda op: True) if "_id}" in path]
    assert len(paths) >= 8
    for path in paths:
        url = path.split("{")[0] + str(BIG_ID) + path.split("}", 1)[1]
        body = failed(client.get(url), 422, "VALIDATION_ERROR")
        assert "2147483647" in body["error"], url


def test_an_id_query_filter_past_the_database_integer_is_422(client):
    for url in (f"/api/books?author_id={BIG_ID}", f"/api/downloads?book_id={BIG_ID}"):
        failed(client.get(url), 422, "VALIDATION_ERROR")


def test_an_offset_past_the_bound_is_422_on_every_list(client):
    lists = [path for path, op in _operations(client, "get", _has_offset)]
    assert len(lists) >= 8
    for path in lists:
        if "{" in path:
            path = path.split("{")[0] + "1" + path.split("}", 1)[1]
        body = failed(client.get(path, params={"offset": BIG_OFFSET}), 422, "VALIDATION_ERROR")
        assert body["details"][0]["field"] == "offset", path
    assert ok(client.get("/api/books", params={"offset": 2**31 - 1}))["items"] == []


def _has_offset(operation):
    return any(p["name"] == "offset" for p in operation.get("parameters", []))


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/books", {"title": "Mist\x00born"}, "title"),
        ("/api/books", {"title": "Mistborn", "authors": ["Brandon\x00 Sanderson"]}, "authors"),
        ("/api/series", {"name": "Cosmere\x07"}, "name"),
        ("/api/authors", {"name": "Brandon\x00Sanderson"}, "name"),
        ("/api/wanted", {"title": "Elantris\x1b", "authors": ["Brandon Sanderson"]}, "title"),
    ],
)
def test_nul_and_control_characters_in_a_body_are_422_naming_the_field(client, path, body, field):
    answer = failed(client.post(path, json=body), 422, "VALIDATION_ERROR")
    assert answer["details"][0]["field"].startswith(field)
    assert "control characters" in answer["error"]


def test_line_breaks_and_tabs_are_still_accepted(client):
    created = ok(client.post("/api/books", json={"title": "Mistborn", "description": "One\n\tTwo\r\n"}), 201)
    assert created["description"] == "One\n\tTwo\r\n"


def test_a_nul_in_a_query_is_422_naming_the_parameter(client):
    answer = failed(client.get("/api/books", params={"q": "mist\x00born"}), 422, "VALIDATION_ERROR")
    assert answer["details"][0]["field"] == "q"


def test_a_body_over_the_limit_is_413_in_the_envelope(settings, engine):
    small = settings.model_copy(update={"max_request_body_bytes": 2048})
    app = create_app(context=AppContext.from_settings(small, engine=engine))
    with TestClient(app, headers={"X-Api-Key": TEST_API_KEY}) as client:
        body = failed(client.post("/api/books", json={"title": "x" * 4000}), 413, "PAYLOAD_TOO_LARGE")
        assert "2048" in body["error"] or "large" in body["error"].lower()
        ok(client.post("/api/books", json={"title": "x" * 400}), 201)


def test_every_operation_with_a_body_declares_400_and_413(client):
    operations = list(_operations(client, "post", lambda op: "requestBody" in op))
    operations += list(_operations(client, "put", lambda op: "requestBody" in op))
    assert len(operations) >= 10
    for path, operation in operations:
        assert {"400", "413", "422"} <= set(operation["responses"]), path


def test_a_streamed_body_over_the_limit_is_413_too(settings, engine):
    small = settings.model_copy(update={"max_request_body_bytes": 2048})
    app = create_app(context=AppContext.from_settings(small, engine=engine))

    def chunks():
        yield b'{"title": "'
        for _ in range(10):
            yield b"x" * 500
        yield b'"}'

    with TestClient(app, headers={"X-Api-Key": TEST_API_KEY}) as client:
        answer = client.post("/api/books", content=chunks(), headers={"Content-Type": "application/json"})
        failed(answer, 413, "PAYLOAD_TOO_LARGE")
