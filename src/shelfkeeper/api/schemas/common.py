"""Schema pieces shared by several resources."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

# NUL and the other C0 control characters (tab and line breaks excepted) and DEL: PostgreSQL refuses NUL in
# text, SQLite stores it; both refuse it here, with a 422 naming the field, so the two behave the same.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_CHARACTERS_MESSAGE = "must not contain NUL or other control characters"


def has_control_characters(value: Any) -> bool:
    """Whether a string (or any string inside a list or dict) holds a control character."""
    if isinstance(value, str):
        return CONTROL_CHARACTERS.search(value) is not None
    if isinstance(value, dict):
        return any(has_control_characters(k) or has_control_characters(v) for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return any(has_control_characters(item) for item in value)
    return False


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
# The pattern is checked before upper-casing, so it accepts lower case ("b002uzmlxm" is stored as "B002UZMLXM").
Asin = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z0-9]{10}$")]
Isbn = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^(\d{9}[\dXx]|\d{13})$")]
Position = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[0-9]+(\.[0-9]+)?(\s*-\s*[0-9]+(\.[0-9]+)?)?$"
    ),
]


class ApiModel(BaseModel):
    """Every response model of the API (request bodies are ``StrictModel``).

    Its validator and serializer are built on first use, not when the class is made: the ~60 response models
    and the ~70 envelopes of them (``Envelope[BookRead]``) would otherwise be built while ``serve`` starts, a
    good part of its start-up, for routes most processes seldom call (docs/architecture.md, "Start-up loads
    what a request needs"). The first answer of each kind pays for its model once.
    """

    model_config = ConfigDict(defer_build=True)


class StrictModel(BaseModel):
    """Input models refuse unknown fields, so a typo is an error instead of silently ignored.

    Built when the class is made, not deferred like ``ApiModel``: FastAPI wraps a request body in an
    ``Annotated[Model, Field(alias=...)]`` adapter and silences pydantic's warning about that alias only while
    it builds the adapter at registration; a deferred build would warn at the first request instead.
    """

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_control_characters(cls, value: Any) -> Any:
        if has_control_characters(value):
            raise ValueError(CONTROL_CHARACTERS_MESSAGE)
        return value


class SeriesRefIn(StrictModel):
    name: Title
    position: Position | None = Field(None, description='Position in the series: "2", "1.5" or a range "1-3".')


class Deleted(ApiModel):
    id: int
    deleted: bool = True
