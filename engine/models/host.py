"""Float64 stays on the host: Apple MPS has no float64 and CUDA runs it at a fraction of float32 speed.

Index bookkeeping that needs float64 (INR-GAN's continuous pixel positions, CREPS' lattice cells and pixel
steps, INR-GAN's Gram matrices of the mixed-style quadratic form) runs on CPU tensors inside `host_float64()`;
only float32 results go to the device. The tests run every family with float64 refused outside these
sections (tests/engine/test_no_float64.py).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_HOST_SECTION = contextvars.ContextVar("host_float64", default=False)


@contextmanager
def host_float64() -> Iterator[None]:
    """Marks a block whose float64 tensors live on the CPU (a no-op, but what the float64 test allows)."""
    token = _HOST_SECTION.set(True)
    try:
        yield
    finally:
        _HOST_SECTION.reset(token)


def in_host_section() -> bool:
    return _HOST_SECTION.get()
