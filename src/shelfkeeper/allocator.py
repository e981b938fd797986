"""The C allocator of a long-running process: large blocks mapped from the system, and given back when freed."""

from __future__ import annotations

import ctypes
import sys
from functools import cache

_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
_DEFAULT_THRESHOLD = 128 * 1024  # glibc's own starting value


@cache
def give_back_large_blocks() -> bool:
    """Keep glibc from moving megabyte blocks into its heap, where they stay; True when the setting was made.

    glibc maps a block of 128 KiB or more straight from the system, and unmaps it when it is freed; but each
    time such a block is freed it raises that threshold to the block's size (up to 32 MiB). From then on a
    listing page's body and its decoded text (a megabyte or two, every page) come from the heap instead, and
    the heap, pinned by the smaller blocks that outlive them, only grows: a sync of 50,000 items kept some
    25 MiB more. Setting the threshold once turns the adjustment off. A no-op (False) on other C libraries.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter itself runs on
    except (OSError, AttributeError):  # musl and others: no mallopt, and no such threshold either
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _DEFAULT_THRESHOLD))
