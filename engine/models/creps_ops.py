"""CREPS tensor ops, channels-last, with the official code's operation order (spec creps.md §3.1)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from engine.models.ops import DEMOD_EPS, SQRT2

CLAMP = 256.0  # fc_clamp / conv clamp of every modulated layer and ToRes


def bias_act(x: torch.Tensor, b: torch.Tensor | None, act: str, gain: float | None = None,
             clamp: float | None = None) -> torch.Tensor:
    """StyleGAN's reference bias_act on the last axis: + b, activation, x gain, clamp (in place on x)."""
    if b is not None:
        x.add_(b)
    if act == "lrelu":
        F.leaky_relu_(x, 0.2)
        gain = SQRT2 if gain is None else gain
    elif act != "linear":
        raise ValueError(f"unsupported activation {act!r}")
    if gain is not None and gain != 1:
        x.mul_(gain)
    if clamp is not None:
        x.clamp_(-clamp, clamp)
    return x


def fc(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None, weight_gain: float, bias_gain: float,
       act: str) -> torch.Tensor:
    """FullyConnectedLayer: x [..., in] -> [..., out] (addmm when linear, else matmul + bias_act)."""
    w = w * weight_gain
    if b is not None and bias_gain != 1:
        b = b * bias_gain
    if act == "linear" and b is not None and x.ndim == 2:
        return torch.addmm(b.unsqueeze(0), x, w.t())
    return bias_act(x.matmul(w.t()), b, act)


def fold_modulated(w: torch.Tensor, s: torch.Tensor, demodulate: bool, fp16: bool = False) -> torch.Tensor:
    """Per-sample folded weight [B, O, I] from weight [O, I] and styles [B, I] (demodulated if asked)."""
    if fp16 and demodulate:
        # the official overflow guard: a no-op after demodulation
        w = w * (1 / math.sqrt(w.shape[1]) / w.abs().amax(dim=1, keepdim=True))
        s = s / s.abs().amax(dim=1, keepdim=True)
    wm = w[None] * s[:, None, :]
    if demodulate:
        wm = wm * (wm.square().sum(dim=2, keepdim=True) + DEMOD_EPS).rsqrt()
    return wm


def modulated_folded(x: torch.Tensor, wm: torch.Tensor, bias: torch.Tensor, act: str, gain: float,
                     clamp: float) -> torch.Tensor:
    """x [B, M, I] @ folded wm [B, O, I]^T, then bias_act (in x's dtype: float16 in the mixed head)."""
    y = torch.bmm(x, wm.to(x.dtype).transpose(1, 2))
    return bias_act(y, bias.to(x.dtype), act, gain, clamp)


def modulated_per_pixel(x: torch.Tensor, w: torch.Tensor, s: torch.Tensor, bias: torch.Tensor, act: str,
                        gain: float, clamp: float, demodulate: bool) -> torch.Tensor:
    """Per-pixel styles, exact two-GEMM form: x [P, I], weight [O, I], s [P, I] -> [P, O]."""
    y = (x * s) @ w.t()
    if demodulate:
        y = y * (s.square() @ w.square().t() + DEMOD_EPS).rsqrt()
    return bias_act(y, bias, act, gain, clamp)


# Both compositions accumulate the K products in order with fused multiply-adds (element-wise addcmul):
# this reproduces the official GEMM's rounding, and unlike a GEMM (whose kernel changes with the matrix
# shape) a pixel's value does not depend on the tile it is rendered in, nor on which path computed it.
def compose_outer(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Rank-K composition: rows x [B, Nu, K, C], cols y [B, Nv, K, C] -> [B, Nu, Nv, C]."""
    f = x[:, :, None, 0] * y[:, None, :, 0]
    for k in range(1, x.shape[2]):
        f = torch.addcmul(f, x[:, :, None, k], y[:, None, :, k])
    return f


def compose_pairs(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-pixel composition: x, y [..., K, C] (each pixel's own row / column sample) -> [..., C]."""
    f = x[..., 0, :] * y[..., 0, :]
    for k in range(1, x.shape[-2]):
        f = torch.addcmul(f, x[..., k, :], y[..., k, :])
    return f
