"""Video keyframes on the app side: the list (of `engine.types.Keyframe`), its retiming and its JSON
(engine/video.py's keyframes format)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from engine.serialize import camera_from_json, camera_to_json, style_from_json, style_to_json
from engine.types import Keyframe, VideoSpec

FORMAT = "inr-explorer-keyframes"  # engine.video.FORMAT (a test keeps them equal)
VERSION = 1


def describe(k: Keyframe) -> str:
    """One line about a keyframe for the Keyframes list."""
    c, s = k.camera, k.style
    who = " + ".join(a.label() for a in s.anchors[:2]) + ("…" if len(s.anchors) > 2 else "")
    extra = (f" ψ {s.psi:g}" if s.psi != 1 else "") + (" mixed" if s.layer_table is not None else "") + \
        (" painted" if s.masks is not None else "")
    return f"{who}{extra} · ({c.center[0]:+.2f}, {c.center[1]:+.2f}) ×{c.zoom:.3g} {c.rotation:.0f}°"


@dataclass(frozen=True)
class VideoSettings:
    """What the last video export used (kept with the keyframes)."""

    size: tuple[int, int] | None = None
    fps: float = 24.0
    easing: str = "smooth"


def retimed(keyframes: list[Keyframe], duration: float | None) -> list[Keyframe]:
    """The keyframes with their times rescaled to span ``duration`` from 0 (None: as they are)."""
    if duration is None or not keyframes:
        return list(keyframes)
    t0, span = keyframes[0].time, keyframes[-1].time - keyframes[0].time
    scale = duration / span if span > 0 else 1.0
    return [dataclasses.replace(k, time=(k.time - t0) * scale) for k in keyframes]


def video_spec(keyframes: list[Keyframe], checkpoint: str, video: VideoSettings, size: tuple[int, int],
               duration: float | None = None) -> VideoSpec:
    """The `VideoSpec` of the list (sorted by time, as a keyframes file is read), at ``size``."""
    return VideoSpec(tuple(sorted(retimed(keyframes, duration), key=lambda k: k.time)), size, video.fps,
                     video.easing, checkpoint)


def to_doc(keyframes: list[Keyframe], checkpoint: str, video: VideoSettings,
           duration: float | None = None) -> dict[str, Any]:
    """The keyframes document ``main.py video`` reads; ``duration`` rescales the times to span it from 0."""
    doc: dict[str, Any] = {"format": FORMAT, "version": VERSION, "checkpoint": checkpoint,
                           "fps": video.fps, "easing": video.easing, "keyframes": [
                               {"time": k.time, "camera": camera_to_json(k.camera), "style": style_to_json(k.style)}
                               for k in retimed(keyframes, duration)]}
    if video.size is not None:
        doc["size"] = list(video.size)
    return doc


def from_doc(doc: Any) -> tuple[list[Keyframe], VideoSettings, list[str]]:
    """Keyframes and video settings from a document; unreadable keyframes become warnings."""
    warnings: list[str] = []
    if not isinstance(doc, dict) or not isinstance(doc.get("keyframes"), list):
        return [], VideoSettings(), ["The keyframes section could not be read."]
    out: list[Keyframe] = []
    for i, k in enumerate(doc["keyframes"]):
        try:
            t = float(k.get("time", i))
            if not math.isfinite(t) or t < 0:
                raise ValueError("time must be a finite number >= 0")
            out.append(Keyframe(t, camera_from_json(k.get("camera", {})), style_from_json(k.get("style", {}))))
        except (AttributeError, TypeError, ValueError) as e:
            warnings.append(f"Keyframe {i + 1} was skipped ({e}).")
    out.sort(key=lambda k: k.time)
    video = VideoSettings()
    try:
        size = doc.get("size")
        fps = float(doc.get("fps", 24.0))
        easing = str(doc.get("easing", "smooth"))
        video = VideoSettings(
            (int(size[0]), int(size[1])) if isinstance(size, list) and len(size) == 2 else None,
            fps if math.isfinite(fps) and fps > 0 else 24.0, easing if easing in ("linear", "smooth") else "smooth")
    except (TypeError, ValueError):
        warnings.append("The video settings could not be read; using the defaults.")
    return out, video, warnings
