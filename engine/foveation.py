"""Foveated rendering (CIPS paper, Fig. 8): dense samples around a focus, sparser rings outside, bilinear fill.

Level k of the plan samples the regular lattice of stride 2**k (plus the last row and column, so every
pixel lies inside a lattice cell). A pixel at distance d from the focus wants level 0 for d <= radius and
level k for radius * 2**(k-1) < d <= radius * 2**k (the outermost level takes the rest), so the sample
density falls like 1 / d**2. Exactly the lattice nodes that some pixel's bilinear cell needs are rendered,
in one point list ([1, N, 2] grids, tiled). Every pixel is then filled from the finest level whose needed
nodes were all rendered: rendered pixels keep their own value (exact), the others are bilinear in their
cell. Lattices nest (stride 2**k divides 2**(k+1)), so no node is ever rendered twice.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.renderer import TILE_PIXELS, CancelToken, StylesFn, render_grid, spec_styles
from engine.types import Camera, StyleSpec

if TYPE_CHECKING:
    from engine.models.base import Generator


def _nodes(n: int, stride: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per index 0..n-1: lower lattice node, upper node (clamped to n-1) and the bilinear weight of the upper."""
    i = np.arange(n)
    lo = (i // stride) * stride
    hi = np.minimum(lo + stride, n - 1)
    t = np.where(hi > lo, (i - lo) / np.maximum(hi - lo, 1), 0.0)
    return lo, hi, t


@dataclass(frozen=True)
class FoveationPlan:
    """Which pixels of a width x height output are rendered.

    Attributes
    ----------
    width, height : output size in pixels.
    focus : (x, y) focus in output pixel coordinates (column, row).
    radius : fovea radius in pixels (level 0 = every pixel inside it).
    levels : number of density levels; level k samples every 2**k-th row and column.
    level : int8 [H, W] designed level per pixel (sample density 4**-level).
    used : int8 [H, W] level each pixel is actually filled from (<= level; 0 = rendered itself).
    sampled : bool [H, W] the rendered pixels.
    """

    width: int
    height: int
    focus: tuple[float, float]
    radius: float
    levels: int
    level: np.ndarray = field(repr=False)
    used: np.ndarray = field(repr=False)
    sampled: np.ndarray = field(repr=False)

    @property
    def n_pixels(self) -> int:
        return self.width * self.height

    @property
    def n_samples(self) -> int:
        return int(self.sampled.sum())

    @property
    def saving(self) -> float:
        """Fraction of pixels not rendered (the synthesis work saved for pixel-independent models)."""
        return 1.0 - self.n_samples / self.n_pixels

    @property
    def density(self) -> np.ndarray:
        """float32 [H, W] designed samples per pixel: 1 in the fovea, 1/4 in the first ring, ..."""
        return np.power(4.0, -self.level.astype(np.float32))

    def stats(self) -> dict[str, Any]:
        """Counts for labels: totals, saving, and per level its stride, region size and samples inside it."""
        per = []
        for k in range(self.levels):
            region = self.level == k
            per.append({"level": k, "stride": 2**k, "pixels": int(region.sum()),
                        "samples": int((self.sampled & region).sum())})
        return {"pixels": self.n_pixels, "samples": self.n_samples, "fraction": self.n_samples / self.n_pixels,
                "saving": self.saving, "speedup": self.n_pixels / max(self.n_samples, 1), "levels": per}


def plan_foveation(
    width: int,
    height: int,
    focus: tuple[float, float] | None = None,
    radius: float | None = None,
    levels: int = 4,
) -> FoveationPlan:
    """Plan the samples; ``focus`` defaults to the centre, ``radius`` to min(width, height) / 8 pixels."""
    width, height, levels = int(width), int(height), int(levels)
    if width < 1 or height < 1:
        raise ValueError(f"size: width and height must be >= 1, got {width} x {height}")
    if not 1 <= levels <= 8:
        raise ValueError(f"levels: expected 1 to 8, got {levels}")
    fx, fy = focus if focus is not None else ((width - 1) / 2.0, (height - 1) / 2.0)
    r = float(radius) if radius is not None else max(1.0, min(width, height) / 8.0)
    if not (math.isfinite(fx) and math.isfinite(fy)):
        raise ValueError(f"focus: must be finite pixel coordinates, got {focus}")
    if not (math.isfinite(r) and r > 0):
        raise ValueError(f"radius: must be a positive number of pixels, got {radius}")
    rows, cols = np.arange(height, dtype=np.float64), np.arange(width, dtype=np.float64)
    d = np.hypot(cols[None, :] - fx, rows[:, None] - fy)
    with np.errstate(divide="ignore"):
        level = np.ceil(np.log2(np.maximum(d, 1e-300) / r))
    level = np.clip(level, 0, levels - 1).astype(np.int8)

    sampled = np.zeros((height, width), bool)
    cells = [(_nodes(height, 2**k), _nodes(width, 2**k)) for k in range(levels)]
    for k, ((ilo, ihi, ti), (jlo, jhi, tj)) in enumerate(cells):
        rr, cc = np.nonzero(level == k)
        if rr.size == 0:
            continue
        # mark only the nodes whose bilinear weight is non-zero (pixels on a lattice line need two, nodes one)
        down, right = ti[rr] > 0, tj[cc] > 0
        sampled[ilo[rr], jlo[cc]] = True
        sampled[ilo[rr][right], jhi[cc][right]] = True
        sampled[ihi[rr][down], jlo[cc][down]] = True
        both = down & right
        sampled[ihi[rr][both], jhi[cc][both]] = True

    used = np.full((height, width), -1, np.int8)
    for k, ((ilo, ihi, ti), (jlo, jhi, tj)) in enumerate(cells):
        on_i, on_j = (ti == 0)[:, None], (tj == 0)[None, :]
        ok = (sampled[np.ix_(ilo, jlo)] & (on_j | sampled[np.ix_(ilo, jhi)])
              & (on_i | sampled[np.ix_(ihi, jlo)]) & (on_i | on_j | sampled[np.ix_(ihi, jhi)]))
        used[(used < 0) & ok] = k
    assert (used >= 0).all() and (used <= level).all()  # each pixel's own level is always available
    return FoveationPlan(width, height, (float(fx), float(fy)), r, levels, level, used, sampled)


def density_rgb(plan: FoveationPlan) -> np.ndarray:
    """uint8 [H, W, 3] picture of the plan: grey = designed density (log scale, white = every pixel),
    rendered pixels marked red outside the fovea."""
    grey = 255.0 * (1.0 - plan.level.astype(np.float32) / max(plan.levels, 2))
    rgb = np.repeat(grey[..., None], 3, axis=-1)
    dots = plan.sampled & (plan.level > 0)
    rgb[dots] = (255.0, 0.0, 0.0)
    return np.round(rgb).astype(np.uint8)


def fill(plan: FoveationPlan, samples: np.ndarray) -> np.ndarray:
    """Interpolate rendered samples [C, N] (in row-major order of ``plan.sampled``) to float32 [C, H, W]."""
    samples = np.asarray(samples, np.float32)
    if samples.ndim != 2 or samples.shape[1] != plan.n_samples:
        raise ValueError(f"samples: expected [C, {plan.n_samples}], got {list(samples.shape)}")
    full = np.zeros((samples.shape[0], plan.height, plan.width), np.float32)
    full[:, plan.sampled] = samples
    out = full.copy()  # level-0 pixels (the rendered ones) are final as they are
    for k in range(1, plan.levels):
        rr, cc = np.nonzero(plan.used == k)
        if rr.size == 0:
            continue
        ilo, ihi, ti = _nodes(plan.height, 2**k)
        jlo, jhi, tj = _nodes(plan.width, 2**k)
        ty, tx = ti[rr].astype(np.float32), tj[cc].astype(np.float32)
        a, b = full[:, ilo[rr], jlo[cc]], full[:, ilo[rr], jhi[cc]]
        c, d = full[:, ihi[rr], jlo[cc]], full[:, ihi[rr], jhi[cc]]
        # weights of unrendered nodes are exactly 0 (`used` guarantees it), so their zero fill never leaks in
        out[:, rr, cc] = (1 - ty) * ((1 - tx) * a + tx * b) + ty * ((1 - tx) * c + tx * d)
    return out


@dataclass(frozen=True)
class FoveatedResult:
    """A foveated render: ``image`` float32 [B, 3, H, W] (model range), its plan, the raw samples and timing."""

    image: np.ndarray
    plan: FoveationPlan
    samples: np.ndarray  # float32 [B, 3, N]: the rendered values at plan.sampled (row-major)
    seconds: float

    def stats(self) -> dict[str, Any]:
        return {**self.plan.stats(), "seconds": self.seconds}


def check_pixel_independent(g: Generator) -> None:
    """ValueError for families whose pixels depend on their neighbours (sparse samples would be wrong)."""
    if not getattr(g, "pixel_independent", True):
        raise ValueError(f"foveation: this {g.family} generator is not pixel-independent (its bilinear "
                         "upsampling couples neighbouring pixels), so rendering only some pixels saves nothing")


def foveated_render(
    g: Generator,
    styles: StylesFn | np.ndarray,
    grid: np.ndarray,
    plan: FoveationPlan,
    noise: str | Sequence[Any] = "none",
    ablate: Sequence[str] = (),
    cancel: CancelToken | None = None,
    tile_pixels: int = TILE_PIXELS,
) -> FoveatedResult:
    """Render only ``plan.sampled`` of the full-output ``grid`` [H, W, 2] and fill the rest.

    ``styles`` is a `StylesFn` (painted masks are sampled at the rendered points) or ws [B, num_ws, w_dim].
    """
    check_pixel_independent(g)
    if grid.shape != (plan.height, plan.width, 2):
        raise ValueError(f"grid: expected [{plan.height}, {plan.width}, 2] for the plan, got {list(grid.shape)}")
    if isinstance(styles, np.ndarray):
        ws = styles
        styles = lambda _grid: (ws, None)  # noqa: E731
    t0 = time.perf_counter()
    points = np.ascontiguousarray(grid[plan.sampled], np.float32)  # [N, 2], row-major
    parts = []
    for p0 in range(0, len(points), tile_pixels):
        if cancel is not None:
            cancel.check()
        parts.append(render_grid(g, styles, points[None, p0:p0 + tile_pixels], noise, ablate)[:, :, 0])
    samples = np.concatenate(parts, axis=-1)  # [B, 3, N]
    b = samples.shape[0]
    image = fill(plan, samples.reshape(b * 3, -1)).reshape(b, 3, plan.height, plan.width)
    return FoveatedResult(image, plan, samples, time.perf_counter() - t0)


def check_plane(camera: Camera) -> None:
    """Foveation samples one grid point per pixel; a cylinder strip's wrap band needs two (its cross-fade)."""
    if camera.projection != "plane":
        raise ValueError(f"projection: foveated renders need the plane camera, got {camera.projection!r}")


def foveate(
    g: Generator,
    style: StyleSpec,
    camera: Camera,
    size: tuple[int, int],
    focus: tuple[float, float] | None = None,
    radius: float | None = None,
    levels: int = 4,
    cancel: CancelToken | None = None,
) -> FoveatedResult:
    """One call for a view: plan around ``focus`` (output pixels; default centre) and render the camera's grid."""
    from engine.coords import camera_grid

    check_plane(camera)
    plan = plan_foveation(size[0], size[1], focus, radius, levels)
    check_pixel_independent(g)
    return foveated_render(g, spec_styles(g, style), camera_grid(camera, size[0], size[1]), plan,
                           style.noise, style.ablate, cancel)
