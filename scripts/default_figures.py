"""Figures of the default generator for docs/: samples (2x super-resolved), zoom 0.5, full-turn panoramas, data."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import load_generator
from engine.coords import camera_grid, periodic_strip, wrap_blend
from engine.training.landscapes import render_frame
from engine.types import Camera


def to_u8(x: np.ndarray) -> np.ndarray:
    return ((np.clip(x, -1, 1) + 1) * 127.5 + 0.5).astype(np.uint8).transpose(0, 2, 3, 1)


def tile(imgs: np.ndarray, cols: int, pad: int = 2) -> np.ndarray:
    n, h, w, _ = imgs.shape
    rows = (n + cols - 1) // cols
    out = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad, 3), 255, np.uint8)
    for i, im in enumerate(imgs):
        r, c = divmod(i, cols)
        out[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = im
    return out


def main(out: Path = Path("docs/default_generator"),
         ckpt: str = sys.argv[1] if len(sys.argv) > 1 else "default") -> None:
    torch.set_num_threads(1)
    out.mkdir(parents=True, exist_ok=True)
    g = load_generator(ckpt)
    ws = g.mapping(np.random.default_rng(2024).standard_normal((24, g.z_dim)))
    save = {"quality": 88, "optimize": True}
    ident = to_u8(g.synthesis(ws, grid=camera_grid(Camera(), 128, 128)))
    Image.fromarray(tile(ident, 8)).save(out / "samples.jpg", **save)
    zoom = to_u8(g.synthesis(ws, grid=camera_grid(Camera(zoom=0.5), 128, 128)))
    Image.fromarray(tile(zoom, 8)).save(out / "zoom05.jpg", **save)
    if g.period_x:  # a full turn at the model's own period, no cross-fade: column 0 continues the last one
        cam, (pw, ph) = periodic_strip(g.period_x, 768)
        grid, wrap = camera_grid(cam, pw, ph), wrap_blend(cam, pw, ph)
        assert wrap is None  # blend 0
    else:
        grid = camera_grid(Camera(), 512, 128)
    pano = to_u8(np.concatenate([g.synthesis(ws[i:i + 1], grid=grid) for i in range(4)]))
    Image.fromarray(tile(pano, 1)).save(out / "panoramas.jpg", **save)
    data = np.stack([render_frame(s, 128) for s in range(24)])  # evaluation seeds: held out from training
    Image.fromarray(tile(data, 8)).save(out / "data.jpg", **save)


if __name__ == "__main__":
    main()
