"""Engine-thread jobs for File → Export: a tiled image of the current view and a keyframe video."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.export import run_export
from engine.video import run_video

if TYPE_CHECKING:
    from collections.abc import Callable

    from app.bridge.jobs import Job
    from engine.models.base import Generator
    from engine.renderer import CancelToken
    from engine.types import ExportRequest, VideoRequest


def image_export(request: ExportRequest) -> Job:
    """Run ``request`` (`engine.export.run_export`) on the engine thread, with its progress as a fraction.

    The engine's writer is atomic: cancel or an error leaves no file and an existing target untouched. The
    recipe (`engine.recipes`: checkpoint hash, camera, full style, and the editable view in
    ``recipe_extra``) goes into the file (PNG text chunk, TIFF description), so File → Open restores it.
    """

    def run(g: Generator | None, token: CancelToken, progress: Callable[[float], None]) -> str:
        if g is None:
            raise ValueError("no model loaded")
        return str(run_export(g, request, cancel=token, progress=lambda done, total: progress(done / total)))

    return run


def video_export(request: VideoRequest) -> Job:
    """Render ``request`` (`engine.video.run_video`) on the engine thread: a video file (.mp4 / .webm / .mkv /
    .avi) or a folder of PNGs."""

    def run(g: Generator | None, token: CancelToken, progress: Callable[[float], None]) -> dict[str, Any]:
        if g is None:
            raise ValueError("no model loaded")
        path = run_video(g, request, cancel=token, progress=lambda done, total: progress(done / total))
        return {"path": str(path), "frames": request.spec.frame_count}

    return run
