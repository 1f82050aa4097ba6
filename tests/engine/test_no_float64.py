"""Issue #15: no float64 on the device in any family (Apple MPS has none; CUDA runs it slowly).

On this CPU-only machine the host and the device are one, so the check is on the code: every torch op that
makes or takes a float64 tensor must run inside `engine.models.host.host_float64()`, the sections that
work on CPU tensors by construction. Each family renders its paths (native, camera grids, rotated, painted,
CREPS lattice) under a torch function mode that refuses float64 anywhere else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch.overrides import TorchFunctionMode

from engine import load_generator
from engine.coords import camera_grid
from engine.models.host import in_host_section
from engine.types import Camera


class NoFloat64(TorchFunctionMode):
    """Raises on a float64 tensor in or out of any torch call outside a host section."""

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        if not in_host_section() and getattr(func, "__name__", "") != "__get__":  # reading .shape computes nothing
            seen = [*args, *(kwargs or {}).values(), *(out if isinstance(out, tuple | list) else (out,))]
            if any(torch.is_tensor(t) and t.dtype == torch.float64 for t in seen):
                raise AssertionError(f"float64 on the device path: {getattr(func, '__name__', func)}")
        return out


def test_the_check_catches_float64() -> None:
    with NoFloat64(), pytest.raises(AssertionError, match="float64"):
        torch.ones(3).double()


@pytest.mark.parametrize("path", ["cips/cips_skip_32.pt", "inrgan/inrgan_small.pkl", "creps/creps_small.pkl"])
def test_every_path_renders_without_device_float64(fixtures: Path, path: str) -> None:
    g = load_generator(str(fixtures / path))
    ws = g.mapping(np.random.default_rng(0).standard_normal((2, g.z_dim)).astype(np.float32))
    turned, aligned = camera_grid(Camera(rotation=20.0, zoom=0.8), 24, 20), camera_grid(Camera(zoom=1.2), 24, 20)
    a = np.clip(np.linspace(-1, 2, 24), 0, 1).astype(np.float32)[None].repeat(20, 0)  # A, a feathered edge, B
    weights = np.broadcast_to(np.stack([1 - a, a], -1), (g.num_ws, 20, 24, 2)).copy()
    with NoFloat64():
        images = [g.synthesis(ws), g.synthesis(ws, grid=turned), g.synthesis(ws, grid=aligned, weights=weights),
                  g.synthesis(ws, grid=turned, weights=weights)]
        if g.has_interactive_quality:
            images.append(g.synthesis(ws[:1], grid=turned, quality="interactive"))
    assert all(np.isfinite(im).all() and im.std() > 0 for im in images)
