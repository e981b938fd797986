"""NZB files without I/O: checked, summarised, and given the id a usenet download is followed by.

An NZB (newzBin XML, DTD 1.1) lists the files of a usenet post, each as its message-id segments. A usenet
download has no info hash, so Shelfkeeper names it by the SHA-1 of its NZB's bytes: known before the client
sees it (the Download row is written first, as for a torrent), the same on every indexer that serves the
same NZB, and shaped like a v1 info hash (40 hex digits) so the blocklist and duplicate checks work unchanged.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass

_NAMESPACE = "{http://www.newzbin.com/DTD/2003/nzb}"
_MAX_BYTES = 64 * 1024 * 1024  # an NZB of a very large post is a few MB


class NzbError(ValueError):
    """The bytes are not an NZB with at least one file of segments."""


@dataclass(frozen=True)
class NzbSummary:
    """What an NZB promises: its files, their segments and total size, and its title when it states one."""

    files: int
    segments: int
    size_bytes: int
    title: str | None
    par2_files: int


def nzb_id(content: bytes) -> str:
    """The id Shelfkeeper follows a usenet download by: the SHA-1 of the NZB's bytes, lowercase hex."""
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()


def _local(tag: str) -> str:
    return tag[len(_NAMESPACE) :] if tag.startswith(_NAMESPACE) else tag.rsplit("}", 1)[-1]


def parse_nzb(content: bytes) -> NzbSummary:
    """Check ``content`` is an NZB and summarise it; NzbError says what is wrong."""
    if not content.strip():
        raise NzbError("empty file")
    if len(content) > _MAX_BYTES:
        raise NzbError(f"larger than {_MAX_BYTES // (1024 * 1024)} MB")
    if b"<!ENTITY" in content:
        raise NzbError("entity declarations are not allowed")
    try:
        root = ET.fromstring(content)  # noqa: S314 - entity declarations refused above, size bounded
    except ET.ParseError as exc:
        raise NzbError(f"not XML ({exc})") from exc
    if _local(root.tag) != "nzb":
        raise NzbError(f"root element is <{_local(root.tag)}>, not <nzb>")
    title = None
    files = segments = size = par2 = 0
    for element in root:
        name = _local(element.tag)
        if name == "head":
            for meta in element:
                if _local(meta.tag) == "meta" and meta.get("type") == "title" and (meta.text or "").strip():
                    title = (meta.text or "").strip()
        elif name == "file":
            files += 1
            par2 += ".par2" in (element.get("subject") or "").lower()
            for part in element.iter():
                if _local(part.tag) == "segment":
                    segments += 1
                    size += _bytes_of(part.get("bytes"))
    if files == 0 or segments == 0:
        raise NzbError("no file with segments")
    return NzbSummary(files=files, segments=segments, size_bytes=size, title=title, par2_files=par2)


def _bytes_of(value: str | None) -> int:
    try:
        return max(int(value or 0), 0)
    except ValueError:
        return 0
