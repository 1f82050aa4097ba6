"""Issue #15, GPU rows: frames per second per family at 256² and 512² on the app's frame path, and the error of
reduced precision.

For each family (random-weight release configurations, bench/models.py) and size, one full frame through
`engine.renderer.render_request` (what the app's engine thread calls: the grid built on the device, whole-frame
bands, uint8 on the device, one pinned download) is timed in each precision mode the device offers
(`engine.precision.available`: float32 with TF32 off as the reference, TF32, float16 and bfloat16 autocast).
Each mode reports fps, GFLOP/s, the ratio to a same-device matrix product in that mode measured in the same run,
the max / mean difference of its frame from the float32 frame in uint8 levels, whether `engine.precision` accepts
the mode for this model (at most 2 levels on its probe), and the host syncs inside one frame that CUDA's sync
debug mode reports (the download's one wait is explicit and not counted). A mode that fails (an op without a
reduced-precision kernel, out of memory) prints its error and the run goes on.
Usage: python bench/bench_gpu.py [--device cuda] [--sizes 256 512] [--repeats 20] [--families cips inrgan creps]
(`--device cpu --sizes 32 --repeats 1` checks the script itself on a machine without a GPU.)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.models import cips_default, creps, gflop, inrgan  # noqa: E402
from engine.precision import autocast, available, measure  # noqa: E402
from engine.renderer import render_request  # noqa: E402
from engine.types import Anchor, Camera, RenderRequest, StyleSpec  # noqa: E402

FACTORIES: dict[str, Callable[[], Any]] = {"cips": cips_default, "inrgan": inrgan, "creps": creps}
MM_N = 4096


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def mm_gflops(mode: str, device: torch.device, reps: int = 5) -> float:
    """Best same-device MM_N^3 matrix product in this mode, GFLOP/s."""
    n = MM_N if device.type == "cuda" else 1024
    dtype = {"float16": torch.float16, "bfloat16": torch.bfloat16}.get(mode, torch.float32)
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    with autocast(device, "tf32" if mode == "tf32" else "float32"):
        torch.mm(a, b)
        sync(device)
        best = float("inf")
        for _ in range(reps):
            t = time.perf_counter()
            torch.mm(a, b)
            sync(device)
            best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def frame_times(g: Any, req: RenderRequest, repeats: int) -> tuple[list[float], np.ndarray]:
    frame = render_request(g, req)  # warm-up (kernels, caches, allocator)
    if frame.image is None:
        raise RuntimeError(frame.error or "no image")
    secs = []
    for _ in range(repeats):
        sync(g.device)
        t = time.perf_counter()
        frame = render_request(g, req)
        secs.append(time.perf_counter() - t)  # render_request returns host bytes: nothing left in flight
    assert frame.image is not None
    return secs, frame.image


def syncs_in_one_frame(g: Any, req: RenderRequest) -> int | None:
    """Synchronizing operations CUDA's sync debug mode reports during one frame (None off CUDA)."""
    if g.device.type != "cuda":
        return None
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            render_request(g, req)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message).lower() for w in seen)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--families", nargs="+", default=list(FACTORIES), choices=list(FACTORIES))
    args = ap.parse_args()
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    modes = available(device)
    mms = {m: mm_gflops(m, device) for m in modes}
    print(f"# {name}, torch {torch.__version__}; same-run mm GFLOP/s: "
          + ", ".join(f"{m} {v:.0f}" for m, v in mms.items()), flush=True)
    rows = []
    for family in args.families:
        g = FACTORIES[family]().to(device)
        style = StyleSpec(anchors=(Anchor(seed=0),))
        for n in args.sizes:
            req = RenderRequest(style=style, camera=Camera(), size=(n, n))
            ref = None
            for mode in modes:
                row: dict[str, Any] = {"family": family, "size": n, "mode": mode}
                g.precision = mode
                try:
                    secs, out = frame_times(g, req, args.repeats)
                    row["syncs"] = syncs_in_one_frame(g, req)
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
                    err = np.abs(out.astype(np.int16) - ref.astype(np.int16))
                    row |= {"max_levels": int(err.max()), "mean_levels": float(err.mean())}
                    g.precision = "float32"
                    row["accepted"] = mode == "float32" or measure(g, mode).accepted
                finally:
                    g.precision = "float32"
                rows.append(row)
                print(json.dumps(row), flush=True)
        del g
        if device.type == "cuda":
            torch.cuda.empty_cache()
    print("\n| family | size | precision | fps | ms / frame | GFLOP/s | of same-run mm "
          "| levels from float32 (max / mean) | accepted | syncs in a frame |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['family']} | {r['size']}² | {r['mode']} | – | – | – | – | failed: {r['error']} | – | – |")
        else:
            accepted = "yes" if r["accepted"] else "no"
            syncs = "–" if r["syncs"] is None else r["syncs"]
            print(f"| {r['family']} | {r['size']}² | {r['mode']} | {r['fps']:.1f} | {r['ms']:.2f} | {r['gflops']:.0f} "
                  f"| {r['of_mm']:.2f} | {r['max_levels']} / {r['mean_levels']:.3f} | {accepted} | {syncs} |")


if __name__ == "__main__":
    main()
