"""Issue #19: a pixel's bits do not depend on the tile, strip or batch it is rendered in, on any CPU.

Every per-pixel product runs on fixed-shape row blocks (engine.models.row_blocks). CI runs this suite under
several ATen instruction sets, thread counts and MKL's Intel code paths (.ci/run), where products of other
shapes round differently: a 1-pixel render equals the same pixel of a full render only by construction.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine import load_generator
from engine.coords import camera_grid
from engine.models.base import Generator
from engine.models.row_blocks import PIXEL_BLOCK, by_blocks, pad_rows, round_up
from engine.types import Camera

W, H = 48, 44  # 2112 pixels: two full PIXEL_BLOCKs and a partial one
PROBES = [0, PIXEL_BLOCK - 1, PIXEL_BLOCK, 2 * PIXEL_BLOCK - 1, W * H - 1]  # flat indices at block edges


@pytest.mark.parametrize("n", [1, 5, 63, 64, 65, 200])
def test_by_blocks_calls_fn_on_fixed_shapes_only(n: int) -> None:
    x = torch.randn(n, 7)
    y = torch.randn(n, 2)
    seen: list[tuple[int, ...]] = []

    def fn(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        seen.append((a.shape[0], b.shape[0]))
        return torch.cat([a * 2, b], 1)

    out = by_blocks(fn, x, y, block=64)
    assert set(seen) == {(64, 64)} and len(seen) == round_up(n, 64) // 64
    assert torch.equal(out, torch.cat([x * 2, y], 1))
    assert torch.equal(pad_rows(x, n + 3)[n:], x[-1:].expand(3, -1))  # padding repeats the last row


@pytest.fixture(scope="module")
def gens(fixtures: Path) -> dict[str, Generator]:
    return {name: load_generator(str(fixtures / path)) for name, path in [
        ("cips", "cips/cips_skip_32.pt"), ("inrgan", "inrgan/inrgan_small.pkl"), ("creps", "creps/creps_small.pkl")]}


def _ws(g: Generator, n: int) -> np.ndarray:
    return g.mapping(np.random.default_rng(3).standard_normal((n, g.z_dim)).astype(np.float32), psi=0.7)


@pytest.mark.parametrize("family", ["cips", "inrgan", "creps"])
@pytest.mark.parametrize("camera", [Camera(center=(0.1, -0.05), zoom=1.3), Camera(rotation=21.0, zoom=0.8)],
                         ids=["aligned", "rotated"])
def test_a_pixel_alone_equals_it_in_the_whole_render_and_batch(gens: dict[str, Generator], family: str,
                                                                camera: Camera) -> None:
    g = gens[family]
    ws = _ws(g, 2)
    grid = camera_grid(camera, W, H)
    whole = g.synthesis(ws, grid=grid)
    flat = grid.reshape(-1, 2)
    for i in PROBES:
        alone = g.synthesis(ws, grid=flat[i:i + 1][None])
        assert np.array_equal(alone[:, :, 0, 0], whole.reshape(2, 3, -1)[:, :, i]), i
    strip = g.synthesis(ws, grid=grid[7:8])  # one row: a pan strip
    assert np.array_equal(strip, whole[:, :, 7:8])
    assert np.array_equal(g.synthesis(ws[1:], grid=grid), whole[1:])  # an image does not depend on the batch


@pytest.mark.parametrize("family", ["cips", "creps"])
def test_painted_pixels_alone_equal_the_whole_painted_render(gens: dict[str, Generator], family: str) -> None:
    g = gens[family]
    ws = _ws(g, 2)
    grid = camera_grid(Camera(rotation=13.0), W, H)
    _, xx = np.mgrid[:H, :W]
    a = np.clip((xx - 20) / 10.0, 0, 1).astype(np.float32)  # pure A, a feathered edge, pure B
    weights = np.broadcast_to(np.stack([1 - a, a], -1), (g.num_ws, H, W, 2)).copy()
    whole = g.synthesis(ws, grid=grid, weights=weights)
    for i in PROBES + [22 + 5 * W]:  # and a pixel on the edge
        y, x = divmod(i, W)
        alone = g.synthesis(ws, grid=grid[y:y + 1, x:x + 1], weights=weights[:, y:y + 1, x:x + 1])
        assert np.array_equal(alone[0, :, 0, 0], whole[0, :, y, x]), i
