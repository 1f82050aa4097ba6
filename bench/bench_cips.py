"""CIPS render throughput vs the machine's matmul peak, measured in the same run (not a test).

Default official configuration (size 256, hidden 512, style 512, 8 mapping layers, channel multiplier 2),
random weights with the official shapes. Prints seconds, GFLOP/s (6.80 MFLOP per pixel in matrix
products, spec §10) and the ratio to a 4096x4096 float32 torch.mm, plus peak RSS per size (each size runs
in its own subprocess). Usage: python bench/bench_cips.py [--sizes 128 256 512] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MFLOP_PER_PIXEL = 6.802688  # 2 x 3,401,344 MACs (CIPSskip default)


def matmul_gflops(n: int = 4096, repeats: int = 5) -> float:
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - t)
    return 2 * n**3 / statistics.median(times) / 1e9


def one_size(size: int, repeats: int, painted: bool = False) -> dict[str, float]:
    import numpy as np
    import torch

    from engine.models.cips import CIPSConfig, CIPSGenerator, CIPSNetwork

    torch.manual_seed(0)
    g = CIPSGenerator(CIPSNetwork(CIPSConfig.official("skip", 256)))
    ws = g.mapping(np.random.RandomState(0).randn(2 if painted else 1, g.z_dim))
    grid = None if size == 256 else __import__("engine.coords").coords.identity_grid(size)
    weights = None
    if painted:  # a soft radial blend of two styles: every pixel has its own style
        yy, xx = np.mgrid[:size, :size]
        t = np.clip(np.hypot(yy - size / 2, xx - size / 2) / (size / 2), 0, 1)[..., None].astype(np.float32)
        weights = np.concatenate([1 - t, t], axis=-1)
    g.synthesis(ws, grid=grid, weights=weights)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        g.synthesis(ws, grid=grid, weights=weights)
        times.append(time.perf_counter() - t0)
    sec = statistics.median(times)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"size": size, "seconds": sec, "gflops": size * size * MFLOP_PER_PIXEL / 1e3 / sec, "rss_mb": rss_mb}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--painted", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.repeats, args.painted)))
        return
    import torch

    peak = matmul_gflops()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"torch.mm 4096x4096: {peak:.1f} GFLOP/s")
    print(f"{'grid':>17} {'seconds':>9} {'GFLOP/s':>9} {'ratio':>7} {'peak RSS MB':>12}")
    rows = [(size, False) for size in args.sizes] + [(256, True)]
    uniform_256 = None
    for size, painted in rows:
        cmd = [sys.executable, __file__, "--one", str(size), "--repeats", str(args.repeats)]
        out = subprocess.run(cmd + (["--painted"] if painted else []), capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        label = f"{size}x{size}" + (" painted" if painted else "")
        extra = f"   {r['seconds'] / uniform_256:.2f}x the uniform 256² time" if painted and uniform_256 else ""
        print(f"{label:>17} {r['seconds']:>9.3f} {r['gflops']:>9.1f} {r['gflops'] / peak:>7.2f} "
              f"{r['rss_mb']:>12.0f}{extra}")
        if size == 256 and not painted:
            uniform_256 = r["seconds"]


if __name__ == "__main__":
    main()
