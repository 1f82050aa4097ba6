"""Coordinate seam: Camera + output size -> frame-coordinate grids [H, W, 2] (x right, y down).

Every grid is computed per pixel from integer indices in float64 and rounded once to float32, so any
sub-rectangle (tile) of a grid is bit-identical to the same pixels of the whole grid. Projections:
"plane" (affine: pan, zoom, rotate) and "cylinder" (an upright panorama strip whose right end wraps into its
left end through a cross-faded band: see `camera_grid` and `wrap_blend`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.types import Camera

PROJECTIONS = ("plane", "cylinder")
BLEND_MAX = 0.5  # at most half of a cylinder strip is cross-faded


def _check_size(width: int, height: int) -> None:
    if int(width) < 1 or int(height) < 1:
        raise ValueError(f"size: width and height must be >= 1, got {width} x {height}")


def pixel_step(camera: Camera, width: int, height: int) -> float:
    """Distance in frame units between neighbouring pixel centres."""
    n = min(width, height)
    if not math.isfinite(camera.zoom) or camera.zoom <= 0:
        raise ValueError(f"zoom: must be a positive number, got {camera.zoom}")
    return 2.0 / (max(n - 1, 1) * camera.zoom)


def strip_geometry(camera: Camera, width: int, height: int) -> tuple[float, float]:
    """(period L, pixel step), both in frame units, of the "cylinder" projection.

    The step is the plane camera's (the frame fits the shorter side at zoom 1), and one turn of the cylinder
    is the strip's width: L = width * step.
    """
    _check_size(width, height)
    step = pixel_step(camera, width, height)
    if not valid_blend(camera.blend):
        raise ValueError(f"blend: expected a share of the strip width in [0, {BLEND_MAX}], got {camera.blend}")
    return width * step, step


def periodic_strip(period: float, width: int, zoom: float = 1.0, center: tuple[float, float] = (0.0, 0.0),
                   yaw: float = 0.0) -> tuple[Camera, tuple[int, int]]:
    """The cylinder strip of a model periodic along x (`Generator.period_x`): one turn is exactly its period
    L, so no cross-fade (blend 0). The height follows from ``zoom`` (the frame fits the strip height at zoom
    1: a turn is L * zoom / 2 heights), rounded to whole pixels, and the zoom is then adjusted so that
    width * pixel step = L. Returns (camera, (width, height))."""
    if not period > 0 or not zoom > 0 or width < 3:
        raise ValueError(f"periodic strip: need period > 0, zoom > 0 and width >= 3 (got {period}, {zoom}, {width})")
    height = max(2, min(width, round(2 * width / (period * zoom)) + 1))
    exact = 2.0 * width / (period * (height - 1))
    return Camera(center=center, zoom=exact, rotation=yaw, projection="cylinder", blend=0.0), (width, height)


@dataclass(frozen=True)
class WrapBlend:
    """The cross-faded columns of a cylinder strip within one grid (tile, band or column set).

    Pixel (i, cols[k]) of the render is (1 - weight[k]) * G(grid_i,cols[k]) + weight[k] * G(self.grid[i, k]):
    the primary render blended with the same pixel one period to the left.

    Attributes
    ----------
    cols : int64 [n], columns of the primary grid that are cross-faded.
    grid : float32 [H, n, 2], their frame coordinates shifted by -L along x.
    weight : float32 [n], the share of the shifted render (0 < weight < 1).
    """

    cols: np.ndarray
    grid: np.ndarray
    weight: np.ndarray

    def rows(self, y0: int, n: int) -> WrapBlend:
        """The same columns on rows y0 .. y0 + n of the grid (one row band)."""
        return WrapBlend(self.cols, self.grid[y0:y0 + n], self.weight)


def wrap_weight(position: np.ndarray, width: int, blend: float) -> np.ndarray:
    """Share of the shifted render at strip positions (in columns, 0 .. width): 0 before the band, a smoothstep
    across the last ``blend * width`` columns, 1 at the right end (= the start of the next turn)."""
    band = blend * width
    if band <= 0.0:
        return np.where(np.asarray(position, np.float64) >= width, 1.0, 0.0)
    u = np.clip((np.asarray(position, np.float64) - (width - band)) / band, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def rect_indices(width: int, height: int, rect: tuple[int, int, int, int] | None,
                 stride: int) -> tuple[np.ndarray, np.ndarray]:
    """(columns, rows), int64, of the output pixels `camera_grid` returns for ``rect`` and ``stride``."""
    _check_size(width, height)
    x0, y0, w, h = rect if rect is not None else (0, 0, width, height)
    if w < 1 or h < 1 or x0 < 0 or y0 < 0 or x0 + w > width or y0 + h > height:
        raise ValueError(f"rect: {rect} is not inside the {width} x {height} output")
    return np.arange(x0, x0 + w, stride, dtype=np.int64), np.arange(y0, y0 + h, stride, dtype=np.int64)


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

    ``projection="cylinder"`` (panorama): an upright strip. Rows keep a constant y, framed as the plane camera
    at this zoom; column j sits at strip position c_j = (j + 0.5 + W * rotation / 360) mod W and
    x = center_x + (c_j - W / 2) * step, so one turn of the cylinder is L = W * step frame units and
    ``rotation`` (yaw) turns it (360 / W degrees = one column; at yaw 0 the grid equals the plane grid).
    A plane-trained model has no periodic content, so the render is made periodic by `wrap_blend`: the
    last ``camera.blend`` of each turn cross-fades into the content one period to the left, which is what
    the first column continues; renders must use both (see `engine.renderer.render_grid`).
    """
    cols, rows = rect_indices(width, height, rect, stride)
    return grid_at(camera, width, height, cols, rows)


def grid_at(camera: Camera, width: int, height: int, cols: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """`camera_grid` at any output columns x rows (integer indices), float32 [len(rows), len(cols), 2]."""
    _check_size(width, height)
    if camera.projection not in PROJECTIONS:
        raise ValueError(f"projection: expected one of {', '.join(PROJECTIONS)}, got {camera.projection!r}")
    step = pixel_step(camera, width, height)
    cx, cy = float(camera.center[0]), float(camera.center[1])
    if not (math.isfinite(cx) and math.isfinite(cy) and math.isfinite(camera.rotation)):
        raise ValueError("center / rotation: must be finite numbers")
    cols = np.asarray(cols, np.float64)
    rows = np.asarray(rows, np.float64)
    if camera.projection == "cylinder":
        strip_geometry(camera, width, height)  # validates blend
        return _strip_grid(camera, width, height, _strip_position(camera, width, cols), rows, 0.0)
    u = (cols - (width - 1) / 2.0) * step
    v = (rows - (height - 1) / 2.0) * step
    uu, vv = np.meshgrid(u, v)
    if camera.rotation % 360.0 != 0.0:
        c, s = rotation_cos_sin(camera.rotation)
        uu, vv = c * uu - s * vv, s * uu + c * vv
    grid = np.stack([uu + cx, vv + cy], axis=-1)
    return grid.astype(np.float32)


def valid_blend(blend: float) -> bool:
    """Whether ``blend`` is a cross-fade share a cylinder strip accepts: finite, 0 .. BLEND_MAX."""
    return math.isfinite(blend) and 0.0 <= blend <= BLEND_MAX


def is_quarter_turn(degrees: float) -> bool:
    """Whether ``degrees`` is a whole number of quarter turns (which `camera_grid` turns exactly)."""
    quarter = degrees / 90.0
    return math.isfinite(quarter) and quarter == round(quarter)


def rotation_cos_sin(degrees: float) -> tuple[float, float]:
    """(cos, sin) of a rotation; exact for quarter turns (no cos/sin residue, so grids stay separable)."""
    if is_quarter_turn(degrees):
        return ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))[round(degrees / 90.0) % 4]
    t = math.radians(degrees)
    return math.cos(t), math.sin(t)


def _strip_position(camera: Camera, width: int, cols: np.ndarray) -> np.ndarray:
    # Position along one turn, in columns [0, W); pixel centres sit half a column inside the turn's ends.
    c = np.mod(cols + 0.5 + width * (camera.rotation / 360.0), width)
    return np.where(c >= width, c - width, c)  # fmod of a tiny negative can round up to W


def _strip_grid(camera: Camera, width: int, height: int, c: np.ndarray, rows: np.ndarray,
                turns: float) -> np.ndarray:
    step = pixel_step(camera, width, height)
    x = float(camera.center[0]) + (c - width / 2.0 - turns * width) * step
    y = float(camera.center[1]) + (rows - (height - 1) / 2.0) * step
    xx, yy = np.meshgrid(x, y)
    return np.stack([xx, yy], axis=-1).astype(np.float32)


def wrap_blend(
    camera: Camera,
    width: int,
    height: int,
    rect: tuple[int, int, int, int] | None = None,
    stride: int = 1,
) -> WrapBlend | None:
    """The wrap cross-fade of `camera_grid` (same arguments), or None when no pixel there needs one.

    Plane cameras never need one. A "cylinder" strip's columns in the last ``camera.blend`` of the turn
    (positions c > W (1 - blend)) are (1 - a) G(x, y) + a G(x - L, y) with a = smoothstep of the position
    across the band, rising to 1 at the turn's end, where G(x - L) is exactly what column 0 shows: the wrap
    W-1 -> 0 is then as continuous as any two neighbouring columns. Every pixel is still computed on its own
    from its indices, so tiles stay bit-identical to untiled renders.
    """
    cols, rows = rect_indices(width, height, rect, stride)
    return wrap_at(camera, width, height, cols, rows)


def wrap_at(camera: Camera, width: int, height: int, cols: np.ndarray, rows: np.ndarray) -> WrapBlend | None:
    """`wrap_blend` for the grid `grid_at` returns at these columns x rows."""
    if camera.projection != "cylinder":
        return None
    strip_geometry(camera, width, height)  # validates size, zoom and blend
    c = _strip_position(camera, width, np.asarray(cols, np.float64))
    a = wrap_weight(c, width, camera.blend)
    sel = np.flatnonzero(a > 0.0)
    if sel.size == 0:
        return None
    grid = _strip_grid(camera, width, height, c[sel], np.asarray(rows, np.float64), 1.0)
    return WrapBlend(sel.astype(np.int64), grid, a[sel].astype(np.float32))


def identity_grid(n_or_h: int, w: int | None = None) -> np.ndarray:
    """The identity camera's grid at H x W (= linspace(-1, 1) on the shorter side)."""
    h = n_or_h
    return camera_grid(Camera(), w if w is not None else h, h)
