"""Records, request parsing and JSON rendering of the fake MyAnonamouse, with the real API's odd shapes."""

from __future__ import annotations

import contextlib
import html
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shelfkeeper.domain.releases.tracker import AUDIOBOOK_CATEGORIES, AUDIOBOOKS
from shelfkeeper.domain.text import fold
from shelfkeeper.domain.torrents.files import BencodeError, info_hash
from shelfkeeper.testing.fakes.prowlarr_data import synthetic_torrent

_NUMERIC_FIELDS = ("id", "seeders", "leechers", "times_completed", "numfiles", "comments", "category", "main_cat")
_FLAG_FIELDS = ("free", "vip", "fl_vip", "personal_freeleech", "my_snatched")
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def human_size(size: int) -> str:
    """MAM's size text: binary units, a thousands separator ("1,016.2 KiB", "1.43 GiB")."""
    value, unit = float(size), 0
    while value >= 1024 and unit < len(_UNITS) - 1:
        value /= 1024
        unit += 1
    if unit == 0:
        return f"{size} B"
    return f"{value:,.{2 if value < 10 else 1}f} {_UNITS[unit]}"


def stable_id(name: str) -> int:
    return zlib.crc32(fold(name).encode()) % 900_000 + 1000


@dataclass
class MamTorrent:
    id: int
    title: str  # as MAM sends it: may carry HTML entities ("Pride &amp; Prejudice")
    authors: list[str] = field(default_factory=list)
    narrators: list[str] = field(default_factory=list)
    series: list[list[str]] = field(default_factory=list)  # [name, number text] pairs; number may be "01-16, 13.5"
    added: datetime = field(default_factory=lambda: datetime(2026, 1, 1, 12, 0, tzinfo=UTC))
    size: int = 300_000_000
    seeders: int = 10
    leechers: int = 0
    times_completed: int = 0
    numfiles: int = 1
    comments: int = 0
    category: int = 41
    main_cat: int = AUDIOBOOKS
    filetype: str = "m4b"
    lang_code: str = "ENG"
    language: int = 1
    free: bool = False
    vip: bool = False
    fl_vip: bool = False
    personal_freeleech: bool = False
    my_snatched: bool = False
    vip_expire: int = 0
    browseflags: int = 0
    owner: int = 4242
    owner_name: str = "uploader"
    tags: str = ""
    description: str = ""
    isbn: str | None = None
    string_numbers: bool = False  # numeric fields as numeric strings, as some clients see them
    size_as_bytes: bool = False  # "123456" instead of "1.2 GiB", as one client reports
    torrent: bytes | None = None
    info_hash: str | None = None
    dl: str = ""  # the hash for /tor/download.php/<dl>, set by the fake

    def __post_init__(self) -> None:
        if self.torrent is None:
            self.torrent, self.info_hash = synthetic_torrent(html.unescape(self.title), self.size)
        elif self.info_hash is None:
            with contextlib.suppress(BencodeError):
                self.info_hash = info_hash(self.torrent)

    def searchable(self, field_name: str) -> str:
        if field_name == "title":
            return html.unescape(self.title)
        if field_name == "author":
            return " ".join(self.authors)
        if field_name == "narrator":
            return " ".join(self.narrators)
        if field_name == "series":
            return " ".join(name for name, *_ in self.series)
        if field_name == "description":
            return self.description
        if field_name == "tags":
            return self.tags
        if field_name == "fileTypes":
            return self.filetype
        return ""


@dataclass
class MamUser:
    username: str = "bookworm"
    uid: int = 123456
    classname: str = "Power User"
    ratio: float = 2.5
    uploaded_bytes: int = 250 * 1024**3
    downloaded_bytes: int = 100 * 1024**3
    seedbonus: int = 12345
    wedges: int = 3
    vip_until: str | None = None

    def resource(self, snatch_summary: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "username": self.username,
            "uid": self.uid,
            "classname": self.classname,
            "ratio": self.ratio,
            "uploaded": human_size(self.uploaded_bytes),
            "downloaded": human_size(self.downloaded_bytes),
            "uploaded_bytes": self.uploaded_bytes,
            "downloaded_bytes": self.downloaded_bytes,
            "seedbonus": min(self.seedbonus, 99_999),
            "wedges": self.wedges,
            "vip_until": self.vip_until,
            "connectable": "yes",
            "country_code": "nz",
            "country_name": "New Zealand",
            "created": 1577836800,
            "update": 1780000000,
        }
        if snatch_summary:
            for name in ("leeching", "sSat", "seedHnr", "seedUnsat", "upAct", "upInact", "inactHnr", "inactSat"):
                data[name] = {"name": name, "count": 0, "red": False, "size": 0}
            data["unsat"] = {"count": 0, "red": False, "size": 0, "limit": 50}
        return data


def _author_json(names: list[str]) -> str:
    # A JSON *string* of {"<id>": "<HTML-encoded name>"}.
    return json.dumps({str(stable_id(n)): html.escape(n) for n in names})


def _series_json(series: list[list[str]]) -> str | None:
    if not series:
        return None
    rendered: dict[str, list[Any]] = {}
    for name, number, *_ in series:
        entry: list[Any] = [html.escape(name), number]
        with contextlib.suppress(ValueError):
            entry.append(float(number))  # the 3-element form; a range like "01-16, 13.5" keeps 2
        rendered[str(stable_id(name))] = entry
    return json.dumps(rendered)


def torrent_resource(torrent: MamTorrent, flags: set[str], weight: int) -> dict[str, Any]:
    """One ``data[]`` item of loadSearchJSONbasic, typed the way MAM types it."""
    item: dict[str, Any] = {
        "id": torrent.id,
        "title": torrent.title,
        "author_info": _author_json(torrent.authors) if torrent.authors else "",
        "narrator_info": _author_json(torrent.narrators) if torrent.narrators else "",
        "series_info": _series_json(torrent.series),
        "added": torrent.added.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "size": str(torrent.size) if torrent.size_as_bytes else human_size(torrent.size),
        "seeders": torrent.seeders,
        "leechers": torrent.leechers,
        "times_completed": torrent.times_completed,
        "numfiles": torrent.numfiles,
        "comments": torrent.comments,
        "category": torrent.category,
        "catname": f"Audiobooks - {AUDIOBOOK_CATEGORIES.get(torrent.category, 'General Fiction')}",
        "main_cat": torrent.main_cat,
        "filetype": torrent.filetype,
        "lang_code": torrent.lang_code,
        "language": torrent.language,
        "vip_expire": torrent.vip_expire,
        "browseflags": torrent.browseflags,
        "owner": torrent.owner,
        "owner_name": torrent.owner_name,
        "tags": torrent.tags,
        "bookmarked": None,
        "w": weight,
    }
    for name in _FLAG_FIELDS:
        item[name] = int(getattr(torrent, name))
    if torrent.string_numbers:
        for name in (*_NUMERIC_FIELDS, *_FLAG_FIELDS):
            item[name] = str(item[name])
    if "dlLink" in flags:
        item["dl"] = torrent.dl
    if "description" in flags:
        item["description"] = torrent.description
    if "isbn" in flags:
        item["isbn"] = torrent.isbn or ""
    return item


def parse_brackets(items: list[tuple[str, str]]) -> dict[str, Any]:
    """PHP's reading of ``tor[cat][]=0&tor[srchIn][title]=true``: nested dicts, digit-keyed ones as lists."""
    root: dict[str, Any] = {}
    for key, value in items:
        match = _KEY.match(key)
        if not match:
            continue
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        last = parts[-1] or str(len(node))
        node[last] = value
    listed = _listify(root)
    assert isinstance(listed, dict)
    return listed


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _listify(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def truthy(value: Any) -> bool:
    return value not in (None, False, 0, "0", "false", "False", "")


def int_list(value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value] if value not in (None, "") else []
    return [int(v) for v in values if str(v).strip().lstrip("-").isdigit()]


def search_fields(value: Any) -> list[str]:
    """``srchIn`` as a dict of field -> "true" (GET form) or a list of names (JSON form)."""
    if isinstance(value, dict):
        return [name for name, on in value.items() if truthy(on)]
    if isinstance(value, list):
        return [str(v) for v in value]
    return ["title", "author"]


def parse_day(value: Any) -> datetime | None:
    """``YYYY-MM-DD`` or a unix timestamp, as startDate/endDate take."""
    text = str(value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    return datetime.strptime(text[:10], "%Y-%m-%d").replace(tzinfo=UTC)
