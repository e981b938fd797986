"""The release benchmark's hard target on a smaller generated sample: one wrong pick fails CI."""

from __future__ import annotations

from bench.matching_releases import TARGET_ANSWERED, corpus, run


def test_no_wrong_pick_and_right_releases_found_on_a_generated_sample() -> None:
    figures = run(sample=160, seed=1818)
    assert figures["wrong"] == []  # each entry names the wanted book, the picked release and its trap class
    assert figures["books_with_right_release"] > 100
    assert figures["answered_with_right_share"] >= TARGET_ANSWERED
    assert "| study_guide |" in figures["markdown"] and "Wrong picks: 0" in figures["markdown"]


def test_the_corpus_is_deterministic_and_covers_every_trap_class() -> None:
    first, second = corpus(60, seed=7), corpus(60, seed=7)
    assert [[item.release.title for item in case.releases] for case in first] == [
        [item.release.title for item in case.releases] for case in second
    ]
    kinds = {item.kind for case in corpus(300, seed=7) for item in case.releases}
    traps = {"same_title_other_author", "sequel", "first_volume", "omnibus_box_set", "abridged", "translation",
             "dramatized", "graphic_novel", "study_guide", "other_narrator", "regional_edition", "deluxe_edition",
             "longer_title", "ebook", "narrator_group", "subtitle", "mam", "scene", "known_subtitle",
             "other_subtitle", "uploader_tag"}  # fmt: skip
    assert traps <= kinds
