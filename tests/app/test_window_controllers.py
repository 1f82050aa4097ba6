"""The window-level controllers (model, view, latent, session, export, keyframe) against fake views (issue #17):
each takes the panels, actions, menus and window parts it drives as typed protocols (app/controllers/views.py);
fakes record what they are told, a real render client on a synchronous engine service runs the work, and the
results are compared with what the engine makes for the same view."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QByteArray, QObject, Signal
from PySide6.QtGui import QAction, QTransform
from PySide6.QtWidgets import QMenu

from app.bridge.render_client import RenderClient
from app.state.settings import AppPaths, Settings
from app.state.view_state import ViewStore
from engine import load_generator
from engine.renderer import render_image
from engine.service import RenderService
from engine.styles import z_from_seed
from engine.types import Anchor, Camera, FrozenArray, RenderRequest, StyleSpec
from tests.app.test_controllers import FakeAction, FakeModelEvents, FakeStatus
from tests.gui_support import FakeDialogs

WAIT = 20_000


@pytest.fixture(scope="module")
def g(fixtures: Path) -> Any:
    return load_generator(str(fixtures / "cips" / "cips_skip_32.pt"))


def _actions(*names: str, checkable: tuple[str, ...] = ()) -> SimpleNamespace:
    """Real QActions under the names a controller reads (window.acts in the app)."""
    acts = {n: QAction(n) for n in names}
    for n in checkable:
        acts[n].setCheckable(True)
    return SimpleNamespace(**acts)


def _client(g: Any = None) -> RenderClient:
    return RenderClient(RenderService(sync=True, generator=g))


# ---------------------------------------------------------------------------------------------------- model
class FakeModelPanel(QObject):
    openRequested = Signal()
    recentActivated = Signal(str)
    deviceChanged = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.loading: list[bool] = []
        self.infos: list[tuple[dict[str, Any] | None, str]] = []
        self.errors: list[str] = []
        self.recent: list[list[str]] = []
        self.devices: list[tuple[str, str]] = []

    def set_devices(self, devices: list[tuple[str, str]]) -> None:
        self.devices = devices

    def set_device(self, device: str) -> None:
        pass

    def set_loading(self, loading: bool, path: str = "") -> None:
        self.loading.append(loading)

    def set_info(self, info: dict[str, Any] | None, path: str = "") -> None:
        self.infos.append((info, path))

    def set_error(self, message: str) -> None:
        self.errors.append(message)

    def set_recent(self, paths: list[str]) -> None:
        self.recent.append(list(paths))


class FakeChrome(FakeStatus):
    def __init__(self) -> None:
        super().__init__()
        self.busy: list[bool] = []
        self.model: list[tuple[str, str, str]] = []

    def show_busy(self, busy: bool) -> None:
        self.busy.append(busy)

    def show_model(self, label: str, device: str, name: str) -> None:
        self.model.append((label, device, name))


def test_model_controller_loads_from_file_open_and_keeps_the_model_when_a_load_fails(
        qtbot: Any, fixtures: Path, tmp_path: Path) -> None:
    from app.controllers.model import ModelController

    ckpt = str(fixtures / "cips" / "cips_skip_32.pt")
    panel, action, menu, chrome, dialogs = FakeModelPanel(), FakeAction(), QMenu(), FakeChrome(), FakeDialogs()
    settings = Settings()
    c = ModelController(panel, action, menu, chrome, _client(), settings, dialogs)  # type: ignore[arg-type]
    assert panel.devices and panel.devices[0][0] == "auto" and not menu.isEnabled()
    loaded: list[dict[str, Any]] = []
    hashes: list[str] = []
    c.modelChanged.connect(loaded.append)
    c.hashReady.connect(hashes.append)
    dialogs.open_answers.append(ckpt)
    action.triggered.emit()  # File → Open, the picker answers the checkpoint
    qtbot.waitUntil(lambda: bool(loaded) and bool(hashes), timeout=WAIT)
    info = loaded[0]
    assert info["family"] == "cips-skip" and info["resolution"] == 32 and c.info == info and c.path == ckpt
    assert panel.loading == [True, False] and chrome.busy == [True, False]
    assert chrome.model[-1] == ("cips_skip_32.pt · cips-skip 32px", info["device"], "cips_skip_32.pt")
    assert hashes == [hashlib.sha256(Path(ckpt).read_bytes()).hexdigest()] == [c.sha256]
    assert settings.recent_files == [ckpt] and panel.recent[-1] == [ckpt]
    assert [a.text() for a in menu.actions()] == ["cips_skip_32.pt"] and menu.isEnabled()

    bad = tmp_path / "notes.pt"
    bad.write_text("not a checkpoint")
    failures: list[str] = []
    c.loadFailed.connect(failures.append)
    panel.recentActivated.emit(str(bad))
    qtbot.waitUntil(lambda: bool(failures), timeout=WAIT)
    assert c.info == info and c.path == ckpt  # the loaded model stays
    assert panel.errors[-1] == failures[0] and "not load" in chrome.shown[-1]
    title, text, error = dialogs.messages[-1]
    assert error and "The current model stays loaded." in text
    menu.actions()[0].trigger()  # File → Open Recent → the first entry loads it again
    qtbot.waitUntil(lambda: len(loaded) == 2, timeout=WAIT)
    assert [a.text() for a in menu.actions()] == ["cips_skip_32.pt"]  # entries are replaced, not piled up


# ---------------------------------------------------------------------------------------------------- view
class FakeViewCanvas(QObject):
    panRequested = Signal(float, float)
    zoomRequested = Signal(float, float, float)
    rotateRequested = Signal(float)
    resetRequested = Signal()
    gestureStarted = Signal(str)
    gestureFinished = Signal()
    cursorMoved = Signal(float, float)
    cursorLeft = Signal()
    viewportChanged = Signal(float, float, float)

    def __init__(self, size: tuple[float, float] = (40.0, 30.0)) -> None:
        super().__init__()
        self.size = size
        self.frames: list[tuple[np.ndarray, QTransform]] = []
        self.messages: list[str] = []
        self.busy: list[bool] = []
        self.overlay: list[bool] = []
        self.views: list[QTransform] = []

    def viewport(self) -> tuple[float, float, float]:
        return (*self.size, 1.0)

    def set_view(self, widget_to_frame: QTransform) -> None:
        self.views.append(widget_to_frame)

    def show_frame(self, image: np.ndarray, image_to_frame: QTransform) -> None:
        self.frames.append((image, image_to_frame))

    def clear_frame(self) -> None:
        self.frames.clear()

    def set_message(self, text: str) -> None:
        self.messages.append(text)

    def set_overlay_visible(self, visible: bool) -> None:
        self.overlay.append(visible)

    def set_busy(self, busy: bool) -> None:
        self.busy.append(busy)


class FakeViewPanel(QObject):
    cameraEdited = Signal(object)
    resetRequested = Signal()
    qualityChanged = Signal(float)
    overlayToggled = Signal(bool)
    editStarted = Signal()
    editFinished = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.cameras: list[Camera] = []
        self.qualities: list[float] = []
        self.overlays: list[bool] = []
        self.sizes: list[tuple[int, int]] = []

    def set_camera(self, camera: Camera) -> None:
        self.cameras.append(camera)

    def set_quality(self, scale: float) -> None:
        self.qualities.append(scale)

    def set_overlay(self, on: bool) -> None:
        self.overlays.append(on)

    def set_render_size(self, width: int, height: int) -> None:
        self.sizes.append((width, height))


class FakeReadout(FakeStatus):
    def __init__(self) -> None:
        super().__init__()
        self.cursor: list[str] = []
        self.timing: list[str] = []

    def show_cursor(self, text: str) -> None:
        self.cursor.append(text)

    def show_timing(self, text: str) -> None:
        self.timing.append(text)


VIEW_ACTIONS = ("pan_left", "pan_right", "pan_up", "pan_down", "zoom_in", "zoom_out", "rotate_cw", "rotate_ccw",
                "reset_view", "overlay")


def _view(g: Any, store: ViewStore | None = None) -> tuple[Any, ...]:
    from app.controllers.view import ViewController

    canvas, panel, readout, menu = FakeViewCanvas(), FakeViewPanel(), FakeReadout(), QMenu()
    acts = _actions(*VIEW_ACTIONS, checkable=("overlay",))
    store = store or ViewStore()
    c = ViewController(canvas, panel, acts, menu, readout, store, _client(g), Settings(quality=1.0))  # type: ignore[arg-type]
    return c, canvas, panel, acts, menu, readout, store


def test_view_controller_renders_the_view_and_edits_the_camera_from_keys_and_panel(qtbot: Any, g: Any) -> None:
    c, canvas, panel, acts, menu, readout, store = _view(g)
    assert panel.qualities == [1.0] and panel.sizes[-1] == (40, 30) and not canvas.frames  # no model yet: no render
    c.set_model_available(True)
    qtbot.waitUntil(lambda: c.last_final is not None, timeout=WAIT)
    frame, request = c.last_final
    assert request.size == (40, 30) and request.camera == Camera()
    assert np.array_equal(canvas.frames[-1][0], render_image(g, request.style, request.camera, (40, 30)))
    assert readout.timing[-1].endswith("ms · 40×30") and c.frame_matches_view()

    acts.pan_left.trigger()  # ← pans the view by a tenth of the canvas: the camera moves left in the frame
    cam = store.state.camera
    assert cam.center[0] < 0 and cam.center[1] == 0 and panel.cameras[-1] == cam and not c.frame_matches_view()
    acts.zoom_in.trigger()
    assert store.state.camera.zoom == pytest.approx(1.25)
    panel.cameraEdited.emit(Camera(center=(0.5, -0.25), zoom=2.0, rotation=30.0))  # typed into the panel
    qtbot.waitUntil(lambda: c.frame_matches_view(), timeout=WAIT)
    frame, request = c.last_final
    assert request.camera == Camera(center=(0.5, -0.25), zoom=2.0, rotation=30.0)
    assert np.array_equal(frame.image, render_image(g, request.style, request.camera, (40, 30)))
    store.undo_stack.undo()
    store.undo_stack.undo()
    assert store.state.camera.zoom == 1.0 and store.state.camera.center[0] < 0  # one undo step per command
    acts.reset_view.trigger()
    assert store.state.camera == Camera()

    canvas.cursorMoved.emit(1.5, 0.25)
    assert readout.cursor[-1] == "x +1.5000  y +0.2500  (extrapolated)"
    canvas.cursorLeft.emit()
    assert readout.cursor[-1] == ""


def test_view_controller_quality_overlay_and_precision_menu(qtbot: Any, g: Any) -> None:
    c, canvas, panel, acts, menu, readout, store = _view(g)
    quality = [a for a in menu.actions() if a.text().endswith("canvas")]
    precision = [a for a in menu.actions() if a.data() in ("float32", "tf32", "float16", "bfloat16")]
    assert len(precision) == 4 and [a.isChecked() for a in precision] == [True, False, False, False]
    two = next(a for a in quality if a.data() == 2.0)
    two.trigger()  # View → Render Quality → 2× canvas renders twice the pixels
    assert c.settings.quality == 2.0 and panel.qualities[-1] == 2.0 and c.render_size() == (80, 60)
    assert two.isChecked() and panel.sizes[-1] == (80, 60)
    c.set_precisions_available(["float32"])  # a CPU model: reduced precisions greyed out
    assert [a.isEnabled() for a in precision] == [True, False, False, False]
    acts.overlay.setChecked(False)  # the toolbar toggle hides the frame overlay on the canvas and the panel
    assert canvas.overlay[-1] is False and panel.overlays[-1] is False and c.settings.overlay is False
    canvas.viewportChanged.emit(20.0, 10.0, 2.0)  # a HiDPI resize
    assert c.render_size() == (80, 40)
    c.set_model_available(False, "No model loaded.")
    assert canvas.messages[-1] == "No model loaded." and c.last_final is None


# ---------------------------------------------------------------------------------------------------- latent
class FakeLatentPanel(QObject):
    seedChanged = Signal(int)
    activeAnchorChanged = Signal(int)
    anchorWeightChanged = Signal(int, float)
    addAnchorRequested = Signal()
    loadAnchorRequested = Signal(str)
    removeAnchorRequested = Signal(int)
    interpChanged = Signal(str)
    psiChanged = Signal(float)
    cutoffChanged = Signal(object)
    animateToggled = Signal(bool)
    saveLatentRequested = Signal(str)
    editStarted = Signal()
    editFinished = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[tuple[Any, ...]] = []
        self.layers: list[int] = []
        self.animating: list[bool] = []

    def set_latent(self, seed: int | None, labels: list[str], weights: list[float], active: int, interp: str,
                   psi: float, cutoff: int | None) -> None:
        self.shown.append((seed, labels, weights, active, interp, psi, cutoff))

    def set_num_layers(self, num_ws: int) -> None:
        self.layers.append(num_ws)

    def set_animating(self, on: bool) -> None:
        self.animating.append(on)


class FakeSeeds:
    def __init__(self) -> None:
        self.current: list[int | None] = []
        self.refreshes = 0

    def set_current(self, seed: int | None) -> None:
        self.current.append(seed)

    def schedule_refresh(self) -> None:
        self.refreshes += 1


def _latent(g: Any, info: dict[str, Any] | None = None) -> tuple[Any, ...]:
    from app.controllers.latent import LatentController

    panel, seeds, status, dialogs, menu = FakeLatentPanel(), FakeSeeds(), FakeStatus(), FakeDialogs(), QMenu()
    acts = _actions("prev_seed", "next_seed", "random_seed", "random_walk", checkable=("random_walk",))
    store, models = ViewStore(), FakeModelEvents(info if info is not None else g.info)
    c = LatentController(panel, acts, menu, seeds, status, store, _client(g), models, dialogs)  # type: ignore[arg-type]
    return c, panel, acts, menu, seeds, status, store, models, dialogs


def test_latent_controller_edits_seeds_anchors_and_truncation(qtbot: Any, g: Any) -> None:
    c, panel, acts, menu, seeds, status, store, models, dialogs = _latent(g)
    assert panel.shown[-1][:4] == (0, ["seed 0"], [1.0], 0) and seeds.current[-1] == 0
    panel.seedChanged.emit(41)
    acts.next_seed.trigger()  # Page Down: the next seed
    assert store.state.anchors[0].seed == 42 and panel.shown[-1][0] == 42 and seeds.current[-1] == 42
    store.undo_stack.undo()
    assert store.state.anchors[0].seed == 41
    panel.addAnchorRequested.emit()  # a second anchor, the next seed, active, weight 0 until raised
    assert [a.seed for a in store.state.anchors] == [41, 42] and store.state.weights == (1.0, 0.0) and c.active == 1
    panel.anchorWeightChanged.emit(1, 1.7)
    assert store.state.weights == (1.0, 1.0)  # clamped to [0, 1]
    panel.removeAnchorRequested.emit(0)
    assert [a.seed for a in store.state.anchors] == [42] and c.active == 0
    refreshes = seeds.refreshes
    panel.editStarted.emit()  # a slider drag: many values, one undo step, the thumbnails follow ψ
    for psi in (0.9, 0.8, 0.7):
        panel.psiChanged.emit(psi)
    panel.editFinished.emit()
    assert store.state.psi == 0.7 and seeds.refreshes == refreshes + 3
    store.undo_stack.undo()
    assert store.state.psi == 1.0
    acts.random_walk.setChecked(True)  # the walk animates the active anchor's z
    assert c.walking() and panel.animating[-1] is True
    qtbot.waitUntil(lambda: store.state.anchors[0].z is not None, timeout=WAIT)
    c.set_walking(False)
    assert not c.walking() and not acts.random_walk.isChecked()


def test_latent_controller_saves_w_through_the_engine_and_drops_anchors_that_do_not_fit(
        qtbot: Any, g: Any, tmp_path: Path) -> None:
    c, panel, acts, menu, seeds, status, store, models, dialogs = _latent(g)
    panel.seedChanged.emit(7)
    assert [a.text() for a in menu.actions()] == ["z…", "w…", "W+ (per layer)…"]
    dialogs.save_answers.append(str(tmp_path / "seed7_w.npy"))
    menu.actions()[1].trigger()  # Latent → Save Latent → w… computes w on the engine thread
    qtbot.waitUntil(lambda: (tmp_path / "seed7_w.npy").exists(), timeout=WAIT)
    w = np.load(tmp_path / "seed7_w.npy")
    expected = g.mapping(z_from_seed(7, g.z_dim)[None])
    assert w.shape == (g.w_dim,) and np.allclose(w, np.asarray(expected).reshape(-1, g.w_dim)[0], atol=1e-6)
    assert status.shown[-1] == f"Saved seed7_w.npy [{g.w_dim}]"

    wrong = Anchor(seed=None, z=FrozenArray(np.zeros(g.z_dim + 1, np.float32)))
    c.add_anchor(wrong, 0.5)
    models.info = info = {**g.info}
    models.modelChanged.emit(info)  # on (re)load, an anchor whose z does not fit the model becomes a seed
    assert store.state.anchors[1] == Anchor(seed=1) and "did not fit" in status.shown[-1]
    assert panel.layers[-1] == int(g.info["num_ws"])


# ---------------------------------------------------------------------------------------------------- session
class FakeLayout(FakeStatus):
    def __init__(self) -> None:
        super().__init__()
        self.restored: list[bytes] = []

    def saveState(self) -> QByteArray:
        return QByteArray(b"docks")

    def restoreState(self, state: bytes) -> bool:
        self.restored.append(bytes(state))
        return True


class FakeLoader(QObject):
    modelChanged = Signal(dict)
    loadFailed = Signal(str)
    hashReady = Signal(str)

    def __init__(self, info: dict[str, Any], path: str) -> None:
        super().__init__()
        self.info, self.path, self.sha256 = info, path, "ab" * 32
        self.loading_path = ""
        self.loads: list[tuple[str, str | None]] = []

    @property
    def loading(self) -> bool:
        return bool(self.loading_path)

    def load(self, path: str, device: str | None = None) -> None:
        self.loads.append((path, device))
        self.loading_path = path


class FakeActive:
    def __init__(self) -> None:
        self.active = 0

    def set_active(self, index: int) -> None:
        self.active = index

    def active_anchor(self) -> Anchor:
        return Anchor(seed=3)


class FakeSessionView:
    """The current view as the store says, at a fixed size; no frame on screen."""

    def __init__(self, store: ViewStore, client: RenderClient) -> None:
        self.store, self.client = store, client
        self.last_final = None
        self.calls: list[tuple[str, object]] = []

    def current_request(self) -> RenderRequest:
        return RenderRequest(self.store.state.style(), self.store.state.camera, (24, 16), epoch=self.client.epoch)

    def frame_matches_view(self) -> bool:
        return False

    def set_quality(self, quality: float) -> None:
        self.calls.append(("quality", quality))

    def set_overlay(self, on: bool) -> None:
        self.calls.append(("overlay", on))

    def set_precision(self, mode: str) -> None:
        self.calls.append(("precision", mode))


def _session(g: Any, tmp_path: Path, model_path: str) -> tuple[Any, ...]:
    from app.controllers.session import SessionController

    acts = _actions("save_session", "open_session", "open_recipe", "save_image")
    layout, store, dialogs, latent = FakeLayout(), ViewStore(), FakeDialogs(), FakeActive()
    models, client = FakeLoader(dict(g.info), model_path), _client(g)
    view = FakeSessionView(store, client)
    settings = Settings(quality=1.0)
    paths = AppPaths(tmp_path / "config", tmp_path / "data")
    c = SessionController(acts, layout, store, models, latent, view, client, settings, paths, dialogs)  # type: ignore[arg-type]
    return c, acts, layout, store, models, latent, view, dialogs


def test_session_controller_saves_and_opens_a_session_and_waits_for_its_model(
        qtbot: Any, g: Any, fixtures: Path, tmp_path: Path) -> None:
    ckpt = str(fixtures / "cips" / "cips_skip_32.pt")
    c, acts, layout, store, models, latent, view, dialogs = _session(g, tmp_path, ckpt)
    store.set(dataclasses.replace(store.state, camera=Camera(center=(0.25, 0.5), zoom=3.0), psi=0.6), "edit")
    latent.active = 0
    dialogs.save_answers.append(str(tmp_path / "work.json"))
    acts.save_session.trigger()  # File → Save Session
    doc = json.loads((tmp_path / "work.json").read_text())
    assert doc["model"]["path"] == ckpt and doc["model"]["sha256"] == "ab" * 32
    assert layout.shown[-1] == "Saved session work.json"

    edited = store.state
    store.replace(dataclasses.replace(store.state, camera=Camera(), psi=1.0))
    dialogs.open_answers.append(str(tmp_path / "work.json"))
    acts.open_session.trigger()  # same model: applied at once, undo history cleared
    assert store.state == edited and not store.undo_stack.canUndo() and layout.restored == [b"docks"]
    assert ("quality", 1.0) in view.calls and ("precision", "float32") in view.calls and not models.loads

    doc["model"]["path"] = other = str(fixtures / "cips" / "cips_res_64.pt")
    (tmp_path / "other.json").write_text(json.dumps(doc))
    store.replace(dataclasses.replace(store.state, camera=Camera()))
    assert c.open_session(str(tmp_path / "other.json"))
    assert models.loads == [(os.path.abspath(other), "auto")] and store.state.camera == Camera()  # waits ...
    models.path, models.loading_path = other, ""
    models.modelChanged.emit(dict(g.info))  # ... for its model, then applies the view
    assert store.state.camera == edited.camera
    models.hashReady.emit("cd" * 32)  # a different file under the session's model path
    assert dialogs.messages[-1][0] == "Model file changed"


def test_session_controller_save_image_renders_the_view_with_its_recipe_and_offers_crash_restore(
        qtbot: Any, g: Any, fixtures: Path, tmp_path: Path) -> None:
    from engine.recipes import read_recipe

    ckpt = str(fixtures / "cips" / "cips_skip_32.pt")
    c, acts, layout, store, models, latent, view, dialogs = _session(g, tmp_path, ckpt)
    store.set(dataclasses.replace(store.state, anchors=(Anchor(seed=3),), camera=Camera(zoom=0.5)), "edit")
    dialogs.save_answers.append(str(tmp_path / "seed3.png"))
    acts.save_image.trigger()  # no final frame on screen: the view is rendered for saving
    qtbot.waitUntil(lambda: (tmp_path / "seed3.png").exists(), timeout=WAIT)
    request = view.current_request()
    pixels = np.asarray(Image.open(tmp_path / "seed3.png").convert("RGB"))
    assert np.array_equal(pixels, render_image(g, request.style, request.camera, (24, 16)))
    recipe = read_recipe(str(tmp_path / "seed3.png"))
    assert recipe.camera == Camera(zoom=0.5) and recipe.model_path == ckpt and recipe.size == (24, 16)
    assert layout.shown[-1] == "Saved seed3.png (24 × 16)"

    c.autosave()
    c.start()  # this run's lock; the previous run closed normally: nothing to offer
    assert not dialogs.questions and c.lock_file.exists()
    c.start()  # a second start finds the lock and the autosave, as after a crash
    assert len(dialogs.questions) == 1
    store.replace(dataclasses.replace(store.state, camera=Camera()))
    dialogs.questions[0][1](True)
    assert store.state.camera == Camera(zoom=0.5)
    c.close()
    assert not c.lock_file.exists()


# ---------------------------------------------------------------------------------------------------- export
class FakeForm(QObject):
    exportRequested = Signal(object)
    browseRequested = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.path = ""
        self.errors: list[str] = []
        self.opened = self.accepted = 0
        self.views: list[tuple[tuple[int, int], str]] = []

    def set_path(self, path: str) -> None:
        self.path = path

    def set_error(self, text: str) -> None:
        self.errors.append(text)

    def open(self) -> None:
        self.opened += 1

    def accept(self) -> None:
        self.accepted += 1


class FakeImageForm(FakeForm):
    def set_view(self, size: tuple[int, int], summary: str) -> None:
        self.views.append((size, summary))

    def set_cluster(self, address: str, enabled: bool) -> None:
        pass

    def set_seconds_per_pixel(self, seconds: float | None) -> None:
        pass

    def options(self) -> Any:
        from widgets.export_dialog import ImageExportOptions

        return ImageExportOptions(self.path, 0, 0, 8)


class FakeProgress(QObject):
    cancelRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []
        self.fractions: list[float] = []

    def start(self, window_title: str, text: str) -> None:
        self.events.append(f"start {window_title}")

    def set_progress(self, fraction: float, eta_text: str) -> None:
        self.fractions.append(fraction)

    def show(self) -> None:
        self.events.append("show")

    def raise_(self) -> None:
        pass

    def hide(self) -> None:
        self.events.append("hide")


class FakeIndicator(QObject):
    showRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []

    def start(self, label: str) -> None:
        self.events.append(f"start {label}")

    def set_fraction(self, fraction: float) -> None:
        self.events.append("fraction")

    def finish(self) -> None:
        self.events.append("finish")


class FakeFrameView:
    def __init__(self, request: RenderRequest) -> None:
        self.request = request
        self.last_final = None

    def current_request(self) -> RenderRequest:
        return self.request


def test_export_controller_exports_the_view_with_progress_and_refuses_what_it_cannot_write(
        qtbot: Any, g: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.controllers.export import ExportController
    from engine.recipes import read_recipe
    from widgets.export_dialog import ImageExportOptions

    monkeypatch.chdir(tmp_path)
    form, progress, indicator = FakeImageForm(), FakeProgress(), FakeIndicator()
    action, status = FakeAction(), FakeStatus()
    style = StyleSpec(anchors=(Anchor(seed=5),), psi=0.8)
    view, store = FakeFrameView(RenderRequest(style, Camera(center=(0.1, 0.0), zoom=1.5), (32, 24))), ViewStore()
    models, dialogs, settings = FakeModelEvents(None), FakeDialogs(), Settings()
    c = ExportController(form, progress, indicator, action, status, view, store,  # type: ignore[arg-type]
                         RenderService(sync=True, generator=g), settings, models, dialogs)
    action.triggered.emit()
    assert status.shown[-1] == "No model loaded" and not form.opened
    models.info = dict(g.info)
    action.triggered.emit()  # File → Export Image: the dialog shows the view, a default file in the folder
    assert form.opened == 1 and form.views[-1][0] == (32, 24) and "zoom 1.5" in form.views[-1][1]
    assert form.path == str(tmp_path / "export.png")
    done: list[Any] = []
    c.exportFinished.connect(done.append)
    form.exportRequested.emit(ImageExportOptions(str(tmp_path / "big.png"), 64, 48, 8))
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT)
    assert done[0].error is None and form.accepted == 1
    pixels = np.asarray(Image.open(tmp_path / "big.png").convert("RGB"))
    assert np.array_equal(pixels, render_image(g, style, view.request.camera, (64, 48)))  # the same view, denser
    assert read_recipe(str(tmp_path / "big.png")).style.psi == pytest.approx(0.8)
    assert progress.events[0] == "start Export Image" and progress.events[-1] == "hide"
    assert indicator.events[0] == "start Exporting" and indicator.events[-1] == "finish"
    assert progress.fractions[-1] == 1.0 and status.shown[-1] == f"Exported {tmp_path / 'big.png'}"

    form.exportRequested.emit(ImageExportOptions(str(tmp_path / "big.jpg"), 64, 48, 8))
    assert form.errors[-1] == "Use a .png or .tif file name." and len(done) == 1
    form.exportRequested.emit(ImageExportOptions(str(tmp_path / "missing" / "a.png"), 64, 48, 8))
    assert "does not exist" in form.errors[-1] and len(done) == 1 and form.accepted == 1


# ---------------------------------------------------------------------------------------------------- keyframes
class FakeKeyframePanel(QObject):
    addRequested = Signal()
    removeRequested = Signal(int)
    moveRequested = Signal(int, int)
    timeEdited = Signal(int, float)
    activated = Signal(int)
    exportRequested = Signal()
    saveRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[list[tuple[float, str]], int | None]] = []

    def set_keyframes(self, rows: list[tuple[float, str]], selected: int | None = None) -> None:
        self.rows.append((rows, selected))


class FakeVideoForm(FakeForm):
    def set_values(self, view_size: tuple[int, int], duration: float, fps: float, easing: str,
                   size: tuple[int, int] | None) -> None:
        self.views.append((view_size, f"{duration:g} s"))

    def options(self) -> Any:
        from widgets.video_dialog import VideoExportOptions

        return VideoExportOptions(self.path, "png", 0, 0, 1.0, 1.0, "linear")


class FakeExportRunner:
    """Runs the export job at once on a synchronous engine service."""

    def __init__(self, service: RenderService) -> None:
        self.service, self.busy = service, False
        self.titles: list[str] = []

    def run(self, job: Any, title: str, text: str, label: str, on_done: Any) -> bool:
        self.titles.append(title)
        self.service.submit(job, on_done)
        return True


class FakeHooks:
    def __init__(self) -> None:
        self.save_hooks: list[Any] = []
        self.apply_hooks: list[Any] = []


def test_keyframe_controller_captures_views_keeps_them_in_sessions_and_exports_the_video(
        qtbot: Any, g: Any, tmp_path: Path) -> None:
    from app.controllers.keyframe import KeyframeController
    from app.state import session as sessions
    from widgets.video_dialog import VideoExportOptions

    panel, form, add, export, status = FakeKeyframePanel(), FakeVideoForm(), FakeAction(), FakeAction(), FakeStatus()
    store, hooks, dialogs = ViewStore(), FakeHooks(), FakeDialogs()
    style = StyleSpec(anchors=(Anchor(seed=2),))
    view = FakeFrameView(RenderRequest(style, Camera(), (16, 16)))
    models = SimpleNamespace(info=None, path="default")
    runner = FakeExportRunner(RenderService(sync=True, generator=g))
    c = KeyframeController(panel, form, add, export, status, store, view, models, hooks, runner,  # type: ignore[arg-type]
                           dialogs)
    add.triggered.emit()
    assert status.shown[-1] == "No model loaded" and not c.keyframes
    models.info = dict(g.info)
    add.triggered.emit()  # Ctrl+K twice, the second after zooming in
    view.request = RenderRequest(style, Camera(zoom=2.0), (16, 16))
    panel.addRequested.emit()
    assert [k.time for k in c.keyframes] == [0.0, 2.0] and c.keyframes[1].camera.zoom == 2.0
    assert [t for t, _ in panel.rows[-1][0]] == [0.0, 2.0] and panel.rows[-1][1] == 1 and c.video.size == (16, 16)
    panel.timeEdited.emit(0, 3.0)  # retimed past the second: the list re-sorts and keeps the row selected
    assert [k.camera.zoom for k in c.keyframes] == [2.0, 1.0] and panel.rows[-1][1] == 1
    panel.activated.emit(1)
    assert store.state.camera == Camera() and store.state.anchors == (Anchor(seed=2),)

    session = sessions.Session(state=store.state)
    for hook in hooks.save_hooks:
        hook(session)
    c.set_document({"keyframes": []})
    assert not c.keyframes
    for hook in hooks.apply_hooks:
        hook(session)
    assert [k.time for k in c.keyframes] == [2.0, 3.0]

    export.triggered.emit()  # Export Video: the dialog opens on the view's size and the keyframes' span
    assert form.opened == 1 and form.views[-1] == ((16, 16), "1 s")
    frames = tmp_path / "frames"
    form.exportRequested.emit(VideoExportOptions(str(frames), "png", 16, 16, 2.0, 1.0, "linear"))
    qtbot.waitUntil(lambda: status.shown[-1].startswith("Wrote"), timeout=WAIT)
    files = sorted(frames.glob("*.png"))
    assert runner.titles == ["Export Video"] and form.accepted == 1 and len(files) == 3  # 1 s at 2 fps, both ends
    first = np.asarray(Image.open(files[0]).convert("RGB"))
    last = np.asarray(Image.open(files[-1]).convert("RGB"))
    assert np.array_equal(first, render_image(g, style, Camera(zoom=2.0), (16, 16)))
    assert np.array_equal(last, render_image(g, style, Camera(), (16, 16)))
    c.remove(0)
    form.exportRequested.emit(VideoExportOptions(str(tmp_path / "v.mp4"), "mp4", 16, 16, 2.0, 1.0, "linear"))
    assert form.errors[-1] == "Add at least two keyframes."
