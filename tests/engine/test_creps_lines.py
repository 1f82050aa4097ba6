"""CREPS line tables: the per-coordinate cache is exact and reused; the opt-in lattice mode's error bound."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.checkpoints.network_pickle import load_network_pickle
from engine.coords import camera_grid, pixel_step
from engine.models.creps import CrepsGenerator
from engine.models.creps_lines import lattice_step, pixel_steps
from engine.types import Camera


@pytest.fixture(scope="module")
def snapshot(fixtures: Path) -> dict:
    return load_network_pickle(fixtures / "creps" / "creps_small.pkl")


def fresh(snapshot: dict) -> CrepsGenerator:
    return CrepsGenerator.from_snapshot(snapshot, "cpu", "creps_small.pkl")


@pytest.fixture(scope="module")
def ws(fixtures: Path) -> np.ndarray:
    return np.load(fixtures / "creps" / "creps_small" / "ws_psi1.npy")


def counting(g: CrepsGenerator) -> list[int]:
    """Record how many line coordinates each `CrepsNetwork.line_tables` call evaluates."""
    seen: list[int] = []
    inner = g.net.line_tables

    def wrapped(st, coords, slot, fourier, group=None):  # type: ignore[no-untyped-def]
        seen.append(int(coords.shape[0]))
        return inner(st, coords, slot, fourier, group)

    g.net.line_tables = wrapped  # type: ignore[method-assign]
    return seen


def test_cached_lines_are_bit_identical_and_reused(snapshot: dict, ws: np.ndarray) -> None:
    g = fresh(snapshot)
    seen = counting(g)
    cam = Camera(center=(0.1, 0.05), zoom=1.2)
    step = pixel_step(cam, 40, 30)
    g.synthesis(ws, grid=camera_grid(cam, 40, 30))
    assert sum(seen) == 40 + 30
    seen.clear()
    moved = Camera(center=(0.1 + 3 * step, 0.05), zoom=1.2)  # 3 new columns, the same rows
    grid = camera_grid(moved, 40, 30)
    img = g.synthesis(ws, grid=grid)
    assert sum(seen) <= 3
    assert np.array_equal(img, fresh(snapshot).synthesis(ws, grid=grid))
    seen.clear()
    g.synthesis(ws[:1] * 0.5, grid=grid)  # another style: nothing reused
    assert sum(seen) == 40 + 30


def test_quality_is_exact_by_default_and_validated(snapshot: dict, ws: np.ndarray) -> None:
    g = fresh(snapshot)
    grid = camera_grid(Camera(rotation=30.0), 12, 10)
    assert np.array_equal(g.synthesis(ws, grid=grid), g.synthesis(ws, grid=grid, quality="exact"))
    with pytest.raises(ValueError, match="quality"):
        g.synthesis(ws, grid=grid, quality="fast")


def test_lattice_mode_error_bound_tiles_and_reuse(snapshot: dict, ws: np.ndarray) -> None:
    g = fresh(snapshot)
    # at zoom 8 the fixture's fastest line input (29 cycles per unit) spans ~8.6 pixels, as the release
    # models' (~37 cycles) do at zoom 1; measured 0.065 max / 0.005 mean (image std 0.74); the release-size
    # model measures ~0.015 / 0.0025 (bench/bench_all.py)
    cam = Camera(center=(0.1, -0.1), rotation=30.0, zoom=8.0)
    grid = camera_grid(cam, 40, 30)
    exact = g.synthesis(ws, grid=grid)
    approx = g.synthesis(ws, grid=grid, quality="interactive")
    err = np.abs(approx - exact)
    assert 1e-6 < err.max() <= 0.12 and err.mean() <= 0.01
    for rect in [(0, 0, 40, 12), (0, 12, 40, 18), (5, 3, 20, 20)]:  # per-pixel arithmetic: tiles match
        x, y, w, h = rect
        tile = g.synthesis(ws, grid=camera_grid(cam, 40, 30, rect=rect), quality="interactive")
        assert np.array_equal(tile, approx[:, :, y:y + h, x:x + w])
    seen = counting(g)
    g.synthesis(ws, grid=camera_grid(Camera(center=(0.1, -0.1), rotation=31.0, zoom=8.0), 40, 30),
                quality="interactive")
    assert sum(seen) < 0.25 * g.net.lattice_budget * (40 + 30)  # a turn by 1 degree: few new nodes
    assert np.array_equal(g.synthesis(ws, grid=grid), exact)  # the generator was never switched


def test_lattice_nodes_per_period_floor(snapshot: dict, ws: np.ndarray) -> None:
    g = fresh(snapshot)
    grid = camera_grid(Camera(center=(0.1, -0.1), rotation=30.0, zoom=1.1), 40, 30)  # ~1 pixel per cycle
    exact = g.synthesis(ws, grid=grid)
    coarse = np.abs(g.synthesis(ws, grid=grid, quality="interactive") - exact).max()
    g.net.lattice_per_period = 40.0  # measured: 1.29 max without the floor, 0.017 with it
    fine = np.abs(g.synthesis(ws, grid=grid, quality="interactive") - exact)
    assert fine.max() <= 0.03 and fine.mean() <= 0.002 and coarse > 10 * fine.max()


def test_interactive_quality_of_other_families_is_exact(fixtures: Path) -> None:
    from engine import load_generator
    from engine.renderer import tile_pixels_for

    g = load_generator(str(fixtures / "cips" / "cips_skip_32.pt"))
    ws = g.mapping(np.zeros((1, g.z_dim), np.float32))
    grid = camera_grid(Camera(rotation=30.0), 12, 10)
    assert not g.has_interactive_quality and tile_pixels_for(g, "interactive") == tile_pixels_for(g)
    assert np.array_equal(g.synthesis(ws, grid=grid, quality="interactive"), g.synthesis(ws, grid=grid))


def test_lattice_cost_bound_and_steps() -> None:
    grid = torch.from_numpy(camera_grid(Camera(rotation=30.0), 40, 30))
    u, v = (grid[..., 1] + 1) / 2, (grid[..., 0] + 1) / 2
    d, l1 = pixel_steps(u, v)
    step = pixel_step(Camera(), 40, 30) / 2
    assert d == pytest.approx(step, rel=1e-4) and l1 == pytest.approx(step * (0.5 + 0.75**0.5), rel=1e-4)
    assert pixel_steps(u[:1], v[:1]) == pytest.approx((d, l1), rel=1e-4)  # a one-row strip measures the same
    assert pixel_steps(u[:1, :1], v[:1, :1]) == (0.0, 0.0)
    h = lattice_step(d, l1, 1.5, 1.8, 0.0, 30.0)
    span = (u.max() - u.min() + v.max() - v.min()).item()
    assert span / h <= 1.8 * (40 + 30) * 1.05  # nodes: at most the budget (+ the 1/16-octave rounding)
    assert lattice_step(d, d, 1.5, 1.8, 0.0, 30.0) == pytest.approx(d / 1.5, rel=0.05)  # near axis: density
    assert lattice_step(d, l1, 1.5, 1.8, 40.0, 30.0) <= 1 / (40 * 30.0) * 1.05  # the per-period floor wins
