"""Panorama glue: View → Panorama Strip shows an upright cylinder strip of the view (cross-faded wrap), its
measured wrap seam, and exports it through the export dialog."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer

from app.bridge import analysis_jobs
from app.bridge.job_runner import JobRunner
from engine.coords import periodic_strip
from engine.types import Camera, PanoramaRequest, RenderRequest

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDockWidget

    from app.bridge.analysis_jobs import PanoramaReport
    from app.controllers.views import DockHost, ExportOpener, ModelFacts, PanoramaPanel, RenderSource
    from engine.service import JobResult
    from engine.types import Frame

DELAY_MS = 300
DOCK_HEIGHT = 290  # first height of the dock under the canvas, until a strip tells the height it needs
MAX_DOCK_SHARE = 0.45  # the strip never takes more than this share of the window's height


def strip_size(width: int, turn: float) -> tuple[int, int]:
    """A strip ``width`` wide whose turn is ``turn`` strip heights long: W / (H - 1) ≈ turn."""
    return width, max(2, round(width / max(turn, 1e-6)) + 1)


class PanoramaController(QObject):
    """Renders the cylinder strip of the current view in the panorama dock; Export uses the export dialog.

    Parameters
    ----------
    panel, dock, host
        The strip panel, its dock and the window that sizes the dock.
    view, models, exports
        The current view, the model's facts (its period) and the export dialog's opener.
    """

    def __init__(self, panel: PanoramaPanel, dock: QDockWidget, host: DockHost, view: RenderSource,
                 models: ModelFacts, exports: ExportOpener, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view, self.models, self.exports = view, models, exports
        self.panel, self.dock, self.host = panel, dock, host
        self.runner = JobRunner(view.client.service, self)
        self.report: PanoramaReport | None = None
        self._fitted: tuple[int, int] | None = None  # (strip aspect key, dock width) the dock was sized for
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        self.dock.visibilityChanged.connect(self._on_dock_visibility_changed)
        self.panel.settingsChanged.connect(self._timer.start)
        self.panel.exportRequested.connect(self.export)
        view.client.frameReady.connect(self._on_frame_ready)

    def set_visible(self, on: bool) -> None:
        if on:
            self.dock.show()
            self.dock.raise_()
            self._timer.start()
            self.host.resizeDocks([self.dock], [DOCK_HEIGHT], Qt.Orientation.Vertical)
        else:
            self.dock.hide()

    def request(self) -> RenderRequest:
        """The strip: the view's centre and zoom, the panel's width, turn, yaw and blend, the view's style."""
        req = self.view.current_request()
        s = self.panel.settings()
        period = (self.models.info or {}).get("period_x")
        if period:  # the model's own turn: exact wrap, no cross-fade
            cam, size = periodic_strip(float(period), s.width, req.camera.zoom, req.camera.center, s.yaw)
            return RenderRequest(req.style, cam, size)
        cam = Camera(center=req.camera.center, zoom=req.camera.zoom, rotation=s.yaw, projection="cylinder",
                     blend=s.blend)
        return RenderRequest(req.style, cam, strip_size(s.width, s.turn))

    def refresh(self) -> None:
        if self.models.info is None or not self.dock.isVisible():
            return
        self.panel.set_period(self.models.info.get("period_x") or None)
        req = self.request()
        self.runner.abandon()
        self.runner.start(analysis_jobs.analysis_job(PanoramaRequest(req.style, req.camera, req.size)), self._on_done)

    def export(self) -> None:
        self.exports.open_dialog(self.request())

    def _on_done(self, result: JobResult) -> None:
        if result.cancelled:
            return
        if result.error is not None:
            self.panel.set_message(f"Panorama: {result.error}")
            return
        r: PanoramaReport = result.value
        self.report = r
        self.panel.show_strip(r.image, describe(r, self.panel.period() is not None))
        self._fit_dock()

    def _fit_dock(self) -> None:
        """Make the docked strip as tall as it needs to fill the dock's width (once per aspect and width)."""
        if self.dock.isFloating() or self.report is None:
            return
        h, w = self.report.image.shape[:2]
        key = (round(1000 * w / h), self.dock.width())
        if key == self._fitted:
            return
        need = self.panel.height_to_fill_width()
        if need <= 0:
            return
        self._fitted = key
        limit = int(MAX_DOCK_SHARE * self.host.height())
        chrome = max(0, self.dock.height() - self.panel.height())  # title bar and margins
        self.host.resizeDocks([self.dock], [min(need + chrome, limit)], Qt.Orientation.Vertical)

    def _on_dock_visibility_changed(self, visible: bool) -> None:
        if visible:
            if not self.dock.isFloating() and self.report is None and not 200 <= self.dock.height() <= 340:
                self.host.resizeDocks([self.dock], [DOCK_HEIGHT], Qt.Orientation.Vertical)
            self._fitted = None
            self._timer.start()

    def _on_frame_ready(self, frame: Frame, request: RenderRequest) -> None:
        if frame.final and self.dock.isVisible():
            self._timer.start()


def describe(r: PanoramaReport, periodic: bool = False) -> str:
    """The panel's line: what the strip covers and the measured wrap seam, with an honest verdict
    (``periodic``: the strip is one turn of the model's own period)."""
    s, geo = r.seam, r.geometry
    if s.seamless:  # SeamStats.seamless: seam / median below engine.panorama.SEAMLESS_RATIO
        verdict = f"{s.ratio:.2f}× the median: seamless"
    else:
        hint = "; raise Blend" if r.camera.blend < 0.5 and not periodic else ""
        verdict = f"{s.ratio:.1f}× the median: a visible seam{hint}"
    fade = ("the model's own period, no cross-fade" if periodic else
            f"the last {geo['blend_columns']:.0f} columns cross-faded into the wrap" if r.camera.blend > 0
            else "no cross-fade")
    return (f"One turn: x {geo['x_start']:+.2f} … {geo['x_end']:+.2f}, y {geo['y_top']:+.2f} … "
            f"{geo['y_bottom']:+.2f} (frame units), {fade}. "
            f"Wrap seam |column 0 − column {r.image.shape[1] - 1}| = {s.seam:.4f}; "
            f"neighbouring columns: median {s.median:.4f}, max {s.max:.4f} — {verdict}.")
