"""Pan reuse: whole-pixel offsets (also rotated), strip plans, and stitched frames equal to full renders."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from engine import load_generator
from engine.coords import camera_grid, pixel_step
from engine.models.base import Generator
from engine.pixel_cache import PanCache, pan_offset, pan_plan
from engine.renderer import render_float, render_request
from engine.types import Anchor, Camera, FrozenArray, RenderRequest, StyleSpec, next_id

W, H = 40, 32


@pytest.fixture(scope="module")
def gens(fixtures: Path) -> dict[str, Generator]:
    return {name: load_generator(str(fixtures / path)) for name, path in [
        ("cips", "cips/cips_skip_32.pt"), ("inrgan", "inrgan/inrgan_small.pkl"),
        ("creps", "creps/creps_small.pkl"), ("inrgan-bil", "inrgan/inrgan_bil_small.pkl")]}


def panned(req: RenderRequest, dx: int, dy: int) -> RenderRequest:
    """`req` with the center moved by (dx, dy) pixel steps along the camera's (rotated) pixel axes (a new
    request: new id)."""
    cam = req.camera
    step = pixel_step(cam, *req.size)
    t = math.radians(cam.rotation)
    c, s = math.cos(t), math.sin(t)
    center = (cam.center[0] + (c * dx - s * dy) * step, cam.center[1] + (s * dx + c * dy) * step)
    return dataclasses.replace(req, camera=dataclasses.replace(cam, center=center), id=next_id())


def test_offsets_plain_and_rotated() -> None:
    for cam in (Camera(center=(0.1, -0.05), zoom=1.7), Camera(center=(0.2, 0.1), rotation=33.0, zoom=0.8),
                Camera(rotation=90.0)):
        req = RenderRequest(StyleSpec(), cam, (W, H))
        for dx, dy in [(0, 0), (3, 0), (0, -5), (-7, 2), (W - 1, 1)]:
            assert pan_offset(req, panned(req, dx, dy)) == (dx, dy)
        assert pan_offset(req, panned(req, W, 0)) is None  # nothing left to reuse
        half = dataclasses.replace(cam, center=(cam.center[0] + 0.5 * pixel_step(cam, W, H), cam.center[1]))
        assert pan_offset(req, dataclasses.replace(req, camera=half)) is None  # not whole pixels
        for change in ({"zoom": cam.zoom * 1.01}, {"rotation": cam.rotation + 1}, {"projection": "cylinder"}):
            assert pan_offset(req, dataclasses.replace(req, camera=dataclasses.replace(cam, **change))) is None
        assert pan_offset(req, dataclasses.replace(req, size=(W, H + 1))) is None
        assert pan_offset(req, dataclasses.replace(req, stride=2)) is None


@pytest.mark.parametrize("dx, dy", [(3, 0), (0, -4), (-5, 2), (6, 7)])
def test_plan_strips_partition_the_frame(dx: int, dy: int) -> None:
    req = RenderRequest(StyleSpec(), Camera(), (W, H))
    plan = pan_plan(req, panned(req, dx, dy))
    assert plan is not None and (plan.dx, plan.dy) == (dx, dy)
    cover = np.zeros((H, W), int)
    for x, y, w, h in (plan.keep, *plan.strips):
        cover[y:y + h, x:x + w] += 1
    assert (cover == 1).all()
    x, y, w, h = plan.keep
    assert w * h == (W - abs(dx)) * (H - abs(dy))


@pytest.mark.parametrize("family, camera", [
    ("cips", Camera(center=(0.05, 0.1), zoom=1.2)),
    ("cips", Camera(rotation=27.0, zoom=0.9)),
    ("inrgan", Camera(center=(-0.1, 0.03), zoom=1.3)),
    ("creps", Camera(center=(0.1, -0.2), zoom=1.1)),
    ("creps", Camera(rotation=17.0, zoom=0.9)),
])
def test_stitched_frame_equals_full_render(gens: dict[str, Generator], family: str, camera: Camera) -> None:
    g = gens[family]
    cache = PanCache()
    req = RenderRequest(StyleSpec(), camera, (W, H))
    assert cache.render(g, req).extra == {}  # nothing remembered yet: a full render
    for dx, dy in [(4, 0), (0, -3), (-2, 5)]:
        req = panned(req, dx, dy)
        plan = cache.plan(g, req)
        assert plan is not None
        frame = cache.render(g, req)
        full = render_request(g, req)
        assert frame.image is not None and full.image is not None
        assert np.array_equal(frame.image, full.image)
        assert frame.extra["reused_pixels"] == (W - abs(dx)) * (H - abs(dy))
        grid = camera_grid(req.camera, W, H)
        whole = render_float(g, req.style, grid)
        for x, y, w, h in plan.strips:  # the strips are bit-identical to the full float render
            part = render_float(g, req.style, camera_grid(req.camera, W, H, rect=(x, y, w, h)))
            assert np.array_equal(part, whole[:, :, y:y + h, x:x + w])


@pytest.mark.parametrize("family", ["cips", "creps"])
def test_painted_styles_pan_exactly(gens: dict[str, Generator], family: str) -> None:
    yy, xx = np.mgrid[:16, :16] / 15.0
    masks = np.stack([np.clip(1.5 - 2 * xx, 0, 1), np.clip(2 * yy - 0.5, 0, 1)]).astype(np.float32)  # soft
    style = StyleSpec(anchors=(Anchor(seed=1), Anchor(seed=2)), masks=FrozenArray(masks))
    g, cache = gens[family], PanCache()
    req = RenderRequest(style, Camera(center=(0.1, 0.0), rotation=12.0), (W, H))
    cache.render(g, req)
    req = panned(req, 3, -2)
    frame = cache.render(g, req)
    assert frame.extra["reused_pixels"] == (W - 3) * (H - 2)
    assert np.array_equal(frame.image, render_request(g, req).image)  # type: ignore[arg-type]


def test_no_reuse_when_pixels_are_coupled_or_random(gens: dict[str, Generator]) -> None:
    req = RenderRequest(StyleSpec(), Camera(), (W, H))
    bil = PanCache()
    bil.render(gens["inrgan-bil"], req)
    assert bil.plan(gens["inrgan-bil"], panned(req, 2, 0)) is None  # bilinear INR-GAN couples pixels
    noisy = PanCache()
    nreq = dataclasses.replace(req, style=StyleSpec(noise="random"))
    noisy.render(gens["cips"], nreq)
    assert noisy.plan(gens["cips"], panned(nreq, 2, 0)) is None
    other = PanCache()
    other.render(gens["cips"], req)
    assert other.plan(gens["creps"], panned(req, 2, 0)) is None  # another model
    assert other.plan(gens["cips"], panned(req, 2, 0)) is not None
    other.clear()
    assert other.plan(gens["cips"], panned(req, 2, 0)) is None
