"""Cylindrical panoramas: an upright strip whose right end wraps into its left end, and a numerical check of
the wrap seam (column W-1 -> column 0).

CIPS (Fig. 11) shows cylindrical panoramas, but the released code has none (specs/cips.md §7.6): this design is
ours. A model periodic along x by construction (the default generator, `Generator.period_x`) wraps exactly when
one turn is its period (`engine.coords.periodic_strip`, no cross-fade). A model trained on a plane has no
periodic content and no closed path through the plane keeps content upright and unmirrored, so the strip
extrapolates straight along x over one period L = W * step and cross-fades its last `Camera.blend` of the width
into the content one period to the left, which column 0 continues
(`engine.coords.camera_grid` / `wrap_blend`). Both terms are real generator evaluations per pixel, so tiles
stay exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.coords import grid_at, strip_geometry, wrap_at
from engine.renderer import StylesFn, render_grid
from engine.types import Camera

if TYPE_CHECKING:
    from engine.models.base import Generator

SEAM_PAIRS = 64  # neighbouring column pairs sampled by `render_seam_check` for the typical difference
SEAM_ROWS = 512  # at most this many rows enter `render_seam_check` (evenly strided)
SEAMLESS_RATIO = 1.5  # seam / median neighbouring-column difference below which a wrap counts as seamless


def panorama_camera(center: tuple[float, float] = (0.0, 0.0), zoom: float = 1.0, yaw: float = 0.0,
                    blend: float = Camera.blend) -> Camera:
    """A "cylinder" camera: upright strip about ``center`` framed as the plane camera at ``zoom``, turned by
    ``yaw`` degrees (360 / W per column), the last ``blend`` of the width cross-faded across the wrap."""
    return Camera(center=center, zoom=zoom, rotation=yaw, projection="cylinder", blend=blend)


def panorama_geometry(camera: Camera, width: int, height: int) -> dict[str, float]:
    """Extent (frame units) of a cylinder panorama, for labels and recipes: one turn spans
    x in [x_start, x_start + period) and y in [y_top, y_bottom]; ``blend_columns`` are cross-faded."""
    period, step = strip_geometry(camera, width, height)
    half_h = (height - 1) / 2.0 * step
    x0 = float(camera.center[0]) - period / 2.0
    return {"period": period, "pixel_step": step, "x_start": x0, "x_end": x0 + period,
            "y_top": float(camera.center[1]) - half_h, "y_bottom": float(camera.center[1]) + half_h,
            "turn_in_heights": period / max(2.0 * half_h, step), "blend_columns": camera.blend * width,
            "degrees_per_column": 360.0 / width}


@dataclass(frozen=True)
class SeamStats:
    """Mean absolute difference across the wrap seam vs. between neighbouring columns.

    Attributes
    ----------
    seam : mean |column 0 - column W-1| over rows and channels.
    median, p90, max : of the same quantity over neighbouring column pairs (j, j+1).
    ratio : seam / median; about 1 for a seamless wrap, several times larger for a plane strip.
    pairs : number of neighbouring pairs the statistics come from.
    """

    seam: float
    median: float
    p90: float
    max: float
    ratio: float
    pairs: int

    @property
    def seamless(self) -> bool:
        """The wrap differs from the typical neighbouring pair by less than `SEAMLESS_RATIO` x."""
        return self.ratio < SEAMLESS_RATIO


def _column_diffs(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Mean |left - right| per column pair; arrays [..., rows, pairs]."""
    d = np.abs(np.asarray(left, np.float64) - np.asarray(right, np.float64))
    return d.reshape(-1, d.shape[-1]).mean(axis=0)


def _stats(seam: float, neighbours: np.ndarray) -> SeamStats:
    med = float(np.median(neighbours))
    return SeamStats(seam, med, float(np.percentile(neighbours, 90)), float(neighbours.max()),
                     seam / med if med > 0 else float("inf"), int(neighbours.size))


def seam_stats(image: np.ndarray) -> SeamStats:
    """Seam check of a rendered strip: float [3, H, W] / [B, 3, H, W] or uint8 [H, W, 3]."""
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[-1] == 3 and a.shape[0] != 3:
        a = a.transpose(2, 0, 1)
    if a.shape[-1] < 3:
        raise ValueError(f"image: a seam check needs at least 3 columns, got shape {list(a.shape)}")
    seam = float(_column_diffs(a[..., :1], a[..., -1:])[0])
    return _stats(seam, _column_diffs(a[..., :-1], a[..., 1:]))


def render_seam_check(
    g: Generator,
    styles: StylesFn,
    camera: Camera,
    width: int,
    height: int,
    noise: str | Sequence[Any] = "none",
    ablate: Sequence[str] = (),
    pairs: int = SEAM_PAIRS,
) -> SeamStats:
    """Seam check of a (possibly huge) panorama without rendering it: only the seam columns and
    ``pairs`` evenly spaced neighbouring column pairs are rendered, on at most `SEAM_ROWS` rows.
    Grids (and the cylinder cross-fade) come from the camera at the full size, so these pixels are the
    export's own pixels."""
    if width < 3:
        raise ValueError(f"size: a seam check needs at least 3 columns, got {width}")
    rows = np.arange(0, height, max(1, -(-height // SEAM_ROWS)))
    starts = np.unique(np.linspace(0, width - 2, max(1, min(pairs, width - 1))).round().astype(np.int64))
    cols = np.concatenate([[width - 1, 0], np.stack([starts, starts + 1], 1).ravel()])
    img = render_grid(g, styles, grid_at(camera, width, height, cols, rows), noise, ablate,
                      wrap_at(camera, width, height, cols, rows))
    seam = float(_column_diffs(img[..., 0:1], img[..., 1:2])[0])
    return _stats(seam, _column_diffs(img[..., 2::2], img[..., 3::2]))
