"""Analysis panels: they plot what they are given and emit intents, silently when state is pushed."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt

from widgets.ablation_panel import AblationPanel
from widgets.consistency_panel import ConsistencyPanel
from widgets.pca_dock import PcaPanel
from widgets.spectrum_dock import SpectrumPanel


def _record(*signals: Any) -> list[Any]:
    out: list[Any] = []
    for s in signals:
        s.connect(lambda *a: out.append(a))
    return out


def test_spectrum_panel_plots_log_profile_and_overlays(qtbot: Any) -> None:
    p = SpectrumPanel()
    qtbot.addWidget(p)
    got = _record(p.averageRequested, p.overlaysChanged, p.followToggled, p.refreshRequested)
    freqs = np.arange(9) / 16
    prof = np.array([0.0, 1e3, 1e2, 10.0, 1.0, 0.1, 0.01, 1e-3, 0.0])
    p.show_spectrum(np.ones((16, 16)), freqs, prof, {"lanczos": prof * 2}, "view (16 × 16)")
    x, y = p.curve("view")
    assert np.array_equal(x, freqs[1:]) and y[0] == 1e3 and y[-1] > 0  # log axis: zero clipped, DC skipped
    assert np.allclose(p.curve("lanczos")[1][:-1], 2 * prof[1:-1]) and p.image().shape == (16, 16)
    p.set_overlays(("bicubic",))
    p.set_follow(True)
    assert got == [] and p.overlay_box("bicubic").isChecked()
    p.overlay_box("lanczos").setChecked(True)
    p.set_seeds(5)
    p.set_busy(False)
    qtbot.mouseClick(p.average_button, Qt.MouseButton.LeftButton)
    assert got == [(("bicubic", "lanczos"),), (5,)]
    p.set_busy(True, 0.5)
    assert not p.average_button.isEnabled() and p.cancel_button.isEnabled()


def test_pca_panel_shows_components_and_bars(qtbot: Any) -> None:
    p = PcaPanel()
    qtbot.addWidget(p)
    names = _record(p.embeddingChanged)
    p.set_embeddings(["b4.const_embs", "b16.const_embs"], "b16.const_embs")
    assert names == [] and p.current() == "b16.const_embs"
    rgb = np.zeros((8, 8, 3), np.uint8)
    rgb[..., 0] = 200
    explained = np.linspace(0.3, 0.01, 12)
    p.show_pca(rgb, explained)
    assert np.array_equal(p.image(), rgb) and np.array_equal(p.explained(), explained[:10])
    p.clear()
    assert p.explained().size == 0


def test_ablation_panel_disables_missing_inputs(qtbot: Any) -> None:
    p = AblationPanel()
    qtbot.addWidget(p)
    got = _record(p.ablationChanged)
    p.set_available(("fourier",), "creps")
    p.set_ablate(("fourier",))
    assert got == [] and not p.box("embedding").isEnabled()
    assert p.box("embedding").toolTip() == "The creps family has no learned embeddings to zero"
    p.set_available(("embedding", "fourier"), "cips-skip")
    p.box("embedding").setChecked(True)
    assert got == [(("embedding", "fourier"),)]


def test_consistency_panel_parses_scales_and_shows_rows(qtbot: Any) -> None:
    p = ConsistencyPanel()
    qtbot.addWidget(p)
    runs = _record(p.runRequested)
    p.set_inputs("2, 4 8", 3)
    qtbot.mouseClick(p.run_button, Qt.MouseButton.LeftButton)
    p.set_inputs("two", 3)
    qtbot.mouseClick(p.run_button, Qt.MouseButton.LeftButton)
    assert runs == [((2, 4, 8), 3)] and "whole numbers" in p.message()
    p.set_rows([{"scale": 2.0, "psnr": 31.234, "ssim": 0.91234}])
    assert [p.cell(0, j) for j in range(3)] == ["2×", "31.23", "0.9123"]


def test_sr_foveation_and_panorama_panels(qtbot: Any) -> None:
    from widgets.foveation_panel import FoveationPanel
    from widgets.panorama_panel import PanoramaPanel, StripSettings
    from widgets.sr_compare import SrComparePanel

    sr = SrComparePanel()
    qtbot.addWidget(sr)
    render = np.zeros((40, 40, 3), np.uint8)
    up = np.full((40, 40, 3), 200, np.uint8)
    sr.show_comparison({"render": render, "lanczos": up, "nearest": up}, {"lanczos": {"psnr": 30.0, "ssim": 0.9}}, 2)
    sr.set_split(25)
    split = sr.split_image()
    assert (split[:, :9] == 0).all() and (split[:, 11:] == 200).all()
    sr.set_crop_centre(1.0, 0.0)
    assert sr.crop_box() == (30, 0, 10, 10) and "30.00" in sr.message()
    fov = FoveationPanel()
    qtbot.addWidget(fov)
    got = _record(fov.settingsChanged, fov.focusPicked)
    fov._levels.setValue(3)
    fov.show_result(render, up, (3.0, 4.0), "stats")
    fov.set_density_visible(True)
    assert got == [(0.0, 3)] and np.array_equal(fov.shown_image(), up) and fov.message() == "stats"
    fov._image.clicked.emit(5.5, 7.5)  # a click at the centre of pixel (5, 7)
    assert got[-1] == (5.0, 7.0)
    pano = PanoramaPanel()
    qtbot.addWidget(pano)
    changes = _record(pano.settingsChanged)
    want = StripSettings(width=200, turn=4.5, yaw=-45.0, blend=0.25)
    pano.set_settings(want)
    assert pano.settings() == want and len(changes) == 4
    pano.resize(800, 300)
    pano.show_strip(np.full((21, 200, 3), 90, np.uint8), "text")
    assert np.array_equal(pano.image(), np.full((21, 200, 3), 90, np.uint8)) and pano.message() == "text"
    w = pano.strip.width()
    assert pano.strip.height_for_width(w) == round(w * 21 / 200) and pano.height_to_fill_width() > 0
    pano.strip.resize(w, 400)  # taller than needed: full width, centred vertically
    r = pano.strip.target_rect()
    assert r.width() == w and r.height() == round(w * 21 / 200)
