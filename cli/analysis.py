"""Analysis subcommands: spectrum (PNG + CSV), pca (PNG per embedding + CSV), consistency (table),
foveate (foveated render + density map + saving), srcompare (k x render vs. upsampling methods)."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from engine.models.base import Generator
    from engine.types import StyleSpec


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from cli.common import add_cluster_option, add_style_camera

    p = sub.add_parser("spectrum", help="2D log spectrum (PNG) and azimuthal power profile (CSV) over seeds")
    p.add_argument("checkpoint")
    p.add_argument("--seeds", type=int, default=8, help="average over seeds 0..N-1 (default 8)")
    p.add_argument("--size", type=int, default=None, help="render size (default native)")
    p.add_argument("--no-window", action="store_true", help="no Hann window before the FFT")
    p.add_argument("--out", type=Path, required=True, help="output stem: writes STEM.png and STEM.csv")
    p.add_argument("--device", default="auto", help="auto (the default), cuda, mps or cpu")
    add_cluster_option(p)
    p = sub.add_parser("pca", help="top-3 principal components of the learned coordinate embeddings as RGB")
    p.add_argument("checkpoint")
    p.add_argument("--out", type=Path, required=True, help="output stem: STEM_<name>.png, STEM.csv")
    p.add_argument("--device", default="auto", help="auto (the default), cuda, mps or cpu")
    p = sub.add_parser("consistency", help="PSNR / SSIM of s-times renders downsampled vs native renders")
    p.add_argument("checkpoint")
    p.add_argument("--scales", type=int, nargs="+", default=[2, 4])
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--device", default="auto", help="auto (the default), cuda, mps or cpu")
    add_cluster_option(p)

    p = sub.add_parser("foveate", help="foveated render: dense around --focus, sparse outside; prints the saving")
    add_style_camera(p)
    p.add_argument("--focus", type=float, nargs=2, metavar=("X", "Y"), default=None,
                   help="focus in output pixels (column, row); default the centre")
    p.add_argument("--radius", type=float, default=None, help="fovea radius in pixels (default min(W, H) / 8)")
    p.add_argument("--levels", type=int, default=4, help="density levels: strides 1, 2, 4, ... (default 4)")
    p.add_argument("--density", type=Path, default=None, help="also write the sample-density map (.png)")
    p = sub.add_parser("srcompare", help="render at k x density vs. the native render upsampled "
                                         "(nearest, bicubic, Lanczos): PNGs and PSNR / SSIM")
    add_style_camera(p)
    p.add_argument("--factor", type=int, default=4, help="density factor k (default 4)")
    p.add_argument("--crop", type=int, nargs=4, metavar=("X", "Y", "W", "H"), default=None,
                   help="crop in native pixels for STEM_crops.png (default the central quarter)")


def _save_png(path: Path, rgb01: np.ndarray) -> None:
    from PIL import Image

    Image.fromarray(np.clip(rgb01 * 255 + 0.5, 0, 255).astype(np.uint8)).save(path)


def _one_style(g: Generator, args: argparse.Namespace) -> StyleSpec:
    """The one image's style from --seed / --z / --w, --psi / --cutoff, --noise and --ablate (seeds become
    anchors, as the app's)."""
    from cli.common import CliError, styles_from_args
    from engine.types import StyleSpec

    ws, anchors = styles_from_args(g, args)
    if ws.shape[0] != 1:
        raise CliError(f"--seed: {args.command} renders one image, got {ws.shape[0]} latents")
    bad = [a for a in args.ablate or () if a not in g.ablations]
    if bad:
        raise CliError(f"--ablate: the {g.family} family has no {bad[0]} to zero")
    return StyleSpec(anchors=(anchors[0],), psi=args.psi, cutoff=args.cutoff, noise=args.noise,
                     ablate=tuple(args.ablate or ()))


def _save_image(path: Path, rgb: np.ndarray) -> None:
    """Float [3, H, W] (model range) to an 8-bit PNG."""
    from PIL import Image

    from engine.renderer import to_uint8

    Image.fromarray(to_uint8(rgb)).save(path)


def run_foveate(g: Generator, args: argparse.Namespace) -> int:
    from cli.common import CliError, camera_from_args
    from engine.analysis_jobs import run_foveation
    from engine.types import FoveationRequest, FrozenArray

    if args.out.suffix.lower() not in (".png", ".npy"):
        raise CliError(f"--out {args.out}: unsupported type (use .png or .npy)")
    cam, grid, size = camera_from_args(g, args)
    req = FoveationRequest(_one_style(g, args), cam, size, tuple(args.focus) if args.focus else None, args.radius,
                           args.levels, None if grid is None else FrozenArray(grid))
    res = run_foveation(g, req)
    plan = res.plan
    if args.out.suffix.lower() == ".npy":
        np.save(args.out, res.image)
    else:
        _save_image(args.out, res.image[0])
    if args.density is not None:
        from PIL import Image

        from engine.foveation import density_rgb

        Image.fromarray(density_rgb(plan)).save(args.density)
    st = plan.stats()
    print(f"wrote {args.out} ({size[0]} x {size[1]}, focus ({plan.focus[0]:g}, {plan.focus[1]:g}), "
          f"fovea radius {plan.radius:g} px)")
    print(f"rendered {st['samples']} of {st['pixels']} pixels ({100 * st['fraction']:.2f} %): saving "
          f"{100 * st['saving']:.2f} % of the synthesis work ({st['speedup']:.2f}x fewer pixels), "
          f"{res.seconds:.2f} s")
    for lv in st["levels"]:
        print(f"  level {lv['level']}: stride {lv['stride']:>3}, {lv['pixels']:>9} pixels, {lv['samples']:>8} samples")
    return 0


def run_srcompare(g: Generator, args: argparse.Namespace) -> int:
    from cli.common import CliError, camera_from_args
    from engine.analysis_jobs import run_superres
    from engine.types import SuperResRequest

    if args.grid is not None:
        raise CliError("--grid: srcompare needs a camera (the dense render is the same camera at k x density)")
    cam, _, size = camera_from_args(g, args)
    res = run_superres(g, SuperResRequest(_one_style(g, args), cam, size, args.factor,
                                          tuple(args.crop) if args.crop else None))
    stem = args.out.with_suffix("")
    _save_image(stem.with_name(f"{stem.name}_native.png"), res.native)
    for name, img in res.images.items():
        _save_image(stem.with_name(f"{stem.name}_{name}.png"), img)
    side = np.concatenate([c for c in res.crops.values()], axis=2)  # render | nearest | bicubic | lanczos
    _save_image(stem.with_name(f"{stem.name}_crops.png"), side)
    print(f"wrote {stem}_{{native,render,{','.join(res.metrics)},crops}}.png "
          f"({size[0]} x {size[1]} -> {args.factor}x, crops left to right: {', '.join(res.crops)})")
    print(f"{'method':>8} {'PSNR dB':>9} {'SSIM':>7}   (vs. the {args.factor}x render)")
    for m, r in res.metrics.items():
        print(f"{m:>8} {r['psnr']:>9.2f} {r['ssim']:>7.4f}")
    return 0


def run(args: argparse.Namespace) -> int:
    from cli.common import cluster_from_args
    from engine import load_generator
    from engine.analysis_jobs import run_consistency, run_pca, run_spectrum
    from engine.types import ConsistencyRequest, PCARequest, SpectrumRequest

    g = load_generator(args.checkpoint, device=args.device)
    if args.command == "foveate":
        return run_foveate(g, args)
    if args.command == "srcompare":
        return run_srcompare(g, args)
    if args.command == "spectrum":
        n = args.size or g.resolution
        req = SpectrumRequest(size=(n, n), seeds=args.seeds, window=not args.no_window, device=args.device)
        with cluster_from_args(args) as cluster:
            res = run_spectrum(g, req, cluster=cluster)
        mag = res.log_magnitude
        _save_png(args.out.with_suffix(".png"), np.repeat((mag / max(mag.max(), 1e-12))[..., None], 3, -1))
        with open(args.out.with_suffix(".csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["frequency_cycles_per_pixel", "mean_power"])
            w.writerows(zip(res.freqs.tolist(), res.profile.tolist(), strict=True))
        print(f"wrote {args.out.with_suffix('.png')} and {args.out.with_suffix('.csv')} ({args.seeds} seeds, {n}x{n})")
        return 0
    if args.command == "pca":
        report = run_pca(g, PCARequest())
        if not report.results:
            print(f"{g.family} has no learned per-position embeddings: nothing to project")
            return 0
        rows = []
        for name, pca in report.results.items():
            path = args.out.with_name(f"{args.out.stem}_{name.replace('.', '_')}.png")
            _save_png(path, pca.rgb)
            rows.append([name, *pca.explained[:10].round(6).tolist()])
            print(f"{name}: top-3 explained variance {pca.explained[:3].sum():.3f} -> {path}")
        with open(args.out.with_suffix(".csv"), "w", newline="") as f:
            csv.writer(f).writerows([["embedding", *[f"pc{i + 1}" for i in range(10)]], *rows])
        return 0
    scales = tuple(args.scales)
    with cluster_from_args(args) as cluster:
        per_seed = run_consistency(g, ConsistencyRequest(scales, args.seeds, device=args.device), cluster=cluster)
    print(f"{'scale':>6} {'PSNR dB':>9} {'SSIM':>7}   ({g.family}, {args.seeds} seeds; LPIPS: no pretrained "
          "network offline)")
    for scale, (psnr, ssim) in zip(scales, per_seed.mean(0), strict=True):
        print(f"{scale:>6.0f} {psnr:>9.2f} {ssim:>7.4f}")
    return 0
