"""Schema pieces shared by several resources."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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


class StrictModel(BaseModel):
    """Input models refuse unknown fields, so a typo is an error instead of silently ignored."""

    model_config = ConfigDict(extra="forbid")


class SeriesRefIn(StrictModel):
    name: Title
    position: Position | None = Field(None, description='Position in the series: "2", "1.5" or a range "1-3".')


class Deleted(BaseModel):
    id: int
    deleted: bool = True
