"""Latent files, random walk, device switch, drag-and-drop and the command line, on the real window."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from cli import run_cli
from engine.styles import z_from_seed
from engine.types import Anchor, Camera

if TYPE_CHECKING:
    from pathlib import Path

    from tests.gui_support import GuiApp

WAIT = 30000


def test_save_and_load_latents(qtbot: Any, gui: GuiApp, tmp_path: Path, engine_g: Any) -> None:
    c = gui.controller
    c.latent.set_seed(11)
    c.latent.save_latent("z", str(tmp_path / "z.npy"))
    assert np.array_equal(np.load(tmp_path / "z.npy"), z_from_seed(11, 40))
    c.latent.save_latent("wplus", str(tmp_path / "wplus.npy"))
    c.latent.save_latent("w", str(tmp_path / "w.npy"))
    qtbot.waitUntil(lambda: (tmp_path / "w.npy").exists() and (tmp_path / "wplus.npy").exists(), timeout=WAIT)
    wplus = np.load(tmp_path / "wplus.npy")
    assert np.allclose(wplus, engine_g.mapping(z_from_seed(11, 40)[None])[0], atol=1e-6)
    assert np.array_equal(np.load(tmp_path / "w.npy"), wplus[0])
    c.latent.add_anchor()
    c.latent.set_weight(1, 1.0)  # now a blend in W: no single z describes it
    c.latent.save_latent("z", str(tmp_path / "blend_z.npy"))
    assert not (tmp_path / "blend_z.npy").exists() and "blend in W" in gui.dialogs.messages[-1][1]
    assert c.latent.load_anchor("w", str(tmp_path / "wplus.npy"))
    assert c.store.state.anchors[-1].w is not None and c.latent.active == 2
    np.save(tmp_path / "bad.npy", np.zeros(7, np.float32))
    assert not c.latent.load_anchor("z", str(tmp_path / "bad.npy"))
    assert "expected a z of 40 values" in gui.dialogs.messages[-1][1]


def test_stylegan_npz_latents_load_save_and_drop(qtbot: Any, gui: GuiApp, tmp_path: Path, engine_g: Any) -> None:
    """A StyleGAN projector's projected_w.npz (key w, [1, num_ws, w_dim]) loads from the dialog and by
    drag-and-drop (as an anchor, not a checkpoint); W+ and z save back as .npz under the tools' keys."""
    c = gui.controller
    wplus = engine_g.mapping(z_from_seed(21, 40)[None])
    np.savez(tmp_path / "projected_w.npz", w=wplus)
    gui.dialogs.open_answers = [str(tmp_path / "projected_w.npz")]
    gui.window.latent_panel.loadAnchorRequested.emit("w")  # the panel's "w or W+" menu entry
    anchor = c.store.state.anchors[-1]
    assert anchor.w is not None and np.array_equal(anchor.w.array, wplus[0])
    assert not c.latent.load_anchor("z", str(tmp_path / "projected_w.npz"))
    assert "holds a w" in gui.dialogs.messages[-1][1]
    c.latent.set_active(0)
    c.latent.set_seed(21)
    c.latent.save_latent("wplus", str(tmp_path / "mine.npz"))
    qtbot.waitUntil(lambda: (tmp_path / "mine.npz").exists(), timeout=WAIT)
    with np.load(tmp_path / "mine.npz") as f:
        assert f.files == ["w"] and np.allclose(f["w"], wplus, atol=1e-6)
    c.latent.save_latent("z", str(tmp_path / "z.npz"))
    with np.load(tmp_path / "z.npz") as f:
        assert np.array_equal(f["z"], z_from_seed(21, 40)[None])
    n = len(c.store.state.anchors)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "z.npz"))])
    pos, action = QPoint(100, 100), Qt.DropAction.CopyAction
    enter = QDragEnterEvent(pos, action, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(gui.window, enter)
    drop = QDropEvent(QPointF(pos), action, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(gui.window, drop)
    assert len(c.store.state.anchors) == n + 1 and c.store.state.anchors[-1].z is not None  # the key says z
    assert not c.models.loading


def test_random_walk_is_one_undo_step(qtbot: Any, gui: GuiApp) -> None:
    c = gui.controller
    before = c.store.undo_stack.count()
    gui.window.acts.random_walk.trigger()
    assert c.latent.walking() and gui.window.latent_panel.animating()
    qtbot.waitUntil(lambda: c.store.state.anchors[0].z is not None, timeout=WAIT)
    first = c.store.state.anchors[0].z
    qtbot.waitUntil(lambda: c.store.state.anchors[0].z != first, timeout=WAIT)
    gui.window.acts.random_walk.trigger()
    assert not c.latent.walking() and not gui.window.latent_panel.animating()
    assert c.store.undo_stack.count() == before + 1
    c.store.undo_stack.undo()
    assert c.store.state.anchors == (Anchor(seed=0),)


def test_device_switch_reloads_and_keeps_the_view(qtbot: Any, gui: GuiApp) -> None:
    c = gui.controller
    epoch = c.client.epoch
    gui.window.acts.zoom_in.trigger()
    camera = c.store.state.camera
    c.window.model_panel.deviceChanged.emit("cpu")
    qtbot.waitUntil(lambda: c.client.epoch == epoch + 1, timeout=WAIT)
    qtbot.waitUntil(gui.view_is_final, timeout=WAIT)
    assert c.store.state.camera == camera and gui.final_request().epoch == epoch + 1


def test_precision_menu_refuses_an_inaccurate_mode_and_lists_devices(qtbot: Any, gui: GuiApp) -> None:
    c, w = gui.controller, gui.window
    names = [a.text() for a in w.quality_menu.actions()]
    assert "float32 (exact)" in names and "bfloat16" in names
    assert w.model_panel.devices() == ["auto", "cpu"]  # this machine: no CUDA, no MPS
    before = gui.frame().copy()
    tf32 = next(a for a in w.quality_menu.actions() if a.text() == "TF32 (CUDA)")
    assert not tf32.isEnabled()  # this machine has no CUDA: listed, greyed out
    bf16 = next(a for a in w.quality_menu.actions() if a.text() == "bfloat16")
    bf16.trigger()
    assert c.settings.precision == "bfloat16" and c.view.current_request().precision == "bfloat16"
    qtbot.waitUntil(lambda: c.settings.precision == "float32", timeout=WAIT)  # refused by the measurement
    assert "Rendering in float32: bfloat16 is not accurate enough" in w.statusBar().currentMessage()
    qtbot.waitUntil(gui.view_is_final, timeout=WAIT)
    assert np.array_equal(gui.frame(), before) and gui.final_request().precision == "float32"
    assert next(a for a in w.quality_menu.actions() if a.text() == "float32 (exact)").isChecked()


def test_dropping_files_opens_them_by_kind(qtbot: Any, gui: GuiApp, tmp_path: Path, fixtures: Path) -> None:
    np.save(tmp_path / "latent.npy", z_from_seed(5, 40)[None])
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "latent.npy")),
                  QUrl.fromLocalFile(str(fixtures / "security" / "malicious_snapshot.pkl"))])
    pos, action = QPoint(100, 100), Qt.DropAction.CopyAction
    enter = QDragEnterEvent(pos, action, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(gui.window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(pos), action, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(gui.window, drop)
    assert len(gui.controller.store.state.anchors) == 2  # the .npy became an anchor (z_dim == w_dim: a w)
    qtbot.waitUntil(lambda: not gui.controller.models.loading, timeout=WAIT)
    assert "malicious_snapshot.pkl" in gui.window.model_panel.error()


def test_command_line_opens_a_checkpoint(qtbot: Any, tmp_path: Path, skip32: str) -> None:
    from app.bootstrap import build, parse_args

    assert parse_args(["m.pt", "--device", "cpu"]).device == "cpu"
    window, controller = build([skip32, "--config-dir", str(tmp_path / "c"), "--data-dir", str(tmp_path / "d")])
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: controller.models.info is not None, timeout=WAIT)
    assert controller.models.path == skip32 and controller.settings.device == "auto"
    controller.close()
    assert (tmp_path / "c" / "settings.ini").exists() and not (tmp_path / "d" / "running.lock").exists()


def test_window_layout_and_options_are_restored(qtbot: Any, tmp_path: Path, skip32: str) -> None:
    from tests.gui_support import make_app

    first = make_app(qtbot, tmp_path, skip32)
    qtbot.waitUntil(lambda: first.controller.models.info is not None, timeout=WAIT)
    first.window.model_dock.hide()
    first.controller.view.set_overlay(False)
    first.controller.view.set_quality(0.5)
    first.controller.close()
    second = make_app(qtbot, tmp_path, None, quality=None)  # no path: the last model opens again
    assert second.window.model_dock.isHidden() and not second.window.view_dock.isHidden()
    assert not second.window.canvas.overlay_visible() and second.controller.settings.quality == 0.5
    assert second.controller.models.loading_path == os.path.abspath(skip32)
    second.controller.close()


def test_recipes_come_back_through_file_open_and_drop(qtbot: Any, gui: GuiApp, tmp_path: Path, skip32: str) -> None:
    """Save an image, change everything, File → Open Recipe: the view, anchors, sliders, ψ and precision come
    back and the canvas shows the saved pixels again; a CLI export dropped on the window opens the same way."""
    from app.state.view_state import ViewState

    c, w = gui.controller, gui.window
    state = ViewState(camera=Camera(center=(0.2, -0.3), zoom=1.6, rotation=12.0),
                      anchors=(Anchor(seed=3), Anchor(seed=8)), weights=(1.0, 0.4), psi=0.8)
    c.store.set(state, "test view")
    qtbot.waitUntil(gui.view_is_final, timeout=WAIT)
    saved = gui.frame().copy()
    gui.dialogs.save_answers.append(str(tmp_path / "view.png"))
    w.acts.save_image.trigger()
    qtbot.waitUntil(lambda: (tmp_path / "view.png").exists(), timeout=WAIT)
    c.store.set(ViewState(), "reset")
    qtbot.waitUntil(gui.view_is_final, timeout=WAIT)
    assert not np.array_equal(gui.frame(), saved)
    gui.dialogs.open_answers.append(str(tmp_path / "view.png"))
    w.acts.open_recipe.trigger()
    s = c.store.state
    assert (s.camera, s.anchors, s.weights, s.psi) == (state.camera, state.anchors, state.weights, state.psi)
    qtbot.waitUntil(gui.view_is_final, timeout=WAIT)
    assert np.array_equal(gui.frame(), saved)
    assert "Opened the recipe of view.png" in w.statusBar().currentMessage()
    # a command-line export, dropped on the window
    assert run_cli(["export", skip32, "--seed", "5", "--zoom", "0.5", "--size", "20", "20",
                    "--out", str(tmp_path / "cli.tif")]) == 0
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "cli.tif"))])
    for event in (QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                                  Qt.KeyboardModifier.NoModifier),
                  QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                             Qt.KeyboardModifier.NoModifier)):
        QApplication.sendEvent(w, event)
    qtbot.waitUntil(lambda: c.store.state.anchors == (Anchor(seed=5),), timeout=WAIT)  # after its model loads
    assert c.store.state.camera.zoom == 0.5 and os.path.samefile(c.models.path, skip32)
    assert gui.dialogs.messages == []
    # a plain image without a recipe: a clear message, nothing changes
    Image.new("RGB", (4, 4)).save(tmp_path / "plain.png")
    before = c.store.state
    assert not c.sessions.open_recipe(str(tmp_path / "plain.png"))
    assert c.store.state == before and "no inr-explorer recipe" in gui.dialogs.messages[-1][1]
