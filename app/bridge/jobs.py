"""Functions that run on the engine thread via `RenderService.submit` (no torch imported here)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.styles import base_style

if TYPE_CHECKING:
    from engine.models.base import Generator
    from engine.renderer import CancelToken
    from engine.types import StyleSpec

Job = Callable[["Generator | None", "CancelToken", Callable[[float], None]], Any]
HASH_CHUNK = 4 << 20


def file_sha256(path: str) -> Job:
    """Hash a checkpoint file (for sessions and recipes), cancellable between chunks."""

    def run(g: Generator | None, token: CancelToken, progress: Callable[[float], None]) -> str:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(HASH_CHUNK):
                token.check()
                h.update(chunk)
        return h.hexdigest()

    return run


def style_stack(style: StyleSpec) -> Job:
    """The blended style stack W+ [num_ws, w_dim] that a render of ``style`` uses (no painted masks)."""

    def run(g: Generator | None, token: CancelToken, progress: Callable[[float], None]) -> np.ndarray:
        if g is None:
            raise ValueError("no model loaded")
        return np.asarray(base_style(g, style)[1], np.float32)

    return run
