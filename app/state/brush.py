"""Brush strokes on the painted masks: a feathered round brush swept along the cursor path, in frame coordinates."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.state.masks import (
    PPU,
    TILE,
    TILES,
    FrozenArray,
    LayerKey,
    LayerRange,
    Painting,
    Tiles,
    same_range,
)


@dataclass(frozen=True)
class Brush:
    """Brush settings in frame units (the controller converts the on-screen size with the view's scale).

    Attributes
    ----------
    radius : radius in frame units.
    hardness : 1 = hard edge (one mask pixel of anti-aliasing), 0 = feathered all the way from the centre.
    opacity : the most one stroke adds (a stroke never builds up beyond it, however often it crosses itself).
    erase : remove the selected anchor's paint instead of adding it.
    """

    radius: float
    hardness: float = 0.5
    opacity: float = 1.0
    erase: bool = False


def profile(dist: np.ndarray, radius: float, hardness: float) -> np.ndarray:
    """Brush weight at ``dist`` mask pixels from the stroke: 1 in the hard core, smoothstep to 0 at ``radius``."""
    feather = max(radius * (1.0 - min(max(hardness, 0.0), 1.0)), 1.0)
    t = np.clip((radius - dist) / feather, 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)


def segment_distance(px: np.ndarray, py: np.ndarray, a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
    """Distance of points (px, py) to the segment a-b (a capsule sweep: no gaps between stamps)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    if length2 <= 1e-12:
        return np.hypot(px - a[0], py - a[1])
    t = np.clip(((px - a[0]) * dx + (py - a[1]) * dy) / length2, 0.0, 1.0)
    return np.hypot(px - (a[0] + t * dx), py - (a[1] + t * dy))


class Stroke:
    """One stroke: the coverage (max of the brush over the path so far) composited onto the painting it began on.

    Painting anchor k with coverage c: its mask m becomes m + c (1 - m) and the other anchors' masks on the
    same layers become m (1 - c), so painted weights never sum past 1 ("over" compositing); erasing makes
    only the selected mask m (1 - c). Recomputing from the start painting keeps a stroke idempotent.

    Parameters
    ----------
    before : the painting when the stroke began.
    anchor, layers : which mask the stroke paints (anchor index and style-layer range).
    brush : the brush settings.
    """

    def __init__(self, before: Painting, anchor: int, layers: LayerRange, brush: Brush) -> None:
        self.before, self.key, self.brush = before, (anchor, layers), brush
        keys: list[LayerKey] = [self.key] if brush.erase else [self.key, *same_range(before, self.key)]
        self._start = {k: (m.tile_map() if (m := before.layer(k)) else {}) for k in keys}
        self._work: dict[LayerKey, Tiles] = {k: dict(v) for k, v in self._start.items()}
        self._coverage: dict[tuple[int, int], np.ndarray] = {}
        self._last: tuple[float, float] | None = None
        self.painting = before

    @property
    def touched(self) -> bool:
        return bool(self._coverage)

    def to(self, x: float, y: float) -> Painting:
        """Extend the stroke to frame point (x, y) (the first point stamps one dab); returns the new painting."""
        a = self._last or (x, y)
        self._last = (x, y)
        r = self.brush.radius * PPU
        ax, ay, bx, by = a[0] * PPU, a[1] * PPU, x * PPU, y * PPU
        lo, hi = -TILES * TILE, TILES * TILE
        j0, j1 = max(math.floor(min(ax, bx) - r), lo), min(math.ceil(max(ax, bx) + r) + 1, hi)
        i0, i1 = max(math.floor(min(ay, by) - r), lo), min(math.ceil(max(ay, by) + r) + 1, hi)
        if j1 <= j0 or i1 <= i0:
            return self.painting
        px, py = np.meshgrid(np.arange(j0, j1) + 0.5, np.arange(i0, i1) + 0.5)  # mask pixel centres
        dab = profile(segment_distance(px, py, (ax, ay), (bx, by)), r, self.brush.hardness)
        if not dab.any():
            return self.painting
        for ty in range(i0 // TILE, -(-i1 // TILE)):
            for tx in range(j0 // TILE, -(-j1 // TILE)):
                ya, xa = max(ty * TILE, i0), max(tx * TILE, j0)
                yb, xb = min((ty + 1) * TILE, i1), min((tx + 1) * TILE, j1)
                part = dab[ya - i0:yb - i0, xa - j0:xb - j0]
                if not part.any():
                    continue
                cov = self._coverage.setdefault((ty, tx), np.zeros((TILE, TILE), np.float32))
                view = cov[ya - ty * TILE:yb - ty * TILE, xa - tx * TILE:xb - tx * TILE]
                np.maximum(view, part, out=view)
                self._composite((ty, tx), cov)
        self.painting = self.before.replaced(self._work)
        return self.painting

    def _composite(self, t: tuple[int, int], cov: np.ndarray) -> None:
        c = self.brush.opacity * cov
        for key, start in self._start.items():
            m = start[t].array if t in start else np.zeros((TILE, TILE), np.float32)
            if key == self.key and not self.brush.erase:
                new = m + c * (1.0 - m)
            else:
                new = m * (1.0 - c)
            if new.any():
                self._work[key][t] = FrozenArray(new)
            else:
                self._work[key].pop(t, None)
