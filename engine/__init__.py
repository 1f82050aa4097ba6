"""Rendering engine for coordinate-based generators (CIPS, INR-GAN, CREPS); imports no Qt.

Importing this package is cheap: torch is imported only when a generator is loaded.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

# MKL may otherwise use fewer threads than asked on a busy machine, and a product split over other threads
# can round otherwise: renders must not depend on the load (issue #19). Read when MKL first runs.
os.environ.setdefault("MKL_DYNAMIC", "FALSE")

from engine.errors import CheckpointError, RenderCancelled

if TYPE_CHECKING:
    from engine.models.base import Generator

__all__ = ["CheckpointError", "Generator", "RenderCancelled", "load_generator"]


def load_generator(path: str, device: str = "cpu", **options: Any) -> Generator:
    """Load any supported checkpoint (or ``"default"`` for the embedded generator).

    Raises `CheckpointError` with a one-line message for unreadable, unsupported or hostile files.
    """
    from engine.checkpoints import load

    return load(path, device=device, **options)


def __getattr__(name: str) -> Any:
    if name == "Generator":
        from engine.models.base import Generator

        return Generator
    raise AttributeError(name)
