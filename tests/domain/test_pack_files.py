"""Mapping a series pack's files to its volumes: folder names, file names, titles before numbers, leftovers kept."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shelfkeeper.domain.library.pack_files import MappedBy, PackVolume, map_pack_files

VOLUMES = [
    PackVolume(Decimal(1), "The Final Empire", duration_minutes=60),
    PackVolume(Decimal(2), "The Well of Ascension"),
    PackVolume(Decimal(3), "The Hero of Ages"),
]


def test_folders_name_their_volume_by_title_or_number_and_leftovers_are_listed() -> None:
    paths = [
        "Mistborn Books 1-3/Book 1 - The Final Empire/01 - Chapter 1.mp3",
        "Mistborn Books 1-3/Book 1 - The Final Empire/cover.jpg",
        "Mistborn Books 1-3/02/CD1/01.mp3",  # a bare number names the volume
        "Mistborn Books 1-3/Hero of Ages (Unabridged)/Track 07.mp3",  # the title, without its article
        "Mistborn Books 1-3/Extras/Interview.mp3",
        "Mistborn Books 1-3/info.nfo",
    ]
    mapping = map_pack_files(paths, VOLUMES)
    assert mapping.volume_files(Decimal(1)) == tuple(paths[:2])
    assert mapping.volume_files(Decimal(2)) == (paths[2],)
    assert mapping.volume_files(Decimal(3)) == (paths[3],)
    assert [u.path for u in mapping.unmatched] == [paths[4], paths[5]]
    assert "names the title 'The Final Empire'" in mapping.how[Decimal(1)]
    assert "names volume 2" in mapping.how[Decimal(2)]


def test_loose_files_are_mapped_by_their_names_and_a_track_number_is_not_a_volume() -> None:
    paths = ["Mistborn Book 2.m4b", "The Hero of Ages.m4b", "01 - Prologue.mp3"]
    mapping = map_pack_files(paths, VOLUMES)
    assert mapping.volume_files(Decimal(2)) == ("Mistborn Book 2.m4b",)
    assert mapping.volume_files(Decimal(3)) == ("The Hero of Ages.m4b",)
    assert [u.path for u in mapping.unmatched] == ["01 - Prologue.mp3"], "01 is a track there, not volume 1"


def test_a_folder_named_like_the_whole_pack_names_no_single_volume() -> None:
    mapping = map_pack_files(["Books 1-3/track01.mp3"], VOLUMES)
    assert not mapping.files and len(mapping.unmatched) == 1


def test_a_title_wins_over_a_number_that_disagrees() -> None:
    mapping = map_pack_files(["Book 3 - The Final Empire/a.mp3"], VOLUMES)
    assert mapping.volume_files(Decimal(1)) == ("Book 3 - The Final Empire/a.mp3",)


def test_durations_far_from_the_wanted_runtime_are_noted() -> None:
    paths = ["The Final Empire/a.mp3", "The Final Empire/b.mp3"]
    short = map_pack_files(paths, VOLUMES, durations={paths[0]: 600.0, paths[1]: 600.0})
    assert short.notes == ("volume 1: its files last 20 min, the wanted edition 60 min",)
    right = map_pack_files(paths, VOLUMES, durations={paths[0]: 1800.0, paths[1]: 1700.0})
    assert right.notes == ()


def test_tags_place_a_file_that_neither_its_folders_nor_its_name_place() -> None:
    paths = ["bonus.mp3", "track.mp3"]
    tags = {"bonus.mp3": ("Mistborn, Book 2", "Bonus"), "track.mp3": ("Unrelated Album",)}
    mapping = map_pack_files(paths, VOLUMES, tags=tags)
    assert mapping.volume_files(Decimal(2)) == ("bonus.mp3",)
    assert mapping.how[Decimal(2)] == "tag 'Mistborn, Book 2' names volume 2"
    assert [u.path for u in mapping.unmatched] == ["track.mp3"]


THREE_BODY = [
    PackVolume(Decimal(1), "The Three-Body Problem", duration_minutes=813),
    PackVolume(Decimal(2), "The Dark Forest", duration_minutes=1310),
    PackVolume(Decimal(3), "Death's End", duration_minutes=1740),
]


@pytest.mark.parametrize(
    ("chapters", "expected", "left"),
    [
        pytest.param(
            {"a.m4b": ["Opening Credits", "Book 2: The Dark Forest", "Chapter 1"],
             "b.m4b": ["Death's End - Chapter 1", "Death's End - Chapter 2"]},
            {Decimal(2): ("a.m4b",), Decimal(3): ("b.m4b",)}, [], id="chapters-name-the-titles",
        ),
        pytest.param(
            {"a.m4b": ["Part 1", "Part 2"]}, {}, ["a.m4b"], id="a-part-number-in-a-chapter-is-no-volume",
        ),
        pytest.param(
            {"a.m4b": ["The Dark Forest", "Death's End"]}, {}, ["a.m4b"], id="chapters-naming-two-volumes-are-left",
        ),
    ],
)  # fmt: skip
def test_chapter_titles_place_files_that_neither_names_nor_tags_place(
    chapters: dict[str, list[str]], expected: dict[Decimal, tuple[str, ...]], left: list[str]
) -> None:
    mapping = map_pack_files(sorted(chapters), THREE_BODY, chapters=chapters)
    assert dict(mapping.files) == expected
    assert [u.path for u in mapping.unmatched] == left
    assert all(mapping.matched_by[path] is MappedBy.CHAPTERS for files in expected.values() for path in files)


def test_the_chapters_step_says_why_it_placed_a_file_or_refused_it() -> None:
    paths = ["The Dark Forest/01.mp3", "a.m4b", "b.m4b"]
    chapters = {"a.m4b": ["The Dark Forest - Chapter 1"], "b.m4b": ["Book 2: The Dark Forest", "Death's End"]}
    mapping = map_pack_files(paths, THREE_BODY, chapters=chapters)
    assert mapping.matched_by == {"The Dark Forest/01.mp3": MappedBy.FOLDER}
    reasons = {u.path: u.reason for u in mapping.unmatched}
    assert reasons == {
        "a.m4b": "its chapters name volume 2, which other files of the pack already fill",
        "b.m4b": "its chapters name several volumes (2, 3)",
    }


def test_durations_place_anonymous_files_on_the_one_runtime_each_matches_and_a_decoy_stays() -> None:
    paths = ["01.mp3", "02.mp3", "03.mp3", "sample.mp3", "cover.jpg"]
    durations = {"01.mp3": 1302 * 60.0, "02.mp3": 1750 * 60.0, "03.mp3": 800 * 60.0, "sample.mp3": 300.0}
    mapping = map_pack_files(paths, THREE_BODY, durations=durations)
    assert dict(mapping.files) == {Decimal(1): ("03.mp3",), Decimal(2): ("01.mp3",), Decimal(3): ("02.mp3",)}
    assert {mapping.matched_by[p] for p in ("01.mp3", "02.mp3", "03.mp3")} == {MappedBy.DURATION}
    assert mapping.how[Decimal(2)] == (
        "'01.mp3' lasts 1302 min, the runtime of volume 2 is 1310 min and no other volume without files is that close"
    )
    reasons = {u.path: u.reason for u in mapping.unmatched}
    assert reasons["sample.mp3"] == "lasts 5 min, near no runtime of a volume without files"
    assert set(reasons) == {"sample.mp3", "cover.jpg"}
    assert mapping.notes == ()


def test_durations_place_one_folder_per_volume_with_its_other_files() -> None:
    paths = ["Pack/x/1.mp3", "Pack/x/2.mp3", "Pack/x/cover.jpg", "Pack/y/1.mp3", "Pack/z/1.mp3"]
    durations = {"Pack/x/1.mp3": 60000.0, "Pack/x/2.mp3": 19000.0, "Pack/y/1.mp3": 104000.0, "Pack/z/1.mp3": 49000.0}
    mapping = map_pack_files(paths, THREE_BODY, durations=durations)
    assert mapping.volume_files(Decimal(2)) == ("Pack/x/1.mp3", "Pack/x/2.mp3", "Pack/x/cover.jpg")
    assert mapping.volume_files(Decimal(3)) == ("Pack/y/1.mp3",)
    assert mapping.volume_files(Decimal(1)) == ("Pack/z/1.mp3",)
    assert mapping.how[Decimal(2)].startswith("'Pack/x' lasts 1317 min")


@pytest.mark.parametrize(
    ("volumes", "durations", "reason"),
    [
        pytest.param(
            [PackVolume(Decimal(1), "A", 600), PackVolume(Decimal(2), "B", 640)],
            {"01.mp3": 36000.0, "02.mp3": 38400.0},
            "lasts 600 min, as long as several volumes: volume 1 (600 min), volume 2 (640 min)",
            id="two-runtimes-within-tolerance-of-each-other",
        ),
        pytest.param(
            [PackVolume(Decimal(1), "A", 600), PackVolume(Decimal(2), "B", 900)],
            {"01.mp3": 36000.0, "02.mp3": 35000.0},
            "other files of the pack last as long as volume 1", id="two-files-match-the-same-volume",
        ),
    ],
)  # fmt: skip
def test_ambiguous_durations_are_left_unmatched_and_say_why(
    volumes: list[PackVolume], durations: dict[str, float], reason: str
) -> None:
    mapping = map_pack_files(["01.mp3", "02.mp3"], volumes, durations=durations)
    assert not mapping.files
    assert {u.path: u.reason for u in mapping.unmatched}["01.mp3"] == reason


def test_durations_are_not_used_when_a_volume_without_files_has_no_runtime() -> None:
    volumes = [*THREE_BODY[:2], PackVolume(Decimal(3), "Death's End")]
    mapping = map_pack_files(["01.mp3"], volumes, durations={"01.mp3": 813 * 60.0})
    assert not mapping.files
    assert mapping.notes == ("durations not used: no runtime is known for volume 3",)


def test_a_name_matched_volume_far_from_its_runtime_stays_a_note_and_is_not_moved() -> None:
    paths = ["The Dark Forest.m4b", "01.mp3"]
    durations = {"The Dark Forest.m4b": 813 * 60.0, "01.mp3": 1740 * 60.0}
    mapping = map_pack_files(paths, THREE_BODY, durations=durations)
    assert mapping.volume_files(Decimal(2)) == ("The Dark Forest.m4b",)
    assert mapping.matched_by["The Dark Forest.m4b"] is MappedBy.FILE_NAME
    assert mapping.volume_files(Decimal(3)) == ("01.mp3",)
    assert mapping.notes == ("volume 2: its files last 813 min, the wanted edition 1310 min",)
