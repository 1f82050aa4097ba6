"""Engine-thread jobs of the analysis docks: spectra, embedding PCA, scale consistency (engine/analysis.py).

Each computes exactly what the matching ``main.py`` subcommand computes (cli/analysis.py), so the
docks' numbers equal the command line's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.analysis import (
    PCAResult,
    SpectrumMean,
    embedding_pca,
    log_magnitude,
    radial_profile,
    scale_consistency,
    spectrum,
    upsample,
)
from engine.coords import camera_grid
from engine.foveation import density_rgb, foveate
from engine.panorama import SeamStats, panorama_geometry, seam_stats
from engine.renderer import render_camera, render_float, spec_styles, to_uint8
from engine.styles import resolve_style, seed_style, z_from_seed
from engine.superres import sr_compare

if TYPE_CHECKING:
    from collections.abc import Callable

    from app.jobs import Job
    from engine.models.base import Generator
    from engine.renderer import CancelToken
    from engine.types import Camera, StyleSpec

MIN_OVERLAY_FACTOR = 1.5  # below this density over native there is nothing worth upsampling
OVERLAY_METHODS = ("bicubic", "lanczos")


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


def spectrum_job(style: StyleSpec, camera: Camera, size: tuple[int, int], seeds: int | None = None,
                 overlays: tuple[str, ...] = ()) -> Job:
    """Power spectrum of the view (``seeds`` None) or its mean over seeds 0..N-1 (``main.py spectrum``).

    ``overlays``: also the profile of the same view rendered at native density and upsampled to ``size``
    with each method (only when the view is denser than native).
    """

    def run(g: Generator | None, token: CancelToken, progress: Callable[[float], None]) -> SpectrumResult:
        if g is None:
            raise ValueError("no model loaded")
        styles = [style] if seeds is None else [seed_style(style, s) for s in range(seeds)]
        grid = camera_grid(camera, *size)
        density = density_over_native(camera, size, g.resolution)
        methods = overlays if density >= MIN_OVERLAY_FACTOR else ()
        native = native_size(camera, size, g.resolution) if methods else None
        power = SpectrumMean()  # running sums: one spectrum per method in memory, whatever the seed count
        upsampled = {m: SpectrumMean() for m in methods}
        for i, st in enumerate(styles):
            token.check()
            power.add(spectrum(render_float(g, st, grid, token)[0]))
            if native is not None:
                low = render_float(g, st, camera_grid(camera, *native), token)[0]
                for m in methods:
                    upsampled[m].add(spectrum(upsample(low, size[0], size[1], m)))
            progress((i + 1) / len(styles))
        mean = power.mean()
        freqs, prof = radial_profile(mean)
        return SpectrumResult(log_magnitude(mean), freqs, prof,
                              {m: radial_profile(p.mean())[1] for m, p in upsampled.items()},
                              len(styles), size, density, native)

    return run


@dataclass(frozen=True)
class PCAReport:
    """Embedding PCA of every learned per-position embedding (empty for families without one)."""

    family: str
    results: dict[str, PCAResult]

    @staticmethod
    def rgb8(result: PCAResult) -> np.ndarray:
        """The top-3 projections as uint8 RGB, rounded as ``main.py pca`` writes its PNGs."""
        return np.clip(result.rgb * 255 + 0.5, 0, 255).astype(np.uint8)


def pca_job() -> Job:
    """``main.py pca``: top-3 principal components of each coordinate embedding."""

    def run(g: Generator | None, token: CancelToken, progress: Callable[[float], None]) -> PCAReport:
        if g is None:
            raise ValueError("no model loaded")
        results = {}
        embs = g.coordinate_embeddings()
        for i, (name, emb) in enumerate(embs.items()):
            token.check()
            results[name] = embedding_pca(emb.detach().cpu().numpy())
            progress((i + 1) / len(embs))
        return PCAReport(g.family, results)

    return run


def consistency_job(scales: tuple[int, ...], seeds: int) -> Job:
    """``main.py consistency``: PSNR / SSIM of s x renders area-downsampled vs native, seeds 0..N-1."""

    def run(g: Generator | None, token: CancelToken, progress: Callable[[float], None]) -> list[dict[str, Any]]:
        if g is None:
            raise ValueError("no model loaded")
        ws = g.mapping(np.stack([z_from_seed(s, g.z_dim) for s in range(seeds)]))
        rows: list[dict[str, Any]] = []
        for i, s in enumerate(scales):  # one scale at a time: cancel and progress between them
            token.check()
            rows += scale_consistency(g, ws, (s,))
            progress((i + 1) / len(scales))
        return rows

    return run


def layer_names_job() -> Job:
    """(family, names the layer viewer can show); an empty list when the family has no activation hook."""

    def run(g: Generator | None, token: CancelToken, progress: Callable[[float], None]) -> tuple[str, list[str]]:
        if g is None:
            raise ValueError("no model loaded")
        return g.family, g.activation_layers()

    return run


LAYER_FLOATS = 1 << 26  # the layer viewer keeps at most this many floats (256 MB) of one layer


def layer_job(style: StyleSpec, camera: Camera, size: tuple[int, int], layer: str) -> Job:
    """One layer's activations [C, H, W] for the view (camera, styles, painted masks, ablations).

    Wide layers (e.g. CREPS line layers of a release model: C x 2K = 16384 channels) are computed on a
    coarser grid of the same view, so that C x H x W stays within LAYER_FLOATS.
    """

    def run(g: Generator | None, token: CancelToken, progress: Callable[[float], None]) -> np.ndarray:
        if g is None:
            raise ValueError("no model loaded")
        probe = camera_grid(camera, 1, 1)  # one pixel tells the channel count
        channels = g.layer_activations(resolve_style(g, style, probe)[0][:1], probe, layer).shape[0]
        w, h = size
        s = min(1.0, (LAYER_FLOATS / (channels * w * h)) ** 0.5)
        grid = camera_grid(camera, max(1, int(w * s)), max(1, int(h * s)))
        ws, weights = resolve_style(g, style, grid)
        return g.layer_activations(ws, grid, layer, weights, style.ablate)

    return run


SR_MAX_SIDE = 96  # native side of the super-resolution compare (the dense side is k x that)


def sr_native_size(camera: Camera, size: tuple[int, int], resolution: int) -> tuple[int, int]:
    """The view at the model's native density (same camera and aspect), at most SR_MAX_SIDE per side."""
    return native_size(camera, size, resolution, SR_MAX_SIDE)


@dataclass(frozen=True)
class SRReport:
    """uint8 images of the comparison and its metrics (engine/superres.py, as ``main.py srcompare``)."""

    factor: int
    size: tuple[int, int]  # native size
    images: dict[str, np.ndarray]  # "render" and each method, uint8 [kH, kW, 3]
    metrics: dict[str, dict[str, float]]


def sr_job(style: StyleSpec, camera: Camera, view_size: tuple[int, int], factor: int) -> Job:
    """Render the view natively and at ``factor`` x density; upsample the native render (all methods)."""

    def run(g: Generator | None, token: CancelToken, progress: Callable[[float], None]) -> SRReport:
        if g is None:
            raise ValueError("no model loaded")
        size = sr_native_size(camera, view_size, g.resolution)
        res = sr_compare(g, spec_styles(g, style), camera, size, factor, noise=style.noise, ablate=style.ablate,
                         cancel=token)
        progress(1.0)
        return SRReport(factor, size, {k: to_uint8(v) for k, v in res.images.items()}, res.metrics)

    return run


@dataclass(frozen=True)
class FoveationReport:
    """A foveated render of the view (uint8), its sample-density picture and the plan's statistics."""

    image: np.ndarray  # uint8 [H, W, 3]
    density: np.ndarray  # uint8 [H, W, 3] (engine.foveation.density_rgb)
    focus: tuple[float, float]
    stats: dict[str, Any]


def foveation_job(style: StyleSpec, camera: Camera, size: tuple[int, int], focus: tuple[float, float] | None,
                  radius: float | None, levels: int) -> Job:
    """``main.py foveate``: dense samples around ``focus`` (output pixels), sparser rings outside, filled."""

    def run(g: Generator | None, token: CancelToken, progress: Callable[[float], None]) -> FoveationReport:
        if g is None:
            raise ValueError("no model loaded")
        res = foveate(g, style, camera, size, focus, radius, levels, cancel=token)
        return FoveationReport(to_uint8(res.image[0]), density_rgb(res.plan), res.plan.focus, res.stats())

    return run


@dataclass(frozen=True)
class PanoramaReport:
    """An upright cylinder strip of the view (uint8), its wrap-seam check and geometry."""

    image: np.ndarray  # uint8 [H, W, 3]
    camera: Camera
    seam: SeamStats
    geometry: dict[str, float]


def panorama_job(style: StyleSpec, camera: Camera, size: tuple[int, int]) -> Job:
    """Render ``camera`` (projection "cylinder": grid plus wrap cross-fade) as a strip of ``size`` and check
    its wrap seam."""

    def run(g: Generator | None, token: CancelToken, progress: Callable[[float], None]) -> PanoramaReport:
        if g is None:
            raise ValueError("no model loaded")
        rgb = render_camera(g, style, camera, size, cancel=token)[0]
        return PanoramaReport(to_uint8(rgb), camera, seam_stats(rgb), panorama_geometry(camera, *size))

    return run
