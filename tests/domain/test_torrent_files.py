"""Bencode, info hashes and magnet links (shelfkeeper.domain.torrents.files)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from shelfkeeper.domain.torrents.files import (
    BencodeError,
    bdecode,
    bencode,
    info_dict_bytes,
    info_hash,
    is_magnet,
    magnet_info_hash,
    torrent_name,
)


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, b"i0e"),
        (42, b"i42e"),
        (-3, b"i-3e"),
        (2**70, b"i1180591620717411303424e"),
        (b"", b"0:"),
        (b"spam", b"4:spam"),
        ("spam", b"4:spam"),
        ("é", b"2:\xc3\xa9"),
        (b"\x00\xff", b"2:\x00\xff"),
        ([], b"le"),
        ([b"spam", 42], b"l4:spami42ee"),
        ((b"a", (1, 2)), b"l1:ali1ei2eee"),
        ({}, b"de"),
        ({"spam": [b"a", b"b"]}, b"d4:spaml1:a1:bee"),
        ({"foo": 42, "bar": "spam"}, b"d3:bar4:spam3:fooi42ee"),  # keys sorted
        ({b"b": 1, b"a": 2, b"ab": 3}, b"d1:ai2e2:abi3e1:bi1ee"),  # raw byte order
        ({b"\xff": 1, b"Z": 2}, b"d1:Zi2e1:\xffi1ee"),
    ],
)
def test_bencode_writes_the_canonical_form(value, encoded):
    assert bencode(value) == encoded


@pytest.mark.parametrize(
    "encoded",
    [b"i0e", b"i-7e", b"4:spam", b"0:", b"le", b"de", b"l4:spami42ee", b"d3:bar4:spam3:fooi42ee", b"d1:ald1:bleeee"],
)
def test_bdecode_then_bencode_round_trips(encoded):
    assert bencode(bdecode(encoded)) == encoded


def test_bdecode_gives_bytes_keys_and_values():
    assert bdecode(b"d4:infod4:name4:Bookee") == {b"info": {b"name": b"Book"}}


def _nested_lists(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (True, "booleans"),
        (1.5, "float"),
        (None, "NoneType"),
        ({"a": 1, b"a": 2}, "duplicate"),
        (_nested_lists(70), "deep"),
    ],
)
def test_bencode_refuses_what_the_format_cannot_hold(value, reason):
    with pytest.raises(BencodeError, match=reason):
        bencode(value)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"i",
        b"ie",
        b"i-0e",
        b"i03e",
        b"i1.5e",
        b"i42",
        b"5:abc",
        b"03:abc",
        b"-1:a",
        b"3abc",
        b"l",
        b"li1e",
        b"d",
        b"d1:a",
        b"d1:ai1e1:ai2ee",  # duplicate key
        b"di1ei2ee",  # key not a string
        b"x",
        b"i1ei2e",  # trailing data
        b"4:spamextra",
        b"l" * 100 + b"e" * 100,  # nested deeper than any .torrent
    ],
)
def test_bdecode_rejects_malformed_input(data):
    with pytest.raises(BencodeError):
        bdecode(data)


def _torrent(info: dict, **extra) -> bytes:
    return bencode({"info": info, **extra})


SINGLE_FILE_INFO = {"name": "book.m4b", "length": 5, "piece length": 16384, "pieces": b"\x01" * 20}


def test_info_hash_is_the_sha1_of_the_info_dictionary():
    torrent = _torrent(SINGLE_FILE_INFO, announce="http://127.0.0.1/announce")
    assert info_hash(torrent) == hashlib.sha1(bencode(SINGLE_FILE_INFO)).hexdigest()


def test_info_hash_ignores_everything_outside_info():
    plain = _torrent(SINGLE_FILE_INFO)
    decorated = _torrent(SINGLE_FILE_INFO, comment="x", announce="http://127.0.0.1/a", **{"creation date": 1})
    assert info_hash(plain) == info_hash(decorated)


def test_info_hash_changes_with_the_info_dictionary():
    other = {**SINGLE_FILE_INFO, "name": "other.m4b"}
    assert info_hash(_torrent(SINGLE_FILE_INFO)) != info_hash(_torrent(other))


def test_info_hash_hashes_the_bytes_as_written_even_when_not_canonical():
    # Some tools write unsorted keys; clients hash the info bytes exactly as found.
    raw_info = b"d4:name1:a6:lengthi1e12:piece lengthi16384e6:pieces20:" + b"\x02" * 20 + b"e"
    torrent = b"d8:announce3:url4:info" + raw_info + b"e"
    assert info_dict_bytes(torrent) == raw_info
    assert info_hash(torrent) == hashlib.sha1(raw_info).hexdigest()
    assert info_hash(torrent) != hashlib.sha1(bencode(bdecode(raw_info))).hexdigest()


def test_a_v2_only_torrent_uses_the_truncated_sha256():
    info = {"name": "book", "meta version": 2, "piece length": 16384, "file tree": {}}
    assert info_hash(_torrent(info)) == hashlib.sha256(bencode(info)).hexdigest()[:40]


def test_a_hybrid_torrent_uses_the_v1_sha1():
    info = {**SINGLE_FILE_INFO, "meta version": 2, "file tree": {}}
    assert info_hash(_torrent(info)) == hashlib.sha1(bencode(info)).hexdigest()


@pytest.mark.parametrize(
    ("torrent", "message"),
    [
        (b"", "dictionary"),
        (b"le", "dictionary"),
        (b"de", "no info"),
        (b"d4:name4:Booke", "no info"),
        (b"d4:infoi1ee", "not a dictionary"),
        (b"d4:infodee" + b"junk", "trailing"),
        (b"d4:infod", "end of data"),
    ],
)
def test_info_hash_refuses_what_is_not_a_torrent(torrent, message):
    with pytest.raises(BencodeError, match=message):
        info_hash(torrent)


@pytest.mark.parametrize(
    ("info", "name"),
    [
        ({"name": "Book One"}, "Book One"),
        ({"name": "Livre été".encode()}, "Livre été"),
        ({"name": b"caf\xe9", "name.utf-8": "café"}, "café"),
        ({"name": b"caf\xe9"}, "caf\ufffd"),
    ],
)
def test_torrent_name(info, name):
    assert torrent_name(_torrent(info)) == name


def test_torrent_name_missing_is_an_error():
    with pytest.raises(BencodeError, match="no name"):
        torrent_name(_torrent({"length": 1}))


HEX = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
BASE32 = base64.b32encode(bytes.fromhex(HEX)).decode()
SHA256 = hashlib.sha256(b"v2 info").hexdigest()


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (f"magnet:?xt=urn:btih:{HEX}", HEX),
        (f"magnet:?xt=urn:btih:{HEX.upper()}&dn=Some+Book", HEX),
        (f"magnet:?dn=Book&tr=http%3A%2F%2F127.0.0.1%2Fannounce&xt=urn:btih:{HEX}", HEX),
        (f"magnet:?xt=urn:btih:{BASE32}", HEX),
        (f"magnet:?xt=urn:btih:{BASE32.lower()}", HEX),
        (f"MAGNET:?xt=URN:BTIH:{HEX}", HEX),
        (f"  magnet:?xt=urn:btih:{HEX}  ", HEX),
        (f"magnet:?xt=urn:btmh:1220{SHA256}", SHA256[:40]),
        (f"magnet:?xt=urn:btmh:1220{SHA256}&xt=urn:btih:{HEX}", HEX),  # hybrid: the v1 id wins
        (f"magnet:?xt=urn:btih:{HEX[:-1]}", None),  # 39 digits
        (f"magnet:?xt=urn:btih:{HEX}0", None),  # 41 digits
        ("magnet:?xt=urn:btih:" + "1" * 32, None),  # "1" is not base32
        (f"magnet:?xt=urn:sha1:{HEX}", None),
        (f"magnet:?xt=urn:btmh:1114{SHA256}", None),  # not a sha2-256 multihash
        ("magnet:?dn=Only+A+Name", None),
        (f"https://127.0.0.1/download?xt=urn:btih:{HEX}", None),  # not a magnet
        ("", None),
    ],
)
def test_magnet_info_hash(uri, expected):
    assert magnet_info_hash(uri) == expected


@pytest.mark.parametrize(
    ("uri", "magnet"),
    [("magnet:?xt=urn:btih:x", True), (" Magnet:?x", True), ("http://127.0.0.1/a.torrent", False), ("", False)],
)
def test_is_magnet(uri, magnet):
    assert is_magnet(uri) is magnet
