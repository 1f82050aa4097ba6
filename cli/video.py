"""video: a keyframes file (or a session) rendered to a video or a folder of PNG frames."""

from __future__ import annotations

import argparse
import sys

from cli.common import CliError, cluster_from_args, load_model


def run_video(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from engine.types import VideoRequest
    from engine.video import run_video as render_video
    from engine.video import spec_from_json

    try:
        spec = spec_from_json(args.keyframes.read_text())
    except OSError as e:
        raise CliError(f"{args.keyframes}: cannot read ({e.strerror or e})") from None
    g = load_model(args, args.checkpoint or spec.checkpoint)
    req = VideoRequest(spec, str(args.out), crf=args.crf, device=args.device)
    with cluster_from_args(args) as cluster, tqdm(total=spec.frame_count, unit="frame", file=sys.stderr) as bar:
        render_video(g, req, progress=lambda done, total: bar.update(done - bar.n), cluster=cluster)
    print(f"wrote {args.out} ({spec.frame_count} frames, {spec.size[0]} x {spec.size[1]}, {spec.fps:g} fps)")
    return 0
