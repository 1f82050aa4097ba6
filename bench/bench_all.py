"""Issue #10 benchmark: every speed target in one run, as ratios to a torch.mm measured next to each workload.

Each group of rows runs in its own subprocess (peak RSS per group). Every timed call is bracketed by float32
2048^3 torch.mm measurements, so a ratio compares the workload with the matrix-product speed the machine
gave at that moment (the machine is shared): "best" = FLOP / min(time) / max(mm GFLOP/s), the uncontended
estimate; "med" = the median over calls of each call's own ratio. Models are random-weight release
configurations (bench/models.py); FLOP counts are the specs' (cips.md §10, inrgan.md §7, creps.md §7).
Usage: python bench/bench_all.py [--repeats 5] [--groups cips inrgan creps rss pan first] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MM_N = 2048
VIEW = 256
PAN = 10  # pixels
_OPS: list[Any] = []


# ----------------------------------------------------------------------------- measuring
def mm_gflops(reps: int = 3) -> float:
    """Best of `reps` float32 MM_N^3 products, in GFLOP/s: the matrix-product speed right now."""
    import torch

    if not _OPS:
        _OPS.extend([torch.randn(MM_N, MM_N), torch.randn(MM_N, MM_N)])
        torch.mm(*_OPS)
    best = math.inf
    for _ in range(reps):
        t = time.perf_counter()
        torch.mm(*_OPS)
        best = min(best, time.perf_counter() - t)
    return 2 * MM_N**3 / best / 1e9


def timed(fn: Callable[[int], Any], repeats: int, gflop: float | None = None, before: Callable[[], Any] | None = None,
          warm: bool = True) -> dict[str, Any]:
    """fn(i) for i < repeats (after a warm-up call fn(-1)), each call between two mm measurements;
    ``before()`` runs untimed before each call (e.g. to drop caches)."""
    if warm:
        fn(-1)
    secs, mms = [], []
    for i in range(repeats):
        if before is not None:
            before()
        mm = mm_gflops()
        t0 = time.perf_counter()
        fn(i)
        secs.append(time.perf_counter() - t0)
        mms.append(max(mm, mm_gflops()))
    return summary(secs, mms, gflop)


def summary(secs: list[float], mms: list[float], gflop: float | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"sec_min": min(secs), "sec_med": statistics.median(secs), "mm_max": max(mms),
                           "mm_med": statistics.median(mms), "secs": secs, "mms": mms}
    if gflop is not None:
        out |= {"gflop": gflop, "gflops": gflop / min(secs), "ratio_best": gflop / min(secs) / max(mms),
                "ratio_med": statistics.median(gflop / s / m for s, m in zip(secs, mms, strict=True))}
    return out


def merged(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """One summary of two measurements of the same workload (taken at different times of a group)."""
    return summary(a["secs"] + b["secs"], a["mms"] + b["mms"], a.get("gflop"))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cam(i: int, rotation: float = 0.0, size: int = VIEW) -> Any:
    """A different view per call (fractions of a pixel apart), so no per-position cache can serve it."""
    from engine.coords import pixel_step
    from engine.types import Camera

    f = 0.37 * (i + 2) * pixel_step(Camera(), size, size)
    return Camera(center=(f, -0.5 * f), rotation=rotation)


def _model(family: str) -> Any:
    from bench import models

    builders: dict[str, Callable[[], Any]] = {"cips": models.cips_default, "inrgan": models.inrgan,
                                              "creps": models.creps}
    return builders[family]()


def _frame(g: Any, cam: Any, size: int = VIEW, rect: Any = None, quality: str = "exact") -> Any:
    from engine.coords import camera_grid
    from engine.renderer import render_float
    from engine.types import StyleSpec

    return render_float(g, StyleSpec(), camera_grid(cam, size, size, rect=rect), quality=quality)


# ----------------------------------------------------------------------------- groups of rows
def group_throughput(family: str, repeats: int) -> dict[str, Any]:
    """256^2 frames through the tiled renderer: same style, a new view per call."""
    from bench.models import gflop

    g = _model(family)

    def frame(i: int) -> Any:
        return _frame(g, _cam(i))

    out: dict[str, Any] = {"aligned": timed(frame, repeats, gflop(family, VIEW, VIEW))}
    if family == "creps":
        rotated = _creps_rotated(g, repeats)
        # the same rows again, after the rotated ones (the machine is shared)
        out["aligned"] = merged(out["aligned"], timed(lambda i: frame(i + repeats), repeats, warm=False))
        for k in rotated:
            rotated[k]["x_aligned"] = rotated[k]["sec_min"] / out["aligned"]["sec_min"]
        out |= rotated
    out["rss_mb"] = rss_mb()
    return out


def _creps_rotated(g: Any, repeats: int) -> dict[str, Any]:
    """Rotated views: lattice mode cold (empty line cache) at 30 and 45 degrees, warm (a rotation gesture's
    next frame), and the exact per-pixel path on a 16-row band (x 16 for the frame); lattice error there."""
    import numpy as np

    out: dict[str, Any] = {}
    for rot in (30.0, 45.0):
        def turned(i: int, r: float = rot) -> Any:
            return _frame(g, _cam(i, r), quality="interactive")

        out[f"lattice{rot:.0f}"] = timed(turned, repeats, before=g.clear_line_cache)
    turn = iter(range(10_000))
    _frame(g, _cam(0, 30.0), quality="interactive")
    out["lattice_warm"] = timed(lambda i: _frame(g, _cam(0, 30.0 + 0.5 * next(turn)), quality="interactive"),
                                repeats)
    band = (0, 120, VIEW, 16)
    approx = _frame(g, _cam(0, 30.0), rect=band, quality="interactive")
    t0 = time.perf_counter()
    exact = _frame(g, _cam(0, 30.0), rect=band)
    sec = (time.perf_counter() - t0) * VIEW / band[3]
    err = np.abs(approx - exact) * 127.5  # in uint8 levels
    out["exact_band"] = {"sec_min": sec, "sec_med": sec, "extrapolated_from_rows": band[3],
                         "lattice_err_max": float(err.max()), "lattice_err_mean": float(err.mean())}
    return out


def group_rss(size: int) -> dict[str, Any]:
    """One CIPS default frame at size^2 through the tiled renderer: peak RSS of the process."""
    from engine.renderer import render_image

    g = _model("cips")
    model_mb = rss_mb()
    t0 = time.perf_counter()
    render_image(g, size=(size, size))
    return {"sec_min": time.perf_counter() - t0, "rss_mb": rss_mb(), "rss_model_mb": model_mb, "size": size}


def group_pan(family: str, repeats: int) -> dict[str, Any]:
    """A 10-pixel pan of a 256^2 view posted to the render service as the app posts it (progressive passes
    (8, 1); the service's PanCache serves the pan) vs a full render of the same view (checked equal)."""
    import dataclasses

    import numpy as np

    from engine.coords import pixel_step
    from engine.renderer import render_request
    from engine.service import RenderService
    from engine.types import Frame, RenderRequest, StyleSpec

    g = _model(family)
    step = pixel_step(_cam(0), VIEW, VIEW)
    svc = RenderService(sync=True, generator=g)

    def post(req: RenderRequest) -> Frame:
        got: list[Frame] = []
        svc.render(req, got.append, passes=(8, 1))
        assert got[-1].final and got[-1].error is None
        return got[-1]
    base = RenderRequest(StyleSpec(), _cam(0), (VIEW, VIEW))

    def shifted(k: int) -> RenderRequest:
        cam = dataclasses.replace(base.camera, center=(base.camera.center[0] + k * PAN * step, base.camera.center[1]))
        return dataclasses.replace(base, camera=cam)

    def other(i: int) -> RenderRequest:  # a full frame of a new view: no cached line or pixel serves it
        return dataclasses.replace(base, camera=_cam(100 + i))

    frames: dict[int, Any] = {}
    fulls, pans, mms = [], [], []
    post(shifted(0))
    render_request(g, other(-1))
    for i in range(repeats):  # interleaved, so both see the same machine
        mm = mm_gflops()
        t0 = time.perf_counter()
        render_request(g, other(i))
        t1 = time.perf_counter()
        frames[i] = post(shifted(i + 1))
        pans.append(time.perf_counter() - t1)
        fulls.append(t1 - t0)
        mms.append(max(mm, mm_gflops()))
    same = all(np.array_equal(f.image, render_request(g, shifted(i + 1)).image)  # type: ignore[arg-type]
               for i, f in frames.items())
    reused = all(f.extra.get("reused_pixels") == (VIEW - PAN) * VIEW for f in frames.values())
    return {"full": summary(fulls, mms), "pan": summary(pans, mms), "fraction": min(pans) / min(fulls),
            "fraction_med": statistics.median(p / f for p, f in zip(pans, fulls, strict=True)), "equal": same,
            "reused": reused}


def group_first(family: str, repeats: int, rotation: float = 0.0, stride: int = 8) -> dict[str, Any]:
    """A gesture's first progressive pass (every stride-th pixel of a 256^2 view) through the service; model
    warm, style unchanged, line caches of CREPS empty."""
    from engine.service import RenderService
    from engine.types import RenderRequest, StyleSpec

    g = _model(family)
    svc = RenderService(sync=True, generator=g)  # off-axis views get the interactive (lattice) quality from it
    svc.render(RenderRequest(StyleSpec(), _cam(-1, rotation), (VIEW, VIEW)), lambda f: None, passes=(1,))
    lat: list[float] = []

    def one(i: int) -> None:
        t0 = time.perf_counter()

        def on_frame(frame: Any) -> None:
            assert frame.error is None, frame.error
            lat.append(time.perf_counter() - t0)

        svc.render(RenderRequest(StyleSpec(), _cam(i, rotation), (VIEW, VIEW)), on_frame, passes=(stride,))

    clear = getattr(g, "clear_line_cache", None)
    r = timed(one, repeats, before=clear)
    return r | {"ms_min": 1e3 * r["sec_min"], "ms_med": 1e3 * r["sec_med"], "stride": stride}


def group_gui(repeats: int) -> dict[str, Any]:
    """GUI-thread responsiveness: lateness of a 10 ms timer on the main thread, idle and while an engine
    thread renders CIPS frames with all cores (torch's default thread count)."""
    import threading

    g = _model("cips")

    def lateness(stop: Callable[[], bool]) -> list[float]:
        late = []
        while not stop():
            t0 = time.perf_counter()
            time.sleep(0.01)
            late.append(time.perf_counter() - t0 - 0.01)
        return late

    t_end = time.perf_counter() + 1.0
    idle = lateness(lambda: time.perf_counter() > t_end)
    done = threading.Event()

    def engine() -> None:
        for i in range(max(1, repeats // 2)):
            _frame(g, _cam(i))
        done.set()

    threading.Thread(target=engine, daemon=True).start()
    busy = lateness(done.is_set)

    def q(x: list[float], p: float) -> float:
        return 1e3 * sorted(x)[min(len(x) - 1, int(p * len(x)))]

    return {"idle_p50": q(idle, 0.5), "idle_p99": q(idle, 0.99), "busy_p50": q(busy, 0.5),
            "busy_p99": q(busy, 0.99), "busy_max": 1e3 * max(busy), "ticks": len(busy)}


GROUPS: dict[str, Callable[[int], dict[str, Any]]] = {
    "cips": lambda n: group_throughput("cips", n),
    "inrgan": lambda n: group_throughput("inrgan", n),
    "creps": lambda n: group_throughput("creps", n),
    "rss": lambda n: group_rss(512),
    "rss1024": lambda n: group_rss(1024),
    "pan-cips": lambda n: group_pan("cips", n),
    "pan-inrgan": lambda n: group_pan("inrgan", n),
    "pan-creps": lambda n: group_pan("creps", n),
    "first-cips": lambda n: group_first("cips", 2 * n),  # short calls: more of them
    "first-inrgan": lambda n: group_first("inrgan", 2 * n),
    "first-creps": lambda n: group_first("creps", 2 * n),
    "first-creps-rot": lambda n: group_first("creps", 2 * n, rotation=30.0),
    "first-creps-rot16": lambda n: group_first("creps", 2 * n, rotation=30.0, stride=16),
    "gui": group_gui,
}


# ----------------------------------------------------------------------------- table
def _sec(r: dict[str, Any]) -> str:
    return f"{r['sec_min']:.3f} / {r['sec_med']:.3f}"


def table(res: dict[str, Any]) -> list[str]:
    """Markdown rows: workload | seconds (min / median) | GFLOP/s | result | target | peak RSS."""
    rows = ["| workload | s (min / median) | GFLOP/s | result | target | official here |",
            "|---|---|---|---|---|---|"]

    def thr(name: str, key: str, target: str, official: str) -> None:
        if key not in res:
            return
        g = res[key]
        r = g.get("aligned")
        if r is None:
            rows.append(f"| {name} | – | – | failed: {g.get('error', '?')} | {target} | {official} |")
            return
        rows.append(f"| {name} | {_sec(r)} | {r['gflops']:.0f} | **{r['ratio_best']:.2f}** of mm "
                    f"(median {r['ratio_med']:.2f}; mm {r['mm_max']:.0f} GFLOP/s), RSS {g['rss_mb']:.0f} MB "
                    f"| ≥ {target} | {official} |")

    thr("CIPS default, 256², float32", "cips", "0.75", "0.31")
    thr("INR-GAN churches, 256²", "inrgan", "0.6", "0.25")
    thr("CREPS FFHQ-256, 256², axis-aligned", "creps", "0.6", "0.27")
    c = res.get("creps", {})
    for key, label in (("lattice30", "rotated 30°, lattice (approx.), cold"),
                       ("lattice45", "rotated 45°, lattice (approx.), cold"),
                       ("lattice_warm", "rotated, lattice, next frame of a turn"),
                       ("exact_band", "rotated, exact per pixel")):
        r = c.get(key)
        if r is None:
            continue
        extra = ""
        if key == "exact_band":
            extra = (f" (from a {r['extrapolated_from_rows']}-row band; lattice error there max "
                     f"{r['lattice_err_max']:.1f}, mean {r['lattice_err_mean']:.2f} uint8 levels)")
        rows.append(f"| CREPS 256², {label} | {_sec(r)} | – | **{r['x_aligned']:.2f}×** the axis-aligned "
                    f"time{extra} | ≤ 2× | ~200× |")
    for key, official in (("rss", "4.0 GB"), ("rss1024", "–")):
        r = res.get(key, {})
        if "rss_mb" in r:
            rows.append(f"| peak RSS, CIPS default {r['size']}² (tiled) | {r['sec_min']:.1f} | – | "
                        f"**{r['rss_mb']:.0f} MB** ({r['rss_model_mb']:.0f} MB before rendering) | ≤ 1.5 GB "
                        f"| {official} |")
    for fam in ("cips", "inrgan", "creps", "creps-rot", "creps-rot16"):
        r = res.get(f"first-{fam}", {})
        if "ms_min" in r:
            label = "CREPS rotated 30° (lattice)" if "rot" in fam else fam.upper().replace("INRGAN", "INR-GAN")
            rows.append(f"| first pass (stride {r['stride']}) after a gesture, {label}, 256² view | {_sec(r)} | – | "
                        f"**{r['ms_min']:.0f} ms** (median {r['ms_med']:.0f}; mm {r['mm_max']:.0f} GFLOP/s) "
                        f"| ≤ 100 ms | – |")
    for fam in ("cips", "inrgan", "creps"):
        r = res.get(f"pan-{fam}", {})
        if "fraction" in r:
            label = fam.upper().replace("INRGAN", "INR-GAN")
            ok = "equal to a full render" if r["equal"] and r["reused"] else "MISMATCH"
            rows.append(f"| {PAN}-pixel pan, {label}, 256² | {_sec(r['pan'])} | – | **{100 * r['fraction']:.1f} %** "
                        f"of a full frame ({r['full']['sec_min']:.3f} s; median pair "
                        f"{100 * r['fraction_med']:.1f} %), {ok} | ≤ 10 % | 100 % |")
    r = res.get("gui", {})
    if "busy_p99" in r:
        rows.append(f"| GUI thread: lateness of a 10 ms timer while the engine renders (all cores) | – | – | "
                    f"p50 {r['busy_p50']:.1f} ms, p99 {r['busy_p99']:.1f} ms, max {r['busy_max']:.1f} ms "
                    f"(idle: p99 {r['idle_p99']:.1f} ms) | not starved | – |")
    return rows


# ----------------------------------------------------------------------------- driver
def run_group(name: str, repeats: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--one", name, "--repeats", str(repeats)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--groups", nargs="+", default=list(GROUPS), choices=list(GROUPS))
    ap.add_argument("--markdown", help="also write the table (and the raw JSON) to this file")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    import torch

    if args.one:
        from engine.runtime import tune_allocator

        tune_allocator()  # as main.py does for the app and the CLI
        torch.set_grad_enabled(False)
        print(json.dumps(GROUPS[args.one](args.repeats)))
        return
    head = (f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores; "
            f"load average (1 min) before: {os.getloadavg()[0]:.2f}")
    print(head, flush=True)
    res: dict[str, Any] = {}
    for name in args.groups:
        t0 = time.perf_counter()
        res[name] = run_group(name, args.repeats)
        print(f"  {name}: {time.perf_counter() - t0:.0f} s, load {os.getloadavg()[0]:.2f}", flush=True)
    tail = f"load average (1 min) after: {os.getloadavg()[0]:.2f}"
    lines = [head, "", *table(res), "", tail]
    print("\n".join(lines))
    if args.markdown:
        Path(args.markdown).write_text("\n".join(lines) + "\n\n```json\n" + json.dumps(res, indent=1) + "\n```\n")


if __name__ == "__main__":
    main()
