"""INR-GAN: every official fixture array through the public API, plus our camera and per-pixel-style extensions."""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.checkpoints.network_pickle import load_network_pickle
from engine.coords import identity_grid
from engine.errors import CheckpointError
from engine.models.inrgan import InrGanGenerator
from engine.models.inrgan_config import resolve_interpolations
from engine.models.inrgan_layers import fuser_features

TOL = 1e-4
CASES = [("inrgan_small.pkl", "small"), ("inrgan_small_cudacache.pkl", "small"), ("inrgan_bil_small.pkl", "bil_small")]


@lru_cache(maxsize=None)
def _load(path: str) -> InrGanGenerator:
    return InrGanGenerator.from_snapshot(load_network_pickle(path), "cpu", path)


def gen(fixtures: Path, name: str) -> InrGanGenerator:
    torch.set_num_threads(1)
    return _load(str(fixtures / "inrgan" / name))


def ref(fixtures: Path, folder: str, name: str) -> np.ndarray:
    return np.load(fixtures / "inrgan" / folder / f"{name}.npy")


def maxerr(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a.astype(np.float64) - b).max())


@pytest.mark.parametrize(("pkl", "folder"), CASES)
def test_official_outputs(fixtures: Path, pkl: str, folder: str) -> None:
    g = gen(fixtures, pkl)
    r = lambda n: ref(fixtures, folder, n)  # noqa: E731
    assert g.info["family"] == "inrgan" and g.num_ws == 12 and g.resolution == 64 and g.z_dim == 64
    assert maxerr(g.w_avg, r("w_avg")) == 0.0
    z = r("z")
    assert maxerr(g.mapping(z), r("ws")) <= TOL
    assert maxerr(g.mapping(z, psi=0.7), r("ws_psi07")) <= TOL
    assert maxerr(g.mapping(z, psi=0.5, cutoff=5), r("ws_psi05_cutoff5")) <= TOL
    img = g.synthesis(g.mapping(z))
    assert maxerr(img, r("img")) <= TOL
    assert maxerr(g.synthesis(g.mapping(z, psi=0.7)), r("img_psi07")) <= TOL
    assert maxerr(g.synthesis(g.mapping(z, psi=0.5, cutoff=5)), r("img_psi05_cutoff5")) <= TOL
    assert maxerr(g.synthesis(r("ws_mix6")), r("img_mix6")) <= TOL
    u8 = np.clip(img.transpose(0, 2, 3, 1) * 127.5 + 128, 0, 255).astype(np.uint8)
    exact = r("img_uint8")
    near_edge = np.abs(((r("img").transpose(0, 2, 3, 1) * 127.5 + 128) % 1.0) - 0.5) > 0.5 - 1e-3
    assert np.array_equal(u8[~near_edge], exact[~near_edge])
    assert g.synthesis(r("ws"), noise="random").tobytes() == g.synthesis(r("ws")).tobytes()  # no noise inputs


@pytest.mark.parametrize(("pkl", "folder"), CASES)
def test_per_block_outputs_and_coordinate_features(fixtures: Path, pkl: str, folder: str) -> None:
    g = gen(fixtures, pkl)
    blocks = g.block_outputs(ref(fixtures, folder, "ws"))
    assert list(blocks) == ["b4", "b8", "b16", "b32", "b64"]
    for name, (x, img) in blocks.items():
        assert maxerr(x, ref(fixtures, folder, f"blocks/{name}_x")) <= TOL
        assert maxerr(img, ref(fixtures, folder, f"blocks/{name}_img")) <= TOL
    fusers = [b for b in g.config.blocks if b.fuser is not None]
    assert [b.name for b in fusers] == ["b4", "b16", "b32", "b64"]
    for b in fusers:
        r = b.res
        ii, jj = torch.meshgrid(torch.arange(r), torch.arange(r), indexing="ij")
        ij = torch.stack([ii, jj], -1).reshape(-1, 2)
        xy = torch.stack([2.0 * ij[:, 1] / r - 1.0, 1.0 - 2.0 * (ij[:, 0] + 1) / r], 1).float()
        assert maxerr(xy.reshape(r, r, 2).permute(2, 0, 1).numpy()[None], ref(fixtures, folder, f"fourier/{b.name}_coords")) == 0
        feats = fuser_features(b.fuser, xy, ij, frozenset()).reshape(r, r, -1).permute(2, 0, 1)[None].numpy()
        assert maxerr(feats, ref(fixtures, folder, f"fourier/{b.name}_feats")) <= TOL


@pytest.mark.parametrize("pkl", ["inrgan_small.pkl", "inrgan_bil_small.pkl"])
def test_identity_grid_is_the_native_render(fixtures: Path, pkl: str) -> None:
    g = gen(fixtures, pkl)
    ws = ref(fixtures, "small", "ws")
    assert maxerr(g.synthesis(ws, grid=identity_grid(64)), g.synthesis(ws)) <= 1e-6


def test_denser_and_wider_grids_contain_the_native_pixels(fixtures: Path) -> None:
    g = gen(fixtures, "inrgan_small.pkl")
    ws = ref(fixtures, "small", "ws")[:1]
    native = g.synthesis(ws)
    u = np.linspace(-1, 1, 127, dtype=np.float32)  # super-resolution: every other point is a native pixel
    dense = g.synthesis(ws, grid=np.stack(np.meshgrid(u, u), -1))
    assert maxerr(dense[..., ::2, ::2], native) <= 1e-5
    between = dense[..., 1::2, 1::2]
    assert np.isfinite(between).all() and maxerr(between, native[..., :-1, :-1]) > 1e-3  # new sin/cos detail
    u = np.linspace(-3, 3, 190, dtype=np.float32)  # zoom 1/3: extrapolation around the frame
    wide = g.synthesis(ws, grid=np.stack(np.meshgrid(u, u), -1))
    assert np.isfinite(wide).all() and wide.std() > 0.1
    assert maxerr(wide[..., 63:127, 63:127], native) <= 1e-5


def test_tiles_and_bands_are_pixel_independent(fixtures: Path) -> None:
    g = copy.copy(gen(fixtures, "inrgan_small.pkl"))
    ws = ref(fixtures, "small", "ws")
    u = np.linspace(-1.3, 0.9, 50, dtype=np.float32)
    grid = np.stack(np.meshgrid(u, u[:40] * 0.7), -1)
    whole = g.synthesis(ws, grid=grid)
    g.chunk_pixels = 333  # many bands, ancestors recomputed per band
    assert maxerr(g.synthesis(ws, grid=grid), whole) <= 1e-5
    assert maxerr(g.synthesis(ws, grid=grid[7:31, 11:45]), whole[..., 7:31, 11:45]) <= 1e-5


def test_bilinear_variant_other_grids(fixtures: Path) -> None:
    g = gen(fixtures, "inrgan_bil_small.pkl")
    ws = ref(fixtures, "bil_small", "ws")
    native = g.synthesis(ws)
    u = np.linspace(-1, 1, 127, dtype=np.float32)
    dense = g.synthesis(ws, grid=np.stack(np.meshgrid(u, u), -1))  # sampled from the native pyramid
    assert maxerr(dense[..., ::2, ::2], native) <= 1e-5
    assert maxerr(dense[..., 1, 1], native[..., :2, :2].mean(axis=(2, 3))) <= 1e-5
    with pytest.raises(ValueError, match="weights"):
        g.synthesis(ws, grid=np.stack(np.meshgrid(u, u), -1), weights=np.ones((127, 127, 2), np.float32) / 2)


@pytest.mark.parametrize("pkl", ["inrgan_small.pkl", "inrgan_bil_small.pkl"])
def test_one_hot_weights_equal_the_anchor_render(fixtures: Path, pkl: str) -> None:
    g = gen(fixtures, pkl)
    ws = ref(fixtures, "small", "ws")
    w = np.zeros((64, 64, 2), np.float32)
    w[..., 1] = 1.0
    assert maxerr(g.synthesis(ws, weights=w), g.synthesis(ws[1:2])) <= 1e-5
    mixed = np.full((64, 64, 2), 0.25, np.float32)
    mixed[..., 1] = 0.75
    target = g.synthesis(np.einsum("k,klw->lw", [0.25, 0.75], ws)[None])
    assert maxerr(g.synthesis(ws, weights=mixed), target) <= TOL
    rng = np.random.default_rng(0)
    jitter = mixed + rng.normal(0, 1e-7, mixed.shape).astype(np.float32)  # > 256 distinct styles per layer
    assert maxerr(g.synthesis(ws, weights=jitter), target) <= 1e-4


def test_left_right_split_matches_both_renders_away_from_the_seam(fixtures: Path) -> None:
    g = gen(fixtures, "inrgan_small.pkl")
    ws = ref(fixtures, "small", "ws")
    w = np.zeros((64, 64, 2), np.float32)
    w[:, :30, 0] = 1.0  # seam inside a coarse (8-pixel) cell: that cell gets a mixed style
    w[:, 30:, 1] = 1.0
    split = g.synthesis(ws, weights=w)[0]
    a, b = g.synthesis(ws[0:1])[0], g.synthesis(ws[1:2])[0]
    assert maxerr(split[..., :24], a[..., :24]) <= 1e-5
    assert maxerr(split[..., 40:], b[..., 40:]) <= 1e-5
    assert maxerr(split[..., 24:40], a[..., 24:40]) > 1e-3
    per_layer = np.broadcast_to(w, (12, 64, 64, 2)).copy()
    per_layer[:6] = np.array([1.0, 0.0], np.float32)  # coarse layers from anchor 0 everywhere
    mix = ws[1:2].copy()
    mix[:, :6] = ws[0:1, :6]
    assert maxerr(g.synthesis(ws, weights=per_layer)[0][..., 40:], g.synthesis(mix)[0][..., 40:]) <= 1e-5


def test_ablations_zero_the_features(fixtures: Path) -> None:
    g = gen(fixtures, "inrgan_small.pkl")
    ws = ref(fixtures, "small", "ws")
    base = g.synthesis(ws)
    emb = g.synthesis(ws, ablate=["embedding"])
    four = g.synthesis(ws, ablate=["fourier"])
    assert maxerr(emb, base) > 0.1 and maxerr(four, base) > 0.1
    zeroed = copy.deepcopy(g)
    for b in zeroed.config.blocks:
        if b.fuser is not None:
            b.fuser.const = torch.zeros_like(b.fuser.const)
    assert maxerr(zeroed.synthesis(ws), emb) == 0.0
    f = g.config.blocks[0].fuser
    feats = fuser_features(f, torch.rand(5, 2), torch.zeros(5, 2, dtype=torch.long), frozenset({"fourier"}))
    n_sc = f.basis.shape[0] * 2
    assert (feats[:, :n_sc] == 0).all() and torch.equal(feats[:, n_sc:], f.const[0, 0].expand(5, -1))
    assert maxerr(g.synthesis(ws, ablate=["embedding", "fourier"]), base) > 0.1
    bil = gen(fixtures, "inrgan_bil_small.pkl")
    assert maxerr(bil.synthesis(ws, ablate=["fourier"]), bil.synthesis(ws)) > 0.1


def test_layer_names_and_info(fixtures: Path) -> None:
    g = gen(fixtures, "inrgan_small.pkl")
    names = g.layer_names()
    assert len(names) == g.num_ws
    assert names[0] == "b4.conv1" and names[-1] == "b64.torgb" and "b64.conv0" in names[8]
    assert g.info["num_params"] == sum(int(np.prod(e)) for e in _shapes(fixtures))


def _shapes(fixtures: Path) -> list[list[int]]:
    import json

    sd = json.loads((fixtures / "inrgan" / "small" / "state_dict.json").read_text())["G_ema"]
    return [e["shape"] for e in sd if not e["name"].endswith("resample_filter")]


def test_config_inference_errors(fixtures: Path) -> None:
    assert resolve_interpolations({"a": {"b": 1}, "c": "${a}", "d": ["${a.b}"]}) == {"a": {"b": 1}, "c": {"b": 1}, "d": [1]}
    creps = load_network_pickle(fixtures / "creps" / "creps_small.pkl")
    with pytest.raises(CheckpointError, match="unsupported INR-GAN"):
        InrGanGenerator.from_snapshot(creps, "cpu", "creps_small.pkl")
    snap = load_network_pickle(fixtures / "inrgan" / "inrgan_small.pkl")
    snap["G_ema"].state["_init_kwargs"]["cfg"]["num_extra_convs"] = {"32": 2}
    with pytest.raises(CheckpointError, match="extra layers"):
        InrGanGenerator.from_snapshot(snap, "cpu", "x.pkl")
