"""Style seam: seeds, mixing, per-layer tables, painted masks in frame coordinates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import load_generator
from engine.coords import camera_grid, pixel_step
from engine.renderer import render_float
from engine.styles import base_style, resolve_style, sample_masks, slerp, z_from_seed
from engine.types import Anchor, Camera, FrozenArray, StyleSpec


@pytest.fixture(scope="module")
def g(fixtures: Path):
    return load_generator(str(fixtures / "cips" / "cips_skip_32.pt"))


def test_seed_convention() -> None:
    assert np.array_equal(z_from_seed(5, 8), np.random.RandomState(5).randn(8).astype(np.float32))
    with pytest.raises(ValueError, match="seed"):
        z_from_seed(-1, 8)


def test_one_hot_layer_table_equals_w_plus(g) -> None:
    anchors = (Anchor(seed=1), Anchor(seed=2))
    table = np.zeros((g.num_ws, 2), np.float32)
    table[:5, 0] = 1
    table[5:, 1] = 1
    spec = StyleSpec(anchors=anchors, layer_table=FrozenArray(table))
    stacks, base = base_style(g, spec)
    wplus = np.concatenate([stacks[0, :5], stacks[1, 5:]])
    assert np.array_equal(base, wplus)
    grid = camera_grid(Camera(), 32, 32)
    assert np.array_equal(render_float(g, spec, grid), g.synthesis(wplus[None], grid=grid))


def test_mix_and_slerp(g) -> None:
    anchors = (Anchor(seed=1), Anchor(seed=2))
    stacks, half = base_style(g, StyleSpec(anchors=anchors, mix=(0.5, 0.5)))
    assert np.allclose(half, stacks.mean(0), atol=1e-6)
    _, s = base_style(g, StyleSpec(anchors=anchors, mix=(0.5, 0.5), interp="slerp-z"))
    z = slerp(z_from_seed(1, g.z_dim), z_from_seed(2, g.z_dim), 0.5)
    assert np.allclose(s, g.mapping(z[None])[0], atol=1e-6)
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    assert np.allclose(slerp(a, b, 0.5), [np.sqrt(0.5), np.sqrt(0.5)])
    with pytest.raises(ValueError, match="mix"):
        base_style(g, StyleSpec(anchors=anchors, mix=(1.0,)))


def test_mask_sampling_at_mask_pixel_centres() -> None:
    masks = np.random.default_rng(0).uniform(size=(2, 4, 6)).astype(np.float32)
    # pixel centres of a 6 x 4 mask over the extent (-1, -1, 1, 1)
    xs = -1 + (np.arange(6) + 0.5) * 2 / 6
    ys = -1 + (np.arange(4) + 0.5) * 2 / 4
    grid = np.stack(np.meshgrid(xs, ys), -1).astype(np.float32)
    assert np.allclose(sample_masks(masks, (-1, -1, 1, 1), grid), masks.transpose(1, 2, 0), atol=1e-6)
    far = np.full((1, 1, 2), 5.0, np.float32)
    assert np.all(sample_masks(masks, (-1, -1, 1, 1), far) == 0)


def test_painted_masks_are_a_partition_of_unity(g) -> None:
    masks = np.ones((2, 8, 8), np.float32)  # over-painted: both anchors at 1 -> normalised to 0.5 each
    spec = StyleSpec(anchors=(Anchor(seed=1), Anchor(seed=2)), masks=FrozenArray(masks))
    ws, weights = resolve_style(g, spec, camera_grid(Camera(), 16, 16))
    assert ws.shape == (3, g.num_ws, g.w_dim)
    assert np.allclose(weights.sum(-1), 1) and np.allclose(weights[4:12, 4:12], [0, 0.5, 0.5])
    with pytest.raises(ValueError, match="masks"):
        resolve_style(g, StyleSpec(masks=FrozenArray(np.full((1, 2, 2), np.nan))), camera_grid(Camera(), 4, 4))


def test_painted_region_stays_on_the_content_when_panning(g) -> None:
    """A stroke lives in frame coordinates: panning by whole pixels shifts the painted render exactly."""
    mask = np.zeros((2, 16, 16), np.float32)
    mask[1, 4:10, 6:12] = 1.0  # paint anchor 1 (seed 3) over the base style (anchor 0, seed 0)
    spec = StyleSpec(anchors=(Anchor(seed=0), Anchor(seed=3)), masks=FrozenArray(mask), mask_extent=(-1, -1, 1, 1))
    size = (40, 40)
    step = pixel_step(Camera(), *size)
    a = render_float(g, spec, camera_grid(Camera(), *size))
    b = render_float(g, spec, camera_grid(Camera(center=(5 * step, 3 * step)), *size))
    # the view moved right/down by (5, 3) pixels, so the content moved left/up by that much
    assert np.abs(a[..., 3:, 5:] - b[..., :-3, :-5]).max() <= 1e-4
    plain = render_float(g, StyleSpec(), camera_grid(Camera(), *size))
    painted = np.abs(a - plain).max(axis=(0, 1)) > 1e-3
    assert 0.05 < painted.mean() < 0.6  # the stroke changed a region, not everything


def test_painted_render_maps_each_anchor_once_per_job(g, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tiled render with painted masks maps the anchors once, not once per band (the bands only resample
    the masks); the pixels equal the per-band resolve."""
    masks = np.zeros((2, 8, 8), np.float32)
    masks[1, 2:6, 1:5] = 1.0
    style = StyleSpec(anchors=(Anchor(seed=1), Anchor(seed=2)), masks=FrozenArray(masks), psi=0.7)
    grid = camera_grid(Camera(rotation=20.0), 48, 48)
    calls = []
    real = g.mapping
    monkeypatch.setattr(g, "mapping", lambda *a, **k: calls.append(1) or real(*a, **k))
    img = render_float(g, style, grid, tile_pixels=48 * 6)  # 8 bands
    assert len(calls) == 2
    ws, weights = resolve_style(g, style, grid)
    assert np.array_equal(img, g.synthesis(ws, grid=grid, weights=weights))


def test_non_finite_inputs_are_refused_on_the_host_and_as_tensors(g) -> None:
    """NaN / inf in ws, grid or weights: a ValueError naming the argument, whether a host array (checked before
    the upload, so an accelerator is not waited for) or an engine-internal tensor."""
    import torch

    ws = g.mapping(np.zeros((1, g.z_dim), np.float32))
    grid = camera_grid(Camera(), 8, 8)
    for name, kwargs in (("ws", {"ws": np.full_like(ws, np.nan)}),
                         ("grid", {"ws": ws, "grid": np.where(grid > 0.5, np.inf, grid)}),
                         ("weights", {"ws": ws, "grid": grid, "weights": np.full((8, 8, 1), np.nan, np.float32)})):
        with pytest.raises(ValueError, match=f"{name}: contains NaN or infinite values"):
            g.synthesis(**kwargs)
    with pytest.raises(ValueError, match="ws: contains NaN"):
        g.synthesis(torch.full(ws.shape, float("nan")), grid=grid)
    assert np.isfinite(g.synthesis(ws, grid=grid)).all()
