"""What the subcommands share: the style / camera / precision / export / cluster options, loading the model
they name, reading latents and grids, and the one-line user error (exit code 2)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.coords import valid_blend
from engine.types import Anchor, Camera

if TYPE_CHECKING:
    from engine.cluster import Cluster
    from engine.models.base import Generator

EXIT_ERROR = 2


class CliError(Exception):
    """A user error: printed as one line, exit code 2."""


def add_style_camera(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint", nargs="?", default=None,
                   help="checkpoint file (.pt, .pkl, .safetensors) or 'default' (with --recipe: the recipe's model)")
    p.add_argument("--recipe", type=Path, default=None,
                   help="render what an exported PNG / TIFF / video (or a recipe .json) was made with: its model "
                        "(checked by SHA-256), camera, style, masks and size (--size overrides the size)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--seed", type=int, action="append", help="latent seed (repeat for a batch)")
    src.add_argument("--z", type=Path, help="z as .npy / .npz (key z), [B, z_dim] or [z_dim]")
    src.add_argument("--w", type=Path, help="w as .npy / .npz (key w, e.g. a StyleGAN projector's projected_w.npz), "
                     "[B, w_dim] or [B, num_ws, w_dim] (used as is)")
    p.add_argument("--psi", type=float, default=1.0, help="truncation psi (default 1 = none)")
    p.add_argument("--cutoff", type=int, default=None, help="truncate only the first K style rows")
    p.add_argument("--size", type=int, nargs=2, metavar=("W", "H"), help="output size (default native)")
    p.add_argument("--center", type=float, nargs=2, metavar=("X", "Y"), default=(0.0, 0.0),
                   help="view centre in frame coordinates (training frame is [-1, 1], y down)")
    p.add_argument("--zoom", type=float, default=1.0, help="zoom (< 1 extrapolates beyond the frame)")
    p.add_argument("--rotate", type=float, default=0.0, help="rotation in degrees")
    p.add_argument("--projection", choices=("plane", "cylinder"), default="plane",
                   help="cylinder: an upright panorama strip (framed as the plane at --zoom) whose width is one "
                        "turn; --rotate is then the yaw and the wrap is cross-faded (--blend)")
    p.add_argument("--blend", type=float, default=Camera.blend,
                   help="cylinder: share of the strip width cross-faded into the next turn so that column W-1 "
                        "runs into column 0 (0 .. 0.5, default 0.125; 0 = a hard seam)")
    p.add_argument("--grid", type=Path, help="explicit [H, W, 2] frame-coordinate grid as .npy")
    p.add_argument("--noise", choices=("none", "random"), default="none")
    p.add_argument("--ablate", choices=("embedding", "fourier"), action="append", default=[])
    p.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then the CPU; default), cuda, mps or cpu")
    add_precision(p)
    p.add_argument("--out", type=Path, required=True, help="output file")


def add_precision(p: argparse.ArgumentParser) -> None:
    from engine.precision import MAX_LEVELS, PRECISIONS


    p.add_argument("--precision", choices=PRECISIONS, default="float32",
                   help=f"arithmetic of the render (default float32). A reduced one is first measured on this model "
                        f"against float32 and refused above {MAX_LEVELS:g} uint8 levels; tf32 needs a CUDA GPU")


def add_cluster_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cluster", default=None, metavar="ADDRESS",
                   help="run the work as tasks on Dask distributed: local[:N] starts N worker processes here "
                        "(default one per core), tcp://HOST:PORT joins a running scheduler, env reads "
                        "$DASK_SCHEDULER_ADDRESS; the result equals the local one (needs pip install -e '.[cluster]')")


@contextlib.contextmanager
def cluster_from_args(args: argparse.Namespace) -> Iterator[Cluster | None]:
    """The Dask cluster --cluster names (closed afterwards), or None without the option (Dask not imported)."""
    spec = getattr(args, "cluster", None)
    if spec is None:
        yield None
        return
    from engine.cluster import Cluster


    try:
        cluster = Cluster(spec)
    except ValueError as e:
        raise CliError(str(e)) from None
    print(f"cluster: {cluster.describe()}", file=sys.stderr)
    try:
        yield cluster
    finally:
        cluster.close()


def add_export_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bits", type=int, choices=(8, 16), default=8, help="bits per channel (PNG and TIFF)")
    p.add_argument("--pyramid", action="store_true",
                   help="TIFF: add reduced levels (each half the size, as SubIFDs) so viewers open gigapixel images")
    p.add_argument("--tile-pixels", type=int, default=128 * 128, help="pixels per tile (memory bound)")
    p.add_argument("--journal", choices=("auto", "on", "off"), default="auto",
                   help="keep finished tiles beside the target so a rerun resumes (auto: from 2048² pixels)")
    add_cluster_option(p)


def load_model(args: argparse.Namespace, checkpoint: str | None = None) -> Generator:
    """The generator of ``checkpoint`` (default --checkpoint) on --device, set to --precision once measured."""
    from engine import load_generator


    g = load_generator(checkpoint or args.checkpoint, device=args.device if "device" in args else "cpu")
    mode = getattr(args, "precision", "float32")
    if mode != "float32":
        from engine.precision import PrecisionError, check_precision


        try:
            report = check_precision(g, mode)
        except PrecisionError as e:
            raise CliError(f"--precision: {e}") from None
        g.precision = mode
        print(f"precision {report.describe()}", file=sys.stderr)
    return g


def read_npy(path: Path, name: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise CliError(f"--{name} {path}: cannot read .npy ({str(e).splitlines()[0]})") from None


def latent_arg(path: Path, name: str) -> np.ndarray:
    """--z / --w: a .npy or .npz latent (e.g. the StyleGAN projector's projected_w.npz)."""
    from engine.latents import read_latent

    try:
        a, kind = read_latent(path)
    except ValueError as e:
        raise CliError(f"--{name} {path}: {e}") from None
    if kind is not None and kind != name:
        raise CliError(f"--{name} {path}: the file holds a {kind} (its .npz key); use --{kind}")
    return a


def styles_from_args(g: Generator, args: argparse.Namespace) -> tuple[np.ndarray, list[Anchor]]:
    """ws [B, num_ws, w_dim] and the anchor of each of the B images (for their recipes)."""
    from engine.styles import z_from_seed
    from engine.types import FrozenArray


    if args.w is not None:
        ws = ws_from_file(g, args.w)
        return ws, [Anchor(seed=None, w=FrozenArray(w)) for w in ws]
    if args.z is not None:
        z = np.asarray(latent_arg(args.z, "z"), np.float32)
        z = z.reshape(-1, g.z_dim) if z.size % g.z_dim == 0 else z
        anchors = [Anchor(seed=None, z=FrozenArray(row)) for row in z] if z.ndim == 2 else []
    else:
        seeds = args.seed or [0]
        z = np.stack([z_from_seed(s, g.z_dim) for s in seeds])
        anchors = [Anchor(seed=s) for s in seeds]
    try:
        return g.mapping(z, psi=args.psi, cutoff=args.cutoff), anchors
    except ValueError as e:
        raise CliError(f"--z: {e}" if args.z is not None else str(e)) from None


def ws_from_file(g: Generator, path: Path) -> np.ndarray:
    w = latent_arg(path, "w")
    if w.ndim == 1:
        w = w[None]
    try:
        return g.check_ws(w).cpu().numpy()
    except ValueError as e:
        raise CliError(f"--w: {e}") from None


def camera_from_args(g: Generator, args: argparse.Namespace) -> tuple[Any, np.ndarray | None, tuple[int, int]]:
    grid = None
    if args.grid is not None:
        grid = np.asarray(read_npy(args.grid, "grid"), np.float32)
        if grid.ndim != 3 or grid.shape[2] != 2:
            raise CliError(f"--grid: expected an [H, W, 2] array, got shape {list(grid.shape)}")
        size = (grid.shape[1], grid.shape[0])
    else:
        n = g.resolution
        size = tuple(args.size) if args.size else ((8 * n, n) if args.command == "panorama" else (n, n))
    if size[0] < 1 or size[1] < 1:
        raise CliError(f"--size: width and height must be >= 1, got {size[0]} {size[1]}")
    if not np.isfinite(args.zoom) or args.zoom <= 0:
        raise CliError(f"--zoom: must be a positive number, got {args.zoom}")
    blend = getattr(args, "blend", Camera.blend)
    if not valid_blend(blend):
        raise CliError(f"--blend: expected a share of the strip width in [0, 0.5], got {blend}")
    cam = Camera(center=(args.center[0], args.center[1]), zoom=args.zoom, rotation=args.rotate,
                 projection=getattr(args, "projection", "plane"), blend=blend)
    if args.command == "panorama" and grid is None and g.period_x is not None:
        from engine.coords import periodic_strip


        cam, new = periodic_strip(g.period_x, int(size[0]), args.zoom, cam.center, args.rotate)
        print(f"the model is periodic along x (period {g.period_x:g} frame units): one turn is that period, "
              f"no cross-fade (blend 0); strip {new[0]} x {new[1]} at zoom {cam.zoom:.4g}", file=sys.stderr)
        size = new
    return cam, grid, (int(size[0]), int(size[1]))


def numbered(out: Path, i: int, n: int) -> Path:
    return out if n == 1 else out.with_name(f"{out.stem}_{i:04d}{out.suffix}")


def check_out(out: Path, tiled: bool) -> str:
    from engine.formats import IMAGE_SUFFIXES


    ext = out.suffix.lower()
    allowed = IMAGE_SUFFIXES if tiled else (".png", ".npy")
    if ext not in allowed:
        raise CliError(f"--out {out}: unsupported type {ext or '(none)'} (use {', '.join(allowed)})")
    if not out.parent.is_dir() if str(out.parent) else False:
        raise CliError(f"--out {out}: directory {out.parent} does not exist")
    return ext


def save_npy_atomic(out: Path, arr: np.ndarray) -> None:
    from engine.image_writers import AtomicFile


    f = AtomicFile(out)
    try:
        np.save(f.file, arr)
        f.commit()
    except BaseException:
        f.abort()
        raise
