"""User flows on real widgets with a threaded engine: open, pan, blend, undo, hostile file, save, sessions."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt

from engine.coords import pixel_step
from engine.renderer import render_image
from engine.types import Anchor, Camera, StyleSpec
from tests.gui_support import CANVAS, FakeDialogs, GuiApp, canvas_pixels, drag, make_app

WAIT = 30000


def wait_final(qtbot: Any, gui: GuiApp) -> None:
    qtbot.waitUntil(gui.view_is_final, timeout=WAIT)


def test_opens_model_and_paints_the_engine_render(gui: GuiApp, engine_g: Any) -> None:
    req = gui.final_request()
    assert req.size == (CANVAS, CANVAS) and req.camera == Camera()
    expected = render_image(engine_g, StyleSpec(), Camera(), (CANVAS, CANVAS))
    assert np.array_equal(gui.frame(), expected)
    gui.controller.view.set_overlay(False)
    assert np.array_equal(canvas_pixels(gui.window.canvas), expected)  # painted as rendered, not rescaled
    gui.controller.view.set_overlay(True)
    assert not np.array_equal(canvas_pixels(gui.window.canvas), expected)  # the training frame is outlined
    assert "cips_skip_32" in gui.window.model_label.text() and "cpu" in gui.window.device_label.text()


def test_drag_pans_the_grid_and_undo_restores(qtbot: Any, gui: GuiApp, engine_g: Any) -> None:
    before = gui.frame().copy()
    step = pixel_step(Camera(), CANVAS, CANVAS)
    drag(gui.window.canvas, (40, 30), (50, 34), steps=5)
    cam = gui.controller.store.state.camera
    assert np.allclose(cam.center, (-10 * step, -4 * step), atol=1e-12)
    assert gui.controller.store.undo_stack.count() == 1  # one drag = one undo step
    wait_final(qtbot, gui)
    after = gui.frame()
    assert np.array_equal(after, render_image(engine_g, StyleSpec(), cam, (CANVAS, CANVAS)))
    # the content followed the cursor: the old pixels reappear 10 px right and 4 px down
    same = np.abs(after[4:, 10:].astype(int) - before[:-4, :-10].astype(int)).max(-1) <= 1
    assert same.mean() > 0.99
    gui.window.acts.undo.trigger()
    assert gui.controller.store.state.camera == Camera()
    wait_final(qtbot, gui)
    assert np.array_equal(gui.frame(), before)


def test_wheel_zoom_keeps_the_point_under_the_cursor(qtbot: Any, gui: GuiApp) -> None:
    view = gui.controller.view
    under = view.widget_to_frame()
    x, y = 20.0, 44.0
    fx, fy = under[:, :2] @ (x, y) + under[:, 2]
    gui.window.canvas.zoomRequested.emit(1.44, x, y)
    after = view.widget_to_frame()
    assert np.allclose(after[:, :2] @ (x, y) + after[:, 2], (fx, fy))
    assert abs(gui.controller.store.state.camera.zoom - 1.44) < 1e-12


def test_blend_slider_renders_the_engine_blend_and_undo(qtbot: Any, gui: GuiApp, engine_g: Any) -> None:
    before = gui.frame().copy()
    gui.window.latent_panel.addAnchorRequested.emit()
    state = gui.controller.store.state
    assert [a.seed for a in state.anchors] == [0, 1] and state.weights == (1.0, 0.0)
    slider = gui.window.latent_panel.anchor_list.slider(1)
    slider.setSliderDown(True)  # a drag: several values, one undo step
    for v in (200, 350, 500):
        slider.setValue(v)
    slider.setSliderDown(False)
    state = gui.controller.store.state
    assert state.weights == (1.0, 0.5) and state.mix() == (2 / 3, 1 / 3)
    wait_final(qtbot, gui)
    blend = StyleSpec(anchors=(Anchor(seed=0), Anchor(seed=1)), mix=(2 / 3, 1 / 3))
    assert np.array_equal(gui.frame(), render_image(engine_g, blend, Camera(), (CANVAS, CANVAS)))
    assert not np.array_equal(gui.frame(), before)
    undo = gui.controller.store.undo_stack
    undo.undo()  # the whole slider drag
    assert gui.controller.store.state.weights == (1.0, 0.0)
    undo.undo()  # adding the anchor
    wait_final(qtbot, gui)
    assert np.array_equal(gui.frame(), before)
    assert gui.window.latent_panel.anchor_list.weights() == [1.0]


def test_slerp_and_truncation_match_the_engine(qtbot: Any, gui: GuiApp, engine_g: Any) -> None:
    panel = gui.window.latent_panel
    panel.addAnchorRequested.emit()
    panel.anchorWeightChanged.emit(1, 1.0)
    panel.interpChanged.emit("slerp-z")
    panel.psiChanged.emit(0.5)
    wait_final(qtbot, gui)
    spec = StyleSpec(anchors=(Anchor(seed=0), Anchor(seed=1)), mix=(0.5, 0.5), interp="slerp-z", psi=0.5)
    assert gui.controller.store.state.style() == spec
    assert np.array_equal(gui.frame(), render_image(engine_g, spec, Camera(), (CANVAS, CANVAS)))


def test_hostile_checkpoint_is_refused_and_the_app_keeps_working(qtbot: Any, gui: GuiApp, fixtures: Path) -> None:
    marker = Path("/tmp/inr_explorer_pwned")
    info = gui.controller.models.info
    for name in ("malicious_snapshot.pkl", "malicious_persistence_src.pkl"):
        gui.controller.open_paths([str(fixtures / "security" / name)])
        assert gui.window.model_panel.error() == ""  # cleared while loading
        qtbot.waitUntil(lambda: not gui.controller.models.loading, timeout=WAIT)
        error = gui.window.model_panel.error()
        assert name in error and "\n" not in error
        assert gui.dialogs.messages[-1][2] and "current model stays" in gui.dialogs.messages[-1][1]
        assert not marker.exists()
    assert gui.controller.models.info == info and gui.controller.view.has_model
    gui.window.acts.pan_left.trigger()  # still rendering with the old model
    wait_final(qtbot, gui)
    assert gui.final_request().camera.center[0] < 0


def test_save_image_writes_png_with_recipe(qtbot: Any, gui: GuiApp, tmp_path: Path, engine_g: Any) -> None:
    gui.controller.view.set_quality(2.0)  # full render resolution: 128 x 128 for the 64 px canvas
    out = tmp_path / "view.png"
    gui.controller.sessions.save_image(str(out))
    qtbot.waitUntil(out.exists, timeout=WAIT)
    img = Image.open(out)
    assert img.size == (128, 128)
    recipe = json.loads(img.text["inr-explorer-recipe"])
    assert recipe["size"] == [128, 128] and recipe["style"]["anchors"] == [{"seed": 0}]
    assert "--seed 0" in recipe["command"] and recipe["model"]["path"].endswith("cips_skip_32.pt")
    expected = render_image(engine_g, StyleSpec(), Camera(), (128, 128))
    assert np.array_equal(np.asarray(img.convert("RGB")), expected)


def test_session_round_trip_and_missing_model(qtbot: Any, gui: GuiApp, tmp_path: Path) -> None:
    c = gui.controller
    c.latent.set_seed(7)
    c.latent.add_anchor()
    c.latent.set_weight(1, 0.25)
    gui.window.acts.zoom_out.trigger()
    qtbot.waitUntil(lambda: bool(c.models.sha256), timeout=WAIT)
    saved = c.store.state
    path = tmp_path / "s.json"
    assert c.sessions.save_session(str(path))
    doc = json.loads(path.read_text())
    assert doc["model"]["sha256"] == c.models.sha256 and doc["style"]["anchors"] == [{"seed": 7}, {"seed": 8}]
    c.view.reset_view()
    c.latent.set_seed(3)
    assert c.sessions.open_session(str(path))
    assert c.store.state == saved and c.store.undo_stack.count() == 0
    doc["model"]["path"] = str(tmp_path / "gone.pt")
    doc["version"] = 99
    path.write_text(json.dumps(doc))
    c.view.reset_view()
    assert c.sessions.open_session(str(path))
    assert c.store.state == saved and c.models.info is not None  # opened what it could
    text = gui.dialogs.messages[-1][1]
    assert "newer version" in text and "gone.pt" in text


def test_crash_restore_offers_the_autosave(qtbot: Any, tmp_path: Path, skip32: str) -> None:
    first = make_app(qtbot, tmp_path, skip32)
    qtbot.waitUntil(lambda: first.controller.models.info is not None, timeout=WAIT)
    first.controller.latent.set_seed(42)
    first.controller.sessions.autosave()  # a crash: no close(), so the lock stays behind
    assert (tmp_path / "data" / "running.lock").exists() and (tmp_path / "data" / "autosave.json").exists()
    first.controller.client.shutdown()
    second = make_app(qtbot, tmp_path, skip32)
    assert len(second.dialogs.questions) == 1 and "did not close normally" in second.dialogs.questions[0][0]
    second.dialogs.questions[0][1](True)
    qtbot.waitUntil(lambda: second.controller.store.state.anchors[0].seed == 42, timeout=WAIT)
    second.controller.close()
    assert not (tmp_path / "data" / "running.lock").exists()
    third = make_app(qtbot, tmp_path, skip32)
    assert third.dialogs.questions == []  # a clean exit asks nothing
    third.controller.close()


def test_missing_default_model_shows_a_hint_and_open_still_works(
        qtbot: Any, tmp_path: Path, skip32: str, monkeypatch: Any) -> None:
    import engine.checkpoints

    monkeypatch.setattr(engine.checkpoints, "default_path", lambda: tmp_path / "no_default.safetensors")
    gui = make_app(qtbot, tmp_path, None)
    qtbot.waitUntil(lambda: "default generator is not available" in gui.window.canvas.message(), timeout=WAIT)
    assert gui.controller.models.info is None and not gui.window.canvas.has_frame()
    assert gui.dialogs.messages == []  # a first run without the default is not an error dialog
    gui.dialogs.open_answers.append(skip32)
    gui.window.acts.open_model.trigger()
    qtbot.waitUntil(gui.view_is_final, timeout=WAIT)
    assert gui.window.canvas.has_frame()
    gui.controller.close()
    from app.state.settings import Settings

    settings = Settings.load(tmp_path / "config" / "settings.ini")
    assert settings.last_model == os.path.abspath(skip32) and settings.recent_files == [os.path.abspath(skip32)]


def test_progressive_passes_and_seed_browser(qtbot: Any, tmp_path: Path, skip32: str) -> None:
    gui = make_app(qtbot, tmp_path, skip32, seeds_visible=True)
    strides: list[int] = []
    gui.controller.client.frameReady.connect(lambda f, r: strides.append(f.stride))
    qtbot.waitUntil(gui.view_is_final, timeout=WAIT)
    assert strides[0] > 1 and strides[-1] == 1  # a coarse pass came first
    browser = gui.window.seed_browser
    qtbot.waitUntil(lambda: all(browser.has_thumbnail(s) for s in browser.seeds()), timeout=WAIT)
    qtbot.mouseClick(browser.button(5), Qt.MouseButton.LeftButton)
    assert gui.controller.store.state.anchors[0].seed == 5
    assert gui.window.latent_panel.seed() == 5 and browser.button(5).isChecked()
    gui.controller.close()


def test_long_render_never_freezes_input(qtbot: Any, gui: GuiApp) -> None:
    import time

    from PySide6.QtCore import QTimer

    c = gui.controller
    shown: list[tuple[int, int]] = []
    c.client.frameReady.connect(lambda f, r: shown.append((f.request_id, f.stride)))
    c.view.set_quality(4.0)  # 256 x 256: the final pass takes seconds on CPU, in several tiles
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT)
    slow_id = shown[-1][0]
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(10)
    qtbot.wait(400)  # the engine is busy refining; the GUI thread keeps turning
    timer.stop()
    assert len(ticks) > 10 and max(b - a for a, b in itertools.pairwise(ticks)) < 0.25
    assert not c.view.frame_matches_view()
    gui.window.acts.pan_left.trigger()  # the refinement of the old view stops; the new view comes
    qtbot.waitUntil(lambda: shown[-1][0] != slow_id, timeout=WAIT)
    assert (slow_id, 1) not in shown and c.store.state.camera.center[0] < 0


def test_canvas_keyboard_shortcuts(qtbot: Any, gui: GuiApp) -> None:
    w = gui.window
    w.activateWindow()
    qtbot.waitActive(w)
    w.canvas.setFocus()
    state = gui.controller.store
    qtbot.keyClick(w.canvas, Qt.Key.Key_R)
    assert state.state.camera.rotation == -15.0
    qtbot.keyClick(w.canvas, Qt.Key.Key_Plus)
    assert state.state.camera.zoom == 1.25
    qtbot.keyClick(w.canvas, Qt.Key.Key_Left)
    assert state.state.camera.center[0] != 0.0
    qtbot.keyClick(w.canvas, Qt.Key.Key_Home)
    assert state.state.camera == Camera()
    qtbot.keyClick(w.canvas, Qt.Key.Key_BracketRight)  # next seed (window-wide)
    assert state.state.anchors[0].seed == 1
    qtbot.keyClick(w.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert state.state.anchors[0].seed == 0


def test_help_about_clipboard_log_and_excepthook(qtbot: Any, tmp_path: Path, skip32: str) -> None:
    """Help lists the real shortcuts (from the actions), About names the versions and device, Copy View puts
    the canvas on the clipboard, and an unexpected error is logged and shown instead of ending the app."""
    import logging
    import sys

    from PySide6.QtGui import QGuiApplication

    from app.bootstrap import app_icon, build
    from app.shell.logs import install_excepthook

    window, c = build([skip32, "--config-dir", str(tmp_path / "c"), "--data-dir", str(tmp_path / "d")])
    qtbot.addWidget(window)
    d = FakeDialogs()
    c.dialogs = d  # the controller's own dialogs: recorded instead of shown
    qtbot.waitUntil(lambda: c.models.info is not None and c.view.last_final is not None, timeout=60000)
    window.acts.shortcuts_help.trigger()
    title, text, _ = d.messages[-1]
    assert title == "Keyboard shortcuts"
    for expected in ("Ctrl+Shift+W", "random walk", "Ctrl+Alt+O", "Shift-drag", "copy view"):
        assert expected.lower() in text.lower(), expected
    assert "Ctrl+Space" not in text  # Spotlight on macOS
    window.acts.about.trigger()
    title, text, _ = d.messages[-1]
    assert title == "About INR Explorer" and "PyTorch" in text
    assert "cpu (float32)" in text and "inr-explorer.log" in text
    window.acts.copy_view.trigger()
    img = QGuiApplication.clipboard().image().convertToFormat(QGuiApplication.clipboard().image().Format.Format_RGB888)
    frame = c.view.last_final[0].image
    assert (img.width(), img.height()) == (frame.shape[1], frame.shape[0])
    got = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())[:, :3 * img.width()]
    assert np.array_equal(got.reshape(frame.shape), frame)
    assert not app_icon().isNull()
    reports: list[tuple[str, str]] = []
    restore = install_excepthook(lambda s, det: reports.append((s, det)))
    try:
        try:
            raise RuntimeError("boom in a slot")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
    finally:
        restore()
    assert reports and reports[0][0] == "RuntimeError: boom in a slot" and "Traceback" in reports[0][1]
    for h in logging.getLogger("inr_explorer").handlers:
        h.flush()
    log = (tmp_path / "d" / "inr-explorer.log").read_text()
    assert "boom in a slot" in log
    c.close()
