"""Service render path: whole-pixel pans reuse the last final frame (bit-exact, strips only), the cache never
serves another model's or style's pixels, and off-axis CREPS views render in lattice mode only interactively."""

from __future__ import annotations

import dataclasses
import gc
import math
import threading
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from engine import load_generator
from engine.export import export_image
from engine.interactive import LATTICE_FIRST_STRIDE
from engine.models.base import Generator
from engine.renderer import render_request, spec_styles
from engine.service import JobResult, RenderService, render_job
from engine.types import Anchor, Camera, Frame, FrozenArray, RenderRequest, StyleSpec
from tests.engine.test_pixel_cache import panned

W, H = 40, 32


@pytest.fixture(scope="module")
def gens(fixtures: Path) -> dict[str, Generator]:
    return {"cips": load_generator(str(fixtures / "cips" / "cips_skip_32.pt")),
            "creps": load_generator(str(fixtures / "creps" / "creps_small.pkl"))}


class PixelSpy:
    """Counts the grid pixels `g.synthesis_tensor` (the renderer's call) is asked for (an instance attribute
    shadows the method)."""

    def __init__(self, g: Generator) -> None:
        self.g, self.pixels, self._orig = g, 0, g.synthesis_tensor

        def synthesis_tensor(ws: Any, grid: Any = None, *args: Any, **kwargs: Any) -> Any:
            self.pixels += g.resolution ** 2 if grid is None else grid.shape[0] * grid.shape[1]
            return self._orig(ws, grid, *args, **kwargs)

        g.synthesis_tensor = synthesis_tensor  # type: ignore[method-assign]

    def take(self) -> int:
        n, self.pixels = self.pixels, 0
        return n

    def close(self) -> None:
        del self.g.synthesis_tensor


@pytest.fixture()
def spy(request: pytest.FixtureRequest, gens: dict[str, Generator]) -> Any:
    spies: list[PixelSpy] = []

    def make(g: Generator) -> PixelSpy:
        spies.append(PixelSpy(g))
        return spies[-1]

    yield make
    for s in spies:
        s.close()


def frames_of(svc: RenderService, req: RenderRequest, passes: tuple[int, ...] = (4, 1)) -> list[Frame]:
    out: list[Frame] = []
    svc.render(req, out.append, passes)
    return out


@pytest.mark.parametrize("family, camera", [
    ("cips", Camera(center=(0.05, 0.1), zoom=1.2)),
    ("creps", Camera(center=(0.1, -0.2), zoom=1.1)),
    ("creps", Camera(rotation=17.0, zoom=0.9)),  # lattice mode, pans reuse the fixed lattice
])
def test_pan_renders_only_the_strip_and_equals_a_full_render(gens: dict[str, Generator], spy: Any, family: str,
                                                            camera: Camera) -> None:
    g = gens[family]
    svc = RenderService(sync=True, generator=g)
    req = RenderRequest(StyleSpec(), camera, (W, H))
    first = frames_of(svc, req)
    assert [f.stride for f in first] == [4, 1]
    counter = spy(g)
    for dx, dy in [(6, 0), (0, -3), (-2, 5)]:
        req = panned(req, dx, dy)
        frames = frames_of(svc, req)
        rendered = counter.take()
        assert [(f.stride, f.final) for f in frames] == [(1, True)]  # no coarse pass for a pan
        frame = frames[0]
        assert frame.extra["reused_pixels"] == (W - abs(dx)) * (H - abs(dy))
        assert rendered == W * H - frame.extra["reused_pixels"]  # only the exposed strips
        fresh = frames_of(RenderService(sync=True, generator=g), req, (1,))[0]  # interactive, no cache
        assert fresh.image is not None and np.array_equal(frame.image, fresh.image)
        counter.take()


def test_style_mask_and_ablation_changes_do_not_reuse_pixels(gens: dict[str, Generator], spy: Any) -> None:
    g = gens["cips"]
    svc = RenderService(sync=True, generator=g)
    base = RenderRequest(StyleSpec(anchors=(Anchor(seed=1), Anchor(seed=2))), Camera(center=(0.1, 0.0)), (W, H))
    frames_of(svc, base)
    counter = spy(g)
    masks = np.zeros((2, 8, 8), np.float32)
    masks[1, :, 4:] = 1.0
    other_masks = masks.copy()
    other_masks[1, :4] = 1.0
    styles = [
        StyleSpec(anchors=(Anchor(seed=3), Anchor(seed=2))),  # another seed
        StyleSpec(anchors=(Anchor(seed=3), Anchor(seed=2)), psi=0.7),
        StyleSpec(anchors=(Anchor(seed=3), Anchor(seed=2)), psi=0.7, masks=FrozenArray(masks)),
        StyleSpec(anchors=(Anchor(seed=3), Anchor(seed=2)), psi=0.7, masks=FrozenArray(other_masks)),
        StyleSpec(anchors=(Anchor(seed=3), Anchor(seed=2)), psi=0.7, masks=FrozenArray(other_masks),
                  ablate=("fourier",)),
    ]
    req = base
    for k, style in enumerate(styles):
        req = dataclasses.replace(panned(req, 3, 1), style=style)
        frames = frames_of(svc, req)
        assert [f.stride for f in frames] == [4, 1]  # a full progressive render
        assert "reused_pixels" not in frames[-1].extra
        assert counter.take() == W * H + math.ceil(W / 4) * math.ceil(H / 4), k
        assert np.array_equal(frames[-1].image, render_request(g, req).image)  # type: ignore[arg-type]
        counter.take()
    # the last style, panned again: reused now
    frames = frames_of(svc, panned(req, -4, 0))
    assert frames[0].extra["reused_pixels"] == (W - 4) * H


def test_model_reload_clears_the_cache(fixtures: Path, spy: Any) -> None:
    path = str(fixtures / "cips" / "cips_skip_32.pt")
    svc = RenderService(sync=True)
    svc.load(path, device="cpu")
    req = RenderRequest(StyleSpec(), Camera(center=(0.2, 0.1)), (W, H))
    frames_of(svc, req)
    assert frames_of(svc, panned(req, 2, 0))[0].extra["reused_pixels"] == (W - 2) * H
    old = weakref.ref(svc.generator)  # type: ignore[arg-type]
    svc.load(path, device="cpu")  # the same file again: a new model object, a new epoch
    assert svc.epoch == 2
    gc.collect()
    assert old() is None  # the cache let go of the old model (and its last frame)
    assert svc.generator is not None
    counter = spy(svc.generator)
    frames = frames_of(svc, panned(req, 4, 0))
    assert "reused_pixels" not in frames[-1].extra and frames[-1].epoch == 2
    assert counter.take() == W * H + math.ceil(W / 4) * math.ceil(H / 4)


def test_rect_and_coarse_only_requests_bypass_the_cache(gens: dict[str, Generator]) -> None:
    g = gens["cips"]
    svc = RenderService(sync=True, generator=g)
    req = RenderRequest(StyleSpec(), Camera(), (W, H))
    frames_of(svc, req)
    tile = dataclasses.replace(panned(req, 2, 0), rect=(0, 0, 8, 8))
    frame = frames_of(svc, tile, (1,))[0]
    assert "reused_pixels" not in frame.extra and frame.image.shape == (8, 8, 3)  # type: ignore[union-attr]
    # the cache still holds the full frame, not the tile
    assert frames_of(svc, panned(req, 2, 0))[0].extra["reused_pixels"] == (W - 2) * H
    bad = RenderRequest(StyleSpec(), Camera(center=(math.nan, 0.0)), (W, H))
    assert frames_of(svc, bad)[-1].error is not None  # a bad camera after a cached frame: an error value


def _png(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def test_rotated_creps_is_lattice_interactively_and_exact_in_jobs(gens: dict[str, Generator],
                                                                   tmp_path: Path) -> None:
    g = gens["creps"]
    req = RenderRequest(StyleSpec(), Camera(center=(0.1, 0.05), rotation=30.0), (24, 20))
    svc = RenderService(sync=True, generator=g)
    assert svc.min_first_stride(req) == LATTICE_FIRST_STRIDE
    assert svc.min_first_stride(dataclasses.replace(req, camera=Camera(rotation=90.0))) == 1
    assert RenderService(sync=True, generator=gens["cips"]).min_first_stride(req) == 1
    modes: list[str] = []
    orig = g.synthesis_tensor

    def synthesis_tensor(*args: Any, **kwargs: Any) -> Any:
        modes.append(kwargs.get("quality", "exact"))
        return orig(*args, **kwargs)

    g.synthesis_tensor = synthesis_tensor  # type: ignore[method-assign]
    try:
        interactive = frames_of(svc, req, (1,))[0]
        assert modes and set(modes) == {"interactive"}
        modes.clear()
        exact = render_request(g, req)
        assert set(modes) == {"exact"}
        modes.clear()
        lattice = render_request(g, dataclasses.replace(req, quality="interactive"))
        assert np.array_equal(interactive.image, lattice.image)  # type: ignore[arg-type]
        assert not np.array_equal(lattice.image, exact.image)  # type: ignore[arg-type]
        # jobs render exactly: a render job and an image export of the same view
        modes.clear()
        out: list[JobResult] = []
        svc.submit(render_job(req), out.append)
        assert np.array_equal(out[0].value.image, exact.image)
        png = tmp_path / "view.png"
        svc.submit(lambda gen, token, progress: export_image(gen, spec_styles(gen, req.style), png, req.size,
                                                             camera=req.camera, cancel=token), out.append)
        assert out[1].error is None and np.array_equal(_png(png), exact.image)  # type: ignore[arg-type]
        assert set(modes) == {"exact"}
        # axis-aligned views never switch (they keep the exact mode's band size and cancel points)
        modes.clear()
        frames_of(svc, dataclasses.replace(req, camera=Camera(center=(0.1, 0.05))), (1,))
        assert set(modes) == {"exact"}
    finally:
        del g.synthesis_tensor


def test_export_stays_exact_when_it_lends_the_thread_to_a_rotated_view(gens: dict[str, Generator],
                                                                       tmp_path: Path) -> None:
    g = gens["creps"]
    size = (16, 12)
    view = RenderRequest(StyleSpec(), Camera(center=(-0.1, 0.1), rotation=40.0), size)
    exact = render_request(g, view)
    svc = RenderService(generator=g)
    png = tmp_path / "export.png"
    shown: list[Frame] = []
    done = threading.Event()
    results: list[JobResult] = []

    def job(gen: Generator, token: Any, progress: Any) -> Any:
        def on_band(rows: int, total: int) -> None:
            if not shown:  # a gesture during the export: the engine thread renders it between two bands
                svc.render(view, shown.append, (1,))
                svc.run_waiting_render()

        return export_image(gen, spec_styles(gen, view.style), png, size, camera=view.camera, cancel=token,
                            progress=on_band, tile_pixels=4 * size[0])

    svc.submit(job, lambda r: (results.append(r), done.set()))
    assert done.wait(120)
    svc.shutdown()
    assert results[0].error is None and len(shown) == 1
    assert np.array_equal(_png(png), exact.image)  # type: ignore[arg-type]
    assert not np.array_equal(shown[0].image, exact.image)  # type: ignore[arg-type]  # the lattice preview


def test_only_turned_planes_count_as_off_axis() -> None:
    from engine.interactive import axis_aligned, first_stride_floor

    assert axis_aligned(Camera(rotation=180.0)) and axis_aligned(Camera(rotation=30.0, projection="cylinder"))
    assert not axis_aligned(Camera(rotation=30.0))
    assert first_stride_floor(True, Camera(rotation=30.0)) == 16
    assert first_stride_floor(True, Camera(rotation=30.0, projection="cylinder")) == 1
