"""Qt views: widgets emit intents and show values; they import no torch and no engine runtime."""

import sys

if sys.version_info < (3, 12):
    import ctypes

    # PySide6 6.12's stable-ABI wheels hand back None (and some bools) from wrapped C++ calls without
    # taking a reference. That is harmless where these objects are immortal (CPython >= 3.12); on 3.11 every
    # setEnabled / setText / show ... drops one reference to None until the interpreter aborts with
    # "none_dealloc" (long sessions, large test runs). Give them an immortal-like count, as 3.12 does.
    for _obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(_obj)).value += 1 << 40
