"""GUI-thread bridge to the engine thread: posts requests, delivers frames/loads/jobs as queued Qt signals."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from app.bridge.gui_bridge import GuiBridge
from engine.service import JobFn, JobResult, LoadResult, RenderService

if TYPE_CHECKING:
    from collections.abc import Callable

    from engine.types import Frame, RenderRequest

COARSE_SECONDS = 0.06  # time budget of the first progressive pass (feedback during a gesture)
MAX_STRIDE = 32


def choose_passes(width: int, height: int, seconds_per_pixel: float | None,
                  budget: float = COARSE_SECONDS, min_stride: int = 1) -> tuple[int, ...]:
    """Progressive strides: a first pass that fits ``budget`` at the measured speed, then full resolution.

    A large first stride gets an intermediate pass, so a slow model on a big canvas refines in steps.
    ``min_stride`` raises the first stride of a view that needs a coarse pass at all (the service's
    `min_first_stride`: views whose pass cost does not fall with the square of the stride).
    """
    pixels = width * height
    spp = seconds_per_pixel if seconds_per_pixel and seconds_per_pixel > 0 else 2e-5
    affordable = max(budget / spp, 64.0)
    stride = 1
    while stride < MAX_STRIDE and pixels / (stride * stride) > affordable:
        stride *= 2
    if stride == 1:
        return (1,)
    stride = min(MAX_STRIDE, max(stride, min_stride))
    if stride >= 8:
        return (stride, stride // 4, 1)
    return (stride, 1)


class RenderClient(QObject):
    """Owns the `RenderService` and applies the GUI-side rules of the threading contract (DESIGN §4).

    Frames of a stale epoch (model changed), or older than the frame on screen, are dropped; frames are
    never dropped merely because a newer request is queued, so a drag keeps showing frames.

    Signals
    -------
    frameReady(frame: Frame, request: RenderRequest)
        A frame to show, with the request it answers.
    renderFailed(message: str)
        The newest render failed (the message is one line).
    loadFinished(result: LoadResult)
        A model load ended (``result.error`` set when it failed; the old model then stays).
    busyChanged(busy: bool)
        Whether the latest requested render still lacks its final frame.
    """

    frameReady = Signal(object, object)
    renderFailed = Signal(str)
    loadFinished = Signal(object)
    busyChanged = Signal(bool)

    def __init__(self, service: RenderService | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service or RenderService()
        self._epoch = self.service.epoch
        self._requests: dict[int, RenderRequest] = {}
        self._shown: tuple[int, int] = (0, 0)  # (request id, -stride) of the frame on screen
        self._latest = 0
        self._busy = False
        self._spp: float | None = None  # measured seconds per pixel (for the coarse-pass stride)
        self._closed = False
        bridge = GuiBridge(self)
        self._frame_arrived = bridge.to_gui(self._on_frame_arrived)
        self._load_arrived = bridge.to_gui(self._on_load_arrived)
        self._job_arrived = bridge.to_gui(self._on_job_arrived)

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def busy(self) -> bool:
        return self._busy

    # ---------------------------------------------------------------- requests (GUI thread)
    def render(self, request: RenderRequest, passes: tuple[int, ...] | None = None) -> RenderRequest:
        """Post a render (newest wins); the request is re-stamped with the current epoch."""
        request = dataclasses.replace(request, epoch=self._epoch)
        if passes is None:
            passes = choose_passes(*request.size, self._spp, min_stride=self.service.min_first_stride(request))
        self._requests[request.id] = request
        self._latest = request.id
        self._set_busy(True)
        self.service.render(request, self._frame_arrived, passes, interruptible=True)
        return request

    def load(self, path: str, device: str = "auto") -> None:
        self.service.load(path, device, on_done=self._load_arrived)

    def submit(self, fn: JobFn, on_done: Callable[[JobResult], None]) -> Any:
        """Run ``fn(generator, token, progress)`` on the engine thread; ``on_done`` runs on the GUI thread."""
        return self.service.submit(fn, lambda result: self._job_arrived(on_done, result))

    def shutdown(self) -> None:
        self._closed = True
        self.service.shutdown()

    # ---------------------------------------------------------------- results (GUI thread)
    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)

    def _on_frame_arrived(self, frame: Frame) -> None:
        if self._closed:
            return
        request = self._requests.get(frame.request_id)
        if frame.final and frame.request_id == self._latest:
            self._set_busy(False)
        if request is None or frame.epoch != self._epoch:
            return
        key = (frame.request_id, -frame.stride)
        if key <= self._shown:
            return
        if frame.error is not None or frame.image is None:
            if frame.request_id >= self._shown[0]:
                self.renderFailed.emit(frame.error or "render failed")
            return
        # speed from the pixels actually rendered (a pan reuses most of them); views with a stride floor
        # (off-axis lattice) do not scale with pixels / stride^2 and would mislead the other views' passes
        rendered = frame.image.shape[0] * frame.image.shape[1] - int(frame.extra.get("reused_pixels", 0))
        if rendered > 0 and frame.seconds > 0 and self.service.min_first_stride(request) == 1:
            spp = frame.seconds / rendered
            self._spp = spp if self._spp is None else 0.7 * self._spp + 0.3 * spp
        self._shown = key
        for rid in [r for r in self._requests if r < frame.request_id]:
            del self._requests[rid]
        self.frameReady.emit(frame, request)

    def _on_load_arrived(self, result: LoadResult) -> None:
        if self._closed:
            return
        if result.error is None:
            self._epoch = result.epoch
            self._spp = None
            self._requests.clear()
            self._shown = (0, 0)
        self.loadFinished.emit(result)

    def _on_job_arrived(self, on_done: Callable[[JobResult], None], result: JobResult) -> None:
        if not self._closed:
            on_done(result)
