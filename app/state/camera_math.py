"""Camera arithmetic for gestures: widget point <-> frame coordinates, pan, zoom about a point, previews.

An affine map is a 2 x 3 float64 array ``[[a, b, tx], [c, d, ty]]`` taking (x, y, 1) to frame coordinates.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from engine.coords import pixel_step

if TYPE_CHECKING:
    from engine.types import Camera

Affine = np.ndarray

MIN_ZOOM = 1e-3
MAX_ZOOM = 1e5


def _rotation(deg: float) -> np.ndarray:
    t = math.radians(deg)
    c, s = math.cos(t), math.sin(t)
    return np.array([[c, -s], [s, c]])


def _affine(linear: np.ndarray, offset: np.ndarray) -> Affine:
    return np.concatenate([linear, offset.reshape(2, 1)], axis=1)


def widget_to_frame(camera: Camera, render_size: tuple[int, int], widget_size: tuple[float, float]) -> Affine:
    """Map from widget coordinates (the render stretched over the widget) to frame coordinates.

    Render pixel i covers widget [i, i + 1] / k with k = render / widget size, and its centre samples the
    grid of `engine.coords.camera_grid`, so this map agrees with the engine pixel for pixel.
    """
    rw, rh = render_size
    ww, wh = widget_size
    step = pixel_step(camera, rw, rh)
    lin = _rotation(camera.rotation) @ np.diag([step * rw / ww, step * rh / wh])
    center = np.array(camera.center, np.float64)
    return _affine(lin, center - lin @ np.array([ww / 2.0, wh / 2.0]))


def image_to_frame(camera: Camera, render_size: tuple[int, int], stride: int = 1) -> Affine:
    """Map from the image coordinates of a (possibly strided) frame to frame coordinates.

    Strided pixel j samples render pixel j * stride; it is drawn centred there, so a coarse pass lands
    where the final pass will.
    """
    rw, rh = render_size
    step = pixel_step(camera, rw, rh)
    lin = _rotation(camera.rotation) * step
    # image u -> render X = stride * u + (1 - stride) / 2 -> frame c + R step (X - size / 2)
    offset = np.array(camera.center, np.float64) + lin @ (
        np.array([(1.0 - stride) / 2.0 - rw / 2.0, (1.0 - stride) / 2.0 - rh / 2.0]))
    return _affine(lin * stride, offset)


def invert(m: Affine) -> Affine:
    inv = np.linalg.inv(m[:, :2])
    return _affine(inv, -inv @ m[:, 2])


def apply(m: Affine, x: float, y: float) -> tuple[float, float]:
    p = m[:, :2] @ np.array([x, y]) + m[:, 2]
    return float(p[0]), float(p[1])


def compose(first: Affine, then: Affine) -> Affine:
    """``then(first(p))``."""
    return _affine(then[:, :2] @ first[:, :2], then[:, :2] @ first[:, 2] + then[:, 2])


def panned(camera: Camera, w2f: Affine, dx: float, dy: float) -> Camera:
    """The camera after dragging the content by (dx, dy) widget pixels (content follows the cursor)."""
    d = w2f[:, :2] @ np.array([dx, dy])
    cx, cy = camera.center
    return dataclasses.replace(camera, center=(cx - float(d[0]), cy - float(d[1])))


def zoomed(camera: Camera, w2f: Affine, factor: float, x: float, y: float) -> Camera:
    """The camera after zooming by ``factor`` about widget point (x, y), which keeps its frame point."""
    zoom = min(max(camera.zoom * factor, MIN_ZOOM), MAX_ZOOM)
    f = zoom / camera.zoom
    if f == 1.0:
        return camera
    fx, fy = apply(w2f, x, y)
    cx, cy = camera.center
    # new centre c' = p - (p - c) / f for the frame point p under the cursor
    return dataclasses.replace(camera, zoom=zoom, center=(fx - (fx - cx) / f, fy - (fy - cy) / f))


def rotated(camera: Camera, degrees: float) -> Camera:
    """The camera turned by ``degrees`` about its centre, wrapped to (-180, 180]."""
    r = (camera.rotation + degrees + 180.0) % 360.0 - 180.0
    return dataclasses.replace(camera, rotation=180.0 if r == -180.0 else r)
