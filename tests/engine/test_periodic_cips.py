"""The default generator's own CIPS extension: an embedding over one turn that wraps along x and Fourier
x-frequencies on the turn's lattice, so G(x + L, y) = G(x, y); stored in and read from our metadata."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine import load_generator
from engine.checkpoints.native import save_native
from engine.coords import camera_grid, periodic_strip, strip_geometry
from engine.errors import CheckpointError
from engine.models.cips import CIPSConfig, CIPSNetwork, WrappedEmbedding, sample_wrapped_bilinear
from engine.panorama import render_seam_check
from engine.training.train import PRESETS, TrainConfig, Trainer, export_weights, warm_start
from engine.types import Camera

TINY = TrainConfig(**PRESETS["tiny"])
WRAP = WrappedEmbedding(rows=8, cols=16, x0=-4.0, period=8.0, y0=-2.0, y1=2.0)


def test_wrapped_sampler_matches_grid_sample_on_a_circularly_padded_grid() -> None:
    """Independent reference: torch's grid_sample (border, align_corners=False) on the grid padded by one
    column from the other end, so the sample between the last and the first column is explicit."""
    torch.manual_seed(0)
    emb = torch.randn(1, 5, WRAP.rows, WRAP.cols)
    xy = torch.rand(500, 2) * torch.tensor([8.0, 5.0]) - torch.tensor([4.0, 2.5])  # y past the clamp too
    got = sample_wrapped_bilinear(emb[0].permute(1, 2, 0).reshape(-1, 5), WRAP, xy)
    ext = torch.cat([emb[..., -1:], emb, emb[..., :1]], dim=-1)
    u = (xy[:, 0] - WRAP.x0) / WRAP.period * WRAP.cols - 0.5  # column index in the unpadded grid
    gx = (2 * (u + 1) + 1) / (WRAP.cols + 2) - 1
    gy = (xy[:, 1] - WRAP.y0) / (WRAP.y1 - WRAP.y0) * 2 - 1
    ref = F.grid_sample(ext, torch.stack([gx, gy], -1)[None, None], mode="bilinear", padding_mode="border",
                        align_corners=False)[0, :, 0].t()
    assert torch.allclose(got, ref, atol=1e-5)


def _periodic_net() -> CIPSNetwork:
    cfg = CIPSConfig("skip", 16, 16, 32, 2, (32, 32), 32, WRAP)
    torch.manual_seed(1)
    return CIPSNetwork(cfg)


def test_network_is_periodic_along_x_by_construction() -> None:
    net = _periodic_net()
    assert net.period_x == 8.0
    w = net.mapping(torch.randn(2, 32))
    with torch.no_grad():
        dyadic = torch.randint(-4096, 4096, (2, 8, 8, 2)).float() / 1024  # x + 8 exact in float32
        a, b = net(dyadic, w), net(dyadic + torch.tensor([8.0, 0.0]), w)
        c = net(dyadic - torch.tensor([16.0, 0.0]), w)
        assert (a - b).abs().max() <= 1e-5 and (a - c).abs().max() <= 1e-5
        pts = torch.rand(2, 8, 8, 2) * 6 - 3  # any float: x + 8 rounds, still within 1e-4
        assert (net(pts, w) - net(pts + torch.tensor([8.0, 0.0]), w)).abs().max() <= 1e-4
        assert (net(pts, w) - net(pts + torch.tensor([4.0, 0.0]), w)).abs().max() > 1e-2  # not periodic in L/2
    net.lff.ffm.conv.weight.data[0, 0] += 0.1  # off the lattice: no longer periodic
    assert net.period_x is None


def _tiny_wrapped_file(tmp_path: Path) -> Path:
    t = Trainer(TINY)
    out = tmp_path / "wrapped.safetensors"
    export_weights(out, t, {})
    return out


def test_export_stores_the_embedding_and_the_loader_reads_it(tmp_path: Path) -> None:
    path = _tiny_wrapped_file(tmp_path)
    g = load_generator(str(path))
    assert g.period_x == 8.0 and g.resolution == TINY.res
    assert g.info["embedding"] == {"mode": "wrap-x", "rows": 8, "cols": 16, "x0": -4.0, "period": 8.0,
                                   "y0": -2.0, "y1": 2.0}
    ws = g.mapping(np.random.default_rng(0).standard_normal((1, g.z_dim)))
    grid = camera_grid(Camera(zoom=0.5), 24, 12)
    a = g.synthesis(ws, grid=grid)
    b = g.synthesis(ws, grid=grid + np.array([8.0, 0.0], np.float32))
    assert np.isfinite(a).all() and np.abs(a - b).max() <= 1e-4


def test_cli_info_says_periodic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cli import run_cli

    assert run_cli(["info", str(_tiny_wrapped_file(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "periodic:    along x, period 8" in out and "embedding:   8 x 16 cells" in out


def _save_with(tmp_path: Path, sd: dict[str, torch.Tensor], extra: dict[str, object]) -> Path:
    p = tmp_path / "m.safetensors"
    save_native(p, sd, "cips-skip", extra)
    return p


def test_bad_embedding_metadata_is_refused(tmp_path: Path) -> None:
    net = _periodic_net()
    sd = net.state_dict()
    good = {"embedding": WRAP.to_json(), "resolution": 16}
    assert load_generator(str(_save_with(tmp_path, sd, good))).period_x == 8.0
    for extra, msg in (({"embedding": {"mode": "spiral"}, "resolution": 16}, "malformed embedding metadata"),
                       ({"embedding": {**WRAP.to_json(), "cols": 32}, "resolution": 16}, "emb.input has shape"),
                       ({"embedding": WRAP.to_json()}, "malformed embedding metadata")):
        with pytest.raises(CheckpointError, match=msg):
            load_generator(str(_save_with(tmp_path, sd, extra)))
    sd["lff.ffm.conv.weight"] = sd["lff.ffm.conv.weight"] + 0.05  # claims a wrap its weights do not have
    with pytest.raises(CheckpointError, match="not whole multiples"):
        load_generator(str(_save_with(tmp_path, sd, good)))


def test_warm_start_spreads_a_square_embedding_over_the_turn() -> None:
    src = CIPSNetwork(CIPSConfig("skip", 16, 16, 32, 2, (32, 32), 32))
    dst = _periodic_net()
    assert warm_start(dst, src.state_dict()) == []
    assert dst.period_x == 8.0
    assert torch.equal(dst.style[1].weight, src.style[1].weight)
    # the cell at the frame's centre column range samples the source inside [-1, 1]: a close match
    emb = dst.emb.input[0]
    assert emb.shape == (16, 8, 16)
    unit = 2 * math.pi / 8
    k = dst.lff.ffm.conv.weight[:, 0, 0, 0] / unit
    assert torch.allclose(k, k.round(), atol=1e-5)
    # mirrored tiling is continuous across the wrap: the first and last columns are neighbours
    step = (emb[:, :, 1:] - emb[:, :, :-1]).abs().mean()
    assert (emb[:, :, 0] - emb[:, :, -1]).abs().mean() <= 3 * step


def test_trainer_steps_keep_the_generator_periodic() -> None:
    from engine.training import landscapes
    from engine.training.train import sample_crops

    t = Trainer(TINY)
    pool = torch.from_numpy(np.stack([landscapes.render_panorama(s, landscapes.TURN_PIXELS, TINY.pano_h)
                                      for s in range(4)]))
    x_freqs, y_freqs = t.g.lff.ffm.conv.weight[:, 0].clone(), t.g.lff.ffm.conv.weight[:, 1].clone()
    for _ in range(6):
        real, rc = sample_crops(pool, 8, TINY, t.gen)
        _, fc = sample_crops(pool, 8, TINY, t.gen)
        t.step(real, rc, fc)
    assert not torch.equal(t.g.lff.ffm.conv.weight[:, 1], y_freqs)  # y-frequencies are still trained
    assert torch.equal(t.g.lff.ffm.conv.weight[:, 0], x_freqs)  # x-frequencies stay on the turn's lattice
    assert t.g.period_x == 8.0 and t.g_ema.period_x == 8.0


def test_periodic_strip_is_one_turn_and_has_no_seam(tmp_path: Path) -> None:
    g = load_generator(str(_tiny_wrapped_file(tmp_path)))
    cam, size = periodic_strip(8.0, 200, zoom=1.0)
    assert cam.blend == 0.0 and size == (200, 51)
    period, _ = strip_geometry(cam, *size)
    assert period == pytest.approx(8.0, abs=1e-9)
    cam2, size2 = periodic_strip(8.0, 200, zoom=0.9)  # height rounds, the zoom follows
    assert strip_geometry(cam2, *size2)[0] == pytest.approx(8.0, abs=1e-9) and cam2.zoom == pytest.approx(0.9, 0.05)
    ws = g.mapping(np.random.default_rng(3).standard_normal((1, g.z_dim)))
    s = render_seam_check(g, lambda grid: (ws, None), cam, *size)
    assert s.ratio <= 1.2, s


def test_cli_panorama_uses_the_models_own_period(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cli import run_cli

    out = tmp_path / "pano.png"
    assert run_cli(["panorama", str(_tiny_wrapped_file(tmp_path)), "--seed", "2", "--size", "128", "20",
                    "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "periodic along x (period 8 frame units)" in captured.err
    assert "no cross-fade" in captured.out and out.exists()
    from PIL import Image

    assert Image.open(out).size == (128, 33)  # height from the period at zoom 1: 2 * 128 / 8 + 1
    recipe = json.loads(Image.open(out).info["inr-explorer-recipe"])
    assert recipe["camera"]["blend"] == 0.0 and recipe["camera"]["projection"] == "cylinder"
