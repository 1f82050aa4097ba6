"""What a controller sees of its views and of the rest of the app: typed protocols, so a controller takes exactly
the panels it drives (the widgets satisfy them; unit tests pass fakes) instead of the whole main window."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import numpy as np
    from PySide6.QtCore import Qt, SignalInstance
    from PySide6.QtGui import QImage, QTransform
    from PySide6.QtWidgets import QDockWidget

    from engine.service import JobFn, JobResult, RenderService
    from engine.types import RenderRequest
    from widgets.panorama_panel import StripSettings


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
