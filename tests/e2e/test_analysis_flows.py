"""Analysis docks on the real window: numbers equal the engine's and the command line's."""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from app.bridge.analysis_jobs import PCAReport
from cli import run_cli
from engine.analysis import embedding_pca, log_magnitude, radial_profile, scale_consistency, spectrum, upsample
from engine.coords import camera_grid
from engine.renderer import render_float, to_uint8
from engine.styles import z_from_seed
from engine.types import Camera, StyleSpec
from tests.gui_support import GuiApp, make_app

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

WAIT = 60000
CREPS = "creps/creps_small.pkl"


@pytest.fixture
def small(qtbot: Any, tmp_path: Path, skip32: str) -> Iterator[GuiApp]:
    app = make_app(qtbot, tmp_path, skip32, quality=0.5)  # 32 x 32 view = the fixture's native grid
    qtbot.waitUntil(lambda: app.controller.models.info is not None, timeout=WAIT)
    qtbot.waitUntil(app.view_is_final, timeout=WAIT)
    yield app
    app.controller.close()


def _csv(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_spectrum_dock_matches_engine_and_cli(qtbot: Any, small: GuiApp, tmp_path: Path, skip32: str,
                                              engine_g: Any) -> None:
    sc, panel = small.controller.spectrum, small.window.tools.spectrum_panel
    small.window.tools.acts.spectrum.trigger()  # opens the dock and computes the view's spectrum
    assert small.window.tools.spectrum_dock.isVisible()
    qtbot.waitUntil(lambda: sc.result is not None, timeout=WAIT)
    power = spectrum(render_float(engine_g, StyleSpec(), camera_grid(Camera(), 32, 32))[0])
    freqs, prof = radial_profile(power)
    assert np.allclose(sc.result.profile, prof, rtol=1e-6) and np.allclose(panel.image(), log_magnitude(power))
    x, y = panel.curve("view")
    assert np.allclose(x, freqs[1:]) and np.allclose(y, prof[1:], rtol=1e-6)
    # mean over seeds 0..2 at the identity camera and native size = main.py spectrum --seeds 3
    panel.set_seeds(3)
    qtbot.mouseClick(panel.average_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sc.result.samples == 3, timeout=WAIT)
    assert run_cli(["spectrum", skip32, "--seeds", "3", "--out", str(tmp_path / "cli")]) == 0
    cli = np.array(_csv(tmp_path / "cli.csv")[1:], float)
    assert np.allclose(sc.result.freqs, cli[:, 0]) and np.allclose(sc.result.profile, cli[:, 1], rtol=1e-4)
    png = np.asarray(Image.open(tmp_path / "cli.png"))[..., 0].astype(int)
    mag = sc.result.log_magnitude
    assert np.abs(np.clip(mag / mag.max() * 255 + 0.5, 0, 255).astype(int) - png).max() <= 1
    assert sc.save_csv(str(tmp_path / "dock.csv")) and sc.save_plot(str(tmp_path / "plot.png"))
    dock = np.array(_csv(tmp_path / "dock.csv")[1:], float)
    assert _csv(tmp_path / "dock.csv")[0] == _csv(tmp_path / "cli.csv")[0]
    assert np.array_equal(dock[:, 1], sc.result.profile)
    assert Image.open(tmp_path / "plot.png").size[0] > 100


def test_spectrum_overlays_upsample_the_native_render(qtbot: Any, small: GuiApp, engine_g: Any) -> None:
    sc, panel = small.controller.spectrum, small.window.tools.spectrum_panel
    small.controller.view.set_quality(1.0)  # 64 x 64: about twice the native density
    qtbot.waitUntil(small.view_is_final, timeout=WAIT)
    small.window.tools.show_dock(small.window.tools.spectrum_dock)
    panel.overlay_box("bicubic").setChecked(True)
    panel.overlay_box("lanczos").setChecked(True)
    sc.refresh()
    qtbot.waitUntil(lambda: sc.result is not None and "lanczos" in sc.result.overlays, timeout=WAIT)
    r = sc.result
    assert r.native_size == (32, 32) and abs(r.density - 63 / 31) < 1e-12
    low = render_float(engine_g, StyleSpec(), camera_grid(Camera(), 32, 32))[0]
    for m in ("bicubic", "lanczos"):
        expected = radial_profile(spectrum(upsample(low, 64, 64, m)))[1]
        assert np.allclose(r.overlays[m], expected, rtol=1e-6)
        assert np.allclose(panel.curve(m)[1], expected[1:], rtol=1e-6)
    assert "32 × 32 render upsampled" in panel.message()


def test_ablations_pca_and_consistency(qtbot: Any, small: GuiApp, fixtures: Path, skip32: str, tmp_path: Path,
                                       engine_g: Any) -> None:
    c, tools = small.controller, small.window.tools
    # ablation toggles flow into the render's StyleSpec
    tools.ablation_panel.box("embedding").setChecked(True)
    assert c.store.state.ablate == ("embedding",) and c.view.current_request().style.ablate == ("embedding",)
    qtbot.waitUntil(small.view_is_final, timeout=WAIT)
    expected = render_float(engine_g, StyleSpec(ablate=("embedding",)), camera_grid(Camera(), 32, 32))[0]
    assert np.array_equal(small.frame(), to_uint8(expected))
    c.store.undo_stack.undo()
    assert c.store.state.ablate == () and not tools.ablation_panel.box("embedding").isChecked()
    # embedding PCA = main.py pca
    tools.show_dock(tools.pca_dock)
    qtbot.waitUntil(lambda: c.analysis.pca is not None, timeout=WAIT)
    assert run_cli(["pca", skip32, "--out", str(tmp_path / "pca")]) == 0
    assert np.array_equal(tools.pca_panel.image(), np.asarray(Image.open(tmp_path / "pca_emb_input.png")))
    row = _csv(tmp_path / "pca.csv")[1]
    assert row[0] == "emb.input" and np.allclose(np.round(tools.pca_panel.explained(), 6), np.array(row[1:], float))
    ref = embedding_pca(engine_g.coordinate_embeddings()["emb.input"].numpy())
    assert np.array_equal(tools.pca_panel.image(), PCAReport.rgb8(ref))
    # scale consistency = main.py consistency
    tools.consistency_panel.set_inputs("2", 2)
    qtbot.mouseClick(tools.consistency_panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tools.consistency_panel.cell(0, 0) == "2×", timeout=WAIT)
    want = scale_consistency(engine_g, engine_g.mapping(np.stack([z_from_seed(s, 40) for s in range(2)])), (2,))[0]
    assert tools.consistency_panel.cell(0, 1) == f"{want['psnr']:.2f}"
    assert tools.consistency_panel.cell(0, 2) == f"{want['ssim']:.4f}"
    # a family without learned embeddings: PCA says why, the embedding ablation is disabled with a reason
    tools.ablation_panel.box("embedding").setChecked(True)
    c.models.load(str(fixtures / CREPS))
    qtbot.waitUntil(lambda: (c.models.info or {}).get("family") == "creps", timeout=WAIT)
    qtbot.waitUntil(lambda: c.analysis.pca is not None and c.analysis.pca.family == "creps", timeout=WAIT)
    assert "creps has no learned per-position embeddings" in tools.pca_panel.message()
    box = tools.ablation_panel.box("embedding")
    assert not box.isEnabled() and "creps family has no learned embeddings" in box.toolTip()
    assert tools.ablation_panel.box("fourier").isEnabled() and c.store.state.ablate == ()
    qtbot.waitUntil(small.view_is_final, timeout=WAIT)


def test_super_resolution_compare_matches_engine(qtbot: Any, small: GuiApp, engine_g: Any) -> None:
    from engine.renderer import spec_styles
    from engine.superres import sr_compare

    sc, panel = small.controller.superres, small.window.tools.sr_panel
    small.window.tools.show_dock(small.window.tools.sr_dock)
    panel.factor_box().setValue(2)
    qtbot.mouseClick(panel.compare_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sc.report is not None, timeout=WAIT)
    want = sr_compare(engine_g, spec_styles(engine_g, StyleSpec()), Camera(), (32, 32), 2)
    assert sc.report.size == (32, 32) and set(sc.report.metrics) == {"nearest", "bicubic", "lanczos"}
    for m, r in want.metrics.items():
        assert sc.report.metrics[m] == pytest.approx(r, rel=1e-6)
        assert f"{r['psnr']:.2f}" in panel.message()
    render, lanczos = to_uint8(want.images["render"]), to_uint8(want.images["lanczos"])
    split = panel.split_image()
    assert split.shape == (64, 64, 3) and np.array_equal(split[:, :31], render[:, :31])
    assert np.array_equal(split[:, 33:], lanczos[:, 33:])
    panel.set_crop_centre(0.0, 1.0)  # bottom-left corner: both crops show the same region
    x, y, w, h = panel.crop_box()
    assert (x, y, w, h) == (0, 48, 16, 16)
    left, right = panel.crop_images()
    assert np.array_equal(left, render[48:, :16]) and np.array_equal(right, lanczos[48:, :16])
    panel.set_method("nearest")
    assert np.array_equal(panel.crop_images()[1], to_uint8(want.images["nearest"])[48:, :16])


def test_foveation_dock_and_panorama_strip(qtbot: Any, small: GuiApp, engine_g: Any, tmp_path: Path) -> None:
    from app.controllers.panorama import strip_size
    from engine.foveation import foveate
    from engine.panorama import seam_stats
    from engine.renderer import render_camera
    from widgets.panorama_panel import StripSettings

    c, tools = small.controller, small.window.tools
    tools.show_dock(tools.foveation_dock)
    qtbot.waitUntil(lambda: c.foveation.report is not None, timeout=WAIT)
    want = foveate(engine_g, StyleSpec(), Camera(), (32, 32))
    assert np.array_equal(c.foveation.report.image, to_uint8(want.image[0]))
    assert c.foveation.report.stats["samples"] == want.plan.n_samples
    assert np.array_equal(tools.foveation_panel.shown_image(), c.foveation.report.image)
    tools.foveation_panel.focusPicked.emit(5.0, 7.0)
    qtbot.waitUntil(lambda: c.foveation.report.focus == (5.0, 7.0), timeout=WAIT)
    want = foveate(engine_g, StyleSpec(), Camera(), (32, 32), focus=(5.0, 7.0))
    assert np.array_equal(c.foveation.report.image, to_uint8(want.image[0]))
    assert f"{want.plan.n_samples:,} of 1,024 pixels" in tools.foveation_panel.message()
    tools.foveation_panel.set_density_visible(True)
    assert tools.foveation_panel.shown_image()[..., 0].max() == 255
    tools.foveation_dock.hide()
    # View -> Panorama Strip: an upright strip of the view with a cross-faded wrap, measured, exportable
    tools.panorama_panel.set_settings(StripSettings(width=96, turn=5.0, yaw=30.0, blend=0.25))
    tools.panorama_action.trigger()
    assert tools.panorama_dock.isVisible()
    cam = Camera(center=(0.0, 0.0), zoom=1.0, rotation=30.0, projection="cylinder", blend=0.25)
    size = strip_size(96, 5.0)
    qtbot.waitUntil(lambda: c.panorama.report is not None and c.panorama.report.camera == cam, timeout=WAIT)
    rgb = render_camera(engine_g, StyleSpec(), cam, size)[0]
    assert size == (96, 20) and np.array_equal(c.panorama.report.image, to_uint8(rgb))
    seam, text = seam_stats(rgb), tools.panorama_panel.message()
    assert c.panorama.report.seam == seam and f"{seam.seam:.4f}" in text and f"median {seam.median:.4f}" in text
    assert ("seamless" in text) == (seam.ratio < 1.5) and "seamless" in text
    assert np.array_equal(tools.panorama_panel.image(), c.panorama.report.image)
    tools.panorama_panel.exportRequested.emit()
    ex = c.exports
    assert ex.dialog.isVisible() and (ex.dialog.options().width, ex.dialog.options().height) == size
    ex.dialog.set_path(str(tmp_path / "pano.png"))
    qtbot.mouseClick(ex.dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not ex.busy and (tmp_path / "pano.png").exists(), timeout=WAIT)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "pano.png")), to_uint8(rgb))


def test_panorama_of_a_periodic_model_uses_its_own_turn(qtbot: Any, tmp_path: Path) -> None:
    """A model periodic along x (the default generator's kind): the dock turns off Turn and Blend, renders one
    exact period without a cross-fade, says so, and the wrap is like a neighbouring column pair."""
    from engine import load_generator
    from engine.coords import periodic_strip
    from engine.panorama import seam_stats
    from engine.renderer import render_camera
    from engine.training.train import PRESETS, TrainConfig, Trainer, export_weights
    from tests.gui_support import make_app

    model = tmp_path / "periodic.safetensors"
    export_weights(model, Trainer(TrainConfig(**PRESETS["tiny"])), {})
    app = make_app(qtbot, tmp_path, str(model), quality=0.5)
    try:
        c, tools = app.controller, app.window.tools
        qtbot.waitUntil(lambda: c.models.info is not None and app.view_is_final(), timeout=WAIT)
        assert c.models.info["period_x"] == 8.0
        tools.panorama_action.trigger()
        qtbot.waitUntil(lambda: c.panorama.report is not None, timeout=WAIT)
        panel = tools.panorama_panel
        assert panel.period() == 8.0 and not panel.turn_editable()
        cam, size = periodic_strip(8.0, panel.settings().width)
        assert c.panorama.report.camera == cam and c.panorama.report.image.shape[:2] == (size[1], size[0])
        rgb = render_camera(load_generator(str(model)), StyleSpec(), cam, size)[0]
        assert np.array_equal(c.panorama.report.image, to_uint8(rgb))
        assert "the model's own period, no cross-fade" in panel.message()
        assert seam_stats(rgb).ratio <= 1.2
    finally:
        app.controller.close()
