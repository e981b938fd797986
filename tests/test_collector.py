"""The collector's objects frozen for a job's length, and put back after it, even when the job fails."""

from __future__ import annotations

import gc

import pytest

from shelfkeeper.collector import older_objects_left_alone


def test_objects_are_frozen_during_the_block_and_put_back_after_it() -> None:
    assert gc.get_freeze_count() == 0
    with older_objects_left_alone():
        assert gc.get_freeze_count() > 0
        made_during = [[]]  # a new container is tracked as usual
        assert gc.is_tracked(made_during)
    assert gc.get_freeze_count() == 0


def test_a_failing_block_puts_the_objects_back() -> None:
    with pytest.raises(RuntimeError), older_objects_left_alone():
        raise RuntimeError("the job failed")
    assert gc.get_freeze_count() == 0
