"""Analysis subcommands: spectrum (PNG + CSV), pca (PNG per embedding + CSV), consistency (table)."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("spectrum", help="2D log spectrum (PNG) and azimuthal power profile (CSV) over seeds")
    p.add_argument("checkpoint")
    p.add_argument("--seeds", type=int, default=8, help="average over seeds 0..N-1 (default 8)")
    p.add_argument("--size", type=int, default=None, help="render size (default native)")
    p.add_argument("--no-window", action="store_true", help="no Hann window before the FFT")
    p.add_argument("--out", type=Path, required=True, help="output stem: writes STEM.png and STEM.csv")
    p.add_argument("--device", default="cpu")
    p = sub.add_parser("pca", help="top-3 principal components of the learned coordinate embeddings as RGB")
    p.add_argument("checkpoint")
    p.add_argument("--out", type=Path, required=True, help="output stem: STEM_<name>.png, STEM.csv")
    p.add_argument("--device", default="cpu")
    p = sub.add_parser("consistency", help="PSNR / SSIM of s-times renders downsampled vs native renders")
    p.add_argument("checkpoint")
    p.add_argument("--scales", type=int, nargs="+", default=[2, 4])
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--device", default="cpu")


def _save_png(path: Path, rgb01: np.ndarray) -> None:
    from PIL import Image

    Image.fromarray(np.clip(rgb01 * 255 + 0.5, 0, 255).astype(np.uint8)).save(path)


def _seeds_ws(g, n: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    from engine.styles import z_from_seed

    return g.mapping(np.stack([z_from_seed(s, g.z_dim) for s in range(n)]))


def run(args: argparse.Namespace) -> int:
    from engine import load_generator
    from engine.analysis import embedding_pca, log_magnitude, radial_profile, scale_consistency, spectrum

    g = load_generator(args.checkpoint, device=args.device)
    if args.command == "spectrum":
        from engine.coords import identity_grid

        n = args.size or g.resolution
        imgs = g.synthesis(_seeds_ws(g, args.seeds), grid=identity_grid(n))
        powers = [spectrum(im, window=not args.no_window) for im in imgs]
        mean = np.mean(powers, axis=0)
        freqs, prof = radial_profile(mean)
        mag = log_magnitude(mean)
        _save_png(args.out.with_suffix(".png"), np.repeat((mag / max(mag.max(), 1e-12))[..., None], 3, -1))
        with open(args.out.with_suffix(".csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["frequency_cycles_per_pixel", "mean_power"])
            w.writerows(zip(freqs.tolist(), prof.tolist(), strict=True))
        print(f"wrote {args.out.with_suffix('.png')} and {args.out.with_suffix('.csv')} ({args.seeds} seeds, {n}x{n})")
        return 0
    if args.command == "pca":
        embs = g.coordinate_embeddings()
        if not embs:
            print(f"{g.family} has no learned per-position embeddings: nothing to project")
            return 0
        rows = []
        for name, emb in embs.items():
            res = embedding_pca(emb.detach().cpu().numpy())
            path = args.out.with_name(f"{args.out.stem}_{name.replace('.', '_')}.png")
            _save_png(path, res.rgb)
            rows.append([name, *res.explained[:10].round(6).tolist()])
            print(f"{name}: top-3 explained variance {res.explained[:3].sum():.3f} -> {path}")
        with open(args.out.with_suffix(".csv"), "w", newline="") as f:
            csv.writer(f).writerows([["embedding", *[f"pc{i + 1}" for i in range(10)]], *rows])
        return 0
    rows = scale_consistency(g, _seeds_ws(g, args.seeds), tuple(args.scales))
    print(f"{'scale':>6} {'PSNR dB':>9} {'SSIM':>7}   ({g.family}, {args.seeds} seeds; LPIPS: no pretrained "
          "network offline)")
    for r in rows:
        print(f"{r['scale']:>6.0f} {r['psnr']:>9.2f} {r['ssim']:>7.4f}")
    return 0
