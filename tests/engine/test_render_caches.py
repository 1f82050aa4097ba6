"""Caches kept across renders (INR-GAN folded weights) follow the style; the renderer's band-size hint."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from engine.checkpoints.network_pickle import load_network_pickle
from engine.coords import camera_grid
from engine.models.inrgan import InrGanGenerator
from engine.renderer import DEVICE_TILE_PIXELS, TILE_PIXELS, render_float, tile_pixels_for
from engine.types import Camera, StyleSpec


def _inrgan(fixtures: Path) -> InrGanGenerator:
    path = fixtures / "inrgan" / "inrgan_small.pkl"
    return InrGanGenerator.from_snapshot(load_network_pickle(path), "cpu", str(path))


def test_inrgan_folded_weights_follow_the_style(fixtures: Path) -> None:
    g = _inrgan(fixtures)
    ws = g.mapping(np.random.default_rng(3).normal(size=(2, g.z_dim)))
    grid = camera_grid(Camera(center=(0.1, 0.2), zoom=1.4), 24, 20)
    a = g.synthesis(ws[:1], grid=grid)
    b = g.synthesis(ws[1:], grid=grid)
    assert not np.array_equal(a, b)
    assert np.array_equal(g.synthesis(ws[:1], grid=grid), a)
    assert np.array_equal(b, _inrgan(fixtures).synthesis(ws[1:], grid=grid))


def test_band_size_hint(fixtures: Path) -> None:
    g = _inrgan(fixtures)
    assert tile_pixels_for(g) == g.tile_pixels > TILE_PIXELS
    plain = SimpleNamespace(device=torch.device("cpu"), interactive_tile_pixels=None)  # a family with no hint
    assert tile_pixels_for(plain) == TILE_PIXELS  # type: ignore[arg-type]
    accelerator = SimpleNamespace(device=torch.device("meta"), interactive_tile_pixels=None, tile_pixels=4096)
    assert tile_pixels_for(accelerator) == DEVICE_TILE_PIXELS  # type: ignore[arg-type]  # whole frames there
    grid = camera_grid(Camera(rotation=10.0), 48, 40)
    whole = render_float(g, StyleSpec(), grid)
    assert np.array_equal(render_float(g, StyleSpec(), grid, tile_pixels=48 * 7), whole)


def test_allocator_tuning_is_idempotent() -> None:
    from engine.runtime import tune_allocator

    first = tune_allocator()
    assert isinstance(first, bool) and tune_allocator() is first
