"""Pan reuse (DESIGN.md §5): a view moved by whole pixels keeps the pixels it still shows, renders only the strips.

Grids are computed per pixel from integer indices (engine/coords.py), so when the new center is the old one
plus a whole number of pixel steps along the (rotated) pixel axes, new pixel (x, y) has the coordinates of
old pixel (x + dx, y + dy). For generators whose pixels are independent, its value is then the old value;
the overlap is checked bitwise on the grids (float rounding of the center can move a coordinate by one
ulp) before any pixel is reused, and a frame that fails the check is rendered in full.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine.coords import camera_grid, pixel_step, rotation_cos_sin
from engine.errors import RenderCancelled, one_line
from engine.renderer import CancelToken, render_float, render_request, to_uint8
from engine.types import Frame, RenderRequest

if TYPE_CHECKING:
    from engine.models.base import Generator

SHIFT_TOL = 1e-6  # pixels: a center offset this close to whole pixels counts as a whole-pixel pan

Rect = tuple[int, int, int, int]  # (x, y, w, h) in output pixels


@dataclass(frozen=True)
class PanPlan:
    """How to build a panned frame from the previous one.

    Attributes
    ----------
    dx, dy : new pixel (x, y) shows previous pixel (x + dx, y + dy).
    keep : region of the new frame copied from the previous frame.
    strips : regions of the new frame to render (the exposed rows, then the exposed columns).
    """

    dx: int
    dy: int
    keep: Rect
    strips: tuple[Rect, ...]

    @property
    def source(self) -> Rect:
        """The previous frame's region that `keep` copies."""
        x, y, w, h = self.keep
        return x + self.dx, y + self.dy, w, h


def pan_offset(prev: RenderRequest, new: RenderRequest) -> tuple[int, int] | None:
    """(dx, dy) when `new` is `prev` moved by whole pixels (same size, zoom, rotation, style, full frame),
    else None. New pixel (x, y) then shows previous pixel (x + dx, y + dy)."""
    a, b = prev.camera, new.camera
    if (prev.size != new.size or prev.style != new.style or prev.precision != new.precision
            or prev.rect is not None or new.rect is not None
            or prev.stride != 1 or new.stride != 1 or a.zoom != b.zoom or a.rotation != b.rotation
            or a.projection != "plane" or b.projection != "plane"):
        return None
    w, h = new.size
    step = pixel_step(b, w, h)
    ox, oy = b.center[0] - a.center[0], b.center[1] - a.center[1]
    c, s = rotation_cos_sin(b.rotation)  # as camera_grid turns it
    fx, fy = (c * ox + s * oy) / step, (-s * ox + c * oy) / step  # the offset along the pixel axes
    dx, dy = round(fx), round(fy)
    if abs(fx - dx) > SHIFT_TOL or abs(fy - dy) > SHIFT_TOL or abs(dx) >= w or abs(dy) >= h:
        return None
    return dx, dy


def pan_plan(prev: RenderRequest, new: RenderRequest) -> PanPlan | None:
    """The reuse plan of a whole-pixel pan (see `pan_offset`), or None."""
    off = pan_offset(prev, new)
    if off is None:
        return None
    dx, dy = off
    w, h = new.size
    x0, x1 = max(0, -dx), min(w, w - dx)
    y0, y1 = max(0, -dy), min(h, h - dy)
    strips: list[Rect] = []
    if y0 > 0:
        strips.append((0, 0, w, y0))
    if y1 < h:
        strips.append((0, y1, w, h - y1))
    if x0 > 0:
        strips.append((0, y0, x0, y1 - y0))
    if x1 < w:
        strips.append((x1, y0, w - x1, y1 - y0))
    return PanPlan(dx, dy, (x0, y0, x1 - x0, y1 - y0), tuple(strips))


def pixels_are_local(g: Generator, req: RenderRequest) -> bool:
    """Whether each pixel of `req` depends only on its own coordinates (so reuse is exact)."""
    if req.style.noise != "none" or not getattr(g, "pixel_independent", True):
        return False
    # INR-GAN area-averages painted styles over the rendered descendants of each coarse pixel
    return not (req.style.masks is not None and g.family == "inrgan")


def grids_match(prev: RenderRequest, new: RenderRequest, plan: PanPlan) -> bool:
    """Bitwise equality of the kept pixels' coordinates in both views."""
    w, h = new.size
    return bool(np.array_equal(camera_grid(new.camera, w, h, rect=plan.keep),
                               camera_grid(prev.camera, w, h, rect=plan.source)))


def render_panned(g: Generator, prev: RenderRequest, prev_image: np.ndarray, new: RenderRequest,
                  plan: PanPlan, cancel: CancelToken | None = None) -> np.ndarray:
    """uint8 [H, W, 3] of `new`: the kept region copied from `prev_image`, the strips rendered."""
    w, h = new.size
    out = np.empty((h, w, 3), np.uint8)
    x, y, kw, kh = plan.keep
    sx, sy, _, _ = plan.source
    out[y:y + kh, x:x + kw] = prev_image[sy:sy + kh, sx:sx + kw]
    for rx, ry, rw, rh in plan.strips:
        grid = camera_grid(new.camera, w, h, rect=(rx, ry, rw, rh))
        out[ry:ry + rh, rx:rx + rw] = to_uint8(render_float(g, new.style, grid, cancel, quality=new.quality)[0])
    return out


class PanCache:
    """Remembers the last full frame of one generator and renders whole-pixel pans of it from the strips.

    A drop-in for `engine.renderer.render_request` on the engine thread: ``cache.render(g, req, cancel)``.
    Frames it builds carry ``extra["reused_pixels"]``. Use one cache per view; `clear()` after a model load.
    """

    def __init__(self) -> None:
        self._gen: Generator | None = None
        self._req: RenderRequest | None = None
        self._image: np.ndarray | None = None

    def clear(self) -> None:
        self._gen, self._req, self._image = None, None, None

    def plan(self, g: Generator, req: RenderRequest) -> PanPlan | None:
        """The plan `render` would use for `req` (None: full render)."""
        if self._req is None or self._gen is not g or self._req.quality != req.quality:
            return None
        if not pixels_are_local(g, req):
            return None
        try:
            plan = pan_plan(self._req, req)
            if plan is None or not grids_match(self._req, req, plan):
                return None
        except (ValueError, OverflowError):  # a bad camera (NaN / inf center): the full render reports it
            return None
        return plan

    def render(self, g: Generator, req: RenderRequest, cancel: CancelToken | None = None,
               plan: PanPlan | None = None) -> Frame:
        """Render `req`, from the strips when it pans the last full frame; ``plan``: what `plan(g, req)` just
        answered for this request, when the caller already asked (it is not computed twice)."""
        t0 = time.perf_counter()
        plan = plan if plan is not None else self.plan(g, req)
        if plan is None:
            frame = render_request(g, req, cancel)
        else:
            assert self._req is not None and self._image is not None
            try:
                img = render_panned(g, self._req, self._image, req, plan, cancel)
            except RenderCancelled:
                raise
            except (ValueError, RuntimeError, MemoryError) as e:
                return Frame(req.id, req.epoch, None, time.perf_counter() - t0, error=one_line(e))
            img.setflags(write=False)
            frame = Frame(req.id, req.epoch, img, time.perf_counter() - t0,
                          extra={"reused_pixels": plan.keep[2] * plan.keep[3]})
        if frame.image is not None and req.rect is None and req.stride == 1:
            self._gen = g
            self._req, self._image = req, frame.image
        return frame
