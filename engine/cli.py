"""Headless command line: info, render, export, panorama, video, analyses (and train); imports no Qt.

Errors print one line to stderr and exit with code 2; nothing is left behind.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.coords import valid_blend
from engine.errors import CheckpointError, RenderCancelled, one_line
from engine.types import Anchor, Camera

if TYPE_CHECKING:
    from engine.cluster import Cluster
    from engine.models.base import Generator

EXIT_ERROR = 2


class CliError(Exception):
    """A user error: printed as one line, exit code 2."""


def _add_style_camera(p: argparse.ArgumentParser) -> None:
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
    _add_precision(p)
    p.add_argument("--out", type=Path, required=True, help="output file")


def _add_precision(p: argparse.ArgumentParser) -> None:
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


def _add_export_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bits", type=int, choices=(8, 16), default=8, help="bits per channel (PNG and TIFF)")
    p.add_argument("--pyramid", action="store_true",
                   help="TIFF: add reduced levels (each half the size, as SubIFDs) so viewers open gigapixel images")
    p.add_argument("--tile-pixels", type=int, default=128 * 128, help="pixels per tile (memory bound)")
    p.add_argument("--journal", choices=("auto", "on", "off"), default="auto",
                   help="keep finished tiles beside the target so a rerun resumes (auto: from 2048² pixels)")
    add_cluster_option(p)


def build_parser() -> argparse.ArgumentParser:
    from main import program_name  # the one definition, beside version()

    parser = argparse.ArgumentParser(
        prog=program_name(),
        description="Explorer for coordinate-based image generators. Without a subcommand: open the GUI "
                    "(optionally on CHECKPOINT).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("info", help="print a checkpoint's family, resolution, dims and parameter count")
    p.add_argument("checkpoint")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--device", default="auto", help="the device it would render on: auto (the default), cuda, mps, cpu")
    p = sub.add_parser("render", help="render to .png (8-bit, recipe embedded) or .npy (float32 [B,3,H,W])")
    _add_style_camera(p)
    p = sub.add_parser("export", help="render a large image in tiles (bounded memory) to .png or .tif")
    _add_style_camera(p)
    _add_export_options(p)
    p = sub.add_parser("panorama", help="export an upright cylinder strip (cross-faded wrap) and check the seam")
    _add_style_camera(p)
    p.set_defaults(projection="cylinder")
    _add_export_options(p)
    p = sub.add_parser("video", help="render a keyframes .json to .mp4 (H.264) / .webm (VP9) / .mkv / .avi or a "
                                     "folder of PNG frames")
    p.add_argument("keyframes", type=Path, help="keyframes file (format inr-explorer-keyframes)")
    p.add_argument("--out", type=Path, required=True,
                   help="video file (.mp4, .webm, .mkv, .avi) or a folder for PNGs; the recipe goes into its metadata")
    p.add_argument("--crf", type=int, default=18, help="H.264 / VP9 quality: lower is better (default 18: visually "
                   "lossless; 23 is x264's default)")
    p.add_argument("--checkpoint", help="override the keyframes file's checkpoint")
    p.add_argument("--device", default="auto", help="auto (the default), cuda, mps or cpu")
    _add_precision(p)
    add_cluster_option(p)
    from engine.cli_analysis import add_parsers

    add_parsers(sub)
    try:
        from engine.training.cli import add_train_parser
    except ImportError:
        pass
    else:
        add_train_parser(sub)
    return parser


def _load(args: argparse.Namespace, checkpoint: str | None = None) -> Generator:
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


def _np_load(path: Path, name: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise CliError(f"--{name} {path}: cannot read .npy ({str(e).splitlines()[0]})") from None


def _latent(path: Path, name: str) -> np.ndarray:
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
        ws = _ws_from_file(g, args.w)
        return ws, [Anchor(seed=None, w=FrozenArray(w)) for w in ws]
    if args.z is not None:
        z = np.asarray(_latent(args.z, "z"), np.float32)
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


def _ws_from_file(g: Generator, path: Path) -> np.ndarray:
    w = _latent(path, "w")
    if w.ndim == 1:
        w = w[None]
    try:
        return g.check_ws(w).cpu().numpy()
    except ValueError as e:
        raise CliError(f"--w: {e}") from None


def camera_from_args(g: Generator, args: argparse.Namespace) -> tuple[Any, np.ndarray | None, tuple[int, int]]:
    grid = None
    if args.grid is not None:
        grid = np.asarray(_np_load(args.grid, "grid"), np.float32)
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


def cmd_info(args: argparse.Namespace) -> int:
    g = _load(args)
    info = g.info
    if args.json:
        print(json.dumps(info))
        return 0
    print(f"file:        {args.checkpoint}")
    print(f"family:      {info['family']}")
    print(f"resolution:  {info['resolution']} x {info['resolution']}")
    print(f"z_dim:       {info['z_dim']}")
    print(f"w_dim:       {info['w_dim']}")
    print(f"num_ws:      {info['num_ws']}")
    print(f"parameters:  {info['num_params']:,}")
    print(f"ablations:   {', '.join(info['ablations']) or 'none'}")
    print(f"device:      {info['device']} (--device {args.device})")
    from engine.precision import available

    print(f"precisions:  {', '.join(available(g.device))} (--precision; reduced ones are measured before use)")
    if info.get("period_x"):
        print(f"periodic:    along x, period {info['period_x']:g} frame units (a full turn: seamless panoramas)")
    emb = info.get("embedding")
    if emb:
        print(f"embedding:   {emb['rows']} x {emb['cols']} cells over x {emb['x0']:g} .. "
              f"{emb['x0'] + emb['period']:g} (wraps), y {emb['y0']:g} .. {emb['y1']:g} (clamped)")
    return 0


def cmd_video(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from engine.video import export_video, spec_from_json

    try:
        spec = spec_from_json(args.keyframes.read_text())
    except OSError as e:
        raise CliError(f"{args.keyframes}: cannot read ({e.strerror or e})") from None
    g = _load(args, args.checkpoint or spec.checkpoint)
    with cluster_from_args(args) as cluster, tqdm(total=spec.frame_count, unit="frame", file=sys.stderr) as bar:
        source = None
        if cluster is not None:
            from engine.cluster import model_ref, video_source

            source = video_source(cluster, model_ref(g, args.device), spec)
        export_video(g, spec, args.out, progress=lambda done, total: bar.update(done - bar.n), crf=args.crf,
                     source=source)
    print(f"wrote {args.out} ({spec.frame_count} frames, {spec.size[0]} x {spec.size[1]}, {spec.fps:g} fps)")
    return 0


def _numbered(out: Path, i: int, n: int) -> Path:
    return out if n == 1 else out.with_name(f"{out.stem}_{i:04d}{out.suffix}")


def _check_out(out: Path, tiled: bool) -> str:
    from engine.formats import IMAGE_SUFFIXES

    ext = out.suffix.lower()
    allowed = IMAGE_SUFFIXES if tiled else (".png", ".npy")
    if ext not in allowed:
        raise CliError(f"--out {out}: unsupported type {ext or '(none)'} (use {', '.join(allowed)})")
    if not out.parent.is_dir() if str(out.parent) else False:
        raise CliError(f"--out {out}: directory {out.parent} does not exist")
    return ext


def _run_recipe(args: argparse.Namespace, tiled: bool) -> int:
    """render / export --recipe: the picture an exported file's recipe describes, rendered again."""
    from engine.export import export_image, file_sha256
    from engine.recipes import RecipeError, make_recipe, parse_recipe, read_recipe
    from engine.renderer import render_camera, spec_styles

    ext = _check_out(args.out, tiled)
    try:
        path: Path = args.recipe
        recipe = parse_recipe(json.loads(path.read_text())) if path.suffix.lower() == ".json" else read_recipe(path)
    except (RecipeError, OSError, ValueError) as e:
        raise CliError(f"--recipe {args.recipe}: {e}") from None
    for w in recipe.warnings:
        print(f"warning: {w}", file=sys.stderr)
    model = args.checkpoint or recipe.model_path
    if not model:
        raise CliError(f"--recipe {args.recipe}: it names no model; give the checkpoint")
    g = _load(args, model)
    if recipe.model_sha256 and g.source and os.path.isfile(g.source) and file_sha256(g.source) != recipe.model_sha256:
        print(f"warning: {g.source} differs from the model the recipe was made with (SHA-256 mismatch); "
              "the picture may look different", file=sys.stderr)
    size = tuple(args.size) if args.size else recipe.size or (g.resolution, g.resolution)
    style, cam = recipe.style, recipe.camera
    if ext == ".npy":
        _save_npy_atomic(args.out, render_camera(g, style, cam, (size[0], size[1])))
    else:
        bits = getattr(args, "bits", 8)
        with cluster_from_args(args) as cluster:
            export_image(g, spec_styles(g, style), args.out, (size[0], size[1]), camera=cam, noise=style.noise,
                         ablate=style.ablate, recipe=make_recipe(g, (size[0], size[1]), cam, style, bits=bits),
                         bits=bits, pyramid=getattr(args, "pyramid", False),
                         source=_band_source(cluster, g, args, style, cam, None, (size[0], size[1]), bits))
    print(f"wrote {args.out} ({size[0]} x {size[1]}) from the recipe of {args.recipe}")
    return 0


def _run_images(args: argparse.Namespace, tiled: bool) -> int:
    from engine.coords import camera_grid, wrap_blend
    from engine.export import export_image
    from engine.recipes import make_recipe
    from engine.renderer import spec_styles
    from engine.types import StyleSpec

    if args.recipe is not None:
        return _run_recipe(args, tiled)
    if args.checkpoint is None:
        raise CliError(f"{args.command}: give a checkpoint (or 'default'), or --recipe FILE")
    out: Path = args.out
    ext = _check_out(out, tiled)
    g = _load(args)
    cam, grid, size = camera_from_args(g, args)
    ws, anchors = styles_from_args(g, args)
    noise, ablate = args.noise, tuple(args.ablate)
    if ablate:
        bad = [a for a in ablate if a not in g.ablations]
        if bad:
            raise CliError(f"--ablate: the {g.family} family has no {bad[0]} to zero")
    extra: dict[str, Any] = {"bits": getattr(args, "bits", 8)}
    if grid is not None:
        extra["grid_file"] = str(args.grid)
    if ext == ".npy":
        full = grid if grid is not None else camera_grid(cam, *size)
        wrap = wrap_blend(cam, *size) if grid is None else None
        from engine.renderer import render_bands

        res = np.empty((ws.shape[0], 3, size[1], size[0]), np.float32)
        for y0, part in render_bands(g, lambda gr: (ws, None), lambda y, r: full[y:y + r], size[1], size[0],
                                     noise, ablate, wrap=wrap):
            res[:, :, y0:y0 + part.shape[2]] = part
        _save_npy_atomic(out, res)
        print(f"wrote {out} {list(res.shape)}")
        return 0
    with cluster_from_args(args) as cluster:
        for i in range(ws.shape[0]):
            target = _numbered(out, i, ws.shape[0])
            style = StyleSpec(anchors=(anchors[i],), psi=args.psi, cutoff=args.cutoff, noise=noise, ablate=ablate)
            styles = spec_styles(g, style) if anchors else lambda gr, i=i: (ws[i:i + 1], None)
            bits = getattr(args, "bits", 8)
            bar = None
            progress: Any = None
            if tiled:
                from tqdm import tqdm

                bar = tqdm(total=size[1], unit="row", desc=target.name, file=sys.stderr)

                def progress(done: int, total: int, bar: Any = bar) -> None:
                    bar.update(done - bar.n)

            try:
                export_image(g, styles, target, size, camera=cam, grid=grid, noise=noise, ablate=ablate,
                             recipe=make_recipe(g, size, cam, style, **extra), bits=bits, progress=progress,
                             tile_pixels=getattr(args, "tile_pixels", 128 * 128),
                             pyramid=getattr(args, "pyramid", False),
                             journal={"on": True, "off": False}.get(getattr(args, "journal", "auto")),
                             source=_band_source(cluster, g, args, style, cam, grid, size, bits))
            finally:
                if bar is not None:
                    bar.close()
            print(f"wrote {target} ({size[0]} x {size[1]})")
            if args.command == "panorama" and grid is None:
                _print_seam(g, styles, cam, size, noise, ablate)
    return 0


def _band_source(cluster: Cluster | None, g: Generator, args: argparse.Namespace, style: Any, cam: Camera,
                 grid: np.ndarray | None, size: tuple[int, int], bits: int) -> Any:
    """Where an export's bands are rendered: None (here) without --cluster."""
    if cluster is None:
        return None
    from engine.cluster import export_source, model_ref

    return export_source(cluster, model_ref(g, args.device), style, cam, size, grid, bits)


def _print_seam(g: Generator, styles: Any, cam: Any, size: tuple[int, int], noise: str,
                ablate: tuple[str, ...]) -> None:
    from engine.panorama import panorama_geometry, render_seam_check

    s = render_seam_check(g, styles, cam, size[0], size[1], noise, ablate)
    if cam.projection == "cylinder":
        geo = panorama_geometry(cam, *size)
        fade = f"last {geo['blend_columns']:.0f} columns cross-faded into the wrap" if cam.blend > 0 else \
            "no cross-fade"
        print(f"turn: x {geo['x_start']:.4g} .. {geo['x_end']:.4g}, y {geo['y_top']:.4g} .. {geo['y_bottom']:.4g} "
              f"(period {geo['period']:.4g} frame units = {geo['turn_in_heights']:.3g} strip heights), {fade}")
    verdict = "seamless" if s.seamless else "a visible seam"
    print(f"wrap seam: mean |col 0 - col {size[0] - 1}| = {s.seam:.4g}; neighbouring columns: median "
          f"{s.median:.4g}, p90 {s.p90:.4g}, max {s.max:.4g} ({s.pairs} pairs); seam / median = {s.ratio:.3f} "
          f"({verdict})")


def _save_npy_atomic(out: Path, arr: np.ndarray) -> None:
    from engine.image_writers import AtomicFile

    f = AtomicFile(out)
    try:
        np.save(f.file, arr)
        f.commit()
    except BaseException:
        f.abort()
        raise


def run_cli(argv: Sequence[str]) -> int:
    """Parse and run a subcommand; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(list(argv))
    if args.command is None:
        parser.print_help()
        return 0
    try:
        if args.command == "info":
            return cmd_info(args)
        if args.command in ("render", "export", "panorama"):
            return _run_images(args, tiled=args.command != "render")
        if args.command == "video":
            return cmd_video(args)
        if args.command in ("spectrum", "pca", "consistency", "foveate", "srcompare"):
            from engine.cli_analysis import run

            return run(args)
        if args.command == "train":
            from engine.training.cli import run_train

            return int(run_train(args))
    except (CheckpointError, CliError, ValueError, OSError) as e:
        msg = one_line(e)
        print(f"error: {msg}", file=sys.stderr)
        return EXIT_ERROR
    except (KeyboardInterrupt, RenderCancelled):
        print("cancelled: no file written", file=sys.stderr)
        return 130
    parser.error(f"unknown command {args.command}")
    return EXIT_ERROR
