"""Layer activations (the layer viewer's engine hook) equal the official modules' outputs (fixture debug/,
INR-GAN blocks/, CREPS debug/), and every family's output layer equals its render."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from engine import load_generator
from engine.coords import camera_grid, identity_grid
from engine.models.base import Generator
from engine.types import Camera


@pytest.mark.parametrize(("ckpt", "sub", "layers"), [
    ("cips_skip_32.pt", "skip32", ["conv1", "linears.3", "linears.7", "to_rgbs.0", "to_rgbs.3"]),
    ("cips_res_64.pt", "res64", ["linears.0", "to_rgb_last"]),
])
def test_cips_layers_equal_official_modules(fixtures: Path, ckpt: str, sub: str, layers: list[str]) -> None:
    g = load_generator(str(fixtures / "cips" / ckpt))
    folder = fixtures / "cips" / sub
    rows, cols = np.load(folder / "debug" / "act_pixels.npy").T
    ws = g.mapping(np.load(folder / "z.npy"))
    grid = identity_grid(g.resolution)
    assert g.activation_layers()[:2] == ["lff", "emb"] and set(layers) <= set(g.activation_layers())
    for name in layers:
        want = np.load(folder / "debug" / f"act_{name}.npy")  # [B, C, P]
        for b in range(2):
            got = g.layer_activations(ws[b:b + 1], grid, name)
            np.testing.assert_allclose(got[:, rows, cols], want[b], rtol=1e-4, atol=1e-4, err_msg=name)
    feats = np.load(folder / "debug" / "features_in_train.npy")  # official [Fourier ; embedding] input
    both = np.concatenate([g.layer_activations(ws[:1], grid, "lff"), g.layer_activations(ws[:1], grid, "emb")])
    assert np.abs(both - feats[0]).max() <= 5e-5  # test_cips' tolerance for the features (sin of large args)


def test_unknown_layer(fixtures: Path) -> None:
    for path, z_dim in (("cips/cips_skip_32.pt", 40), ("creps/creps_small.pkl", 64), ("inrgan/inrgan_small.pkl", 64)):
        g = _gen(fixtures, path)
        with pytest.raises(ValueError, match="layer: expected one of"):
            g.layer_activations(g.mapping(np.zeros((1, z_dim))), identity_grid(4), "nope")


# ----------------------------------------------------------------------------- INR-GAN and CREPS
@cache
def _load(path: str) -> Generator:
    return load_generator(path)


def _gen(fixtures: Path, rel: str) -> Generator:
    return _load(str(fixtures / rel))


@pytest.mark.parametrize(("pkl", "folder"), [("inrgan_small.pkl", "small"), ("inrgan_bil_small.pkl", "bil_small")])
def test_inrgan_layers_equal_official_blocks(fixtures: Path, pkl: str, folder: str) -> None:
    """Each block's last layer, running RGB and coordinate features equal the official block calls."""
    g = _gen(fixtures, f"inrgan/{pkl}")
    ref = fixtures / "inrgan" / folder
    ws = np.load(ref / "ws.npy")[:1]
    n = g.resolution
    for block in g.config.blocks:  # type: ignore[attr-defined]
        r = block.res
        # nearest: every scale-r pixel is its native descendants' ancestor; -bil: the scale's own grid
        grid = identity_grid(n) if g.pixel_independent else identity_grid(r)  # type: ignore[attr-defined]
        step = n // r if g.pixel_independent else 1  # type: ignore[attr-defined]
        x = g.layer_activations(ws, grid, block.layers[-1].name)
        if step > 1:  # constant over each block of descendants
            blocks = x.reshape(x.shape[0], r, step, r, step)
            assert np.array_equal(blocks, np.broadcast_to(blocks[:, :, :1, :, :1], blocks.shape))
        assert np.abs(x[:, ::step, ::step] - np.load(ref / "blocks" / f"{block.name}_x.npy")[0]).max() <= 1e-4
        rgb = g.layer_activations(ws, grid, block.torgb.name)[:, ::step, ::step]
        assert np.abs(rgb - np.load(ref / "blocks" / f"{block.name}_img.npy")[0]).max() <= 1e-4
        if block.fuser is not None and (ref / "fourier" / f"{block.name}_feats.npy").exists():
            feats = g.layer_activations(ws, grid, f"{block.name}.coord_fuser")[:, ::step, ::step]
            assert np.abs(feats - np.load(ref / "fourier" / f"{block.name}_feats.npy")[0]).max() <= 1e-4


def test_creps_layers_equal_official_debug_intermediates(fixtures: Path) -> None:
    """Line layers show the row line at u in slots 0..K-1 and the column line at v in K..2K-1 (channel c*2K+t)."""
    g = _gen(fixtures, "creps/creps_small.pkl")
    ref = fixtures / "creps" / "creps_small"
    ws, grid = np.load(ref / "ws_psi1.npy")[:1], identity_grid(32)
    k = g.cfg.rank  # type: ignore[attr-defined]

    def as_pixels(lines: np.ndarray) -> np.ndarray:  # official [C, N, 2K] -> [C * 2K, N, N]
        c, n, _ = lines.shape
        rows = np.broadcast_to(lines[:, :, None, :k], (c, n, n, k))
        cols = np.broadcast_to(lines[:, None, :, k:], (c, n, n, k))
        return np.concatenate([rows, cols], -1).transpose(0, 3, 1, 2).reshape(c * 2 * k, n, n)

    debug = {"b4.input": as_pixels(np.load(ref / "debug" / "input_lines.npy")[0])}
    for r in (8, 16, 32):
        debug[f"b{r}.tores"] = as_pixels(np.load(ref / "debug" / f"biline_after_b{r}.npy")[0])
    debug["b32.feature"] = np.load(ref / "debug" / "feature_before_decoder_last.npy")[0].transpose(2, 0, 1)
    debug["decoder_last"] = np.load(ref / "debug" / "feature_after_decoder_last.npy")[0]
    debug["decoder_img"] = np.load(ref / "debug" / "img_decoder.npy")[0]
    debug["block0.fc1"] = np.load(ref / "debug" / "feature_after_block0.npy")[0]
    debug["block0.tores"] = np.load(ref / "debug" / "img_after_block0.npy")[0]
    debug["block1.tores"] = np.load(ref / "img_native_psi1.npy")[0]
    for name, want in debug.items():
        got = g.layer_activations(ws, grid, name)
        assert got.shape == want.shape and np.abs(got - want).max() <= 1e-4, name
    # the composition is the rank-K product of the scaled bi-line's row and column halves
    bl = np.load(ref / "debug" / "biline_after_b16.npy")[0].astype(np.float64) * np.sqrt(0.5)
    compose = np.einsum("cik,cjk->cij", bl[..., :k], bl[..., k:])
    assert np.abs(g.layer_activations(ws, grid, "b16.compose") - compose).max() <= 1e-4


def _split_weights(g: Generator, h: int, w: int) -> np.ndarray:
    """Two anchors blended left to right on the later layers, anchor 0 alone on the first four."""
    wt = np.zeros((g.num_ws, h, w, 2), np.float32)
    wt[..., 0] = np.linspace(0, 1, w)[None, None, :]
    wt[..., 1] = 1 - wt[..., 0]
    wt[:4] = np.array([1.0, 0.0], np.float32)
    return wt


@pytest.mark.parametrize(("path", "last"), [
    ("inrgan/inrgan_small.pkl", "b64.torgb"), ("inrgan/inrgan_bil_small.pkl", "b64.torgb"),
    ("creps/creps_small.pkl", "block1.tores"), ("cips/cips_skip_32.pt", "to_rgbs.3"),
])
def test_last_layer_is_the_render(fixtures: Path, path: str, last: str) -> None:
    """The output layer equals `synthesis` on the same grid: cameras, painted styles, ablations."""
    g = _gen(fixtures, path)
    ws = g.mapping(np.random.RandomState(3).randn(2, g.z_dim))
    grids = [identity_grid(g.resolution), camera_grid(Camera(center=(0.1, -0.05), zoom=1.3, rotation=20.0), 24, 18)]
    for grid in grids:
        assert np.array_equal(g.layer_activations(ws[:1], grid, last), g.synthesis(ws[:1], grid)[0])
        for ablation in sorted(g.ablations):
            got = g.layer_activations(ws[1:], grid, last, ablate=(ablation,))
            assert np.array_equal(got, g.synthesis(ws[1:], grid, ablate=(ablation,))[0])
    grid = grids[0] if g.family == "inrgan" and not g.pixel_independent else grids[1]  # type: ignore[attr-defined]
    wt = _split_weights(g, *grid.shape[:2])
    assert np.array_equal(g.layer_activations(ws, grid, last, wt), g.synthesis(ws, grid, wt)[0])
    names = g.activation_layers()
    mid = g.layer_activations(ws, grid, names[len(names) // 2], wt)
    assert mid.shape[1:] == grid.shape[:2] and np.isfinite(mid).all() and mid.std() > 0


def test_inrgan_bilinear_weights_need_the_native_grid(fixtures: Path) -> None:
    g = _gen(fixtures, "inrgan/inrgan_bil_small.pkl")
    ws = g.mapping(np.random.RandomState(3).randn(2, g.z_dim))
    grid = camera_grid(Camera(zoom=1.5), 16, 16)
    with pytest.raises(ValueError, match="weights: the bilinear INR-GAN variant"):
        g.layer_activations(ws, grid, "b16.conv0", _split_weights(g, 16, 16))


def test_layer_lists_cover_every_layer(fixtures: Path) -> None:
    """Every style-consuming module (and, for CREPS, every decoder) is viewable, in execution order."""
    inr = _gen(fixtures, "inrgan/inrgan_small.pkl")
    names = inr.activation_layers()
    want: list[str] = []
    for b in inr.config.blocks:  # type: ignore[attr-defined]
        want += [f"{b.name}.coord_fuser"] * (b.fuser is not None) + [la.name for la in b.layers] + [b.torgb.name]
    assert names == want and len(set(names)) == len(names)
    assert {m for row in inr.layer_names() for m in row.split(" + ")} <= set(names)  # every ws row's modules
    creps = _gen(fixtures, "creps/creps_small.pkl")
    names = creps.activation_layers()
    cfg = creps.cfg  # type: ignore[attr-defined]
    mods = {p.removeprefix("synthesis.") for p in cfg.mods} - {"b4.tores"}  # never executed (spec §3.2)
    assert mods <= set(names) and len(set(names)) == len(names)
    assert {f"b{r}.compose" for r in cfg.composed} | {"b4.input", "decoder_last", "decoder_img"} <= set(names)
    assert {f"b{r}.feature" for r in cfg.block_res[2:]} == {n for n in names if n.endswith(".feature")}
    order = [names.index(p.removeprefix("synthesis.")) for p, _ in cfg.line_layers()]
    assert order == sorted(order) and names[-1] == "block1.tores"
    for row in creps.layer_names():  # the ws rows name only viewable modules
        modules = [m.split(" (")[0] for m in row.split(": ", 1)[1].split(" + ")]
        assert all(m in names or m == "head" for m in modules), row
