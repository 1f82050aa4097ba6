"""Coordinate seam: Camera + output size -> frame-coordinate grids [H, W, 2] (x right, y down).

Every grid is computed per pixel from integer indices in float64 and rounded once to float32, so any
sub-rectangle (tile) of a grid is bit-identical to the same pixels of the whole grid.
"""

from __future__ import annotations

import math

import numpy as np

from engine.types import Camera


def _check_size(width: int, height: int) -> None:
    if int(width) < 1 or int(height) < 1:
        raise ValueError(f"size: width and height must be >= 1, got {width} x {height}")


def pixel_step(camera: Camera, width: int, height: int) -> float:
    """Distance in frame units between neighbouring pixel centres."""
    n = min(width, height)
    if not math.isfinite(camera.zoom) or camera.zoom <= 0:
        raise ValueError(f"zoom: must be a positive number, got {camera.zoom}")
    return 2.0 / (max(n - 1, 1) * camera.zoom)


def camera_grid(
    camera: Camera,
    width: int,
    height: int,
    rect: tuple[int, int, int, int] | None = None,
    stride: int = 1,
) -> np.ndarray:
    """Frame coordinates of the output pixels, float32 [H, W, 2] (channel 0 = x, 1 = y).

    The identity camera at N x N gives x = y = linspace(-1, 1, N). ``rect`` = (x, y, w, h) returns only
    that sub-rectangle of the full grid; ``stride`` keeps every stride-th pixel of it (progressive passes).
    """
    _check_size(width, height)
    x0, y0, w, h = rect if rect is not None else (0, 0, width, height)
    if w < 1 or h < 1 or x0 < 0 or y0 < 0 or x0 + w > width or y0 + h > height:
        raise ValueError(f"rect: {rect} is not inside the {width} x {height} output")
    step = pixel_step(camera, width, height)
    cols = np.arange(x0, x0 + w, stride, dtype=np.float64)
    rows = np.arange(y0, y0 + h, stride, dtype=np.float64)
    u = (cols - (width - 1) / 2.0) * step
    v = (rows - (height - 1) / 2.0) * step
    uu, vv = np.meshgrid(u, v)
    cx, cy = float(camera.center[0]), float(camera.center[1])
    if not (math.isfinite(cx) and math.isfinite(cy) and math.isfinite(camera.rotation)):
        raise ValueError("center / rotation: must be finite numbers")
    if camera.rotation % 360.0 != 0.0:
        quarter = camera.rotation / 90.0
        if quarter == round(quarter):  # exact multiples of 90°: no cos/sin residue, grids stay separable
            c, s = ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))[int(round(quarter)) % 4]
        else:
            t = math.radians(camera.rotation)
            c, s = math.cos(t), math.sin(t)
        uu, vv = c * uu - s * vv, s * uu + c * vv
    if camera.projection != "plane":
        raise ValueError(f"projection: only 'plane' is supported, got {camera.projection!r}")
    grid = np.stack([uu + cx, vv + cy], axis=-1)
    return grid.astype(np.float32)


def identity_grid(n_or_h: int, w: int | None = None) -> np.ndarray:
    """The identity camera's grid at H x W (= linspace(-1, 1) on the shorter side)."""
    h = n_or_h
    return camera_grid(Camera(), w if w is not None else h, h)
