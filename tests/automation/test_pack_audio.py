"""Reading a pack's audio for the mapping against real files made by ffmpeg: durations, tags and chapter titles."""

from __future__ import annotations

from pathlib import Path

import pytest

from shelfkeeper.automation.pack_audio import read_audio
from shelfkeeper.testing.audio import FFMPEG, NO_FFMPEG, make_sine_audio

pytestmark = pytest.mark.skipif(FFMPEG is None, reason=NO_FFMPEG)


def test_chapter_titles_are_read_from_an_m4b_and_an_mp3_and_a_file_without_chapters_has_none(tmp_path: Path) -> None:
    make_sine_audio(tmp_path / "a.m4b", 6.0, chapters=[("Book 2: The Dark Forest", 0.0, 3.0), ("Chapter 1", 3.0, 6.0)])
    make_sine_audio(tmp_path / "b.mp3", 4.0, chapters=[("Death's End - Chapter 1", 0.0, 4.0)])
    make_sine_audio(tmp_path / "c.mp3", 2.0, tags={"album": "Mistborn, Book 2"})
    (tmp_path / "notes.txt").write_text("not audio")
    facts = read_audio(tmp_path, ["a.m4b", "b.mp3", "c.mp3", "notes.txt"])
    assert facts.chapters == {"a.m4b": ("Book 2: The Dark Forest", "Chapter 1"), "b.mp3": ("Death's End - Chapter 1",)}
    assert facts.tags == {"c.mp3": ("Mistborn, Book 2",)}
    assert set(facts.durations) == {"a.m4b", "b.mp3", "c.mp3"}
    assert round(facts.durations["a.m4b"]) == 6
