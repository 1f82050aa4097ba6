"""What a controller sees of its views and of the rest of the app: typed protocols, so a controller takes exactly
the panels it drives (the widgets satisfy them; unit tests pass fakes) instead of the whole main window."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import numpy as np
    from PySide6.QtCore import QByteArray, Qt, SignalInstance
    from PySide6.QtGui import QAction, QImage, QTransform
    from PySide6.QtWidgets import QDockWidget

    from app.state import session as sessions
    from engine.service import JobFn, JobResult, RenderService
    from engine.types import Anchor, Camera, Frame, RenderRequest
    from widgets.export_dialog import ImageExportOptions
    from widgets.panorama_panel import StripSettings
    from widgets.video_dialog import VideoExportOptions


class Action(Protocol):
    """A command (a QAction): its ``triggered`` signal."""

    @property
    def triggered(self) -> SignalInstance: ...


class StatusPanel(Protocol):
    """A tool panel that shows a one-line message and a busy state with progress."""

    def set_message(self, text: str) -> None: ...

    def set_busy(self, busy: bool, fraction: float = 0.0) -> None: ...


class RenderSource(Protocol):
    """The current view as the canvas renders it (the view controller): its request and the render client."""

    def current_request(self) -> RenderRequest: ...

    @property
    def client(self) -> RenderClientView: ...


class RenderClientView(Protocol):
    """The render client's part the tool controllers use: its engine service and its frames."""

    @property
    def service(self) -> RenderService: ...

    @property
    def frameReady(self) -> SignalInstance: ...


class ModelFacts(Protocol):
    """The loaded model's facts (`Generator.info` as a dict), None before one is loaded."""

    @property
    def info(self) -> dict[str, Any] | None: ...


class ModelEvents(ModelFacts, Protocol):
    """`ModelFacts` and the signal of a newly loaded model (its info dict)."""

    @property
    def modelChanged(self) -> SignalInstance: ...


class FollowingView(RenderSource, Protocol):
    """A `RenderSource` that also says whether the newest frame shows the current view (tools that follow the
    view refresh only then)."""

    def frame_matches_view(self) -> bool: ...


class SrPanel(StatusPanel, Protocol):
    """The super-resolution compare panel (widgets/sr_compare.py)."""

    @property
    def compareRequested(self) -> SignalInstance: ...

    @property
    def cancelRequested(self) -> SignalInstance: ...

    def show_comparison(self, images: dict[str, np.ndarray], metrics: dict[str, dict[str, float]],
                        factor: int) -> None: ...


class Dock(Protocol):
    """A dock widget: whether it is shown, and when that changes."""

    def isVisible(self) -> bool: ...

    @property
    def visibilityChanged(self) -> SignalInstance: ...


class CursorSource(Protocol):
    """The canvas' cursor in widget pixels (x, y)."""

    @property
    def cursorMoved(self) -> SignalInstance: ...


class FoveationPanel(Protocol):
    """The foveation panel (widgets/foveation_panel.py)."""

    @property
    def refreshRequested(self) -> SignalInstance: ...

    @property
    def focusPicked(self) -> SignalInstance: ...

    @property
    def followCursorToggled(self) -> SignalInstance: ...

    @property
    def settingsChanged(self) -> SignalInstance: ...

    def set_message(self, text: str) -> None: ...

    def set_follow(self, on: bool) -> None: ...

    def settings(self) -> tuple[float, int]: ...

    def show_result(self, image: np.ndarray, density: np.ndarray, focus: tuple[float, float], text: str) -> None: ...


class LayerPanel(Protocol):
    """The layer viewer (widgets/layer_viewer.py)."""

    @property
    def layerChanged(self) -> SignalInstance: ...

    @property
    def refreshRequested(self) -> SignalInstance: ...

    @property
    def displayChanged(self) -> SignalInstance: ...

    def set_layers(self, names: list[str], current: str = "") -> None: ...

    def layer(self) -> str: ...

    def set_channel_count(self, count: int) -> None: ...

    def options(self) -> tuple[str, tuple[int, ...], str]: ...

    def show_image(self, rgb8: np.ndarray) -> None: ...

    def clear(self) -> None: ...

    def set_message(self, text: str) -> None: ...


class DockHost(Protocol):
    """The window the docks live in, for sizing a dock (QMainWindow)."""

    def resizeDocks(self, docks: Sequence[QDockWidget], sizes: Sequence[int], orientation: Qt.Orientation) -> None:
        ...

    def height(self) -> int: ...


class ExportOpener(Protocol):
    """Opens File → Export Image for a request (the export controller)."""

    def open_dialog(self, request: RenderRequest | None = None) -> None: ...


class PanoramaPanel(Protocol):
    """The panorama strip panel (widgets/panorama_panel.py)."""

    @property
    def settingsChanged(self) -> SignalInstance: ...

    @property
    def exportRequested(self) -> SignalInstance: ...

    def set_period(self, period: float | None) -> None: ...

    def period(self) -> float | None: ...

    def settings(self) -> StripSettings: ...

    def show_strip(self, image: np.ndarray, text: str) -> None: ...

    def set_message(self, text: str) -> None: ...

    def height_to_fill_width(self) -> int: ...

    def height(self) -> int: ...


class StatusLine(Protocol):
    """The window's status bar message (MainWindow.show_status)."""

    def show_status(self, text: str, error: bool = False, timeout_ms: int = 8000) -> None: ...


class SpectrumPanel(StatusPanel, Protocol):
    """The spectrum dock's panel (widgets/spectrum_dock.py)."""

    @property
    def refreshRequested(self) -> SignalInstance: ...

    @property
    def followToggled(self) -> SignalInstance: ...

    @property
    def averageRequested(self) -> SignalInstance: ...

    @property
    def cancelRequested(self) -> SignalInstance: ...

    @property
    def overlaysChanged(self) -> SignalInstance: ...

    @property
    def saveCsvRequested(self) -> SignalInstance: ...

    @property
    def savePlotRequested(self) -> SignalInstance: ...

    def show_spectrum(self, log_magnitude: np.ndarray, freqs: np.ndarray, profile: np.ndarray,
                      overlays: dict[str, np.ndarray], label: str) -> None: ...

    def set_follow(self, on: bool) -> None: ...

    def set_overlays(self, methods: tuple[str, ...]) -> None: ...

    def plot_image(self) -> QImage: ...


class PCAPanel(Protocol):
    """The embedding-PCA panel (widgets/pca_dock.py)."""

    @property
    def refreshRequested(self) -> SignalInstance: ...

    @property
    def embeddingChanged(self) -> SignalInstance: ...

    def set_embeddings(self, names: list[str], current: str = "") -> None: ...

    def current(self) -> str: ...

    def show_pca(self, rgb8: np.ndarray, explained: np.ndarray) -> None: ...

    def clear(self) -> None: ...

    def set_message(self, text: str) -> None: ...


class AblationPanel(Protocol):
    """The ablation checkboxes (widgets/ablation_panel.py)."""

    @property
    def ablationChanged(self) -> SignalInstance: ...

    def set_available(self, available: tuple[str, ...], family: str) -> None: ...

    def set_ablate(self, ablate: tuple[str, ...]) -> None: ...


class ConsistencyPanel(StatusPanel, Protocol):
    """The scale-consistency panel (widgets/consistency_panel.py)."""

    @property
    def runRequested(self) -> SignalInstance: ...

    @property
    def cancelRequested(self) -> SignalInstance: ...

    def set_rows(self, rows: list[dict[str, Any]]) -> None: ...


class LoadEvents(Protocol):
    """The render client's signal of a finished model load (`engine.service.LoadResult`)."""

    @property
    def loadFinished(self) -> SignalInstance: ...


class MixingPanel(Protocol):
    """The per-layer mixing table (widgets/mixing_table.py)."""

    @property
    def enabledToggled(self) -> SignalInstance: ...

    @property
    def cellsEdited(self) -> SignalInstance: ...

    @property
    def crossoverRequested(self) -> SignalInstance: ...

    @property
    def resetRequested(self) -> SignalInstance: ...

    @property
    def editStarted(self) -> SignalInstance: ...

    @property
    def editFinished(self) -> SignalInstance: ...

    def set_table(self, rows: list[list[float]], enabled: bool, row_labels: list[str],
                  col_labels: list[str]) -> None: ...


class JobClient(Protocol):
    """The render client's side for short engine jobs: the model epoch and a submit that returns a cancel token."""

    @property
    def epoch(self) -> int: ...

    def submit(self, fn: JobFn, on_done: Callable[[JobResult], None]) -> Any: ...


class SeedBrowserView(Protocol):
    """The seed browser (widgets/seed_browser.py)."""

    @property
    def seedPicked(self) -> SignalInstance: ...

    @property
    def pageRequested(self) -> SignalInstance: ...

    def seeds(self) -> list[int]: ...

    def thumb_size(self) -> int: ...

    def set_page(self, first: int, current: int | None) -> None: ...

    def current(self) -> int | None: ...

    def set_current(self, seed: int | None) -> None: ...

    def set_thumbnail(self, seed: int, image: np.ndarray) -> None: ...


class PaintToolbar(Protocol):
    """The paint toolbar (widgets/paint_toolbar.py)."""

    @property
    def toolChanged(self) -> SignalInstance: ...

    @property
    def brushChanged(self) -> SignalInstance: ...

    @property
    def anchorChanged(self) -> SignalInstance: ...

    @property
    def layerRangeChanged(self) -> SignalInstance: ...

    @property
    def overlayToggled(self) -> SignalInstance: ...

    @property
    def maskCommandRequested(self) -> SignalInstance: ...

    def set_tool(self, tool: str) -> None: ...

    def set_brush(self, size: float, hardness: float, opacity: float) -> None: ...

    def brush(self) -> tuple[float, float, float]: ...

    def set_anchors(self, labels: list[str], active: int) -> None: ...

    def set_num_layers(self, n: int) -> None: ...

    def layer_range(self) -> tuple[int, int] | None: ...


class PaintCanvas(Protocol):
    """The canvas as painting sees it (widgets/canvas_widget.py): strokes in widget pixels, brush and overlay."""

    @property
    def paintStarted(self) -> SignalInstance: ...

    @property
    def paintMoved(self) -> SignalInstance: ...

    @property
    def paintFinished(self) -> SignalInstance: ...

    @property
    def brushResizeRequested(self) -> SignalInstance: ...

    @property
    def viewportChanged(self) -> SignalInstance: ...

    def set_tool(self, tool: str) -> None: ...

    def set_brush(self, diameter: float, hardness: float) -> None: ...

    def set_mask_overlay(self, image: np.ndarray | None, image_to_frame: QTransform) -> None: ...

    def set_mask_overlay_visible(self, visible: bool) -> None: ...


class WidgetToFrame(Protocol):
    """The view's map from canvas widget pixels to frame coordinates (a 2 x 3 affine matrix)."""

    def widget_to_frame(self) -> np.ndarray: ...


# ---------------------------------------------------------------------- the window's own parts
class ToggleAction(Action, Protocol):
    """A checkable command: its ``toggled`` signal and its check mark."""

    @property
    def toggled(self) -> SignalInstance: ...

    def setChecked(self, checked: bool) -> None: ...


class Menu(Protocol):
    """A menu a controller fills with its own commands (QMenu)."""

    def addAction(self, action: QAction) -> None: ...

    def addSection(self, text: str) -> QAction: ...

    def clear(self) -> None: ...

    def setEnabled(self, enabled: bool) -> None: ...

    def setToolTipsVisible(self, visible: bool) -> None: ...


class ModelChrome(StatusLine, Protocol):
    """The window's parts that show the loaded model: busy bar, status-bar labels, title bar (MainWindow)."""

    def show_busy(self, busy: bool) -> None: ...

    def show_model(self, label: str, device: str, name: str) -> None: ...


class ViewReadout(StatusLine, Protocol):
    """The status bar's cursor and render-time read-outs (MainWindow)."""

    def show_cursor(self, text: str) -> None: ...

    def show_timing(self, text: str) -> None: ...


class WindowLayout(StatusLine, Protocol):
    """The window's dock and toolbar layout, saved in sessions (QMainWindow.saveState / restoreState)."""

    def saveState(self) -> QByteArray: ...

    def restoreState(self, state: bytes) -> bool: ...


# ---------------------------------------------------------------------- model
class ModelPanelView(Protocol):
    """The model panel (widgets/model_panel.py)."""

    @property
    def openRequested(self) -> SignalInstance: ...

    @property
    def recentActivated(self) -> SignalInstance: ...

    @property
    def deviceChanged(self) -> SignalInstance: ...

    def set_devices(self, devices: list[tuple[str, str]]) -> None: ...

    def set_device(self, device: str) -> None: ...

    def set_loading(self, loading: bool, path: str = "") -> None: ...

    def set_info(self, info: dict[str, Any] | None, path: str = "") -> None: ...

    def set_error(self, message: str) -> None: ...

    def set_recent(self, paths: list[str]) -> None: ...


class LoadClient(LoadEvents, JobClient, Protocol):
    """The render client's side for model loads: the service (its devices), load, and jobs."""

    @property
    def service(self) -> RenderService: ...

    def load(self, path: str, device: str = "auto") -> None: ...


class LoadedModel(ModelFacts, Protocol):
    """`ModelFacts` and the loaded file's path ("default" for the embedded generator, "" before a load)."""

    @property
    def path(self) -> str: ...


class ModelLoader(ModelEvents, LoadedModel, Protocol):
    """The model controller as sessions use it: what is loaded or loading, load, and its events."""

    @property
    def sha256(self) -> str: ...

    @property
    def loading(self) -> bool: ...

    @property
    def loading_path(self) -> str: ...

    @property
    def loadFailed(self) -> SignalInstance: ...

    @property
    def hashReady(self) -> SignalInstance: ...

    def load(self, path: str, device: str | None = None) -> None: ...


# ---------------------------------------------------------------------- view
class ViewCanvas(Protocol):
    """The canvas as the view controller drives it (widgets/canvas_widget.py): gestures in, frames out."""

    @property
    def panRequested(self) -> SignalInstance: ...

    @property
    def zoomRequested(self) -> SignalInstance: ...

    @property
    def rotateRequested(self) -> SignalInstance: ...

    @property
    def resetRequested(self) -> SignalInstance: ...

    @property
    def gestureStarted(self) -> SignalInstance: ...

    @property
    def gestureFinished(self) -> SignalInstance: ...

    @property
    def cursorMoved(self) -> SignalInstance: ...

    @property
    def cursorLeft(self) -> SignalInstance: ...

    @property
    def viewportChanged(self) -> SignalInstance: ...

    def viewport(self) -> tuple[float, float, float]: ...

    def set_view(self, widget_to_frame: QTransform) -> None: ...

    def show_frame(self, image: np.ndarray, image_to_frame: QTransform) -> None: ...

    def clear_frame(self) -> None: ...

    def set_message(self, text: str) -> None: ...

    def set_overlay_visible(self, visible: bool) -> None: ...

    def set_busy(self, busy: bool) -> None: ...


class ViewControls(Protocol):
    """The view panel (widgets/view_panel.py)."""

    @property
    def cameraEdited(self) -> SignalInstance: ...

    @property
    def resetRequested(self) -> SignalInstance: ...

    @property
    def qualityChanged(self) -> SignalInstance: ...

    @property
    def overlayToggled(self) -> SignalInstance: ...

    @property
    def editStarted(self) -> SignalInstance: ...

    @property
    def editFinished(self) -> SignalInstance: ...

    def set_camera(self, camera: Camera) -> None: ...

    def set_quality(self, scale: float) -> None: ...

    def set_overlay(self, on: bool) -> None: ...

    def set_render_size(self, width: int, height: int) -> None: ...


class ViewActions(Protocol):
    """The canvas commands (arrow keys, +/-, R, ...)."""

    @property
    def pan_left(self) -> Action: ...

    @property
    def pan_right(self) -> Action: ...

    @property
    def pan_up(self) -> Action: ...

    @property
    def pan_down(self) -> Action: ...

    @property
    def zoom_in(self) -> Action: ...

    @property
    def zoom_out(self) -> Action: ...

    @property
    def rotate_cw(self) -> Action: ...

    @property
    def rotate_ccw(self) -> Action: ...

    @property
    def reset_view(self) -> Action: ...

    @property
    def overlay(self) -> ToggleAction: ...


class ViewClient(RenderClientView, Protocol):
    """The render client as the view uses it: newest-wins renders, their failures and the busy state."""

    @property
    def epoch(self) -> int: ...

    @property
    def renderFailed(self) -> SignalInstance: ...

    @property
    def busyChanged(self) -> SignalInstance: ...

    def render(self, request: RenderRequest, passes: tuple[int, ...] | None = None) -> RenderRequest: ...


class FrameSource(RenderSource, Protocol):
    """A `RenderSource` with the last final frame on screen and the request it answered."""

    @property
    def last_final(self) -> tuple[Frame, RenderRequest] | None: ...


class SessionView(FollowingView, FrameSource, Protocol):
    """The view controller as sessions use it: the current view, its last frame and the display settings."""

    def set_quality(self, quality: float) -> None: ...

    def set_overlay(self, on: bool) -> None: ...

    def set_precision(self, mode: str) -> None: ...


# ---------------------------------------------------------------------- latent
class LatentControls(Protocol):
    """The latent panel (widgets/latent_panel.py)."""

    @property
    def seedChanged(self) -> SignalInstance: ...

    @property
    def activeAnchorChanged(self) -> SignalInstance: ...

    @property
    def anchorWeightChanged(self) -> SignalInstance: ...

    @property
    def addAnchorRequested(self) -> SignalInstance: ...

    @property
    def loadAnchorRequested(self) -> SignalInstance: ...

    @property
    def removeAnchorRequested(self) -> SignalInstance: ...

    @property
    def interpChanged(self) -> SignalInstance: ...

    @property
    def psiChanged(self) -> SignalInstance: ...

    @property
    def cutoffChanged(self) -> SignalInstance: ...

    @property
    def animateToggled(self) -> SignalInstance: ...

    @property
    def saveLatentRequested(self) -> SignalInstance: ...

    @property
    def editStarted(self) -> SignalInstance: ...

    @property
    def editFinished(self) -> SignalInstance: ...

    def set_latent(self, seed: int | None, labels: list[str], weights: list[float], active: int, interp: str,
                   psi: float, cutoff: int | None) -> None: ...

    def set_num_layers(self, num_ws: int) -> None: ...

    def set_animating(self, on: bool) -> None: ...


class LatentActions(Protocol):
    """The seed commands (previous / next / random seed, random walk)."""

    @property
    def prev_seed(self) -> Action: ...

    @property
    def next_seed(self) -> Action: ...

    @property
    def random_seed(self) -> Action: ...

    @property
    def random_walk(self) -> ToggleAction: ...


class SeedHighlight(Protocol):
    """The seed browser's controller as the latent side uses it: the current seed, and a refresh."""

    def set_current(self, seed: int | None) -> None: ...

    def schedule_refresh(self) -> None: ...


class ActiveAnchor(Protocol):
    """The latent controller as sessions use it: which anchor is active."""

    @property
    def active(self) -> int: ...

    def set_active(self, index: int) -> None: ...

    def active_anchor(self) -> Anchor: ...


# ---------------------------------------------------------------------- sessions
class SessionActions(Protocol):
    """File → Save / Open Session, Open Recipe, Save Image."""

    @property
    def save_session(self) -> Action: ...

    @property
    def open_session(self) -> Action: ...

    @property
    def open_recipe(self) -> Action: ...

    @property
    def save_image(self) -> Action: ...


class SessionHooks(Protocol):
    """Where other controllers put their part of a session: filled on save, read on open."""

    @property
    def save_hooks(self) -> list[Callable[[sessions.Session], None]]: ...

    @property
    def apply_hooks(self) -> list[Callable[[sessions.Session], None]]: ...


# ---------------------------------------------------------------------- export
class ExportForm(Protocol):
    """What the image and the video dialogs share (widgets/export_form.py)."""

    @property
    def exportRequested(self) -> SignalInstance: ...

    @property
    def browseRequested(self) -> SignalInstance: ...

    def set_path(self, path: str) -> None: ...

    def set_error(self, text: str) -> None: ...

    def open(self) -> None: ...

    def accept(self) -> None: ...


class ImageExportForm(ExportForm, Protocol):
    """File → Export Image's dialog (widgets/export_dialog.py)."""

    def set_view(self, size: tuple[int, int], summary: str) -> None: ...

    def set_cluster(self, address: str, enabled: bool) -> None: ...

    def set_seconds_per_pixel(self, seconds: float | None) -> None: ...

    def options(self) -> ImageExportOptions: ...


class VideoExportForm(ExportForm, Protocol):
    """File → Export Video's dialog (widgets/video_dialog.py)."""

    def set_values(self, view_size: tuple[int, int], duration: float, fps: float, easing: str,
                   size: tuple[int, int] | None) -> None: ...

    def options(self) -> VideoExportOptions: ...


class ProgressWindow(Protocol):
    """The export progress window (widgets/job_progress.py)."""

    @property
    def cancelRequested(self) -> SignalInstance: ...

    def start(self, window_title: str, text: str) -> None: ...

    def set_progress(self, fraction: float, eta_text: str) -> None: ...

    def show(self) -> None: ...

    def raise_(self) -> None: ...

    def hide(self) -> None: ...


class JobIndicator(Protocol):
    """The status-bar export indicator (widgets/job_status.py)."""

    @property
    def showRequested(self) -> SignalInstance: ...

    def start(self, label: str) -> None: ...

    def set_fraction(self, fraction: float) -> None: ...

    def finish(self) -> None: ...


class ExportRunner(Protocol):
    """The export controller as the video side uses it: one background export at a time."""

    @property
    def busy(self) -> bool: ...

    def run(self, job: Any, title: str, text: str, label: str, on_done: Callable[[JobResult], None]) -> bool: ...


class KeyframeList(Protocol):
    """The keyframe panel (widgets/keyframe_panel.py)."""

    @property
    def addRequested(self) -> SignalInstance: ...

    @property
    def removeRequested(self) -> SignalInstance: ...

    @property
    def moveRequested(self) -> SignalInstance: ...

    @property
    def timeEdited(self) -> SignalInstance: ...

    @property
    def activated(self) -> SignalInstance: ...

    @property
    def exportRequested(self) -> SignalInstance: ...

    @property
    def saveRequested(self) -> SignalInstance: ...

    def set_keyframes(self, rows: list[tuple[float, str]], selected: int | None = None) -> None: ...
