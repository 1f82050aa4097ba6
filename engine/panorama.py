"""Cylindrical panoramas: the camera and a numerical check of the wrap seam (column W-1 -> column 0)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.coords import camera_grid, cylinder_geometry
from engine.renderer import StylesFn, render_grid
from engine.types import Camera

if TYPE_CHECKING:
    from engine.models.base import Generator

SEAM_PAIRS = 64  # neighbouring column pairs sampled by `render_seam_check` for the typical difference
SEAM_ROWS = 512  # at most this many rows enter `render_seam_check` (evenly strided)


def panorama_camera(center: tuple[float, float] = (0.0, 0.0), zoom: float = 1.0, yaw: float = 0.0) -> Camera:
    """A "cylinder" camera: ring about ``center``, outer radius 1 / ``zoom``, turned by ``yaw`` degrees."""
    return Camera(center=center, zoom=zoom, rotation=yaw, projection="cylinder")


def panorama_geometry(camera: Camera, width: int, height: int) -> dict[str, float]:
    """Radii and circumference (frame units) of a cylinder panorama, for labels and recipes."""
    r, step = cylinder_geometry(camera, width, height)
    half = (height - 1) / 2.0 * step
    return {"radius": r, "inner_radius": r - half, "outer_radius": r + half, "pixel_step": step,
            "circumference": 2.0 * np.pi * r, "degrees_per_column": 360.0 / width}


@dataclass(frozen=True)
class SeamStats:
    """Mean absolute difference across the wrap seam vs. between neighbouring columns.

    Attributes
    ----------
    seam : mean |column 0 - column W-1| over rows and channels.
    median, p90, max : of the same quantity over neighbouring column pairs (j, j+1).
    ratio : seam / median; about 1 for a seamless wrap, several times larger for a plane render.
    pairs : number of neighbouring pairs the statistics come from.
    """

    seam: float
    median: float
    p90: float
    max: float
    ratio: float
    pairs: int


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
    Grids come from `camera_grid` at the full size, so these pixels are the export's own pixels."""
    if width < 3:
        raise ValueError(f"size: a seam check needs at least 3 columns, got {width}")
    full_rows = np.arange(0, height, max(1, -(-height // SEAM_ROWS)))
    starts = np.unique(np.linspace(0, width - 2, max(1, min(pairs, width - 1))).round().astype(int))
    cols = np.concatenate([[width - 1, 0], np.stack([starts, starts + 1], 1).ravel()])
    col_grids = [camera_grid(camera, width, height, rect=(int(c), 0, 1, height)) for c in cols]
    grid = np.concatenate(col_grids, axis=1)[full_rows]  # [rows, 2 + 2 * pairs, 2]
    img = render_grid(g, styles, grid, noise, ablate)
    seam = float(_column_diffs(img[..., 0:1], img[..., 1:2])[0])
    return _stats(seam, _column_diffs(img[..., 2::2], img[..., 3::2]))
