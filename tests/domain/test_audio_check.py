"""The audio check before an import, as a table: what the files hold against the wanted edition."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from shelfkeeper.domain.library.audio import AudioFileFacts, AudioReport, AudioTags, Chapter, FileProblem
from shelfkeeper.domain.library.audio_check import AudioReasonCode as Code
from shelfkeeper.domain.library.audio_check import AudioThresholds, check_audio
from shelfkeeper.domain.library.m4b import BookTags, merge_problem, merge_refusal, plan_merge
from shelfkeeper.domain.releases.verification import WantedEdition

WAY_OF_KINGS = WantedEdition(
    title="The Way of Kings",
    authors=("Brandon Sanderson",),
    series="The Stormlight Archive",
    position="1",
    narrator="Michael Kramer, Kate Reading",
    duration_minutes=45 * 60 + 30,
)
BOOK_TAGS = AudioTags(album="The Way of Kings", artist="Brandon Sanderson", composer="Michael Kramer, Kate Reading")


def files(hours: float, tags: AudioTags = BOOK_TAGS, n: int = 4, **extra: object) -> tuple[AudioFileFacts, ...]:
    each = hours * 3600 / n
    return tuple(
        AudioFileFacts(
            f"{i:02d}.mp3", 1000, each, 64, "mp3", tags=AudioTags(**{**tags.__dict__, "title": f"Track {i}"})
        )
        for i in range(1, n + 1)
    )


@dataclass(frozen=True)
class Case:
    name: str
    report: tuple[AudioFileFacts, ...]
    accepted: bool
    codes: set[Code]  # codes that must be among the reasons
    wanted: WantedEdition = WAY_OF_KINGS
    limits: AudioThresholds = field(default_factory=AudioThresholds)


BROKEN = AudioFileFacts("03.mp3", 500, None, problem=FileProblem.UNREADABLE, detail="mutagen: can't sync to MPEG frame")
CUT = AudioFileFacts("04.m4b", 500, 3600.0, 64, "aac", tags=BOOK_TAGS, problem=FileProblem.TRUNCATED,
                     detail="the audio ends at 1800.0 s; the file claims 3600.0 s")  # fmt: skip

# fmt: off
CASES = [
    Case(
        "the whole book", files(45.5), True, {Code.RUNTIME_OK, Code.TITLE_MATCH, Code.AUTHOR_MATCH, Code.NARRATOR_MATCH}
    ),
    Case("a few minutes short is the same recording", files(44.0), True, {Code.RUNTIME_OK}),
    Case("an abridged cut passed off as unabridged", files(12.0), False, {Code.RUNTIME_SHORT}),
    Case(
        "an abridged cut when abridged is allowed",
        files(12.0),
        True,
        {Code.ABRIDGED_ALLOWED},
        wanted=WantedEdition(**{**WAY_OF_KINGS.__dict__, "abridged_ok": True}),
    ),
    Case(
        "a lower minimum lets 70% through",
        files(32.0),
        True,
        {Code.RUNTIME_OK},
        limits=AudioThresholds(min_runtime_ratio=0.6),
    ),
    Case(
        "no runtime from the providers: not checked",
        files(12.0),
        True,
        {Code.RUNTIME_UNKNOWN},
        wanted=WantedEdition(**{**WAY_OF_KINGS.__dict__, "duration_minutes": None}),
    ),
    Case(
        "the album names another book",
        files(45.5, AudioTags(album="Words of Radiance", artist="Brandon Sanderson")),
        False,
        {Code.TITLE_MISMATCH},
    ),
    Case(
        "the album carries the series and the number",
        files(45.5, AudioTags(album="The Way of Kings: The Stormlight Archive, Book 1", artist="Sanderson, Brandon")),
        True,
        {Code.TITLE_MATCH, Code.AUTHOR_MATCH},
    ),
    Case(
        "the artist names another author",
        files(45.5, AudioTags(album="The Way of Kings", artist="Stephen King")),
        False,
        {Code.AUTHOR_MISMATCH},
    ),
    Case(
        "the narrator in the artist tag is not another author",
        files(45.5, AudioTags(album="The Way of Kings", artist="Michael Kramer", composer="Michael Kramer")),
        True,
        {Code.NARRATOR_MATCH},
    ),
    Case(
        "another narrator than the one wanted",
        files(45.5, AudioTags(album="The Way of Kings", artist="Brandon Sanderson", composer="Stephen Fry")),
        False,
        {Code.NARRATOR_MISMATCH},
    ),
    Case(
        "an explicit narrator tag wins over the composer",
        files(45.5, AudioTags(album="The Way of Kings", composer="Someone Else", narrator="Kate Reading")),
        True,
        {Code.NARRATOR_MATCH},
    ),
    Case(
        "no narrator tag: the narrator is not checked",
        files(45.5, AudioTags(album="The Way of Kings")),
        True,
        {Code.TAGS_MISSING},
    ),
    Case(
        "placeholder tags name nothing",
        files(45.5, AudioTags(album="Audiobook", artist="Unknown Artist")),
        True,
        {Code.TAGS_MISSING},
    ),
    Case(
        "the narrator check can be turned off",
        files(45.5, AudioTags(album="The Way of Kings", composer="Stephen Fry")),
        True,
        {Code.RUNTIME_OK},
        limits=AudioThresholds(check_narrator=False),
    ),
    Case("an unknown name with no narrator known anywhere may be the narrator",
         files(45.5, AudioTags(album="The Way of Kings", artist="Michael Kramer")), True, {Code.AUTHOR_UNCONFIRMED},
         wanted=WantedEdition(**{**WAY_OF_KINGS.__dict__, "narrator": None})),
    Case("a file that cannot be read", (*files(45.5, n=2), BROKEN), False, {Code.UNREADABLE}),
    Case("a truncated file", (*files(44.5, n=2), CUT), False, {Code.TRUNCATED}),
]
# fmt: on


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_audio_check(case: Case) -> None:
    verdict = check_audio(AudioReport(case.report), case.wanted, case.limits)

    assert verdict.accepted is case.accepted, [r.text for r in verdict.reasons]
    assert case.codes <= {reason.code for reason in verdict.reasons}
    if not case.accepted:
        assert verdict.rejections and verdict.text.startswith("audio check: ")
        assert all(r.text in verdict.text for r in verdict.rejections)


def test_a_short_runtime_refusal_carries_its_numbers() -> None:
    verdict = check_audio(AudioReport(files(9.1)), WAY_OF_KINGS)

    (short,) = verdict.rejections
    assert short.code is Code.RUNTIME_SHORT
    assert short.evidence == {"audio_seconds": 32760.0, "wanted_seconds": 163800.0, "ratio": 0.2, "min_ratio": 0.8}
    assert "9 h 06 min of audio for a 45 h 30 min edition (20%)" in verdict.text
    shown = verdict.to_json()
    assert (shown["accepted"], shown["total_seconds"], shown["wanted_minutes"], shown["files"]) == (
        False, 32760.0, 2730, 4)  # fmt: skip
    assert shown["reasons"][0]["code"] == "runtime_short" and shown["reasons"][0]["rejects"] is True


def test_missing_information_never_refuses_a_book() -> None:
    bare = tuple(AudioFileFacts(f"{i}.mp3", 10, None) for i in range(3))
    verdict = check_audio(AudioReport(bare), WantedEdition(title="Dune"))
    assert verdict.accepted
    assert {r.code for r in verdict.reasons} == {Code.RUNTIME_UNKNOWN, Code.TAGS_MISSING}
    guessed = tuple(AudioFileFacts(f"{i}.mp3", 10, 60.0, estimated=True) for i in range(3))
    estimate = check_audio(AudioReport(guessed), WAY_OF_KINGS)
    assert estimate.accepted and Code.RUNTIME_ESTIMATED in {r.code for r in estimate.reasons}
    unread = check_audio(AudioReport(bare), WAY_OF_KINGS)
    assert unread.accepted and Code.NO_AUDIO_READ in {r.code for r in unread.reasons}


# ---- the M4B merge plan ---------------------------------------------------------------------------------------


def test_a_multi_file_mp3_book_is_merged_one_chapter_per_file() -> None:
    report = AudioReport(files(1.0, n=3))
    assert merge_refusal(report) is None
    plan = plan_merge(report, BookTags("The Way of Kings", ("Brandon Sanderson",)), "cover.jpg")

    assert plan.target_name == "The Way of Kings.m4b"
    assert [(c.title, c.start, c.end) for c in plan.chapters] == [
        ("Track 1", 0.0, 1200.0), ("Track 2", 1200.0, 2400.0), ("Track 3", 2400.0, 3600.0)]  # fmt: skip
    assert (plan.seconds, plan.bitrate_kbps, plan.cover) == (3600.0, 64, "cover.jpg")


def test_the_files_own_chapters_are_kept_and_moved_to_where_each_file_starts() -> None:
    own = (Chapter("Prologue", 0.0, 100.0), Chapter("One", 100.0, 600.0))
    first = AudioFileFacts("a.mp3", 1, 600.0, 64, "mp3", chapters=own)
    second = AudioFileFacts("b.mp3", 1, 300.0, 64, "mp3")
    plan = plan_merge(AudioReport((first, second)), BookTags("Dune"), None)
    assert [(c.title, c.start, c.end) for c in plan.chapters] == [
        ("Prologue", 0.0, 100.0), ("One", 100.0, 600.0), ("b", 600.0, 900.0)]  # fmt: skip


@pytest.mark.parametrize(
    ("report", "why"),
    [
        (AudioReport(files(1.0, n=1)), "a single file: nothing to merge"),
        (AudioReport((*files(1.0, n=2), AudioFileFacts("c.m4b", 1, 10.0))), "not every file is an MP3"),
        (AudioReport((*files(1.0, n=2), AudioFileFacts("c.mp3", 1, None))), "a file's length is unknown"),
        (AudioReport((*files(1.0, n=2), BROKEN)), "a file is unreadable or truncated"),
    ],
)
def test_what_is_not_merged(report: AudioReport, why: str) -> None:
    assert merge_refusal(report) == why


def test_a_merge_whose_length_differs_from_the_sources_is_discarded() -> None:
    whole = AudioFileFacts("m.m4b", 1, 3600.4, chapters=(Chapter("a", 0, 1),) * 3)
    assert merge_problem(3600.0, whole, 3) is None
    short = AudioFileFacts("m.m4b", 1, 3000.0)
    assert "lasts 3000.0 s, the sources 3600.0 s" in (merge_problem(3600.0, short, 3) or "")
    lost = AudioFileFacts("m.m4b", 1, 3600.0, chapters=(Chapter("a", 0, 1),))
    assert merge_problem(3600.0, lost, 3) == "the merged file has 1 chapters, 3 were written"
    broken = AudioFileFacts("m.m4b", 1, None, problem=FileProblem.UNREADABLE, detail="mutagen: not a MP4 file")
    assert merge_problem(3600.0, broken, 3) == "the merged file cannot be read (mutagen: not a MP4 file)"
