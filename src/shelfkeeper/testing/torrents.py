"""Real .torrent files and small audiobook-like folders for tests and demos."""

from __future__ import annotations

import hashlib
import random
import struct
from collections.abc import Iterator, Sequence
from pathlib import Path

from shelfkeeper.domain.torrents.files import BencodeInput, bdecode, bencode, info_hash

__all__ = ["bdecode", "bencode", "info_hash", "make_audio_book", "make_torrent"]

DEFAULT_PIECE_LENGTH = 16 * 1024  # the smallest piece BitTorrent allows; many pieces make progress visible

# An MPEG-1 Layer III frame header: 128 kbit/s, 44.1 kHz, no padding, joint stereo.
_MP3_FRAME_HEADER = b"\xff\xfb\x90\x64"
_MP3_FRAME_BYTES = 417  # 144 * 128000 / 44100
_MP3_FRAMES_PER_SECOND = 44100 / 1152
_WAV_SAMPLE_RATE = 8000  # mono, 8-bit: small files that every player still opens


def make_torrent(
    path: Path,
    *,
    piece_length: int = DEFAULT_PIECE_LENGTH,
    name: str | None = None,
    trackers: Sequence[str] = (),
    private: bool = False,
) -> bytes:
    """A v1 .torrent for a file or a folder (files in sorted path order, hidden files included).

    ``name`` overrides the root name; the data must then sit under that name in the save path.
    """
    if piece_length < 16 * 1024 or piece_length & (piece_length - 1):
        raise ValueError("piece_length must be a power of two of at least 16 KiB")
    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    if not files:
        raise ValueError(f"{path} holds no files")
    info: dict[str, BencodeInput] = {
        "name": name or path.name,
        "piece length": piece_length,
        "pieces": b"".join(_piece_hashes(files, piece_length)),
    }
    if path.is_dir():
        info["files"] = [{"length": f.stat().st_size, "path": list(f.relative_to(path).parts)} for f in files]
    else:
        info["length"] = path.stat().st_size
    if private:
        info["private"] = 1
    meta: dict[str, BencodeInput] = {"info": info, "created by": "shelfkeeper tests"}
    if trackers:
        meta["announce"] = trackers[0]
        meta["announce-list"] = [[tracker] for tracker in trackers]
    return bencode(meta)


def _piece_hashes(files: Sequence[Path], piece_length: int) -> Iterator[bytes]:
    # Pieces run across file boundaries: the files are one stream in torrent order.
    buffer = bytearray()
    for file in files:
        with file.open("rb") as stream:
            while chunk := stream.read(piece_length):
                buffer += chunk
                while len(buffer) >= piece_length:
                    yield hashlib.sha1(buffer[:piece_length], usedforsecurity=False).digest()
                    del buffer[:piece_length]
    if buffer:
        yield hashlib.sha1(buffer, usedforsecurity=False).digest()


def make_audio_book(
    directory: Path,
    n_files: int,
    seconds: float,
    *,
    suffix: str = ".mp3",
    seed: int = 0,
    title: str = "Chapter",
) -> list[Path]:
    """Write ``n_files`` audio-like files of about ``seconds`` each into ``directory``; returns their paths.

    ``.mp3`` gives MPEG frames (valid headers, noise payload), ``.wav`` a real PCM WAV of noise, any
    other suffix (``.m4b``) plain noise bytes. The noise comes from ``random.Random(seed)``, so the
    same arguments always give the same bytes.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    writers = {".mp3": _mp3_bytes, ".wav": _wav_bytes}
    write = writers.get(suffix.lower(), _noise_bytes)
    paths = []
    for number in range(1, n_files + 1):
        target = directory / f"{number:02d} - {title} {number}{suffix}"
        target.write_bytes(write(rng, seconds))
        paths.append(target)
    return paths


def _mp3_bytes(rng: random.Random, seconds: float) -> bytes:
    frames = max(1, round(seconds * _MP3_FRAMES_PER_SECOND))
    payload = _MP3_FRAME_BYTES - len(_MP3_FRAME_HEADER)
    return b"".join(_MP3_FRAME_HEADER + rng.randbytes(payload) for _ in range(frames))


def _wav_bytes(rng: random.Random, seconds: float) -> bytes:
    samples = rng.randbytes(max(1, round(seconds * _WAV_SAMPLE_RATE)))
    fmt = struct.pack("<HHIIHH", 1, 1, _WAV_SAMPLE_RATE, _WAV_SAMPLE_RATE, 1, 8)
    pad = b"\x00" * (len(samples) % 2)  # RIFF chunks are word-aligned
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(samples))
    body += samples + pad
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _noise_bytes(rng: random.Random, seconds: float) -> bytes:
    return rng.randbytes(max(1, round(seconds * 16_000)))  # about 128 kbit/s, like the mp3 frames
