"""A wanted book's subtitle looked up from the providers by its ASIN, remembered on the row.

The subtitle found goes into the ``subtitle`` column (the wanted record then has it, like one it was created
with); ``evidence["subtitle_lookup"]`` remembers the lookup itself (ASIN, provider, subtitle or none, when), so
a book is looked up once per ASIN, even when the provider has no subtitle for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from shelfkeeper.db.tables import WantedBook

LOOKUP_KEY = "subtitle_lookup"
NO_ASIN = "no ASIN to look it up"


def lookup_of(missing: WantedBook) -> Mapping[str, Any] | None:
    """The remembered lookup for the row's current ASIN (None when there was none, or for another ASIN)."""
    found = (missing.evidence or {}).get(LOOKUP_KEY)
    if isinstance(found, Mapping) and missing.asin and str(found.get("asin") or "").upper() == missing.asin.upper():
        return found
    return None


def subtitle_note(missing: WantedBook) -> str | None:
    """Where the wanted book's subtitle came from, or why none is known: shown in the release reasons."""
    lookup = lookup_of(missing)
    if missing.subtitle:
        if lookup is not None and lookup.get("subtitle") == missing.subtitle:
            return f"looked up at {lookup.get('source')} by ASIN {missing.asin}"
        return "from the wanted record"
    if not missing.asin:
        return NO_ASIN
    if lookup is not None:
        return f"{lookup.get('source')} has none for ASIN {missing.asin}"
    return None


def asin_to_look_up(session: Session, wanted_id: int) -> str | None:
    """The ASIN to look the subtitle up by: None when the row has a subtitle, no ASIN, or was looked up."""
    missing = session.get(WantedBook, wanted_id)
    if missing is None or missing.subtitle or not missing.asin or lookup_of(missing) is not None:
        return None
    return missing.asin


def remember_subtitle(
    session: Session, wanted_id: int, asin: str, subtitle: str | None, source: str, now: datetime
) -> None:
    """Keep what ``source`` answered for ``asin`` (a subtitle, or none); a row whose ASIN changed meanwhile is left."""
    missing = session.get(WantedBook, wanted_id)
    if missing is None or (missing.asin or "").upper() != asin.upper():
        return
    found = subtitle.strip()[:500] if subtitle and subtitle.strip() else None
    lookup = {"asin": asin, "source": source, "subtitle": found, "at": now.isoformat()}
    missing.evidence = {**(missing.evidence or {}), LOOKUP_KEY: lookup}
    if found and not missing.subtitle:
        missing.subtitle = found
