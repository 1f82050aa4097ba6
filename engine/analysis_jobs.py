"""The analysis jobs: one request type each (engine/types.py), run here for the app's docks and the command line.

`run_analysis` takes any of them; the docks run it on the engine thread (app/bridge/analysis_jobs.py), the
``main.py`` subcommands in their own process (cli/analysis.py), so both compute the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.analysis import (
    PCAResult,
    SpectrumMean,
    consistency_per_seed,
    embedding_pca,
    log_magnitude,
    radial_profile,
    spectrum,
    upsample,
)
from engine.coords import camera_grid
from engine.foveation import FoveatedResult, check_pixel_independent, check_plane, foveated_render, plan_foveation
from engine.panorama import SeamStats, panorama_geometry, seam_stats
from engine.renderer import render_camera, render_float, spec_styles
from engine.styles import resolve_style, seed_style
from engine.superres import SRComparison, sr_compare
from engine.types import (
    AnalysisRequest,
    Camera,
    ConsistencyRequest,
    FoveationRequest,
    LayerRequest,
    PanoramaRequest,
    PCARequest,
    SpectrumRequest,
    SuperResRequest,
)

if TYPE_CHECKING:
    from engine.cluster import Cluster
    from engine.models.base import Generator
    from engine.renderer import CancelToken

Progress = Callable[[float], None]  # fraction done, 0 .. 1
MIN_OVERLAY_FACTOR = 1.5  # below this density over native there is nothing worth upsampling
OVERLAY_METHODS = ("bicubic", "lanczos")
LAYER_FLOATS = 1 << 26  # the layer viewer keeps at most this many floats (256 MB) of one layer


def density_over_native(camera: Camera, size: tuple[int, int], resolution: int) -> float:
    """How many times denser than the model's native grid the view samples the plane (pixel steps' ratio)."""
    return (min(size) - 1) * camera.zoom / max(resolution - 1, 1)


def fit_within(size: tuple[float, float], max_side: float, min_side: int = 1) -> tuple[int, int]:
    """``size`` scaled down (never up) to at most ``max_side`` on its long side, aspect kept, rounded."""
    w, h = size
    s = min(1.0, max_side / max(w, h))
    return max(min_side, round(w * s)), max(min_side, round(h * s))


def native_size(camera: Camera, size: tuple[int, int], resolution: int,
                max_side: float = math.inf) -> tuple[int, int]:
    """The size whose pixel step is the model's native one for this view, (n - 1) / density + 1 pixels per
    side (at least 2), fitted within ``max_side``."""
    density = density_over_native(camera, size, resolution)
    return fit_within(((size[0] - 1) / density + 1, (size[1] - 1) / density + 1), max_side, 2)


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class SpectrumResult:
    """A (mean) power spectrum with its azimuthal profile, and profiles of upsampled native renders."""

    log_magnitude: np.ndarray  # [H, W] log10(1 + |F|), zero frequency at the centre
    freqs: np.ndarray  # cycles per pixel
    profile: np.ndarray  # mean power per ring
    overlays: dict[str, np.ndarray]  # method -> profile of the native render upsampled to the view size
    samples: int  # 1 for the view itself, N for seeds 0..N-1
    size: tuple[int, int]
    density: float  # view density over native
    native_size: tuple[int, int] | None  # size of the native render behind the overlays


@dataclass(frozen=True)
class PCAReport:
    """Embedding PCA of every learned per-position embedding (empty for families without one)."""

    family: str
    results: dict[str, PCAResult]

    @staticmethod
    def rgb8(result: PCAResult) -> np.ndarray:
        """The top-3 projections as uint8 RGB, rounded as ``main.py pca`` writes its PNGs."""
        return np.clip(result.rgb * 255 + 0.5, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class PanoramaResult:
    """An upright cylinder strip (float [3, H, W], model range), its wrap-seam check and geometry."""

    rgb: np.ndarray
    camera: Camera
    seam: SeamStats
    geometry: dict[str, float]


# ----------------------------------------------------------------------------- runs
def run_spectrum(g: Generator, req: SpectrumRequest, cancel: CancelToken | None = None,
                 progress: Progress | None = None, cluster: Cluster | None = None) -> SpectrumResult:
    """`SpectrumRequest`: one style rendered at a time (running sums: memory stays flat whatever the seed
    count); on ``cluster`` (or the request's) the seeds are tasks of `engine.cluster.cluster_spectrum`."""
    from engine.cluster import cluster_spectrum, model_ref, using

    size = req.size or (g.resolution, g.resolution)
    density = density_over_native(req.camera, size, g.resolution)
    methods = req.overlays if density >= MIN_OVERLAY_FACTOR else ()
    native = native_size(req.camera, size, g.resolution) if methods else None
    with using(cluster, req.cluster) as on:
        if on is None:
            power, upsampled = _spectrum_sums(g, req, size, native, methods, cancel, progress)
        elif req.seeds is None or methods or req.camera != Camera() or size[0] != size[1]:
            raise ValueError("spectrum on a cluster: the mean over seeds of a square identity view, no overlays")
        else:
            power = cluster_spectrum(on, model_ref(g, req.device), range(req.seeds), size[0], req.window,
                                     req.style, cancel=cancel)
            upsampled = {}
    mean = power.mean()
    freqs, prof = radial_profile(mean)
    return SpectrumResult(log_magnitude(mean), freqs, prof,
                          {m: radial_profile(p.mean())[1] for m, p in upsampled.items()},
                          power.count, size, density, native)


def _spectrum_sums(g: Generator, req: SpectrumRequest, size: tuple[int, int], native: tuple[int, int] | None,
                   methods: tuple[str, ...], cancel: CancelToken | None,
                   progress: Progress | None) -> tuple[SpectrumMean, dict[str, SpectrumMean]]:
    styles = [req.style] if req.seeds is None else [seed_style(req.style, s) for s in range(req.seeds)]
    power, upsampled = SpectrumMean(), {m: SpectrumMean() for m in methods}
    grid = camera_grid(req.camera, *size)
    for i, st in enumerate(styles):
        if cancel is not None:
            cancel.check()
        power.add(spectrum(render_float(g, st, grid, cancel)[0], window=req.window))
        if native is not None:
            low = render_float(g, st, camera_grid(req.camera, *native), cancel)[0]
            for m in methods:
                upsampled[m].add(spectrum(upsample(low, size[0], size[1], m), window=req.window))
        if progress is not None:
            progress((i + 1) / len(styles))
    return power, upsampled


def run_pca(g: Generator, req: PCARequest, cancel: CancelToken | None = None,
            progress: Progress | None = None) -> PCAReport:
    """`PCARequest`: each coordinate embedding's top-3 principal components."""
    results = {}
    embs = g.coordinate_embeddings()
    for i, (name, emb) in enumerate(embs.items()):
        if cancel is not None:
            cancel.check()
        results[name] = embedding_pca(emb.detach().cpu().numpy())
        if progress is not None:
            progress((i + 1) / len(embs))
    return PCAReport(g.family, results)


def run_consistency(g: Generator, req: ConsistencyRequest, cancel: CancelToken | None = None,
                    progress: Progress | None = None, cluster: Cluster | None = None) -> np.ndarray:
    """`ConsistencyRequest`: float64 [seeds, scales, (PSNR, SSIM)], one seed at a time (or as cluster tasks)."""
    from engine.cluster import cluster_consistency, model_ref, using

    with using(cluster, req.cluster) as on:
        if on is not None:
            return cluster_consistency(on, model_ref(g, req.device), range(req.seeds), req.scales, cancel=cancel)
        rows = []
        for s in range(req.seeds):  # cancel and progress between seeds
            if cancel is not None:
                cancel.check()
            rows.append(consistency_per_seed(g, (s,), req.scales))
            if progress is not None:
                progress((s + 1) / req.seeds)
    return np.concatenate(rows) if rows else np.empty((0, len(req.scales), 2))


def run_layer(g: Generator, req: LayerRequest, cancel: CancelToken | None = None,
              progress: Progress | None = None) -> np.ndarray:
    """`LayerRequest`: float32 [C, H, W]; a wide layer (e.g. CREPS line layers of a release model: C x 2K =
    16384 channels) on a coarser grid of the same view, so that C x H x W stays within LAYER_FLOATS."""
    probe = camera_grid(req.camera, 1, 1)  # one pixel tells the channel count
    channels = g.layer_activations(resolve_style(g, req.style, probe)[0][:1], probe, req.layer).shape[0]
    w, h = req.size
    s = min(1.0, (LAYER_FLOATS / (channels * w * h)) ** 0.5)
    grid = camera_grid(req.camera, max(1, int(w * s)), max(1, int(h * s)))
    ws, weights = resolve_style(g, req.style, grid)
    return g.layer_activations(ws, grid, req.layer, weights, req.style.ablate)


def run_superres(g: Generator, req: SuperResRequest, cancel: CancelToken | None = None,
                 progress: Progress | None = None) -> SRComparison:
    """`SuperResRequest` (`engine.superres.sr_compare`)."""
    res = sr_compare(g, spec_styles(g, req.style), req.camera, req.size, req.factor, req.crop,
                     noise=req.style.noise, ablate=req.style.ablate, cancel=cancel)
    if progress is not None:
        progress(1.0)
    return res


def run_foveation(g: Generator, req: FoveationRequest, cancel: CancelToken | None = None,
                  progress: Progress | None = None) -> FoveatedResult:
    """`FoveationRequest` (`engine.foveation`): plan around the focus, render only its samples, fill the rest."""
    if req.grid is None:
        check_plane(req.camera)
    check_pixel_independent(g)
    plan = plan_foveation(req.size[0], req.size[1], req.focus, req.radius, req.levels)
    grid = camera_grid(req.camera, *req.size) if req.grid is None else req.grid.array
    return foveated_render(g, spec_styles(g, req.style), grid, plan, req.style.noise, req.style.ablate, cancel)


def run_panorama(g: Generator, req: PanoramaRequest, cancel: CancelToken | None = None,
                 progress: Progress | None = None) -> PanoramaResult:
    """`PanoramaRequest`: the strip (grid plus wrap cross-fade) and its wrap-seam statistics."""
    rgb = render_camera(g, req.style, req.camera, req.size, cancel=cancel)[0]
    return PanoramaResult(rgb, req.camera, seam_stats(rgb), panorama_geometry(req.camera, *req.size))


_RUNS: dict[type, Callable[..., Any]] = {
    SpectrumRequest: run_spectrum, PCARequest: run_pca, ConsistencyRequest: run_consistency, LayerRequest: run_layer,
    SuperResRequest: run_superres, FoveationRequest: run_foveation, PanoramaRequest: run_panorama,
}


def run_analysis(g: Generator, req: AnalysisRequest, cancel: CancelToken | None = None,
                 progress: Progress | None = None) -> Any:
    """Run any analysis request with its ``run_*`` function above."""
    try:
        run = _RUNS[type(req)]
    except KeyError:
        raise TypeError(f"not an analysis request: {type(req).__name__}") from None
    return run(g, req, cancel, progress)
