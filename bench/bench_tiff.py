"""Issue #18 benchmark: peak memory of the streaming TIFF / PNG writers for a 16384² export.

Each row is one child process feeding the writer the rows `main.py export` would (bands of one row at this
width, uint8), from a cheap procedural image instead of a generator (the render's own memory is measured by
bench_export.py: 308 MB for the default generator at 16384²), and reports its peak RSS (RUSAGE_SELF), time and
file size. Usage: python bench/bench_tiff.py [--size 16384] [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, resource, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
from engine.image_writers import open_writer
size, out, pyramid = int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
x = np.arange(size, dtype=np.float32)
t = time.perf_counter()
with open_writer(out, size, size, {"inr-explorer-recipe": "{}"}, 8, pyramid) as w:
    for y in range(0, size, 1):
        v = (np.sin(x / 97.0 + y / 53.0) * 60 + 128 + (x % 7))[None, :, None]
        w.write_rows(np.broadcast_to(v, (1, size, 3)).astype(np.uint8))
secs = time.perf_counter() - t
print(json.dumps({"secs": secs, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--size", type=int, default=16384)
    p.add_argument("--out-dir", type=Path, default=None)
    args = p.parse_args()
    out_dir = args.out_dir or Path(tempfile.mkdtemp(prefix="bench_tiff_"))
    raw_mb = args.size * args.size * 3 / 2**20
    print(f"{args.size}² RGB, raw {raw_mb:.0f} MiB")
    print(f"{'file':<22} {'seconds':>8} {'peak RSS MB':>12} {'file MiB':>9}")
    for name, pyramid in (("plain.tif", False), ("pyramid.tif", True), ("rows.png", False)):
        out = out_dir / name
        line = subprocess.run([sys.executable, "-c", _CHILD, str(ROOT), str(args.size), str(out),
                               "1" if pyramid else "0"], capture_output=True, text=True, check=True).stdout
        r = json.loads(line.strip().splitlines()[-1])
        print(f"{name:<22} {r['secs']:8.1f} {r['rss_mb']:12.0f} {out.stat().st_size / 2**20:9.1f}")
        out.unlink()


if __name__ == "__main__":
    main()
