"""The AudioMerger port by Debian's ffmpeg: MP3 files joined and encoded as one AAC M4B with chapters; the book's
tags and cover then written by mutagen (freeform iTunes atoms carry the narrator and the series)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import mutagen.mp4

from shelfkeeper.domain.library.m4b import MergePlan
from shelfkeeper.ports import MergeFailed

_MP4: Any = mutagen.mp4  # mutagen's classes are untyped
MERGE_TIMEOUT_SECONDS = 4 * 3600.0  # a long book is re-encoded in minutes; this only stops a hung ffmpeg


def _meta_escape(text: str) -> str:
    """ffmetadata's escaping: ``=``, ``;``, ``#``, ``\\`` and newlines get a backslash."""
    out = text.replace("\\", "\\\\")
    for ch in "=;#\n":
        out = out.replace(ch, "\\" + ch)
    return out


def ffmetadata(plan: MergePlan) -> str:
    """The chapters (and title) as an ffmetadata file, in milliseconds."""
    lines = [";FFMETADATA1", f"title={_meta_escape(plan.tags.title)}"]
    for chapter in plan.chapters:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={round(chapter.start * 1000)}",
                  f"END={round(chapter.end * 1000)}", f"title={_meta_escape(chapter.title)}"]  # fmt: skip
    return "\n".join(lines) + "\n"


def concat_list(root: Path, plan: MergePlan) -> str:
    """The concat demuxer's list: one ``file '…'`` line per source, quotes escaped."""
    quoted = (str(root / name).replace("'", "'\\''") for name in plan.sources)
    return "".join(f"file '{path}'\n" for path in quoted)


def write_tags(target: Path, plan: MergePlan, cover: Path | None) -> None:
    """The book's tags as Audiobookshelf reads them: title, album, artist (author), composer (narrator), series."""
    tags = plan.tags
    found = _MP4.MP4(target)
    if found.tags is None:
        found.add_tags()
    assert found.tags is not None
    authors = ", ".join(tags.authors)
    found.tags["©nam"] = [tags.title]
    found.tags["©alb"] = [tags.title]
    found.tags["©gen"] = ["Audiobook"]
    if authors:
        found.tags["©ART"] = [authors]
        found.tags["aART"] = [authors]
    if tags.narrator:
        found.tags["©wrt"] = [tags.narrator]
        found.tags["----:com.apple.iTunes:NARRATOR"] = [_MP4.MP4FreeForm(tags.narrator.encode())]
    if tags.year:
        found.tags["©day"] = [str(tags.year)]
    if tags.series:
        found.tags["----:com.apple.iTunes:SERIES"] = [_MP4.MP4FreeForm(tags.series.encode())]
        grouping = tags.series
        if tags.position:
            found.tags["----:com.apple.iTunes:SERIES-PART"] = [_MP4.MP4FreeForm(tags.position.encode())]
            grouping = f"{tags.series} #{tags.position}"
        found.tags["©grp"] = [grouping]
    if cover is not None and cover.is_file():
        kind = _MP4.MP4Cover.FORMAT_PNG if cover.suffix.lower() == ".png" else _MP4.MP4Cover.FORMAT_JPEG
        found.tags["covr"] = [_MP4.MP4Cover(cover.read_bytes(), imageformat=kind)]
    found.save()


class FfmpegMerger:
    """Merges with the ``ffmpeg`` on the PATH (Debian's package); says so when there is none."""

    def __init__(self, executable: str = "ffmpeg") -> None:
        self.executable = shutil.which(executable)

    def unavailable(self) -> str | None:
        return None if self.executable else "ffmpeg is not installed (Debian's ffmpeg package)"

    async def merge(self, root: str, plan: MergePlan, target: str) -> None:
        await asyncio.to_thread(self._merge, Path(root), plan, Path(target))

    def _merge(self, root: Path, plan: MergePlan, target: Path) -> None:
        if not self.executable:
            raise MergeFailed(self.unavailable() or "ffmpeg is not installed")
        with tempfile.TemporaryDirectory(prefix="shelfkeeper-merge-") as work:
            listing, metadata = Path(work) / "files.txt", Path(work) / "chapters.txt"
            listing.write_text(concat_list(root, plan), encoding="utf-8")
            metadata.write_text(ffmetadata(plan), encoding="utf-8")
            command = [
                self.executable, "-nostdin", "-v", "error", "-y",
                "-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(metadata),
                "-map", "0:a:0", "-map_metadata", "1", "-map_chapters", "1",
                "-c:a", "aac", "-b:a", f"{plan.bitrate_kbps}k", "-movflags", "+faststart", "-f", "ipod", str(target),
            ]  # fmt: skip
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=MERGE_TIMEOUT_SECONDS,
                                      check=False)  # fmt: skip
            except subprocess.TimeoutExpired as exc:
                raise MergeFailed(f"ffmpeg did not finish within {MERGE_TIMEOUT_SECONDS:.0f} s") from exc
        said = done.stderr.strip().splitlines()
        # The concat demuxer only logs a source it cannot open after the first, and goes on without it.
        unopened = [line for line in said if "Impossible to open" in line]
        if done.returncode != 0 or unopened or not target.is_file():
            raise MergeFailed(f"ffmpeg failed: {(unopened or said or [f'exit status {done.returncode}'])[-1]}")
        try:
            write_tags(target, plan, root / plan.cover if plan.cover else None)
        except Exception as exc:  # mutagen raises many kinds; any of them means the tags are not written
            raise MergeFailed(f"the merged file's tags could not be written: {exc}") from exc
