"""Layer viewer dock: activations of the view equal the engine hook's, shown with the chosen channels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from app.layer_controller import compose, layer_size
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
    viewer._layer.setCurrentText("to_rgbs.3")
    qtbot.waitUntil(lambda: lc.acts is not None and lc.acts.shape[0] == 3, timeout=WAIT)
    assert np.allclose(lc.acts, render_float(engine_g, StyleSpec(), grid)[0], atol=1e-5)
    assert "to_rgbs.3: 3 channels at 32 × 32 px" in viewer.message()
    c.models.load(str(fixtures / "creps" / "creps_small.pkl"))
    qtbot.waitUntil(lambda: "not supported for the creps family" in viewer.message(), timeout=WAIT)
    assert viewer.image() is None or not viewer._image.isVisible()
