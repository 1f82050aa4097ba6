"""Session files (.json): model path + hash, camera, anchors, weights, panels; tolerant reading."""

from __future__ import annotations

import base64
import json
import math
import os
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.state.masks import painting_from_json, painting_to_json
from app.state.view_state import INTERPOLATIONS, ViewState
from engine.serialize import (
    anchor_from_json,
    anchor_to_json,
    camera_from_json,
    camera_to_json,
)
from engine.types import PRECISIONS, Anchor, Camera, StyleSpec

FORMAT = "inr-explorer-session"
VERSION = 1


class SessionError(Exception):
    """The file is not a session at all (unreadable, not JSON, wrong format)."""


@dataclass
class Session:
    """A saved working state; ``warnings`` lists what could not be read back (shown to the user)."""

    state: ViewState = field(default_factory=ViewState)
    model_path: str = ""
    model_sha256: str = ""
    device: str = "auto"
    active: int = 0
    quality: float = 0.5
    overlay: bool = True
    precision: str = "float32"  # of interactive frames (View → Render Quality)
    window_state: bytes = b""
    version: int = VERSION
    warnings: list[str] = field(default_factory=list)
    keyframes: dict[str, Any] | None = None  # engine/video.py's keyframes document (main.py video reads it)


def style_to_json(s: ViewState) -> dict[str, Any]:
    return {"anchors": [anchor_to_json(a) for a in s.anchors], "weights": list(s.weights),
            "interp": s.interp, "psi": s.psi, "cutoff": s.cutoff, "ablate": list(s.ablate),
            "layer_table": None if s.layer_table is None else [list(r) for r in s.layer_table],
            "paint": painting_to_json(s.painting)}


def style_json_from_spec(spec: StyleSpec) -> dict[str, Any]:
    """A session style section for a StyleSpec (a recipe written without the app's view): the mix becomes
    the sliders, the layer table the mixing table; painted masks have no tiles to restore."""
    mix = spec.mix if spec.mix is not None else (1.0,) + (0.0,) * (len(spec.anchors) - 1)
    peak = max(mix) or 1.0
    return {"anchors": [anchor_to_json(a) for a in spec.anchors], "weights": [m / peak for m in mix],
            "interp": spec.interp, "psi": spec.psi, "cutoff": spec.cutoff, "ablate": list(spec.ablate),
            "layer_table": None if spec.layer_table is None else spec.layer_table.array.tolist()}


def mixing_from_json(style: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """ViewState fields layer_table and painting from a session's style section (damage -> a warning)."""
    out: dict[str, Any] = {}
    table = style.get("layer_table")
    if table is not None:
        try:
            rows = tuple(tuple(float(v) for v in row) for row in table)
            if not rows or not all(math.isfinite(v) and v >= 0 for r in rows for v in r):
                raise ValueError("weights must be finite and >= 0")
            out["layer_table"] = rows
        except (TypeError, ValueError) as e:
            warnings.append(f"The per-layer mixing table was skipped ({e}).")
    try:
        out["painting"] = painting_from_json(style.get("paint"))
    except (TypeError, ValueError, KeyError, IndexError, zlib.error) as e:
        warnings.append(f"The painted masks were skipped ({e}).")
    return out


def to_json(session: Session) -> str:
    s = session.state
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "model": {"path": session.model_path, "sha256": session.model_sha256, "device": session.device},
        "camera": camera_to_json(s.camera),
        "style": style_to_json(s) | {"active": session.active},
        "render": {"quality": session.quality, "overlay": session.overlay, "precision": session.precision},
        "panels": {"window_state": base64.b64encode(session.window_state).decode("ascii")},
    }
    if session.keyframes:
        doc["keyframes"] = session.keyframes
    return json.dumps(doc, indent=1)


def _section(doc: dict[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def _list(doc: dict[str, Any], key: str) -> list[Any]:
    value = doc.get(key)
    return value if isinstance(value, list) else []


def from_json(text: str) -> Session:
    """Parse a session; damaged or unknown parts become warnings, never exceptions (except not-a-session)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise SessionError(f"not a session file (invalid JSON: {e.msg} at line {e.lineno})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SessionError("not an inr-explorer session file")
    out = Session()
    version = doc.get("version")
    if not isinstance(version, int) or version > VERSION:
        out.warnings.append(f"This session was saved by a newer version of the app (format {version}); "
                            "opening the parts this version understands.")
    out.version = version if isinstance(version, int) else VERSION
    model = _section(doc, "model")
    out.model_path = str(model.get("path") or "")
    out.model_sha256 = str(model.get("sha256") or "")
    out.device = str(model.get("device") or "auto")
    camera = Camera()
    try:
        camera = camera_from_json(doc["camera"])
    except (KeyError, TypeError, ValueError):
        out.warnings.append("The camera could not be read; using the default view.")
    style = _section(doc, "style")
    anchors: list[Anchor] = []
    weights: list[float] = []
    raw_anchors, raw_weights = _list(style, "anchors"), _list(style, "weights")
    for i, a in enumerate(raw_anchors):
        try:
            anchor = anchor_from_json(a)
            w = float(raw_weights[i]) if i < len(raw_weights) else 0.0
        except (TypeError, ValueError) as e:
            out.warnings.append(f"Anchor {i + 1} was skipped ({e}).")
            continue
        anchors.append(anchor)
        weights.append(min(max(w, 0.0), 1.0) if math.isfinite(w) else 0.0)
    if not anchors:
        anchors, weights = [Anchor(seed=0)], [1.0]
        if style:
            out.warnings.append("No usable anchors; using seed 0.")
    interp = style.get("interp", "lerp-w")
    if interp not in INTERPOLATIONS:
        out.warnings.append(f"Unknown interpolation {interp!r}; using lerp in W.")
        interp = "lerp-w"
    psi, cutoff = 1.0, None
    try:
        psi = float(style.get("psi", 1.0))
        psi = psi if math.isfinite(psi) else 1.0
        cutoff = None if style.get("cutoff") is None else max(int(style["cutoff"]), 0) or None
    except (TypeError, ValueError):
        out.warnings.append("Truncation settings could not be read; using ψ = 1.")
    raw_ablate = style.get("ablate", [])
    ablate = tuple(a for a in ("embedding", "fourier") if isinstance(raw_ablate, list) and a in raw_ablate)
    out.state = ViewState(camera=camera, anchors=tuple(anchors), weights=tuple(weights), interp=interp,
                          psi=psi, cutoff=cutoff, ablate=ablate, **mixing_from_json(style, out.warnings))
    try:
        out.active = min(max(int(style.get("active", 0)), 0), len(anchors) - 1)
    except (TypeError, ValueError):
        out.active = 0
    render = _section(doc, "render")
    try:
        out.quality = float(render.get("quality", 0.5))
        out.overlay = bool(render.get("overlay", True))
        precision = str(render.get("precision", "float32"))
        out.precision = precision if precision in PRECISIONS else "float32"
    except (TypeError, ValueError):
        pass
    keyframes = doc.get("keyframes")
    out.keyframes = keyframes if isinstance(keyframes, dict) else None
    panels = _section(doc, "panels")
    try:
        out.window_state = base64.b64decode(str(panels.get("window_state", "")), validate=True)
    except ValueError:
        out.window_state = b""
    return out


def read(path: str | Path) -> Session:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SessionError(f"{path}: cannot read ({getattr(e, 'strerror', None) or e})") from None
    return from_json(text)


def write_atomic(path: str | Path, text: str) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a session."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
