"""Super-resolution compare glue: the view at k x density vs upsampled native renders, as an engine job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from app.bridge import analysis_jobs
from app.bridge.job_runner import JobRunner
from engine.types import SuperResRequest

if TYPE_CHECKING:
    from app.bridge.analysis_jobs import SRReport
    from app.controllers.model import ModelController
    from app.controllers.view import ViewController
    from app.shell.main_window import MainWindow
    from engine.service import JobResult


class SrController(QObject):
    """Runs `engine.superres.sr_compare` for the current view and shows it in the SR compare panel."""

    def __init__(self, window: MainWindow, view: ViewController, models: ModelController) -> None:
        super().__init__(window)
        self.window, self.view, self.models = window, view, models
        self.panel = window.tools.sr_panel
        self.runner = JobRunner(view.client.service, self)
        self.report: SRReport | None = None
        self.panel.compareRequested.connect(self.compare)
        self.panel.cancelRequested.connect(self.runner.cancel)
        self.runner.progressChanged.connect(lambda f, _eta: self.panel.set_busy(True, f))
        window.tools.acts.sr_compare.triggered.connect(self._on_action)
        self.panel.set_message("Compare renders the view at the model's native density and at k × density, "
                               "and upsamples the native render (nearest, bicubic, Lanczos).")

    def _on_action(self) -> None:
        self.window.tools.show_dock(self.window.tools.sr_dock)
        self.compare(4)

    def compare(self, factor: int) -> None:
        if self.models.info is None:
            self.panel.set_message("No model loaded.")
            return
        if self.runner.busy:
            return
        req = self.view.current_request()
        self.panel.set_busy(True)
        size = analysis_jobs.sr_native_size(req.camera, req.size, int(self.models.info["resolution"]))
        self.runner.start(analysis_jobs.analysis_job(SuperResRequest(req.style, req.camera, size, factor)),
                          self._on_done)

    def _on_done(self, result: JobResult) -> None:
        self.panel.set_busy(False)
        if result.cancelled:
            self.panel.set_message("Cancelled.")
        elif result.error is not None:
            self.panel.set_message(f"Compare failed: {result.error}")
        else:
            self.report = result.value
            self.panel.show_comparison(self.report.images, self.report.metrics, self.report.factor)
