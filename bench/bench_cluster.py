"""Issue #16 benchmark: one export locally and on a Dask LocalCluster, time and client peak RSS side by side.

Each row is a child process running ``main.py export default --size S S`` (PNG, rotated camera, journal off),
the second with ``--cluster local:W`` (W worker processes of one torch thread each); the child reports its
wall time and its own peak RSS (RUSAGE_SELF: the client, not the workers). The files must be byte-identical.
Then, in the same run: a float32 matmul's GFLOP/s on one thread, the client's PNG writing rate alone, and
from these the cost model of a bigger cluster. Usage: python bench/bench_cluster.py [--size 8192] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from cli import run_cli
t = time.perf_counter()
rc = run_cli(sys.argv[2:])
secs = time.perf_counter() - t
print(json.dumps({"rc": rc, "secs": secs, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_child(args: list[str], threads: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    r = subprocess.run([sys.executable, "-c", _CHILD, str(ROOT), *args], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise SystemExit(f"child failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def matmul_gflops(n: int = 1024, reps: int = 5) -> float:
    import torch

    torch.set_num_threads(1)
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n**3 * reps / (time.perf_counter() - t) / 1e9


def png_write_rate(src: Path, scratch: Path) -> float:
    """Mpixel/s of the client's share of an export: the PNG writer fed the finished rows, one band at a time."""
    from PIL import Image

    from engine.image_writers import open_writer

    Image.MAX_IMAGE_PIXELS = None
    img = np.asarray(Image.open(src))
    h, w = img.shape[:2]
    rows = max(1, 128 * 128 // w)
    t = time.perf_counter()
    with open_writer(scratch, w, h, None, 8, False) as wr:
        for y in range(0, h, rows):
            wr.write_rows(img[y:y + rows])
    secs = time.perf_counter() - t
    scratch.unlink()
    return w * h / secs / 1e6


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--size", type=int, default=8192)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out-dir", type=Path, default=None)
    args = p.parse_args()
    out = args.out_dir or Path(tempfile.mkdtemp(prefix="bench_cluster_"))
    cores = os.cpu_count() or 1
    common = ["export", "default", "--size", str(args.size), str(args.size), "--rotate", "15", "--zoom", "0.8",
              "--journal", "off"]
    print(f"{args.size}² PNG export of the default generator, {cores} cores")
    print(f"{'run':<34} {'seconds':>8} {'Mpix/s':>7} {'client peak RSS MB':>19}")
    pix = args.size * args.size / 1e6
    rows = {}
    for name, extra, threads in (("local (torch threads = cores)", [], cores),
                                 (f"LocalCluster {args.workers} workers x 1 thread",
                                  ["--cluster", f"local:{args.workers}"], 1)):
        target = out / f"{len(rows)}.png"
        r = run_child([*common, *extra, "--out", str(target)], threads)
        rows[name] = (r, target)
        print(f"{name:<34} {r['secs']:8.1f} {pix / r['secs']:7.3f} {r['rss_mb']:19.0f}")
    (local, a), (remote, b) = rows.values()
    same = a.read_bytes() == b.read_bytes()
    print(f"files byte-identical: {same}; cluster / local time {remote['secs'] / local['secs']:.3f}")
    gf = matmul_gflops()
    write = png_write_rate(a, out / "rewrite.png")
    per_core = pix / local["secs"] / cores  # Mpix/s one core renders
    print(f"matmul 1024² float32, 1 thread: {gf:.1f} GFLOP/s; render {per_core:.3f} Mpix/s per core "
          f"(ratio {per_core / gf * 1e3:.2f} kpix per GFLOP of matmul)")
    print(f"client PNG writing alone: {write:.1f} Mpix/s (filter + deflate, one thread)")
    net = 1e9 / 8 / 3 / 1e6  # Mpix/s of uint8 RGB through 1 Gbit/s
    for nodes, node_cores in ((8, 16), (64, 16)):
        render = per_core * nodes * node_cores
        rate = min(render, write, net)
        bound = "render" if rate == render else "client writer" if rate == write else "1 Gbit/s network"
        print(f"cost model, {nodes} nodes x {node_cores} cores: render {render:.1f} Mpix/s, writer {write:.1f}, "
              f"1 Gbit/s {net:.1f} -> {rate:.1f} Mpix/s ({bound}-bound): 65536² in "
              f"{65536**2 / 1e6 / rate / 60:.1f} min, 16384² in {16384**2 / 1e6 / rate / 60:.1f} min")
    for _, target in rows.values():
        target.unlink()
    if not same:
        raise SystemExit("the cluster export differs from the local one")


if __name__ == "__main__":
    main()
