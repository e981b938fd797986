"""``driver_reads.json_text`` reads stored JSON exactly as ``json.loads`` does: the same value, or the same error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfkeeper.db.driver_reads import json_text

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=15,
)


def _outcome(read: Any, text: str) -> str:
    try:
        return repr(read(text))
    except Exception as error:  # the same error, message included
        return f"{type(error).__name__}: {error}"


@settings(max_examples=500, deadline=None)
@given(
    JSON_VALUES,
    st.sampled_from([None, 0, 2]),
    st.text(alphabet=" \t\n\r\ufeff", max_size=2),
    st.text(alphabet=" \t\n\r,]x", max_size=2),
)
def test_same_as_json_loads(value: Any, indent: int | None, before: str, after: str) -> None:
    text = before + json.dumps(value, indent=indent, ensure_ascii=indent is None) + after
    assert _outcome(json_text, text) == _outcome(json.loads, text)


@pytest.mark.parametrize(
    "text", ["[]", "{}", "", " ", "[", "[1,]", "nul", "NaN", "-Infinity", "1e400", '"\x01"', " []", "\ufeff[]", "[1]x"]
)
def test_edge_texts(text: str) -> None:
    assert _outcome(json_text, text) == _outcome(json.loads, text)
