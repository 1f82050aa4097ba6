"""A render that runs out of memory is retried in smaller row bands, with the same pixels."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine import load_generator
from engine.coords import camera_grid
from engine.renderer import render_float, render_request
from engine.types import Camera, RenderRequest, StyleSpec


class TightMemory:
    """A generator proxy whose synthesis fails like an allocator for grids above ``limit`` pixels."""

    def __init__(self, g: Any, limit: int, message: str = "CUDA out of memory. Tried to allocate 2.00 GiB") -> None:
        self._g, self.limit, self.message, self.sizes = g, limit, message, []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._g, name)

    def synthesis_tensor(self, ws: Any, grid: np.ndarray, **kw: Any) -> Any:
        n = grid.shape[0] * grid.shape[1]
        self.sizes.append(n)
        if n > self.limit:
            raise RuntimeError(self.message)
        return self._g.synthesis_tensor(ws, grid=grid, **kw)


@pytest.fixture(scope="module")
def g(fixtures: Path) -> Any:
    return load_generator(str(fixtures / "cips" / "cips_skip_32.pt"), device="cpu")


def test_out_of_memory_falls_back_to_smaller_bands(g: Any) -> None:
    style = StyleSpec()
    grid = camera_grid(Camera(rotation=20.0, zoom=0.7), 40, 30)
    tight = TightMemory(g, limit=40 * 5)
    out = render_float(tight, style, grid, tile_pixels=40 * 30)
    assert np.array_equal(out, render_float(g, style, grid, tile_pixels=40 * 30))
    assert tight.sizes[0] == 40 * 30 and max(n for n in tight.sizes if n <= tight.limit) <= 40 * 5
    cam = Camera(projection="cylinder")  # the cross-fade's shifted pixels follow the halves
    req = RenderRequest(style=style, camera=cam, size=(48, 12))
    assert np.array_equal(render_request(TightMemory(g, limit=48 * 3), req).image, render_request(g, req).image)


def test_other_errors_and_a_row_that_cannot_fit_are_reported(g: Any) -> None:
    req = RenderRequest(style=StyleSpec(), camera=Camera(), size=(16, 16))
    broken = TightMemory(g, limit=0, message="mat1 and mat2 shapes cannot be multiplied")
    frame = render_request(broken, req)
    assert frame.image is None and "shapes" in frame.error and broken.sizes == [256]  # not retried
    tiny = TightMemory(g, limit=8)
    frame = render_request(tiny, dataclasses.replace(req))
    assert frame.image is None and "out of memory" in frame.error and min(tiny.sizes) == 16  # down to one row
