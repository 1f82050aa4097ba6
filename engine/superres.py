"""Super-resolution compare: a render at k x density vs. the native render upsampled (nearest, bicubic, Lanczos).

The dense render samples the points OpenCV's resize assumes (dense pixel j <-> native pixel (j + 0.5) / k - 0.5),
not the camera's own k x grid (whose endpoints stay on the native endpoints), so the two sides of the
comparison show the same content at the same positions and differ only in how the in-between values arise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.analysis import psnr, ssim, upsample
from engine.coords import camera_grid, pixel_step, wrap_blend
from engine.renderer import CancelToken, StylesFn, render_bands
from engine.types import Camera

if TYPE_CHECKING:
    from engine.models.base import Generator

METHODS = ("nearest", "bicubic", "lanczos")
WRAP_PAD = 4  # native columns wrapped around a cylinder strip before resizing (Lanczos-4 support)


def dense_camera(camera: Camera, width: int, height: int, factor: int) -> Camera:
    """The camera whose (k W) x (k H) grid puts dense pixel j at native pixel (j + 0.5) / k - 0.5.

    For an odd k, dense pixel (k i + (k - 1) / 2, k j + (k - 1) / 2) is native pixel (i, j). The same zoom
    serves cylinder strips: step / k over k W columns is the same turn, the same yaw and the same cross-fade.
    """
    k = int(factor)
    if k < 1:
        raise ValueError(f"factor: expected an integer >= 1, got {factor}")
    pixel_step(camera, width, height)
    n = min(width, height)
    return dataclasses.replace(camera, zoom=camera.zoom * k * max(n - 1, 1) / max(k * n - 1, 1))


def _render(g: Generator, styles: StylesFn, camera: Camera, width: int, height: int,
            noise: str | Sequence[Any], ablate: Sequence[str], cancel: CancelToken | None) -> np.ndarray:
    out = np.empty((3, height, width), np.float32)
    for y0, part in render_bands(g, styles, lambda y, r: camera_grid(camera, width, height, rect=(0, y, width, r)),
                                 height, width, noise, ablate, cancel, wrap=wrap_blend(camera, width, height)):
        if part.shape[0] != 1:
            raise ValueError("ws: the super-resolution compare renders one image at a time (B = 1)")
        out[:, y0:y0 + part.shape[2]] = part[0]
    return out


def upsample_view(img: np.ndarray, factor: int, method: str, wrap: bool = False) -> np.ndarray:
    """k x upsample of float [3, H, W]; ``wrap`` treats the columns as periodic (cylinder panoramas)."""
    _, h, w = img.shape
    if not wrap:
        return upsample(img, w * factor, h * factor, method)
    p = min(WRAP_PAD, w)
    padded = np.concatenate([img[..., w - p:], img, img[..., :p]], axis=-1)
    big = upsample(padded, (w + 2 * p) * factor, h * factor, method)
    return big[..., p * factor:(p + w) * factor]


@dataclass(frozen=True)
class SRComparison:
    """Dense render vs. upsampled native render, full size and cropped.

    Attributes
    ----------
    factor : k.
    native : float32 [3, H, W], the native-density render.
    images : float32 [3, kH, kW] per key: "render" (the k x density render) and each upsampling method.
    crop : (x, y, w, h) of the crop in dense pixels (k x the native crop).
    crops : the same keys cropped, [3, h, w], for a zoomed side-by-side view.
    metrics : per method {"psnr": dB, "ssim": mean SSIM} against the dense render (model range [-1, 1]).
    """

    factor: int
    native: np.ndarray
    images: dict[str, np.ndarray]
    crop: tuple[int, int, int, int]
    crops: dict[str, np.ndarray]
    metrics: dict[str, dict[str, float]]


def sr_compare(
    g: Generator,
    styles: StylesFn | np.ndarray,
    camera: Camera,
    size: tuple[int, int],
    factor: int = 4,
    crop: tuple[int, int, int, int] | None = None,
    methods: Sequence[str] = METHODS,
    noise: str | Sequence[Any] = "none",
    ablate: Sequence[str] = (),
    cancel: CancelToken | None = None,
) -> SRComparison:
    """Render ``size`` = (W, H) natively and at ``factor`` x density; upsample the native render by ``methods``.

    ``crop`` = (x, y, w, h) in native pixels (default: the central quarter); returned crops are k x larger.
    ``styles``: a `StylesFn` or ws [1, num_ws, w_dim].
    """
    w, h, k = int(size[0]), int(size[1]), int(factor)
    if k < 1:
        raise ValueError(f"factor: expected an integer >= 1, got {factor}")
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"methods: expected any of {', '.join(METHODS)}, got {m!r}")
    if crop is None:
        crop = (w // 4, h // 4, max(1, w // 2), max(1, h // 2))
    cx, cy, cw, ch = (int(v) for v in crop)
    if cw < 1 or ch < 1 or cx < 0 or cy < 0 or cx + cw > w or cy + ch > h:
        raise ValueError(f"crop: {crop} is not inside the {w} x {h} native view")
    if isinstance(styles, np.ndarray):
        ws = styles
        styles = lambda _grid: (ws, None)  # noqa: E731
    native = _render(g, styles, camera, w, h, noise, ablate, cancel)
    images = {"render": _render(g, styles, dense_camera(camera, w, h, k), k * w, k * h, noise, ablate, cancel)}
    for m in methods:
        images[m] = upsample_view(native, k, m, wrap=camera.projection == "cylinder")
    box = (k * cx, k * cy, k * cw, k * ch)
    crops = {name: im[:, box[1]:box[1] + box[3], box[0]:box[0] + box[2]] for name, im in images.items()}
    ref = images["render"]
    metrics = {m: {"psnr": psnr(images[m], ref), "ssim": ssim(images[m], ref)} for m in methods}
    return SRComparison(k, native, images, box, crops, metrics)
