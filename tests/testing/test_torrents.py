"""The .torrent maker and the audiobook-like folders of shelfkeeper.testing.torrents."""

from __future__ import annotations

import hashlib
import math
import wave

import pytest

from shelfkeeper.testing.torrents import bdecode, info_hash, make_audio_book, make_torrent


def _pieces(meta: dict) -> list[bytes]:
    blob = meta[b"info"][b"pieces"]
    return [blob[i : i + 20] for i in range(0, len(blob), 20)]


def test_a_folder_becomes_a_multi_file_torrent(tmp_path):
    book = tmp_path / "Book One"
    paths = make_audio_book(book, 3, 1.5)
    (book / "cover.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    meta = bdecode(make_torrent(book))
    info = meta[b"info"]
    assert info[b"name"] == b"Book One"
    assert b"length" not in info
    listed = [(b"/".join(f[b"path"]).decode(), f[b"length"]) for f in info[b"files"]]
    on_disk = sorted((p.relative_to(book).as_posix(), p.stat().st_size) for p in [*paths, book / "cover.jpg"])
    assert listed == on_disk


def test_pieces_hash_the_files_as_one_stream(tmp_path):
    book = tmp_path / "Book"
    make_audio_book(book, 2, 1.0, seed=3)
    piece_length = 16 * 1024
    meta = bdecode(make_torrent(book, piece_length=piece_length))
    stream = b"".join(p.read_bytes() for p in sorted(book.iterdir()))
    expected = [hashlib.sha1(stream[i : i + piece_length]).digest() for i in range(0, len(stream), piece_length)]
    assert _pieces(meta) == expected
    assert len(expected) == math.ceil(len(stream) / piece_length)
    assert meta[b"info"][b"piece length"] == piece_length


def test_a_single_file_torrent(tmp_path):
    (path,) = make_audio_book(tmp_path, 1, 1.0, suffix=".m4b")
    meta = bdecode(make_torrent(path))
    assert meta[b"info"][b"name"] == path.name.encode()
    assert meta[b"info"][b"length"] == path.stat().st_size
    assert b"files" not in meta[b"info"]


def test_name_trackers_and_private_flag(tmp_path):
    book = tmp_path / "folder"
    make_audio_book(book, 1, 0.5)
    trackers = ["http://127.0.0.1:1/announce", "http://127.0.0.1:2/announce"]
    meta = bdecode(make_torrent(book, name="Renamed", trackers=trackers, private=True))
    assert meta[b"info"][b"name"] == b"Renamed"
    assert meta[b"info"][b"private"] == 1
    assert meta[b"announce"] == trackers[0].encode()
    assert meta[b"announce-list"] == [[t.encode()] for t in trackers]
    plain = bdecode(make_torrent(book))
    assert b"announce" not in plain
    assert b"private" not in plain[b"info"]


def test_the_info_hash_follows_the_data_not_the_trackers(tmp_path):
    book = tmp_path / "Book"
    make_audio_book(book, 2, 0.5)
    plain = make_torrent(book)
    assert info_hash(plain) == info_hash(make_torrent(book, trackers=["http://127.0.0.1:9/announce"]))
    assert info_hash(plain) != info_hash(make_torrent(book, name="Other"))
    assert info_hash(plain) != info_hash(make_torrent(book, piece_length=32 * 1024))


@pytest.mark.parametrize("piece_length", [0, 1000, 8 * 1024, 24 * 1024])
def test_piece_length_must_be_a_power_of_two_of_16_kib_or_more(tmp_path, piece_length):
    make_audio_book(tmp_path, 1, 0.2)
    with pytest.raises(ValueError, match="piece_length"):
        make_torrent(tmp_path, piece_length=piece_length)


def test_an_empty_folder_cannot_be_a_torrent(tmp_path):
    with pytest.raises(ValueError, match="no files"):
        make_torrent(tmp_path)


def test_audio_book_is_the_same_for_the_same_seed(tmp_path):
    first = [p.read_bytes() for p in make_audio_book(tmp_path / "a", 2, 1.0, seed=7)]
    again = [p.read_bytes() for p in make_audio_book(tmp_path / "b", 2, 1.0, seed=7)]
    other = [p.read_bytes() for p in make_audio_book(tmp_path / "c", 2, 1.0, seed=8)]
    assert first == again
    assert first != other
    assert first[0] != first[1]


def test_audio_book_names_and_count(tmp_path):
    paths = make_audio_book(tmp_path, 3, 0.5, title="Part")
    assert [p.name for p in paths] == ["01 - Part 1.mp3", "02 - Part 2.mp3", "03 - Part 3.mp3"]
    assert all(p.parent == tmp_path for p in paths)


@pytest.mark.parametrize("seconds", [0.5, 2.0])
def test_mp3_files_are_mpeg_frames(tmp_path, seconds):
    (path,) = make_audio_book(tmp_path, 1, seconds)
    data = path.read_bytes()
    frame = 417  # 128 kbit/s at 44.1 kHz
    assert len(data) % frame == 0
    assert all(data[i : i + 4] == b"\xff\xfb\x90\x64" for i in range(0, len(data), frame))
    assert len(data) // frame == round(seconds * 44100 / 1152)


@pytest.mark.parametrize("seconds", [0.25, 1.0, 1.0001])
def test_wav_files_open_as_audio_of_the_asked_length(tmp_path, seconds):
    (path,) = make_audio_book(tmp_path, 1, seconds, suffix=".wav")
    with wave.open(str(path), "rb") as audio:
        assert audio.getnchannels() == 1
        assert audio.getsampwidth() == 1
        assert audio.getnframes() / audio.getframerate() == pytest.approx(seconds, abs=1 / 8000)


def test_other_suffixes_get_noise_of_about_128_kbit_per_second(tmp_path):
    (path,) = make_audio_book(tmp_path, 1, 2.0, suffix=".m4b")
    assert path.suffix == ".m4b"
    assert path.stat().st_size == 32_000
