"""Headless command line: info, render, export, panorama, video, analyses (and train); imports no Qt.

Errors print one line to stderr and exit with code 2; nothing is left behind.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from cli.common import EXIT_ERROR, CliError, add_cluster_option, add_export_options, add_precision, add_style_camera
from engine.errors import CheckpointError, RenderCancelled, one_line
from engine.formats import DEFAULT_CRF


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
    add_style_camera(p)
    p = sub.add_parser("export", help="render a large image in tiles (bounded memory) to .png or .tif")
    add_style_camera(p)
    add_export_options(p)
    p = sub.add_parser("panorama", help="export an upright cylinder strip (cross-faded wrap) and check the seam")
    add_style_camera(p)
    p.set_defaults(projection="cylinder")
    add_export_options(p)
    p = sub.add_parser("video", help="render a keyframes .json to .mp4 (H.264) / .webm (VP9) / .mkv / .avi or a "
                                     "folder of PNG frames")
    p.add_argument("keyframes", type=Path, help="keyframes file (format inr-explorer-keyframes)")
    p.add_argument("--out", type=Path, required=True,
                   help="video file (.mp4, .webm, .mkv, .avi) or a folder for PNGs; the recipe goes into its metadata")
    p.add_argument("--crf", type=int, default=DEFAULT_CRF,
                   help=f"H.264 / VP9 quality: lower is better (default {DEFAULT_CRF}: visually lossless; 23 is "
                        "x264's default)")
    p.add_argument("--checkpoint", help="override the keyframes file's checkpoint")
    p.add_argument("--device", default="auto", help="auto (the default), cuda, mps or cpu")
    add_precision(p)
    add_cluster_option(p)
    from cli.analysis import add_parsers

    add_parsers(sub)
    try:
        from cli.train import add_train_parser
    except ImportError:
        pass
    else:
        add_train_parser(sub)
    return parser


def run_cli(argv: Sequence[str]) -> int:
    """Parse and run a subcommand; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(list(argv))
    if args.command is None:
        parser.print_help()
        return 0
    try:
        if args.command == "info":
            from cli.info import run_info

            return run_info(args)
        if args.command in ("render", "export", "panorama"):
            from cli.images import run_images

            return run_images(args, tiled=args.command != "render")
        if args.command == "video":
            from cli.video import run_video

            return run_video(args)
        if args.command in ("spectrum", "pca", "consistency", "foveate", "srcompare"):
            from cli.analysis import run

            return run(args)
        if args.command == "train":
            from cli.train import run_train

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
