"""Video export: keyframes of (camera, style) interpolated over time, rendered frame by frame.

Written with PyAV (FFmpeg's encoders, shipped in its wheels): .mp4 / .mkv as H.264 (yuv420p, CRF), .webm as
VP9, .avi as MJPEG, with the recipe in the container metadata; or as a PNG sequence (``--out frames/`` or a
name containing ``%05d``), the recipe in each PNG. Cancel or an error leaves no partial video.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from engine.formats import DEFAULT_CRF, VIDEO_FORMATS
from engine.renderer import CancelToken, render_camera, to_uint8
from engine.serialize import camera_from_json, camera_to_json, style_from_json, style_to_json
from engine.styles import sample_masks
from engine.types import Anchor, Camera, FrozenArray, Keyframe, StyleSpec, VideoRequest, VideoSpec

if TYPE_CHECKING:
    from av.video.stream import VideoStream

    from engine.cluster import Cluster
    from engine.models.base import Generator

FORMAT = "inr-explorer-keyframes"


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
    if len(size) != 2:
        raise ValueError(f"size: expected two positive integers, got {doc.get('size')}")
    return VideoSpec(kfs, (size[0], size[1]), float(doc.get("fps", 24)), str(doc.get("easing", "smooth")),
                     str(doc.get("checkpoint", "default")))


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


MAX_MASK_SIDE = 2048  # resolution cap of the common raster two keyframes' masks are blended on


def _blend_masks(sa: StyleSpec, sb: StyleSpec, anchors: tuple[Anchor, ...], t: float) -> dict[str, Any]:
    """StyleSpec mask fields for (1 - t)·masks(a) + t·masks(b) over the union anchors.

    Each keyframe's masks keep their own anchor and layer range; both sets are resampled onto one raster
    covering the union of their extents (at the finer of the two resolutions) and weighted, so masks of
    different extents and sizes interpolate correctly. Painted weights add per anchor in `resolve_style`.
    """
    parts = []
    for style, weight in ((sa, 1.0 - t), (sb, t)):
        if style.masks is None or weight == 0.0:
            continue
        m = style.masks.array
        idx = style.mask_anchors or tuple(range(m.shape[0]))
        layers = style.mask_layers or (None,) * m.shape[0]
        parts.append((m * weight, style.mask_extent, tuple(anchors.index(style.anchors[a]) for a in idx), layers))
    if not parts:
        return {"masks": None, "mask_anchors": None, "mask_layers": None}
    x0 = min(p[1][0] for p in parts)
    y0 = min(p[1][1] for p in parts)
    x1 = max(p[1][2] for p in parts)
    y1 = max(p[1][3] for p in parts)
    step = min(min((p[1][2] - p[1][0]) / p[0].shape[2], (p[1][3] - p[1][1]) / p[0].shape[1]) for p in parts)
    step = max(step, (x1 - x0) / MAX_MASK_SIDE, (y1 - y0) / MAX_MASK_SIDE)
    w, h = max(1, round((x1 - x0) / step)), max(1, round((y1 - y0) / step))
    xs = x0 + (np.arange(w) + 0.5) * (x1 - x0) / w
    ys = y0 + (np.arange(h) + 0.5) * (y1 - y0) / h
    grid = np.stack(np.meshgrid(xs, ys), -1).astype(np.float32)
    masks = np.concatenate([sample_masks(m, ext, grid).transpose(2, 0, 1) for m, ext, _, _ in parts])
    return {"masks": FrozenArray(masks), "mask_extent": (x0, y0, x1, y1),
            "mask_anchors": sum((p[2] for p in parts), ()), "mask_layers": sum((tuple(p[3]) for p in parts), ())}


def interpolate(a: Keyframe, b: Keyframe, t: float, num_ws: int) -> tuple[Camera, StyleSpec]:
    """State at fraction t in [0, 1] between keyframes: centre and rotation linear, zoom geometric, ψ linear,
    per-layer anchor weights (and painted masks) linear over the union of both keyframes' anchors."""
    ca, cb = a.camera, b.camera
    if t <= 0.0 or t >= 1.0:  # keyframes themselves render exactly as captured
        return (ca, a.style) if t <= 0.0 else (cb, b.style)
    cam = Camera(center=(ca.center[0] + t * (cb.center[0] - ca.center[0]),
                         ca.center[1] + t * (cb.center[1] - ca.center[1])),
                 zoom=math.exp(math.log(ca.zoom) + t * (math.log(cb.zoom) - math.log(ca.zoom))),
                 rotation=ca.rotation + t * (cb.rotation - ca.rotation), projection=ca.projection,
                 blend=ca.blend + t * (cb.blend - ca.blend))
    sa, sb = a.style, b.style
    anchors = _union_anchors(sa, sb)
    table = (1 - t) * _weights_on(sa, anchors, num_ws) + t * _weights_on(sb, anchors, num_ws)
    style = replace(sa, anchors=anchors, mix=None, layer_table=FrozenArray(table),
                    psi=sa.psi + t * (sb.psi - sa.psi), cutoff=sa.cutoff if t < 0.5 else sb.cutoff,
                    **_blend_masks(sa, sb, anchors, t))
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
    return to_uint8(render_camera(g, style, cam, spec.size, cancel=cancel)[0])


# container suffix -> (encoder, pixel format, options), from the one format table
CODECS: dict[str, tuple[str, str, dict[str, str]]] = {f.suffix: (f.codec, f.pix_fmt, dict(f.options))
                                                      for f in VIDEO_FORMATS}
METADATA_KEY = "comment"  # the recipe (JSON) in the container's metadata; MP4 stores it as ©cmt


def open_encoder(out: Path, size: tuple[int, int], fps: float, crf: int = DEFAULT_CRF,
                 metadata: dict[str, str] | None = None) -> tuple[Any, Any]:
    """(container, stream) writing ``out`` with the suffix's encoder (`CODECS`). Odd sizes are padded to
    even by the caller (4:2:0 chroma needs even sides). A missing encoder is an OSError that says so."""
    import av

    spec = CODECS.get(out.suffix.lower())
    if spec is None:
        raise ValueError(f"out: unsupported video type {out.suffix!r} (use {', '.join(CODECS)}, or a folder for PNGs)")
    codec, pix, options = spec
    try:
        av.codec.Codec(codec, "w")
    except av.codec.codec.UnknownCodecError:  # this build has no such encoder
        raise OSError(f"{out}: this PyAV build has no {codec} encoder for {out.suffix} "
                      "(write another video type or a PNG sequence to a folder)") from None
    container = av.open(str(out), mode="w", format={".mkv": "matroska"}.get(out.suffix.lower()))
    try:
        # a video codec (CODECS): PyAV types add_stream by codec name only for literal names
        stream = cast("VideoStream", container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001)))
        stream.width, stream.height = even(size[0]), even(size[1])
        stream.pix_fmt = pix
        opts: dict[str, object] = dict(options)  # the type of stream.options
        if codec != "mjpeg":
            opts["crf"] = str(int(crf))
        else:
            stream.codec_context.qmin = stream.codec_context.qmax = 2  # near-lossless MJPEG
        stream.options = opts
        for k, v in (metadata or {}).items():
            container.metadata[k] = v
    except BaseException:
        container.close()
        raise
    return container, stream


def even(n: int) -> int:
    return n + (n & 1)


class _FrameSink:
    """Where frames go: a video file through PyAV (temp then rename) or numbered PNGs in a folder."""

    def __init__(self, out: Path, size: tuple[int, int], fps: float, crf: int = DEFAULT_CRF,
                 recipe: dict[str, Any] | None = None) -> None:
        self.out = out
        self.pattern: str | None = None
        self.container: Any = None
        self.written: list[Path] = []
        self.recipe = recipe
        if out.suffix == "" or "%" in out.name:
            folder = out if out.suffix == "" else out.parent
            folder.mkdir(parents=True, exist_ok=True)
            self.pattern = str(out / "frame_%05d.png") if out.suffix == "" else str(out)
            return
        self.tmp = out.with_name(f".{out.stem}.part{out.suffix}")
        meta = {METADATA_KEY: json.dumps(recipe, separators=(",", ":"))} if recipe else None
        self.container, self.stream = open_encoder(self.tmp, size, fps, crf, meta)
        self.codec = self.stream.codec_context.name

    def add(self, rgb: np.ndarray, index: int) -> None:
        if self.pattern is not None:
            from PIL import Image

            path = Path(self.pattern % index)
            info = None
            if self.recipe:
                from PIL.PngImagePlugin import PngInfo

                info = PngInfo()
                info.add_text("inr-explorer-recipe", json.dumps({**self.recipe, "frame": index}))
            Image.fromarray(rgb).save(path, pnginfo=info)
            self.written.append(path)
            return
        import av

        h, w = rgb.shape[:2]
        if (h | w) & 1:  # 4:2:0 needs even sides: repeat the last row / column
            rgb = np.pad(rgb, ((0, h & 1), (0, w & 1), (0, 0)), mode="edge")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def finish(self) -> None:
        if self.container is not None:
            for packet in self.stream.encode():  # flush the encoder's delayed frames
                self.container.mux(packet)
            self.container.close()
            self.container = None
            self.tmp.replace(self.out)

    def abort(self) -> None:
        if self.container is not None:
            import av

            with contextlib.suppress(OSError, av.error.FFmpegError):  # a half-written file may not close
                self.container.close()
            self.container = None
            self.tmp.unlink(missing_ok=True)
        for p in self.written:
            p.unlink(missing_ok=True)


def read_video_recipe(path: str | Path) -> dict[str, Any] | None:
    """The recipe a video export stored in its container metadata (None when it has none)."""
    import av

    with av.open(str(path)) as c:  # Matroska / WebM store tag names upper-case
        text = next((v for k, v in c.metadata.items() if k.lower() == METADATA_KEY), None)
    if not text:
        return None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict) else None


def spec_to_json(spec: VideoSpec) -> dict[str, Any]:
    """The keyframes document of a spec (what `spec_from_json` reads)."""
    return {"format": FORMAT, "checkpoint": spec.checkpoint, "size": list(spec.size), "fps": spec.fps,
            "easing": spec.easing, "keyframes": [{"time": k.time, "camera": camera_to_json(k.camera),
                                                  "style": style_to_json(k.style)} for k in spec.keyframes]}


def export_video(g: Generator, spec: VideoSpec, out: str | Path, cancel: CancelToken | None = None,
                 progress: Callable[[int, int], None] | None = None, crf: int = DEFAULT_CRF,
                 source: Callable[[Sequence[int]], Iterator[np.ndarray]] | None = None) -> Path:
    """Render every frame of ``spec`` to ``out``; returns the path (the folder for PNG sequences).

    The recipe (model path and hash, the keyframes document) goes into the container's metadata, or into
    each PNG of a sequence. ``crf``: the H.264 / VP9 quality (lower is better; 18 is visually lossless).
    ``source`` renders the frames elsewhere (`engine.cluster.video_source`): given the frame indices, it
    yields their uint8 frames in that order.
    """
    from engine.recipes import make_recipe

    out = Path(out)
    first = spec.keyframes[0]
    recipe = make_recipe(g, spec.size, first.camera, first.style, video=spec_to_json(spec))
    frames = range(spec.frame_count)
    rendered = source(frames) if source is not None else (render_frame(g, spec, i, cancel) for i in frames)
    sink = _FrameSink(out, spec.size, spec.fps, crf, recipe)
    try:
        for i in frames:
            if cancel is not None:
                cancel.check()
            sink.add(next(rendered), i)
            if progress is not None:
                progress(i + 1, spec.frame_count)
        sink.finish()
    except BaseException:
        sink.abort()
        raise
    finally:
        close = getattr(rendered, "close", None)
        if close is not None:
            close()  # a remote source cancels what is still in flight
    return out


def run_video(g: Generator, req: VideoRequest, cancel: CancelToken | None = None,
              progress: Callable[[int, int], None] | None = None, cluster: Cluster | None = None) -> Path:
    """Run one `VideoRequest` with `export_video`, the frames rendered here or on ``cluster`` / the request's
    cluster (opened for this video and closed after it)."""
    from engine.cluster import model_ref, using, video_source

    with using(cluster, req.cluster) as on:
        source = None if on is None else video_source(on, model_ref(g, req.device), req.spec, cancel)
        return export_video(g, req.spec, req.out, cancel=cancel, progress=progress, crf=req.crf, source=source)
