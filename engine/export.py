"""Tiled high-resolution export: bands of rows are rendered and streamed to an atomic image writer."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.coords import camera_grid, wrap_blend
from engine.image_writers import RECIPE_KEY, open_writer
from engine.renderer import TILE_PIXELS, CancelToken, StylesFn, bands, render_grid, to_uint8
from engine.types import Camera, ExportRequest

if TYPE_CHECKING:
    from engine.cluster import Cluster
    from engine.models.base import Generator

JOURNAL_MIN_PIXELS = 2048 * 2048  # exports at least this big keep finished bands in a sidecar journal


@lru_cache(maxsize=32)
def _sha256(path: str, mtime: float, size: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a checkpoint file (cached by path, mtime and size)."""
    st = os.stat(path)
    return _sha256(str(Path(path).resolve()), st.st_mtime, st.st_size)


def to_uint16(rgb: np.ndarray) -> np.ndarray:
    """Model range [-1, 1] float [3, H, W] -> uint16 [H, W, 3]."""
    x = np.clip((np.asarray(rgb, np.float32) + 1.0) * 32767.5 + 0.5, 0.0, 65535.0)
    return x.astype(np.uint16).transpose(1, 2, 0)


def check_space(out: Path, width: int, height: int, journal: bool, bits: int = 8, pyramid: bool = False) -> None:
    """Refuse before rendering when the target directory cannot possibly hold the result."""
    free = shutil.disk_usage(out.parent if str(out.parent) else ".").free
    raw = width * height * 3 * bits // 8
    # both compress, so only refuse when not even a strongly compressed file fits; a pyramid's levels
    # (a third of the raw size) wait in a scratch file beside the target until the full level is written
    need = raw // 20 + (raw // 3 if pyramid else 0) + (raw if journal else 0)
    if free < need:
        raise OSError(f"{out.parent}: not enough free space ({free / 1e9:.2f} GB free, about "
                      f"{need / 1e9:.2f} GB needed)")


class Journal:
    """Sidecar folder of finished bands (raw .npy) so an interrupted export can resume.

    It lives beside the target as ``.NAME.journal/``, is keyed by everything that defines the pixels, and is
    removed once the target is complete.
    """

    def __init__(self, out: Path, key: str) -> None:
        self.dir = out.with_name(f".{out.name}.journal")
        manifest = self.dir / "manifest.json"
        if self.dir.is_dir():
            try:
                same = json.loads(manifest.read_text()).get("key") == key
            except (OSError, ValueError):
                same = False
            if not same:
                shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(exist_ok=True)
        manifest.write_text(json.dumps({"key": key}))

    def _path(self, y0: int) -> Path:
        return self.dir / f"band_{y0:09d}.npy"

    def has(self, y0: int) -> bool:
        return self._path(y0).is_file()

    def get(self, y0: int, rows: int, width: int) -> np.ndarray | None:
        try:
            band = np.load(self._path(y0), allow_pickle=False)
        except (OSError, ValueError):
            return None
        return band if band.shape[:2] == (rows, width) else None

    def put(self, y0: int, band: np.ndarray) -> None:
        tmp = self.dir / f"tmp_{y0:09d}.npy"
        np.save(tmp, band)
        tmp.replace(self._path(y0))

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _remove_stale_parts(out: Path) -> None:
    """Temporary files of a killed earlier export to the same target (SIGKILL leaves them)."""
    for p in out.parent.glob(f".{out.name}.*.part"):
        p.unlink(missing_ok=True)


BandSource = Callable[[Sequence[tuple[int, int]]], Iterator[np.ndarray]]


def export_band(g: Generator, styles: StylesFn, camera: Camera, grid: np.ndarray | None, size: tuple[int, int],
                y0: int, rows: int, noise: str | Sequence[Any] = "none", ablate: Sequence[str] = (),
                bits: int = 8) -> np.ndarray:
    """Rows y0 .. y0 + rows of an export of ``size`` (W, H) through ``camera`` (or of an explicit grid: ``grid``
    holds just these rows of it), as uint8 / uint16 [rows, W, 3]: what every band of `export_image` is."""
    width, height = size
    if grid is not None:
        coords, wrap = grid, None
    else:
        rect = (0, y0, width, rows)
        coords, wrap = camera_grid(camera, width, height, rect=rect), wrap_blend(camera, width, height, rect=rect)
    part = render_grid(g, styles, coords, noise, ablate, wrap)
    if part.shape[0] != 1:
        raise ValueError("ws: export renders one image at a time (B = 1)")
    return to_uint16(part[0]) if bits == 16 else to_uint8(part[0])


def export_image(
    g: Generator,
    styles: StylesFn,
    out: str | Path,
    size: tuple[int, int],
    camera: Camera | None = None,
    grid: np.ndarray | None = None,
    noise: str | Sequence[Any] = "none",
    ablate: Sequence[str] = (),
    recipe: dict[str, Any] | None = None,
    bits: int = 8,
    cancel: CancelToken | None = None,
    progress: Callable[[int, int], None] | None = None,
    tile_pixels: int = TILE_PIXELS,
    journal: bool | None = None,
    pyramid: bool = False,
    source: BandSource | None = None,
) -> Path:
    """Render ``size`` = (W, H) in row bands and stream them to ``out`` (.png or tiled .tif, 8/16 bit;
    ``pyramid``: the TIFF gets reduced levels for viewers of gigapixel images).

    Equal to an untiled render (cylinder strips with their wrap cross-fade); memory is bounded by one band.
    Cancel, Ctrl+C or an error leaves no partial file and an existing ``out`` untouched.
    ``progress(rows_done, rows_total)`` after each band.
    ``journal`` (default: for images of at least 2048² pixels) keeps finished bands beside the target so
    that running the same export again resumes where it stopped; the result equals an uninterrupted one.
    ``source`` renders the bands elsewhere (`engine.cluster.export_source`): given the bands still to render,
    in order, it yields their converted pixels in that order; by default they are rendered here.
    """
    width, height = int(size[0]), int(size[1])
    if width < 1 or height < 1:
        raise ValueError(f"size: width and height must be >= 1, got {width} x {height}")
    if grid is not None and grid.shape[:2] != (height, width):
        raise ValueError(f"grid: shape {list(grid.shape)} does not match size {width} x {height}")
    cam = camera or Camera()
    out = Path(out)
    use_journal = width * height >= JOURNAL_MIN_PIXELS if journal is None else journal
    check_space(out, width, height, use_journal, bits, pyramid)
    text = {RECIPE_KEY: json.dumps(recipe)} if recipe is not None else None
    jr = None
    if use_journal:
        key = json.dumps([recipe, width, height, bits, tile_pixels, str(noise), list(ablate), pyramid,
                          None if grid is None else hashlib.sha1(grid.tobytes()).hexdigest(),
                          None if camera is None else repr(camera)], sort_keys=True, default=str)
        jr = Journal(out, hashlib.sha256(key.encode()).hexdigest())
    _remove_stale_parts(out)
    every = list(bands(height, width, tile_pixels))
    todo = [(y0, rows) for y0, rows in every if jr is None or not jr.has(y0)]

    def here(y0: int, rows: int) -> np.ndarray:
        return export_band(g, styles, cam, None if grid is None else grid[y0:y0 + rows], (width, height), y0, rows,
                           noise, ablate, bits)

    rendered = source(todo) if source is not None else (here(y0, rows) for y0, rows in todo)
    wanted = set(todo)
    try:
        with open_writer(out, width, height, text, bits, pyramid) as writer:
            for y0, rows in every:
                if cancel is not None:
                    cancel.check()
                band = next(rendered) if (y0, rows) in wanted else jr.get(y0, rows, width)  # type: ignore[union-attr]
                if band is None:  # a journal band that no longer reads: render it again
                    band = here(y0, rows)
                if band.shape[:2] != (rows, width):
                    raise ValueError(f"export: band at row {y0} came back {list(band.shape)}, "
                                     f"expected {rows} x {width}")
                if jr is not None and (y0, rows) in wanted:
                    jr.put(y0, band)
                writer.write_rows(band)
                if progress is not None:
                    progress(y0 + rows, height)
    finally:
        close = getattr(rendered, "close", None)
        if close is not None:
            close()  # a remote source cancels what is still in flight
    if jr is not None:
        jr.remove()
    return out


def run_export(g: Generator, req: ExportRequest, cancel: CancelToken | None = None,
               progress: Callable[[int, int], None] | None = None, cluster: Cluster | None = None) -> Path:
    """Run one `ExportRequest` with `export_image`: its recipe (model, camera, style, bits and the request's
    extra fields) embedded, the bands rendered here, or on ``cluster`` / the request's cluster (opened for this
    export and closed after it)."""
    from engine.cluster import export_source, model_ref, using
    from engine.recipes import make_recipe
    from engine.renderer import spec_styles

    extra = {"bits": req.bits, **(json.loads(req.recipe_extra) if req.recipe_extra else {})}
    recipe = make_recipe(g, req.size, req.camera, req.style, **extra)
    grid = None if req.grid is None else req.grid.array
    with using(cluster, req.cluster) as on:
        source = None if on is None else export_source(on, model_ref(g, req.device), req.style, req.camera,
                                                       req.size, grid, req.bits, cancel)
        return export_image(g, spec_styles(g, req.style), req.out, req.size, camera=req.camera, grid=grid,
                            noise=req.style.noise, ablate=req.style.ablate, recipe=recipe, bits=req.bits,
                            cancel=cancel, progress=progress, tile_pixels=req.tile_pixels, journal=req.journal,
                            pyramid=req.pyramid, source=source)
