"""CIPS's layers: equalised linear maps and modulated 1x1 layers (family-neutral ops: `engine.models.ops`).

Activations are channels-last ``[..., P, C]`` (P = pixels), so a 1x1 convolution is one matrix product.
A modulated layer takes its style either per sample (``[B, Cin]``: fold style and demodulation into
the weight once, one batched GEMM) or per pixel (``[P, Cin]``: the exact two-GEMM form
y = d ⊙ (cW)(s ⊙ x), d = rsqrt((c²W²)(s ⊙ s) + eps)).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from engine.models.ops import DEMOD_EPS


class EqualLinear(nn.Module):
    """Linear map with run-time weight scale lr_mul / sqrt(in) and bias scale lr_mul (keys weight, bias)."""

    def __init__(self, in_dim: int, out_dim: int, lr_mul: float = 1.0, bias_init: float = 0.0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init)))
        self.scale = lr_mul / math.sqrt(in_dim)
        self.lr_mul = lr_mul

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """The linear part without bias (styles are affine: mix the projections, then add the bias)."""
        return F.linear(x, self.weight * self.scale)


def modulated_uniform(
    x: torch.Tensor, weight: torch.Tensor, s: torch.Tensor, demodulate: bool,
    gain: float = 1.0, bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """Fold per-sample styles into the weight: x [B, P, Cin], weight [Cout, Cin] (already scaled), s [B, Cin].

    ``gain`` is a pending scale of x (folded into the weight after demodulation); ``bias`` [Cout] is added
    in the GEMM epilogue.
    """
    w = weight[None] * s[:, None, :]
    if demodulate:
        w = w * torch.rsqrt(w.square().sum(dim=2, keepdim=True) + DEMOD_EPS)
    if gain != 1.0:
        w = w * gain
    wt = w.transpose(1, 2)
    if bias is None:
        return torch.bmm(x, wt)
    return torch.baddbmm(bias.expand(x.shape[0], 1, -1), x, wt)


def modulated_per_pixel(
    x: torch.Tensor, weight: torch.Tensor, s: torch.Tensor, demodulate: bool,
    gain: float = 1.0, bias: torch.Tensor | None = None, demod: torch.Tensor | None = None,
) -> torch.Tensor:
    """Per-pixel styles, exact two-GEMM form: x [P, Cin], weight [Cout, Cin] (already scaled), s [P, Cin].

    ``demod`` [P, Cout] is the demodulation factor when the caller has it cheaper than the second GEMM.
    """
    y = (x * s) @ (weight.t() * gain if gain != 1.0 else weight.t())
    if demodulate:
        y = y * (torch.rsqrt(s.square() @ weight.square().t() + DEMOD_EPS) if demod is None else demod)
    return y if bias is None else y + bias
