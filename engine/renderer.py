"""RenderRequest -> Frame: grid from the camera, styles from the spec, tiled synthesis, uint8 output."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.coords import WrapBlend, camera_grid, wrap_blend
from engine.errors import RenderCancelled, one_line
from engine.styles import base_style, resolve_style
from engine.types import Camera, Frame, RenderRequest, StyleSpec

if TYPE_CHECKING:
    from engine.models.base import Generator

# no torch at import: the app imports this module before its window shows (engine/device_frame.py has it)

TILE_PIXELS = 128 * 128  # pixels per synthesis call: bounds memory and gives cancel points
DEVICE_TILE_PIXELS = 512 * 512  # on an accelerator: whole interactive frames per call (a band that does not
# fit is split by `render_grid_tensor`)


class CancelToken:
    """Cooperative cancellation: long jobs call `check()` between tiles."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise RenderCancelled("cancelled")


def to_uint8(rgb: np.ndarray) -> np.ndarray:
    """Model range [-1, 1] float [3, H, W] -> uint8 [H, W, 3] (clamped, rounded)."""
    x = np.clip((np.asarray(rgb, np.float32) + 1.0) * 127.5 + 0.5, 0.0, 255.0)
    return x.astype(np.uint8).transpose(1, 2, 0)


def bands(height: int, width: int, tile_pixels: int = TILE_PIXELS) -> Iterator[tuple[int, int]]:
    """Row bands (y0, rows) of at most ~tile_pixels pixels."""
    rows = max(1, tile_pixels // max(width, 1))
    for y0 in range(0, height, rows):
        yield y0, min(rows, height - y0)


StylesFn = Callable[[np.ndarray], tuple[np.ndarray, "np.ndarray | None"]]
GridFn = Callable[[int, int], np.ndarray]


def spec_styles(g: Generator, style: StyleSpec) -> StylesFn:
    """Band grid -> (ws, weights) for a StyleSpec; anchors are mapped once, masks sampled per band."""
    if style.masks is None:
        ws, _ = resolve_style(g, style, np.zeros((1, 1, 2), np.float32))
        return lambda grid: (ws, None)
    mapped = base_style(g, style)
    return lambda grid: resolve_style(g, style, grid, mapped)


def is_out_of_memory(e: BaseException) -> bool:
    """Whether `e` is an allocation failure (host MemoryError, torch's CPU allocator, CUDA out of memory)."""
    text = str(e).lower()
    return isinstance(e, MemoryError) or (isinstance(e, RuntimeError) and any(
        s in text for s in ("out of memory", "can't allocate memory", "not enough memory")))


def render_grid(g: Generator, styles: StylesFn, grid: np.ndarray, noise: str | Sequence[Any] = "none",
                ablate: Sequence[str] = (), wrap: WrapBlend | None = None, quality: str = "exact") -> np.ndarray:
    """Float render [B, 3, H, W] of one grid (one tile or band); ``wrap`` (a cylinder strip's cross-faded
    columns, `engine.coords.wrap_blend`) blends in those pixels rendered one period to the left; ``quality``
    as in `Generator.synthesis`. See `engine.device_frame.render_grid_tensor`."""
    from engine.device_frame import render_grid_tensor

    return render_grid_tensor(g, styles, grid, noise, ablate, wrap, quality).cpu().numpy()


def render_bands(
    g: Generator,
    styles: StylesFn,
    band_grid: GridFn,
    height: int,
    width: int,
    noise: str | Sequence[Any] = "none",
    ablate: Sequence[str] = (),
    cancel: CancelToken | None = None,
    tile_pixels: int = TILE_PIXELS,
    wrap: WrapBlend | None = None,
    quality: str = "exact",
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (y0, float [B, 3, rows, W]) row band by row band; ``band_grid(y0, rows)`` gives each band's
    coordinates and ``wrap`` (for all ``height`` rows) the cylinder cross-fade. Pixels are independent, so
    bands equal the same rows of an untiled render."""
    for y0, rows in bands(height, width, tile_pixels):
        if cancel is not None:
            cancel.check()
        yield y0, render_grid(g, styles, band_grid(y0, rows), noise, ablate,
                              None if wrap is None else wrap.rows(y0, rows), quality)


def tile_pixels_for(g: Generator, quality: str = "exact") -> int:
    """Band size for `g`: its own ``tile_pixels`` hint (families that bound memory internally and share
    work across a band, e.g. INR-GAN's coarse scales, take bigger bands), else TILE_PIXELS; for interactive
    quality its ``interactive_tile_pixels`` when it has one; on an accelerator at least DEVICE_TILE_PIXELS."""
    if quality == "interactive" and g.interactive_tile_pixels:
        n = int(g.interactive_tile_pixels)
    else:
        n = int(getattr(g, "tile_pixels", TILE_PIXELS))
    return n if g.device.type == "cpu" else max(n, DEVICE_TILE_PIXELS)


def render_float(
    g: Generator,
    style: StyleSpec,
    grid: np.ndarray,
    cancel: CancelToken | None = None,
    tile_pixels: int | None = None,
    wrap: WrapBlend | None = None,
    quality: str = "exact",
) -> np.ndarray:
    """Float render [B, 3, H, W] of an explicit grid (and its cylinder ``wrap``), tiled in row bands
    (``tile_pixels`` None: the generator's hint for this ``quality``)."""
    tile_pixels = tile_pixels or tile_pixels_for(g, quality)
    h, w = grid.shape[:2]
    out: np.ndarray | None = None
    for y0, part in render_bands(g, spec_styles(g, style), lambda y, r: grid[y:y + r], h, w,
                                 style.noise, style.ablate, cancel, tile_pixels, wrap, quality):
        if out is None:
            out = np.empty((part.shape[0], 3, h, w), np.float32)
        out[:, :, y0:y0 + part.shape[2]] = part
    assert out is not None
    return out


def render_camera(
    g: Generator,
    style: StyleSpec,
    camera: Camera,
    size: tuple[int, int],
    rect: tuple[int, int, int, int] | None = None,
    stride: int = 1,
    cancel: CancelToken | None = None,
    quality: str = "exact",
) -> np.ndarray:
    """Float render [B, 3, H, W] of what ``camera`` sees at ``size`` (any projection; ``rect`` / ``stride``
    as in `camera_grid`): the camera's grid plus, for a cylinder strip, its wrap cross-fade."""
    w, h = size
    return render_float(g, style, camera_grid(camera, w, h, rect, stride), cancel,
                        wrap=wrap_blend(camera, w, h, rect, stride), quality=quality)


def render_request(g: Generator, req: RenderRequest, cancel: CancelToken | None = None) -> Frame:
    """Render one request to a read-only uint8 frame (`engine.device_frame.render_uint8`: on the generator's
    device from start to end); errors come back in `Frame.error`."""
    from engine.device_frame import render_uint8

    t0 = time.perf_counter()
    try:
        img = render_uint8(g, req.style, req.camera, req.size, req.rect, req.stride, cancel, req.quality)
        img.setflags(write=False)
        return Frame(req.id, req.epoch, img, time.perf_counter() - t0, stride=req.stride, final=req.stride == 1)
    except RenderCancelled:
        raise
    except (ValueError, RuntimeError, MemoryError) as e:
        return Frame(req.id, req.epoch, None, time.perf_counter() - t0, error=one_line(e), stride=req.stride)


def render_image(g: Generator, style: StyleSpec | None = None, camera: Camera | None = None,
                 size: tuple[int, int] | None = None) -> np.ndarray:
    """Convenience: uint8 [H, W, 3] of one view (identity camera at the native size by default)."""
    from engine.device_frame import render_uint8

    n = g.resolution
    return render_uint8(g, style or StyleSpec(), camera or Camera(), size or (n, n))
