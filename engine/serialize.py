"""JSON forms of the engine's value types (Camera, Anchor, StyleSpec) for sessions, recipes and keyframes."""

from __future__ import annotations

import base64
import math
import zlib
from typing import Any

import numpy as np

from engine.coords import valid_blend
from engine.types import Anchor, Camera, FrozenArray, StyleSpec


def camera_to_json(c: Camera) -> dict[str, Any]:
    d: dict[str, Any] = {"center": [float(c.center[0]), float(c.center[1])], "zoom": float(c.zoom),
                         "rotation": float(c.rotation), "projection": c.projection}
    if c.projection != "plane":  # plane cameras keep their established keys
        d["blend"] = float(c.blend)
    return d


def camera_from_json(d: Any) -> Camera:
    if not isinstance(d, dict):
        raise ValueError("camera: expected an object")
    cx, cy = (float(v) for v in d.get("center", (0.0, 0.0)))
    zoom, rotation = float(d.get("zoom", 1.0)), float(d.get("rotation", 0.0))
    if not all(math.isfinite(v) for v in (cx, cy, zoom, rotation)) or zoom <= 0:
        raise ValueError("camera: centre, zoom and rotation must be finite and zoom > 0")
    blend = float(d.get("blend", Camera.blend))
    if not valid_blend(blend):
        raise ValueError("camera: blend must be a share of the strip width in [0, 0.5]")
    return Camera(center=(cx, cy), zoom=zoom, rotation=rotation, projection=str(d.get("projection", "plane")),
                  blend=blend)


def anchor_to_json(a: Anchor) -> dict[str, Any]:
    if a.seed is not None:
        return {"seed": int(a.seed)}
    if a.z is not None:
        return {"z": a.z.array.tolist()}
    assert a.w is not None
    return {"w": a.w.array.tolist()}


def anchor_from_json(d: Any) -> Anchor:
    if not isinstance(d, dict):
        raise ValueError("anchor: expected an object")
    if "seed" in d:
        seed = int(d["seed"])
        if not 0 <= seed < 2**32:
            raise ValueError(f"anchor seed {seed} out of range")
        return Anchor(seed=seed)
    for key in ("z", "w"):
        if key in d:
            a = np.asarray(d[key], dtype=np.float32)
            if a.ndim not in (1, 2) or a.size == 0 or not np.isfinite(a).all():
                raise ValueError(f"anchor {key}: expected a finite vector or matrix")
            return Anchor(seed=None, **{key: FrozenArray(a)})
    raise ValueError("anchor: needs seed, z or w")


PACK_MIN = 256  # arrays with more values than this are stored packed (zlib + base64 of float32): masks


def _packed(a: np.ndarray) -> Any:
    """Nested lists for small arrays; {"shape", "float32_zlib": base64} for big ones (exact, ~10x smaller)."""
    if a.size <= PACK_MIN:
        return a.tolist()
    data = zlib.compress(np.ascontiguousarray(a, "<f4").tobytes(), 6)
    return {"shape": list(a.shape), "float32_zlib": base64.b64encode(data).decode("ascii")}


def _unpacked(value: Any, name: str) -> np.ndarray:
    if isinstance(value, dict):
        try:
            shape = [int(v) for v in value["shape"]]
            raw = zlib.decompress(base64.b64decode(value["float32_zlib"], validate=True),
                                  bufsize=4 * max(1, math.prod(shape)))
            a = np.frombuffer(raw, "<f4").astype(np.float32)
            return a.reshape(shape)
        except (KeyError, TypeError, ValueError, zlib.error) as e:
            raise ValueError(f"{name}: malformed packed array ({e})") from None
    return np.asarray(value, np.float32)


def _array(value: Any, name: str, ndim: int) -> FrozenArray | None:
    if value is None:
        return None
    a = _unpacked(value, name)
    if a.ndim != ndim or not np.isfinite(a).all():
        raise ValueError(f"{name}: expected a finite {ndim}-D array")
    return FrozenArray(a)


def style_to_json(s: StyleSpec) -> dict[str, Any]:
    return {
        "anchors": [anchor_to_json(a) for a in s.anchors],
        "mix": None if s.mix is None else [float(m) for m in s.mix],
        "interp": s.interp, "psi": float(s.psi), "cutoff": s.cutoff,
        "layer_table": None if s.layer_table is None else s.layer_table.array.tolist(),
        "masks": None if s.masks is None else _packed(s.masks.array),
        "mask_extent": list(s.mask_extent), "noise": s.noise, "ablate": list(s.ablate),
        "mask_anchors": None if s.mask_anchors is None else [int(a) for a in s.mask_anchors],
        "mask_layers": None if s.mask_layers is None else [None if r is None else [int(r[0]), int(r[1])]
                                                           for r in s.mask_layers],
    }


def style_from_json(d: Any) -> StyleSpec:
    if not isinstance(d, dict):
        raise ValueError("style: expected an object")
    anchors = tuple(anchor_from_json(a) for a in d.get("anchors", [{"seed": 0}]))
    mix = d.get("mix")
    cutoff = d.get("cutoff")
    return StyleSpec(
        anchors=anchors,
        mix=None if mix is None else tuple(float(m) for m in mix),
        interp=str(d.get("interp", "lerp-w")), psi=float(d.get("psi", 1.0)),
        cutoff=None if cutoff is None else int(cutoff),
        layer_table=_array(d.get("layer_table"), "layer_table", 2),
        masks=_array(d.get("masks"), "masks", 3),
        mask_extent=tuple(float(v) for v in d.get("mask_extent", (-1.0, -1.0, 1.0, 1.0))),  # type: ignore[arg-type]
        noise=str(d.get("noise", "none")), ablate=tuple(str(a) for a in d.get("ablate", ())),
        mask_anchors=None if d.get("mask_anchors") is None else tuple(int(a) for a in d["mask_anchors"]),
        mask_layers=None if d.get("mask_layers") is None else tuple(
            None if r is None else (int(r[0]), int(r[1])) for r in d["mask_layers"]),
    )
