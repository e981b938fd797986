"""Assertions on the response envelope shared by the resource API tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def _body(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert {"success", "data", "error", "error_code", "timestamp"} <= set(body)
    assert datetime.fromisoformat(body["timestamp"]).utcoffset() == timedelta(0)
    return body


def ok(response: Any, status: int = 200) -> Any:
    """The data of a success envelope with the given status."""
    body = _body(response, status)
    assert body["success"] is True and body["error"] is None and body["error_code"] is None
    return body["data"]


def failed(response: Any, status: int, code: str) -> dict[str, Any]:
    """The body of an error envelope with the given status and stable code."""
    body = _body(response, status)
    assert body["success"] is False and body["data"] is None
    assert body["error_code"] == code and body["error"]
    return body


SUCCESS_DATA = b'{"success":true,"data":'


def listed_data(client: Any, url: str) -> bytes:
    """The ``data`` of a success envelope, as the bytes sent (the list answers serialised as read are compared
    byte for byte with their documented models)."""
    response = client.get(url)
    assert response.status_code == 200, response.text
    body = response.content
    assert body.startswith(SUCCESS_DATA)
    end = body.rindex(b',"error":null,"error_code":null,"timestamp":"')
    return body[len(SUCCESS_DATA) : end]
