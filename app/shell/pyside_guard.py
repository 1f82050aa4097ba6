"""A start-up workaround for PySide6 on CPython 3.11, called once by `app.bootstrap` (and the test setup).

PySide6 6.12's stable-ABI wheels hand back None (and some bools) from wrapped C++ calls without taking a
reference. That is harmless where these objects are immortal (CPython >= 3.12); on 3.11 every setEnabled /
setText / show ... drops one reference to None until the interpreter aborts with "none_dealloc" (long sessions,
large test runs). `install` gives them an immortal-like count, as 3.12 does.
"""

from __future__ import annotations

import sys

_installed = False


def install() -> None:
    """Apply the guard (idempotent; nothing to do on CPython >= 3.12)."""
    global _installed
    if _installed or sys.version_info >= (3, 12):
        return
    import ctypes

    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40
    _installed = True
