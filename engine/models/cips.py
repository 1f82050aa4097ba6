"""CIPS (Anokhin et al., CVPR 2021): CIPSskip and CIPSres, exact re-implementation of the official code.

#----------------------------------------------------------------------------
# Every pixel is computed from its own coordinate: learned Fourier features (LFF) + a learned
# per-position embedding sampled bilinearly (border clamp), then a stack of modulated 1x1 layers.
# Our own extension (the default generator, `WrappedEmbedding`): an embedding over one full turn along x
# that wraps, with x-frequencies of the Fourier features that are whole multiples of 2 pi / turn, so the
# generator is periodic along x by construction. Official checkpoints never use it.
# Parameter names equal the official state dict's, so official checkpoints load with load_state_dict.
# Spec: shared/specs/cips.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import torch
import torch.nn.functional as F
from torch import nn

from engine.models.base import Generator, LayerReached, NoiseArg
from engine.models.layers import EqualLinear, modulated_per_pixel, modulated_uniform
from engine.models.ops import DEMOD_EPS, SQRT2, full_precision, lrelu, lrelu_gain, pixel_norm
from engine.models.row_blocks import PIXEL_BLOCK, blocks, by_blocks, padded_to_blocks

LR_MLP = 0.01  # mapping lr multiplier: fixed by the official code, not stored in checkpoints


@dataclass(frozen=True)
class WrappedEmbedding:
    """A learned embedding of rows x cols cells over x in [x0, x0 + period) that wraps along x, and y in
    [y0, y1] (border clamp), sampled bilinearly at cell centres. Ours (the default generator): official CIPS
    has a size x size grid over the frame [-1, 1]^2 with a border clamp."""

    rows: int
    cols: int
    x0: float
    period: float
    y0: float
    y1: float

    def to_json(self) -> dict[str, float | int | str]:
        return {"mode": "wrap-x", "rows": self.rows, "cols": self.cols, "x0": self.x0, "period": self.period,
                "y0": self.y0, "y1": self.y1}

    @staticmethod
    def from_json(d: dict[str, Any]) -> WrappedEmbedding:
        """Raises ValueError on anything but a well-formed "wrap-x" record."""
        if not isinstance(d, dict) or d.get("mode") != "wrap-x":
            raise ValueError(f"embedding: expected mode 'wrap-x', got {d!r:.80}")
        try:
            e = WrappedEmbedding(int(d["rows"]), int(d["cols"]), float(d["x0"]), float(d["period"]),
                                 float(d["y0"]), float(d["y1"]))
        except (KeyError, TypeError) as err:
            raise ValueError(f"embedding: missing or malformed field ({err})") from None
        if e.rows < 1 or e.cols < 2 or not e.period > 0 or not e.y1 > e.y0:
            raise ValueError(f"embedding: invalid extent {e}")
        return e


@dataclass(frozen=True)
class CIPSConfig:
    """Hyperparameters of a CIPS generator (official names in comments)."""

    variant: str  # "skip" (CIPSskip) or "res" (CIPSres)
    size: int  # side of the embedding grid = training resolution
    hidden: int  # hidden_size / fc_dim: Fourier features = embedding channels
    style_dim: int  # style_dim / latent: width of z and w
    n_mlp: int  # mapping layers
    widths: tuple[int, ...]  # output channels of each block (conv1 / linears.0 output is 512)
    first_width: int = 512  # conv1 (skip) / linears.0 (res) output width
    wrapped: WrappedEmbedding | None = None  # ours: embedding over one turn (None: official size x size grid)

    @staticmethod
    def official(variant: str, size: int, hidden: int = 512, style_dim: int = 512, n_mlp: int = 8,
                 channel_multiplier: int = 2) -> CIPSConfig:
        """The widths the official constructor uses for this size and channel multiplier."""
        cm = channel_multiplier
        tail = [256 * cm, 128 * cm, 64 * cm, 32 * cm, 16 * cm] if variant == "skip" else \
            [256 * cm, 128 * cm, 64 * cm, 64 * cm, 32 * cm]
        table = [512, 512, 512, 512, *tail]
        blocks = int(math.log2(size)) - 1
        return CIPSConfig(variant, size, hidden, style_dim, n_mlp, tuple(table[:blocks]))


class _Holder(nn.Module):
    """A named parameter container (reproduces the official key nesting)."""

    if TYPE_CHECKING:  # its children are set by name (lff.ffm.conv, emb.input, noise.weight, ...)
        def __getattr__(self, name: str) -> Any: ...


class ModulatedConv(nn.Module):
    """Official ModulatedConv2d with a 1x1 kernel: keys weight (1, Cout, Cin, 1, 1), modulation.*."""

    def __init__(self, cin: int, cout: int, style_dim: int, demodulate: bool) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1, cout, cin, 1, 1))
        self.modulation = EqualLinear(style_dim, cin, bias_init=1.0)
        self.demodulate = demodulate
        self.scale = 1.0 / math.sqrt(cin)

    def matrix(self) -> torch.Tensor:
        return self.weight[0, :, :, 0, 0] * self.scale


class StyledConv(nn.Module):
    """Modulated 1x1 conv (demodulated) -> noise -> bias + leaky ReLU * sqrt(2)."""

    def __init__(self, cin: int, cout: int, style_dim: int) -> None:
        super().__init__()
        self.conv = ModulatedConv(cin, cout, style_dim, demodulate=True)
        self.noise = _Holder()
        self.noise.weight = nn.Parameter(torch.zeros(1))
        self.activate = _Holder()
        self.activate.bias = nn.Parameter(torch.zeros(cout))


class ToRGB(nn.Module):
    """Modulated 1x1 conv to RGB without demodulation, plus bias (1, 3, 1, 1)."""

    def __init__(self, cin: int, style_dim: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))
        self.conv = ModulatedConv(cin, 3, style_dim, demodulate=False)


class ResBlock(nn.Module):
    """CIPSres block: (conv2(conv1(h)) + skip(h)) / sqrt(2); skip is a bias-free 1x1 conv when widths differ."""

    def __init__(self, cin: int, cout: int, style_dim: int) -> None:
        super().__init__()
        self.conv1 = StyledConv(cin, cout, style_dim)
        self.conv2 = StyledConv(cout, cout, style_dim)
        if cin != cout:
            self.skip = nn.ModuleList([_Holder()])
            self.skip[0].weight = nn.Parameter(torch.randn(cout, cin, 1, 1))


class _PixelNorm(nn.Module):
    pass


# A style for one layer: per sample [B, Cin] ("uniform") or per pixel [P, Cin] of the current chunk.
StyleFn = Callable[[int, ModulatedConv, slice], tuple[str, torch.Tensor, "torch.Tensor | None"]]


class CIPSNetwork(nn.Module):
    """The CIPS generator as a torch module with the official parameter names.

    ``forward(coords [B, H, W, 2], w [B, w_dim])`` is differentiable (used by our trainer);
    the inference path is `CIPSGenerator`, which shares `run_layers`.
    """

    def __init__(self, cfg: CIPSConfig) -> None:
        super().__init__()
        self.cfg = cfg
        sd, hid = cfg.style_dim, cfg.hidden
        self.lff = _Holder()
        self.lff.ffm = _Holder()
        self.lff.ffm.conv = nn.Conv2d(2, hid, 1)
        bound = math.sqrt(9 / 2)
        nn.init.uniform_(self.lff.ffm.conv.weight, -bound, bound)
        self.emb = _Holder()
        rows, cols = (cfg.size, cfg.size) if cfg.wrapped is None else (cfg.wrapped.rows, cfg.wrapped.cols)
        self.emb.input = nn.Parameter(torch.randn(1, hid, rows, cols))
        if cfg.wrapped is not None:
            with torch.no_grad():
                self.snap_periodic()
        self.style = nn.ModuleList(
            [_PixelNorm(), *[EqualLinear(sd, sd, lr_mul=LR_MLP) for _ in range(cfg.n_mlp)]]
        )
        cin = 2 * hid
        if cfg.variant == "skip":
            self.conv1 = StyledConv(cin, cfg.first_width, sd)
            self.linears = nn.ModuleList()
            self.to_rgbs = nn.ModuleList()
            prev = cfg.first_width
            for c in cfg.widths:
                self.linears.append(StyledConv(prev, c, sd))
                self.linears.append(StyledConv(c, c, sd))
                self.to_rgbs.append(ToRGB(c, sd))
                prev = c
        elif cfg.variant == "res":
            self.linears = nn.ModuleList([StyledConv(cin, cfg.first_width, sd)])
            prev = cfg.first_width
            for c in cfg.widths:
                self.linears.append(ResBlock(prev, c, sd))
                prev = c
            self.to_rgb_last = ToRGB(prev, sd)
        else:
            raise ValueError(f"variant: expected 'skip' or 'res', got {cfg.variant!r}")
        self._order = self._style_layers()

    # ------------------------------------------------------------------ structure
    def _style_layers(self) -> list[tuple[str, ModulatedConv]]:
        """(official module name, its modulated conv) of every style-consuming module, execution order."""
        out: list[tuple[str, ModulatedConv]] = []
        if self.cfg.variant == "skip":
            out.append(("conv1", self.conv1.conv))
            for i, rgb in enumerate(self.to_rgbs):
                out.append((f"linears.{2 * i}", cast(StyledConv, self.linears[2 * i]).conv))
                out.append((f"linears.{2 * i + 1}", cast(StyledConv, self.linears[2 * i + 1]).conv))
                out.append((f"to_rgbs.{i}", cast(ToRGB, rgb).conv))
        else:
            out.append(("linears.0", cast(StyledConv, self.linears[0]).conv))
            for i, blk in enumerate(cast("Sequence[ResBlock]", self.linears[1:]), start=1):
                out.append((f"linears.{i}.conv1", blk.conv1.conv))
                out.append((f"linears.{i}.conv2", blk.conv2.conv))
            out.append(("to_rgb_last", self.to_rgb_last.conv))
        return out

    @property
    def layer_names(self) -> list[str]:
        return [name for name, _ in self._order]

    @property
    def noise_layers(self) -> list[str]:
        return [n for n in self.layer_names if "rgb" not in n]

    # ------------------------------------------------------------------ periodicity (WrappedEmbedding only)
    @property
    def period_x(self) -> float | None:
        """The turn length L when G(x + L, y) = G(x, y) by construction, else None."""
        wr = self.cfg.wrapped
        if wr is None:
            return None
        k = self.lff.ffm.conv.weight[:, 0, 0, 0].detach().double() * (wr.period / (2 * math.pi))
        return wr.period if bool(((k - k.round()).abs() <= 1e-4).all()) else None

    def snap_periodic(self) -> None:
        """Round every x-frequency to a whole multiple of 2 pi / L (the trainer calls this after each step)."""
        wr = self.cfg.wrapped
        assert wr is not None
        wx = self.lff.ffm.conv.weight[:, 0, 0, 0]
        unit = 2 * math.pi / wr.period
        wx.copy_(torch.round(wx / unit) * unit)

    # ------------------------------------------------------------------ pieces
    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        x = pixel_norm(z)
        for layer in self.style[1:]:
            x = lrelu_gain(layer(x))
        return x

    def features(self, coords: torch.Tensor, ablate: frozenset[str] = frozenset(),
                 emb_table: torch.Tensor | None = None) -> torch.Tensor:
        """[Fourier features ; sampled embedding] at coords [..., 2] -> [..., 2*hidden].

        ``emb_table`` is the embedding as a channels-last [S*S, hidden] table (inference caches it).
        """
        lead = coords.shape[:-1]
        flat = coords.reshape(-1, 2)
        conv = self.lff.ffm.conv
        hid = self.cfg.hidden
        out = flat.new_zeros(flat.shape[0], 2 * hid)
        if "fourier" not in ablate:
            with full_precision(flat.device):
                out[:, :hid] = torch.sin(F.linear(flat, conv.weight[:, :, 0, 0], conv.bias))
        if "embedding" not in ablate:
            if emb_table is None:
                emb_table = self.emb.input[0].permute(1, 2, 0).reshape(-1, hid)
            wr = self.cfg.wrapped
            out[:, hid:] = sample_border_bilinear(emb_table, self.cfg.size, flat) if wr is None else \
                sample_wrapped_bilinear(emb_table, wr, flat)
        return out.reshape(*lead, 2 * hid)

    def run_layers(self, x: torch.Tensor, style: StyleFn, noise: Callable[[int], torch.Tensor | None],
                   pixels: slice, tap: Callable[[int, torch.Tensor], None] | None = None) -> torch.Tensor:
        """Layer stack on features x ([B, P, C] uniform styles or [P, C] per-pixel), returns RGB [.., P, 3].

        ``style(index, conv, pixels)`` gives each style layer's modulation; ``noise(k)`` the k-th noise map
        for these pixels ([B, P, 1] / [P, 1]) or None. Activations are kept without their sqrt(2) gain, which
        is folded into the next layer's weight instead (one pass less over every activation).
        ``tap(index, activation)``, when given, sees each style layer's output as the official module returns
        it (StyledConv: with its sqrt(2) gain; ToRGB: the running RGB sum, updated in place later, so copy it
        to keep it); it may raise to stop early.
        """
        layers = iter(enumerate(self._order))
        n_noise = 0

        def styled(block: StyledConv, h: torch.Tensor, gain: float) -> torch.Tensor:
            """Returns the activation without its sqrt(2) gain."""
            nonlocal n_noise
            idx, (_, conv) = next(layers)
            n = noise(n_noise)
            n_noise += 1
            bias = block.activate.bias
            y = self._modulate(h, conv, *style(idx, conv, pixels), gain, None if n is not None else bias)
            if n is not None:  # official order: noise, then bias
                y = y + block.noise.weight * n + bias
            y = lrelu(y)
            if tap is not None:
                tap(idx, y * SQRT2)
            return y

        def rgb(block: ToRGB, h: torch.Tensor, gain: float, skip: torch.Tensor | None) -> torch.Tensor:
            """The running RGB sum (official ToRGB output: this block's RGB + skip)."""
            idx, (_, conv) = next(layers)
            y = self._modulate(h, conv, *style(idx, conv, pixels), gain, block.bias.view(3))
            out = y if skip is None else skip.add_(y) if not skip.requires_grad else skip + y
            if tap is not None:
                tap(idx, out)
            return out

        if self.cfg.variant == "skip":
            h = styled(self.conv1, x, 1.0)
            out: torch.Tensor | None = None
            lin = cast("Sequence[StyledConv]", self.linears)  # skip: linears are all StyledConv
            for i, to_rgb in enumerate(cast("Sequence[ToRGB]", self.to_rgbs)):
                h = styled(lin[2 * i + 1], styled(lin[2 * i], h, SQRT2), SQRT2)
                out = rgb(to_rgb, h, SQRT2, out)
            assert out is not None
            return out
        h, gain = styled(cast(StyledConv, self.linears[0]), x, 1.0), SQRT2
        for blk in cast("Sequence[ResBlock]", self.linears[1:]):
            # (sqrt2 a2 + skip(gain h)) / sqrt2 = a2 + skip(h) * gain / sqrt2: the output carries no gain
            a2 = styled(blk.conv2, styled(blk.conv1, h, gain), SQRT2)
            if hasattr(blk, "skip"):
                p = cast(_Holder, blk.skip[0]).weight[:, :, 0, 0].t() * (gain / SQRT2 / math.sqrt(h.shape[-1]))
                h = torch.baddbmm(a2, h, p.expand(h.shape[0], -1, -1)) if h.ndim == 3 else torch.addmm(a2, h, p)
            else:
                h = torch.add(a2, h, alpha=gain / SQRT2)
            gain = 1.0
        return rgb(self.to_rgb_last, h, gain, None)

    @staticmethod
    def _modulate(h: torch.Tensor, conv: ModulatedConv, kind: str, s: torch.Tensor, demod: torch.Tensor | None,
                  gain: float, bias: torch.Tensor | None) -> torch.Tensor:
        if kind == "uniform":
            return modulated_uniform(h, conv.matrix(), s, conv.demodulate, gain, bias)
        return modulated_per_pixel(h, conv.matrix(), s, conv.demodulate, gain, bias, demod)

    def forward(self, coords: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """Differentiable render: coords [B, H, W, 2] frame coordinates, w [B, w_dim] -> [B, 3, H, W]."""
        b, h, wd, _ = coords.shape
        x = self.features(coords).reshape(b, h * wd, -1)
        styles = [conv.modulation(w) for _, conv in self._order]
        rgb = self.run_layers(x, lambda i, c, p: ("uniform", styles[i], None), lambda k: None, slice(None))
        return rgb.transpose(1, 2).reshape(b, 3, h, wd)


def sample_border_bilinear(table: torch.Tensor, size: int, xy: torch.Tensor) -> torch.Tensor:
    """grid_sample(bilinear, padding 'border', align_corners=False) of a size x size grid of C-vectors,
    stored channels-last as table [size*size, C], at frame coordinates xy [P, 2] -> [P, C].

    Same arithmetic as torch's sampler (un-normalise in float32, clip to the border, the four corner weights
    as products, summed nw, ne, sw, se), but gathering whole rows of the channels-last table is several
    times faster than the channel-strided NCHW sampler; one weighted embedding bag per pixel does the
    gather and the blend in a single pass (no [P, C] temporaries).
    """
    u = (((xy + 1) * size - 1) / 2).clamp_(0, size - 1)  # (x -> column, y -> row)
    i0 = u.floor()
    f = u - i0
    i0 = i0.long()
    i1 = (i0 + 1).clamp_(max=size - 1)
    c0, r0 = i0[:, 0], i0[:, 1]
    c1, r1 = i1[:, 0], i1[:, 1]
    fx, fy = f[:, 0], f[:, 1]
    gx, gy = 1 - fx, 1 - fy
    idx = torch.stack([r0 * size + c0, r0 * size + c1, r1 * size + c0, r1 * size + c1], dim=1)
    w = torch.stack([gx * gy, fx * gy, gx * fy, fx * fy], dim=1)
    return F.embedding_bag(idx, table, mode="sum", per_sample_weights=w)


def sample_wrapped_bilinear(table: torch.Tensor, wr: WrappedEmbedding, xy: torch.Tensor) -> torch.Tensor:
    """Bilinear sample of a `WrappedEmbedding` (channels-last table [rows*cols, C]) at xy [P, 2] -> [P, C]:
    columns wrap (column cols is column 0), rows clamp at the border like `sample_border_bilinear`.

    With cols / period a power of two (the default generator: 128 / 8), x and x + period give the same
    cell and fraction exactly whenever x + period is exact in float32.
    """
    u = (xy[:, 0] - wr.x0) * (wr.cols / wr.period) - 0.5
    v = ((xy[:, 1] - wr.y0) * (wr.rows / (wr.y1 - wr.y0)) - 0.5).clamp_(0, wr.rows - 1)
    u0, v0 = u.floor(), v.floor()
    fx, fy = u - u0, v - v0
    c0 = torch.remainder(u0.long(), wr.cols)
    c1 = torch.remainder(c0 + 1, wr.cols)
    r0 = v0.long()
    r1 = (r0 + 1).clamp_(max=wr.rows - 1)
    gx, gy = 1 - fx, 1 - fy
    cols = wr.cols
    idx = torch.stack([r0 * cols + c0, r0 * cols + c1, r1 * cols + c0, r1 * cols + c1], dim=1)
    w = torch.stack([gx * gy, fx * gy, gx * fy, fx * fy], dim=1)
    return F.embedding_bag(idx, table, mode="sum", per_sample_weights=w)


def infer_config(sd: dict[str, torch.Tensor], wrapped: WrappedEmbedding | None = None,
                 resolution: int | None = None) -> CIPSConfig:
    """Every hyperparameter from the state dict's keys and shapes (spec §4.1). Raises KeyError/ValueError.

    ``wrapped`` / ``resolution`` come from our native metadata (a `WrappedEmbedding` and the training frame
    side, which its grid no longer gives)."""
    if "conv1.conv.weight" in sd:
        variant = "skip"
        first = sd["conv1.conv.weight"].shape[1]
        n_blocks = sum(1 for k in sd if k.startswith("to_rgbs.") and k.endswith(".conv.weight"))
        widths = [sd[f"linears.{2 * i}.conv.weight"].shape[1] for i in range(n_blocks)]
    elif "to_rgb_last.conv.weight" in sd:
        variant = "res"
        first = sd["linears.0.conv.weight"].shape[1]
        n_blocks = sum(1 for k in sd if k.startswith("linears.") and k.endswith(".conv1.conv.weight"))
        widths = [sd[f"linears.{i}.conv1.conv.weight"].shape[1] for i in range(1, n_blocks + 1)]
    else:
        raise ValueError("no conv1 (CIPSskip) or to_rgb_last (CIPSres) weights")
    hidden = sd["lff.ffm.conv.weight"].shape[0]
    emb = sd["emb.input"].shape
    want = (hidden, emb[2], emb[2]) if wrapped is None else (hidden, wrapped.rows, wrapped.cols)
    if len(emb) != 4 or tuple(emb[1:]) != want:
        dims = f"{wrapped.rows}, {wrapped.cols}" if wrapped is not None else "S, S"
        raise ValueError(f"emb.input has shape {tuple(emb)}, expected (1, {hidden}, {dims})")
    n_mlp = sum(1 for k in sd if k.startswith("style.") and k.endswith(".weight"))
    style_dim = sd["style.1.weight"].shape[1]
    if any(k.endswith(".bias") and sd[k].ndim == 4 and ".conv" not in k and "rgb" not in k for k in sd):
        raise ValueError("sin/sinrelu activations (never released) are not supported")
    size = emb[2] if resolution is None else int(resolution)
    return CIPSConfig(variant, size, hidden, style_dim, n_mlp, tuple(widths), first, wrapped)


class CIPSGenerator(Generator):
    """Inference wrapper of `CIPSNetwork` implementing the public `Generator` API."""

    ablations = frozenset({"embedding", "fourier"})
    metadata: dict[str, str]  # a .safetensors checkpoint's header metadata: set by engine.checkpoints.native only

    def __init__(self, net: CIPSNetwork, device: torch.device | str = "cpu", source: str = "") -> None:
        super().__init__(device, source)
        self.net = net.eval().requires_grad_(False).to(self.device)
        cfg = net.cfg
        self.cfg = cfg
        self.family = f"cips-{cfg.variant}"
        self.resolution = cfg.size
        self.z_dim = self.w_dim = cfg.style_dim
        self.num_ws = len(net.layer_names)
        self.period_x = net.period_x
        self._emb_table = self._make_emb_table()

    def _make_emb_table(self) -> torch.Tensor:
        return self.net.emb.input[0].permute(1, 2, 0).reshape(-1, self.cfg.hidden).contiguous()

    @classmethod
    def from_state_dict(cls, sd: dict[str, torch.Tensor], device: torch.device | str = "cpu",
                        source: str = "", wrapped: WrappedEmbedding | None = None,
                        resolution: int | None = None) -> CIPSGenerator:
        net = CIPSNetwork(infer_config(sd, wrapped, resolution))
        net.load_state_dict({k: v.float() for k, v in sd.items()}, strict=True)
        return cls(net, device, source)

    def parameters(self) -> list[torch.Tensor]:
        return list(self.net.parameters())

    @property
    def info(self) -> dict[str, Any]:
        """The common fields, plus "embedding" (`WrappedEmbedding.to_json`) for a wrapped embedding."""
        out = super().info
        if self.cfg.wrapped is not None:
            out["embedding"] = self.cfg.wrapped.to_json()
        return out

    def layer_names(self) -> list[str]:
        return self.net.layer_names

    def coordinate_embeddings(self) -> dict[str, torch.Tensor]:
        return {"emb.input": self.net.emb.input[0]}

    def to(self, device: torch.device | str) -> CIPSGenerator:
        self.device = torch.device(device)
        self.net.to(self.device)
        self._emb_table = self._make_emb_table()
        self._w_avg = None if self._w_avg is None else self._w_avg.to(self.device)
        return self

    def _map(self, z: torch.Tensor) -> torch.Tensor:
        return self.net.mapping(z)

    def _synthesize(self, ws: torch.Tensor, grid: torch.Tensor | None, weights: torch.Tensor | None,
                    noise: NoiseArg, ablate: frozenset[str]) -> torch.Tensor:
        if grid is None:
            lin = torch.linspace(-1.0, 1.0, self.resolution, device=self.device)
            grid = torch.stack(torch.meshgrid(lin, lin, indexing="xy"), dim=-1)
        h, w = grid.shape[:2]
        n_pix = h * w
        coords = padded_to_blocks(grid.reshape(n_pix, 2), PIXEL_BLOCK)
        b = 1 if weights is not None else ws.shape[0]
        noise_maps = self._noise_maps(noise, b, h, w)
        if noise_maps is not None:
            noise_maps = [padded_to_blocks(m, PIXEL_BLOCK, dim=1) for m in noise_maps]
        out = torch.empty(b, coords.shape[0], 3, device=self.device)
        style = self._style_fn(ws, weights, n_pix)
        for px in blocks(n_pix, PIXEL_BLOCK):
            x = self.net.features(coords[px], ablate, self._emb_table)
            if weights is None:
                x = x[None].expand(b, -1, -1)

            def noise_at(k: int, px: slice = px) -> torch.Tensor | None:
                if noise_maps is None:
                    return None
                n = noise_maps[k][:, px, None]
                return n if weights is None else n[0]

            out[:, px] = self.net.run_layers(x, style, noise_at, px)
        return out[:, :n_pix].transpose(1, 2).reshape(b, 3, h, w)

    def activation_layers(self) -> list[str]:
        return ["lff", "emb", *self.net.layer_names]

    def _layer_activations(self, ws: torch.Tensor, grid: torch.Tensor, weights: torch.Tensor | None,
                           layer: str, ablate: frozenset[str]) -> torch.Tensor:
        """"lff" (Fourier features), "emb" (sampled embedding) or a style layer's output, [C, H, W]."""
        h, w = grid.shape[:2]
        n_pix = h * w
        coords = padded_to_blocks(grid.reshape(n_pix, 2), PIXEL_BLOCK)
        hid = self.cfg.hidden
        index = self.net.layer_names.index(layer) if layer not in ("lff", "emb") else -1
        style = self._style_fn(ws[:1] if weights is None else ws, weights, n_pix)
        parts = []
        for px in blocks(n_pix, PIXEL_BLOCK):
            x = self.net.features(coords[px], ablate, self._emb_table)
            if index < 0:
                parts.append(x[:, :hid] if layer == "lff" else x[:, hid:])
                continue
            seen: list[torch.Tensor] = []

            def tap(i: int, t: torch.Tensor, seen: list[torch.Tensor] = seen) -> None:
                if i == index:
                    seen.append((t if weights is not None else t[0]).clone())
                    raise LayerReached

            try:
                self.net.run_layers(x if weights is not None else x[None], style, lambda k: None, px, tap)
            except LayerReached:
                pass
            parts.append(seen[0])
        return torch.cat(parts)[:n_pix].t().reshape(-1, h, w)

    def _style_fn(self, ws: torch.Tensor, weights: torch.Tensor | None, n_pix: int) -> StyleFn:
        """Per-layer modulation styles: per sample, or per pixel from the anchor weights.

        Per pixel, s(p) = b + Σ_k a_k(p) p_k with p_k = A w_k / sqrt(sd) (styles are affine in w). The
        demodulation (c²W²)(s ⊙ s) is a quadratic form in (1, a(p)), so it needs only the (K+1)(K+2)/2
        vectors (c²W²)(p_k ⊙ p_l), precomputed once: per pixel it costs O(K² Cout), not a second
        Cin x Cout GEMM (spec §9), which keeps painted renders close to the cost of uniform ones.
        """
        convs = [conv for _, conv in self.net._order]
        if weights is None:
            # one sample at a time: an image's styles do not depend on the batch it is rendered in
            styles = [by_blocks(c.modulation, ws[:, i], block=1) for i, c in enumerate(convs)]
            return lambda i, conv, px: ("uniform", styles[i], None)
        k = ws.shape[0] + 1
        pairs = [(a, b) for a in range(k) for b in range(a, k)]
        left = torch.tensor([a for a, _ in pairs], device=self.device)
        right = torch.tensor([b for _, b in pairs], device=self.device)
        twice = torch.tensor([1.0 if a == b else 2.0 for a, b in pairs], device=self.device)
        anchors, quads = [], []
        for i, c in enumerate(convs):
            p = torch.cat([c.modulation.bias[None] * c.modulation.lr_mul, c.modulation.project(ws[:, i])])
            anchors.append(p)
            quads.append((p[left] * p[right]) @ c.matrix().square().t() if c.demodulate else None)
        wmaps = padded_to_blocks(weights.reshape(self.num_ws, n_pix, -1), PIXEL_BLOCK, dim=1)

        def per_pixel(i: int, conv: ModulatedConv, px: slice) -> tuple[str, torch.Tensor, torch.Tensor | None]:
            a = torch.cat([wmaps.new_ones(px.stop - px.start, 1), wmaps[i, px]], dim=1)
            s = a @ anchors[i]
            q = quads[i]
            if q is None:
                return "pixel", s, None
            dsq = (a[:, left] * a[:, right] * twice) @ q
            return "pixel", s, torch.rsqrt(dsq.clamp_min_(0.0) + DEMOD_EPS)

        return per_pixel

    def _noise_maps(self, noise: NoiseArg, b: int, h: int, w: int) -> list[torch.Tensor] | None:
        """One [B, H*W] map per StyledConv: None (no noise), fresh N(0, 1), or given arrays."""
        n_layers = len(self.net.noise_layers)
        if isinstance(noise, str):
            if noise == "none":
                return None
            return [torch.randn(b, h * w, device=self.device) for _ in range(n_layers)]
        maps = list(noise) if isinstance(noise, Sequence) else []
        if len(maps) != n_layers:
            raise ValueError(f"noise: expected {n_layers} maps (one per StyledConv), got {len(maps)}")
        out = []
        for m in maps:
            t = torch.as_tensor(m, dtype=torch.float32, device=self.device)
            if t.numel() != b * h * w:
                raise ValueError(f"noise: each map must hold B*H*W = {b}*{h}*{w} values")
            out.append(t.reshape(b, h * w))
        return out
