"""The collector's objects frozen for a job's length, and after it left as the job found them (frozen or not),
with the garbage among them collected, even when the job fails."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from shelfkeeper.collector import older_objects_left_alone


class _Node:
    def __init__(self) -> None:
        self.other: object = self


@pytest.fixture(autouse=True)
def _nothing_frozen() -> Iterator[None]:
    """Every test starts with nothing frozen (an app started earlier in this worker froze its start-up) and ends
    the same way."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def _cycle_made_before() -> weakref.ref[_Node]:
    """A reference cycle that becomes garbage: only a full pass of the collector frees it."""
    node = _Node()
    return weakref.ref(node)


def test_objects_are_frozen_during_the_block_and_put_back_after_it() -> None:
    with older_objects_left_alone():
        assert gc.get_freeze_count() > 0
        made_during = [[]]  # a new container is tracked as usual
        assert _walked(made_during)
    assert gc.get_freeze_count() == 0


def test_a_failing_block_puts_the_objects_back() -> None:
    with pytest.raises(RuntimeError), older_objects_left_alone():
        raise RuntimeError("the job failed")
    assert gc.get_freeze_count() == 0


def test_garbage_among_the_older_objects_is_not_walked_during_the_block_and_is_found_after_it() -> None:
    gone = _cycle_made_before()
    with older_objects_left_alone():
        gc.collect()
        assert gone() is not None  # frozen: a full pass does not walk it
    gc.collect()
    assert gone() is None


@pytest.mark.parametrize("fails", [False, True])
def test_an_app_that_froze_its_start_up_finds_it_frozen_again_with_its_garbage_collected(fails: bool) -> None:
    gone = _cycle_made_before()  # garbage among the app's objects, frozen with them
    kept = _Node()  # alive: frozen with the app's start-up, as api/app.py does
    assert _walked(kept)
    gc.freeze()
    assert not _walked(kept)
    with pytest.raises(RuntimeError) if fails else _no_error(), older_objects_left_alone():
        if fails:
            raise RuntimeError("the job failed")
    assert gone() is None  # the one full pass at the block's end found it
    assert kept.other is kept
    assert gc.get_freeze_count() > 0
    assert not _walked(kept)  # the app's objects are out of the collector's reach again


def _walked(target: object) -> bool:
    """Whether the collector's generations hold ``target`` (``gc.get_objects`` lists them, not the frozen)."""
    return any(found is target for found in gc.get_objects())


class _no_error:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
