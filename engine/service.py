"""One engine thread that owns the generator: newest-request-wins renders, cancellable jobs, sync mode.

Callbacks run on the engine thread (or inline with ``sync=True``); a GUI bridges them to its own thread.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.errors import CheckpointError, RenderCancelled, one_line
from engine.interactive import (
    first_stride_floor,
    has_interactive_mode,
    view_quality,
)
from engine.pixel_cache import PanCache
from engine.renderer import CancelToken, render_request
from engine.types import Frame, RenderRequest, next_id

_log = logging.getLogger("inr_explorer.engine")

if TYPE_CHECKING:
    from engine.models.base import Generator

FrameCallback = Callable[[Frame], None]
ProgressCallback = Callable[[float], None]
JobFn = Callable[["Generator | None", CancelToken, ProgressCallback], Any]


@dataclass(frozen=True)
class LoadResult:
    """Outcome of a model load: the new epoch and model facts, or an error (the old model stays)."""

    job_id: int
    epoch: int
    info: dict[str, Any] | None = None
    layer_names: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class JobResult:
    job_id: int
    value: Any = None
    error: str | None = None
    cancelled: bool = False


@dataclass
class _Render:
    request: RenderRequest
    on_frame: FrameCallback
    passes: tuple[int, ...]
    interruptible: bool = False


@dataclass
class _Job:
    fn: Callable[[], None]
    token: CancelToken = field(default_factory=CancelToken)


def render_job(request: RenderRequest) -> JobFn:
    """A `RenderService.submit` job that renders ``request`` (cancellable between tiles) and returns its
    Frame: for renders that must not take the interactive newest-wins slot (thumbnails, saving)."""

    def run(g: Generator | None, token: CancelToken, progress: ProgressCallback) -> Frame:
        if g is None:
            return Frame(request.id, request.epoch, None, error="no model loaded")
        return render_request(g, request, cancel=token)

    return run


class RenderService:
    """The engine thread.

    Interactive renders (`render`) use the generator's interactive quality for off-axis views (CREPS' line
    lattice) and a `PanCache`: a whole-pixel pan of the last final frame renders only the exposed strips
    (bit-identical) and skips the coarse passes. Jobs (`submit`: exports, analyses) always render exactly.

    Parameters
    ----------
    sync
        Run every job inline on the caller's thread (deterministic tests).
    generator
        An already loaded generator to start with.
    """

    def __init__(self, sync: bool = False, generator: Generator | None = None) -> None:
        self.sync = sync
        self._gen = generator
        self._epoch = 0 if generator is None else 1
        self._cond = threading.Condition()
        self._pending: _Render | None = None
        self._jobs: collections.deque[_Job] = collections.deque()
        self._running: _Job | None = None
        self._refining: CancelToken | None = None  # token of an interruptible refinement pass in progress
        self._pan = PanCache()  # engine thread only
        self._stopped = False
        self._thread: threading.Thread | None = None
        if not sync:
            self._thread = threading.Thread(target=self._loop, name="engine", daemon=True)
            self._thread.start()

    @property
    def epoch(self) -> int:
        """Increments whenever the generator changes; frames carry the epoch they were rendered in."""
        return self._epoch

    @property
    def generator(self) -> Generator | None:
        """The current model (touch it only from jobs running on the engine thread)."""
        return self._gen

    def about(self) -> dict[str, str]:
        """Versions and devices for an About box or a bug report (imports torch)."""
        import torch

        g = self._gen
        return {"torch": torch.__version__, "devices": ", ".join(label for _, label in self.devices()[1:]),
                "device": "" if g is None else f"{g.device} ({g.precision})"}

    @staticmethod
    def devices() -> list[tuple[str, str]]:
        """(device name, label) of the devices this machine has, for a device menu (`available_devices`)."""
        from engine.checkpoints import available_devices

        return available_devices()

    # ------------------------------------------------------------------ requests
    def load(self, path: str, device: str = "auto", on_done: Callable[[LoadResult], None] | None = None,
             **options: Any) -> int:
        """Load a checkpoint on the engine thread; on failure the current model stays."""
        job_id = next_id()

        def run() -> None:
            from engine import load_generator

            try:
                g = load_generator(path, device=device, **options)
            except (CheckpointError, ValueError, RuntimeError, MemoryError) as e:
                result = LoadResult(job_id, self._epoch, error=one_line(e))
            except Exception as e:  # an unexpected loader bug must still answer, or the caller waits forever
                _log.exception("unexpected error on the engine thread")
                result = LoadResult(job_id, self._epoch, error=f"{path}: {type(e).__name__}: {one_line(e)}")
            else:
                self._gen = g
                self._pan.clear()  # never serve the old model's pixels (and let it be freed)
                self._epoch += 1
                result = LoadResult(job_id, self._epoch, dict(g.info), tuple(g.layer_names()))
            if on_done is not None:
                on_done(result)

        self._enqueue(_Job(run))
        return job_id

    def render(self, request: RenderRequest, on_frame: FrameCallback, passes: Sequence[int] = (1,),
               interruptible: bool = False) -> None:
        """Queue a render; it replaces a render still waiting (newest wins). ``passes`` are strides of
        progressive passes (e.g. (4, 1)): each pass delivers a Frame; remaining passes are skipped when a
        newer request arrives. With ``interruptible`` a refinement pass (any pass after the first) that is
        running when a newer request arrives stops between tiles and delivers no frame; the first pass
        always completes, so a stream of requests (a drag) keeps showing frames."""
        item = _Render(request, on_frame, tuple(passes) or (1,), interruptible)
        if self.sync:
            self._run_render(item)
            return
        with self._cond:
            self._pending = item
            if self._refining is not None:
                self._refining.cancel()
            self._cond.notify()

    def min_first_stride(self, request: RenderRequest) -> int:
        """Smallest stride worth a first progressive pass of `request` (any thread): 16 for an off-axis view
        of a model with an interactive line lattice, whose passes cost ~1/stride there (not 1/stride^2);
        else 1 (see `engine.interactive.first_stride_floor`)."""
        g = self._gen
        return first_stride_floor(g is not None and has_interactive_mode(g), request.camera)

    def submit(self, fn: JobFn, on_done: Callable[[JobResult], None] | None = None,
               on_progress: ProgressCallback | None = None) -> CancelToken:
        """Run ``fn(generator, token, progress)`` on the engine thread; returns its cancel token."""
        job = _Job(lambda: None)
        job_id = next_id()

        def run() -> None:
            try:
                value = fn(self._gen, job.token, on_progress or (lambda f: None))
                result = JobResult(job_id, value)
            except RenderCancelled:
                result = JobResult(job_id, cancelled=True)
            except Exception as e:  # errors travel back as values; the loop never dies
                _log.exception("unexpected error on the engine thread")
                result = JobResult(job_id, error=one_line(e))
            if on_done is not None:
                on_done(result)

        job.fn = run
        self._enqueue(job)
        return job.token

    def run_waiting_render(self) -> None:
        """Called by a long job between its tiles: run a waiting interactive render now, on the engine thread.

        Jobs otherwise hold the thread until they end; exports and analyses call this (through their
        progress callback) so the view keeps answering gestures while they run. Does nothing when called
        from any other thread or in sync mode.
        """
        if self._thread is None or threading.current_thread() is not self._thread:
            return
        with self._cond:
            item, self._pending = self._pending, None
        if item is not None:
            try:
                self._run_render(item)
            except Exception:  # a render bug must not abort the job that lent it the thread
                _log.exception("unexpected error on the engine thread")

    def cancel_jobs(self) -> None:
        """Cancel the running job and drop waiting ones (renders are not affected)."""
        with self._cond:
            for j in self._jobs:
                j.token.cancel()
            if self._running is not None:
                self._running.token.cancel()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel everything and join the engine thread."""
        self.cancel_jobs()
        with self._cond:
            self._stopped = True
            self._pending = None
            if self._refining is not None:
                self._refining.cancel()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    # ------------------------------------------------------------------ engine thread
    def _enqueue(self, job: _Job) -> None:
        if self.sync:
            job.fn()
            return
        with self._cond:
            self._jobs.append(job)
            self._cond.notify()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and self._pending is None and not self._jobs:
                    self._cond.wait()
                if self._stopped:
                    return
                item: _Render | _Job
                if self._pending is not None:  # interactive renders go before queued jobs
                    item, self._pending = self._pending, None
                else:
                    item = self._jobs.popleft()
                    self._running = item
            try:
                if isinstance(item, _Render):
                    self._run_render(item)
                elif not item.token.cancelled:
                    item.fn()
            except Exception:
                _log.exception("unexpected error on the engine thread")
            finally:
                with self._cond:
                    self._running = None

    @staticmethod
    def _precision(g: Generator | None, mode: str) -> tuple[str, str | None]:
        """The precision a render uses: the one asked for when this model renders accurately enough in it
        (measured once per model), else float32 and the reason."""
        if g is None or mode == "float32":
            return "float32", None
        from engine.precision import PrecisionError, check_precision

        try:
            check_precision(g, mode)
        except PrecisionError as e:
            return "float32", str(e)
        return mode, None

    def _newer_waiting(self) -> bool:
        return self._pending is not None or self._stopped

    def _run_render(self, item: _Render) -> None:
        req = item.request
        g = self._gen
        passes, plan = item.passes, None
        if g is not None:
            req = dataclasses.replace(req, quality=view_quality(g, req.camera))
        if g is not None and len(passes) > 1 and passes[-1] == 1:
            plan = self._pan.plan(g, dataclasses.replace(req, stride=1))
            if plan is not None:
                passes = (1,)  # a whole-pixel pan renders only its strips: cheaper than any coarse pass
        from engine.precision import use_precision  # torch: not imported until the first render

        mode, note = self._precision(g, req.precision)
        for i, stride in enumerate(passes):
            last = i == len(passes) - 1
            if g is None:
                frame = Frame(req.id, self._epoch, None, error="no model loaded")
            else:
                r = dataclasses.replace(req, stride=stride)
                token = None
                if item.interruptible and i > 0 and not self.sync:
                    token = CancelToken()
                    with self._cond:
                        if self._newer_waiting():
                            return
                        self._refining = token
                try:  # callbacks run outside the block: a job they start inline (sync mode) stays exact
                    with use_precision(g, mode):
                        if stride == 1:
                            frame = self._pan.render(g, r, cancel=token, plan=plan)
                        else:
                            frame = render_request(g, r, cancel=token)
                except RenderCancelled:
                    return
                finally:
                    if token is not None:
                        with self._cond:
                            self._refining = None
                extra = {**frame.extra, "precision": mode, **({"precision_note": note} if note else {})}
                frame = dataclasses.replace(frame, epoch=self._epoch, final=last or frame.error is not None,
                                            extra=extra)
            item.on_frame(frame)
            if frame.error is not None or (not last and not self.sync and self._newer_waiting()):
                return
