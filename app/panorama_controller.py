"""Panorama glue: View → Panorama Strip shows the view's ring on a cylinder (seamless), with export."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer

from app import analysis_jobs
from app.job_runner import JobRunner
from engine.types import Camera, RenderRequest

if TYPE_CHECKING:
    from app.analysis_jobs import PanoramaReport
    from app.export_controller import ExportController
    from app.main_window import MainWindow
    from app.model_controller import ModelController
    from app.view_controller import ViewController
    from engine.service import JobResult
    from engine.types import Frame

DELAY_MS = 300


def strip_size(width: int, thickness: float) -> tuple[int, int]:
    """A strip ``width`` wide whose height is ``thickness`` of the largest seamless ring (W > pi (H - 1))."""
    return width, max(2, math.floor(min(thickness, 0.95) * width / math.pi) + 1)


class PanoramaController(QObject):
    """Renders the cylinder strip of the current view in the panorama dock; Export uses the export dialog."""

    def __init__(self, window: MainWindow, view: ViewController, models: ModelController,
                 exports: ExportController) -> None:
        super().__init__(window)
        self.window, self.view, self.models, self.exports = window, view, models, exports
        tools = window.tools
        self.panel, self.dock = tools.panorama_panel, tools.panorama_dock
        self.runner = JobRunner(view.client.service, self)
        self.report: PanoramaReport | None = None
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
            self.window.resizeDocks([self.dock], [290], Qt.Orientation.Vertical)
        else:
            self.dock.hide()

    def request(self) -> RenderRequest:
        """The strip: the view's centre and zoom, the panel's yaw and size, the view's full style."""
        req = self.view.current_request()
        width, thickness, yaw = self.panel.settings()
        cam = Camera(center=req.camera.center, zoom=req.camera.zoom, rotation=yaw, projection="cylinder")
        return RenderRequest(req.style, cam, strip_size(width, thickness))

    def refresh(self) -> None:
        if self.models.info is None or not self.dock.isVisible():
            return
        req = self.request()
        self.runner.abandon()
        self.runner.start(analysis_jobs.panorama_job(req.style, req.camera, req.size), self._on_done)

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
        s, geo = r.seam, r.geometry
        # seamless: the wrap differs no more than some pair of neighbouring columns does
        verdict = "seamless" if s.seam <= s.max else "a visible seam"
        self.panel.show_strip(r.image, f"Ring of radius {geo['inner_radius']:.2f}…{geo['outer_radius']:.2f} "
                              f"about the view centre, {geo['degrees_per_column']:.2f}° per column. Wrap seam "
                              f"{s.seam:.4f}; neighbouring columns: median {s.median:.4f}, max {s.max:.4f} "
                              f"({verdict}).")

    def _on_dock_visibility_changed(self, visible: bool) -> None:
        if visible:
            if not self.dock.isFloating() and not 250 <= self.dock.height() <= 340:  # a strip under the canvas
                self.window.resizeDocks([self.dock], [290], Qt.Orientation.Vertical)
            self._timer.start()

    def _on_frame_ready(self, frame: Frame, request: RenderRequest) -> None:
        if frame.final and self.dock.isVisible():
            self._timer.start()
