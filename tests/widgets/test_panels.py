"""Side panels: edits emit intents, and pushing state into them echoes nothing back."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QRadioButton, QSlider

from engine.types import Camera
from widgets.latent_panel import LatentPanel
from widgets.model_panel import ModelPanel
from widgets.seed_browser import SeedBrowser
from widgets.view_panel import ViewPanel


def _record(*signals: Any) -> list[Any]:
    out: list[Any] = []
    for s in signals:
        s.connect(lambda *a, s=s: out.append(a))
    return out


def test_latent_panel_set_is_silent_and_edits_emit(qtbot: Any) -> None:
    p = LatentPanel()
    qtbot.addWidget(p)
    got = _record(p.seedChanged, p.anchorWeightChanged, p.psiChanged, p.cutoffChanged, p.interpChanged,
                  p.activeAnchorChanged)
    p.set_num_layers(13)
    p.set_latent(5, ["seed 5", "seed 6"], [1.0, 0.25], 1, "slerp-z", 0.5, 4)
    assert got == [] and p.seed() == 5 and p.anchor_list.weights() == [1.0, 0.25]
    assert p.psi_slider.value() == 50
    p.anchor_list.slider(1).setValue(600)
    p.psi_slider.setValue(-80)
    assert got == [(1, 0.6), (-0.8,)]
    p.set_latent(5, ["seed 5", "seed 6"], [1.0, 0.6], 0, "slerp-z", -0.8, None)  # same rows: sliders kept
    assert p.anchor_list.slider(1).value() == 600 and len(got) == 2


def test_anchor_rows_show_only_the_current_labels(qtbot: Any) -> None:
    """Changing a seed relabels its row; no old row stays visible under the new one (not even before the
    event loop runs the deferred deletes), and adding / removing anchors leaves exactly one row each."""
    p = LatentPanel()
    qtbot.addWidget(p)
    p.show()
    rows = p.anchor_list

    def labels(visible: bool = False) -> list[str]:  # the list's radios (old rows must not linger as children)
        return [r.text() for r in rows.findChildren(QRadioButton) if r.isVisible() or not visible]

    p.set_latent(0, ["seed 0"], [1.0], 0, "lerp-w", 1.0, None)
    qtbot.waitUntil(lambda: labels(visible=True) == ["seed 0"])
    slider = rows.slider(0)
    for seed in (10, 11, 7, 10):  # no event processing in between: what a paint right now would show
        p.set_latent(seed, [f"seed {seed}"], [1.0], 0, "lerp-w", 1.0, None)
        assert labels(visible=True) == [f"seed {seed}"] == labels() and rows.slider(0) is slider  # relabelled
    p.set_latent(10, ["seed 10", "seed 11"], [1.0, 0.0], 1, "lerp-w", 1.0, None)
    assert labels() == ["seed 10", "seed 11"] and len(rows.findChildren(QSlider)) == 2
    qtbot.waitUntil(lambda: labels(visible=True) == ["seed 10", "seed 11"])
    p.set_latent(3, ["seed 3"], [1.0], 0, "lerp-w", 1.0, None)
    assert labels() == ["seed 3"] and len(rows.findChildren(QSlider)) == 1
    qtbot.waitUntil(lambda: labels(visible=True) == ["seed 3"])


def test_seed_browser_pages_and_picks(qtbot: Any) -> None:
    b = SeedBrowser(thumb_size=16)
    qtbot.addWidget(b)
    picks = _record(b.seedPicked, b.pageRequested)
    b.set_page(12, current=14)
    assert b.seeds()[0] == 12 and b.button(14).isChecked() and not b.has_thumbnail(13)
    b.set_thumbnail(13, np.full((8, 8, 3), 200, np.uint8))
    assert b.has_thumbnail(13)
    qtbot.mouseClick(b.button(13), Qt.MouseButton.LeftButton)
    assert picks == [(13,)]


def test_view_panel_edits_cameras(qtbot: Any) -> None:
    p = ViewPanel()
    qtbot.addWidget(p)
    cams = _record(p.cameraEdited)
    p.set_camera(Camera(center=(0.5, 0.25), zoom=2.0, rotation=30.0))
    assert cams == [] and p.dial.value() == 30
    p.dial.setValue(-45)
    assert cams[-1][0] == Camera(center=(0.5, 0.25), zoom=2.0, rotation=-45.0)


def test_model_panel_shows_info_and_errors(qtbot: Any) -> None:
    p = ModelPanel()
    qtbot.addWidget(p)
    devices = _record(p.deviceChanged)
    p.set_info({"family": "cips-skip", "resolution": 32, "z_dim": 40, "w_dim": 40, "num_ws": 13,
                "num_params": 2414301, "device": "cpu"}, "/x/model.pt")
    p.set_device("cpu")
    assert devices == [] and p.device() == "cpu"
    p.set_error("bad.pkl: not a supported checkpoint")
    assert p.error() == "bad.pkl: not a supported checkpoint"
    p.set_loading(True)
    assert p.error() == ""
