"""Super-resolution compare glue: the view at k x density vs upsampled native renders, as an engine job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from app.bridge import analysis_jobs
from app.bridge.job_runner import JobRunner
from engine.types import SuperResRequest

if TYPE_CHECKING:
    from collections.abc import Callable

    from app.bridge.analysis_jobs import SRReport
    from app.controllers.views import Action, ModelFacts, RenderSource, SrPanel
    from engine.service import JobResult


class SrController(QObject):
    """Runs `engine.superres.sr_compare` for the current view and shows it in the SR compare panel.

    Parameters
    ----------
    panel
        The compare panel it drives.
    action, show_dock
        View → Super-Resolution Compare, and how to bring the panel's dock up.
    view, models
        The current view (its request and render client) and the loaded model's facts.
    """

    def __init__(self, panel: SrPanel, action: Action, show_dock: Callable[[], None], view: RenderSource,
                 models: ModelFacts, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view, self.models, self.panel, self._show_dock = view, models, panel, show_dock
        self.runner = JobRunner(view.client.service, self)
        self.report: SRReport | None = None
        self.panel.compareRequested.connect(self.compare)
        self.panel.cancelRequested.connect(self.runner.cancel)
        self.runner.progressChanged.connect(lambda f, _eta: self.panel.set_busy(True, f))
        action.triggered.connect(self._on_action)
        self.panel.set_message("Compare renders the view at the model's native density and at k × density, "
                               "and upsamples the native render (nearest, bicubic, Lanczos).")

    def _on_action(self) -> None:
        self._show_dock()
        self.compare(4)

    def compare(self, factor: int) -> None:
        info = self.models.info
        if info is None:
            self.panel.set_message("No model loaded.")
            return
        if self.runner.busy:
            return
        req = self.view.current_request()
        self.panel.set_busy(True)
        size = analysis_jobs.sr_native_size(req.camera, req.size, int(info["resolution"]))
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
