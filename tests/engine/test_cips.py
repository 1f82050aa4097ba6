"""CIPS parity with the official fixtures, through the public API (DESIGN.md §6)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import load_generator
from engine.coords import identity_grid

CASES = [("cips_skip_32.pt", "skip32", "cips-skip", 2_414_301), ("cips_res_64.pt", "res64", "cips-res", 2_813_038)]
TOL = 1e-4


def grid_of(coords: np.ndarray) -> np.ndarray:
    """Official (B, 2, H, W) coordinates -> our [H, W, 2] frame grid (same x, y convention)."""
    return coords[0].transpose(1, 2, 0)


@pytest.fixture(scope="module", params=CASES, ids=[c[1] for c in CASES])
def case(request: pytest.FixtureRequest, fixtures: Path):
    ckpt, sub, family, n_params = request.param
    g = load_generator(str(fixtures / "cips" / ckpt))
    return g, fixtures / "cips" / sub, family, n_params


def load(d: Path, name: str) -> np.ndarray:
    return np.load(d / name)


def maxerr(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a - b).max())


def test_info_from_shapes_alone(case) -> None:
    g, d, family, n_params = case
    z = load(d, "z.npy")
    assert g.info["family"] == family
    assert g.info["num_params"] == n_params
    assert g.z_dim == g.w_dim == z.shape[1]
    assert g.layer_names() == (d / "mix_layer_names.txt").read_text().split()


def test_mapping_equals_official_w(case) -> None:
    g, d, *_ = case
    ws = g.mapping(load(d, "z.npy"))
    assert ws.shape == (2, g.num_ws, g.w_dim)
    assert maxerr(ws[:, 0], load(d, "w.npy")) <= 1e-5
    assert np.array_equal(ws[:, 0], ws[:, -1])


@pytest.mark.parametrize("coords, expected", [
    (None, "out_train.npy"), ("coords_train.npy", "out_train.npy"),
    ("coords_2x.npy", "out_2x.npy"), ("coords_extrap.npy", "out_extrap.npy"),
])
def test_render_grids(case, coords: str | None, expected: str) -> None:
    g, d, *_ = case
    grid = None if coords is None else grid_of(load(d, coords))
    out = g.synthesis(g.mapping(load(d, "z.npy")), grid=grid)
    assert maxerr(out, load(d, expected)) <= TOL


def test_identity_camera_is_official_grid(case) -> None:
    g, d, *_ = case
    assert maxerr(identity_grid(g.resolution), grid_of(load(d, "coords_train.npy"))) <= 1e-7
    out = g.synthesis(load(d, "w.npy"), grid=identity_grid(g.resolution))
    assert maxerr(out, load(d, "out_train.npy")) <= TOL


def test_not_the_training_branch(case) -> None:
    g, d, *_ = case
    out = g.synthesis(load(d, "w.npy"))
    assert maxerr(out, load(d, "out_train_trainmode.npy")) > 1e-2


def test_truncation(case) -> None:
    g, d, *_ = case
    mean = load(d, "trunc_mean_latent.npy")
    # the notebook's mean latent: the average of 100 mapped z
    assert maxerr(g.mapping(load(d, "trunc_z.npy"))[:, 0].mean(0), mean) <= 1e-5
    ws = g.mapping(load(d, "z.npy"), psi=0.5, w_avg=mean)
    assert maxerr(ws[:, 0], load(d, "trunc_w.npy")) <= 1e-5
    assert maxerr(g.synthesis(ws), load(d, "out_trunc05.npy")) <= TOL


def test_own_mean_w_is_cached_from_many_samples(case) -> None:
    g, d, *_ = case
    avg = g.w_avg
    assert avg.shape == (g.w_dim,)
    assert g.w_avg is not avg and np.array_equal(g.w_avg, avg)  # cached: same values each call
    ws = g.mapping(load(d, "z.npy"), psi=0.0)
    assert maxerr(ws[0, 0], avg) <= 1e-6
    # cutoff: rows >= cutoff keep the untruncated w
    wc = g.mapping(load(d, "z.npy"), psi=0.0, cutoff=2)
    assert maxerr(wc[:, 2:], g.mapping(load(d, "z.npy"))[:, 2:]) == 0.0


def test_per_layer_styles(case) -> None:
    g, d, *_ = case
    ws = load(d, "mix_w_layers.npy").transpose(1, 0, 2)
    assert maxerr(g.synthesis(ws), load(d, "out_mix_layers.npy")) <= TOL


def test_per_pixel_style_piecewise(case) -> None:
    g, d, *_ = case
    mask = load(d, "spatial_mask.npy")
    weights = np.stack([mask, 1 - mask], axis=-1)
    out = g.synthesis(load(d, "w.npy"), weights=weights)
    assert out.shape[0] == 1
    assert maxerr(out, load(d, "out_spatial.npy")) <= TOL


def test_per_pixel_style_smooth(case) -> None:
    g, d, *_ = case
    w = load(d, "w.npy")
    x = grid_of(load(d, "coords_train.npy"))[..., 0]
    t = (x + 1) / 2
    weights = np.stack([1 - t, t], axis=-1)
    field = load(d, "spatial_smooth_w_field.npy")[0]
    assert maxerr(np.einsum("hwk,kc->hwc", weights, w), field) <= 1e-5
    assert maxerr(g.synthesis(w, weights=weights), load(d, "out_spatial_smooth.npy")) <= TOL


def test_per_layer_weight_maps(case) -> None:
    """One weight map per layer: constant maps equal the per-layer (W+) render."""
    g, d, *_ = case
    w = load(d, "w.npy")
    n, s = g.num_ws, g.resolution
    t = np.linspace(0, 1, n, dtype=np.float32)
    maps = np.broadcast_to(np.stack([1 - t, t], -1)[:, None, None, :], (n, s, s, 2))
    wplus = (1 - t)[None, :, None] * w[0] + t[None, :, None] * w[1]
    assert maxerr(g.synthesis(w, weights=maps), g.synthesis(wplus)) <= TOL


def test_official_noise_maps(case) -> None:
    g, d, *_ = case
    maps = load(d, "noise_maps.npy")
    assert g.net.noise_layers == [n.rsplit(".noise", 1)[0] for n in (d / "noise_layer_names.txt").read_text().split()]
    out = g.synthesis(g.mapping(load(d, "z.npy")), noise=list(maps))
    assert maxerr(out, load(d, "out_train_noise.npy")) <= TOL
    rnd = g.synthesis(g.mapping(load(d, "z.npy")), noise="random")
    assert maxerr(rnd, load(d, "out_train.npy")) > 1e-3


@pytest.mark.parametrize("ablate, expected", [("embedding", "out_no_emb.npy"), ("fourier", "out_no_lff.npy")])
def test_ablations(case, ablate: str, expected: str) -> None:
    g, d, *_ = case
    out = g.synthesis(g.mapping(load(d, "z.npy")), ablate=(ablate,))
    assert maxerr(out, load(d, expected)) <= TOL


def test_debug_features(case) -> None:
    g, d, *_ = case
    import torch

    for coords, name in [("coords_train.npy", "features_in_train.npy"),
                         ("coords_extrap.npy", "features_in_extrap.npy")]:
        grid = torch.from_numpy(grid_of(load(d, coords)))
        feats = g.net.features(grid).permute(2, 0, 1).numpy()
        assert maxerr(feats, load(d / "debug", name)[0]) <= 5e-5
