"""The public generator interface shared by every family (DESIGN.md §6).

A family subclasses `Generator` and implements the torch-level hooks (`_map`, `_synthesize`, ...);
this base class owns argument checking, numpy <-> torch conversion, truncation and the mean w.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from engine.types import QUALITIES

NoiseArg = str | Sequence[Any]

ABLATIONS = ("embedding", "fourier")
W_AVG_SAMPLES = 4096  # mean w for families that store none: averaged over this many seeded z
W_AVG_SEED = 0


def _as_tensor(name: str, value: Any, device: torch.device) -> torch.Tensor:
    """Float32 tensor on `device`, or ValueError naming the argument. Values are checked for NaN / inf on the
    host, before the upload: the same check on an accelerator would wait for it (a sync per band), so a tensor
    already on an accelerator (engine-internal: `engine.device_grid`, finite by construction) is not checked."""
    if torch.is_tensor(value):
        if value.device.type == "cpu" and not torch.isfinite(value).all():
            raise ValueError(f"{name}: contains NaN or infinite values")
        return value.to(device=device, dtype=torch.float32)
    try:
        a = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name}: not a numeric array ({e})") from None
    if not np.isfinite(a).all():
        raise ValueError(f"{name}: contains NaN or infinite values")
    writable = a.flags.writeable and all(st >= 0 for st in a.strides)
    return torch.from_numpy(a if writable else np.ascontiguousarray(a).copy()).to(device=device, dtype=torch.float32)


class LayerReached(Exception):
    """Raised by a layer tap to stop a render once the layer being looked at has run (`layer_activations`)."""


class Generator(ABC):
    """A loaded generator: ``mapping`` (z -> ws) and ``synthesis`` (ws, grid -> RGB).

    Parameters
    ----------
    device
        Torch device the weights live on.
    source
        Path (or ``"default"``) the generator was loaded from, for messages and recipes.

    Attributes
    ----------
    family : str
        ``"cips-skip"``, ``"cips-res"``, ``"inrgan"``, ``"creps"`` ...
    resolution : int
        Native (training) resolution; the identity camera renders ``resolution`` x ``resolution``.
    z_dim, w_dim, num_ws : int
        Latent width, style width and number of style rows (layers) in the family's own order.
    ablations : frozenset[str]
        The subset of ``{"embedding", "fourier"}`` this family can zero.
    precision : str
        What `synthesis` computes in: "float32" (the default), or "tf32" / "float16" / "bfloat16" set for a
        block by `engine.precision.use_precision` after measuring it on this model.
    period_x : float | None
        L when the generator is periodic along x by construction (G(x + L, y) = G(x, y): a full turn, so a
        cylinder panorama of width L needs no cross-fade); None for a model trained on a plane.
    has_interactive_quality : bool
        Whether ``synthesis(..., quality="interactive")`` has an approximate, faster path for some grids (CREPS:
        off-axis grids from interpolated line lattices); for other families it renders exactly.
    interactive_tile_pixels : int | None
        The renderer's band size for interactive-quality renders, when it differs from ``tile_pixels``.
    """

    family: str = ""
    ablations: frozenset[str] = frozenset()
    period_x: float | None = None
    precision: str = "float32"
    has_interactive_quality: bool = False
    interactive_tile_pixels: int | None = None

    def __init__(self, device: torch.device | str, source: str) -> None:
        self.device = torch.device(device)
        self.source = source
        self._w_avg: torch.Tensor | None = None

    # ----------------------------------------------------------------- family hooks
    resolution: int
    z_dim: int
    w_dim: int
    num_ws: int

    @abstractmethod
    def _map(self, z: torch.Tensor) -> torch.Tensor:
        """Mapping network: z [B, z_dim] -> w [B, w_dim] (no truncation)."""

    @abstractmethod
    def _synthesize(
        self,
        ws: torch.Tensor,
        grid: torch.Tensor | None,
        weights: torch.Tensor | None,
        noise: NoiseArg,
        ablate: frozenset[str],
    ) -> torch.Tensor:
        """Render.

        ``ws`` is [B, num_ws, w_dim]; ``grid`` is None (the official native grid) or [H, W, 2] frame
        coordinates (x right, y down, training frame [-1, 1]); ``weights`` is None or [num_ws, H, W, B]
        (then the result is one image whose style at each pixel and layer is sum_k weights[..., k] ws[k]).
        Returns float32 [B or 1, 3, H, W].
        """

    @abstractmethod
    def parameters(self) -> list[torch.Tensor]:
        """All weight tensors (for counting parameters and hashing)."""

    def parameter_count(self) -> int:
        """Number of trainable parameters (the official module's ``parameters()``, buffers excluded)."""
        return int(sum(p.numel() for p in self.parameters()))

    def _stored_w_avg(self) -> torch.Tensor | None:
        """The checkpoint's own mean w, if the family stores one."""
        return None

    def coordinate_embeddings(self) -> dict[str, torch.Tensor]:
        """Learned per-position embeddings by name, each [C, H, W] (empty when the family has none)."""
        return {}

    def layer_names(self) -> list[str]:
        """One human-readable name per style row (len == num_ws)."""
        return [f"layer {i}" for i in range(self.num_ws)]

    def activation_layers(self) -> list[str]:
        """Names `layer_activations` accepts (empty when the family does not support it)."""
        return []

    def _layer_activations(self, ws: torch.Tensor, grid: torch.Tensor, weights: torch.Tensor | None,
                           layer: str, ablate: frozenset[str]) -> torch.Tensor:
        raise NotImplementedError(f"{self.family}: viewing layer activations is not supported for this family")

    def layer_activations(self, ws: Any, grid: Any, layer: str, weights: Any | None = None,
                          ablate: Sequence[str] = ()) -> np.ndarray:
        """One layer's activations at a grid, float32 [C, H, W] (no noise).

        ``layer`` is a name from `activation_layers`, in execution order, each output as the official module
        returns it (a ToRGB / ToRes: the running sum). CIPS: "lff" = Fourier features, "emb" = the sampled
        embedding, then the style layers as `layer_names` lists them. INR-GAN: per block "<block>.coord_fuser"
        (sin, cos, const embeddings), its FMM layers and "<block>.torgb"; a coarser scale's layer shows what the
        render carries to each grid point. CREPS: line layers ("b4.input" ... "b<r>.tores") as channel
        c * 2K + slot (row line at the pixel's u in slots < K, column line at its v), then the per-pixel
        compositions, fused features, decoders and head (creps_layers.py). ``ws``, ``grid``, ``weights`` and
        ``ablate`` as for `synthesis` (one image: B = 1, or K anchors with ``weights``). Families without the
        hook raise NotImplementedError.
        """
        names = self.activation_layers()
        if not names:
            raise NotImplementedError(f"{self.family}: viewing layer activations is not supported for this family")
        if layer not in names:
            raise ValueError(f"layer: expected one of {', '.join(names)}, got {layer!r}")
        if grid is None:
            raise ValueError("grid: layer activations need an explicit [H, W, 2] grid")
        wst, gt, wt, abl = self._checked_inputs(ws, grid, weights, "none", ablate)
        assert gt is not None
        with torch.inference_mode():
            return self._layer_activations(wst, gt, wt, layer, abl).float().cpu().numpy()

    def to(self, device: torch.device | str) -> Generator:
        """Move the weights; families with tensors outside `parameters()` override this."""
        raise NotImplementedError(f"{self.family}: moving between devices is not supported")

    # ----------------------------------------------------------------- public API
    @property
    def info(self) -> dict[str, Any]:
        from engine.precision import available

        return {
            "family": self.family,
            "resolution": self.resolution,
            "z_dim": self.z_dim,
            "w_dim": self.w_dim,
            "num_ws": self.num_ws,
            "num_params": self.parameter_count(),
            "ablations": sorted(self.ablations),
            "source": self.source,
            "device": str(self.device),
            "period_x": self.period_x,
            "precisions": list(available(self.device)),
        }

    @property
    def w_avg(self) -> np.ndarray:
        """Mean w used for truncation: stored by the checkpoint, else from 4096 seeded z (cached)."""
        return self._mean_w().cpu().numpy()

    def _mean_w(self) -> torch.Tensor:
        if self._w_avg is None:
            stored = self._stored_w_avg()
            if stored is not None:
                self._w_avg = stored.to(self.device, torch.float32)
            else:
                gen = torch.Generator().manual_seed(W_AVG_SEED)
                z = torch.randn(W_AVG_SAMPLES, self.z_dim, generator=gen)
                with torch.inference_mode():
                    w = torch.cat([self._map(c.to(self.device)) for c in z.split(1024)])
                self._w_avg = w.mean(0)
        return self._w_avg

    def mapping(
        self,
        z: Any,
        psi: float = 1.0,
        cutoff: int | None = None,
        w_avg: Any | None = None,
    ) -> np.ndarray:
        """z [B, z_dim] (or [z_dim]) -> ws float32 [B, num_ws, w_dim], truncated toward the mean w.

        ``w ← w_avg + psi (w − w_avg)`` on the rows with index < ``cutoff`` (all when None).
        ``w_avg`` overrides the model's mean w (for reproducing a recipe that used another mean).
        """
        zt = _as_tensor("z", z, self.device)
        if zt.ndim == 1:
            zt = zt[None]
        if zt.ndim != 2 or zt.shape[1] != self.z_dim or zt.shape[0] == 0:
            raise ValueError(f"z: expected shape [B, {self.z_dim}], got {list(zt.shape)}")
        if not np.isfinite(psi):
            raise ValueError("psi: must be a finite number")
        if cutoff is not None and not 0 <= int(cutoff) <= self.num_ws:
            raise ValueError(f"cutoff: must be in 0..{self.num_ws}, got {cutoff}")
        with torch.inference_mode():
            # one row at a time (small batches): BLAS kernels pick their blocking by batch size, and a
            # seed must map to the same w whether it is rendered alone or with others (recipes reproduce)
            rows = zt.split(1) if zt.shape[0] <= 64 else (zt,)
            w = torch.cat([self._map(r) for r in rows]).float()
            ws = w[:, None, :].repeat(1, self.num_ws, 1)
            if psi != 1.0:
                avg = self._mean_w() if w_avg is None else _as_tensor("w_avg", w_avg, self.device)
                if avg.shape != (self.w_dim,):
                    raise ValueError(f"w_avg: expected shape [{self.w_dim}], got {list(avg.shape)}")
                rows = slice(None) if cutoff is None else slice(0, int(cutoff))
                ws[:, rows] = avg + psi * (ws[:, rows] - avg)
        return ws.cpu().numpy()

    def synthesis(
        self,
        ws: Any,
        grid: Any | None = None,
        weights: Any | None = None,
        noise: NoiseArg = "none",
        ablate: Sequence[str] = (),
        quality: str = "exact",
    ) -> np.ndarray:
        """Render float32 [B, 3, H, W] (model range, no clamp); see DESIGN.md §6 for the arguments. ``quality``
        "interactive" allows the family's approximate preview path (`has_interactive_quality`)."""
        with torch.inference_mode():
            return self.synthesis_tensor(ws, grid, weights, noise, ablate, quality).cpu().numpy()

    def synthesis_tensor(
        self,
        ws: Any,
        grid: Any | None = None,
        weights: Any | None = None,
        noise: NoiseArg = "none",
        ablate: Sequence[str] = (),
        quality: str = "exact",
    ) -> torch.Tensor:
        """`synthesis` returning a tensor on the generator's device (for engine-internal callers)."""
        from engine.precision import autocast

        if quality not in QUALITIES:
            raise ValueError(f"quality: expected one of {', '.join(QUALITIES)}, got {quality!r}")
        wst, gt, wt, abl = self._checked_inputs(ws, grid, weights, noise, ablate)
        run = self._synthesize_interactive if quality == "interactive" else self._synthesize
        with torch.inference_mode(), autocast(self.device, self.precision):
            return run(wst, gt, wt, noise, abl).float()

    def _synthesize_interactive(self, ws: torch.Tensor, grid: torch.Tensor | None, weights: torch.Tensor | None,
                                noise: NoiseArg, ablate: frozenset[str]) -> torch.Tensor:
        """`_synthesize` where an approximate preview is acceptable; exact unless a family overrides it."""
        return self._synthesize(ws, grid, weights, noise, ablate)

    def _checked_inputs(self, ws: Any, grid: Any | None, weights: Any | None, noise: NoiseArg,
                        ablate: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None,
                                                        frozenset[str]]:
        """The arguments of `synthesis` (and `layer_activations`) validated, as tensors on the device:
        (ws [B, num_ws, w_dim], grid [H, W, 2] or None = native, weights [num_ws, H, W, K] or None, ablate)."""
        wst = self.check_ws(ws)
        gt = None
        if grid is not None:
            gt = _as_tensor("grid", grid, self.device)
            if gt.ndim != 3 or gt.shape[2] != 2 or gt.shape[0] < 1 or gt.shape[1] < 1:
                raise ValueError(f"grid: expected shape [H, W, 2] with H, W >= 1, got {list(gt.shape)}")
        h, w = (self.resolution, self.resolution) if gt is None else (gt.shape[0], gt.shape[1])
        wt = None
        if weights is not None:
            wt = _as_tensor("weights", weights, self.device)
            if wt.ndim == 3:
                wt = wt[None].expand(self.num_ws, -1, -1, -1)
            if wt.ndim != 4 or tuple(wt.shape) != (self.num_ws, h, w, wst.shape[0]):
                raise ValueError(
                    f"weights: expected [H, W, K] or [num_ws, H, W, K] = [{self.num_ws}, {h}, {w}, "
                    f"{wst.shape[0]}] (K = number of ws anchors), got {list(wt.shape)}"
                )
        if isinstance(noise, str) and noise not in ("none", "random"):
            raise ValueError(f"noise: expected 'none' or 'random', got {noise!r}")
        abl = frozenset([ablate] if isinstance(ablate, str) else ablate)
        for a in abl:
            if a not in ABLATIONS:
                raise ValueError(f"ablate: unknown ablation {a!r} (known: {', '.join(ABLATIONS)})")
            if a not in self.ablations:
                raise ValueError(f"ablate: the {self.family} family has no {a} to zero")
        return wst, gt, wt, abl

    def check_ws(self, ws: Any) -> torch.Tensor:
        """Validate ws ([B, w_dim] or [B, num_ws, w_dim]) and return it as [B, num_ws, w_dim]."""
        t = _as_tensor("ws", ws, self.device)
        if t.ndim == 2 and t.shape[1] == self.w_dim:
            t = t[:, None, :].expand(-1, self.num_ws, -1)
        if t.ndim != 3 or t.shape[1:] != (self.num_ws, self.w_dim) or t.shape[0] == 0:
            raise ValueError(
                f"ws: expected [B, {self.w_dim}] or [B, {self.num_ws}, {self.w_dim}], got {list(t.shape)}"
            )
        return t.contiguous()
