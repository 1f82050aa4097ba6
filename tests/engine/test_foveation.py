"""Foveated rendering: the sample plan (counts, fovea, saving), exactness at samples, bilinear fill, CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from cli import run_cli
from engine import load_generator
from engine.coords import camera_grid
from engine.foveation import fill, foveate, foveated_render, plan_foveation
from engine.models.base import Generator
from engine.renderer import render_float, to_uint8
from engine.styles import z_from_seed
from engine.types import Anchor, Camera, FrozenArray, StyleSpec


@pytest.fixture(scope="module")
def skip32(fixtures: Path) -> Generator:
    return load_generator(str(fixtures / "cips" / "cips_skip_32.pt"))


class Counting:
    """Wraps a generator and counts the points it is asked to render."""

    def __init__(self, g: Any) -> None:
        self.g, self.family, self.device, self.points, self.calls = g, g.family, g.device, 0, 0

    def synthesis_tensor(self, ws: Any, grid: np.ndarray, **kw: Any) -> torch.Tensor:
        self.points += grid.shape[0] * grid.shape[1]
        self.calls += 1
        return self.g.synthesis_tensor(ws, grid=grid, **kw)


class Affine:
    """A fake pixel-independent generator whose RGB is affine in (x, y): bilinear fill must be exact."""

    family = "affine"
    device = torch.device("cpu")

    def synthesis_tensor(self, ws: Any, grid: np.ndarray, **kw: Any) -> torch.Tensor:
        x, y = grid[..., 0].astype(np.float64), grid[..., 1].astype(np.float64)
        rgb = np.stack([1.5 * x - 0.5 * y + 0.25, -x + 2 * y, 0.3 * x + 0.7 * y - 1])[None].astype(np.float32)
        return torch.from_numpy(rgb)


def test_plan_known_counts() -> None:
    # fovea = pixel (0, 0) only; everything else is level 1: the stride-2 lattice plus the last column
    plan = plan_foveation(10, 7, focus=(0, 0), radius=0.5, levels=2)
    rows, cols = [0, 2, 4, 6], [0, 2, 4, 6, 8, 9]
    expect = np.zeros((7, 10), bool)
    expect[np.ix_(rows, cols)] = True
    assert np.array_equal(plan.sampled, expect) and plan.n_samples == 24
    assert plan.saving == pytest.approx(1 - 24 / 70)
    assert plan.stats()["levels"][1] == {"level": 1, "stride": 2, "pixels": 69, "samples": 23}
    one = plan_foveation(9, 5, levels=1)
    assert one.sampled.all() and one.saving == 0.0


def test_plan_fovea_rings_and_density() -> None:
    plan = plan_foveation(200, 150, focus=(60.0, 50.0), radius=12.0, levels=4)
    yy, xx = np.indices((150, 200))
    d = np.hypot(xx - 60.0, yy - 50.0)
    assert plan.sampled[d <= 12].all() and (plan.level[d <= 12] == 0).all()
    ring = (d > 12) & (d <= 24)
    assert (plan.level[ring] == 1).all() and (plan.level[d > 48] == 3).all()
    assert set(np.unique(plan.density)) == {1.0, 0.25, 0.0625, 0.015625}
    assert (plan.used <= plan.level).all() and np.array_equal(plan.used == 0, plan.sampled)
    st = plan.stats()
    assert st["samples"] == plan.n_samples == sum(lv["samples"] for lv in st["levels"])
    assert st["saving"] == pytest.approx(1 - plan.n_samples / 30000) and 0.8 < st["saving"] < 0.95
    # sparser outside: each ring's sample fraction is close to its design density 1 / stride²
    for lv in st["levels"][1:]:
        assert lv["samples"] / lv["pixels"] < 2.0 / lv["stride"] ** 2


def test_bilinear_fill_is_exact_for_an_affine_field() -> None:
    g = Affine()
    cam = Camera(center=(0.2, -0.1), zoom=0.8, rotation=25.0)
    grid = camera_grid(cam, 61, 43)
    plan = plan_foveation(61, 43, focus=(10, 30), radius=5, levels=4)
    res = foveated_render(g, np.zeros((1, 1, 1), np.float32), grid, plan, tile_pixels=97)  # type: ignore[arg-type]
    full = g.synthesis_tensor(None, grid).numpy()
    assert np.abs(res.image - full).max() < 1e-5
    assert np.array_equal(res.image[0][:, plan.sampled], res.samples[0])


def test_equals_full_render_at_samples_and_renders_only_the_samples(skip32: Generator) -> None:
    ws = skip32.mapping(z_from_seed(2, skip32.z_dim)[None])
    w, h = 80, 56
    grid = camera_grid(Camera(zoom=0.9, rotation=10.0), w, h)
    plan = plan_foveation(w, h, focus=(20.0, 15.0), radius=7.0, levels=4)
    counting = Counting(skip32)
    res = foveated_render(counting, ws, grid, plan, tile_pixels=128)  # type: ignore[arg-type]
    assert counting.points == plan.n_samples and counting.calls == -(-plan.n_samples // 128)
    assert res.stats()["saving"] == pytest.approx(1 - counting.points / (w * h))
    full = skip32.synthesis(ws, grid=grid)
    # exact at every rendered pixel (observed bit-identical; allow 1 ulp-level GEMM reordering)
    assert np.abs(res.image - full)[0][:, plan.sampled].max() <= 1e-6 * np.abs(full).max()
    assert np.array_equal(res.image[0][:, plan.sampled], res.samples[0])
    # every other pixel is a convex (bilinear) blend of rendered values: inside their range
    lo = res.samples.min(axis=-1)[0][:, None]
    hi = res.samples.max(axis=-1)[0][:, None]
    rest = res.image[0][:, ~plan.sampled]
    assert ((rest >= lo - 1e-5) & (rest <= hi + 1e-5)).all()
    # the tiling of the point list does not change anything
    again = foveated_render(skip32, ws, grid, plan, tile_pixels=100000)
    assert np.abs(again.image - res.image).max() <= 1e-6 * np.abs(full).max()


def test_painted_styles_are_sampled_at_the_points(skip32: Generator) -> None:
    mask = np.zeros((2, 8, 8), np.float32)
    mask[1, :, 4:] = 1.0
    style = StyleSpec(anchors=(Anchor(seed=1), Anchor(seed=7)), masks=FrozenArray(mask))
    cam, size = Camera(zoom=1.1), (48, 40)
    res = foveate(skip32, style, cam, size, focus=(30.0, 20.0), radius=6.0)
    full = render_float(skip32, style, camera_grid(cam, *size))
    assert np.abs(res.image - full)[0][:, res.plan.sampled].max() <= 1e-5 * np.abs(full).max()


def test_non_pixel_independent_family_is_refused(fixtures: Path) -> None:
    g = load_generator(str(fixtures / "inrgan" / "inrgan_bil_small.pkl"))
    plan = plan_foveation(16, 16)
    with pytest.raises(ValueError, match="pixel-independent"):
        foveated_render(g, g.mapping(np.zeros((1, g.z_dim))), camera_grid(Camera(), 16, 16), plan)


def test_fill_checks_sample_count() -> None:
    plan = plan_foveation(12, 12)
    with pytest.raises(ValueError, match="samples"):
        fill(plan, np.zeros((3, plan.n_samples + 1), np.float32))


def test_cli_foveate(skip32: Generator, fixtures: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ckpt = str(fixtures / "cips" / "cips_skip_32.pt")
    out, dens = tmp_path / "f.png", tmp_path / "d.png"
    assert run_cli(["foveate", ckpt, "--seed", "3", "--size", "64", "48", "--focus", "10", "12",
                    "--radius", "6", "--out", str(out), "--density", str(dens)]) == 0
    text = capsys.readouterr().out
    plan = plan_foveation(64, 48, focus=(10, 12), radius=6)
    assert f"rendered {plan.n_samples} of 3072 pixels" in text and f"saving {100 * plan.saving:.2f} %" in text
    ws = skip32.mapping(z_from_seed(3, skip32.z_dim)[None])
    ref = foveated_render(skip32, ws, camera_grid(Camera(), 64, 48), plan)
    assert np.array_equal(np.array(Image.open(out)), to_uint8(ref.image[0]))
    assert np.array(Image.open(dens)).shape == (48, 64, 3)
    assert run_cli(["foveate", ckpt, "--seed", "1", "--seed", "2", "--out", str(out)]) == 2
