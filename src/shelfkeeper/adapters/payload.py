"""Reading providers' loosely shaped JSON: arrays that may be null or missing, descriptions sent as HTML."""

from __future__ import annotations

import html
import re
from typing import Any

_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\s*/?>", re.IGNORECASE)


def as_list(value: object) -> list[Any]:
    """``value`` when it is a JSON array, else an empty list (a provider may send null or leave a key out)."""
    return value if isinstance(value, list) else []


def plain_text(markup: object) -> str | None:
    """HTML (Audible and Google summaries) as plain text: tags dropped, entities decoded, paragraphs kept."""
    if not isinstance(markup, str) or not markup.strip():
        return None
    text = html.unescape(_TAG.sub("", _BREAK.sub("\n", markup)))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line) or None
