"""Mask images: greyscale import (any size or mode, converted with notes), 16-bit PNG export, the overlay image."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.state.masks import TILE, FrozenArray, Painting, tile_extent

if TYPE_CHECKING:
    from collections.abc import Sequence

EXTENT_KEY = "inr-explorer-mask-extent"  # PNG text chunk: the frame extent "x0 y0 x1 y1" an exported mask covers
FRAME = (-1.0, -1.0, 1.0, 1.0)
OVERLAY_ALPHA = 0.4  # overlay opacity where a mask is fully painted (the image stays readable)


@dataclass
class MaskImage:
    """A mask read from an image file: values in [0, 1], the frame extent they cover, and what was converted."""

    raster: np.ndarray
    extent: tuple[float, float, float, float] = FRAME
    notes: list[str] = field(default_factory=list)


def _extent_of(path: str) -> tuple[float, float, float, float] | None:
    from PIL import Image

    try:
        with Image.open(path) as im:
            text = getattr(im, "text", {}).get(EXTENT_KEY)
    except (OSError, ValueError):
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in str(text).split())
    except ValueError:
        return None
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 and all(np.isfinite((x0, y0, x1, y1))) else None


def read_mask_image(path: str) -> MaskImage:
    """Read ``path`` as a mask; ValueError (one line) when it cannot be used, e.g. unreadable or NaN values.

    8/16-bit and float greyscale keep their precision; colour becomes luminance and transparency multiplies
    in (transparent = unpainted), each noted. Without an extent chunk the image covers the training frame.
    """
    import cv2

    try:
        data = np.fromfile(path, np.uint8)
    except OSError as e:
        raise ValueError(f"cannot read {os.path.basename(path)} ({e.strerror or e})") from None
    a = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if a is None or a.size == 0:
        raise ValueError(f"{os.path.basename(path)} is not an image OpenCV can read")
    notes: list[str] = []
    if a.dtype == np.uint8:
        scale = 255.0
    elif a.dtype == np.uint16:
        scale = 65535.0
    elif a.dtype in (np.float32, np.float64):
        scale = 1.0
        if not np.isfinite(a).all():
            raise ValueError(f"{os.path.basename(path)} holds NaN or infinite values")
    else:
        scale = float(np.iinfo(a.dtype.type).max) if np.issubdtype(a.dtype, np.integer) else 1.0  # type: ignore[type-var]
        notes.append(f"{a.dtype} values were scaled to 0–1")
    a = a.astype(np.float32) / scale
    alpha = None
    if a.ndim == 3:
        if a.shape[2] in (2, 4):
            a, alpha = a[..., :-1], a[..., -1]
        if a.shape[2] == 3:
            b, g, r = a[..., 0], a[..., 1], a[..., 2]
            if not (np.array_equal(b, g) and np.array_equal(g, r)):
                notes.append("colour was converted to grey (luminance)")
            a = 0.299 * r + 0.587 * g + 0.114 * b
        else:
            a = a[..., 0]
    if alpha is not None and (alpha < 1.0).any():
        a = a * alpha
        notes.append("transparency was multiplied in (transparent = unpainted)")
    if a.min() < 0.0 or a.max() > 1.0:
        notes.append("values outside 0–1 were clipped")
    return MaskImage(np.clip(a, 0.0, 1.0).astype(np.float32), _extent_of(path) or FRAME, notes)


def write_mask_png(path: str, raster: np.ndarray, extent: tuple[float, float, float, float]) -> None:
    """16-bit greyscale PNG (written atomically) with the frame extent it covers in a text chunk."""
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text(EXTENT_KEY, " ".join(f"{v:.9g}" for v in extent))
    image = Image.fromarray(np.round(np.clip(raster, 0.0, 1.0) * 65535.0).astype(np.uint16))
    tmp = f"{path}.part"
    try:
        image.save(tmp, "PNG", pnginfo=info)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def overlay(painting: Painting, num_anchors: int, colors: Sequence[tuple[int, int, int]],
            cache: dict[object, np.ndarray]) -> tuple[np.ndarray, tuple[float, float, float, float]] | None:
    """RGBA uint8 overlay of the painted masks (each anchor in its colour) and the frame extent it covers.

    Tiles are composed from ``cache`` (keyed by the masks' tile contents), so a stroke recolours only its tiles.
    """
    per_tile: dict[tuple[int, int], list[tuple[int, FrozenArray]]] = {}
    for m in painting.layers:
        if m.anchor < num_anchors:
            for t, tile in m.tiles:
                per_tile.setdefault(t, []).append((m.anchor, tile))
    if not per_tile:
        return None
    if len(cache) > 4096:
        cache.clear()
    t0 = (min(t[0] for t in per_tile), min(t[1] for t in per_tile))
    t1 = (max(t[0] for t in per_tile) + 1, max(t[1] for t in per_tile) + 1)
    out = np.zeros(((t1[0] - t0[0]) * TILE, (t1[1] - t0[1]) * TILE, 4), np.uint8)
    for (ty, tx), parts in per_tile.items():
        key = tuple((a, tile.digest) for a, tile in parts) + (tuple(colors[a % len(colors)] for a, _ in parts),)
        rgba = cache.get(key)
        if rgba is None:
            rgba = cache[key] = _overlay_tile(parts, colors)
        y, x = (ty - t0[0]) * TILE, (tx - t0[1]) * TILE
        out[y:y + TILE, x:x + TILE] = rgba
    return out, tile_extent(t0, t1)


def _overlay_tile(parts: list[tuple[int, FrozenArray]], colors: Sequence[tuple[int, int, int]]) -> np.ndarray:
    total = np.zeros((TILE, TILE), np.float32)
    rgb = np.zeros((TILE, TILE, 3), np.float32)
    for a, tile in parts:
        rgb += tile.array[..., None] * np.asarray(colors[a % len(colors)], np.float32)
        total += tile.array
    colour = rgb / np.maximum(total, 1e-6)[..., None]
    alpha = np.minimum(total, 1.0) * (255.0 * OVERLAY_ALPHA)
    return np.concatenate([colour, alpha[..., None]], axis=-1).round().clip(0, 255).astype(np.uint8)
