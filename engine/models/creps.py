"""CREPS (Nguyen et al., CVPR 2023) as a `Generator`: the thin adapter of `CrepsNetwork` (creps_network.py, the
weights and computations) and its render paths (creps_render.py, creps_lines.py, creps_layers.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from engine.errors import CheckpointError
from engine.models.base import Generator, NoiseArg
from engine.models.creps_config import CrepsConfig, infer_config
from engine.models.creps_layers import activation_layers, layer_activations
from engine.models.creps_network import CrepsNetwork
from engine.models.creps_render import render


def looks_like_creps(snapshot: Mapping[str, Any]) -> bool:
    """True when a loaded network snapshot's G_ema has CREPS' line input and bi-line decoders."""
    g: Any = snapshot.get("G_ema")  # anything: a missing or foreign record raises inside the try
    try:
        return (g.child("synthesis.b4.input").class_name == "SynthesisInput"
                and "decoder_img" in g.child("synthesis").children)
    except (AttributeError, KeyError):
        return False


class CrepsGenerator(Generator):
    """A CREPS generator built from an official G_ema (see `from_snapshot`).

    Parameters
    ----------
    config
        The inferred `CrepsConfig`.
    tensors
        Flat state dict with the official names (parameters and the buffers freqs, coords, w_avg).
    precision
        "float32" (= official ``force_fp32=True``) or "fp16-head" (the official default: blocks flagged
        ``use_fp16`` -- block0 / block1 -- run in float16; per-pixel ``weights`` renders stay float32).

    Attributes
    ----------
    net : CrepsNetwork
        The network; ``cfg``, ``head_precision`` and ``max_frequency`` read through to it (the interactive
        lattice's knobs, ``lattice_density`` / ``lattice_budget`` / ``lattice_per_period``, are set on it).
    """

    family = "creps"
    ablations = frozenset({"fourier"})
    # Non-separable (e.g. rotated) grids render exactly (each pixel's own line samples, ~338 MFLOP per pixel at
    # 256); with quality "interactive" from interpolated lattice tables instead (an approximate preview, see
    # creps_lines), a frame up to 512² in one band (one lattice; memory is chunked inside).
    tile_pixels = 1 << 14
    has_interactive_quality = True
    interactive_tile_pixels = 1 << 18

    def __init__(self, config: CrepsConfig, tensors: Mapping[str, torch.Tensor], device: torch.device | str = "cpu",
                 source: str = "", precision: str = "float32") -> None:
        super().__init__(device, source)
        self.net = CrepsNetwork(config, tensors, self.device, precision)
        self.resolution = config.img_resolution
        self.z_dim, self.w_dim, self.num_ws = config.z_dim, config.w_dim, config.num_ws
        self.checkpoint_meta: dict[str, Any] = {}

    @property
    def cfg(self) -> CrepsConfig:
        return self.net.cfg

    @property
    def head_precision(self) -> str:
        """The official mixed mode ("float32" / "fp16-head"); `Generator.precision` is the autocast one."""
        return self.net.head_precision

    @property
    def max_frequency(self) -> float:
        return self.net.max_frequency

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any], device: torch.device | str = "cpu", source: str = "",
                      precision: str = "float32", **_: Any) -> CrepsGenerator:
        """Build from `load_network_pickle`'s dict (uses G_ema: its init kwargs, attributes and tensors)."""
        if not looks_like_creps(snapshot):
            raise CheckpointError(f"{source or 'checkpoint'}: G_ema is not a CREPS generator")
        g = snapshot["G_ema"]
        attrs = {path: {k: rec.attr(k) for k in rec.state if isinstance(k, str) and not k.startswith("_")}
                 for path, rec in g.named_records()}
        return cls.from_state_dict(g.state_dict(), g.init_kwargs, attrs, device, source, precision)

    @classmethod
    def from_state_dict(cls, tensors: Mapping[str, torch.Tensor], init_kwargs: Mapping[str, Any],
                        attrs: Mapping[str, Mapping[str, Any]] | None = None, device: torch.device | str = "cpu",
                        source: str = "", precision: str = "float32") -> CrepsGenerator:
        """Build from a flat official-named state dict + G's init kwargs (+ module attributes, optional).

        ``checkpoint_meta`` of the result holds the init kwargs and attributes, enough to rebuild it from
        its `state_dict()` (e.g. after saving both in our native format).
        """
        cfg = infer_config(tensors, init_kwargs, attrs, source)
        gen = cls(cfg, tensors, device, source, precision)
        gen.checkpoint_meta = {"init_kwargs": dict(init_kwargs),
                               "attrs": {k: dict(v) for k, v in (attrs or {}).items()}}
        return gen

    # ----------------------------------------------------------------- Generator hooks
    def _map(self, z: torch.Tensor) -> torch.Tensor:
        return self.net.mapping(z)

    def _stored_w_avg(self) -> torch.Tensor | None:
        return self.net.w_avg

    def parameters(self) -> list[torch.Tensor]:
        return self.net.parameters()

    def layer_names(self) -> list[str]:
        return self.cfg.layer_names()

    def to(self, device: torch.device | str) -> CrepsGenerator:
        self.device = torch.device(device)
        self.net.to(self.device)
        self._w_avg = None if self._w_avg is None else self._w_avg.to(self.device)
        return self

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The official-named tensors (parameters and buffers), as `from_state_dict` takes them."""
        return dict(self.net.t)

    def clear_line_cache(self) -> None:
        """Forget the cached line tables (they are exact; this only frees memory or cold-starts a benchmark)."""
        self.net.clear_line_cache()

    def _synthesize(self, ws: torch.Tensor, grid: torch.Tensor | None, weights: torch.Tensor | None,
                    noise: NoiseArg, ablate: frozenset[str]) -> torch.Tensor:
        del noise  # CREPS has no noise inputs
        return render(self.net, ws, grid, weights, "fourier" not in ablate)

    def _synthesize_interactive(self, ws: torch.Tensor, grid: torch.Tensor | None, weights: torch.Tensor | None,
                                noise: NoiseArg, ablate: frozenset[str]) -> torch.Tensor:
        return render(self.net, ws, grid, weights, "fourier" not in ablate, lattice=True)

    def activation_layers(self) -> list[str]:
        return activation_layers(self.cfg)

    def _layer_activations(self, ws: torch.Tensor, grid: torch.Tensor, weights: torch.Tensor | None,
                           layer: str, ablate: frozenset[str]) -> torch.Tensor:
        return layer_activations(self.net, ws, grid, weights, layer, "fourier" not in ablate)
