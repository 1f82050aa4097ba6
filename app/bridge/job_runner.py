"""Long engine-thread jobs (export, video, analyses over many samples) with progress, ETA and cancel."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from app.bridge.gui_bridge import GuiBridge
from engine.service import JobResult

if TYPE_CHECKING:
    from collections.abc import Callable

    from engine.service import JobFn, RenderService

MIN_ETA_FRACTION = 0.02  # below this much progress (and MIN_ETA_SECONDS) an ETA is a guess: none is shown
MIN_ETA_SECONDS = 3.0


class JobRunner(QObject):
    """Runs one long job at a time on the engine thread and reports on the GUI thread.

    The job's progress callback also lends the engine thread to a waiting interactive render
    (`RenderService.run_waiting_render`), so the canvas keeps rendering during a long export.

    Parameters
    ----------
    service
        The engine service (the render client's).
    parent
        Owner (a controller).

    Signals
    -------
    started()
        The job began running on the engine thread (it may wait behind other jobs first).
    progressChanged(fraction: float, eta_seconds: float)
        Progress in [0, 1]; ``eta_seconds`` < 0 while unknown.
    finished(result: JobResult)
        The job ended: a value, an error (one line) or cancelled. Emitted once per job.
    """

    started = Signal()
    progressChanged = Signal(float, float)
    finished = Signal(object)

    def __init__(self, service: RenderService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self._job = 0  # id of the job this runner still reports on (0 = none)
        self._count = 0
        self._token: Any = None
        self._t0: float | None = None
        self._on_done: Callable[[JobResult], None] | None = None
        bridge = GuiBridge(self)
        self._start_arrived = bridge.to_gui(self._on_start_arrived)
        self._progress_arrived = bridge.to_gui(self._on_progress_arrived)
        self._done_arrived = bridge.to_gui(self._on_done_arrived)

    @property
    def busy(self) -> bool:
        return self._job != 0

    def start(self, fn: JobFn, on_done: Callable[[JobResult], None] | None = None) -> int:
        """Queue ``fn(generator, token, progress)``; ``on_done`` (and `finished`) run on the GUI thread."""
        if self.busy:
            raise RuntimeError("JobRunner: a job is still running")
        self._count += 1
        job = self._job = self._count
        self._t0, self._on_done = None, on_done
        service = self.service

        def run(g: Any, token: Any, progress: Callable[[float], None]) -> Any:
            self._start_arrived(job)
            return fn(g, token, progress)

        def on_progress(fraction: float) -> None:  # engine thread
            self._progress_arrived(job, float(fraction))
            service.run_waiting_render()

        self._token = service.submit(run, lambda r: self._done_arrived(job, r), on_progress)
        return job

    def cancel(self) -> None:
        """Ask the job to stop; a job that has not started yet is reported cancelled at once."""
        if not self.busy:
            return
        self._token.cancel()
        if self._t0 is None:  # still queued: the service drops it without calling back
            self._finish(JobResult(0, cancelled=True))

    def abandon(self) -> None:
        """Cancel the job and stop reporting on it (no `finished`): for replacing it with a newer one."""
        if self.busy:
            self._token.cancel()
            self._job, self._on_done = 0, None

    def _finish(self, result: JobResult) -> None:
        on_done, self._on_done, self._job = self._on_done, None, 0
        if on_done is not None:
            on_done(result)
        self.finished.emit(result)

    def _on_start_arrived(self, job: int) -> None:
        if job == self._job:
            self._t0 = time.monotonic()
            self.started.emit()

    def _on_progress_arrived(self, job: int, fraction: float) -> None:
        if job != self._job:
            return
        if self._t0 is None:
            self._t0 = time.monotonic()
        eta = -1.0
        elapsed = time.monotonic() - self._t0
        if fraction >= MIN_ETA_FRACTION or (fraction > 0 and elapsed >= MIN_ETA_SECONDS):
            eta = elapsed * (1.0 - fraction) / fraction
        self.progressChanged.emit(fraction, eta)

    def _on_done_arrived(self, job: int, result: JobResult) -> None:
        if job == self._job:
            self._finish(result)


def format_eta(seconds: float) -> str:
    """'about 3 min 20 s left' style text; empty while unknown."""
    if seconds < 0:
        return ""
    s = round(seconds)
    if s < 60:
        return f"about {s} s left"
    if s < 3600:
        return f"about {s // 60} min {s % 60:02d} s left"
    return f"about {s // 3600} h {s % 3600 // 60:02d} min left"
