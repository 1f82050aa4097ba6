"""Issue #10, GPU rows: frames per second per family at 256² and 512², and the error of reduced precision.

For each family (random-weight release configurations, bench/models.py) and size, one full frame through
`Generator.synthesis` (what the app calls, including the copy back to the host) is timed in three modes:
float32 with TF32 off (the reference), TF32 matrix products, and float16 autocast. Each mode reports fps,
GFLOP/s, the ratio to a same-device float32 (or TF32 / float16) matrix product measured in the same run, and
the max / mean absolute error of its frame against the float32 frame (model range [-1, 1]; one uint8 level is
0.0078). A mode that fails (an op without a float16 kernel, out of memory) prints its error and the run goes on.
Usage: python bench/bench_gpu.py [--device cuda] [--sizes 256 512] [--repeats 20] [--families cips inrgan creps]
(`--device cpu --sizes 32 --repeats 1` checks the script itself on a machine without a GPU.)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.models import cips_default, creps, gflop, inrgan, seeds  # noqa: E402
from engine.coords import camera_grid  # noqa: E402
from engine.types import Camera  # noqa: E402

FACTORIES: dict[str, Callable[[], Any]] = {"cips": cips_default, "inrgan": inrgan, "creps": creps}
MODES = ("float32", "tf32", "float16")
MM_N = 4096


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@contextlib.contextmanager
def precision(mode: str, device: torch.device) -> Iterator[None]:
    """float32 (TF32 off), TF32 matrix products, or float16 autocast, restored on exit."""
    before = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = mode == "tf32"
    try:
        if mode == "float16":
            with torch.autocast(device.type, dtype=torch.float16):
                yield
        else:
            yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before


def mm_gflops(mode: str, device: torch.device, reps: int = 5) -> float:
    """Best same-device MM_N^3 matrix product in this mode, GFLOP/s."""
    n = MM_N if device.type == "cuda" else 1024
    dtype = torch.float16 if mode == "float16" else torch.float32
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    with precision(mode, device):
        torch.mm(a, b)
        sync(device)
        best = float("inf")
        for _ in range(reps):
            t = time.perf_counter()
            torch.mm(a, b)
            sync(device)
            best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def frame_times(g: Any, ws: np.ndarray, grid: np.ndarray, mode: str, repeats: int) -> tuple[list[float], np.ndarray]:
    with precision(mode, g.device):
        out = g.synthesis(ws, grid=grid)  # warm-up (kernels, caches, allocator)
        secs = []
        for _ in range(repeats):
            sync(g.device)
            t = time.perf_counter()
            out = g.synthesis(ws, grid=grid)
            sync(g.device)
            secs.append(time.perf_counter() - t)
    return secs, np.asarray(out, np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--families", nargs="+", default=list(FACTORIES), choices=list(FACTORIES))
    args = ap.parse_args()
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    mms = {m: mm_gflops(m, device) for m in MODES if device.type == "cuda" or m != "tf32"}
    print(f"# {name}, torch {torch.__version__}; same-run mm GFLOP/s: "
          + ", ".join(f"{m} {v:.0f}" for m, v in mms.items()), flush=True)
    rows = []
    for family in args.families:
        g = FACTORIES[family]().to(device)
        ws = seeds(g, 1)  # W+ [1, num_ws, w_dim]
        for n in args.sizes:
            grid = camera_grid(Camera(), n, n)
            ref = None
            for mode in MODES:
                if mode not in mms:
                    continue
                row: dict[str, Any] = {"family": family, "size": n, "mode": mode}
                try:
                    secs, out = frame_times(g, ws, grid, mode, args.repeats)
                except (RuntimeError, ValueError, TypeError) as e:
                    row["error"] = str(e).strip().splitlines()[0][:160]
                    if device.type == "cuda":
                        torch.cuda.empty_cache()
                else:
                    med = statistics.median(secs)
                    row |= {"fps": 1.0 / med, "ms": 1e3 * med, "gflops": gflop(family, n, n) / med}
                    row["of_mm"] = row["gflops"] / mms[mode]
                    if ref is None:
                        ref = out
                    err = np.abs(out - ref)
                    row |= {"max_err": float(err.max()), "mean_err": float(err.mean()),
                            "finite": bool(np.isfinite(out).all())}
                rows.append(row)
                print(json.dumps(row), flush=True)
        del g
        if device.type == "cuda":
            torch.cuda.empty_cache()
    print("\n| family | size | mode | fps | ms / frame | GFLOP/s | of same-run mm | max / mean abs err vs float32 |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['family']} | {r['size']}² | {r['mode']} | – | – | – | – | failed: {r['error']} |")
        else:
            print(f"| {r['family']} | {r['size']}² | {r['mode']} | {r['fps']:.1f} | {r['ms']:.2f} | {r['gflops']:.0f} "
                  f"| {r['of_mm']:.2f} | {r['max_err']:.2e} / {r['mean_err']:.2e} |")


if __name__ == "__main__":
    main()
