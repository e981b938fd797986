"""Reading audio files: mutagen for length, bitrate, tags and chapters; ffprobe (when installed) for the codec,
chapters, and whether the audio really lasts as long as the file's header says (a truncated download does not)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import mutagen
from mutagen.id3 import ID3
from mutagen.mp3 import MP3, BitrateMode
from mutagen.mp4 import MP4

from shelfkeeper.domain.library.audio import AudioFileFacts, AudioReport, AudioTags, Chapter, FileProblem

PROBE_TIMEOUT_SECONDS = 60.0
TAIL_SECONDS = 60.0  # the stretch before the claimed end in which ffprobe looks for the last audio packet
# The last packet may end a little before the claimed length (encoder padding, a rounded header).
END_SLACK_SECONDS = 1.0
END_TOLERANCE = 0.001

_ID3_TAGS = {"title": "TIT2", "album": "TALB", "artist": "TPE1", "album_artist": "TPE2", "composer": "TCOM"}
_MP4_TAGS = {"title": "©nam", "album": "©alb", "artist": "©ART", "album_artist": "aART", "composer": "©wrt"}
_MP4_NARRATOR = ("©nrt", "----:com.apple.iTunes:NARRATOR", "----:com.apple.iTunes:Narrator")
_VORBIS_TAGS = {"title": "title", "album": "album", "artist": "artist", "album_artist": "albumartist",
                "composer": "composer", "narrator": "narrator"}  # fmt: skip


def _text(value: Any) -> str | None:
    """A tag's first value as text (ID3 frames, MP4 lists, freeform bytes)."""
    if value is None:
        return None
    if hasattr(value, "text"):
        value = value.text
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).strip() if value is not None else ""
    return text or None


def _id3_tags(tags: Any) -> AudioTags:
    values = {name: _text(tags.get(frame)) for name, frame in _ID3_TAGS.items()}
    narrator = next((_text(frame) for frame in tags.getall("TXXX") if frame.desc.lower() == "narrator"), None)
    return AudioTags(**values, narrator=narrator)


def _mp4_tags(tags: Any) -> AudioTags:
    values = {name: _text(tags.get(key)) for name, key in _MP4_TAGS.items()}
    narrator = next((_text(tags.get(key)) for key in _MP4_NARRATOR if tags.get(key)), None)
    return AudioTags(**values, narrator=narrator)


def _other_tags(tags: Any) -> AudioTags:
    try:
        return AudioTags(**{name: _text(tags.get(key)) for name, key in _VORBIS_TAGS.items()})
    except (AttributeError, TypeError, ValueError):
        return AudioTags()


def _mutagen_chapters(found: Any) -> tuple[Chapter, ...]:
    if isinstance(found, MP4) and found.chapters:
        marks = list(found.chapters)
        ends = [c.start for c in marks[1:]] + [float(getattr(found.info, "length", 0.0))]
        return tuple(Chapter(c.title or "", c.start, end) for c, end in zip(marks, ends, strict=True))
    tags: Any = getattr(found, "tags", None)
    if isinstance(tags, ID3):
        frames: Any = tags
        chaps = sorted(frames.getall("CHAP"), key=lambda c: c.start_time)
        return tuple(
            Chapter(_text(c.sub_frames.get("TIT2")) or c.element_id, c.start_time / 1000, c.end_time / 1000)
            for c in chaps
        )
    return ()


def read_with_mutagen(path: Path, name: str) -> tuple[AudioFileFacts, bool]:
    """What mutagen reads (an unreadable file is a fact, its error, never raised), and whether the length is only an
    estimate: an MP3 without a Xing or VBRI header claims no length, mutagen guesses it from the size."""
    try:
        size = path.stat().st_size
        found: Any = mutagen.File(path)
    except (mutagen.MutagenError, OSError, ValueError, EOFError) as exc:
        size = path.stat().st_size if path.is_file() else 0
        return AudioFileFacts(name, size, problem=FileProblem.UNREADABLE, detail=f"mutagen: {exc}"), False
    if found is None or getattr(found, "info", None) is None or not getattr(found.info, "length", 0):
        unread = AudioFileFacts(name, size, problem=FileProblem.UNREADABLE, detail="mutagen: no audio stream found")
        return unread, False
    tags = found.tags
    if isinstance(tags, ID3):
        shown = _id3_tags(tags)
    elif isinstance(found, MP4) and tags is not None:
        shown = _mp4_tags(tags)
    else:
        shown = _other_tags(tags) if tags is not None else AudioTags()
    bitrate = getattr(found.info, "bitrate", 0) or 0
    codec = getattr(found.info, "codec", None) or ("mp3" if isinstance(found, MP3) else type(found).__name__.lower())
    # mutagen sets the bitrate mode only from a Xing/Info or VBRI header: without one the length is size / bitrate
    estimated = isinstance(found, MP3) and getattr(found.info, "bitrate_mode", None) == BitrateMode.UNKNOWN
    facts = AudioFileFacts(
        name=name,
        size_bytes=size,
        duration_seconds=float(found.info.length),
        bitrate_kbps=round(bitrate / 1000) or None,
        codec=str(codec),
        chapters=_mutagen_chapters(found),
        tags=shown,
        estimated=estimated,
    )
    return facts, estimated


def _ffprobe(arguments: Sequence[str]) -> tuple[int, str, str]:
    try:
        done = subprocess.run(
            ["ffprobe", "-v", "error", *arguments],
            capture_output=True, text=True, timeout=PROBE_TIMEOUT_SECONDS, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return -1, "", f"no answer within {PROBE_TIMEOUT_SECONDS:.0f} s"
    return done.returncode, done.stdout, done.stderr.strip()


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def read_with_ffprobe(path: Path, facts: AudioFileFacts, *, estimated: bool = False) -> AudioFileFacts:
    """ffprobe's codec and chapters, and the truncation check: the last audio packet against the claimed end; a
    length mutagen only ``estimated`` is measured instead."""
    code, out, err = _ffprobe(["-show_entries", "format=duration:stream=codec_name,codec_type", "-show_chapters",
                               "-of", "json", str(path)])  # fmt: skip
    if code != 0:
        return _problem(facts, FileProblem.UNREADABLE, f"ffprobe: {err.splitlines()[-1] if err else code}")
    data = json.loads(out or "{}")
    audio = [s for s in data.get("streams") or [] if s.get("codec_type") == "audio"]
    if not audio:
        return _problem(facts, FileProblem.UNREADABLE, "ffprobe: no audio stream")
    claimed = facts.duration_seconds or _number((data.get("format") or {}).get("duration")) or 0.0
    chapters = tuple(
        Chapter(str((c.get("tags") or {}).get("title") or ""), _number(c.get("start_time")) or 0.0,
                _number(c.get("end_time")) or 0.0)
        for c in data.get("chapters") or []
    )  # fmt: skip
    facts = _replace(facts, codec=str(audio[0].get("codec_name") or facts.codec), chapters=chapters or facts.chapters)
    if estimated:  # no claim to hold the audio to: its length is measured instead, packet by packet
        measured = _last_audio_end(path, 0.0)
        return _replace(facts, duration_seconds=measured, estimated=False) if measured else facts
    last = _last_audio_end(path, claimed)
    allowed = max(END_SLACK_SECONDS, END_TOLERANCE * claimed)
    if claimed and (last is None or last < claimed - allowed):
        where = f"the audio ends at {last:.1f} s" if last is not None else "no audio packet is found near the end"
        return _problem(facts, FileProblem.TRUNCATED, f"{where}; the file claims {claimed:.1f} s")
    return facts


def _last_audio_end(path: Path, claimed: float) -> float | None:
    start = max(0.0, claimed - TAIL_SECONDS)
    arguments = ["-select_streams", "a:0", "-read_intervals", f"{start:.3f}%"]
    _, out, _ = _ffprobe([*arguments, "-show_entries", "packet=pts_time,duration_time", "-of", "csv=p=0", str(path)])
    ends = []
    for line in out.splitlines():
        parts = line.split(",")
        pts, duration = _number(parts[0]), _number(parts[1]) if len(parts) > 1 else 0.0
        if pts is not None:
            ends.append(pts + (duration or 0.0))
    return max(ends) if ends else None


def _replace(facts: AudioFileFacts, **changes: Any) -> AudioFileFacts:
    return AudioFileFacts(**{**facts.__dict__, **changes})


def _problem(facts: AudioFileFacts, problem: FileProblem, detail: str) -> AudioFileFacts:
    return _replace(facts, problem=problem, detail=detail)


class LocalAudioInspector:
    """The AudioInspector port over files on this machine; ffprobe is used when it is on the PATH."""

    def __init__(self, *, use_ffprobe: bool | None = None) -> None:
        self.use_ffprobe = shutil.which("ffprobe") is not None if use_ffprobe is None else use_ffprobe

    @property
    def readers(self) -> tuple[str, ...]:
        return ("mutagen", "ffprobe") if self.use_ffprobe else ("mutagen",)

    def read(self, path: Path, name: str) -> AudioFileFacts:
        facts, estimated = read_with_mutagen(path, name)
        if self.use_ffprobe and facts.problem is None:
            facts = read_with_ffprobe(path, facts, estimated=estimated)
        return facts

    async def inspect(self, root: str, files: Sequence[str]) -> AudioReport:
        base = Path(root)
        found = await asyncio.to_thread(lambda: tuple(self.read(base / name, name) for name in files))
        return AudioReport(found, self.readers)

    async def inspect_file(self, path: str) -> AudioFileFacts:
        return await asyncio.to_thread(self.read, Path(path), Path(path).name)
