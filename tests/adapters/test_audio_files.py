"""The audio adapters against real files made by ffmpeg: reading (mutagen, ffprobe) and merging into one M4B."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

import mutagen.mp4
import pytest

from shelfkeeper.adapters.audio_files import LocalAudioInspector
from shelfkeeper.adapters.ffmpeg_merge import FfmpegMerger, concat_list, ffmetadata
from shelfkeeper.domain.library.audio import AudioFileFacts, Chapter, FileProblem
from shelfkeeper.domain.library.m4b import BookTags, MergePlan, merge_problem, plan_merge
from shelfkeeper.ports import MergeFailed
from shelfkeeper.testing.audio import FFMPEG, NO_FFMPEG, make_sine_audio, make_sine_book, truncate

pytestmark = pytest.mark.skipif(FFMPEG is None, reason=NO_FFMPEG)

CHAPTERS = [("Opening", 0.0, 4.0), ("The Middle", 4.0, 9.0), ("The End", 9.0, 12.0)]


def read(path: Path, *, use_ffprobe: bool = True) -> AudioFileFacts:
    return asyncio.run(LocalAudioInspector(use_ffprobe=use_ffprobe).inspect_file(str(path)))


def test_an_mp3_is_read_with_its_length_bitrate_codec_and_tags(tmp_path: Path) -> None:
    tags = {"title": "Chapter 1", "album": "Dune", "artist": "Frank Herbert", "album_artist": "Frank Herbert",
            "composer": "Scott Brick"}  # fmt: skip
    path = make_sine_audio(tmp_path / "01.mp3", 6.0, tags=tags)

    facts = read(path)

    assert facts.problem is None, facts.detail
    assert facts.duration_seconds == pytest.approx(6.0, abs=0.1)
    assert (facts.codec, facts.bitrate_kbps, facts.size_bytes) == ("mp3", 32, path.stat().st_size)
    assert facts.tags.to_json() == tags
    assert facts.chapters == ()


def test_an_m4b_is_read_with_its_chapters(tmp_path: Path) -> None:
    path = make_sine_audio(tmp_path / "book.m4b", 12.0, tags={"album": "Dune", "artist": "Frank Herbert"},
                           chapters=CHAPTERS)  # fmt: skip

    for use_ffprobe in (True, False):  # mutagen alone reads the Nero chapters too
        facts = read(path, use_ffprobe=use_ffprobe)
        assert facts.problem is None, facts.detail
        assert facts.codec in ("aac", "mp4a.40.2")
        assert facts.duration_seconds == pytest.approx(12.0, abs=0.1)
        assert [c.title for c in facts.chapters] == ["Opening", "The Middle", "The End"]
        assert [round(c.start) for c in facts.chapters] == [0, 4, 9]
        assert (facts.tags.album, facts.tags.artist) == ("Dune", "Frank Herbert")


def test_a_truncated_mp3_is_found_by_its_last_audio_against_its_header(tmp_path: Path) -> None:
    path = truncate(make_sine_audio(tmp_path / "cut.mp3", 30.0), 0.5)

    facts = read(path)

    assert facts.problem is FileProblem.TRUNCATED
    assert re.fullmatch(r"the audio ends at 1\d\.\d s; the file claims 30\.\d s", facts.detail or ""), facts.detail
    assert facts.duration_seconds == pytest.approx(30.0, abs=0.1), "the header still claims the whole length"
    assert read(path, use_ffprobe=False).problem is None, "mutagen alone believes the header"


def test_a_truncated_m4b_is_truncated_with_its_index_first_and_unreadable_without_it(tmp_path: Path) -> None:
    index_first = make_sine_audio(tmp_path / "first.m4b", 30.0, chapters=[("All", 0.0, 30.0)])
    index_last = make_sine_audio(tmp_path / "last.m4b", 30.0, index_first=False)
    assert index_first.read_bytes().find(b"moov") < index_first.stat().st_size // 2
    assert index_last.read_bytes().find(b"moov") > index_last.stat().st_size // 2

    cut = read(truncate(index_first, 0.5))
    assert cut.problem is FileProblem.TRUNCATED, cut
    assert cut.detail is not None and cut.detail.endswith("the file claims 30.0 s")
    lost = read(truncate(index_last, 0.5))
    assert lost.problem is FileProblem.UNREADABLE and lost.detail and lost.detail.startswith("mutagen"), lost


def test_noise_that_is_no_audio_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "not audio.mp3"
    path.write_bytes(b"this is a text file, not an mp3" * 20)
    facts = read(path)
    assert facts.problem is FileProblem.UNREADABLE and facts.detail and facts.detail.startswith("mutagen")


def test_a_report_keeps_the_play_order_and_sums_the_lengths(tmp_path: Path) -> None:
    make_sine_book(tmp_path / "book", [3.0, 4.0, 5.0], title="Dune", author="Frank Herbert", narrator="Scott Brick")
    names = sorted(p.name for p in (tmp_path / "book").iterdir())

    report = asyncio.run(LocalAudioInspector().inspect(str(tmp_path / "book"), names))

    assert [f.name for f in report.files] == names
    assert report.total_seconds == pytest.approx(12.0, abs=0.3)
    assert (report.codecs, report.chapter_count, report.readers) == (("mp3",), 3, ("mutagen", "ffprobe"))
    assert {f.tags.composer for f in report.files} == {"Scott Brick"}


# ---- the merge -------------------------------------------------------------------------------------------------


def test_an_mp3_book_is_merged_into_one_m4b_with_chapters_tags_and_cover(tmp_path: Path) -> None:
    book = tmp_path / "Dune's book"  # a quote in the path: the concat list escapes it
    make_sine_book(book, [3.0, 4.0, 5.0], title="Dune", author="Frank Herbert", narrator="Scott Brick")
    (book / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0jpeg-ish")
    names = sorted(p.name for p in book.glob("*.mp3"))
    inspector = LocalAudioInspector()
    report = asyncio.run(inspector.inspect(str(book), names))
    tags = BookTags("Dune", ("Frank Herbert",), "Scott Brick", "Dune Chronicles", "1", 1965)
    plan = plan_merge(report, tags, "cover.jpg")
    target = tmp_path / "library" / plan.target_name
    target.parent.mkdir()
    before = {p.name: p.read_bytes() for p in book.iterdir()}

    asyncio.run(FfmpegMerger().merge(str(book), plan, str(target)))

    merged = asyncio.run(inspector.inspect_file(str(target)))
    assert merged.problem is None, merged.detail
    assert merge_problem(plan.seconds, merged, len(plan.chapters)) is None
    assert merged.duration_seconds == pytest.approx(12.0, abs=0.5)
    assert [c.title for c in merged.chapters] == ["Chapter 1", "Chapter 2", "Chapter 3"]
    assert [round(c.start) for c in merged.chapters] == [0, 3, 7]
    assert merged.codec == "aac"
    found = mutagen.mp4.MP4(target)
    assert found.tags is not None
    assert (found.tags["©nam"], found.tags["©ART"], found.tags["©wrt"], found.tags["©day"]) == (
        ["Dune"], ["Frank Herbert"], ["Scott Brick"], ["1965"])  # fmt: skip
    assert found.tags["----:com.apple.iTunes:SERIES"][0] == b"Dune Chronicles"
    assert found.tags["©grp"] == ["Dune Chronicles #1"]
    assert bytes(found.tags["covr"][0]) == b"\xff\xd8\xff\xe0jpeg-ish"
    assert {p.name: p.read_bytes() for p in book.iterdir()} == before, "the download is never changed"


def test_a_merge_that_comes_out_short_is_told_by_its_length_and_a_missing_source_fails(tmp_path: Path) -> None:
    book = tmp_path / "book"
    make_sine_book(book, [3.0, 3.0], title="Dune", author="Frank Herbert")
    report = asyncio.run(LocalAudioInspector().inspect(str(book), sorted(p.name for p in book.iterdir())))
    plan = plan_merge(report, BookTags("Dune"), None)
    truncate(book / plan.sources[1], 0.3)  # cut after it was read: ffmpeg merges what is there

    asyncio.run(FfmpegMerger().merge(str(book), plan, str(tmp_path / "short.m4b")))
    merged = asyncio.run(LocalAudioInspector().inspect_file(str(tmp_path / "short.m4b")))
    assert re.fullmatch(
        r"the merged file lasts 3\.\d s, the sources 6\.\d s \(more than 2\.0 s apart\)",
        merge_problem(plan.seconds, merged, len(plan.chapters)) or "",
    )

    (book / plan.sources[1]).unlink()
    with pytest.raises(MergeFailed, match="ffmpeg failed"):
        asyncio.run(FfmpegMerger().merge(str(book), plan, str(tmp_path / "out.m4b")))


def test_without_ffmpeg_the_merger_says_so(tmp_path: Path) -> None:
    merger = FfmpegMerger(executable="ffmpeg-that-is-not-installed")
    assert merger.unavailable() == "ffmpeg is not installed (Debian's ffmpeg package)"
    with pytest.raises(MergeFailed, match="not installed"):
        plan = MergePlan(sources=("a.mp3",), target_name="x.m4b", chapters=(), tags=BookTags("X"), bitrate_kbps=64)
        asyncio.run(merger.merge(str(tmp_path), plan, str(tmp_path / "x.m4b")))


def test_the_chapter_file_and_the_list_escape_what_ffmpeg_would_misread() -> None:
    plan = MergePlan(sources=("it's.mp3",), target_name="x.m4b", chapters=(Chapter("a=b;c#d", 0.0, 1.5),),
                     tags=BookTags("T\\itle"), bitrate_kbps=64)  # fmt: skip
    assert ffmetadata(plan).splitlines() == [";FFMETADATA1", "title=T\\\\itle", "[CHAPTER]", "TIMEBASE=1/1000",
                                             "START=0", "END=1500", "title=a\\=b\\;c\\#d"]  # fmt: skip
    assert concat_list(Path("/d"), plan) == "file '/d/it'\\''s.mp3'\n"


def test_an_mp3_without_a_length_header_is_measured_by_ffprobe_and_marked_a_guess_without_it(tmp_path: Path) -> None:
    path = tmp_path / "vbr.mp3"  # variable bitrate, no Xing header: mutagen can only guess from the first frame
    subprocess.run(
        [str(FFMPEG), "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=30",
         "-f", "lavfi", "-i", "anoisesrc=d=30:a=0.3", "-filter_complex", "[0][1]amix=inputs=2,volume=2",
         "-c:a", "libmp3lame", "-q:a", "6", "-write_xing", "0", str(path)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip

    guessed = read(path, use_ffprobe=False)
    assert guessed.estimated and guessed.duration_seconds is not None
    assert abs(guessed.duration_seconds - 30.0) > 3.0, "the guess is far off: that is why it is never trusted"
    measured = read(path)
    assert measured.problem is None and not measured.estimated
    assert measured.duration_seconds == pytest.approx(30.0, abs=0.2)
