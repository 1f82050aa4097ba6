"""Layer activations (the layer viewer's engine hook) equal the official modules' outputs (fixture debug/)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import load_generator
from engine.coords import identity_grid


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


def test_unknown_layer_and_unsupported_family(fixtures: Path) -> None:
    g = load_generator(str(fixtures / "cips" / "cips_skip_32.pt"))
    with pytest.raises(ValueError, match="layer: expected one of"):
        g.layer_activations(g.mapping(np.zeros((1, 40))), identity_grid(4), "nope")
    creps = load_generator(str(fixtures / "creps" / "creps_small.pkl"))
    assert creps.activation_layers() == []
    with pytest.raises(NotImplementedError, match="creps"):
        creps.layer_activations(creps.mapping(np.zeros((1, 64))), identity_grid(4), "x")
