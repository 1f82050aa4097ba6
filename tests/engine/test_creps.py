"""CREPS family: parity with the official fixtures, separable/per-pixel paths, tiles, painting, configs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.checkpoints.network_pickle import load_network_pickle
from engine.coords import camera_grid, identity_grid
from engine.errors import CheckpointError
from engine.models import creps_render
from engine.models.creps import CrepsGenerator
from engine.types import Camera

TOL = 1e-4


@pytest.fixture(scope="module")
def creps_dir(fixtures: Path) -> Path:
    return fixtures / "creps"


@pytest.fixture(scope="module")
def snapshot(creps_dir: Path) -> dict:
    return load_network_pickle(creps_dir / "creps_small.pkl")


@pytest.fixture(scope="module")
def gen(snapshot: dict) -> CrepsGenerator:
    return CrepsGenerator.from_snapshot(snapshot, "cpu", "creps_small.pkl")


def arr(creps_dir: Path, name: str) -> np.ndarray:
    return np.load(creps_dir / "creps_small" / f"{name}.npy")


def coords_grid(c: np.ndarray) -> np.ndarray:
    """Official coords [1, N, 2, 1] (row u, column v in [0, 1]) -> frame grid [N, N, 2] (x = 2v - 1, y = 2u - 1)."""
    x, y = 2 * c[0, :, 1, 0] - 1, 2 * c[0, :, 0, 0] - 1
    return np.stack(np.meshgrid(x, y), axis=-1).astype(np.float32)


def maxdiff(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape
    return float(np.abs(a - b).max())


# ----------------------------------------------------------------------------- fixture parity
def test_config_from_checkpoint(gen: CrepsGenerator) -> None:
    info = gen.info
    assert (info["family"], info["resolution"], info["z_dim"], info["w_dim"], info["num_ws"]) == ("creps", 32, 64,
                                                                                                    64, 9)
    assert info["num_params"] == 224_969  # official G_ema parameter count (dead b4.tores / decoder_8 included)
    assert info["ablations"] == ["fourier"]
    names = gen.layer_names()
    assert len(names) == 9 and "b4.input" in names[0] and "b8.fc0" in names[1] and "head" in names[8]
    assert gen.cfg.rank == 8 and gen.cfg.biline_channels == 32 and gen.cfg.block_res == (4, 8, 16, 32)


def test_mapping(gen: CrepsGenerator, creps_dir: Path) -> None:
    z = arr(creps_dir, "z")
    assert maxdiff(gen.mapping(z), arr(creps_dir, "ws_psi1")) <= TOL
    assert maxdiff(gen.mapping(z, psi=0.7), arr(creps_dir, "ws_psi07")) <= TOL
    assert np.array_equal(gen.w_avg, arr(creps_dir, "w_avg"))
    cut = gen.mapping(z, psi=0.7, cutoff=3)
    assert maxdiff(cut[:, :3], arr(creps_dir, "ws_psi07")[:, :3]) <= TOL
    assert maxdiff(cut[:, 3:], arr(creps_dir, "ws_psi1")[:, 3:]) <= TOL


@pytest.mark.parametrize(("ws_name", "img_name"), [("ws_psi1", "img_native_psi1"), ("ws_psi07", "img_native_psi07"),
                                                   ("ws_perlayer", "img_ws_perlayer")])
def test_native(gen: CrepsGenerator, creps_dir: Path, ws_name: str, img_name: str) -> None:
    assert maxdiff(gen.synthesis(arr(creps_dir, ws_name)), arr(creps_dir, img_name)) <= TOL


def test_native_from_z_and_identity_camera(gen: CrepsGenerator, creps_dir: Path) -> None:
    ws = gen.mapping(arr(creps_dir, "z"))
    assert maxdiff(gen.synthesis(ws, grid=identity_grid(32)), arr(creps_dir, "img_native_psi1")) <= TOL


@pytest.mark.parametrize("case", ["scale2", "scale_odd", "translate", "zoomout", "patch"])
def test_coords(gen: CrepsGenerator, creps_dir: Path, case: str) -> None:
    grid = coords_grid(arr(creps_dir, f"coords_{case}"))
    assert maxdiff(gen.synthesis(arr(creps_dir, "ws_psi1"), grid=grid), arr(creps_dir, f"img_{case}_psi1")) <= TOL


@pytest.mark.parametrize(("camera", "size", "case"), [
    (Camera(), 64, "scale2"), (Camera(), 43, "scale_odd"), (Camera(zoom=0.5), 64, "zoomout"),
    (Camera(center=(-0.4, 0.5)), 32, "translate"), (Camera(rotation=-30.0), 32, "rotate")])
def test_engine_cameras(gen: CrepsGenerator, creps_dir: Path, camera: Camera, size: int, case: str) -> None:
    img = gen.synthesis(arr(creps_dir, "ws_psi1"), grid=camera_grid(camera, size, size))
    assert maxdiff(img, arr(creps_dir, f"img_{case}_psi1")) <= TOL


def test_patch_is_exact_crop(gen: CrepsGenerator, creps_dir: Path) -> None:
    ws = arr(creps_dir, "ws_psi1")
    big = gen.synthesis(ws, grid=coords_grid(arr(creps_dir, "coords_scale2")))
    patch = gen.synthesis(ws, grid=coords_grid(arr(creps_dir, "coords_patch")))
    assert np.array_equal(patch, big[:, :, 16:48, 8:40])


def test_rotation_per_pixel(gen: CrepsGenerator, creps_dir: Path) -> None:
    uv = arr(creps_dir, "rotate_uv")  # [H, W, (u, v)]
    grid = np.stack([2 * uv[..., 1] - 1, 2 * uv[..., 0] - 1], axis=-1)
    assert maxdiff(gen.synthesis(arr(creps_dir, "ws_psi1"), grid=grid), arr(creps_dir, "img_rotate_psi1")) <= TOL


def test_fp16_head(snapshot: dict, gen: CrepsGenerator, creps_dir: Path) -> None:
    mixed = CrepsGenerator.from_snapshot(snapshot, "cpu", "x", precision="fp16-head")
    ws = arr(creps_dir, "ws_psi1")
    img = mixed.synthesis(ws)
    assert maxdiff(img, arr(creps_dir, "img_native_psi1_mixed")) <= 1e-2
    assert maxdiff(img, gen.synthesis(ws)) > 1e-5  # the float16 head really ran
    with pytest.raises(ValueError, match="precision"):
        CrepsGenerator.from_snapshot(snapshot, "cpu", "x", precision="bf16")


def test_line_network_matches_debug_intermediates(gen: CrepsGenerator, creps_dir: Path) -> None:
    ws = torch.from_numpy(arr(creps_dir, "ws_psi1"))
    coords = torch.linspace(0, 1, 32)
    st = gen.net.line_styles(ws)
    for slot in (0, 1):
        tables = gen.net.line_tables(st, coords, slot, True)
        for r, t in zip((8, 16, 32), tables, strict=True):
            ref = torch.from_numpy(arr(creps_dir, f"debug/biline_after_b{r}"))[..., slot * 8:(slot + 1) * 8]
            assert (t - ref.permute(0, 2, 3, 1) * math.sqrt(0.5)).abs().max() <= 1e-5


# ----------------------------------------------------------------------------- grids, tiles, batches
@pytest.mark.parametrize("camera", [Camera(center=(0.1, -0.2), zoom=1.3), Camera(rotation=17.0, zoom=0.9)])
def test_tiles_render_identical_pixels(gen: CrepsGenerator, creps_dir: Path, camera: Camera) -> None:
    ws = arr(creps_dir, "ws_psi1")
    w, h = 37, 29
    whole = gen.synthesis(ws, grid=camera_grid(camera, w, h))
    for x, y, tw, th in [(0, 0, 1, 1), (36, 28, 1, 1), (0, 5, 37, 1), (4, 0, 1, 29), (3, 4, 2, 3), (10, 7, 20, 15),
                         (0, 0, 18, 29), (18, 0, 19, 29)]:
        tile = gen.synthesis(ws, grid=camera_grid(camera, w, h, rect=(x, y, tw, th)))
        assert np.array_equal(tile, whole[:, :, y:y + th, x:x + tw]), (x, y, tw, th)
    alone = gen.synthesis(ws[1:], grid=camera_grid(camera, w, h))
    assert np.array_equal(alone, whole[1:])


def test_nonsquare_and_flipped_grids(gen: CrepsGenerator, creps_dir: Path) -> None:
    ws = arr(creps_dir, "ws_psi1")
    big = gen.synthesis(ws, grid=coords_grid(arr(creps_dir, "coords_scale2")))
    strip = gen.synthesis(ws, grid=coords_grid(arr(creps_dir, "coords_scale2"))[10:42])
    assert strip.shape == (2, 3, 32, 64) and np.array_equal(strip, big[:, :, 10:42])
    native = gen.synthesis(ws, grid=identity_grid(32))
    turned_grid = np.ascontiguousarray(identity_grid(32).transpose(1, 0, 2)[:, ::-1])  # x by row, y by column
    turned = gen.synthesis(ws, grid=turned_grid)
    assert np.array_equal(turned, np.rot90(native, -1, axes=(2, 3)))  # "cols" layout: still separable


# ----------------------------------------------------------------------------- painting (per-pixel styles)
GRIDS = {"native": None, "aligned": identity_grid(24, 20),
         "rotated": camera_grid(Camera(rotation=30, zoom=0.8), 20, 24)}


@pytest.mark.parametrize("which", list(GRIDS))
def test_weights_one_hot_and_split(gen: CrepsGenerator, creps_dir: Path, which: str) -> None:
    ws = arr(creps_dir, "ws_perlayer")
    grid = GRIDS[which]
    h, w = (32, 32) if grid is None else grid.shape[:2]
    plain = gen.synthesis(ws, grid=grid)
    one_hot = np.zeros((h, w, 2), np.float32)
    one_hot[..., 1] = 1
    assert np.array_equal(gen.synthesis(ws, grid=grid, weights=one_hot)[0], plain[1])
    split = np.zeros((h, w, 2), np.float32)
    split[:, : w // 2, 0] = 1
    split[:, w // 2:, 1] = 1
    img = gen.synthesis(ws, grid=grid, weights=split)[0]
    assert maxdiff(img[:, :, : w // 2], plain[0, :, :, : w // 2]) <= 1e-5  # seam columns included
    assert maxdiff(img[:, :, w // 2:], plain[1, :, :, w // 2:]) <= 1e-5
    per_layer = np.zeros((9, h, w, 2), np.float32)
    per_layer[..., 0] = 1
    per_layer[8, :, w // 2:] = (0, 1)  # only the head's style changes on the right
    mix = ws[:1].copy()
    mix[0, 8] = ws[1, 8]
    img = gen.synthesis(ws, grid=grid, weights=per_layer)[0]
    assert maxdiff(img[:, :, w // 2:], gen.synthesis(mix, grid=grid)[0, :, :, w // 2:]) <= 1e-5
    assert maxdiff(img[:, :, : w // 2], plain[0, :, :, : w // 2]) <= 1e-5


@pytest.mark.parametrize("which", ["aligned", "rotated"])
def test_soft_weights_are_exact_per_pixel(gen: CrepsGenerator, creps_dir: Path, which: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    ws = arr(creps_dir, "ws_perlayer")
    grid = GRIDS[which]
    h, w = grid.shape[:2]
    a = np.random.default_rng(3).random((9, h, w, 2)).astype(np.float32)
    a /= a.sum(-1, keepdims=True)
    img = gen.synthesis(ws, grid=grid, weights=a)
    for i, j in [(0, 0), (5, 7), (h - 1, w - 1), (h // 2, w // 3)]:
        blended = np.einsum("lk,kld->ld", a[:, i, j], ws)[None]
        ref = gen.synthesis(blended, grid=grid[i:i + 1, j:j + 1])
        assert maxdiff(img[:, :, i:i + 1, j:j + 1], ref) <= 1e-5
    monkeypatch.setattr(creps_render, "TABLE_BYTES", 20_000)  # forces tile splitting down to a few pixels
    monkeypatch.setattr(creps_render, "TILE_ALIGNED", 7)
    assert np.array_equal(gen.synthesis(ws, grid=grid, weights=a), img)


def test_weights_validation(gen: CrepsGenerator, creps_dir: Path) -> None:
    with pytest.raises(ValueError, match="weights"):
        gen.synthesis(arr(creps_dir, "ws_psi1"), weights=np.ones((32, 32, 3), np.float32))


# ----------------------------------------------------------------------------- ablations and noise
def test_ablation_and_noise(gen: CrepsGenerator, creps_dir: Path) -> None:
    ws = arr(creps_dir, "ws_psi1")
    flat = gen.synthesis(ws, ablate=("fourier",))
    assert np.abs(flat - flat[:, :, :1, :1]).max() <= 1e-5  # no positional input left: a constant image
    assert maxdiff(flat, gen.synthesis(ws)) > 0.1
    with pytest.raises(ValueError, match="embedding"):
        gen.synthesis(ws, ablate=("embedding",))
    assert np.array_equal(gen.synthesis(ws, noise="random"), gen.synthesis(ws))


# ----------------------------------------------------------------------------- other configurations
def random_state(R: int, cbase: int, cmax: int, z_dim: int, w_dim: int, K: int, cb: int, n_map: int,
                 seed: int = 0, empty: bool = False) -> tuple[dict[str, torch.Tensor], dict]:
    """An official-layout CREPS state dict of any configuration (spec §5), random or uninitialised."""
    gen = torch.Generator().manual_seed(seed)

    def rn(*shape: int, scale: float = 1.0, offset: float = 0.0) -> torch.Tensor:
        return torch.empty(*shape) if empty else torch.randn(*shape, generator=gen) * scale + offset

    res = [4 * 2**i for i in range(int(math.log2(R)) - 1)]
    ch = {r: min(cbase // r, cmax) for r in res}
    t: dict[str, torch.Tensor] = {}
    for i in range(n_map):
        t[f"mapping.fc{i}.weight"] = rn(w_dim, z_dim if i == 0 else w_dim, scale=100)
        t[f"mapping.fc{i}.bias"] = rn(w_dim)
    t["mapping.w_avg"] = rn(w_dim, scale=0.1)
    c4, p = ch[4], "synthesis.b4.input."
    t[p + "weight"], t[p + "freqs"] = rn(1, c4, 1, 2 * K), rn(1, c4 // 2 * K, scale=3)
    t[p + "coords"] = torch.linspace(0, 1, R)[None, :, None, None].repeat(1, 1, 2, 1)
    t[p + "affine.weight"], t[p + "affine.bias"] = rn(c4 * 2 * K, w_dim), rn(c4 * 2 * K, scale=0.1, offset=1)

    def mod(path: str, cin: int, cout: int) -> None:
        t[path + ".weight"], t[path + ".bias"] = rn(cout, cin), rn(cout, scale=0.1)
        t[path + ".affine.weight"], t[path + ".affine.bias"] = rn(cin, w_dim), rn(cin, scale=0.1, offset=1)

    mod("synthesis.b4.fc1", c4, c4)
    mod("synthesis.b4.tores", c4, cb)
    for prev, r in zip(res, res[1:], strict=False):
        mod(f"synthesis.b{r}.fc0", ch[prev], ch[r])
        mod(f"synthesis.b{r}.fc1", ch[r], ch[r])
        mod(f"synthesis.b{r}.tores", ch[r], cb)
    for name in [f"decoder_{r}" for r in res[1:]] + ["decoder_last"]:
        for i, (a, b) in enumerate([(cb, 2 * cb), (2 * cb, 4 * cb), (4 * cb, 2 * cb), (2 * cb, cb)]):
            t[f"synthesis.{name}.{i}.weight"], t[f"synthesis.{name}.{i}.bias"] = rn(b, a), rn(b, scale=0.1)
    t["synthesis.decoder_img.weight"], t["synthesis.decoder_img.bias"] = rn(3, cb, scale=0.1), rn(3, scale=0.1)
    for blk, cin, hid in (("block0", cb, 4 * cb), ("block1", 4 * cb, 2 * cb)):
        mod(f"synthesis.{blk}.fc0", cin, hid)
        mod(f"synthesis.{blk}.fc1", hid, hid)
        mod(f"synthesis.{blk}.tores", hid, 3)
    kw = {"z_dim": z_dim, "w_dim": w_dim, "mapping_kwargs": {"num_layers": n_map}, "channel_base": cbase,
          "channel_max": cmax, "c_dim": 0, "img_resolution": R, "img_channels": 3}
    return t, kw


def reference_synthesis(t: dict[str, torch.Tensor], ws: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
    """Spec §3 literally, in the official layout ([B, C, N, 2K] lines, NCHW head): coords [N, 2] -> [B, 3, N, N]."""
    c4, K = t["synthesis.b4.input.weight"].shape[1], t["synthesis.b4.input.weight"].shape[3] // 2
    res = sorted({int(k.split(".")[1][1:]) for k in t if k.startswith("synthesis.b") and k[11].isdigit()})
    B, N = ws.shape[0], coords.shape[0]

    def lin(x: torch.Tensor, p: str, act: bool) -> torch.Tensor:
        w = t[p + ".weight"]
        y = x @ (w / math.sqrt(w.shape[1])).t() + t[p + ".bias"]
        return F.leaky_relu(y, 0.2) * math.sqrt(2) if act else y

    def mod(x: torch.Tensor, p: str, w: torch.Tensor, demod: bool = True) -> torch.Tensor:
        wt = t[p + ".weight"]
        s = lin(w, p + ".affine", False)
        s = s if demod else s / math.sqrt(wt.shape[1])
        wm = wt[None] * s[:, None, :]
        if demod:
            wm = wm * (wm.square().sum(2, keepdim=True) + 1e-8).rsqrt()
        y = torch.einsum("nihw,noi->nohw", x, wm) + t[p + ".bias"][None, :, None, None]
        return (F.leaky_relu(y, 0.2) * math.sqrt(2) if demod else y).clamp(-256, 256)

    th = coords[:, :, None, None] * t["synthesis.b4.input.freqs"].view(c4 // 2, K) * (2 * math.pi)  # [N, 2, C/2, K]
    th = th.permute(2, 0, 1, 3).reshape(c4 // 2, N, 2 * K)
    feat = torch.cat([torch.sin(th), torch.sin(th + math.pi / 2)])
    amp = t["synthesis.b4.input.weight"] * lin(ws[:, 0], "synthesis.b4.input.affine", False).view(B, c4, 1, 2 * K)
    x = mod(feat[None] * amp / math.sqrt(c4), "synthesis.b4.fc1", ws[:, 1])
    bl = feature = None
    for k, r in enumerate(res[1:], start=1):
        x = mod(mod(x, f"synthesis.b{r}.fc0", ws[:, 2 * k - 1]), f"synthesis.b{r}.fc1", ws[:, 2 * k])
        y = mod(x, f"synthesis.b{r}.tores", ws[:, 2 * k + 1], demod=False)
        bl = y if bl is None else bl + y
        h = bl * math.sqrt(0.5)
        f = (h[..., :K] @ h[..., K:].transpose(2, 3)).permute(0, 2, 3, 1).reshape(B * N * N, -1)
        if feature is None:
            feature = f
        else:
            for i in range(4):
                feature = lin(feature, f"synthesis.decoder_{r}.{i}", True)
            feature = feature + f
    for i in range(4):
        feature = lin(feature, f"synthesis.decoder_last.{i}", True)
    img = lin(feature, "synthesis.decoder_img", False).view(B, N, N, 3).permute(0, 3, 1, 2)
    x = feature.view(B, N, N, -1).permute(0, 3, 1, 2)
    for blk in ("block0", "block1"):
        x = mod(mod(x, f"synthesis.{blk}.fc0", ws[:, -1]), f"synthesis.{blk}.fc1", ws[:, -1])
        img = img + mod(x, f"synthesis.{blk}.tores", ws[:, -1], demod=False)
    return img


def test_reference_reproduces_fixture(snapshot: dict, creps_dir: Path) -> None:
    img = reference_synthesis(snapshot["G_ema"].state_dict(), torch.from_numpy(arr(creps_dir, "ws_psi1")),
                              torch.linspace(0, 1, 32)[:, None].repeat(1, 2))
    assert maxdiff(img.numpy(), arr(creps_dir, "img_native_psi1")) <= TOL


@pytest.mark.parametrize("cfg", [
    {"R": 16, "cbase": 256, "cmax": 24, "z_dim": 40, "w_dim": 48, "K": 4, "cb": 16, "n_map": 3},
    {"R": 64, "cbase": 512, "cmax": 16, "z_dim": 32, "w_dim": 32, "K": 2, "cb": 8, "n_map": 1},
])
def test_other_configurations(cfg: dict) -> None:
    t, kw = random_state(**cfg, seed=1)
    g = CrepsGenerator.from_state_dict(t, kw, source="random")
    n_blocks = int(math.log2(cfg["R"])) - 1
    assert (g.num_ws, g.cfg.rank, g.cfg.biline_channels, g.resolution) == (2 * n_blocks + 1, cfg["K"], cfg["cb"],
                                                                           cfg["R"])
    ws = torch.from_numpy(g.mapping(np.random.default_rng(0).standard_normal((2, cfg["z_dim"]))))
    ws = ws + 0.3 * torch.randn(ws.shape, generator=torch.Generator().manual_seed(2))  # distinct per-layer styles
    n = 20
    u, v = torch.linspace(-0.2, 1.1, n), torch.linspace(0.3, 0.7, n)
    ref = reference_synthesis(t, ws, torch.stack([u, v], 1)).numpy()
    scale = np.abs(ref).max()
    grid = np.stack(np.meshgrid(2 * v.numpy() - 1, 2 * u.numpy() - 1), -1)
    assert maxdiff(g.synthesis(ws, grid=grid), ref) <= 1e-5 * scale
    native = reference_synthesis(t, ws, torch.linspace(0, 1, cfg["R"])[:, None].repeat(1, 2)).numpy()
    assert maxdiff(g.synthesis(ws), native) <= 1e-5 * np.abs(native).max()
    # per-pixel path: each pixel's own (u, v) = the diagonal of a reference render on those coordinates
    pu, pv = torch.rand(12, generator=torch.Generator().manual_seed(4)), torch.rand(12)
    diag = reference_synthesis(t, ws, torch.stack([pu, pv], 1))[:, :, range(12), range(12)].numpy()
    scattered = np.stack([2 * pv.numpy() - 1, 2 * pu.numpy() - 1], -1).reshape(3, 4, 2)
    out = g.synthesis(ws, grid=scattered).reshape(2, 3, 12)
    assert maxdiff(out, diag) <= 1e-5 * np.abs(diag).max()


def test_release_configuration_inferred() -> None:
    t, kw = random_state(R=256, cbase=65536, cmax=1024, z_dim=512, w_dim=512, K=8, cb=32, n_map=8, empty=True)
    g = CrepsGenerator.from_state_dict({k: v.zero_() for k, v in t.items()}, kw)
    assert g.info["num_params"] == 30_530_825 and g.num_ws == 15  # spec §5 table, FFHQ/LSUN 256 models


# ----------------------------------------------------------------------------- bad checkpoints
def test_bad_checkpoints(snapshot: dict) -> None:
    t, kw = random_state(R=16, cbase=256, cmax=16, z_dim=16, w_dim=16, K=2, cb=8, n_map=1)
    broken = dict(t)
    del broken["synthesis.b8.fc1.affine.bias"]
    with pytest.raises(CheckpointError, match="b8.fc1.affine.bias"):
        CrepsGenerator.from_state_dict(broken, kw, source="x.pkl")
    broken = dict(t, **{"synthesis.decoder_16.2.weight": torch.zeros(5, 16)})
    with pytest.raises(CheckpointError, match="decoder_16"):
        CrepsGenerator.from_state_dict(broken, kw)
    with pytest.raises(CheckpointError, match="c_dim"):
        CrepsGenerator.from_state_dict(t, dict(kw, c_dim=10))
    with pytest.raises(CheckpointError, match="img_resolution"):
        CrepsGenerator.from_state_dict(t, dict(kw, img_resolution=32))
    with pytest.raises(CheckpointError, match="not a CREPS"):
        CrepsGenerator.from_snapshot({"G_ema": snapshot["D"]})


def test_rebuild_from_state_dict(gen: CrepsGenerator, creps_dir: Path) -> None:
    again = CrepsGenerator.from_state_dict(gen.state_dict(), **gen.checkpoint_meta)
    ws = arr(creps_dir, "ws_psi07")
    assert np.array_equal(again.synthesis(ws), gen.synthesis(ws))
    assert gen.to("cpu") is gen and gen.info["device"] == "cpu"
