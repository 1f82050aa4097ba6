"""Reduced precision: autocast runs for every family on the CPU (bfloat16, float16), is measured against float32
on the loaded model and refused above 2 uint8 levels; TF32 needs CUDA; the service and CLI use the same check."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from engine import load_generator
from engine.precision import MAX_LEVELS, PrecisionError, available, check_precision, measure, use_precision
from engine.service import RenderService
from engine.types import Anchor, Camera, RenderRequest, StyleSpec

FAMILIES = ("cips/cips_skip_32.pt", "cips/cips_res_64.pt", "inrgan/inrgan_small.pkl", "inrgan/inrgan_bil_small.pkl",
            "creps/creps_small.pkl")


@pytest.mark.parametrize("path", FAMILIES)
def test_every_family_renders_under_autocast_and_is_measured(fixtures: Path, path: str) -> None:
    g = load_generator(str(fixtures / path))
    ws = g.mapping(np.random.default_rng(0).standard_normal((1, g.z_dim)))
    ref = g.synthesis(ws)
    for mode in ("bfloat16", "float16"):
        g.precision = mode
        try:
            out = g.synthesis(ws)
        finally:
            g.precision = "float32"
        assert out.dtype == np.float32 and np.isfinite(out).all()
        assert 0 < np.abs(out - ref).max() < 0.5  # reduced, but the same picture
        r = measure(g, mode)
        assert r.max_levels > 0 and r.mean_levels <= r.max_levels and r.accepted == (r.max_levels <= MAX_LEVELS)
    assert np.array_equal(g.synthesis(ws), ref)  # float32 again afterwards, bit for bit


def test_inaccurate_modes_are_refused_with_the_measured_error(fixtures: Path) -> None:
    g = load_generator(str(fixtures / "cips" / "cips_skip_32.pt"))
    with pytest.raises(PrecisionError, match=r"bfloat16 is not accurate enough for this cips-skip model: up to \d"):
        check_precision(g, "bfloat16")
    with pytest.raises(PrecisionError, match="tf32 is not available on cpu"):
        check_precision(g, "tf32")
    with pytest.raises(PrecisionError, match="expected one of"):
        measure(g, "int8")
    assert available("cpu") == ("float32", "float16", "bfloat16")
    assert g.precision == "float32"


def test_use_precision_sets_and_restores(fixtures: Path) -> None:
    g = load_generator(str(fixtures / "creps" / "creps_small.pkl"))  # float16 is within 1 level here
    ws = g.mapping(np.random.default_rng(1).standard_normal((1, g.z_dim)))
    ref = g.synthesis(ws)
    with use_precision(g, "float16") as report:
        assert g.precision == "float16" and report.accepted
        half = g.synthesis(ws)
    assert g.precision == "float32"
    assert 0 < np.abs(half - ref).max() * 127.5 <= MAX_LEVELS


def test_coordinate_features_stay_float32_under_autocast(fixtures: Path) -> None:
    g = load_generator(str(fixtures / "cips" / "cips_skip_32.pt"))
    xy = torch.rand(100, 2) * 8 - 4
    ref = g.net.features(xy)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        got = g.net.features(xy)
    assert got.dtype == torch.float32 and torch.equal(got, ref)


def test_service_renders_refused_modes_in_float32_and_says_why(fixtures: Path) -> None:
    svc = RenderService(sync=True)
    svc.load(str(fixtures / "cips" / "cips_skip_32.pt"), device="cpu")
    frames: list = []
    style = StyleSpec(anchors=(Anchor(seed=3),))
    svc.render(RenderRequest(style, Camera(), (32, 32)), frames.append)
    svc.render(RenderRequest(style, Camera(), (32, 32), precision="bfloat16"), frames.append)
    plain, refused = frames
    assert plain.extra["precision"] == "float32" and "precision_note" not in plain.extra
    assert refused.extra["precision"] == "float32" and "not accurate enough" in refused.extra["precision_note"]
    assert np.array_equal(plain.image, refused.image)
    svc.load(str(fixtures / "creps" / "creps_small.pkl"), device="cpu")
    svc.render(RenderRequest(style, Camera(), (32, 32)), frames.append)
    svc.render(RenderRequest(style, Camera(), (32, 32), precision="float16"), frames.append)
    full, half = frames[2:]
    assert half.extra["precision"] == "float16" and "precision_note" not in half.extra
    assert 0 < np.abs(full.image.astype(int) - half.image).max() <= 3  # 2 levels + the uint8 rounding


def test_cli_precision(fixtures: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    from cli import run_cli

    creps = str(fixtures / "creps" / "creps_small.pkl")
    out = tmp_path / "half.png"
    assert run_cli(["render", creps, "--seed", "1", "--precision", "float16", "--out", str(out)]) == 0
    assert "precision float16: max" in capsys.readouterr().err
    assert json.loads(Image.open(out).info["inr-explorer-recipe"])["precision"] == "float16"
    skip = str(fixtures / "cips" / "cips_skip_32.pt")
    assert run_cli(["render", skip, "--seed", "1", "--precision", "bfloat16", "--out", str(tmp_path / "b.png")]) == 2
    assert "--precision: bfloat16 is not accurate enough" in capsys.readouterr().err
    assert not (tmp_path / "b.png").exists()
    assert run_cli(["info", skip]) == 0
    assert "precisions:  float32, float16, bfloat16" in capsys.readouterr().out
