"""How MyAnonamouse's JSON reads: lenient numbers, human sizes, JSON-string info fields, items as Releases."""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from shelfkeeper.adapters.prowlarr import lenient_int
from shelfkeeper.domain.releases.release import Release, ReleaseSource

_SIZE = re.compile(r"^\s*([\d,]*\.?\d+)\s*([kmgtp]?i?b|bytes?)?\s*$", re.IGNORECASE)
_UNIT_POWER = {"": 0, "b": 0, "byte": 0, "bytes": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}
_INFO_PAIR = re.compile(r'"(\d+)"\s*:\s*"(.*?)"\s*(?=,\s*"\d+"\s*:|}\s*$)')  # for author_info with stray quotes


def parse_size(value: Any) -> int | None:
    """Bytes from ``"1,016.2 KiB"``, ``"1.43 GiB"``, ``"734 MB"`` (binary units, as Prowlarr reads them) or a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value)
    match = _SIZE.match(str(value))
    if not match:
        return None
    number = float(match.group(1).replace(",", ""))
    unit = (match.group(2) or "").lower()
    power = _UNIT_POWER.get(unit, _UNIT_POWER.get(unit[:1], 0))
    return round(number * float(1024**power))


def lenient_flag(value: Any) -> bool:
    """MAM's 0/1 flags, which also arrive as "0"/"1", booleans or "true"/"false"."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def parse_added(value: Any) -> datetime | None:
    """``added`` is ``YYYY-MM-DD HH:MM:SS`` in UTC; a unix time or ISO text is accepted too."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    text = str(value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _info_object(value: Any) -> dict[str, Any]:
    # author_info / narrator_info / series_info are JSON *strings*; sometimes empty, null or malformed.
    if isinstance(value, Mapping):
        return dict(value)
    text = str(value or "").strip()
    if not text:
        return {}
    try:
        decoded = json.loads(text)
    except ValueError:
        return {key: raw.replace('\\"', '"') for key, raw in _INFO_PAIR.findall(text)}
    return decoded if isinstance(decoded, dict) else {}


def names_from_info(value: Any) -> tuple[str, ...]:
    """Names from ``{"<id>": "<HTML-encoded name>"}``, in the order MAM lists them."""
    names = (html.unescape(str(name)).strip() for name in _info_object(value).values() if name)
    return tuple(name for name in names if name)


def series_from_info(value: Any) -> tuple[tuple[str, str | None], ...]:
    """(name, position text) pairs from ``{"<id>": ["<name>", "<number>", <float>?]}``."""
    found: list[tuple[str, str | None]] = []
    for entry in _info_object(value).values():
        parts = entry if isinstance(entry, list) else [entry]
        name = html.unescape(str(parts[0] or "")).strip() if parts else ""
        if not name:
            continue
        position = str(parts[1]).strip() if len(parts) > 1 and parts[1] not in (None, "") else None
        if position is None and len(parts) > 2 and isinstance(parts[2], int | float):
            position = f"{parts[2]:g}"
        found.append((name, position))
    return tuple(found)


def release_from_item(item: Mapping[str, Any], base_url: str) -> Release | None:
    """A domain Release from one ``data[]`` item of loadSearchJSONbasic (numbers may be strings)."""
    torrent_id = lenient_int(item.get("id"))
    title = html.unescape(str(item.get("title") or "")).strip()
    if torrent_id is None or not title:
        return None
    page = f"{base_url}/t/{torrent_id}"
    by_id = f"{base_url}/tor/download.php?tid={torrent_id}"  # needs the cookie
    dl = str(item.get("dl") or "").strip()
    category = lenient_int(item.get("category"))
    return Release(
        indexer="MyAnonamouse",
        title=title,
        guid=page,
        source=ReleaseSource.MAM,
        # The dl-hash link works without a cookie, so it can go to qBittorrent as it is.
        download_url=f"{base_url}/tor/download.php/{dl}" if dl else by_id,
        info_url=page,
        size_bytes=parse_size(item.get("size")),
        seeders=lenient_int(item.get("seeders")),
        leechers=lenient_int(item.get("leechers")),
        grabs=lenient_int(item.get("times_completed")),
        published_at=parse_added(item.get("added")),
        categories=(category,) if category is not None else (),
        authors=names_from_info(item.get("author_info")),
        narrators=names_from_info(item.get("narrator_info")),
        series=series_from_info(item.get("series_info")),
        file_type=str(item.get("filetype") or "").strip().lower() or None,
        language=str(item.get("lang_code") or "").strip() or None,
        mam_id=torrent_id,
        freeleech=lenient_flag(item.get("free")),
        personal_freeleech=lenient_flag(item.get("personal_freeleech")),
        vip=lenient_flag(item.get("vip")),
        extra=_item_extra(item, by_id),
    )


def _item_extra(item: Mapping[str, Any], by_id: str) -> dict[str, object]:
    """What MAM states beyond the Release fields, for the grab policy and the API."""
    isbn = str(item.get("isbn") or "").strip()
    return {
        "fl_vip": lenient_flag(item.get("fl_vip")),  # freeleech only for VIP users: the policy decides
        "my_snatched": lenient_flag(item.get("my_snatched")),
        "main_cat": lenient_int(item.get("main_cat")),
        "catname": html.unescape(str(item.get("catname") or "")) or None,
        "numfiles": lenient_int(item.get("numfiles")),
        "browseflags": lenient_int(item.get("browseflags")),
        "vip_expire": lenient_int(item.get("vip_expire")),
        "isbn": isbn or None,
        "asin": isbn[5:].strip() if isbn.upper().startswith("ASIN:") else None,
        "download_url_by_id": by_id,
        "tags": item.get("tags") or None,
    }


def lenient_float(value: Any) -> float | None:
    try:
        return float(str(value).replace(",", "")) if value not in (None, "") else None
    except ValueError:
        return None


def parse_ratio(value: Any) -> float | None:
    # A user with nothing downloaded has an infinite ratio, which MAM may write as "Inf".
    if isinstance(value, str) and value.strip().lower() in ("inf", "infinity", "∞"):
        return math.inf
    return lenient_float(value)
