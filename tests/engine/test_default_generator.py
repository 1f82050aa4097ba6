"""The embedded default generator in resources/: loads, renders finite landscapes, stays small."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine import load_generator
from engine.checkpoints import default_path
from engine.coords import camera_grid
from engine.types import Camera


@pytest.fixture(scope="module")
def gen():  # type: ignore[no-untyped-def]
    return load_generator("default")


def test_file_is_small_and_documented() -> None:
    p = default_path()
    assert p.exists() and p.stat().st_size <= 25 * 2**20
    assert p.with_suffix(".md").exists()  # the model card


def test_loads_as_small_cips_skip(gen) -> None:  # type: ignore[no-untyped-def]
    info = gen.info
    assert info["family"] == "cips-skip" and info["resolution"] == 64
    assert info["num_params"] <= 1_500_000
    extra = json.loads(gen.metadata["extra"])
    assert extra["flops_per_pixel"] <= 1_000_000 and extra["steps"] > 0


def test_renders_finite_varied_images(gen) -> None:  # type: ignore[no-untyped-def]
    z = np.random.default_rng(0).standard_normal((6, gen.z_dim))
    img = gen.synthesis(gen.mapping(z))
    assert img.shape == (6, 3, 64, 64) and img.dtype == np.float32
    assert np.isfinite(img).all()
    assert -1.6 < img.min() and img.max() < 1.6
    assert img.std(axis=(1, 2, 3)).min() > 0.05
    assert np.abs(img[0] - img[1]).mean() > 0.05


def test_samples_look_like_landscapes(gen) -> None:  # type: ignore[no-untyped-def]
    """Sky above ground: the top rows differ in colour from the bottom rows in most samples."""
    z = np.random.default_rng(1).standard_normal((16, gen.z_dim))
    img = (np.clip(gen.synthesis(gen.mapping(z)), -1, 1) + 1) * 127.5
    diff = np.abs(img[:, :, :6].mean(axis=(2, 3)) - img[:, :, -6:].mean(axis=(2, 3))).sum(axis=1)
    assert (diff > 20).mean() >= 0.7


def test_extrapolates_and_super_resolves(gen) -> None:  # type: ignore[no-untyped-def]
    ws = gen.mapping(np.random.default_rng(2).standard_normal((1, gen.z_dim)))
    wide = gen.synthesis(ws, grid=camera_grid(Camera(zoom=0.5), 96, 48))
    dense = gen.synthesis(ws, grid=camera_grid(Camera(), 128, 128))
    assert wide.shape == (1, 3, 48, 96) and np.isfinite(wide).all()
    assert dense.shape == (1, 3, 128, 128) and np.isfinite(dense).all()
