"""Sliced Wasserstein distance on Laplacian-pyramid patches (ProGAN, Karras et al. 2018) and its baselines.

#----------------------------------------------------------------------------
# Per pyramid level: 7x7 neighbourhoods at random positions (128 per image; here the same positions in
# both sets), each set normalised per colour channel by its own mean and std, then the sliced Wasserstein
# distance with 4 x 128 random unit directions (sorted projections, mean absolute difference).
# Reported x 1e3 per level and averaged, as ProGAN's table does. Images are uint8 [N, H, W, 3] (or float in [0, 255]).
#
# Extrapolation (the procedural scene exists everywhere, so the truth beyond the frame is known):
# - wide views: x over one whole turn at the training pixel spacing, against the scenes at the same camera;
# - SWD of patches lying wholly outside the frame (|x| > 1), against the scenes at the same coordinates;
# - a detail ratio: mean |neighbour difference| outside the frame / inside it, beside the scenes' own ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

NHOOD = 7
NHOODS_PER_IMAGE = 128
DIR_REPEATS = 4
DIRS_PER_REPEAT = 128
MIN_LEVEL_RES = 16
_BINOMIAL = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0


def _blur(x: torch.Tensor) -> torch.Tensor:
    k = (_BINOMIAL[:, None] * _BINOMIAL[None, :]).to(x)
    c = x.shape[1]
    return F.conv2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), k.expand(c, 1, 5, 5), groups=c)


def _down(x: torch.Tensor) -> torch.Tensor:
    return _blur(x)[:, :, ::2, ::2]


def _up(x: torch.Tensor) -> torch.Tensor:
    b, c, h, w = x.shape
    y = x.new_zeros(b, c, h * 2, w * 2)
    y[:, :, ::2, ::2] = x
    return _blur(y) * 4.0


def laplacian_pyramid(x: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """[N, C, H, W] -> band-pass levels (finest first), the last level is the Gaussian residual."""
    out = []
    for _ in range(levels - 1):
        small = _down(x)
        out.append(x - _up(small))
        x = small
    out.append(x)
    return out


def _positions(n: int, allowed: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """NHOODS_PER_IMAGE patch centres per image, uniform over the centres whose whole 7 x 7 patch lies in
    ``allowed`` (bool [H, W])."""
    r = NHOOD // 2
    inside = -F.max_pool2d(-allowed[None, None].float(), NHOOD, stride=1)[0, 0] > 0.5  # eroded by r
    ok = torch.zeros_like(allowed)
    ok[r:allowed.shape[0] - r, r:allowed.shape[1] - r] = inside
    flat = ok.flatten().nonzero()[:, 0]
    if flat.numel() == 0:
        raise ValueError("no 7 x 7 patch fits in the region")
    pick = flat[torch.randint(flat.numel(), (n, NHOODS_PER_IMAGE), generator=gen)]
    return pick // allowed.shape[1], pick % allowed.shape[1]


def _descriptors(level: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor) -> torch.Tensor:
    n, c = level.shape[:2]
    r = NHOOD // 2
    off = torch.arange(-r, r + 1)
    rows = (ys[..., None] + off)[..., :, None]  # [n, k, 7, 1]
    cols = (xs[..., None] + off)[..., None, :]  # [n, k, 1, 7]
    img = torch.arange(n)[:, None, None, None]
    patches = level.permute(0, 2, 3, 1)[img, rows, cols]  # [n, k, 7, 7, c]
    return patches.permute(0, 1, 4, 2, 3).reshape(n * NHOODS_PER_IMAGE, c, NHOOD, NHOOD)


def _normalize(desc: torch.Tensor) -> torch.Tensor:
    mean = desc.mean(dim=(0, 2, 3), keepdim=True)
    std = desc.std(dim=(0, 2, 3), keepdim=True)
    return ((desc - mean) / (std + 1e-8)).reshape(desc.shape[0], -1)


def sliced_wasserstein(a: torch.Tensor, b: torch.Tensor, gen: torch.Generator) -> float:
    """Mean over DIR_REPEATS x DIRS_PER_REPEAT random directions of the 1-D Wasserstein-1 distance."""
    if a.shape != b.shape:
        raise ValueError(f"descriptor sets differ in shape: {tuple(a.shape)} vs {tuple(b.shape)}")
    results = []
    for _ in range(DIR_REPEATS):
        dirs = torch.randn(a.shape[1], DIRS_PER_REPEAT, generator=gen)
        dirs /= dirs.norm(dim=0, keepdim=True)
        pa = np.sort((dirs.t() @ a.t()).numpy(), axis=1)  # row-wise numpy sort: ~30x faster than torch dim-0
        pb = np.sort((dirs.t() @ b.t()).numpy(), axis=1)
        results.append(float(np.abs(pa - pb).mean()))
    return float(np.mean(results))


def _as_nchw(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    x = torch.as_tensor(np.asarray(images), dtype=torch.float32)
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(f"images: expected [N, H, W, 3], got {tuple(x.shape)}")
    return x.permute(0, 3, 1, 2).contiguous()


def swd(images_a: np.ndarray | torch.Tensor, images_b: np.ndarray | torch.Tensor,
        seed: int = 0, region: np.ndarray | None = None) -> dict[str, Any]:
    """SWD x 1e3 between two image sets of equal size: {"levels": {res: value}, "mean": value}.

    Levels are keyed by the image height at that level. ``region`` (bool [H, W]) restricts the patches to
    those lying wholly inside it, at every level (the region is subsampled with the level).
    """
    a, b = _as_nchw(images_a), _as_nchw(images_b)
    if a.shape != b.shape:
        raise ValueError(f"image sets differ in shape: {tuple(a.shape)} vs {tuple(b.shape)}")
    res = min(a.shape[-2:])
    levels = 1
    while (res >> levels) >= MIN_LEVEL_RES:
        levels += 1
    allowed = torch.ones(a.shape[-2:], dtype=torch.bool) if region is None else \
        torch.from_numpy(np.array(region, dtype=bool))  # a copy: regions are often read-only broadcasts
    if allowed.shape != a.shape[-2:]:
        raise ValueError(f"region: expected shape {tuple(a.shape[-2:])}, got {tuple(allowed.shape)}")
    gen = torch.Generator().manual_seed(seed)
    out: dict[int, float] = {}
    for k, (la, lb) in enumerate(zip(laplacian_pyramid(a, levels), laplacian_pyramid(b, levels), strict=True)):
        # Both sets use the same patch positions (less sampling noise; identical sets give exactly 0).
        ys, xs = _positions(la.shape[0], allowed[::1 << k, ::1 << k][:la.shape[2], :la.shape[3]], gen)
        da, db = _normalize(_descriptors(la, ys, xs)), _normalize(_descriptors(lb, ys, xs))
        out[la.shape[2]] = sliced_wasserstein(da, db, gen) * 1e3
    return {"levels": out, "mean": float(np.mean(list(out.values())))}


# ---------------------------------------------------------------------------------------------- evaluation
def frame_axes(zoom: float = 1.0, res: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """A centred square camera at ``zoom`` (1 = the training frame): its x and y axes."""
    axis = np.linspace(-1.0 / zoom, 1.0 / zoom, res, dtype=np.float32)
    return axis, axis


def wide_axes(x_half: float | None = None, y_half: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """A wide view at the training pixel spacing: x in [-x_half, x_half) (default: one whole turn,
    [-TURN/2, TURN/2)), y in [-y_half, y_half]. With y_half = 1 its rows are the frame's rows."""
    from engine.training.landscapes import SPACING, TURN

    half = TURN / 2 if x_half is None else x_half
    cols = round(2 * half / SPACING)
    xs = (np.arange(cols) - (cols - 1) / 2.0) * SPACING
    rows = round(2 * y_half / SPACING) + 1
    ys = (np.arange(rows) - (rows - 1) / 2.0) * SPACING
    return xs.astype(np.float32), ys.astype(np.float32)


def real_images(seeds: range, res: int = 64, zoom: float = 1.0,
                axes: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Procedural landscapes on a camera's axes (default: centred, square, at ``zoom``): uint8 [N, H, W, 3]."""
    from engine.training.landscapes import render

    xs, ys = axes if axes is not None else frame_axes(zoom, res)
    return np.stack([render(s, xs, ys) for s in seeds])


def blurred(images: np.ndarray, sigma: float = 1.5) -> np.ndarray:
    """Gaussian blur (per image, reflect padding): the 'dataset blurred' baseline."""
    x = _as_nchw(images)
    r = int(np.ceil(3 * sigma))
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-t.square() / (2 * sigma * sigma))
    k /= k.sum()
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1).expand(3, 1, 1, -1), groups=3)
    x = F.conv2d(F.pad(x, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1).expand(3, 1, -1, 1), groups=3)
    return x.permute(0, 2, 3, 1).round().clamp(0, 255).to(torch.uint8).numpy()


def generated_images(path: str, n: int, seed: int = 0, batch: int = 64, zoom: float = 1.0,
                     axes: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """n samples of a generator (psi = 1) on a camera's axes (default: centred, square, at ``zoom``,
    the generator's own resolution): uint8 [n, H, W, 3]."""
    from engine import load_generator

    g = load_generator(path)
    xs, ys = axes if axes is not None else frame_axes(zoom, g.resolution)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)
    batch = max(1, batch * g.resolution**2 // grid[..., 0].size)
    rng = np.random.default_rng(seed)
    out = []
    for i in range(0, n, batch):
        z = rng.standard_normal((min(batch, n - i), g.z_dim)).astype(np.float32)
        img = g.synthesis(g.mapping(z), grid=grid)
        out.append(((np.clip(img, -1, 1) + 1) * 127.5 + 0.5).astype(np.uint8).transpose(0, 2, 3, 1))
    return np.concatenate(out)


def mean_image(images: np.ndarray, n: int) -> np.ndarray:
    """The 'mean image' baseline: the set's mean, repeated n times."""
    return np.repeat(images.astype(np.float32).mean(0, keepdims=True), n, axis=0)


def evaluate(path: str, n: int = 2048, res: int = 64, zoom: float = 1.0) -> dict[str, Any]:
    """SWD of the generator and of the baselines against held-out procedural images (seeds < 2n)."""
    t0 = time.time()
    ref = real_images(range(n), res, zoom)
    other = real_images(range(n, 2 * n), res, zoom)
    fake = generated_images(path, n, zoom=zoom)
    results = {
        "generator": swd(fake, ref),
        "baseline_mean_image": swd(mean_image(other, n), ref),
        "baseline_blurred_dataset": swd(blurred(other), ref),
        "real_vs_real": swd(other, ref),
    }
    return {"n": n, "res": res, "zoom": zoom, "seconds": round(time.time() - t0, 1), **results}


def outside_frame(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """bool [H, W] = [ys.size, xs.size]: the pixels of a view with |x| > 1 (beyond the frame along x)."""
    return np.broadcast_to(np.abs(xs)[None, :] > 1.0, (ys.size, xs.size))


def evaluate_wide(path: str, n: int = 2048) -> dict[str, Any]:
    """SWD of full-turn wide views (x over the turn at the training spacing, y in [-1, 1]) against the
    scenes at the same camera, with the mean-image baseline there; and the same restricted to patches
    wholly outside the frame (|x| > 1)."""
    t0 = time.time()
    axes = wide_axes()
    ref = real_images(range(n), axes=axes)
    other = real_images(range(n, 2 * n), axes=axes)
    fake = generated_images(path, n, axes=axes)
    out_mask = outside_frame(*axes)
    mean = mean_image(other, n)
    results = {
        "generator": swd(fake, ref),
        "baseline_mean_image": swd(mean, ref),
        "real_vs_real": swd(other, ref),
        "outside_generator": swd(fake, ref, region=out_mask),
        "outside_baseline_mean_image": swd(mean, ref, region=out_mask),
        "outside_real_vs_real": swd(other, ref, region=out_mask),
    }
    size = [int(axes[0].size), int(axes[1].size)]
    return {"n": n, "size": size, "x_range": [float(axes[0][0]), float(axes[0][-1])],
            "seconds": round(time.time() - t0, 1), **results}


def detail(images: np.ndarray, outside: np.ndarray, axis: str) -> float:
    """Mean |difference| of neighbouring pixels along ``axis`` ("x": columns j, j + 1; "y": rows) with both
    pixels outside (``outside`` True, bool [H, W]), divided by the same with both inside."""
    x = np.asarray(images, np.float32)
    ax = 2 if axis == "x" else 1
    d = np.abs(np.diff(x, axis=ax)).mean(axis=(0, 3))
    a, b = (outside[:, 1:], outside[:, :-1]) if axis == "x" else (outside[1:], outside[:-1])
    return float(d[a & b].mean() / d[~a & ~b].mean())


def detail_ratios(path: str, n: int = 256) -> dict[str, Any]:
    """Detail outside / inside the frame on views at the training spacing, for the generator and the
    procedural scenes: along x on x in [-2, 2], y in [-1, 1]; along y on x in [-1, 1], y in [-2, 2]."""
    out: dict[str, Any] = {"n": n}
    for axis, (xs, ys) in (("x", wide_axes(2.0, 1.0)), ("y", wide_axes(1.0, 2.0))):
        mask = outside_frame(xs, ys) if axis == "x" else outside_frame(ys, xs).T
        gen = detail(generated_images(path, n, axes=(xs, ys)), mask, axis)
        real = detail(real_images(range(n), axes=(xs, ys)), mask, axis)
        out[axis] = {"generator": gen, "procedural": real, "relative": gen / real}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m engine.training.swd",
                                description="SWD of a generator vs held-out procedural landscapes, at a centred "
                                            "camera, on full-turn wide views, and the detail ratio beyond the frame")
    p.add_argument("checkpoint", help="generator file (or 'default')")
    p.add_argument("-n", type=int, default=2048, help="images per set (the detail ratio uses min(n, 256))")
    p.add_argument("--zoom", type=float, default=1.0, help="camera zoom (0.5: extrapolation beyond the frame)")
    p.add_argument("--metric", choices=("frame", "wide", "detail", "all"), default="frame",
                   help="frame: the centred camera at --zoom; wide: full-turn views and their outside-the-frame "
                        "patches; detail: neighbour differences outside / inside the frame; all: the three")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    results: dict[str, Any] = {}
    if args.metric in ("frame", "all"):
        results["frame"] = r = evaluate(args.checkpoint, args.n, zoom=args.zoom)
        print(f"centred camera, zoom {args.zoom:g}:")
        _print(r, ("generator", "baseline_mean_image", "baseline_blurred_dataset", "real_vs_real"))
    if args.metric in ("wide", "all"):
        results["wide"] = r = evaluate_wide(args.checkpoint, args.n)
        print(f"full-turn wide view {r['size'][0]} x {r['size'][1]} (x in [{r['x_range'][0]:.2f}, "
              f"{r['x_range'][1]:.2f}]); 'outside': patches with |x| > 1 only:")
        _print(r, ("generator", "baseline_mean_image", "real_vs_real", "outside_generator",
                   "outside_baseline_mean_image", "outside_real_vs_real"))
    if args.metric in ("detail", "all"):
        results["detail"] = r = detail_ratios(args.checkpoint, min(args.n, 256))
        for axis in ("x", "y"):
            d = r[axis]
            print(f"detail outside / inside the frame along {axis}: generator {d['generator']:.3f}, "
                  f"procedural {d['procedural']:.3f} (relative {d['relative']:.2f})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


def _print(r: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        lv = "  ".join(f"{k}: {v:7.2f}" for k, v in r[name]["levels"].items())
        print(f"  {name:28s} mean {r[name]['mean']:7.2f}   ({lv})")


if __name__ == "__main__":
    sys.exit(main())
