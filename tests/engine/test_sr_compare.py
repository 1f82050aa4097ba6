"""Super-resolution compare: the dense grid's alignment, the images / crops / metrics, wrap-aware resizing, CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cli import run_cli
from engine import load_generator
from engine.analysis import psnr, ssim, upsample
from engine.coords import camera_grid, wrap_blend, wrap_weight
from engine.models.base import Generator
from engine.styles import z_from_seed
from engine.superres import dense_camera, sr_compare, upsample_view
from engine.types import Camera


@pytest.fixture(scope="module")
def skip32(fixtures: Path) -> Generator:
    return load_generator(str(fixtures / "cips" / "cips_skip_32.pt"))


@pytest.mark.parametrize("cam, w, h", [
    (Camera(center=(0.1, -0.2), zoom=0.7, rotation=20.0), 13, 9),
    (Camera(center=(0.1, 0.0), zoom=1.3, rotation=33.0, projection="cylinder", blend=0.3), 40, 7),
])
def test_dense_grid_aligns_with_pixel_areas(cam: Camera, w: int, h: int) -> None:
    native = camera_grid(cam, w, h).astype(np.float64)
    for k in (3, 5):  # odd k: dense pixel k*i + (k-1)/2 is native pixel i
        dense = camera_grid(dense_camera(cam, w, h, k), k * w, k * h)
        o = (k - 1) // 2
        assert np.abs(dense[o::k, o::k] - native).max() < 1e-6
    k = 4  # even k: dense pixel j sits at native (j + 0.5) / k - 0.5, between native pixels
    dense = camera_grid(dense_camera(cam, w, h, k), k * w, k * h).astype(np.float64)
    fi = (np.arange(k * h) + 0.5) / k - 0.5
    fj = (np.arange(k * w) + 0.5) / k - 0.5
    if cam.projection == "plane":  # affine in the pixel index
        dx, dy = native[0, 1] - native[0, 0], native[1, 0] - native[0, 0]
        expect = native[0, 0] + fi[:, None, None] * dy + fj[None, :, None] * dx
    else:  # upright strip: y affine in the row, x affine in the column modulo one turn (the yaw wraps it)
        step = native[1, 0, 1] - native[0, 0, 1]
        c = np.mod(fj + 0.5 + w * cam.rotation / 360.0, w)
        x = cam.center[0] + (c - w / 2) * step
        y = native[0, 0, 1] + fi * step
        expect = np.stack(np.meshgrid(x, y), -1)
    assert np.abs(dense - expect).max() < 1e-5
    wrap, dense_wrap = wrap_blend(cam, w, h), wrap_blend(dense_camera(cam, w, h, k), k * w, k * h)
    if wrap is not None:  # the dense strip cross-fades the same band of the turn
        assert dense_wrap is not None
        assert np.allclose(dense_wrap.weight, wrap_weight(np.mod(fj + 0.5 + w * cam.rotation / 360.0, w), w,
                                                          cam.blend)[dense_wrap.cols], atol=1e-6)


def test_sr_compare_images_crops_and_metrics(skip32: Generator) -> None:
    ws = skip32.mapping(z_from_seed(4, skip32.z_dim)[None])
    cam = Camera(center=(0.1, 0.0), zoom=1.2, rotation=5.0)
    res = sr_compare(skip32, ws, cam, (20, 16), factor=3, crop=(4, 2, 8, 6))
    assert res.native.shape == (3, 16, 20) and set(res.images) == {"render", "nearest", "bicubic", "lanczos"}
    assert all(im.shape == (3, 48, 60) for im in res.images.values())
    assert np.abs(res.native - skip32.synthesis(ws, grid=camera_grid(cam, 20, 16))[0]).max() <= 1e-5
    # at the dense pixels that coincide with native pixels, every image shows the native value
    for name, im in res.images.items():
        assert np.abs(im[:, 1::3, 1::3] - res.native).max() <= 1e-4, name
    assert np.array_equal(res.images["nearest"], upsample(res.native, 60, 48, "nearest"))
    assert res.crop == (12, 6, 24, 18)
    for name, c in res.crops.items():
        assert np.array_equal(c, res.images[name][:, 6:24, 12:36])
    for m, r in res.metrics.items():
        assert r["psnr"] == pytest.approx(psnr(res.images[m], res.images["render"]))
        assert r["ssim"] == pytest.approx(ssim(res.images[m], res.images["render"]))
    with pytest.raises(ValueError, match="crop"):
        sr_compare(skip32, ws, cam, (20, 16), factor=2, crop=(15, 0, 8, 4))


def test_cylinder_upsampling_wraps() -> None:
    rng = np.random.default_rng(0)
    strip = rng.standard_normal((3, 6, 30)).astype(np.float32)
    tiled = np.concatenate([strip] * 3, axis=-1)
    for m in ("bicubic", "lanczos"):
        expect = upsample(tiled, 90 * 4, 24, m)[..., 30 * 4:60 * 4]
        assert np.abs(upsample_view(strip, 4, m, wrap=True) - expect).max() < 1e-5


def test_cli_srcompare(fixtures: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ckpt = str(fixtures / "cips" / "cips_skip_32.pt")
    assert run_cli(["srcompare", ckpt, "--seed", "2", "--size", "16", "16", "--factor", "2",
                    "--out", str(tmp_path / "sr.png")]) == 0
    out = capsys.readouterr().out
    for name in ("native", "render", "nearest", "bicubic", "lanczos"):
        assert (tmp_path / f"sr_{name}.png").is_file()
    assert np.array(Image.open(tmp_path / "sr_crops.png")).shape == (16, 4 * 16, 3)
    assert "bicubic" in out and "PSNR" in out
