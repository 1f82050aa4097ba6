"""Process-level settings for CPU rendering (called once by the entry point; safe to skip or repeat)."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc <malloc.h>
_KEEP_BELOW = 1 << 30  # bytes: allocations below this come from the heap (tensors up to 1 GiB)
_TRIM_ABOVE = 2**31 - 1  # bytes of free heap top before it is returned to the OS (mallopt takes an int)
_done: bool | None = None


def tune_allocator() -> bool:
    """Keep freed tensor memory in the process (glibc only; elsewhere a no-op returning False).

    By default glibc unmaps every freed block above a few MB and trims the heap, so each new layer output
    is page-faulted in again: ~130k faults and 5 % system time per CIPS 256² frame, and 10-20 % of an
    INR-GAN frame (measured; bench/bench_all.py). Freed memory is now reused; the process keeps its peak
    (which the tiled renderer bounds) instead of returning it between frames.
    """
    global _done
    if _done is not None:
        return _done
    _done = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            ok = libc.mallopt(_M_MMAP_THRESHOLD, _KEEP_BELOW) == 1
            _done = ok and libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_ABOVE) == 1
        except (OSError, AttributeError):  # not glibc (musl has no mallopt)
            _done = False
    return _done
