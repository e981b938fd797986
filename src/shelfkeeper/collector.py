"""Python's cyclic garbage collector during a long job: what existed before it is left out of its full passes."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def older_objects_left_alone() -> Iterator[None]:
    """While the block runs, the objects that existed when it started are not walked by the collector again.

    A full pass of the collector walks every tracked object; the running app's (modules, classes, SQLAlchemy's
    tables and caches: some 110,000 objects, ~30 ms a pass) outlive any job. A 50,000-item first library sync
    runs about 20 full passes. ``gc.freeze`` moves the existing objects out of the collector's generations and
    ``gc.unfreeze`` puts them back in the oldest one when the block ends: nothing is lost. Where nothing was
    frozen before the block (the command line, tests), that is all: garbage among them is found by the next
    full pass. Where something was (a served app freezes what its start-up made, api/app.py, so that no full
    pass walks it in the middle of a request), one full pass finds the garbage among everything the block held
    frozen and what survives is frozen again: the app's own objects stay out of the requests' way after a sync.
    Nested or overlapping blocks (two jobs) are harmless: each end leaves what is alive frozen or not as it found
    the process.
    """
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        if frozen_before:
            gc.collect()
            gc.freeze()
