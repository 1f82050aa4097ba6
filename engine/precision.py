"""Reduced-precision rendering (TF32, float16 / bfloat16 autocast), measured against float32 and refused when
it is not accurate enough for the loaded model.

Every render goes through `Generator.synthesis`, which runs under `autocast(g.device, g.precision)` and returns
float32. `use_precision` sets ``g.precision`` for a block after `check_precision` has measured the mode on this
generator (cached): a mode more than `MAX_LEVELS` uint8 levels off float32 anywhere on the probe is refused with
a `PrecisionError` that says by how much. Exports default to float32; interactive frames may ask for less.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from engine.types import PRECISIONS

if TYPE_CHECKING:
    from engine.models.base import Generator

__all__ = ["MAX_LEVELS", "PRECISIONS", "PrecisionError", "PrecisionReport", "available", "check_precision",
           "measure", "use_precision"]

MAX_LEVELS = 2.0  # largest accepted difference from float32, in uint8 levels (1 level = 2 / 255 model units)
PROBE_SIZE = 64  # the probe: this many pixels square over the training frame ...
PROBE_SEEDS = (0, 1, 2)  # ... for these seeds (psi = 1)
_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16}


class PrecisionError(ValueError):
    """A precision that does not exist on this device or is not accurate enough for this model."""


@dataclass(frozen=True)
class PrecisionReport:
    """How far a precision's render is from float32 on the probe, in uint8 levels (max and mean |difference|)."""

    precision: str
    max_levels: float
    mean_levels: float

    @property
    def accepted(self) -> bool:
        return self.max_levels <= MAX_LEVELS

    def describe(self) -> str:
        return (f"{self.precision}: max {self.max_levels:.2f}, mean {self.mean_levels:.3f} uint8 levels from float32 "
                f"(limit {MAX_LEVELS:g})")


def available(device: torch.device | str) -> tuple[str, ...]:
    """The precisions this device can run: TF32 needs a CUDA GPU of compute capability 8 or more; bfloat16
    is offered on CUDA (where supported) and the CPU; float16 everywhere (on the CPU it is slow: a check only)."""
    dev = torch.device(device)
    out = ["float32"]
    if dev.type == "cuda" and torch.cuda.get_device_capability(dev)[0] >= 8:
        out.append("tf32")
    out.append("float16")
    if dev.type == "cpu" or (dev.type == "cuda" and torch.cuda.is_bf16_supported()):
        out.append("bfloat16")
    return tuple(out)


@contextlib.contextmanager
def autocast(device: torch.device, precision: str) -> Iterator[None]:
    """The torch context of a precision: nothing (float32), TF32 matmuls / convolutions, or autocast."""
    if precision == "float32":
        yield
    elif precision == "tf32":
        m, c = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        try:
            yield
        finally:
            torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = m, c
    elif precision in _DTYPES:
        with torch.autocast(device.type, dtype=_DTYPES[precision]):
            yield
    else:
        raise PrecisionError(f"precision: expected one of {', '.join(PRECISIONS)}, got {precision!r}")


def measure(g: Generator, precision: str) -> PrecisionReport:
    """Render the probe in float32 and in ``precision`` on ``g``; the difference in uint8 levels (cached per
    generator and device)."""
    if precision not in PRECISIONS:
        raise PrecisionError(f"precision: expected one of {', '.join(PRECISIONS)}, got {precision!r}")
    cache: dict[tuple[str, str], PrecisionReport] = g.__dict__.setdefault("_precision_reports", {})
    key = (precision, str(g.device))
    if key not in cache:
        if precision == "float32":
            cache[key] = PrecisionReport(precision, 0.0, 0.0)
        else:
            axis = np.linspace(-1.0, 1.0, PROBE_SIZE, dtype=np.float32)
            grid = np.stack(np.meshgrid(axis, axis), axis=-1)
            ws = g.mapping(np.stack([np.random.default_rng(s).standard_normal(g.z_dim) for s in PROBE_SEEDS]))
            before = g.precision
            try:
                g.precision = "float32"
                ref = g.synthesis(ws, grid=grid)
                g.precision = precision
                got = g.synthesis(ws, grid=grid)
            finally:
                g.precision = before
            d = np.abs(got.astype(np.float64) - ref) * 127.5
            d = np.where(np.isfinite(d), d, np.inf)
            cache[key] = PrecisionReport(precision, float(d.max()), float(d.mean()))
    return cache[key]


def check_precision(g: Generator, precision: str) -> PrecisionReport:
    """The measured report of a precision this device has and this model renders accurately enough; else
    `PrecisionError` with the reason."""
    if precision not in available(g.device):
        raise PrecisionError(f"{precision} is not available on {g.device} "
                             f"(available: {', '.join(available(g.device))})")
    report = measure(g, precision)
    if not report.accepted:
        raise PrecisionError(f"{precision} is not accurate enough for this {g.family} model: up to "
                             f"{report.max_levels:.1f} uint8 levels off float32 (limit {MAX_LEVELS:g})")
    return report


@contextlib.contextmanager
def use_precision(g: Generator, precision: str) -> Iterator[PrecisionReport]:
    """Render with ``precision`` inside the block (after `check_precision`); float32 again afterwards."""
    report = check_precision(g, precision)
    before = g.precision
    g.precision = precision
    try:
        yield report
    finally:
        g.precision = before
