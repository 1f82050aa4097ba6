"""Scale-out on Dask distributed: the engine's own units of work (bands of an export, frames of a video,
chunks of seeds of an analysis) as tasks on a cluster, streamed back in order into the local writers.

A task is a small frozen value: a `ModelRef` (path + SHA-256, never a pickled model), the style, the camera
and which rows / frames / seeds. Each worker process loads the model once, checks the file's hash first
(a different file is refused, not rendered), and keeps it for the next tasks. The client keeps about two
tasks per worker thread in flight, so its memory stays bounded whatever the job's size; a worker that dies is
replaced by Dask and its tasks run elsewhere, with the same pixels. Dask is optional (``pip install -e
".[cluster]"``) and imported only when a cluster is asked for.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from engine.errors import CheckpointError, RenderCancelled, one_line
from engine.types import Camera, StyleSpec

if TYPE_CHECKING:
    from engine.analysis import SpectrumMean
    from engine.models.base import Generator
    from engine.renderer import CancelToken
    from engine.video import VideoSpec

T = TypeVar("T")
R = TypeVar("R")

INSTALL_HINT = 'Dask distributed is not installed: pip install -e ".[cluster]" (or pip install "distributed>=2024.1")'
ENV_ADDRESS = "DASK_SCHEDULER_ADDRESS"
IN_FLIGHT_PER_THREAD = 2  # tasks submitted ahead per worker thread: keeps workers busy, bounds the client's memory
POLL_SECONDS = 0.25  # how often a wait for a result looks at the cancel token


class ModelMismatch(CheckpointError):
    """A worker's model file is not the client's (different SHA-256, or missing)."""


@dataclass(frozen=True)
class ModelRef:
    """What a worker needs to load the client's model: the file, its hash, device and precision."""

    path: str
    sha256: str
    device: str = "auto"
    precision: str = "float32"


def model_ref(g: Generator, device: str = "auto") -> ModelRef:
    """The reference of a loaded generator's file (``device``: what workers load it on, "auto" by default)."""
    from engine.checkpoints import DEFAULT_NAME, default_path
    from engine.export import file_sha256

    path = default_path() if g.source == DEFAULT_NAME else Path(g.source)
    if not path.is_file():
        raise ValueError(f"cluster: the model has no file that workers could load ({g.source!r})")
    path = path.resolve()
    return ModelRef(str(path), file_sha256(path), device, g.precision)


_models: dict[ModelRef, Generator] = {}  # per worker process: the models its tasks used, loaded once


def worker_generator(ref: ModelRef) -> Generator:
    """On a worker: the generator of ``ref``, loaded once per process; the file's hash is checked on every
    task (a stat when unchanged: `file_sha256` is cached by mtime and size)."""
    from engine.export import file_sha256

    host = _worker_name()
    try:
        actual = file_sha256(ref.path)
    except OSError as e:
        raise ModelMismatch(f"worker {host}: cannot read the model {ref.path} ({e.strerror or e})") from None
    if actual != ref.sha256:
        _models.pop(ref, None)
        raise ModelMismatch(f"worker {host}: {ref.path} is a different model file (SHA-256 {actual[:12]}…, "
                            f"the client's is {ref.sha256[:12]}…); give every worker the same file")
    g = _models.get(ref)
    if g is None:
        from engine import load_generator
        from engine.runtime import tune_allocator

        tune_allocator()  # as main.py does: Dask's nanny sets a small trim threshold, which page-faults every layer
        g = load_generator(ref.path, device=ref.device)
        g.precision = ref.precision  # measured and accepted on the client
        _models.clear()  # one model per worker at a time: jobs of another model evict it
        _models[ref] = g
    return g


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ValueError(INSTALL_HINT) from None
    return distributed


def scheduler_address(spec: str | None) -> str:
    """--cluster value as given, or for None / "" / "env" the address in $DASK_SCHEDULER_ADDRESS."""
    text = (spec or "").strip()
    if text in ("", "env"):
        text = os.environ.get(ENV_ADDRESS, "").strip()
        if not text:
            raise ValueError(f"cluster: {ENV_ADDRESS} is not set (give local[:N] or tcp://host:port instead)")
    return text


def parse_address(spec: str | None) -> tuple[str, int | None]:
    """--cluster value -> ("local", workers or None) or ("remote", None)."""
    text = scheduler_address(spec)
    if text == "local" or text.startswith("local:"):
        n = text.partition(":")[2]
        if n and (not n.isdigit() or int(n) < 1):
            raise ValueError(f"cluster: local:N needs a worker count N >= 1, got {text!r}")
        return "local", int(n) if n else None
    if "://" not in text and ":" not in text:
        raise ValueError(f"cluster: expected local[:N] or a scheduler address such as tcp://host:8786, got {text!r}")
    return "remote", None


class Cluster:
    """A Dask client on a LocalCluster (``local[:N]``: N worker processes of one thread, default one per core)
    or an existing scheduler (``tcp://host:port``; "env" or None: $DASK_SCHEDULER_ADDRESS). A context manager."""

    def __init__(self, spec: str | None = None) -> None:
        distributed = _import_distributed()
        kind, n = parse_address(spec)
        self._local = None
        if kind == "local":
            workers = n or max(1, os.cpu_count() or 1)
            try:
                self._local = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                       dashboard_address=":0", silence_logs=logging.ERROR)
            except (OSError, RuntimeError) as e:
                raise ValueError(f"cluster: cannot start {workers} local workers ({one_line(e)})") from None
            self.client = distributed.Client(self._local)
            self.address = f"local:{workers}"
        else:
            address = scheduler_address(spec)
            try:
                self.client = distributed.Client(address, timeout="10s")
            except (OSError, TimeoutError) as e:
                raise ValueError(f"cluster: cannot reach the scheduler at {address} ({e})") from None
            self.address = address

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()
        if self._local is not None:
            self._local.close()

    @property
    def threads(self) -> int:
        """Worker threads in the cluster now (tasks run one per thread)."""
        return max(1, sum(self.client.nthreads().values()))

    def describe(self) -> str:
        return f"{self.address} ({len(self.client.nthreads())} workers, {self.threads} threads)"

    def map_ordered(self, fn: Callable[[T], R], tasks: Iterable[T], cancel: CancelToken | None = None) -> Iterator[R]:
        """``fn(task)`` for each task on the cluster, yielded in the tasks' order; about two tasks per worker
        thread are in flight. Closing the iterator (an error, cancel, Ctrl+C) cancels what is still pending."""
        from distributed import TimeoutError as DaskTimeout

        pending: deque[Any] = deque()
        it = iter(tasks)
        limit = IN_FLIGHT_PER_THREAD * self.threads
        try:
            while True:
                while len(pending) < limit:
                    task = next(it, _END)
                    if task is _END:
                        break
                    pending.append(self.client.submit(fn, task, pure=False))
                if not pending:
                    return
                fut = pending.popleft()
                while True:
                    if cancel is not None and cancel.cancelled:
                        raise RenderCancelled("cancelled")
                    try:
                        result = fut.result(timeout=POLL_SECONDS)
                        break
                    except (DaskTimeout, TimeoutError):
                        continue
                fut.release()
                yield result
        finally:
            if pending:
                self.client.cancel(list(pending))


_END = object()


@contextlib.contextmanager
def using(cluster: Cluster | None, address: str) -> Iterator[Cluster | None]:
    """``cluster`` when given, else a `Cluster` on ``address`` for the block (closed after it), else None
    (render here: Dask is not imported)."""
    if cluster is not None or not address:
        yield cluster
        return
    with Cluster(address) as opened:
        yield opened

# ---------------------------------------------------------------- tasks: what a worker runs

TASK_PIXELS = 512 * 512  # a task renders at least this many pixels (bands or frames), so per-task overhead is small


@dataclass(frozen=True)
class BandsTask:
    """Consecutive bands (y0, rows) of an export; ``grid`` holds just their rows of an explicit grid."""

    model: ModelRef
    style: StyleSpec
    camera: Camera
    size: tuple[int, int]
    bands: tuple[tuple[int, int], ...]
    bits: int = 8
    grid: np.ndarray | None = None


def render_bands_task(task: BandsTask) -> list[np.ndarray]:
    """On a worker: each band's converted pixels, exactly as `engine.export.export_image` renders them."""
    from engine.export import export_band
    from engine.renderer import spec_styles

    g = worker_generator(task.model)
    styles = spec_styles(g, task.style)
    first = task.bands[0][0]
    return [export_band(g, styles, task.camera, None if task.grid is None else task.grid[y0 - first:y0 - first + rows],
                        task.size, y0, rows, task.style.noise, task.style.ablate, task.bits)
            for y0, rows in task.bands]


def _runs(todo: Iterable[tuple[int, int]], width: int, task_pixels: int) -> Iterator[list[tuple[int, int]]]:
    """Group consecutive bands into runs of about ``task_pixels`` pixels (a journal's gaps end a run)."""
    run: list[tuple[int, int]] = []
    for y0, rows in todo:
        if run and (run[-1][0] + run[-1][1] != y0 or sum(r for _, r in run) * width >= task_pixels):
            yield run
            run = []
        run.append((y0, rows))
    if run:
        yield run


def _chunks(items: Sequence[int], size: int) -> Iterator[tuple[int, ...]]:
    """Consecutive chunks of ``size`` items (seeds of an analysis, frames of a video)."""
    for i in range(0, len(items), size):
        yield tuple(items[i:i + size])


def export_source(cluster: Cluster, model: ModelRef, style: StyleSpec, camera: Camera, size: tuple[int, int],
                  grid: np.ndarray | None = None, bits: int = 8, cancel: CancelToken | None = None,
                  task_pixels: int = TASK_PIXELS) -> Callable[[Sequence[tuple[int, int]]], Iterator[np.ndarray]]:
    """A band source for `engine.export.export_image` that renders on ``cluster`` (noise and ablations are the
    style's own); the pixels equal a local export's."""

    def source(todo: Sequence[tuple[int, int]]) -> Iterator[np.ndarray]:
        tasks = (BandsTask(model, style, camera, size, tuple(run), bits,
                           None if grid is None else np.ascontiguousarray(grid[run[0][0]:run[-1][0] + run[-1][1]]))
                 for run in _runs(todo, size[0], task_pixels))
        for result in cluster.map_ordered(render_bands_task, tasks, cancel):
            yield from result

    return source


@dataclass(frozen=True)
class FramesTask:
    model: ModelRef
    spec: VideoSpec
    frames: tuple[int, ...]


def render_frames_task(task: FramesTask) -> list[np.ndarray]:
    """On a worker: uint8 frames of a video, as `engine.video.export_video` renders them."""
    from engine.video import render_frame

    g = worker_generator(task.model)
    return [render_frame(g, task.spec, i) for i in task.frames]


def video_source(cluster: Cluster, model: ModelRef, spec: VideoSpec, cancel: CancelToken | None = None,
                 task_pixels: int = TASK_PIXELS) -> Callable[[Sequence[int]], Iterator[np.ndarray]]:
    """A frame source for `engine.video.export_video` that renders on ``cluster``."""
    per_task = max(1, task_pixels // max(1, spec.size[0] * spec.size[1]))

    def source(frames: Sequence[int]) -> Iterator[np.ndarray]:
        tasks = (FramesTask(model, spec, chunk) for chunk in _chunks(frames, per_task))
        for result in cluster.map_ordered(render_frames_task, tasks, cancel):
            yield from result

    return source


@dataclass(frozen=True)
class SpectrumTask:
    model: ModelRef
    style: StyleSpec
    seeds: tuple[int, ...]
    size: int
    window: bool = True


def spectrum_task(task: SpectrumTask) -> SpectrumMean:
    from engine.analysis import mean_spectrum

    return mean_spectrum(worker_generator(task.model), task.seeds, task.size, task.window, task.style)


def cluster_spectrum(cluster: Cluster, model: ModelRef, seeds: Sequence[int], size: int, window: bool = True,
                     style: StyleSpec | None = None, chunk: int = 4,
                     cancel: CancelToken | None = None) -> SpectrumMean:
    """`engine.analysis.mean_spectrum` with chunks of ``chunk`` seeds as tasks; partial sums are added up."""
    from engine.analysis import SpectrumMean

    total = SpectrumMean()
    tasks = (SpectrumTask(model, style or StyleSpec(), c, size, window) for c in _chunks(seeds, chunk))
    for part in cluster.map_ordered(spectrum_task, tasks, cancel):
        total.merge(part)
    return total


@dataclass(frozen=True)
class ConsistencyTask:
    model: ModelRef
    seeds: tuple[int, ...]
    scales: tuple[int, ...]


def consistency_task(task: ConsistencyTask) -> np.ndarray:
    from engine.analysis import consistency_per_seed

    return consistency_per_seed(worker_generator(task.model), task.seeds, task.scales)


def cluster_consistency(cluster: Cluster, model: ModelRef, seeds: Sequence[int], scales: tuple[int, ...],
                        chunk: int = 1, cancel: CancelToken | None = None) -> np.ndarray:
    """`engine.analysis.consistency_per_seed` with chunks of seeds as tasks: [seeds, scales, (PSNR, SSIM)]."""
    tasks = (ConsistencyTask(model, c, tuple(scales)) for c in _chunks(seeds, chunk))
    return np.concatenate(list(cluster.map_ordered(consistency_task, tasks, cancel)))
