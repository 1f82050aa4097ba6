"""INR-GAN: every official fixture array through the public API, plus our camera and per-pixel-style extensions."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.checkpoints.network_pickle import (
    ModuleObjectRecord,
    PersistentRecord,
    _record_class,
    load_network_pickle,
)
from engine.coords import identity_grid
from engine.errors import CheckpointError
from engine.models.inrgan import InrGanGenerator
from engine.models.inrgan_config import resolve_interpolations
from engine.models.inrgan_layers import fuser_features

TOL = 1e-4
CASES = [
    ("inrgan_small.pkl", "small"),
    ("inrgan_small_cudacache.pkl", "small"),
    ("inrgan_bil_small.pkl", "bil_small"),
]


@cache
def _load(path: str) -> InrGanGenerator:
    return InrGanGenerator.from_snapshot(load_network_pickle(path), "cpu", path)


def gen(fixtures: Path, name: str) -> InrGanGenerator:
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
        coords = xy.reshape(r, r, 2).permute(2, 0, 1).numpy()[None]
        assert maxerr(coords, ref(fixtures, folder, f"fourier/{b.name}_coords")) == 0
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
    g.chunk_pixels = 333  # many bands, ancestors recomputed per band: bit-identical (fixed GEMM shapes)
    assert np.array_equal(g.synthesis(ws, grid=grid), whole)
    assert np.array_equal(g.synthesis(ws, grid=grid[7:31, 11:45]), whole[..., 7:31, 11:45])


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
    assert maxerr(g.synthesis(ws, weights=w), g.synthesis(ws[1:2])) <= TOL
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
    # the official parameters() count: buffers (w_avg, Fourier bases, resample filters) excluded
    assert g.info["num_params"] == sum(int(np.prod(e)) for e in _shapes(fixtures)) == 534_759


def _shapes(fixtures: Path) -> list[list[int]]:
    import json

    sd = json.loads((fixtures / "inrgan" / "small" / "state_dict.json").read_text())["G_ema"]
    buffers = ("resample_filter", "w_avg", "log_basis", "random_basis")
    return [e["shape"] for e in sd if not e["name"].endswith(buffers)]


def test_config_inference_errors(fixtures: Path) -> None:
    resolved = resolve_interpolations({"a": {"b": 1}, "c": "${a}", "d": ["${a.b}"]})
    assert resolved == {"a": {"b": 1}, "c": {"b": 1}, "d": [1]}
    creps = load_network_pickle(fixtures / "creps" / "creps_small.pkl")
    with pytest.raises(CheckpointError, match="unsupported INR-GAN"):
        InrGanGenerator.from_snapshot(creps, "cpu", "creps_small.pkl")
    snap = load_network_pickle(fixtures / "inrgan" / "inrgan_small.pkl")
    snap["G_ema"].state["_init_kwargs"]["cfg"]["num_extra_convs"] = {"32": 2}
    with pytest.raises(CheckpointError, match="extra layers"):
        InrGanGenerator.from_snapshot(snap, "cpu", "x.pkl")


# ----------------------------------------------------------------------------- configurations not in the fixtures
def _rec(cls: str, params: dict | None = None, bufs: dict | None = None, mods: dict | None = None,
         kwargs: dict | None = None, **attrs: object) -> PersistentRecord:
    state = {"_parameters": dict(params or {}), "_buffers": dict(bufs or {}), "_modules": dict(mods or {}),
             "_non_persistent_buffers_set": set(), "_init_args": (), "_init_kwargs": kwargs or {}, **attrs}
    return PersistentRecord(cls, "", 6, state)


def _fc(i: int, o: int, lr: float = 1.0, bias_init: float = 0.0) -> PersistentRecord:
    p = {"weight": torch.randn(o, i) / lr, "bias": torch.full((o,), bias_init) + 0.1 * torch.randn(o)}
    return _rec("FullyConnectedLayer", p, kwargs={"lr_multiplier": lr})


def _fake_generator(cfg: dict, res: int, z_dim: int = 16, w_dim: int = 24, n_map: int = 3) -> PersistentRecord:
    """A G_ema record with the official module structure for ``cfg`` (random weights)."""
    torch.manual_seed(0)
    full = resolve_interpolations(cfg)
    r0, rank, base, cmax = full["input"]["resolution"], full["fmm"]["rank"], 256, 16
    inorm = full["fmm"].get("instance_norm", False)

    def fuser(r: int) -> tuple[PersistentRecord, int]:
        rc = full["coords"]["res_configs"][str(r)]
        p, b, d = {}, {}, 0
        if rc.get("log_emb_size", 0):
            b["log_basis"] = torch.randn(int(np.ceil(np.log2(r))) * (4 if rc.get("use_diagonal") else 2), 2)
            d += b["log_basis"].shape[0]
        if rc.get("random_emb_size", 0):
            b["random_basis"] = torch.randn(rc["random_emb_size"], 2) * 3
            d += rc["random_emb_size"]
        if rc.get("const_emb_size", 0):
            p["const_embs"] = torch.randn(1, rc["const_emb_size"], r, r)
        return _rec("CoordFuser", p, b), d * (2 if rc.get("use_cosine") else 1) + rc.get("const_emb_size", 0)

    def layer(i: int, o: int, norm: bool = False) -> PersistentRecord:
        p = {"weight": torch.randn(o, i, 1, 1), "bias": 0.1 * torch.randn(o)}
        return _rec("SynthesisLayer", p, mods={"affine": _fc(w_dim, (i + o) * rank)}, instance_norm=norm)

    blocks, prev, nws = {}, 0, 0
    for bi, nom in enumerate(2**k for k in range(2, int(np.log2(res)) + 1)):
        eff, out, mods = max(nom, r0), min(base // nom, cmax), {}
        if bi == 0:
            f, fd = fuser(eff)
            mods["input"] = _rec("GenInput", mods={"input": _rec("CoordsInput", mods={"coord_fuser": f})})
            mods["conv1"] = layer(fd, out)
            nws += 1
        else:
            fd = 0
            if nom > r0:
                mods["coord_fuser"], fd = fuser(eff)
            mods["conv0"], mods["conv1"] = layer(prev + fd, out), layer(out, out, inorm)
            nws += 2
        ne = full.get("num_extra_convs", {}).get(str(eff), 0)
        if ne:
            ml = _record_class("torch.nn.modules.container", "ModuleList", ModuleObjectRecord)()
            ml.state = {"_modules": {str(k): layer(out, out, inorm) for k in range(ne)}}
            mods["extra_convs"] = ml
            nws += ne
        p = {"weight": torch.randn(3, out, 1, 1), "bias": 0.1 * torch.randn(3)}
        mods["torgb"] = _rec("ToRGBLayer", p, mods={"affine": _fc(w_dim, out, bias_init=1.0)})
        blocks[f"b{nom}"] = _rec("SynthesisBlock", mods=mods)
        prev = out
    mapping = _rec("MappingNetwork", bufs={"w_avg": torch.randn(w_dim)},
                   mods={f"fc{i}": _fc(z_dim if i == 0 else w_dim, w_dim, 0.01) for i in range(n_map)})
    kw = {"z_dim": z_dim, "w_dim": w_dim, "mapping_kwargs": {"num_layers": n_map}, "c_dim": 0, "img_channels": 3,
          "synthesis_kwargs": {"channel_base": base, "channel_max": cmax}, "cfg": cfg, "img_resolution": res}
    syn = _rec("SynthesisNetwork", mods=blocks, num_ws=nws + 1)
    return _rec("Generator", mods={"synthesis": syn, "mapping": mapping}, kwargs=kw)


def _cfg(r0: int, res_cfgs: dict, extra: dict, mode: str = "nearest", inorm: bool = False, rank: int = 3) -> dict:
    return {"upsampling_mode": mode, "num_extra_convs": extra,
            "input": {"type": "coords", "resolution": r0, "coord_fuser_cfg": "${coords}"},
            "coords": {"enabled": True, "per_resolution": True, "kernel_size": 1,
                       "a": {"log_emb_size": 8, "const_emb_size": 3, "use_cosine": True, "use_diagonal": True},
                       "b": {"log_emb_size": 8, "random_emb_size": 5, "const_emb_size": 2},
                       "c": {"random_emb_size": 4, "use_cosine": True},
                       "res_configs": res_cfgs},
            "fmm": {"enabled": True, "rank": rank, "activation": "demod", "instance_norm": inorm}}


VARIANTS = {
    "input4_nocos": (_cfg(4, {"4": "${coords.a}", "8": "${coords.b}", "16": "${coords.c}", "32": "${coords.b}"},
                          {"8": 2}), 32, 10),
    "input16_extra_at_input": (
        _cfg(16, {"16": "${coords.a}", "32": "${coords.c}"}, {"16": 1, "32": 2}, rank=5), 32, 13
    ),
    "single_scale": (_cfg(16, {"16": "${coords.a}"}, {}), 16, 6),
    "bilinear_only": (_cfg(8, {"8": "${coords.a}", "16": "${coords.b}"}, {"16": 1}, mode="bilinear"), 16, 7),
    "nearest_instance_norm": (_cfg(8, {"8": "${coords.a}", "16": "${coords.b}"}, {"8": 1}, inorm=True), 16, 8),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_unseen_configurations(variant: str) -> None:
    cfg, res, num_ws = VARIANTS[variant]
    g = InrGanGenerator.from_snapshot({"G_ema": _fake_generator(cfg, res)}, "cpu", variant)
    assert (g.resolution, g.num_ws, g.z_dim, g.w_dim) == (res, num_ws, 16, 24)
    assert len(g.layer_names()) == num_ws
    ws = g.mapping(np.random.default_rng(1).normal(size=(2, 16)))
    img = g.synthesis(ws)
    assert img.shape == (2, 3, res, res) and np.isfinite(img).all() and img.std() > 1e-3
    dense = g.net.render_dense(torch.as_tensor(ws), None, frozenset()).reshape(2, res, res, 3).permute(0, 3, 1, 2)
    assert maxerr(img, dense.numpy()) <= 1e-5  # the pixel-independent path equals the plain pyramid
    assert maxerr(g.synthesis(ws, grid=identity_grid(res)), img) <= 1e-5
    assert g.pixel_independent == (variant not in ("bilinear_only", "nearest_instance_norm"))


@pytest.mark.parametrize("route", ["pixel", "quadratic", "grouped"])
def test_per_pixel_style_routes_agree(fixtures: Path, route: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.models.inrgan_mix as mix

    g = gen(fixtures, "inrgan_small.pkl")
    ws = ref(fixtures, "small", "ws")
    anchors = np.concatenate([ws, 0.5 * ws[:1] - 0.7 * ws[1:]])
    yy, xx = np.mgrid[0:64, 0:64] / 63.0
    r = np.clip(np.hypot(xx - 0.5, yy - 0.5) * 2, 0, 1)
    w = np.stack([r * xx, 1 - r, r * (1 - xx)], -1).astype(np.float32)  # smooth: a distinct style per pixel
    auto = g.synthesis(anchors, weights=w)
    monkeypatch.setattr(mix, "FORCE_ROUTE", route)
    assert maxerr(g.synthesis(anchors, weights=w), auto) <= 2e-5
    centre = g.synthesis(anchors, weights=np.broadcast_to(w[32, 32], w.shape).copy())
    mixed_w = np.einsum("k,klw->lw", w[32, 32], anchors)[None]
    assert maxerr(centre, g.synthesis(mixed_w)) <= TOL
