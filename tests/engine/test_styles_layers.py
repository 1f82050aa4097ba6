"""Painted masks routed to anchors and layer ranges (mask_anchors / mask_layers): exact and backward compatible."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import load_generator
from engine.coords import camera_grid
from engine.renderer import render_float
from engine.serialize import style_from_json, style_to_json
from engine.styles import base_style, resolve_style
from engine.types import Anchor, Camera, FrozenArray, StyleSpec

ANCHORS = (Anchor(seed=0), Anchor(seed=3))


@pytest.fixture(scope="module")
def g(fixtures: Path):
    return load_generator(str(fixtures / "cips" / "cips_skip_32.pt"))


def _mask(value: float = 1.0) -> np.ndarray:
    m = np.zeros((8, 8), np.float32)
    m[2:6, 1:5] = value
    return m


def test_identity_routing_equals_the_plain_masks(g) -> None:
    masks = FrozenArray(np.stack([_mask(0.3), _mask(0.9)]))
    grid = camera_grid(Camera(), 24, 24)
    plain = resolve_style(g, StyleSpec(anchors=ANCHORS, masks=masks), grid)
    routed = resolve_style(g, StyleSpec(anchors=ANCHORS, masks=masks, mask_anchors=(0, 1),
                                        mask_layers=(None, None)), grid)
    assert np.array_equal(plain[0], routed[0]) and np.array_equal(plain[1], routed[1])


def test_coarse_only_stroke_equals_the_w_plus_of_its_layers(g) -> None:
    """A full-frame mask for anchor 1 on layers [0, 5) renders exactly the W+ coarse(B) + fine(base)."""
    k = 5
    spec = StyleSpec(anchors=ANCHORS, masks=FrozenArray(np.ones((1, 4, 4), np.float32)), mask_anchors=(1,),
                     mask_layers=((0, k),), mask_extent=(-2.0, -2.0, 2.0, 2.0))
    grid = camera_grid(Camera(), 16, 16)
    _, weights = resolve_style(g, spec, grid)
    assert weights is not None and weights.shape == (g.num_ws, 16, 16, 3)
    assert np.allclose(weights[:k, ..., 2], 1.0, atol=1e-6) and not weights[k:, ..., 2].any()
    stacks, _ = base_style(g, spec)
    wplus = np.concatenate([stacks[1, :k], stacks[0, k:]])
    expected = g.synthesis(wplus[None], grid=grid)
    assert np.abs(render_float(g, spec, grid) - expected).max() < 1e-4


def test_two_masks_of_one_anchor_union_and_partition(g) -> None:
    masks = np.stack([_mask(0.8), _mask(0.7), _mask(1.0)])
    spec = StyleSpec(anchors=(*ANCHORS, Anchor(seed=5)), masks=FrozenArray(masks), mask_anchors=(1, 1, 2),
                     mask_layers=(None, (3, 40), (0, 3)))
    ws, weights = resolve_style(g, spec, camera_grid(Camera(), 8, 8))
    assert ws.shape[0] == 4  # base + 3 anchors
    assert weights is not None and weights.shape == (g.num_ws, 8, 8, 4)
    assert np.allclose(weights.sum(-1), 1.0, atol=1e-6) and (weights >= -1e-7).all()
    inside = weights[:, 3, 2]  # a pixel inside the painted square
    assert np.allclose(inside[0], [0.0, 0.0, 0.8 / 1.8, 1.0 / 1.8], atol=1e-6)  # layers 0-2: B .8 + C 1
    assert np.allclose(inside[5], [0.0, 0.0, 1.0, 0.0], atol=1e-6)  # .8 + .7 of B capped at 1
    assert np.allclose(weights[:, 0, 7], [1, 0, 0, 0])  # unpainted: base style


def test_bad_routing_and_json_round_trip() -> None:
    masks = FrozenArray(np.zeros((2, 4, 4), np.float32))
    grid = np.zeros((2, 2, 2), np.float32)

    class G:
        num_ws, z_dim, w_dim = 4, 4, 4

        def mapping(self, z, psi=1.0, cutoff=None):
            return np.zeros((len(z), 4, 4), np.float32)

    with pytest.raises(ValueError, match="mask_anchors"):
        resolve_style(G(), StyleSpec(anchors=ANCHORS, masks=masks, mask_anchors=(0, 2)), grid)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mask_layers"):
        resolve_style(G(), StyleSpec(anchors=ANCHORS, masks=masks, mask_layers=((2, 2), None)), grid)  # type: ignore[arg-type]
    nan = FrozenArray(np.full((1, 2, 2), np.nan, np.float32))
    with pytest.raises(ValueError, match="NaN"):
        resolve_style(G(), StyleSpec(anchors=ANCHORS, masks=nan, mask_anchors=(1,)), grid)  # type: ignore[arg-type]
    spec = StyleSpec(anchors=ANCHORS, masks=masks, mask_anchors=(1, 1), mask_layers=((0, 2), None))
    assert style_from_json(style_to_json(spec)) == spec
