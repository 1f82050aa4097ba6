"""render, export and panorama: images of a camera and a style, tiled and streamed (optionally on a cluster),
or again from an exported file's recipe."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cli.common import (
    CliError,
    camera_from_args,
    check_out,
    cluster_from_args,
    load_model,
    numbered,
    save_npy_atomic,
    styles_from_args,
)
from engine.types import Camera, ExportRequest, FrozenArray, StyleSpec

if TYPE_CHECKING:
    from engine.cluster import Cluster
    from engine.models.base import Generator


def _run_recipe(args: argparse.Namespace, tiled: bool) -> int:
    """render / export --recipe: the picture an exported file's recipe describes, rendered again."""
    from engine.export import file_sha256
    from engine.recipes import RecipeError, parse_recipe, read_recipe
    from engine.renderer import render_camera

    ext = check_out(args.out, tiled)
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
    g = load_model(args, model)
    if recipe.model_sha256 and g.source and os.path.isfile(g.source) and file_sha256(g.source) != recipe.model_sha256:
        print(f"warning: {g.source} differs from the model the recipe was made with (SHA-256 mismatch); "
              "the picture may look different", file=sys.stderr)
    size = tuple(args.size) if args.size else recipe.size or (g.resolution, g.resolution)
    style, cam = recipe.style, recipe.camera
    if ext == ".npy":
        save_npy_atomic(args.out, render_camera(g, style, cam, (size[0], size[1])))
    else:
        with cluster_from_args(args) as cluster:
            _export(g, export_request(args, style, cam, None, (size[0], size[1]), args.out, {}), cluster, tiled)
    print(f"wrote {args.out} ({size[0]} x {size[1]}) from the recipe of {args.recipe}")
    return 0


def run_images(args: argparse.Namespace, tiled: bool) -> int:
    """render (tiled False: PNG or raw .npy), export and panorama (tiled: PNG or TIFF, journal, pyramid)."""
    from engine.coords import camera_grid, wrap_blend
    from engine.renderer import spec_styles

    if args.recipe is not None:
        return _run_recipe(args, tiled)
    if args.checkpoint is None:
        raise CliError(f"{args.command}: give a checkpoint (or 'default'), or --recipe FILE")
    out: Path = args.out
    ext = check_out(out, tiled)
    g = load_model(args)
    cam, grid, size = camera_from_args(g, args)
    ws, anchors = styles_from_args(g, args)
    noise, ablate = args.noise, tuple(args.ablate)
    if ablate:
        bad = [a for a in ablate if a not in g.ablations]
        if bad:
            raise CliError(f"--ablate: the {g.family} family has no {bad[0]} to zero")
    extra: dict[str, Any] = {} if grid is None else {"grid_file": str(args.grid)}
    if ext == ".npy":
        full = grid if grid is not None else camera_grid(cam, *size)
        wrap = wrap_blend(cam, *size) if grid is None else None
        from engine.renderer import render_bands

        res = np.empty((ws.shape[0], 3, size[1], size[0]), np.float32)
        for y0, part in render_bands(g, lambda gr: (ws, None), lambda y, r: full[y:y + r], size[1], size[0],
                                     noise, ablate, wrap=wrap):
            res[:, :, y0:y0 + part.shape[2]] = part
        save_npy_atomic(out, res)
        print(f"wrote {out} {list(res.shape)}")
        return 0
    with cluster_from_args(args) as cluster:
        for i in range(ws.shape[0]):
            target = numbered(out, i, ws.shape[0])
            style = StyleSpec(anchors=(anchors[i],), psi=args.psi, cutoff=args.cutoff, noise=noise, ablate=ablate)
            _export(g, export_request(args, style, cam, grid, size, target, extra), cluster, tiled)
            print(f"wrote {target} ({size[0]} x {size[1]})")
            if args.command == "panorama" and grid is None:
                _print_seam(g, spec_styles(g, style), cam, size, noise, ablate)
    return 0


def export_request(args: argparse.Namespace, style: StyleSpec, cam: Camera, grid: np.ndarray | None,
                   size: tuple[int, int], out: Path, extra: dict[str, Any]) -> ExportRequest:
    """The `ExportRequest` an image subcommand's options describe (the same type the app's export builds)."""
    return ExportRequest(style, (int(size[0]), int(size[1])), str(out), cam,
                         grid=None if grid is None else FrozenArray(grid), bits=getattr(args, "bits", 8),
                         pyramid=getattr(args, "pyramid", False), tile_pixels=getattr(args, "tile_pixels", 128 * 128),
                         journal={"on": True, "off": False}.get(getattr(args, "journal", "auto")),
                         recipe_extra=json.dumps(extra) if extra else "", device=args.device)


def _export(g: Generator, req: ExportRequest, cluster: Cluster | None, bar: bool = True) -> None:
    """Run ``req`` here or on ``cluster``, with a progress bar of rows."""
    from tqdm import tqdm

    from engine.export import run_export

    with tqdm(total=req.size[1], unit="row", desc=Path(req.out).name, file=sys.stderr, disable=not bar) as rows:
        run_export(g, req, progress=lambda done, total: rows.update(done - rows.n), cluster=cluster)


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
