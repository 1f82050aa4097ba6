"""INR-GAN (Skorokhodov et al. 2021) from official network pickles: the `Generator` adapter of `InrGanNetwork`
(engine/models/inrgan_network.py), which holds the weights and the render paths."""

from __future__ import annotations

from typing import Any

import torch

from engine.checkpoints.network_pickle import PersistentRecord
from engine.errors import CheckpointError, one_line
from engine.models.base import Generator, NoiseArg
from engine.models.inrgan_config import ConfigError, InrGanConfig, infer_config
from engine.models.inrgan_network import InrGanNetwork


class InrGanGenerator(Generator):
    """INR-GAN / INR-GAN-bil from an official snapshot's ``G_ema``.

    ``grid=None`` is the official render. Explicit grids are our extension (specs/inrgan.md §3): the
    official model renders one left/top-aligned r x r grid per scale with y pointing up; a frame point
    (x right, y down, identity camera = linspace(-1, 1, N)) becomes continuous native pixel indices
    P = (u + 1)(N - 1)/2 (snapped to the pixel when within 1e-3), and with nearest upsampling its chain of
    ancestors is evaluated: at every coarser scale r the pixel floor(P r / N) with that pixel's own
    coordinates and embeddings (this reproduces the native image exactly); at the finest scale the sin/cos
    features at the exact continuous coordinate and the const embeddings of pixel floor(P). Embedding
    indices outside the frame are clamped to the border, while sin/cos extrapolate analytically. Per-pixel
    ``weights`` are area-averaged over each coarse pixel's requested descendants. The -bil variant
    (bilinear upsampling + instance norm) couples all pixels: its native render is exact, other grids are
    bilinear samples of it (border clamp), and per-pixel weights need ``grid=None``.

    The network and its render paths are `InrGanNetwork` (``self.net``); this class adapts it to `Generator`.

    Attributes
    ----------
    config, pixel_independent, chunk_pixels
        The network's (`InrGanNetwork`).
    tile_pixels : int
        Band size the tiled renderer uses for this family (see `engine.renderer.tile_pixels_for`).
    """

    family = "inrgan"
    ablations = frozenset({"embedding", "fourier"})
    tile_pixels = 1 << 16  # renderer band hint: a band shares its coarse-scale ancestors (bounded by chunk_pixels)

    def __init__(self, config: InrGanConfig, device: torch.device | str, source: str) -> None:
        super().__init__(device, source)
        self.net = InrGanNetwork(config, self.device)
        self.resolution = config.resolution
        self.z_dim, self.w_dim, self.num_ws = config.z_dim, config.w_dim, config.num_ws

    @property
    def config(self) -> InrGanConfig:
        return self.net.config

    @property
    def pixel_independent(self) -> bool:
        return self.net.pixel_independent

    @property
    def chunk_pixels(self) -> int:
        return self.net.chunk_pixels

    @chunk_pixels.setter
    def chunk_pixels(self, value: int) -> None:
        self.net.chunk_pixels = int(value)

    @classmethod
    def from_snapshot(
        cls, snapshot: dict[str, Any], device: torch.device | str, source: str, **options: Any
    ) -> InrGanGenerator:
        """Build from `load_network_pickle`'s dict (uses ``G_ema``); CheckpointError if not INR-GAN.

        ``options`` (the dispatcher's load options) are accepted for a uniform signature; none apply here.
        """
        g = snapshot.get("G_ema")
        if not isinstance(g, PersistentRecord):
            raise CheckpointError(f"{source}: no G_ema generator record")
        try:
            return cls(infer_config(g), device, source)
        except (ConfigError, KeyError, TypeError, ValueError, IndexError, RuntimeError) as e:
            msg = one_line(e)[:200]
            raise CheckpointError(f"{source}: unsupported INR-GAN checkpoint ({msg})") from None

    # ----------------------------------------------------------------- Generator hooks
    def parameters(self) -> list[torch.Tensor]:
        return self.config.tensors()

    def _stored_w_avg(self) -> torch.Tensor | None:
        return self.config.w_avg

    def parameter_count(self) -> int:
        # w_avg and the Fourier bases are buffers in the official module, not parameters
        buffers = [self.config.w_avg] + [b.fuser.basis for b in self.config.blocks if b.fuser is not None]
        return super().parameter_count() - sum(int(t.numel()) for t in buffers)

    def coordinate_embeddings(self) -> dict[str, torch.Tensor]:
        return self.net.coordinate_embeddings()

    def to(self, device: torch.device | str) -> InrGanGenerator:
        self.device = torch.device(device)
        self.net.to(self.device)
        self._w_avg = None
        return self

    def layer_names(self) -> list[str]:
        return self.net.layer_names()

    def _map(self, z: torch.Tensor) -> torch.Tensor:
        return self.net.mapping(z)

    def _synthesize(self, ws: torch.Tensor, grid: torch.Tensor | None, weights: torch.Tensor | None,
                    noise: NoiseArg, ablate: frozenset[str]) -> torch.Tensor:
        return self.net.synthesize(ws, grid, weights, ablate)

    def activation_layers(self) -> list[str]:
        return self.net.activation_layers()

    def _layer_activations(self, ws: torch.Tensor, grid: torch.Tensor, weights: torch.Tensor | None,
                           layer: str, ablate: frozenset[str]) -> torch.Tensor:
        return self.net.layer_activations(ws, grid, weights, layer, ablate)

    def block_outputs(self, ws: Any) -> dict[str, tuple[Any, Any]]:
        """Official per-block (features, running skip RGB), float32 NCHW numpy, at each block's own scale.

        The RGB after a block is the "low-resolution inference" the multi-scale design allows (spec §3).
        """
        trace: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        with torch.inference_mode():
            self.net.render_dense(self.check_ws(ws), None, frozenset(), trace)
        out = {}
        for name, (x, img) in trace.items():
            r = int(round(x.shape[1] ** 0.5))
            out[name] = tuple(t.reshape(t.shape[0], r, r, -1).permute(0, 3, 1, 2).cpu().numpy() for t in (x, img))
        return out  # type: ignore[return-value]
