"""Foveation glue: foveated renders of the view around a focus (click or canvas cursor) as engine jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from app.bridge import analysis_jobs
from app.bridge.job_runner import JobRunner
from app.state import camera_math as cm
from engine.types import FoveationRequest

if TYPE_CHECKING:
    from app.bridge.analysis_jobs import FoveationReport
    from app.controllers.views import CursorSource, Dock, FoveationPanel, ModelFacts, RenderSource
    from engine.service import JobResult
    from engine.types import Frame, RenderRequest

MAX_SIDE = 256  # the foveated preview's long side
DELAY_MS = 150  # coalesce cursor moves and view changes


def preview_size(size: tuple[int, int]) -> tuple[int, int]:
    return analysis_jobs.fit_within(size, MAX_SIDE)


class FoveationController(QObject):
    """Owns the foveation dock: focus, radius, levels, and the newest-wins foveated render job.

    Parameters
    ----------
    panel, dock
        The foveation panel and its dock (renders run only while it is shown).
    canvas
        The canvas' cursor, which the focus follows when "follow cursor" is on.
    view, models
        The current view (its request and render client) and the loaded model's facts.
    """

    def __init__(self, panel: FoveationPanel, dock: Dock, canvas: CursorSource, view: RenderSource,
                 models: ModelFacts, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view, self.models, self.panel, self.dock = view, models, panel, dock
        self.runner = JobRunner(view.client.service, self)
        self.report: FoveationReport | None = None
        self.focus: tuple[float, float] | None = None  # output pixels of the preview; None = centre
        self.follow_cursor = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        p = self.panel
        p.refreshRequested.connect(self.refresh)
        p.focusPicked.connect(self.set_focus)
        p.followCursorToggled.connect(self.set_follow_cursor)
        p.settingsChanged.connect(lambda _r, _l: self._timer.start())
        canvas.cursorMoved.connect(self._on_canvas_cursor_moved)
        view.client.frameReady.connect(self._on_frame_ready)
        self.dock.visibilityChanged.connect(self._on_dock_visibility_changed)
        p.set_message("Renders only the pixels a viewer's fovea needs: every pixel near the focus, every "
                      "2^k-th farther out, the rest filled bilinearly (CIPS paper, Fig. 8). Click to move the focus.")

    def set_focus(self, x: float, y: float) -> None:
        self.focus = (x, y)
        self._timer.start()

    def set_follow_cursor(self, on: bool) -> None:
        self.follow_cursor = on
        self.panel.set_follow(on)

    def refresh(self) -> None:
        if self.models.info is None or not self.dock.isVisible():
            return
        req = self.view.current_request()
        size = preview_size(req.size)
        radius, levels = self.panel.settings()
        self.runner.abandon()
        job = FoveationRequest(req.style, req.camera, size, self.focus, radius or None, levels)
        self.runner.start(analysis_jobs.analysis_job(job), self._on_done)

    def _on_done(self, result: JobResult) -> None:
        if result.cancelled:
            return
        if result.error is not None:
            self.panel.set_message(f"Foveation: {result.error}")
            return
        r: FoveationReport = result.value
        self.report = r
        st = r.stats
        h, w = r.image.shape[:2]
        self.panel.show_result(r.image, r.density, r.focus,
                               f"{w} × {h}: rendered {st['samples']:,} of {st['pixels']:,} pixels "
                               f"({100 * st['fraction']:.1f} %), {st['speedup']:.1f}× fewer than a full render, "
                               f"{st['seconds']:.2f} s")

    def _on_canvas_cursor_moved(self, x: float, y: float) -> None:
        if not (self.follow_cursor and self.dock.isVisible()):
            return
        req = self.view.current_request()
        size = preview_size(req.size)
        self.focus = cm.apply(cm.invert(cm.image_to_frame(req.camera, size)), x, y)
        self._timer.start()

    def _on_frame_ready(self, frame: Frame, request: RenderRequest) -> None:
        if frame.final and self.dock.isVisible():
            self._timer.start()

    def _on_dock_visibility_changed(self, visible: bool) -> None:
        if visible:
            self._timer.start()
