"""Video export: keyframes of (camera, style) interpolated over time, rendered frame by frame.

Written with OpenCV's VideoWriter (.mp4: H.264 when the OpenCV build has it, else MPEG-4 Part 2 'mp4v';
.avi: MJPG) or as a PNG sequence (``--out frames/`` or a name containing ``%05d``). Cancel or an error
leaves no partial video.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.coords import camera_grid
from engine.renderer import CancelToken, render_float, to_uint8
from engine.serialize import camera_from_json, style_from_json
from engine.types import Anchor, Camera, FrozenArray, StyleSpec

if TYPE_CHECKING:
    from engine.models.base import Generator

FORMAT = "inr-explorer-keyframes"


@dataclass(frozen=True)
class Keyframe:
    time: float
    camera: Camera
    style: StyleSpec


@dataclass(frozen=True)
class VideoSpec:
    keyframes: tuple[Keyframe, ...]
    size: tuple[int, int] = (256, 256)
    fps: float = 24.0
    easing: str = "smooth"  # "linear" or "smooth" (smoothstep between keyframes)
    checkpoint: str = "default"

    @property
    def duration(self) -> float:
        return self.keyframes[-1].time - self.keyframes[0].time

    @property
    def frame_count(self) -> int:
        return int(round(self.duration * self.fps)) + 1


SESSION_FORMAT = "inr-explorer-session"


def spec_from_json(text: str) -> VideoSpec:
    """Parse a keyframes file: {format, checkpoint, size, fps, easing, keyframes: [{time, camera, style}]}.

    A session file saved by the app is accepted too: its ``keyframes`` section is such a document (its
    checkpoint defaults to the session's model).
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"keyframes: invalid JSON ({e.msg} at line {e.lineno})") from None
    if isinstance(doc, dict) and doc.get("format") == SESSION_FORMAT:
        section = doc.get("keyframes")
        if not isinstance(section, dict):
            raise ValueError("keyframes: this session has no keyframes (add some in the app's Keyframes panel)")
        model = doc.get("model")
        path = model.get("path") if isinstance(model, dict) else None
        doc = {"checkpoint": path or "default", **section}
    if not isinstance(doc, dict) or not isinstance(doc.get("keyframes"), list) or not doc["keyframes"]:
        raise ValueError("keyframes: expected an object with a non-empty 'keyframes' list")
    kfs = tuple(sorted((Keyframe(float(k.get("time", i)), camera_from_json(k.get("camera", {})),
                                 style_from_json(k.get("style", {})))
                        for i, k in enumerate(doc["keyframes"])), key=lambda k: k.time))
    size = tuple(int(v) for v in doc.get("size", (256, 256)))
    fps = float(doc.get("fps", 24))
    easing = str(doc.get("easing", "smooth"))
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"size: expected two positive integers, got {doc.get('size')}")
    if not (math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps: must be positive, got {fps}")
    if easing not in ("linear", "smooth"):
        raise ValueError(f"easing: expected 'linear' or 'smooth', got {easing!r}")
    return VideoSpec(kfs, (size[0], size[1]), fps, easing, str(doc.get("checkpoint", "default")))


def _union_anchors(a: StyleSpec, b: StyleSpec) -> tuple[Anchor, ...]:
    out = list(a.anchors)
    out += [x for x in b.anchors if x not in out]
    return tuple(out)


def _weights_on(style: StyleSpec, anchors: tuple[Anchor, ...], num_ws: int) -> np.ndarray:
    """The style's per-layer anchor weights [num_ws, len(anchors)] (mix broadcast to every layer)."""
    k = len(style.anchors)
    if style.layer_table is not None:
        local = style.layer_table.array
    else:
        mix = np.zeros(k, np.float32)
        if style.mix is None:
            mix[0] = 1.0
        else:
            mix[:] = style.mix
        local = np.broadcast_to(mix, (num_ws, k))
    out = np.zeros((num_ws, len(anchors)), np.float32)
    for i, a in enumerate(style.anchors):
        out[:, anchors.index(a)] += local[:, i]
    return out


def _masks_on(style: StyleSpec, anchors: tuple[Anchor, ...], shape: tuple[int, int]) -> np.ndarray:
    out = np.zeros((len(anchors), *shape), np.float32)
    if style.masks is not None:
        import cv2

        for i, a in enumerate(style.anchors):
            m = style.masks.array[i]
            out[anchors.index(a)] += m if m.shape == shape else cv2.resize(m, shape[::-1], interpolation=cv2.INTER_LINEAR)
    return out


def interpolate(a: Keyframe, b: Keyframe, t: float, num_ws: int) -> tuple[Camera, StyleSpec]:
    """State at fraction t in [0, 1] between keyframes: centre and rotation linear, zoom geometric, ψ linear,
    per-layer anchor weights (and painted masks) linear over the union of both keyframes' anchors."""
    ca, cb = a.camera, b.camera
    cam = Camera(center=(ca.center[0] + t * (cb.center[0] - ca.center[0]), ca.center[1] + t * (cb.center[1] - ca.center[1])),
                 zoom=math.exp(math.log(ca.zoom) + t * (math.log(cb.zoom) - math.log(ca.zoom))),
                 rotation=ca.rotation + t * (cb.rotation - ca.rotation), projection=ca.projection)
    sa, sb = a.style, b.style
    anchors = _union_anchors(sa, sb)
    table = (1 - t) * _weights_on(sa, anchors, num_ws) + t * _weights_on(sb, anchors, num_ws)
    masks = None
    if sa.masks is not None or sb.masks is not None:
        shape = (sa.masks or sb.masks).shape[1:]  # type: ignore[union-attr]
        masks = FrozenArray((1 - t) * _masks_on(sa, anchors, shape) + t * _masks_on(sb, anchors, shape))
    style = replace(sa, anchors=anchors, mix=None, layer_table=FrozenArray(table), masks=masks,
                    psi=sa.psi + t * (sb.psi - sa.psi), cutoff=sa.cutoff if t < 0.5 else sb.cutoff)
    return cam, style


def frame_state(spec: VideoSpec, index: int, num_ws: int) -> tuple[Camera, StyleSpec]:
    """Camera and style of frame `index` (frame 0 = first keyframe, the last frame = the last keyframe)."""
    kfs = spec.keyframes
    if len(kfs) == 1:
        return kfs[0].camera, kfs[0].style
    time = kfs[0].time + min(index / spec.fps, spec.duration)
    j = max(i for i in range(len(kfs) - 1) if kfs[i].time <= time) if time < kfs[-1].time else len(kfs) - 2
    a, b = kfs[j], kfs[j + 1]
    span = b.time - a.time
    t = 1.0 if span <= 0 else min(max((time - a.time) / span, 0.0), 1.0)
    if spec.easing == "smooth":
        t = t * t * (3 - 2 * t)
    return interpolate(a, b, t, num_ws)


def render_frame(g: Generator, spec: VideoSpec, index: int, cancel: CancelToken | None = None) -> np.ndarray:
    cam, style = frame_state(spec, index, g.num_ws)
    return to_uint8(render_float(g, style, camera_grid(cam, *spec.size), cancel)[0])


class _FrameSink:
    """Where frames go: an OpenCV video file (temp then rename) or numbered PNGs in a folder."""

    def __init__(self, out: Path, size: tuple[int, int], fps: float) -> None:
        self.out = out
        self.pattern: str | None = None
        self.writer: Any = None
        self.written: list[Path] = []
        if out.suffix == "" or "%" in out.name:
            folder = out if out.suffix == "" else out.parent
            folder.mkdir(parents=True, exist_ok=True)
            self.pattern = str(out / "frame_%05d.png") if out.suffix == "" else str(out)
            return
        import cv2

        self.tmp = out.with_name(f".{out.stem}.part{out.suffix}")
        codecs = {".mp4": ("avc1", "mp4v"), ".avi": ("MJPG",), ".mkv": ("MJPG",)}.get(out.suffix.lower())
        if codecs is None:
            raise ValueError(f"out: unsupported video type {out.suffix!r} (use .mp4, .avi, or a folder for PNGs)")
        for code in codecs:
            w = cv2.VideoWriter(str(self.tmp), cv2.VideoWriter_fourcc(*code), fps, size)
            if w.isOpened():
                self.writer, self.codec = w, code
                break
        if self.writer is None:
            raise OSError(f"{out}: OpenCV cannot write {out.suffix} here (write a PNG sequence to a folder)")

    def add(self, rgb: np.ndarray, index: int) -> None:
        if self.pattern is not None:
            from PIL import Image

            path = Path(self.pattern % index)
            Image.fromarray(rgb).save(path)
            self.written.append(path)
        else:
            self.writer.write(np.ascontiguousarray(rgb[..., ::-1]))

    def finish(self) -> None:
        if self.writer is not None:
            self.writer.release()
            self.tmp.replace(self.out)

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.release()
            self.tmp.unlink(missing_ok=True)
        for p in self.written:
            p.unlink(missing_ok=True)


def export_video(g: Generator, spec: VideoSpec, out: str | Path, cancel: CancelToken | None = None,
                 progress: Callable[[int, int], None] | None = None) -> Path:
    """Render every frame of ``spec`` to ``out``; returns the path (the folder for PNG sequences)."""
    out = Path(out)
    sink = _FrameSink(out, spec.size, spec.fps)
    try:
        for i in range(spec.frame_count):
            if cancel is not None:
                cancel.check()
            sink.add(render_frame(g, spec, i, cancel), i)
            if progress is not None:
                progress(i + 1, spec.frame_count)
        sink.finish()
    except BaseException:
        sink.abort()
        raise
    return out
