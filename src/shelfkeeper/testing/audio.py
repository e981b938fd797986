"""Real audio files for tests and demos, made by Debian's ffmpeg: a sine tone as MP3 or M4B, tags and chapters."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

FFMPEG = shutil.which("ffmpeg")
NO_FFMPEG = "Debian's ffmpeg is not installed (make test installs it: apt-get install -y ffmpeg)"


class FfmpegNotInstalled(RuntimeError):
    """ffmpeg is missing: install it (Debian: apt-get install -y ffmpeg)."""


def _escape(text: str) -> str:
    out = text.replace("\\", "\\\\")
    for ch in "=;#\n":
        out = out.replace(ch, "\\" + ch)
    return out


def make_sine_audio(
    path: Path,
    seconds: float,
    *,
    tags: Mapping[str, str] | None = None,
    chapters: Sequence[tuple[str, float, float]] = (),
    frequency: int = 440,
    bitrate_kbps: int = 32,
    index_first: bool = True,
) -> Path:
    """Write ``seconds`` of a sine tone at ``path``: MP3 (LAME) for ``.mp3``, AAC in an M4B for ``.m4b``/``.m4a``,
    with ``tags`` (ffmpeg's names: title, album, artist, album_artist, composer) and ``chapters`` (title, start,
    end in seconds). An M4B has its index (moov) first unless ``index_first`` is False."""
    if FFMPEG is None:
        raise FfmpegNotInstalled(NO_FFMPEG)
    path.parent.mkdir(parents=True, exist_ok=True)
    mp4 = path.suffix.lower() in (".m4b", ".m4a")
    with tempfile.TemporaryDirectory(prefix="shelfkeeper-audio-") as work:
        metadata = Path(work) / "metadata.txt"
        lines = [";FFMETADATA1", *(f"{key}={_escape(value)}" for key, value in (tags or {}).items())]
        for title, start, end in chapters:
            lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={round(start * 1000)}", f"END={round(end * 1000)}",
                      f"title={_escape(title)}"]  # fmt: skip
        metadata.write_text("\n".join(lines) + "\n", encoding="utf-8")
        faststart = ["-movflags", "+faststart"] if index_first else []
        codec = ["-c:a", "aac", *faststart, "-f", "ipod"] if mp4 else ["-c:a", "libmp3lame", "-id3v2_version", "3"]
        command = [
            FFMPEG, "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"sine=frequency={frequency}:sample_rate=22050:duration={seconds}",
            "-i", str(metadata), "-map", "0:a", "-map_metadata", "1", "-map_chapters", "1",
            "-ac", "1", "-b:a", f"{bitrate_kbps}k", *codec, str(path),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    return path


def make_sine_book(
    folder: Path,
    seconds: Sequence[float],
    *,
    title: str,
    author: str,
    narrator: str | None = None,
    suffix: str = ".mp3",
) -> list[Path]:
    """A book of one file per entry of ``seconds``, tagged as Audiobookshelf expects (album = the book)."""
    paths = []
    for number, length in enumerate(seconds, 1):
        tags = {"title": f"Chapter {number}", "album": title, "artist": author, "album_artist": author,
                "track": str(number)}  # fmt: skip
        if narrator:
            tags["composer"] = narrator
        target = folder / f"{number:02d} - {title} - Chapter {number}{suffix}"
        paths.append(make_sine_audio(target, length, tags=tags, frequency=300 + 40 * number))
    return paths


def truncate(path: Path, keep: float) -> Path:
    """Cut a file to the first ``keep`` share of its bytes (a download that stopped half-way)."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path
