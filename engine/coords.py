"""Coordinate seam: Camera + output size -> frame-coordinate grids [H, W, 2] (x right, y down).

Every grid is computed per pixel from integer indices in float64 and rounded once to float32, so any
sub-rectangle (tile) of a grid is bit-identical to the same pixels of the whole grid. Projections:
"plane" (affine: pan, zoom, rotate) and "cylinder" (a ring unrolled into a seamless panorama strip).
"""

from __future__ import annotations

import math

import numpy as np

from engine.types import Camera

PROJECTIONS = ("plane", "cylinder")


def _check_size(width: int, height: int) -> None:
    if int(width) < 1 or int(height) < 1:
        raise ValueError(f"size: width and height must be >= 1, got {width} x {height}")


def pixel_step(camera: Camera, width: int, height: int) -> float:
    """Distance in frame units between neighbouring pixel centres."""
    n = min(width, height)
    if not math.isfinite(camera.zoom) or camera.zoom <= 0:
        raise ValueError(f"zoom: must be a positive number, got {camera.zoom}")
    return 2.0 / (max(n - 1, 1) * camera.zoom)


def cylinder_geometry(camera: Camera, width: int, height: int) -> tuple[float, float]:
    """(radius of the middle row, pixel step), both in frame units, of the "cylinder" projection.

    The outer row's radius is 1 / zoom and the middle row's circumference is ``width`` pixel steps
    (square pixels there): r = 1 / (zoom * (1 + pi * (height - 1) / width)), step = 2 pi r / width.
    The inner row's radius r * (1 - pi * (height - 1) / width) must stay positive, so the strip must be
    wider than pi * (height - 1) pixels.
    """
    _check_size(width, height)
    pixel_step(camera, width, height)  # validates zoom
    aspect = math.pi * (height - 1) / width
    if aspect >= 1.0:
        raise ValueError(f"projection: 'cylinder' needs a strip wider than pi x (height - 1) pixels "
                         f"(width > {math.pi * (height - 1):.1f}), got {width} x {height}")
    radius = 1.0 / (camera.zoom * (1.0 + aspect))
    return radius, 2.0 * math.pi * radius / width


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

    ``projection="cylinder"`` (panorama): column j is the angle
    theta_j = rotation - 90 deg + 360 deg * (j - width / 2) / width about ``center`` and row i the radius
    r_i = r + ((height - 1) / 2 - i) * step (see `cylinder_geometry`: outer row at radius 1 / zoom, square
    pixels on the middle row), i.e. the point center + r_i (cos theta_j, sin theta_j). Each row is a
    closed circle, so column 0 continues column width - 1 exactly as any two neighbouring columns do, and
    tiles stay bit-identical. The middle column shows the ring's top upright; along the strip the
    content turns with the ring (upside down at the seam) but is never mirrored. ``rotation`` turns the
    ring: 360 / width degrees shifts the panorama by one column.
    """
    _check_size(width, height)
    x0, y0, w, h = rect if rect is not None else (0, 0, width, height)
    if w < 1 or h < 1 or x0 < 0 or y0 < 0 or x0 + w > width or y0 + h > height:
        raise ValueError(f"rect: {rect} is not inside the {width} x {height} output")
    if camera.projection not in PROJECTIONS:
        raise ValueError(f"projection: expected one of {', '.join(PROJECTIONS)}, got {camera.projection!r}")
    step = pixel_step(camera, width, height)
    cols = np.arange(x0, x0 + w, stride, dtype=np.float64)
    rows = np.arange(y0, y0 + h, stride, dtype=np.float64)
    cx, cy = float(camera.center[0]), float(camera.center[1])
    if not (math.isfinite(cx) and math.isfinite(cy) and math.isfinite(camera.rotation)):
        raise ValueError("center / rotation: must be finite numbers")
    if camera.projection == "cylinder":
        return _cylinder_grid(camera, width, height, cols, rows)
    u = (cols - (width - 1) / 2.0) * step
    v = (rows - (height - 1) / 2.0) * step
    uu, vv = np.meshgrid(u, v)
    if camera.rotation % 360.0 != 0.0:
        quarter = camera.rotation / 90.0
        if quarter == round(quarter):  # exact multiples of 90°: no cos/sin residue, grids stay separable
            c, s = ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))[int(round(quarter)) % 4]
        else:
            t = math.radians(camera.rotation)
            c, s = math.cos(t), math.sin(t)
        uu, vv = c * uu - s * vv, s * uu + c * vv
    grid = np.stack([uu + cx, vv + cy], axis=-1)
    return grid.astype(np.float32)


def _cylinder_grid(camera: Camera, width: int, height: int, cols: np.ndarray, rows: np.ndarray) -> np.ndarray:
    # Rows are concentric circles rather than translated copies of one closed curve: a closed curve whose
    # rows are only shifted in y must run back in x somewhere, which would mirror part of the strip.
    radius, step = cylinder_geometry(camera, width, height)
    theta = (cols - width / 2.0) * (2.0 * math.pi / width) + math.radians(camera.rotation - 90.0)
    r = radius + ((height - 1) / 2.0 - rows) * step
    x = float(camera.center[0]) + r[:, None] * np.cos(theta)[None, :]
    y = float(camera.center[1]) + r[:, None] * np.sin(theta)[None, :]
    return np.stack([x, y], axis=-1).astype(np.float32)


def identity_grid(n_or_h: int, w: int | None = None) -> np.ndarray:
    """The identity camera's grid at H x W (= linspace(-1, 1) on the shorter side)."""
    h = n_or_h
    return camera_grid(Camera(), w if w is not None else h, h)
