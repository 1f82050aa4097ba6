"""Layer viewer dock: activations of the view equal the engine hook's, shown with the chosen channels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from app.controllers.layer import compose, layer_size
from engine.coords import camera_grid
from engine.renderer import render_float
from engine.styles import z_from_seed
from engine.types import Camera, StyleSpec
from tests.gui_support import GuiApp, make_app

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

WAIT = 60000


@pytest.fixture
def small(qtbot: Any, tmp_path: Path, skip32: str) -> Iterator[GuiApp]:
    app = make_app(qtbot, tmp_path, skip32, quality=0.5)
    qtbot.waitUntil(lambda: app.controller.models.info is not None, timeout=WAIT)
    qtbot.waitUntil(app.view_is_final, timeout=WAIT)
    yield app
    app.controller.close()


def test_compose_channels_and_normalisations() -> None:
    acts = np.stack([np.full((2, 3), 5.0), np.arange(6.0).reshape(2, 3) - 2, np.zeros((2, 3))])
    rgb = compose(acts, "rgb", (1, 0, 2), "channel")
    assert rgb[0, 0].tolist() == [0, 0, 0] and rgb[1, 2].tolist() == [255, 0, 0]  # flat channels -> 0
    grey = compose(acts, "grey", (1,), "symmetric")
    assert grey[0, 2].tolist() == [128] * 3 and grey[1, 2].tolist() == [255] * 3  # 0 -> mid-grey, 3 -> top
    joint = compose(acts, "rgb", (0, 1, 2), "joint")
    assert joint[0, 0].tolist() == [255, 0, 73]  # one range [-2, 5] for all three: 0 -> 2/7
    assert layer_size((640, 320)) == (160, 80) and layer_size((30, 20)) == (30, 20)


def test_wide_layers_are_computed_on_a_coarser_grid(fixtures: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """C x H x W stays within the job's float budget (CREPS release line layers: 16384 channels)."""
    from engine import analysis_jobs, load_generator
    from engine.types import LayerRequest

    g = load_generator(str(fixtures / "creps" / "creps_small.pkl"))
    monkeypatch.setattr(analysis_jobs, "LAYER_FLOATS", 512 * 40 * 20)
    wide = analysis_jobs.run_analysis(g, LayerRequest(StyleSpec(), Camera(), (160, 80), "b4.input"))
    assert wide.shape == (512, 20, 40)  # same view and aspect, a quarter of the side
    narrow = analysis_jobs.run_analysis(g, LayerRequest(StyleSpec(), Camera(), (160, 80), "b16.compose"))
    assert narrow.shape == (32, 80, 160)


def test_layer_viewer_shows_engine_activations(qtbot: Any, small: GuiApp, engine_g: Any, fixtures: Path) -> None:
    c, tools = small.controller, small.window.tools
    lc, viewer = c.layers, tools.layer_viewer
    small.window.tools.show_dock(tools.layer_dock)
    qtbot.waitUntil(lambda: lc.acts is not None, timeout=WAIT)
    assert lc.layers == engine_g.activation_layers() and viewer.layer() == "conv1"
    ws = engine_g.mapping(z_from_seed(0, 40)[None])
    grid = camera_grid(Camera(), 32, 32)
    want = engine_g.layer_activations(ws, grid, "conv1")
    assert np.array_equal(lc.acts, want)
    assert np.array_equal(viewer.image(), compose(want, "rgb", (0, 1, 2), "channel"))
    viewer.set_options("grey", (7,), "percentile")
    assert np.array_equal(viewer.image(), compose(want, "grey", (7,), "percentile"))
    # the last ToRGB's running sum is the rendered image itself
    lc.acts = None
    viewer.layer_combo().setCurrentText("to_rgbs.3")
    qtbot.waitUntil(lambda: lc.acts is not None and lc.acts.shape[0] == 3, timeout=WAIT)
    assert np.allclose(lc.acts, render_float(engine_g, StyleSpec(), grid)[0], atol=1e-5)
    assert "to_rgbs.3: 3 channels at 32 × 32 px" in viewer.message()
    c.models.load(str(fixtures / "creps" / "creps_small.pkl"))  # a model change lists the new model's layers
    qtbot.waitUntil(lambda: "b4.input" in lc.layers and lc.acts is not None, timeout=WAIT)
    assert viewer.layer() == "b4.input" and lc.acts.shape[0] == 512  # 32 channels x 2K = 16 line slots


@pytest.mark.parametrize(("pkl", "layer", "last"), [
    ("inrgan/inrgan_small.pkl", "b16.conv1", "b64.torgb"),
    ("creps/creps_small.pkl", "b16.compose", "block1.tores"),
])
def test_inrgan_and_creps_layers_in_the_viewer(qtbot: Any, tmp_path: Path, fixtures: Path, pkl: str, layer: str,
                                               last: str) -> None:
    """Open the checkpoint, pick a layer: the dock shows the engine's activations of the view (non-constant)."""
    from engine import load_generator

    path = str(fixtures / pkl)
    app = make_app(qtbot, tmp_path, path, quality=0.5)
    try:
        c, tools = app.controller, app.window.tools
        lc, viewer = c.layers, tools.layer_viewer
        qtbot.waitUntil(lambda: c.models.info is not None, timeout=WAIT)
        qtbot.waitUntil(app.view_is_final, timeout=WAIT)
        tools.show_dock(tools.layer_dock)
        g = load_generator(path)
        qtbot.waitUntil(lambda: lc.layers == g.activation_layers() and lc.acts is not None, timeout=WAIT)
        lc.acts = None
        viewer.layer_combo().setCurrentText(layer)
        qtbot.waitUntil(lambda: lc.acts is not None, timeout=WAIT)
        req = app.final_request()
        size = layer_size(req.size)
        grid = camera_grid(req.camera, *size)
        ws = g.mapping(z_from_seed(0, g.z_dim)[None])
        want = g.layer_activations(ws, grid, layer)
        assert np.array_equal(lc.acts, want)
        image = viewer.image()
        assert image is not None and image.shape == (size[1], size[0], 3) and viewer.image_visible()
        assert np.array_equal(image, compose(want, "rgb", (0, 1, 2), "channel"))
        assert len(np.unique(image.reshape(-1, 3), axis=0)) > 10  # a real feature map, not a flat image
        viewer.set_options("grey", (5,), "percentile")
        grey = viewer.image()
        assert grey is not None and grey.std() > 0 and np.array_equal(grey, compose(want, "grey", (5,), "percentile"))
        assert f"{layer}: {want.shape[0]} channels at {size[0]} × {size[1]} px" in viewer.message()
        lc.acts = None
        viewer.layer_combo().setCurrentText(last)  # the output layer is the rendered view itself
        qtbot.waitUntil(lambda: lc.acts is not None and lc.acts.shape[0] == 3, timeout=WAIT)
        assert np.allclose(lc.acts, render_float(g, StyleSpec(), grid)[0], atol=1e-5)
    finally:
        app.controller.close()
