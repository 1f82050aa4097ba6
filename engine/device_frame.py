"""The renderer's device side: one grid or one frame rendered on the generator's device, left there until the
frame is done.

`render_uint8` is the engine thread's frame path (`engine.renderer.render_request`): the grid is built on the
device (`engine.device_grid`), bands are written into one device frame without a wait between them, the uint8
conversion runs there and the frame comes back in one copy (page-locked on CUDA). On the CPU it gives the same
bytes as ``to_uint8(render_camera(...)[0])``. Kept apart from `engine.renderer` because it imports torch, which
the app does not load before its window shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from engine.coords import WrapBlend, camera_grid, wrap_blend
from engine.device_grid import device_grid
from engine.renderer import CancelToken, StylesFn, bands, is_out_of_memory, spec_styles, tile_pixels_for
from engine.types import Camera, StyleSpec

if TYPE_CHECKING:
    from engine.models.base import Generator


def render_grid_tensor(g: Generator, styles: StylesFn, grid: np.ndarray | torch.Tensor,
                       noise: str | Sequence[Any] = "none", ablate: Sequence[str] = (), wrap: WrapBlend | None = None,
                       quality: str = "exact") -> torch.Tensor:
    """`render_grid` left on the generator's device, for a host grid or one built there (`device_grid`; then
    ``styles`` must not read it: only painted masks do).

    A grid that runs out of memory is rendered again as two halves of its rows (recursively, down to one
    row); pixels are independent, so the result is the same. Other errors, and a one-row grid that still
    does not fit, are raised."""
    try:
        with torch.inference_mode():
            return _render_grid_once(g, styles, grid, noise, ablate, wrap, quality)
    except (MemoryError, RuntimeError) as e:
        if grid.shape[0] < 2 or not is_out_of_memory(e):
            raise
    # outside the except block, so the failed attempt's tensors (held by the traceback) are freed first
    half = grid.shape[0] // 2
    parts = [render_grid_tensor(g, styles, grid[y0:y1], noise, ablate,
                                None if wrap is None else wrap.rows(y0, y1 - y0), quality)
             for y0, y1 in ((0, half), (half, grid.shape[0]))]
    return torch.cat(parts, dim=2)


def _render_grid_once(g: Generator, styles: StylesFn, grid: np.ndarray | torch.Tensor, noise: str | Sequence[Any],
                      ablate: Sequence[str], wrap: WrapBlend | None, quality: str) -> torch.Tensor:
    ws, weights = styles(grid)  # type: ignore[arg-type]  # a device grid only goes with styles that ignore it
    img = g.synthesis_tensor(ws, grid=grid, weights=weights, noise=noise, ablate=ablate, quality=quality)
    if wrap is not None:
        ws2, weights2 = styles(wrap.grid)  # styles and painted masks at the shifted pixels' own coordinates
        shifted = g.synthesis_tensor(ws2, grid=wrap.grid, weights=weights2, noise=noise, ablate=ablate,
                                     quality=quality)
        cols = torch.from_numpy(wrap.cols).to(img.device)
        a = torch.from_numpy(wrap.weight).to(img.device)
        img[..., cols] = img[..., cols] * (1.0 - a) + shifted * a
    return img


def to_uint8_tensor(rgb: torch.Tensor) -> torch.Tensor:
    """`to_uint8` on the tensor's device (the same float32 operations, so the same bytes): [3, H, W] ->
    contiguous uint8 [H, W, 3]."""
    return ((rgb.float() + 1.0) * 127.5 + 0.5).clamp_(0.0, 255.0).to(torch.uint8).permute(1, 2, 0).contiguous()


def download(t: torch.Tensor) -> np.ndarray:
    """A device tensor as a host array: one copy, through page-locked memory on CUDA (a DMA the driver need not
    stage), then one wait for the stream."""
    if t.device.type == "cpu":
        return t.numpy()
    if t.device.type != "cuda":
        return t.cpu().numpy()
    host = torch.empty(t.shape, dtype=t.dtype, pin_memory=True)  # torch's host allocator recycles these
    host.copy_(t, non_blocking=True)
    torch.cuda.current_stream(t.device).synchronize()
    return host.numpy()


def render_uint8(
    g: Generator,
    style: StyleSpec,
    camera: Camera,
    size: tuple[int, int],
    rect: tuple[int, int, int, int] | None = None,
    stride: int = 1,
    cancel: CancelToken | None = None,
    quality: str = "exact",
) -> np.ndarray:
    """uint8 [H, W, 3] of what ``camera`` sees (arguments as `render_camera`, the same bytes as
    ``to_uint8(render_camera(...)[0])``), computed on the generator's device from start to end: the grid
    built there (`device_grid`; painted masks are sampled on the host grid), bands written into one device
    frame with no wait between them, converted to uint8 there and downloaded once."""
    w, h = size
    grid: np.ndarray | torch.Tensor
    if style.masks is None:
        grid = device_grid(camera, w, h, rect, stride, g.device)
    else:
        grid = camera_grid(camera, w, h, rect, stride)
    wrap = wrap_blend(camera, w, h, rect, stride)
    styles = spec_styles(g, style)
    rows, cols = grid.shape[:2]
    with torch.inference_mode():
        out = torch.empty((3, rows, cols), dtype=torch.float32, device=g.device)
        for y0, n in bands(rows, cols, tile_pixels_for(g, quality)):
            if cancel is not None:
                cancel.check()
            out[:, y0:y0 + n] = render_grid_tensor(g, styles, grid[y0:y0 + n], style.noise, style.ablate,
                                                   None if wrap is None else wrap.rows(y0, n), quality)[0]
        return download(to_uint8_tensor(out))
