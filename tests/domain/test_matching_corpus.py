"""The matching benchmark's hard target on a smaller generated sample: CI fails on a single wrong write.

The corpus is bench/matching_metadata.py's (seeded, independent of the other test data); the decisions are the
correction job's own functions. The full run and its figures are in docs/matching.md.
"""

from __future__ import annotations

import pytest

from bench.matching_metadata import MESSES, TRAPS, generate, run

SAMPLE = 280  # every trap class and every messy class, 20 items each


@pytest.fixture(scope="module", name="result")
def result_fixture() -> dict[str, object]:
    return run(SAMPLE, seed=18)


def test_the_sample_covers_every_class_with_three_to_six_candidates() -> None:
    cases = generate(SAMPLE, seed=18)
    assert {case.trap for case in cases} == set(TRAPS) and {case.mess for case in cases} == set(MESSES)
    assert all(3 <= len(case.candidates) <= 6 for case in cases)
    own_not_first = [c for c in cases if c.fixable and c.candidates[0].source_id != c.truth.asin]
    assert len(own_not_first) > SAMPLE // 3  # the right record is often not the first one


def test_no_wrong_write_and_no_edition_field_from_another_edition(result: dict[str, object]) -> None:
    totals = result["totals"]
    assert isinstance(totals, dict)
    examples = {
        name: row["examples"]
        for key in ("by_trap", "by_mess")
        for name, row in result[key].items()  # type: ignore[attr-defined]
        if row["examples"]
    }
    assert totals["wrong_writes"] == 0, examples
    assert totals["wrong_edition_proposals"] == 0, examples


def test_fixable_items_are_fixed(result: dict[str, object]) -> None:
    share = result["fixed_share"]
    assert isinstance(share, float) and share >= 0.95


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_other_seeds_write_nothing_wrong(seed: int) -> None:
    totals = run(140, seed=seed)["totals"]
    assert totals["wrong_writes"] == 0 and totals["wrong_edition_proposals"] == 0
