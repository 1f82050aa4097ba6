"""Recipes: what reproduces an exported image or video, written into the file and read back from it.

One schema for every writer (GUI save and export, CLI render / export / panorama, video):

    {"format": "inr-explorer-recipe", "version": 2, "app": ...,
     "model": {"path", "sha256", "family"}, "size": [W, H], "camera": {...}, "style": {...} (a StyleSpec),
     "precision": "float32", optional "bits", "video" (a keyframes document), "view" (the GUI's editable
     state: sliders, painted tiles), "command"}

``style`` alone renders the picture exactly (`engine.serialize.style_from_json`); ``view`` lets the app
restore what the user edited. Recipes live in a PNG's iTXt chunk, a TIFF's ImageDescription, a video's
container metadata (`engine.video.METADATA_KEY`). `parse_recipe` also reads the three layouts written
before version 2 (the app's saved PNGs, its exports, the CLI's).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.serialize import camera_from_json, camera_to_json, style_from_json, style_to_json
from engine.types import Anchor, Camera, StyleSpec

if TYPE_CHECKING:
    from engine.models.base import Generator

FORMAT = "inr-explorer-recipe"
VERSION = 2
APP_ID = "inr-explorer 0.1"
KEY = "inr-explorer-recipe"  # PNG text chunk key (engine.image_writers.RECIPE_KEY)
IMAGE_SUFFIXES = (".png", ".tif", ".tiff")
VIDEO_SUFFIXES = (".mp4", ".webm", ".mkv", ".avi")
SUFFIXES = IMAGE_SUFFIXES + VIDEO_SUFFIXES
MAX_RECIPE_BYTES = 64 * 2**20  # a recipe text larger than this is refused (decompression-bomb guard)


class RecipeError(ValueError):
    """The file holds no readable recipe."""


def make_recipe(g: Generator, size: tuple[int, int], camera: Camera, style: StyleSpec, **extra: Any) -> dict[str, Any]:
    """The recipe of a render of ``g`` (model path and SHA-256, family, precision) plus ``extra`` fields."""
    from engine.export import file_sha256

    sha = file_sha256(g.source) if g.source and os.path.isfile(g.source) else ""
    return recipe_doc({"path": g.source, "sha256": sha, "family": g.family}, size, camera, style,
                      precision=g.precision, **extra)


def recipe_doc(model: dict[str, Any], size: tuple[int, int], camera: Camera, style: StyleSpec,
               **extra: Any) -> dict[str, Any]:
    """The recipe document from its parts (``model``: path, sha256, family) — for writers without the generator."""
    return {"format": FORMAT, "version": VERSION, "app": APP_ID, "model": {k: v for k, v in model.items() if v},
            "size": [int(size[0]), int(size[1])], "camera": camera_to_json(camera), "style": style_to_json(style),
            "precision": "float32", **extra}


@dataclass(frozen=True)
class Recipe:
    """A parsed recipe; ``warnings`` lists what could not be read (the rest is usable)."""

    model_path: str
    model_sha256: str
    family: str
    size: tuple[int, int] | None
    camera: Camera
    style: StyleSpec
    precision: str = "float32"
    view: dict[str, Any] | None = None  # the GUI's editable state (a session's style section), if it wrote one
    video: dict[str, Any] | None = None
    doc: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def parse_recipe(doc: Any) -> Recipe:
    """Read a recipe document of any version; raises RecipeError when it is not one at all."""
    if not isinstance(doc, dict) or not ({"model", "checkpoint", "style", "seeds", "video"} & set(doc)):
        raise RecipeError("no inr-explorer recipe in this file")
    warnings: list[str] = []
    if isinstance(doc.get("version"), int) and doc["version"] > VERSION and doc.get("format") == FORMAT:
        warnings.append(f"The recipe was written by a newer version (format {doc['version']}); "
                        "reading the parts this version understands.")
    model = m if isinstance(m := doc.get("model"), dict) else {}
    path = str(model.get("path") or doc.get("checkpoint") or "")
    sha = str(model.get("sha256") or doc.get("checkpoint_sha256") or "")
    family = str(model.get("family") or doc.get("family") or "")
    camera = Camera()
    if "camera" in doc:
        try:
            camera = camera_from_json(doc["camera"])
        except (TypeError, ValueError) as e:
            warnings.append(f"The camera could not be read ({e}); using the default view.")
    view = None
    style = StyleSpec()
    raw = doc.get("style")
    if isinstance(raw, dict) and "weights" in raw and "mix" not in raw:  # version 1 of the app's saved PNGs
        view, style = raw, _style_from_view(raw, warnings)
    elif isinstance(raw, dict):
        try:
            style = style_from_json(raw)
        except (TypeError, ValueError, KeyError) as e:
            warnings.append(f"The style could not be read ({e}); using seed 0.")
    elif "seeds" in doc or "z" in doc:  # the CLI's recipes before version 2
        style = _style_from_cli(doc, warnings)
    if isinstance(doc.get("view"), dict):
        view = doc["view"]
    size = None
    try:
        if doc.get("size") is not None:
            w, h = (int(v) for v in doc["size"])
            size = (w, h) if w >= 1 and h >= 1 else None
    except (TypeError, ValueError):
        warnings.append("The image size could not be read.")
    precision = str(doc.get("precision") or "float32")
    video = doc.get("video") if isinstance(doc.get("video"), dict) else None
    return Recipe(path, sha, family, size, camera, style, precision, view, video, doc, tuple(warnings))


def _style_from_cli(doc: dict[str, Any], warnings: list[str]) -> StyleSpec:
    try:
        if doc.get("z") is not None:
            import numpy as np

            from engine.types import FrozenArray

            z = np.asarray(doc["z"], np.float32)
            anchor = Anchor(seed=None, z=FrozenArray(z[int(doc.get("sample", 0))] if z.ndim == 2 else z))
        else:
            anchor = Anchor(seed=int(doc.get("seed", (doc.get("seeds") or [0])[0])))
        cutoff = doc.get("cutoff")
        return StyleSpec(anchors=(anchor,), psi=float(doc.get("psi", 1.0)),
                         cutoff=None if cutoff is None else int(cutoff),
                         noise=str(doc.get("noise", "none")), ablate=tuple(str(a) for a in doc.get("ablate", ())))
    except (TypeError, ValueError, IndexError) as e:
        warnings.append(f"The latent could not be read ({e}); using seed 0.")
        return StyleSpec()


def _style_from_view(view: dict[str, Any], warnings: list[str]) -> StyleSpec:
    """A renderable StyleSpec from the GUI's view section (anchors, slider weights, psi): version 1 PNGs."""
    from engine.serialize import anchor_from_json

    try:
        anchors = tuple(anchor_from_json(a) for a in view.get("anchors", [{"seed": 0}]))
        weights = [max(float(w), 0.0) for w in view.get("weights", [1.0])]
        total = sum(weights)
        mix = tuple(w / total for w in weights) if total > 0 and len(weights) == len(anchors) else None
        cutoff = view.get("cutoff")
        return StyleSpec(anchors=anchors, mix=mix, interp=str(view.get("interp", "lerp-w")),
                         psi=float(view.get("psi", 1.0)), cutoff=None if cutoff is None else int(cutoff),
                         ablate=tuple(str(a) for a in view.get("ablate", ())))
    except (TypeError, ValueError) as e:
        warnings.append(f"The style could not be read ({e}); using seed 0.")
        return StyleSpec()


def _png_recipe(path: Path) -> str | None:
    """The recipe text of a PNG: the private inRe chunk (a long recipe, whole) or the iTXt / tEXt / zTXt."""
    from engine.image_writers import RECIPE_CHUNK, png_chunks

    text = None
    for kind, data in png_chunks(path, (RECIPE_CHUNK, b"iTXt", b"tEXt", b"zTXt")):
        if kind == RECIPE_CHUNK:
            return _inflate(data, path).decode("utf-8")
        key, _, rest = data.partition(b"\0")
        if key.decode("latin-1") != KEY or text is not None:
            continue
        if kind == b"tEXt":
            text = rest.decode("latin-1")
        elif kind == b"zTXt":
            text = _inflate(rest[1:], path).decode("latin-1")
        else:  # iTXt: compression flag, method, language tag \0, translated keyword \0, text
            flag, body = rest[0], rest[2:]
            body = body.split(b"\0", 2)[2]
            text = (_inflate(body, path) if flag else body).decode("utf-8")
    return text


def _inflate(data: bytes, path: Path) -> bytes:
    """zlib data, at most MAX_RECIPE_BYTES of it (a decompression-bomb guard)."""
    import zlib

    d = zlib.decompressobj()
    raw = d.decompress(data, MAX_RECIPE_BYTES)
    if d.unconsumed_tail:
        raise RecipeError(f"{path.name}: its recipe is larger than {MAX_RECIPE_BYTES >> 20} MB")
    return raw


def read_recipe_doc(path: str | Path) -> dict[str, Any]:
    """The recipe JSON stored in an exported PNG / TIFF / video; RecipeError when there is none."""
    p = Path(path)
    suffix = p.suffix.lower()
    try:
        if suffix == ".png":
            text = _png_recipe(p)
        elif suffix in (".tif", ".tiff"):
            import tifffile

            with tifffile.TiffFile(p) as tif:
                text = tif.pages[0].description
        elif suffix in VIDEO_SUFFIXES:
            from engine.video import read_video_recipe

            doc = read_video_recipe(p)
            text = json.dumps(doc) if doc is not None else None
        else:
            raise RecipeError(f"{p.name}: not an image or video type that carries a recipe ({', '.join(SUFFIXES)})")
    except RecipeError:
        raise
    except Exception as e:  # a damaged or foreign file: Pillow, tifffile and PyAV each raise their own
        first = str(e).splitlines()[0] if str(e) else ""
        raise RecipeError(f"{p.name}: cannot be read ({type(e).__name__}: {first})") from None
    if not text:
        raise RecipeError(f"{p.name}: no inr-explorer recipe in this file")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        raise RecipeError(f"{p.name}: its recipe is not valid JSON") from None
    if not isinstance(doc, dict):
        raise RecipeError(f"{p.name}: no inr-explorer recipe in this file")
    return doc


def read_recipe(path: str | Path) -> Recipe:
    """`parse_recipe` of the recipe stored in ``path``."""
    try:
        return parse_recipe(read_recipe_doc(path))
    except RecipeError as e:
        msg = str(e)
        raise RecipeError(msg if msg.startswith(Path(path).name) else f"{Path(path).name}: {msg}") from None
