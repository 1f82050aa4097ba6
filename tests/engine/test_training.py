"""Training pieces on a tiny config: procedural data, crops, losses that go down, checkpoints, SWD."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.training import landscapes
from engine.training.swd import blurred, laplacian_pyramid, real_images, swd
from engine.training.train import (
    PRESETS,
    RunArgs,
    TrainConfig,
    Trainer,
    sample_crops,
    train,
)

TINY = TrainConfig(**PRESETS["tiny"])


# ---------------------------------------------------------------------------------------------- data
def test_landscape_is_deterministic_and_seed_dependent() -> None:
    a, b, c = landscapes.render_frame(7, 32), landscapes.render_frame(7, 32), landscapes.render_frame(8, 32)
    assert a.shape == (32, 32, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert np.abs(a.astype(int) - c).mean() > 5


def test_landscapes_have_structure() -> None:
    imgs = real_images(range(12), 32).astype(np.float32)
    assert imgs.std(axis=(1, 2)).mean() > 10  # not flat images
    # sky above ground: the top rows differ from the bottom rows in almost every scene
    diff = np.abs(imgs[:, :4].mean(axis=(1, 2)) - imgs[:, -4:].mean(axis=(1, 2))).sum(axis=1)
    assert (diff > 20).mean() > 0.8


def test_crop_of_panorama_equals_render_at_its_coordinates() -> None:
    """A landscape is a function of (seed, x, y): the frame is the centre of the panorama."""
    pano = landscapes.render_panorama(3, 96, 64)
    frame = landscapes.render_frame(3, 64)
    assert np.abs(pano[:, 16:80].astype(int) - frame).max() <= 1


def test_landscapes_are_one_turn_periodic_along_x() -> None:
    xs, ys = landscapes.frame_axes(48, 40)
    for seed in range(12):
        a = landscapes.render(seed, xs, ys).astype(int)
        for shift in (landscapes.TURN, -2 * landscapes.TURN):
            b = landscapes.render(seed, xs + shift, ys).astype(int)
            assert np.abs(a - b).max() <= 1 and (a != b).mean() < 0.002  # float32 rounding of x + L only
        assert np.abs(a - landscapes.render(seed, xs + landscapes.TURN / 2, ys)).mean() > 1
    pano = landscapes.render_panorama(5, landscapes.TURN_PIXELS, 32).astype(float)
    neighbours = np.abs(np.diff(pano, axis=1)).mean(axis=(0, 2))
    assert np.abs(pano[:, 0] - pano[:, -1]).mean() <= 2 * np.median(neighbours)  # the turn closes


def test_sample_crops_wrap_around_the_turn() -> None:
    cfg = dataclasses.replace(TINY, zoom_out_p=0.0, shift_y=0.0)
    pool = torch.from_numpy(np.stack([landscapes.render_panorama(9, landscapes.TURN_PIXELS, cfg.pano_h)]))
    img, coords = sample_crops(pool, 400, cfg, torch.Generator().manual_seed(2))
    x = coords[:, 0, :, 0]
    across = (x[:, -1] > x.new_tensor((landscapes.TURN_PIXELS - 1) / 2 * landscapes.SPACING)).nonzero()[:, 0]
    assert across.numel() > 0  # some crops run past the right end (into column 0 again)
    i = int(across[0])
    got = ((img[i].permute(1, 2, 0) + 1) * 127.5).round().to(torch.uint8).numpy().astype(int)
    ref = landscapes.render(9, coords[i, 0, :, 0].numpy(), coords[i, :, 0, 1].numpy()).astype(int)
    assert min(np.abs(got - ref).max(), np.abs(got[:, ::-1] - ref).max()) <= 1


def test_stream_yields_seed_order() -> None:
    s = landscapes.PanoramaStream(40, 24, 16, workers=0)
    got = [s.get() for _ in range(3)]
    assert s.next_seed == 43
    assert all(np.array_equal(g, landscapes.render_panorama(40 + i, 24, 16)) for i, g in enumerate(got))


def test_stream_with_worker_processes_keeps_order_and_closes() -> None:
    s = landscapes.PanoramaStream(40, 24, 16, workers=2, ahead=2)
    try:
        got = [s.get() for _ in range(5)]
    finally:
        s.close()
    assert all(np.array_equal(g, landscapes.render_panorama(40 + i, 24, 16)) for i, g in enumerate(got))
    assert s.next_seed == 45


def test_sample_crops_coordinates_and_content() -> None:
    cfg = dataclasses.replace(TINY, zoom_out_p=0.0, shift_y=0.2)
    seeds = [100, 101, 102]
    pool = torch.from_numpy(np.stack([landscapes.render_panorama(s, landscapes.TURN_PIXELS, cfg.pano_h)
                                      for s in seeds]))
    gen = torch.Generator().manual_seed(5)
    img, coords = sample_crops(pool, 6, cfg, gen)
    assert img.shape == (6, 3, cfg.res, cfg.res) and coords.shape == (6, cfg.res, cfg.res, 2)
    assert img.min() >= -1 and img.max() <= 1
    step = landscapes.SPACING
    assert torch.allclose(coords[:, :, 1:, 0] - coords[:, :, :-1, 0], torch.tensor(step), atol=1e-5)
    assert coords[..., 1].abs().max() <= (cfg.pano_h - 1) / 2 * step + 1e-5
    # each crop is the render of its own coordinates (possibly mirrored) of one pool panorama
    for i in range(6):
        got = ((img[i].permute(1, 2, 0) + 1) * 127.5).round().to(torch.uint8).numpy().astype(int)
        xs, ys = coords[i, 0, :, 0].numpy(), coords[i, :, 0, 1].numpy()
        errs = [min(np.abs(got - ref).max(), np.abs(got[:, ::-1] - ref).max())
                for ref in (landscapes.render(s, xs, ys) for s in seeds)]
        assert min(errs) <= 1


def test_sample_crops_zoom_out_spans_twice_the_extent() -> None:
    cfg = dataclasses.replace(TINY, zoom_out_p=1.0)
    pool = torch.zeros(2, cfg.pano_h, landscapes.TURN_PIXELS, 3, dtype=torch.uint8)
    _, coords = sample_crops(pool, 4, cfg, torch.Generator().manual_seed(0))
    assert torch.allclose(coords[:, 0, 1, 0] - coords[:, 0, 0, 0], torch.tensor(2 * landscapes.SPACING))


# ---------------------------------------------------------------------------------------------- training
def _batch(trainer: Trainer, n: int = 8) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    cfg = trainer.cfg
    pool = torch.from_numpy(np.stack([landscapes.render_panorama(s, landscapes.TURN_PIXELS, cfg.pano_h)
                                      for s in range(4)]))
    real, rc = sample_crops(pool, n, cfg, trainer.gen)
    _, fc = sample_crops(pool, n, cfg, trainer.gen)
    return real, rc, fc


def test_discriminator_steps_lower_its_loss_on_a_fixed_batch() -> None:
    t = Trainer(TINY)
    real, rc, fc = _batch(t)
    with torch.no_grad():
        fake = t.generate(fc, t.z(8))
    losses = []
    for _ in range(12):
        loss = t.d_loss(real, rc, fake, fc)
        t.d_opt.zero_grad()
        loss.backward()
        t.d_opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < losses[0] - 0.2


def test_generator_steps_lower_its_loss_against_a_fixed_discriminator() -> None:
    t = Trainer(TINY)
    _, _, fc = _batch(t)
    z = t.z(8)
    t.d.requires_grad_(False)
    losses = []
    for _ in range(12):
        loss = t.g_loss(fc, z)
        t.g_opt.zero_grad()
        loss.backward()
        t.g_opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < losses[0] - 0.05


def test_trainer_step_updates_everything() -> None:
    t = Trainer(TINY)
    real, rc, fc = _batch(t)
    g0 = [p.detach().clone() for p in t.g.parameters()]
    ema0 = [p.detach().clone() for p in t.g_ema.parameters()]
    out = [t.step(real, rc, fc) for _ in range(3)]
    assert "r1" in out[0] and all(torch.isfinite(v) for o in out for v in o.values())
    assert t.step_count == 3 and t.nimg == 24
    assert any(not torch.equal(a, b) for a, b in zip(g0, t.g.parameters(), strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(ema0, t.g_ema.parameters(), strict=True))


def test_train_loop_exports_loadable_weights_and_resumes(tmp_path: Path) -> None:
    from engine import load_generator

    weights = train(RunArgs(out=tmp_path, config=TINY, steps=3, snapshot_every=1e9, ckpt_every=1e9))
    assert (tmp_path / "checkpoint.pt").exists() and (tmp_path / "samples_final.png").exists()
    g = load_generator(str(weights))
    assert g.family == "cips-skip" and g.resolution == TINY.res
    img = g.synthesis(g.mapping(np.random.default_rng(0).standard_normal((2, g.z_dim))))
    assert img.shape == (2, 3, TINY.res, TINY.res) and np.isfinite(img).all()
    ck = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert ck["step"] == 3
    train(RunArgs(out=tmp_path, config=TINY, steps=2, snapshot_every=1e9, ckpt_every=1e9))
    ck2 = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert ck2["step"] == 5 and ck2["next_seed"] > ck["next_seed"]


# ---------------------------------------------------------------------------------------------- SWD
def test_laplacian_pyramid_reconstructs() -> None:
    from engine.training.swd import _up

    x = torch.rand(2, 3, 32, 32)
    lv = laplacian_pyramid(x, 3)
    assert [t.shape[-1] for t in lv] == [32, 16, 8]
    rec = lv[0] + _up(lv[1] + _up(lv[2]))
    assert torch.allclose(rec, x, atol=1e-5)


@pytest.fixture(scope="module")
def real_sets() -> tuple[np.ndarray, np.ndarray]:
    return real_images(range(64), 32), real_images(range(64, 128), 32)


def test_swd_identical_sets_is_zero(real_sets: tuple[np.ndarray, np.ndarray]) -> None:
    a, _ = real_sets
    assert swd(a, a)["mean"] == pytest.approx(0.0, abs=1e-6)


def test_swd_baselines_are_worse_than_real_vs_real(real_sets: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = real_sets
    rr = swd(b, a)["mean"]
    mean_img = np.repeat(b.astype(np.float32).mean(0, keepdims=True), len(b), axis=0)
    assert swd(mean_img, a)["mean"] > 2 * rr
    assert swd(blurred(b), a)["mean"] > rr
    assert set(swd(b, a)["levels"]) == {32, 16}


def test_cli_runs_a_tiny_training_and_requires_a_budget(tmp_path: Path) -> None:
    import argparse

    from cli.train import add_train_parser, run_train

    parser = argparse.ArgumentParser()
    add_train_parser(parser.add_subparsers(dest="command"))
    assert run_train(parser.parse_args(["train", "--preset", "tiny", "--out", str(tmp_path)])) == 2
    args = parser.parse_args(["train", "--preset", "tiny", "--steps", "1", "--out", str(tmp_path / "r")])
    assert run_train(args) == 0
    assert (tmp_path / "r" / "generator.safetensors").exists()


def test_swd_region_keeps_patches_inside_it(real_sets: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = real_sets
    region = np.zeros(a.shape[1:3], bool)
    region[:, 16:] = True
    spoilt = b.copy()
    spoilt[:, :, :8] = 0  # outside the region (and its 7 x 7 patches) only
    assert swd(spoilt, a, region=region)["mean"] == pytest.approx(swd(b, a, region=region)["mean"])
    assert swd(spoilt, a)["mean"] != pytest.approx(swd(b, a)["mean"])
    with pytest.raises(ValueError, match="no 7 x 7 patch"):
        swd(a, b, region=np.zeros(a.shape[1:3], bool))


def test_wide_view_is_one_turn_at_the_training_spacing() -> None:
    from engine.training.swd import outside_frame, wide_axes

    xs, ys = wide_axes()
    assert xs.size == landscapes.TURN_PIXELS and ys.size == 64
    assert np.allclose(np.diff(xs), landscapes.SPACING) and np.allclose(ys, np.linspace(-1, 1, 64), atol=1e-6)
    out = outside_frame(xs, ys)
    assert out.shape == (64, xs.size) and out[:, 0].all() and not out[:, xs.size // 2].any()


def test_detail_ratio_is_about_one_on_scenes_and_low_when_it_goes_smooth() -> None:
    from engine.training.swd import detail, outside_frame, wide_axes

    xs, ys = wide_axes(2.0, 1.0)
    scenes = real_images(range(24), axes=(xs, ys))
    mask = outside_frame(xs, ys)
    along_x = detail(scenes, mask, "x")
    assert 0.8 < along_x < 1.25
    smooth = scenes.copy()
    smooth[:, :, mask[0]] = blurred(scenes, 3.0)[:, :, mask[0]]  # what a model that goes smooth beyond |x| = 1 shows
    assert detail(smooth, mask, "x") < 0.6 * along_x
    tall = wide_axes(1.0, 2.0)
    assert detail(real_images(range(24), axes=tall), outside_frame(tall[1], tall[0]).T, "y") > 0.3
