"""Controllers against fake views (issue #17): each takes the panels it drives as typed protocols
(app/controllers/views.py), so it is tested here without a main window: fake panels record what they are told,
a real engine service (synchronous, on the fixture model) runs the jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QObject, Signal

from engine import load_generator
from engine.service import RenderService
from engine.superres import sr_compare
from engine.types import Anchor, Camera, RenderRequest, StyleSpec

WAIT = 20_000


class FakeAction(QObject):
    triggered = Signal()


class FakeStatusPanel(QObject):
    """Records messages and busy states, as every tool panel shows them."""

    cancelRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []
        self.busy: list[tuple[bool, float]] = []

    def set_message(self, text: str) -> None:
        self.messages.append(text)

    def set_busy(self, busy: bool, fraction: float = 0.0) -> None:
        self.busy.append((busy, fraction))


class FakeSrPanel(FakeStatusPanel):
    compareRequested = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[tuple[dict[str, np.ndarray], dict[str, dict[str, float]], int]] = []

    def show_comparison(self, images: dict[str, np.ndarray], metrics: dict[str, dict[str, float]],
                        factor: int) -> None:
        self.shown.append((images, metrics, factor))


class FakeClient(QObject):
    frameReady = Signal(object)

    def __init__(self, service: RenderService) -> None:
        super().__init__()
        self.service = service


class FakeView:
    """The current view: a fixed request, and the client whose service runs the jobs."""

    def __init__(self, service: RenderService, request: RenderRequest) -> None:
        self.client, self.request = FakeClient(service), request

    def current_request(self) -> RenderRequest:
        return self.request


class FakeModels:
    def __init__(self, info: dict[str, Any] | None) -> None:
        self.info = info


@pytest.fixture(scope="module")
def g(fixtures: Path) -> Any:
    return load_generator(str(fixtures / "cips" / "cips_skip_32.pt"))


def test_superres_controller_compares_the_current_view(qtbot: Any, g: Any) -> None:
    from app.controllers.superres import SrController

    style = StyleSpec(anchors=(Anchor(seed=7),))
    request = RenderRequest(style, Camera(zoom=1.5, center=(0.2, 0.0)), (64, 48))
    panel, action, docks = FakeSrPanel(), FakeAction(), []
    service = RenderService(sync=True, generator=g)
    c = SrController(panel, action, lambda: docks.append("sr"), FakeView(service, request), FakeModels(g.info))
    assert "Compare renders the view" in panel.messages[-1]
    action.triggered.emit()  # View → Super-Resolution Compare: the dock comes up and a 4x compare runs
    qtbot.waitUntil(lambda: bool(panel.shown), timeout=WAIT)
    images, metrics, factor = panel.shown[-1]
    assert docks == ["sr"] and factor == 4 and panel.busy[0] == (True, 0.0) and panel.busy[-1][0] is False
    # the same comparison the engine makes for this view at its native density (the size the controller chose)
    w, h = c.report.size  # type: ignore[union-attr]
    assert (w - 1) * 1.5 <= 64 and images["render"].shape == (4 * h, 4 * w, 3)
    ref = sr_compare(g, g.mapping(np.random.RandomState(7).randn(1, g.z_dim).astype(np.float32)), request.camera,
                     (w, h), 4)
    from engine.renderer import to_uint8

    assert np.array_equal(images["render"], to_uint8(ref.images["render"]))
    assert set(metrics) == set(ref.metrics)


def test_superres_controller_without_a_model_says_so(qtbot: Any) -> None:
    from app.controllers.superres import SrController

    panel = FakeSrPanel()
    service = RenderService(sync=True)
    SrController(panel, FakeAction(), lambda: None, FakeView(service, RenderRequest(StyleSpec(), Camera(), (8, 8))),
                 FakeModels(None))
    panel.compareRequested.emit(2)
    assert panel.messages[-1] == "No model loaded." and not panel.busy and not panel.shown


def test_superres_controller_reports_a_failed_job(qtbot: Any) -> None:
    from app.controllers.superres import SrController

    panel = FakeSrPanel()
    service = RenderService(sync=True)  # the app thinks a model is loaded; the engine has none
    c = SrController(panel, FakeAction(), lambda: None,  # noqa: F841  (kept alive while its job runs)
                     FakeView(service, RenderRequest(StyleSpec(), Camera(), (8, 8))), FakeModels({"resolution": 32}))
    panel.compareRequested.emit(2)
    qtbot.waitUntil(lambda: panel.messages[-1].startswith("Compare failed"), timeout=WAIT)
    assert "no model loaded" in panel.messages[-1] and panel.busy[-1][0] is False and not panel.shown


class FakeDock(QObject):
    visibilityChanged = Signal(bool)

    def __init__(self, visible: bool = True) -> None:
        super().__init__()
        self.visible = visible

    def isVisible(self) -> bool:
        return self.visible


class FakeCanvas(QObject):
    cursorMoved = Signal(float, float)


class FakeFoveationPanel(QObject):
    refreshRequested = Signal()
    focusPicked = Signal(float, float)
    followCursorToggled = Signal(bool)
    settingsChanged = Signal(float, int)

    def __init__(self, radius: float = 4.0, levels: int = 3) -> None:
        super().__init__()
        self.messages: list[str] = []
        self.follow: list[bool] = []
        self.results: list[tuple[np.ndarray, np.ndarray, tuple[float, float], str]] = []
        self.radius, self.levels = radius, levels

    def set_message(self, text: str) -> None:
        self.messages.append(text)

    def set_follow(self, on: bool) -> None:
        self.follow.append(on)

    def settings(self) -> tuple[float, int]:
        return self.radius, self.levels

    def show_result(self, image: np.ndarray, density: np.ndarray, focus: tuple[float, float], text: str) -> None:
        self.results.append((image, density, focus, text))


def test_foveation_controller_renders_around_the_picked_focus(qtbot: Any, g: Any) -> None:
    from app.controllers.foveation import FoveationController
    from engine.foveation import foveate
    from engine.renderer import to_uint8

    style = StyleSpec(anchors=(Anchor(seed=3),))
    request = RenderRequest(style, Camera(zoom=0.8, rotation=20.0), (40, 30))
    panel, dock, canvas = FakeFoveationPanel(), FakeDock(), FakeCanvas()
    service = RenderService(sync=True, generator=g)
    c = FoveationController(panel, dock, canvas, FakeView(service, request), FakeModels(g.info))
    panel.focusPicked.emit(10.0, 12.0)  # a click on the preview: the focus moves and a render follows
    qtbot.waitUntil(lambda: bool(panel.results), timeout=WAIT)
    image, density, focus, text = panel.results[-1]
    ref = foveate(g, style, request.camera, (40, 30), (10.0, 12.0), 4.0, 3)
    assert focus == (10.0, 12.0) and np.array_equal(image, to_uint8(ref.image[0]))
    assert density.shape == (30, 40, 3) and text.startswith("40 × 30: rendered ")
    assert f"{ref.plan.stats()['samples']:,} of 1,200 pixels" in text
    # follow-cursor: the focus follows the canvas cursor (frame coordinates) to that point's preview pixel
    from app.state import camera_math as cm

    panel.followCursorToggled.emit(True)
    assert panel.follow == [True] and c.follow_cursor
    canvas.cursorMoved.emit(*cm.apply(cm.image_to_frame(request.camera, (40, 30)), 30.0, 5.0))
    assert c.focus is not None and abs(c.focus[0] - 30.0) < 1e-6 and abs(c.focus[1] - 5.0) < 1e-6
    qtbot.waitUntil(lambda: panel.results[-1][2] == c.focus, timeout=WAIT)


def test_foveation_controller_idles_while_its_dock_is_hidden(qtbot: Any, g: Any) -> None:
    from app.controllers.foveation import FoveationController

    panel, dock = FakeFoveationPanel(), FakeDock(visible=False)
    service = RenderService(sync=True, generator=g)
    c = FoveationController(panel, dock, FakeCanvas(),  # noqa: F841  (kept alive)
                            FakeView(service, RenderRequest(StyleSpec(), Camera(), (16, 16))),
                            FakeModels(g.info))
    panel.refreshRequested.emit()
    qtbot.wait(300)
    assert not panel.results  # nothing rendered for a hidden dock
    dock.visible = True
    dock.visibilityChanged.emit(True)  # shown: the render comes
    qtbot.waitUntil(lambda: bool(panel.results), timeout=WAIT)
    assert panel.results[-1][0].shape == (16, 16, 3)


class FakeModelEvents(QObject):
    modelChanged = Signal(dict)

    def __init__(self, info: dict[str, Any] | None) -> None:
        super().__init__()
        self.info = info


class FakeFollowingView(FakeView):
    def __init__(self, service: RenderService, request: RenderRequest) -> None:
        super().__init__(service, request)
        self.matches = True

    def frame_matches_view(self) -> bool:
        return self.matches


class FakeLayerPanel(FakeStatusPanel):
    layerChanged = Signal(str)
    refreshRequested = Signal()
    displayChanged = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.current = ""
        self.channels = 0
        self.images: list[np.ndarray] = []
        self.mode: tuple[str, tuple[int, ...], str] = ("rgb", (0, 1, 2), "channel")

    def set_layers(self, names: list[str], current: str = "") -> None:
        self.names, self.current = list(names), current

    def layer(self) -> str:
        return self.current

    def set_channel_count(self, count: int) -> None:
        self.channels = count

    def options(self) -> tuple[str, tuple[int, ...], str]:
        return self.mode

    def show_image(self, rgb8: np.ndarray) -> None:
        self.images.append(rgb8)

    def clear(self) -> None:
        self.images.clear()


def test_layer_controller_lists_layers_and_shows_the_views_activations(qtbot: Any, g: Any) -> None:
    from app.controllers.layer import LayerController, compose, layer_size
    from engine.analysis_jobs import run_analysis
    from engine.types import LayerRequest

    style = StyleSpec(anchors=(Anchor(seed=2),))
    request = RenderRequest(style, Camera(zoom=0.7), (320, 200))
    panel, models = FakeLayerPanel(), FakeModelEvents(g.info)
    service = RenderService(sync=True, generator=g)
    c = LayerController(panel, FakeDock(), FakeFollowingView(service, request), models)
    models.modelChanged.emit(g.info)  # a model arrives: its layer names, then the default layer of the view
    qtbot.waitUntil(lambda: bool(panel.images), timeout=WAIT)
    assert panel.names == g.activation_layers()
    assert panel.current == next(n for n in panel.names if n not in ("lff", "emb"))  # the first style layer
    ref = run_analysis(g, LayerRequest(style, request.camera, layer_size(request.size), panel.current))
    assert ref.shape[1:] == (100, 160) and np.array_equal(c.acts, ref) and panel.channels == ref.shape[0]
    assert np.array_equal(panel.images[-1], compose(ref, *panel.mode))
    assert panel.messages[-1].startswith(f"{panel.current}: {ref.shape[0]} channels at 160 × 100 px")
    panel.mode = ("grey", (1,), "symmetric")  # display options change: the same activations, shown again
    panel.displayChanged.emit()
    assert np.array_equal(panel.images[-1], compose(ref, "grey", (1,), "symmetric"))


def test_layer_controller_says_when_a_family_has_no_layers(qtbot: Any, g: Any) -> None:
    from app.controllers.layer import LayerController

    panel, models = FakeLayerPanel(), FakeModelEvents(g.info)
    service = RenderService(sync=True, generator=g)
    c = LayerController(panel, FakeDock(),  # noqa: F841  (kept alive)
                        FakeFollowingView(service, RenderRequest(StyleSpec(), Camera(), (8, 8))),
                        models)
    g.activation_layers, saved = (lambda: []), g.activation_layers  # a family without the hook
    try:
        models.modelChanged.emit(g.info)
        qtbot.waitUntil(lambda: "not supported" in (panel.messages[-1] if panel.messages else ""), timeout=WAIT)
    finally:
        del g.activation_layers
    assert panel.names == [] and not panel.images and saved() == g.activation_layers()


class FakeStripDock(FakeDock):
    def isFloating(self) -> bool:
        return False

    def width(self) -> int:
        return 400

    def height(self) -> int:
        return 250


class FakeHost:
    def __init__(self) -> None:
        self.resized: list[tuple[list[Any], list[int]]] = []

    def resizeDocks(self, docks: list[Any], sizes: list[int], orientation: Any) -> None:
        self.resized.append((list(docks), list(sizes)))

    def height(self) -> int:
        return 900


class FakePanoramaPanel(QObject):
    settingsChanged = Signal()
    exportRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        from widgets.panorama_panel import StripSettings

        self.strip = StripSettings(width=96, turn=4.0, yaw=30.0, blend=0.25)
        self.periods: list[float | None] = []
        self.strips: list[tuple[np.ndarray, str]] = []
        self.messages: list[str] = []

    def set_period(self, period: float | None) -> None:
        self.periods.append(period)

    def period(self) -> float | None:
        return self.periods[-1] if self.periods else None

    def settings(self) -> Any:
        return self.strip

    def show_strip(self, image: np.ndarray, text: str) -> None:
        self.strips.append((image, text))

    def set_message(self, text: str) -> None:
        self.messages.append(text)

    def height_to_fill_width(self) -> int:
        return 60

    def height(self) -> int:
        return 230


class FakeExports:
    def __init__(self) -> None:
        self.opened: list[RenderRequest | None] = []

    def open_dialog(self, request: RenderRequest | None = None) -> None:
        self.opened.append(request)


def test_panorama_controller_renders_the_strip_and_exports_it(qtbot: Any, g: Any) -> None:
    from app.controllers.panorama import PanoramaController
    from engine.panorama import seam_stats
    from engine.renderer import render_camera, to_uint8

    style = StyleSpec(anchors=(Anchor(seed=4),))
    view_req = RenderRequest(style, Camera(center=(0.3, 0.1), zoom=0.9), (64, 64))
    panel, dock, host, exports = FakePanoramaPanel(), FakeStripDock(), FakeHost(), FakeExports()
    service = RenderService(sync=True, generator=g)
    c = PanoramaController(panel, dock, host, FakeView(service, view_req), FakeModels(g.info), exports)
    panel.settingsChanged.emit()  # the panel's width / turn / yaw / blend changed: the strip renders
    qtbot.waitUntil(lambda: bool(panel.strips), timeout=WAIT)
    strip = c.request()
    assert strip.camera == Camera(center=(0.3, 0.1), zoom=0.9, rotation=30.0, projection="cylinder", blend=0.25)
    assert strip.size == (96, 25) and panel.periods == [None]  # a plane-trained model: cross-faded wrap
    rgb = render_camera(g, style, strip.camera, strip.size)[0]
    image, text = panel.strips[-1]
    assert np.array_equal(image, to_uint8(rgb)) and f"{seam_stats(rgb).seam:.4f}" in text
    assert host.resized and host.resized[-1][0] == [dock] and host.resized[-1][1][0] == 60 + (250 - 230)
    panel.exportRequested.emit()  # Export… opens the export dialog on the strip's own request
    assert exports.opened[-1] is not None and exports.opened[-1].camera == strip.camera
    assert exports.opened[-1].size == strip.size


def test_panorama_controller_idles_without_a_model_or_a_shown_dock_and_reports_a_failed_job(qtbot: Any) -> None:
    from app.controllers.panorama import PanoramaController

    panel, dock, models = FakePanoramaPanel(), FakeStripDock(), FakeModels(None)
    service = RenderService(sync=True)  # the engine has no model
    c = PanoramaController(panel, dock, FakeHost(), FakeView(service, RenderRequest(StyleSpec(), Camera(), (8, 8))),
                           models, FakeExports())
    c.refresh()  # no model: no job
    assert not c.runner.busy and not panel.periods and not panel.messages
    models.info, dock.visible = {"resolution": 32}, False
    c.refresh()  # a model but a hidden dock: still no job
    assert not c.runner.busy and not panel.periods
    dock.visible = True
    c.refresh()  # the app thinks a model is loaded, the engine has none: the job fails and the panel says why
    qtbot.waitUntil(lambda: bool(panel.messages), timeout=WAIT)
    assert panel.messages[-1] == "Panorama: no model loaded" and not panel.strips and c.report is None


class FakeSpectrumPanel(FakeStatusPanel):
    refreshRequested = Signal()
    followToggled = Signal(bool)
    averageRequested = Signal(int)
    overlaysChanged = Signal(tuple)
    saveCsvRequested = Signal()
    savePlotRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray], str]] = []
        self.follow: list[bool] = []
        self.overlays: list[tuple[str, ...]] = []

    def show_spectrum(self, log_magnitude: np.ndarray, freqs: np.ndarray, profile: np.ndarray,
                      overlays: dict[str, np.ndarray], label: str) -> None:
        self.shown.append((log_magnitude, freqs, profile, overlays, label))

    def set_follow(self, on: bool) -> None:
        self.follow.append(on)

    def set_overlays(self, methods: tuple[str, ...]) -> None:
        self.overlays.append(methods)

    def plot_image(self) -> Any:
        from PySide6.QtGui import QImage

        return QImage(4, 4, QImage.Format.Format_RGB32)


class FakeStatus:
    def __init__(self) -> None:
        self.shown: list[str] = []

    def show_status(self, text: str, error: bool = False, timeout_ms: int = 8000) -> None:
        self.shown.append(text)


def test_spectrum_controller_shows_the_views_and_the_seed_mean_spectrum(qtbot: Any, g: Any, tmp_path: Path) -> None:
    from app.controllers.spectrum import SpectrumController
    from engine.analysis_jobs import run_spectrum
    from engine.types import SpectrumRequest

    style = StyleSpec(anchors=(Anchor(seed=6),))
    request = RenderRequest(style, Camera(zoom=2.5), (64, 64))
    panel, action, docks, status = FakeSpectrumPanel(), FakeAction(), [], FakeStatus()
    service = RenderService(sync=True, generator=g)
    c = SpectrumController(panel, FakeDock(), action, lambda: docks.append("spectrum"),
                           FakeFollowingView(service, request), FakeModels(g.info), None, status)  # type: ignore[arg-type]
    panel.overlaysChanged.emit(("bicubic",))  # nothing shown yet: remembered, no job
    assert c.overlays == ("bicubic",) and panel.overlays == [("bicubic",)] and not panel.busy
    action.triggered.emit()  # Analysis → Spectrum: the dock comes up with the view's spectrum (and its overlay)
    qtbot.waitUntil(lambda: bool(panel.shown), timeout=WAIT)
    ref = run_spectrum(g, SpectrumRequest(style, request.camera, request.size, None, ("bicubic",)))
    mag, freqs, prof, overlays, label = panel.shown[-1]
    assert docks == ["spectrum"] and label == "view (64 × 64)"
    assert np.array_equal(mag, ref.log_magnitude) and np.array_equal(prof, ref.profile)
    assert set(overlays) == {"bicubic"} and np.array_equal(overlays["bicubic"], ref.overlays["bicubic"])
    assert panel.messages[-1].startswith(f"Density {ref.density:.2f}× native. Overlays: a ")
    panel.averageRequested.emit(2)  # Average: seeds 0..1 of the view
    qtbot.waitUntil(lambda: panel.shown[-1][4].startswith("mean of seeds 0–1"), timeout=WAIT)
    mean = run_spectrum(g, SpectrumRequest(style, request.camera, request.size, 2, ("bicubic",)))
    assert np.array_equal(panel.shown[-1][2], mean.profile)
    out = tmp_path / "profile.csv"
    assert c.save_csv(str(out)) and status.shown[-1] == "Saved profile.csv"
    rows = out.read_text().splitlines()
    assert rows[0] == "frequency_cycles_per_pixel,mean_power,bicubic_from_native_power" and len(rows) == 1 + len(
        mean.freqs)


def test_spectrum_controller_without_a_model_or_a_result(qtbot: Any) -> None:
    from app.controllers.spectrum import SpectrumController

    panel = FakeSpectrumPanel()
    service = RenderService(sync=True)
    c = SpectrumController(panel, FakeDock(), FakeAction(), lambda: None,
                           FakeFollowingView(service, RenderRequest(StyleSpec(), Camera(), (8, 8))), FakeModels(None),
                           None, FakeStatus())  # type: ignore[arg-type]
    panel.refreshRequested.emit()
    assert panel.messages[-1] == "No model loaded." and not panel.shown
    assert not c.save_csv("unused.csv") and panel.messages[-1].startswith("Nothing to save yet")


class FakePCAPanel(QObject):
    refreshRequested = Signal()
    embeddingChanged = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.selected = ""
        self.shown: list[tuple[np.ndarray, np.ndarray]] = []
        self.messages: list[str] = []

    def set_embeddings(self, names: list[str], current: str = "") -> None:
        self.names, self.selected = list(names), current

    def current(self) -> str:
        return self.selected

    def show_pca(self, rgb8: np.ndarray, explained: np.ndarray) -> None:
        self.shown.append((rgb8, explained))

    def clear(self) -> None:
        self.shown.clear()

    def set_message(self, text: str) -> None:
        self.messages.append(text)


class FakeAblationPanel(QObject):
    ablationChanged = Signal(tuple)

    def __init__(self) -> None:
        super().__init__()
        self.available: list[tuple[tuple[str, ...], str]] = []
        self.checked: list[tuple[str, ...]] = []

    def set_available(self, available: tuple[str, ...], family: str) -> None:
        self.available.append((available, family))

    def set_ablate(self, ablate: tuple[str, ...]) -> None:
        self.checked.append(ablate)


class FakeConsistencyPanel(FakeStatusPanel):
    runRequested = Signal(tuple, int)

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[dict[str, Any]]] = []

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.rows.append(rows)


def _analysis(g: Any, pca_visible: bool = True) -> tuple[Any, ...]:
    from app.controllers.analysis import AnalysisController
    from app.state.view_state import ViewStore

    pca, ablation, consistency = FakePCAPanel(), FakeAblationPanel(), FakeConsistencyPanel()
    models, store, docks, action = FakeModelEvents(g.info), ViewStore(), [], FakeAction()
    service = RenderService(sync=True, generator=g)
    c = AnalysisController(pca, FakeDock(pca_visible), ablation, consistency, action,
                           lambda: docks.append("consistency"), store,
                           FakeView(service, RenderRequest(StyleSpec(), Camera(), (8, 8))), models)
    return c, pca, ablation, consistency, models, store, docks, action


def test_analysis_controller_pca_and_ablations_follow_the_model(qtbot: Any, g: Any) -> None:
    import dataclasses

    from app.bridge.analysis_jobs import PCAReport
    from engine.analysis import embedding_pca

    c, pca, ablation, _cons, models, store, _docks, _action = _analysis(g)
    store.replace(dataclasses.replace(store.state, ablate=("embedding", "nothing-here")))
    models.modelChanged.emit(g.info)  # the model's ablations offered; a toggle it lacks is dropped; PCA runs
    assert ablation.available[-1] == (tuple(g.info["ablations"]), g.family)
    assert store.state.ablate == ("embedding",)
    qtbot.waitUntil(lambda: bool(pca.shown), timeout=WAIT)
    name, emb = next(iter(g.coordinate_embeddings().items()))
    ref = embedding_pca(emb.detach().numpy())
    assert pca.names == list(g.coordinate_embeddings()) and pca.selected == name
    assert np.array_equal(pca.shown[-1][0], PCAReport.rgb8(ref)) and np.array_equal(pca.shown[-1][1], ref.explained)
    ablation.ablationChanged.emit(("fourier", "bogus"))  # a checkbox: into the view state (one undo step)
    assert store.state.ablate == ("fourier",) and ablation.checked[-1] == ("fourier",)
    store.undo_stack.undo()
    assert store.state.ablate == ("embedding",) and ablation.checked[-1] == ("embedding",)


def test_analysis_controller_runs_scale_consistency(qtbot: Any, g: Any) -> None:
    from engine.analysis import consistency_per_seed

    _c, _pca, _abl, cons, _models, _store, docks, action = _analysis(g, pca_visible=False)
    action.triggered.emit()  # Analysis → Scale Consistency brings its dock up
    assert docks == ["consistency"]
    cons.runRequested.emit((2,), 2)
    qtbot.waitUntil(lambda: bool(cons.rows), timeout=WAIT)
    mean = consistency_per_seed(g, range(2), (2,)).mean(0)
    assert cons.rows[-1] == [{"scale": 2, "psnr": float(mean[0, 0]), "ssim": float(mean[0, 1])}]
    assert cons.busy[0] == (True, 0.0) and cons.busy[-1][0] is False and "2 seeds" in cons.messages[-1]


class FakeMixingPanel(QObject):
    enabledToggled = Signal(bool)
    cellsEdited = Signal(list)
    crossoverRequested = Signal(int, int, int)
    resetRequested = Signal()
    editStarted = Signal()
    editFinished = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[list[list[float]], bool, list[str], list[str]]] = []

    def set_table(self, rows: list[list[float]], enabled: bool, row_labels: list[str], col_labels: list[str]) -> None:
        self.tables.append((rows, enabled, row_labels, col_labels))


class FakeLoads(QObject):
    loadFinished = Signal(object)


def test_mixing_controller_edits_the_layer_table_of_the_view_state(qtbot: Any) -> None:
    import dataclasses

    from app.controllers.mixing import MixingController
    from app.state.view_state import ViewStore
    from engine.service import LoadResult

    panel, status, store, loads = FakeMixingPanel(), FakeStatus(), ViewStore(), FakeLoads()
    store.replace(dataclasses.replace(store.state, anchors=(Anchor(seed=1), Anchor(seed=2)), weights=(1.0, 0.0)))
    c = MixingController(panel, status, store, loads)
    panel.enabledToggled.emit(True)  # no model yet: nothing to mix, the table is just shown again
    assert store.state.layer_table is None
    loads.loadFinished.emit(LoadResult(1, 1, {"num_ws": 3}, ("conv", "lin", "rgb")))
    assert c.layer_names == ["conv", "lin", "rgb"] and panel.tables[-1][2] == ["0  conv", "1  lin", "2  rgb"]
    panel.crossoverRequested.emit(0, 1, 2)  # layers 0-1 from anchor 1, layer 2 from anchor 2
    assert store.state.layer_table == ((1.0, 0.0), (1.0, 0.0), (0.0, 1.0))
    assert panel.tables[-1][0] == [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]] and panel.tables[-1][1] is True
    panel.cellsEdited.emit([(0, 1, 1.7)])  # clamped to [0, 1]
    assert store.state.layer_table[0] == (1.0, 1.0)  # type: ignore[index]
    panel.cellsEdited.emit([(1, 0, float("nan"))])  # refused with a message, nothing changes
    assert status.shown[-1].startswith("Mixing table: weights must be numbers")
    assert store.state.layer_table[1] == (1.0, 0.0)  # type: ignore[index]
    store.undo_stack.undo()
    assert store.state.layer_table[0] == (1.0, 0.0)  # type: ignore[index]
    loads.loadFinished.emit(LoadResult(2, 2, {"num_ws": 5}, tuple(f"l{i}" for i in range(5))))
    assert store.state.layer_table is None and "had 3 layers, this model has 5" in status.shown[-1]


class FakeSeedBrowser(QObject):
    seedPicked = Signal(int)
    pageRequested = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.first, self.picked, self.thumbs = 0, None, {}  # type: ignore[var-annotated]

    def seeds(self) -> list[int]:
        return list(range(self.first, self.first + 3))

    def thumb_size(self) -> int:
        return 24

    def set_page(self, first: int, current: int | None) -> None:
        self.first = first

    def current(self) -> int | None:
        return self.picked

    def set_current(self, seed: int | None) -> None:
        self.picked = seed

    def set_thumbnail(self, seed: int, image: np.ndarray) -> None:
        self.thumbs[seed] = image


def test_seed_browser_controller_renders_the_page_while_shown(qtbot: Any, g: Any) -> None:
    import dataclasses

    from app.bridge.render_client import RenderClient
    from app.controllers.seed_browser import SeedBrowserController
    from app.state.view_state import ViewStore
    from engine.renderer import render_image

    browser, dock, store, models, picks = FakeSeedBrowser(), FakeDock(visible=False), ViewStore(), FakeModelEvents(
        g.info), []
    store.replace(dataclasses.replace(store.state, psi=0.7))
    client = RenderClient(RenderService(sync=True, generator=g))
    c = SeedBrowserController(browser, dock, store, client, models, picks.append)  # noqa: F841  (kept alive)
    models.modelChanged.emit(g.info)
    qtbot.wait(500)
    assert not browser.thumbs  # hidden: nothing rendered
    dock.visible = True
    dock.visibilityChanged.emit(True)
    qtbot.waitUntil(lambda: len(browser.thumbs) == 3, timeout=WAIT)
    for seed in (0, 1, 2):  # each thumbnail is the engine's render of that seed at the view's truncation
        ref = render_image(g, StyleSpec(anchors=(Anchor(seed=seed),), psi=0.7), Camera(), (24, 24))
        assert np.array_equal(browser.thumbs[seed], ref)
    browser.pageRequested.emit(3)  # the next page
    qtbot.waitUntil(lambda: {3, 4, 5} <= set(browser.thumbs), timeout=WAIT)
    browser.seedPicked.emit(4)
    assert picks == [4]


class FakePaintToolbar(QObject):
    toolChanged = Signal(str)
    brushChanged = Signal(float, float, float)
    anchorChanged = Signal(int)
    layerRangeChanged = Signal(object)
    overlayToggled = Signal(bool)
    maskCommandRequested = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.tools: list[str] = []
        self.brushes: list[tuple[float, float, float]] = [(40.0, 1.0, 1.0)]
        self.anchor_labels: list[tuple[list[str], int]] = []
        self.num_layers = 0

    def set_tool(self, tool: str) -> None:
        self.tools.append(tool)

    def set_brush(self, size: float, hardness: float, opacity: float) -> None:
        self.brushes.append((size, hardness, opacity))

    def brush(self) -> tuple[float, float, float]:
        return self.brushes[-1]

    def set_anchors(self, labels: list[str], active: int) -> None:
        self.anchor_labels.append((labels, active))

    def set_num_layers(self, n: int) -> None:
        self.num_layers = n

    def layer_range(self) -> tuple[int, int] | None:
        return None


class FakePaintCanvas(QObject):
    paintStarted = Signal(float, float, bool)
    paintMoved = Signal(float, float)
    paintFinished = Signal()
    brushResizeRequested = Signal(float)
    viewportChanged = Signal(float, float, float)

    def __init__(self) -> None:
        super().__init__()
        self.tools: list[str] = []
        self.brushes: list[tuple[float, float]] = []
        self.overlays: list[Any] = []
        self.overlay_visible: list[bool] = []

    def set_tool(self, tool: str) -> None:
        self.tools.append(tool)

    def set_brush(self, diameter: float, hardness: float) -> None:
        self.brushes.append((diameter, hardness))

    def set_mask_overlay(self, image: np.ndarray | None, image_to_frame: Any) -> None:
        self.overlays.append(image)

    def set_mask_overlay_visible(self, visible: bool) -> None:
        self.overlay_visible.append(visible)


class FakeWidgetMap:
    """A 100 x 100 px canvas showing the training frame [-1, 1]²: frame = (widget - 50) / 50."""

    def widget_to_frame(self) -> np.ndarray:
        return np.array([[0.02, 0.0, -1.0], [0.0, 0.02, -1.0]])


def test_paint_controller_turns_canvas_strokes_into_one_undoable_mask_edit(qtbot: Any) -> None:
    import dataclasses

    from app.controllers.paint import PaintController
    from app.state import masks as mk
    from app.state.view_state import ViewStore

    bar, canvas, store, status = FakePaintToolbar(), FakePaintCanvas(), ViewStore(), FakeStatus()
    store.replace(dataclasses.replace(store.state, anchors=(Anchor(seed=1), Anchor(seed=2)), weights=(1.0, 0.0)))
    c = PaintController(bar, canvas, store, FakeWidgetMap(), FakeModelEvents(None), None, status)  # type: ignore[arg-type]
    assert canvas.brushes[-1] == (40.0, 1.0) and bar.anchor_labels[-1][0] == ["seed 1", "seed 2"]
    bar.toolChanged.emit("brush")
    bar.anchorChanged.emit(1)  # paint where seed 2 replaces seed 1
    assert canvas.tools == ["brush"] and c.anchor == 1
    canvas.paintStarted.emit(50.0, 50.0, False)  # a stroke through the frame's centre ...
    canvas.paintMoved.emit(60.0, 50.0)
    canvas.paintMoved.emit(70.0, 50.0)
    canvas.paintFinished.emit()  # ... is one undo step
    raster, (x0, y0, x1, y1) = mk.raster_of(store.state.painting, (1, None))
    col = lambda x: int((x - x0) / (x1 - x0) * raster.shape[1])  # noqa: E731
    row = int((0.0 - y0) / (y1 - y0) * raster.shape[0])
    assert raster[row, col(0.2)] == 1.0 and raster[row, col(-0.9)] == 0.0  # on the stroke, and far from it
    qtbot.waitUntil(lambda: bool(canvas.overlays) and canvas.overlays[-1] is not None, timeout=WAIT)
    store.undo_stack.undo()
    assert not store.state.painting
    canvas.brushResizeRequested.emit(2.0)  # Ctrl+wheel on the canvas: a brush twice as big, on both views
    assert bar.brushes[-1][0] == 80.0 and canvas.brushes[-1] == (80.0, 1.0)
    assert c.export_masks("unused.png") == [] and status.shown[-1] == "Nothing painted to export"
