"""Analysis from the papers: Fourier spectra, embedding PCA, scale consistency, image metrics (numpy only)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from engine.models.base import Generator
    from engine.types import StyleSpec


def _gray(img: np.ndarray) -> np.ndarray:
    """[H, W], [H, W, 3] (uint8 or float) or [3, H, W] float -> float64 [H, W] luminance-like mean."""
    a = np.asarray(img, np.float64)
    if a.ndim == 3 and a.shape[0] == 3 and a.shape[2] != 3:
        a = a.transpose(1, 2, 0)
    return a.mean(axis=2) if a.ndim == 3 else a


def spectrum(img: np.ndarray, window: bool = True) -> np.ndarray:
    """Centred 2D power spectrum |F|² of the image's mean channel, mean removed, optional Hann window.

    Returns float64 [H, W] with the zero frequency at (H // 2, W // 2).
    """
    g = _gray(img)
    g = g - g.mean()
    if window:
        g = g * np.outer(np.hanning(g.shape[0]), np.hanning(g.shape[1]))
    return np.abs(np.fft.fftshift(np.fft.fft2(g))) ** 2


class SpectrumMean:
    """The mean of power spectra added one at a time: a running float64 sum, so averaging over many seeds
    keeps one spectrum in memory, whatever the count."""

    def __init__(self) -> None:
        self.total: np.ndarray | None = None
        self.count = 0

    def add(self, power: np.ndarray) -> None:
        self.total = power.astype(np.float64, copy=True) if self.total is None else self.total + power
        self.count += 1

    def merge(self, other: SpectrumMean) -> None:
        """Add another running sum (a chunk of seeds summed elsewhere)."""
        if other.total is not None:
            self.total = other.total.copy() if self.total is None else self.total + other.total
            self.count += other.count

    def mean(self) -> np.ndarray:
        if self.total is None:
            raise ValueError("no spectra added")
        return self.total / self.count


def mean_spectrum(g: Generator, seeds: Sequence[int], size: int, window: bool = True,
                  style: StyleSpec | None = None) -> SpectrumMean:
    """Running sum of the power spectra of ``size``² identity renders of ``seeds`` (each a seed of ``style``),
    rendered one at a time and tiled: memory does not grow with the count."""
    from engine.coords import identity_grid
    from engine.renderer import render_float
    from engine.styles import seed_style
    from engine.types import StyleSpec

    grid, acc = identity_grid(size), SpectrumMean()
    for seed in seeds:
        acc.add(spectrum(render_float(g, seed_style(style or StyleSpec(), seed), grid)[0], window=window))
    return acc


def log_magnitude(power: np.ndarray) -> np.ndarray:
    """log10(1 + |F|) for display."""
    return np.log10(1.0 + np.sqrt(power))


def radial_profile(power: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Azimuthal integral: mean power over rings of integer radius about the centre.

    Returns (frequency in cycles per pixel, mean power), radii up to the inscribed circle.
    """
    h, w = power.shape
    yy, xx = np.indices((h, w))
    # radius in units of the frequency step of the shorter side, so non-square images bin consistently
    r = np.hypot((yy - h // 2) / h, (xx - w // 2) / w) * min(h, w)
    bins = np.rint(r).astype(np.int64)
    n = min(h, w) // 2
    sums = np.bincount(bins.ravel(), power.ravel(), minlength=n + 1)[: n + 1]
    counts = np.bincount(bins.ravel(), minlength=n + 1)[: n + 1]
    prof = sums / np.maximum(counts, 1)
    return np.arange(n + 1) / min(h, w), prof


def mean_radial_profile(images: list[np.ndarray], window: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Radial profile averaged over several images of the same size."""
    profs = [radial_profile(spectrum(im, window)) for im in images]
    return profs[0][0], np.mean([p for _, p in profs], axis=0)


@dataclass(frozen=True)
class PCAResult:
    """Top principal components of a [C, H, W] embedding."""

    rgb: np.ndarray  # [H, W, 3] float in [0, 1]: projections on the top 3 components, min-max scaled
    components: np.ndarray  # [k, C] unit vectors
    explained: np.ndarray  # [min(C, H*W)] explained variance ratio, descending


def embedding_pca(emb: np.ndarray, k: int = 3) -> PCAResult:
    """PCA over positions: each of the H*W positions is a C-vector; centre, SVD, project on the top k."""
    c, h, w = emb.shape
    x = np.asarray(emb, np.float64).reshape(c, h * w).T
    x = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    var = s**2
    explained = var / var.sum() if var.sum() > 0 else var
    k = min(k, vt.shape[0])
    proj = x @ vt[:k].T
    lo, hi = proj.min(axis=0), proj.max(axis=0)
    proj = (proj - lo) / np.where(hi > lo, hi - lo, 1.0)
    rgb = np.zeros((h * w, 3))
    rgb[:, :k] = proj
    return PCAResult(rgb.reshape(h, w, 3), vt[:k], explained)


def psnr(a: np.ndarray, b: np.ndarray, data_range: float = 2.0) -> float:
    """Peak signal-to-noise ratio in dB (inf for identical images); default range is the model's [-1, 1]."""
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(data_range**2 / mse)


def ssim(a: np.ndarray, b: np.ndarray, data_range: float = 2.0) -> float:
    """Mean SSIM (Wang et al. 2004: Gaussian window σ 1.5, K1 0.01, K2 0.03) over channels."""
    import cv2

    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    if a.ndim == 3 and a.shape[0] == 3:
        a, b = a.transpose(1, 2, 0), b.transpose(1, 2, 0)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)

    mu_a, mu_b = blur(a), blur(b)
    saa = blur(a * a) - mu_a**2
    sbb = blur(b * b) - mu_b**2
    sab = blur(a * b) - mu_a * mu_b
    m = ((2 * mu_a * mu_b + c1) * (2 * sab + c2)) / ((mu_a**2 + mu_b**2 + c1) * (saa + sbb + c2))
    return float(m.mean())


def downsample_area(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """Area-average resize of a float [3, H, W] image (what 'render at s, then downsample' uses)."""
    import cv2

    out = cv2.resize(np.ascontiguousarray(img.transpose(1, 2, 0), np.float32), (width, height),
                     interpolation=cv2.INTER_AREA)
    return out.transpose(2, 0, 1)


def upsample(img: np.ndarray, width: int, height: int, method: str) -> np.ndarray:
    """Resize a float [3, H, W] image with 'nearest', 'bicubic' or 'lanczos' (OpenCV)."""
    import cv2

    flags = {"nearest": cv2.INTER_NEAREST, "bicubic": cv2.INTER_CUBIC, "lanczos": cv2.INTER_LANCZOS4}
    if method not in flags:
        raise ValueError(f"method: expected one of {', '.join(flags)}, got {method!r}")
    out = cv2.resize(np.ascontiguousarray(img.transpose(1, 2, 0), np.float32), (width, height),
                     interpolation=flags[method])
    return out.transpose(2, 0, 1)


def scale_consistency(g: Generator, ws: np.ndarray, scales: tuple[int, ...] = (2, 4)) -> list[dict[str, float]]:
    """Render at s x the native grid, area-downsample to native, compare with the native render.

    Returns one row per scale: {"scale", "psnr", "ssim"} averaged over the samples in ``ws``.
    """
    from engine.coords import identity_grid

    n = g.resolution
    native = g.synthesis(ws, grid=identity_grid(n))
    rows = []
    for s in scales:
        big = g.synthesis(ws, grid=identity_grid(n * s))
        down = [downsample_area(b, n, n) for b in big]
        rows.append({
            "scale": float(s),
            "psnr": float(np.mean([psnr(d, r) for d, r in zip(down, native, strict=True)])),
            "ssim": float(np.mean([ssim(d, r) for d, r in zip(down, native, strict=True)])),
        })
    return rows


def consistency_per_seed(g: Generator, seeds: Sequence[int], scales: tuple[int, ...] = (2, 4)) -> np.ndarray:
    """`scale_consistency` of each seed alone: float64 [seeds, scales, 2] of (PSNR, SSIM)."""
    from engine.styles import z_from_seed

    out = np.empty((len(seeds), len(scales), 2))
    for i, seed in enumerate(seeds):
        rows = scale_consistency(g, g.mapping(z_from_seed(seed, g.z_dim)[None]), scales)
        out[i] = [[r["psnr"], r["ssim"]] for r in rows]
    return out
