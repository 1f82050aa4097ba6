"""Issue #8 benchmark: peak memory and time of `main.py export` at growing sizes (default generator).

Each size runs the real CLI in a fresh child process; its peak RSS is read from a wrapper process's
RUSAGE_CHILDREN, so each row's number is that export alone. A float32 2048^3 torch.mm is measured before
and after, so throughput is reported as GFLOP/s and as a ratio to the machine's matrix-product speed at
that moment (the default generator's FLOP per pixel comes from its config, multiply-add = 2 FLOP).
Usage: python bench/bench_export.py [--sizes 4096 8192 16384] [--out-dir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_all import mm_gflops  # noqa: E402

_CHILD = """
import resource, subprocess, sys, json, time
t = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
secs = time.perf_counter() - t
print(json.dumps({"rc": rc, "secs": secs, "rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def flop_per_pixel() -> float:
    from engine.checkpoints import load
    from engine.training.train import flops_per_pixel

    return float(flops_per_pixel(load("default").cfg))


def export_once(size: int, out: Path) -> dict[str, float]:
    cmd = [sys.executable, str(ROOT / "main.py"), "export", "default", "--size", str(size), str(size),
           "--out", str(out)]
    line = subprocess.run([sys.executable, "-c", _CHILD, *cmd], capture_output=True, text=True, check=True,
                          cwd=ROOT).stdout.strip().splitlines()[-1]
    res = json.loads(line)
    if res["rc"] != 0:
        raise SystemExit(f"export {size}² failed with exit code {res['rc']}")
    if png_size(out) != (size, size):
        raise SystemExit(f"export {size}²: {out} is not a {size} x {size} PNG")
    return {"size": size, "secs": res["secs"], "rss_mb": res["rss_kb"] / 1024, "file_mb": out.stat().st_size / 2**20}


def png_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk (no decoding: Pillow refuses these sizes as bombs)."""
    with path.open("rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[4096, 8192, 16384])
    ap.add_argument("--out-dir", type=Path, default=None, help="where the PNGs go (default: a temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the exported PNGs")
    args = ap.parse_args()
    fpp = flop_per_pixel()
    with tempfile.TemporaryDirectory(dir=args.out_dir) as tmp:
        rows = []
        for n in args.sizes:
            mm0 = mm_gflops()
            r = export_once(n, Path(tmp) / f"export_{n}.png")
            mm = max(mm0, mm_gflops())
            gfs = fpp * n * n / r["secs"] / 1e9
            rows.append(r | {"mm_gflops": mm, "gflops": gfs, "ratio": gfs / mm})
            print(json.dumps(rows[-1]), flush=True)
            if args.keep:
                (Path(tmp) / f"export_{n}.png").replace(Path(args.out_dir or ".") / f"export_{n}.png")
    print(f"\ndefault generator, {fpp / 1e6:.2f} MFLOP/pixel; every export ran to completion and is a PNG of that size "
          f"({time.strftime('%Y-%m-%d')})\n")
    print("| size | time | Mpixel/s | GFLOP/s | of same-run mm | peak RSS | PNG |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        n = r["size"]
        print(f"| {n}² | {r['secs']:.0f} s | {n * n / r['secs'] / 1e6:.2f} | {r['gflops']:.0f} | {r['ratio']:.2f} "
              f"| {r['rss_mb']:.0f} MB | {r['file_mb']:.0f} MB |")


if __name__ == "__main__":
    main()
