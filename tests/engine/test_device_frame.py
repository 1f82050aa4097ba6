"""Issue #15, the frame path: grids built on the device are the host grid's bits, and a frame rendered on the
device from start to end (`render_uint8`: device grid, bands into one device frame, uint8 there, one download)
is byte-identical to the host path (`to_uint8(render_camera(...))`) for every family, painted or not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine import load_generator
from engine.coords import camera_grid
from engine.device_frame import download, render_uint8, to_uint8_tensor
from engine.device_grid import build_grid, device_grid
from engine.renderer import render_camera, to_uint8
from engine.types import Anchor, Camera, FrozenArray, StyleSpec

CAMERAS = [
    Camera(),
    Camera(center=(0.3, -0.7), zoom=0.37),
    Camera(center=(-1.2, 0.4), zoom=2.5, rotation=33.0),
    Camera(zoom=1.1, rotation=90.0),
    Camera(zoom=0.8, rotation=-171.5, center=(5.0, 3.0)),
    Camera(projection="cylinder", zoom=0.6, rotation=47.0, blend=0.2),
    Camera(projection="cylinder", zoom=1.0, blend=0.0, center=(0.5, 0.0)),
]


@pytest.mark.parametrize("camera", CAMERAS, ids=lambda c: f"{c.projection}-{c.rotation}-{c.zoom}")
@pytest.mark.parametrize("rect, stride", [(None, 1), ((3, 5, 40, 17), 1), (None, 4), ((10, 0, 31, 29), 3)])
def test_the_device_grid_is_the_host_grid_bit_for_bit(camera: Camera, rect: tuple[int, int, int, int] | None,
                                                      stride: int) -> None:
    host = camera_grid(camera, 64, 48, rect, stride)
    built = build_grid(camera, 64, 48, rect, stride, torch.device("cpu"))  # what CUDA runs, here on the CPU
    assert built.dtype == torch.float32 and tuple(built.shape) == host.shape
    assert np.array_equal(built.numpy(), host)
    assert np.array_equal(device_grid(camera, 64, 48, rect, stride, "cpu").numpy(), host)


def test_the_device_grid_refuses_what_the_host_grid_refuses() -> None:
    for bad in (Camera(zoom=0.0), Camera(projection="sphere"), Camera(rotation=float("nan"))):
        with pytest.raises(ValueError):
            build_grid(bad, 16, 16, None, 1, torch.device("cpu"))
    with pytest.raises(ValueError, match="rect"):
        build_grid(Camera(), 16, 16, (10, 10, 10, 10), 1, torch.device("cpu"))


def test_uint8_on_the_device_is_the_host_conversion() -> None:
    rgb = np.random.default_rng(0).uniform(-1.3, 1.3, (3, 17, 23)).astype(np.float32)
    rgb[0, 0, :3] = (-1.0, 1.0, 0.0)
    out = download(to_uint8_tensor(torch.from_numpy(rgb)))
    assert out.flags.c_contiguous and out.shape == (17, 23, 3)
    assert np.array_equal(out, to_uint8(rgb))


@pytest.mark.parametrize("path", ["cips/cips_skip_32.pt", "inrgan/inrgan_small.pkl", "creps/creps_small.pkl"])
def test_a_device_frame_is_the_host_render_byte_for_byte(fixtures: Path, path: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.device_frame

    g = load_generator(str(fixtures / path))
    # route the CPU through the accelerator's grid builder, so this run takes the code path CUDA takes
    monkeypatch.setattr(engine.device_frame, "device_grid", lambda cam, w, h, rect, stride, dev: build_grid(
        cam, w, h, rect, stride, torch.device(dev)))
    stroke = np.zeros((2, 16, 16), np.float32)
    stroke[1, 4:12, 2:9] = 1.0  # anchor 1 painted over a patch, anchor 0 elsewhere
    stroke[0] = 1.0 - stroke[1]
    painted = StyleSpec(anchors=(Anchor(seed=1), Anchor(seed=2)), masks=FrozenArray(stroke))
    for style in (StyleSpec(anchors=(Anchor(seed=3),)), painted):
        for camera, rect, stride in ((CAMERAS[2], None, 1), (CAMERAS[5], None, 1), (CAMERAS[1], (4, 2, 20, 15), 2)):
            ref = to_uint8(render_camera(g, style, camera, (30, 22), rect, stride)[0])
            got = render_uint8(g, style, camera, (30, 22), rect, stride)
            assert got.shape == ref.shape and np.array_equal(got, ref), (style.masks is None, camera)
    assert len(np.unique(ref.reshape(-1, 3), axis=0)) > 20  # a picture, not a flat fill
