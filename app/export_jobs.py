"""Engine-thread jobs for File → Export: a tiled image of the current view and a keyframe video."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.export import export_image
from engine.recipes import make_recipe
from engine.renderer import spec_styles
from engine.video import export_video, spec_from_json

if TYPE_CHECKING:
    from collections.abc import Callable

    from app.jobs import Job
    from engine.models.base import Generator
    from engine.renderer import CancelToken
    from engine.types import Camera, StyleSpec


def image_export(style: StyleSpec, camera: Camera, size: tuple[int, int], out: str, bits: int = 8,
                 journal: bool | None = None, pyramid: bool = False, view: dict[str, Any] | None = None,
                 cluster: str = "") -> Job:
    """Render ``style`` through ``camera`` at ``size`` in row bands into ``out`` (.png or tiled .tif, 8/16 bit;
    ``pyramid``: a TIFF with reduced levels).

    The engine's writer is atomic: cancel or an error leaves no file and an existing ``out`` untouched.
    The recipe (`engine.recipes`: checkpoint hash, camera, full style, and the editable ``view``) goes into
    the file (PNG text chunk, TIFF description), so File → Open restores it. ``cluster`` (a Dask scheduler
    address or local:N) renders the bands on its workers (`engine.cluster`), with the same pixels.
    """

    def run(g: Generator | None, token: CancelToken, progress: Callable[[float], None]) -> str:
        if g is None:
            raise ValueError("no model loaded")
        recipe = make_recipe(g, size, camera, style, bits=bits, **({"view": view} if view else {}))
        with contextlib.ExitStack() as stack:
            source = None
            if cluster:
                from engine.cluster import Cluster, export_source, model_ref

                c = stack.enter_context(Cluster(cluster))
                source = export_source(c, model_ref(g), style, camera, size, bits=bits, cancel=token)
            path = export_image(g, spec_styles(g, style), out, size, camera=camera, noise=style.noise,
                                ablate=style.ablate, recipe=recipe, bits=bits, cancel=token,
                                progress=lambda done, total: progress(done / total), journal=journal,
                                pyramid=pyramid, source=source)
        return str(path)

    return run


def video_export(keyframes_json: str, out: str) -> Job:
    """Render a keyframes document (engine/video.py's format) to a video file (.mp4 / .webm / .mkv / .avi) or a
    folder of PNGs."""

    def run(g: Generator | None, token: CancelToken, progress: Callable[[float], None]) -> dict[str, Any]:
        if g is None:
            raise ValueError("no model loaded")
        spec = spec_from_json(keyframes_json)
        path = export_video(g, spec, Path(out), cancel=token,
                            progress=lambda done, total: progress(done / total))
        return {"path": str(path), "frames": spec.frame_count}

    return run
