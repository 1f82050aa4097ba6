"""Frozen value types that cross threads (DESIGN.md §4); numpy only, no torch, no Qt."""

from __future__ import annotations

import hashlib
import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.formats import DEFAULT_CRF

_ids = itertools.count(1)


def next_id() -> int:
    """Process-wide increasing id for requests and jobs."""
    return next(_ids)


class FrozenArray:
    """A read-only numpy array with value equality and a hash, so it can live in frozen dataclasses."""

    __slots__ = ("_array", "_digest")

    def __init__(self, array: Any, dtype: Any = np.float32) -> None:
        a = np.array(array, dtype=dtype, copy=True)
        a.setflags(write=False)
        self._array = a
        self._digest = hashlib.sha1(a.tobytes() + str(a.shape).encode()).hexdigest()

    @property
    def array(self) -> np.ndarray:
        return self._array

    @property
    def shape(self) -> tuple[int, ...]:
        return self._array.shape

    @property
    def digest(self) -> str:
        return self._digest

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FrozenArray) and other._digest == self._digest

    def __hash__(self) -> int:
        return hash(self._digest)

    def __repr__(self) -> str:
        return f"FrozenArray(shape={self.shape}, sha1={self._digest[:8]})"


@dataclass(frozen=True)
class Camera:
    """Where the output grid sits in frame coordinates (training frame = [-1, 1]², y down).

    At zoom 1 the frame fits the shorter output side; zoom > 1 magnifies about `center`;
    `rotation` (degrees) turns the grid about `center`; `projection` "cylinder" is an upright panorama
    strip whose width is one turn (then `rotation` is the yaw, and the last `blend` of the strip width
    cross-fades into the start of the next turn, see `engine.coords.camera_grid`).
    """

    center: tuple[float, float] = (0.0, 0.0)
    zoom: float = 1.0
    rotation: float = 0.0
    projection: str = "plane"
    blend: float = 0.125  # cylinder only: share of the strip width cross-faded across the wrap (0 .. 0.5)


@dataclass(frozen=True)
class Anchor:
    """One latent anchor: a seed, a z [z_dim], or a w ([w_dim] or W+ [num_ws, w_dim])."""

    seed: int | None = 0
    z: FrozenArray | None = None
    w: FrozenArray | None = None

    def label(self) -> str:
        if self.seed is not None:
            return f"seed {self.seed}"
        return "z" if self.z is not None else "w"


@dataclass(frozen=True)
class StyleSpec:
    """What style each layer and pixel gets.

    Attributes
    ----------
    anchors : latent anchors, mapped with ``psi`` / ``cutoff`` (w anchors are used as they are).
    mix : interpolation weights over the anchors (the sliders); None = all weight on anchor 0.
    interp : "lerp-w" (blend mapped styles) or "slerp-z" (blend z, then map).
    layer_table : optional [num_ws, K] per-layer anchor weights (style mixing); overrides ``mix``.
    masks : optional [K, Hm, Wm] painted per-pixel anchor weights over ``mask_extent`` of frame
        coordinates (x0, y0, x1, y1); pixels outside use the table / mix style.
    mask_anchors : optional anchor index per mask (then masks is [M, Hm, Wm] with any M, and several
        masks may paint one anchor); None = mask i paints anchor i.
    mask_layers : optional per-mask style-layer range [first, stop) or None (all layers), e.g. a stroke
        that paints only the coarse layers; None = every mask drives every layer.
    """

    anchors: tuple[Anchor, ...] = (Anchor(seed=0),)
    mix: tuple[float, ...] | None = None
    interp: str = "lerp-w"
    psi: float = 1.0
    cutoff: int | None = None
    layer_table: FrozenArray | None = None
    masks: FrozenArray | None = None
    mask_extent: tuple[float, float, float, float] = (-1.0, -1.0, 1.0, 1.0)
    mask_anchors: tuple[int, ...] | None = None
    mask_layers: tuple[tuple[int, int] | None, ...] | None = None
    noise: str = "none"
    ablate: tuple[str, ...] = ()


PRECISIONS = ("float32", "tf32", "float16", "bfloat16")  # render arithmetic (engine.precision)
QUALITIES = ("exact", "interactive")  # interactive: a family's approximate preview path is allowed


@dataclass(frozen=True)
class RenderRequest:
    """One render: style + camera + output size; ``rect`` (x, y, w, h) renders a sub-rectangle only."""

    style: StyleSpec
    camera: Camera
    size: tuple[int, int]  # (width, height)
    rect: tuple[int, int, int, int] | None = None
    stride: int = 1  # progressive pass: render every stride-th pixel (1 = all)
    precision: str = "float32"  # interactive frames may ask for less (engine.precision); refused -> float32
    quality: str = "exact"  # "interactive": a family's approximate preview (CREPS off-axis lattices) is allowed
    epoch: int = 0
    id: int = field(default_factory=next_id)


@dataclass(frozen=True)
class ExportRequest:
    """One image export (`engine.export.run_export`): the style through the camera (or an explicit grid) at
    ``size`` into ``out`` (.png or .tif, 8 / 16 bit, TIFF optionally with reduced levels), in row bands of about
    ``tile_pixels`` pixels. ``recipe_extra`` (JSON object text) joins the embedded recipe; ``journal`` None:
    for images of at least 2048² pixels; ``cluster`` (a Dask scheduler address or local:N) renders the bands on
    its workers, which load the model on ``device``."""

    style: StyleSpec
    size: tuple[int, int]  # (width, height)
    out: str
    camera: Camera = Camera()
    grid: FrozenArray | None = None
    bits: int = 8
    pyramid: bool = False
    tile_pixels: int = 128 * 128
    journal: bool | None = None
    recipe_extra: str = ""
    cluster: str = ""
    device: str = "auto"
    id: int = field(default_factory=next_id)


@dataclass(frozen=True)
class Keyframe:
    """One view of a video: when (seconds), where (camera) and what (the full style)."""

    time: float
    camera: Camera
    style: StyleSpec


EASINGS = ("smooth", "linear")  # smoothstep between keyframes, or straight


@dataclass(frozen=True)
class VideoSpec:
    """Keyframes (sorted by time) interpolated at ``fps`` into frames of ``size`` (W, H); ``checkpoint`` is the
    model a keyframes file names. Invalid values raise ValueError naming the field."""

    keyframes: tuple[Keyframe, ...]
    size: tuple[int, int] = (256, 256)
    fps: float = 24.0
    easing: str = "smooth"
    checkpoint: str = "default"

    def __post_init__(self) -> None:
        if not self.keyframes:
            raise ValueError("keyframes: at least one keyframe is needed")
        if len(self.size) != 2 or min(self.size) < 1:
            raise ValueError(f"size: expected two positive integers, got {list(self.size)}")
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"fps: must be positive, got {self.fps}")
        if self.easing not in EASINGS:
            raise ValueError(f"easing: expected 'linear' or 'smooth', got {self.easing!r}")

    @property
    def duration(self) -> float:
        return self.keyframes[-1].time - self.keyframes[0].time

    @property
    def frame_count(self) -> int:
        return round(self.duration * self.fps) + 1


@dataclass(frozen=True)
class VideoRequest:
    """One video export (`engine.video.run_video`): ``spec`` rendered into ``out`` (.mp4 / .webm / .mkv / .avi
    at quality ``crf``, or a folder of PNG frames); ``cluster`` renders the frames on Dask workers, which load
    the model on ``device``."""

    spec: VideoSpec
    out: str
    crf: int = DEFAULT_CRF
    cluster: str = ""
    device: str = "auto"
    id: int = field(default_factory=next_id)


# ----------------------------------------------------------------------------- analysis jobs
# One request per analysis (run by `engine.analysis_jobs.run_analysis`), built alike by the app's docks and the
# command line. ``cluster`` / ``device`` as for `ExportRequest` where the job can run on Dask.


@dataclass(frozen=True)
class SpectrumRequest:
    """Power spectrum of the view at ``size`` (None: the native square): of the style itself (``seeds`` None) or
    its mean over seeds 0..N-1; ``window``: a Hann window before the FFT; ``overlays``: also the profile of the
    same view rendered at native density and upsampled to ``size`` by each method (when denser than native)."""

    style: StyleSpec = StyleSpec()
    camera: Camera = Camera()
    size: tuple[int, int] | None = None
    seeds: int | None = None
    overlays: tuple[str, ...] = ()
    window: bool = True
    cluster: str = ""
    device: str = "auto"
    id: int = field(default_factory=next_id)


@dataclass(frozen=True)
class PCARequest:
    """Top-3 principal components of every learned coordinate embedding."""

    id: int = field(default_factory=next_id)


@dataclass(frozen=True)
class ConsistencyRequest:
    """PSNR / SSIM of renders at each of ``scales`` x the native grid, area-downsampled, against the native
    render, for seeds 0..``seeds``-1."""

    scales: tuple[int, ...] = (2, 4)
    seeds: int = 4
    cluster: str = ""
    device: str = "auto"
    id: int = field(default_factory=next_id)


@dataclass(frozen=True)
class LayerRequest:
    """One layer's activations for the view (``layer`` from `Generator.activation_layers`), at most
    `engine.analysis_jobs.LAYER_FLOATS` floats (wide layers come on a coarser grid of the same view)."""

    style: StyleSpec
    camera: Camera
    size: tuple[int, int]
    layer: str
    id: int = field(default_factory=next_id)


@dataclass(frozen=True)
class SuperResRequest:
    """The view rendered at ``size`` (its native density) and at ``factor`` x density, against the native render
    upsampled by each method; ``crop`` (native pixels x, y, w, h) for the side-by-side crops."""

    style: StyleSpec
    camera: Camera
    size: tuple[int, int]
    factor: int = 4
    crop: tuple[int, int, int, int] | None = None
    id: int = field(default_factory=next_id)


@dataclass(frozen=True)
class FoveationRequest:
    """A foveated render of the view (or of an explicit ``grid``): every pixel within ``radius`` of ``focus``
    (output pixels; None: the centre, min(W, H) / 8), sparser rings over ``levels`` density levels outside."""

    style: StyleSpec
    camera: Camera
    size: tuple[int, int]
    focus: tuple[float, float] | None = None
    radius: float | None = None
    levels: int = 4
    grid: FrozenArray | None = None
    id: int = field(default_factory=next_id)


@dataclass(frozen=True)
class PanoramaRequest:
    """The cylinder strip ``camera`` (projection "cylinder") sees at ``size``, with its wrap-seam check."""

    style: StyleSpec
    camera: Camera
    size: tuple[int, int]
    id: int = field(default_factory=next_id)


AnalysisRequest = (SpectrumRequest | PCARequest | ConsistencyRequest | LayerRequest | SuperResRequest
                   | FoveationRequest | PanoramaRequest)


@dataclass(frozen=True)
class Frame:
    """Result of a RenderRequest: read-only uint8 RGB [H, W, 3] (or None on error) plus timings."""

    request_id: int
    epoch: int
    image: np.ndarray | None
    seconds: float = 0.0
    error: str | None = None
    stride: int = 1
    final: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
