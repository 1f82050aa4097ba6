"""The analysis docks' engine-thread job: one engine request (engine/types.py) run by
`engine.analysis_jobs.run_analysis`, exactly as the matching ``main.py`` subcommand runs it, with its result
made ready to show (uint8 images, per-scale means) before it crosses to the GUI thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.analysis_jobs import (
    LAYER_FLOATS,
    OVERLAY_METHODS,
    PanoramaResult,
    PCAReport,
    SpectrumResult,
    fit_within,
    native_size,
    run_analysis,
)
from engine.foveation import FoveatedResult, density_rgb
from engine.panorama import SeamStats
from engine.renderer import to_uint8
from engine.superres import SRComparison
from engine.types import ConsistencyRequest, SuperResRequest

if TYPE_CHECKING:
    from collections.abc import Callable

    from app.bridge.jobs import Job
    from engine.models.base import Generator
    from engine.renderer import CancelToken
    from engine.types import AnalysisRequest, Camera

__all__ = ["LAYER_FLOATS", "OVERLAY_METHODS", "FoveationReport", "PCAReport", "PanoramaReport", "SRReport",
           "SpectrumResult", "analysis_job", "fit_within", "layer_names_job", "sr_native_size"]

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


@dataclass(frozen=True)
class FoveationReport:
    """A foveated render of the view (uint8), its sample-density picture and the plan's statistics."""

    image: np.ndarray  # uint8 [H, W, 3]
    density: np.ndarray  # uint8 [H, W, 3] (engine.foveation.density_rgb)
    focus: tuple[float, float]
    stats: dict[str, Any]


@dataclass(frozen=True)
class PanoramaReport:
    """An upright cylinder strip of the view (uint8), its wrap-seam check and geometry."""

    image: np.ndarray  # uint8 [H, W, 3]
    camera: Camera
    seam: SeamStats
    geometry: dict[str, float]


def analysis_job(request: AnalysisRequest) -> Job:
    """``request`` run on the engine thread (`engine.analysis_jobs.run_analysis`), its result ready to show."""

    def run(g: Generator | None, token: CancelToken, progress: Callable[[float], None]) -> Any:
        if g is None:
            raise ValueError("no model loaded")
        return _for_display(request, run_analysis(g, request, token, progress))

    return run


def _for_display(request: AnalysisRequest, result: Any) -> Any:
    if isinstance(result, SRComparison):
        assert isinstance(request, SuperResRequest)
        return SRReport(request.factor, request.size, {k: to_uint8(v) for k, v in result.images.items()},
                        result.metrics)
    if isinstance(result, FoveatedResult):
        return FoveationReport(to_uint8(result.image[0]), density_rgb(result.plan), result.plan.focus,
                               result.stats())
    if isinstance(result, PanoramaResult):
        return PanoramaReport(to_uint8(result.rgb), result.camera, result.seam, result.geometry)
    if isinstance(request, ConsistencyRequest):  # [seeds, scales, (PSNR, SSIM)] -> the mean per scale
        means = result.mean(0)
        return [{"scale": s, "psnr": float(m[0]), "ssim": float(m[1])}
                for s, m in zip(request.scales, means, strict=True)]
    return result


def layer_names_job() -> Job:
    """(family, names the layer viewer can show); an empty list when the family has no activation hook."""

    def run(g: Generator | None, token: CancelToken, progress: Callable[[float], None]) -> tuple[str, list[str]]:
        if g is None:
            raise ValueError("no model loaded")
        return g.family, g.activation_layers()

    return run
