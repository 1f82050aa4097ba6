"""Spectrum glue: the view's (or seeds' mean) power spectrum as engine jobs, overlays, CSV and PNG export."""

from __future__ import annotations

import csv
import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from app.bridge import analysis_jobs
from app.bridge.job_runner import JobRunner
from engine.types import SpectrumRequest

if TYPE_CHECKING:
    from collections.abc import Callable

    from app.bridge.analysis_jobs import SpectrumResult
    from app.controllers.views import Action, Dock, FollowingView, ModelFacts, SpectrumPanel, StatusLine
    from app.shell.dialogs import Dialogs
    from engine.service import JobResult
    from engine.types import Frame, RenderRequest

FOLLOW_DELAY_MS = 300  # wait for the view to settle before spending a render on its spectrum
CSV_FILTER = "CSV files (*.csv)"
PNG_FILTER = "PNG images (*.png)"


class SpectrumController(QObject):
    """Runs spectra of the current view on the engine thread and shows them in the spectrum panel.

    Parameters
    ----------
    panel, dock, action, show_dock
        The spectrum panel, its dock, Analysis → Spectrum and how to bring the dock up.
    view, models
        The current view (following it while the dock is shown) and the loaded model's facts.
    dialogs, status
        File pickers / message boxes, and the window's status line.
    """

    def __init__(self, panel: SpectrumPanel, dock: Dock, action: Action, show_dock: Callable[[], None],
                 view: FollowingView, models: ModelFacts, dialogs: Dialogs, status: StatusLine,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view, self.models, self.dialogs, self.status = view, models, dialogs, status
        self.panel, self.dock, self._show_dock = panel, dock, show_dock
        self.runner = JobRunner(view.client.service, self)
        self.result: SpectrumResult | None = None
        self.follow = False
        self.overlays: tuple[str, ...] = ()
        self._averaging = False
        self._stale = False  # a follow update is owed once the running job ends
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FOLLOW_DELAY_MS)
        self._timer.timeout.connect(self._on_follow_timer)
        p = self.panel
        p.refreshRequested.connect(self.refresh)
        p.followToggled.connect(self.set_follow)
        p.averageRequested.connect(self.average)
        p.cancelRequested.connect(self.runner.cancel)
        p.overlaysChanged.connect(self.set_overlays)
        p.saveCsvRequested.connect(lambda: self.save_csv())
        p.savePlotRequested.connect(lambda: self.save_plot())
        self.runner.progressChanged.connect(lambda f, _eta: p.set_busy(True, f))
        view.client.frameReady.connect(self._on_frame_ready)
        self.dock.visibilityChanged.connect(self._on_dock_visibility_changed)
        action.triggered.connect(self.show_and_refresh)
        p.set_message("Update computes the spectrum of the current view; Average runs seeds 0…N−1.")

    def show_and_refresh(self) -> None:
        self._show_dock()
        self.refresh()

    def set_follow(self, on: bool) -> None:
        self.follow = on
        self.panel.set_follow(on)
        if on:
            self.refresh()

    def set_overlays(self, methods: tuple[str, ...]) -> None:
        self.overlays = methods
        self.panel.set_overlays(methods)
        if self.result is not None and not self._averaging:
            self.refresh()

    # ------------------------------------------------------------------ jobs
    def refresh(self) -> None:
        """Spectrum of the current view (a newer view replaces a view job that is still running)."""
        self._start(None)

    def average(self, seeds: int) -> None:
        """Mean spectrum over seeds 0..N-1 of the current view (``main.py spectrum --seeds N`` at the
        identity camera and native size)."""
        self._start(seeds)

    def _start(self, seeds: int | None) -> None:
        if self.models.info is None:
            self.panel.set_message("No model loaded.")
            return
        if self.runner.busy:
            if self._averaging and seeds is None:
                self._stale = True  # never interrupt an average for a follow update
                return
            self.runner.abandon()
        req = self.view.current_request()
        self._averaging = seeds is not None
        self.panel.set_busy(True)
        self.runner.start(analysis_jobs.analysis_job(SpectrumRequest(req.style, req.camera, req.size, seeds,
                                                                      tuple(self.overlays))),
                          lambda r: self._on_done(r, req))

    def _on_done(self, result: JobResult, req: RenderRequest) -> None:
        self.panel.set_busy(False)
        self._averaging = False
        if result.cancelled:
            self.panel.set_message("Cancelled.")
        elif result.error is not None:
            self.panel.set_message(f"Spectrum failed: {result.error}")
        else:
            self._show(result.value)
        if self._stale:
            self._stale = False
            self._timer.start()

    def _show(self, r: SpectrumResult) -> None:
        self.result = r
        w, h = r.size
        label = f"view ({w} × {h})" if r.samples == 1 else f"mean of seeds 0–{r.samples - 1} ({w} × {h})"
        self.panel.show_spectrum(r.log_magnitude, r.freqs, r.profile, r.overlays, label)
        text = f"Density {r.density:.2f}× native."
        if r.native_size is not None:
            text += f" Overlays: a {r.native_size[0]} × {r.native_size[1]} render upsampled to {w} × {h}."
        elif self.overlays:
            text += (" The view is not denser than native, so there is nothing to upsample: zoom in or raise "
                     "the render quality.")
        self.panel.set_message(text)

    def _on_dock_visibility_changed(self, visible: bool) -> None:
        if visible and self.follow:
            self._timer.start()

    def _on_frame_ready(self, frame: Frame, request: RenderRequest) -> None:
        if self.follow and frame.final and self.dock.isVisible():
            self._timer.start()

    def _on_follow_timer(self) -> None:
        if self.follow and self.dock.isVisible() and self.view.frame_matches_view():
            self.refresh()

    # ------------------------------------------------------------------ files
    def save_csv(self, path: str = "") -> bool:
        r = self.result
        if r is None:
            self.panel.set_message("Nothing to save yet: press Update or Average first.")
            return False
        path = path or self.dialogs.save_file("Save spectrum profile", CSV_FILTER, "spectrum.csv")
        if not path:
            return False
        methods = [m for m in analysis_jobs.OVERLAY_METHODS if m in r.overlays]
        try:
            with open(path, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["frequency_cycles_per_pixel", "mean_power", *[f"{m}_from_native_power" for m in methods]])
                cols = [r.freqs.tolist(), r.profile.tolist(), *[r.overlays[m].tolist() for m in methods]]
                w.writerows(zip(*cols, strict=True))
        except OSError as e:
            self.dialogs.message("Cannot save CSV", f"{path}: {e.strerror or e}", error=True)
            return False
        self.status.show_status(f"Saved {os.path.basename(path)}")
        return True

    def save_plot(self, path: str = "") -> bool:
        if self.result is None:
            self.panel.set_message("Nothing to save yet: press Update or Average first.")
            return False
        path = path or self.dialogs.save_file("Save spectrum plot", PNG_FILTER, "spectrum.png")
        if not path:
            return False
        if not self.panel.plot_image().save(path, "PNG"):  # type: ignore[call-overload]
            self.dialogs.message("Cannot save plot", f"{path}: could not write the file", error=True)
            return False
        self.status.show_status(f"Saved {os.path.basename(path)}")
        return True
