"""Mapping a series pack's files to its volumes: folder names, file names, titles before numbers, leftovers kept."""

from __future__ import annotations

from decimal import Decimal

from shelfkeeper.domain.library.pack_files import PackVolume, map_pack_files

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
