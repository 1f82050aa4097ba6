"""Tiled high-resolution export: bands of rows are rendered and streamed to an atomic image writer."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.coords import camera_grid
from engine.image_writers import RECIPE_KEY, open_writer
from engine.renderer import TILE_PIXELS, CancelToken, StylesFn, render_bands, to_uint8
from engine.types import Camera

if TYPE_CHECKING:
    from engine.models.base import Generator

APP_ID = "inr-explorer 0.1"


@lru_cache(maxsize=32)
def _sha256(path: str, mtime: float, size: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a checkpoint file (cached by path, mtime and size)."""
    st = os.stat(path)
    return _sha256(str(Path(path).resolve()), st.st_mtime, st.st_size)


def make_recipe(g: Generator, **fields: Any) -> dict[str, Any]:
    """What reproduces an image: the checkpoint (path + hash), family and the style / camera fields."""
    recipe: dict[str, Any] = {"app": APP_ID, "checkpoint": g.source, "family": g.family}
    if g.source and os.path.isfile(g.source):
        recipe["checkpoint_sha256"] = file_sha256(g.source)
    recipe.update(fields)
    return recipe


def to_uint16(rgb: np.ndarray) -> np.ndarray:
    """Model range [-1, 1] float [3, H, W] -> uint16 [H, W, 3]."""
    x = np.clip((np.asarray(rgb, np.float32) + 1.0) * 32767.5 + 0.5, 0.0, 65535.0)
    return x.astype(np.uint16).transpose(1, 2, 0)


def export_image(
    g: Generator,
    styles: StylesFn,
    out: str | Path,
    size: tuple[int, int],
    camera: Camera | None = None,
    grid: np.ndarray | None = None,
    noise: str | Sequence[Any] = "none",
    ablate: Sequence[str] = (),
    recipe: dict[str, Any] | None = None,
    bits: int = 8,
    cancel: CancelToken | None = None,
    progress: Callable[[int, int], None] | None = None,
    tile_pixels: int = TILE_PIXELS,
) -> Path:
    """Render ``size`` = (W, H) in row bands and stream them to ``out`` (.png 8/16 bit, .tif).

    Equal to an untiled render; memory is bounded by one band. Cancel, Ctrl+C or an error leaves no
    partial file and an existing ``out`` untouched. ``progress(rows_done, rows_total)`` after each band.
    """
    width, height = int(size[0]), int(size[1])
    if width < 1 or height < 1:
        raise ValueError(f"size: width and height must be >= 1, got {width} x {height}")
    if grid is not None and grid.shape[:2] != (height, width):
        raise ValueError(f"grid: shape {list(grid.shape)} does not match size {width} x {height}")
    cam = camera or Camera()

    def band_grid(y0: int, rows: int) -> np.ndarray:
        if grid is not None:
            return grid[y0:y0 + rows]
        return camera_grid(cam, width, height, rect=(0, y0, width, rows))

    text = {RECIPE_KEY: json.dumps(recipe)} if recipe is not None else None
    convert = to_uint16 if bits == 16 else to_uint8
    with open_writer(out, width, height, text, bits) as writer:
        for y0, part in render_bands(g, styles, band_grid, height, width, noise, ablate, cancel, tile_pixels):
            if part.shape[0] != 1:
                raise ValueError("ws: export renders one image at a time (B = 1)")
            writer.write_rows(convert(part[0]))
            if progress is not None:
                progress(y0 + part.shape[2], height)
    return Path(out)
