""".torrent files without I/O: bencode, the info hash qBittorrent uses as the torrent's id, magnet links."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs, urlsplit

BencodeValue = int | bytes | list["BencodeValue"] | dict[bytes, "BencodeValue"]
# What ``bencode`` accepts: str is written as its UTF-8 bytes, tuples as lists.
BencodeInput = (
    int | bytes | str | Sequence["BencodeInput"] | Mapping[str, "BencodeInput"] | Mapping[bytes, "BencodeInput"]
)

# Deeper nesting than this is no real .torrent; the limit keeps crafted input from exhausting the stack.
_MAX_DEPTH = 64
_HEX_V1 = re.compile(r"^[0-9a-fA-F]{40}$")
_BASE32_V1 = re.compile(r"^[A-Za-z2-7]{32}$")
# Multihash of a SHA-256 digest: 0x12 (sha2-256), 0x20 (32 bytes), then the digest.
_MULTIHASH_V2 = re.compile(r"^1220([0-9a-fA-F]{64})$")


class BencodeError(ValueError):
    """The bytes are not valid bencode, or not a .torrent where one was expected."""


def bencode(value: BencodeInput) -> bytes:
    """Encode ints, bytes/str, lists and dicts (keys written in sorted byte order, as the format demands)."""
    out: list[bytes] = []
    _encode_into(value, out, 0)
    return b"".join(out)


def _encode_into(value: BencodeInput, out: list[bytes], depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise BencodeError("value nested too deeply")
    if isinstance(value, bool):
        # bool is an int in Python; bencode has no booleans, so a bool here is a caller's mistake.
        raise BencodeError("bencode has no booleans; use 0 or 1")
    if isinstance(value, int):
        out.append(b"i%de" % value)
    elif isinstance(value, bytes | str):
        raw = value.encode() if isinstance(value, str) else value
        out.append(b"%d:%s" % (len(raw), raw))
    elif isinstance(value, Mapping):
        items = sorted(((k.encode() if isinstance(k, str) else k, v) for k, v in value.items()), key=lambda kv: kv[0])
        keys = [k for k, _ in items]
        if len(set(keys)) != len(keys):
            raise BencodeError("duplicate dictionary key")
        out.append(b"d")
        for key, item in items:
            out.append(b"%d:%s" % (len(key), key))
            _encode_into(item, out, depth + 1)
        out.append(b"e")
    elif isinstance(value, Sequence):
        out.append(b"l")
        for item in value:
            _encode_into(item, out, depth + 1)
        out.append(b"e")
    else:
        raise BencodeError(f"cannot bencode {type(value).__name__}")


def bdecode(data: bytes) -> BencodeValue:
    """Decode one complete bencoded value; trailing bytes or any malformation raise ``BencodeError``."""
    value, end = _decode_at(data, 0, 0)
    if end != len(data):
        raise BencodeError(f"trailing data at offset {end}")
    return value


def _decode_at(data: bytes, pos: int, depth: int) -> tuple[BencodeValue, int]:
    if depth > _MAX_DEPTH:
        raise BencodeError("value nested too deeply")
    if pos >= len(data):
        raise BencodeError("unexpected end of data")
    lead = data[pos : pos + 1]
    if lead == b"i":
        return _decode_int(data, pos)
    if lead.isdigit():
        return _decode_bytes(data, pos)
    if lead == b"l":
        items: list[BencodeValue] = []
        pos += 1
        while not _at_end_marker(data, pos):
            item, pos = _decode_at(data, pos, depth + 1)
            items.append(item)
        return items, pos + 1
    if lead == b"d":
        result: dict[bytes, BencodeValue] = {}
        pos += 1
        while not _at_end_marker(data, pos):
            key, pos = _decode_bytes(data, pos)
            if key in result:
                raise BencodeError(f"duplicate dictionary key {key!r}")
            result[key], pos = _decode_at(data, pos, depth + 1)
        return result, pos + 1
    raise BencodeError(f"unexpected byte {lead!r} at offset {pos}")


def _at_end_marker(data: bytes, pos: int) -> bool:
    if pos >= len(data):
        raise BencodeError("unexpected end of data")
    return data[pos : pos + 1] == b"e"


def _decode_int(data: bytes, pos: int) -> tuple[int, int]:
    end = data.find(b"e", pos)
    if end < 0:
        raise BencodeError("unterminated integer")
    digits = data[pos + 1 : end]
    # The format forbids "-0", leading zeros and an empty number.
    if not re.fullmatch(rb"0|-?[1-9][0-9]*", digits):
        raise BencodeError(f"invalid integer {digits!r} at offset {pos}")
    return int(digits), end + 1


def _decode_bytes(data: bytes, pos: int) -> tuple[bytes, int]:
    colon = data.find(b":", pos)
    length_digits = data[pos:colon] if colon >= 0 else b""
    if not re.fullmatch(rb"0|[1-9][0-9]*", length_digits):
        raise BencodeError(f"invalid string length at offset {pos}")
    start = colon + 1
    end = start + int(length_digits)
    if end > len(data):
        raise BencodeError("string runs past the end of data")
    return data[start:end], end


def info_dict_bytes(torrent: bytes) -> bytes:
    """The exact bytes of the ``info`` dictionary inside a .torrent (hashed as they are, never re-encoded)."""
    if torrent[:1] != b"d":
        raise BencodeError("a .torrent file is a bencoded dictionary")
    pos, span = 1, None
    while not _at_end_marker(torrent, pos):
        key, pos = _decode_bytes(torrent, pos)
        start = pos
        value, pos = _decode_at(torrent, pos, 1)
        if key == b"info":
            if not isinstance(value, dict):
                raise BencodeError("the info entry is not a dictionary")
            span = (start, pos)
    if pos + 1 != len(torrent):
        raise BencodeError(f"trailing data at offset {pos + 1}")
    if span is None:
        raise BencodeError("no info dictionary: not a .torrent file")
    return torrent[span[0] : span[1]]


def info_hash(torrent: bytes) -> str:
    """The torrent's id as qBittorrent reports it (``hash``), lowercase hex.

    SHA-1 of the bencoded info dictionary for v1 and hybrid torrents; for a v2-only torrent
    (``meta version`` 2 and no v1 ``pieces``) qBittorrent uses the SHA-256 truncated to 40 digits.
    """
    info_bytes = info_dict_bytes(torrent)
    info = bdecode(info_bytes)
    assert isinstance(info, dict)  # guaranteed by info_dict_bytes
    if info.get(b"meta version") == 2 and b"pieces" not in info:
        return hashlib.sha256(info_bytes).hexdigest()[:40]
    return hashlib.sha1(info_bytes, usedforsecurity=False).hexdigest()  # BitTorrent v1 defines the id as SHA-1


def torrent_name(torrent: bytes) -> str:
    """The ``name`` of the info dictionary (the root folder or single file), decoded leniently."""
    info = bdecode(info_dict_bytes(torrent))
    assert isinstance(info, dict)
    name = info.get(b"name.utf-8", info.get(b"name"))
    if not isinstance(name, bytes):
        raise BencodeError("the info dictionary has no name")
    return name.decode("utf-8", errors="replace")


def is_magnet(uri: str) -> bool:
    """Whether a URL is a magnet link rather than an address of a .torrent file."""
    return uri.strip().lower().startswith("magnet:")


def magnet_info_hash(uri: str) -> str | None:
    """The torrent id of a magnet link, lowercase hex, or None when it carries no usable hash.

    ``xt=urn:btih:`` holds a v1 hash in hex (40) or base32 (32); a v2-only link has only
    ``xt=urn:btmh:1220<sha256>``, which qBittorrent shortens to its first 40 hex digits.
    """
    if not is_magnet(uri):
        return None
    query = urlsplit(uri.strip()).query
    topics = parse_qs(query).get("xt", [])
    v2_hash = None
    for topic in topics:
        scheme, _, value = topic.rpartition(":")
        scheme = scheme.lower()
        if scheme == "urn:btih":
            v1_hash = _decode_btih(value)
            if v1_hash:
                return v1_hash
        elif scheme == "urn:btmh" and (match := _MULTIHASH_V2.match(value)):
            v2_hash = match.group(1).lower()[:40]
    return v2_hash


def _decode_btih(value: str) -> str | None:
    if _HEX_V1.match(value):
        return value.lower()
    if _BASE32_V1.match(value):
        try:
            return base64.b32decode(value.upper()).hex()
        except binascii.Error:
            return None
    return None
