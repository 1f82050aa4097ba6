"""Family-neutral tensor ops and constants of the StyleGAN-family generators: the leaky-ReLU tails, pixel norm,
the demodulation epsilon, anchor routing of painted pixels and the float32 island for coordinate features.

Each family's modulation keeps its own rounding order next to its code (CIPS: `engine.models.layers`, CREPS:
`engine.models.creps_ops`, INR-GAN: `engine.models.inrgan_mix`); only what is computed the same way lives here.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

SQRT2 = math.sqrt(2.0)
DEMOD_EPS = 1e-8


def full_precision(device: torch.device) -> torch.autocast:
    """Autocast off for a block: coordinate features (sines of arguments of tens of radians) lose whole uint8
    levels in float16 / bfloat16, so they stay float32 while the layers after them may run reduced."""
    return torch.autocast(device.type, enabled=False)


def anchor_alone(lam: torch.Tensor) -> torch.Tensor:
    """For per-pixel anchor weights lam [P, K]: the anchor a pixel is alone (weight 1, the others 0), or -1
    for a blend: [P] long. Painted renders route a pixel by this, from its own weights only."""
    alone = (lam == 1).sum(1).eq(1) & (lam != 0).sum(1).eq(1)
    return torch.where(alone, lam.argmax(1), -1)


def lrelu_gain(x: torch.Tensor) -> torch.Tensor:
    """StyleGAN's fused leaky ReLU tail: lrelu(x, 0.2) * sqrt(2) (in place when no grad is needed)."""
    if torch.is_grad_enabled() and x.requires_grad:
        return F.leaky_relu(x, 0.2) * SQRT2
    return F.leaky_relu_(x, 0.2).mul_(SQRT2)


def lrelu(x: torch.Tensor) -> torch.Tensor:
    """leaky ReLU with slope 0.2, in place when no grad is needed (callers carry the sqrt(2) gain)."""
    if torch.is_grad_enabled() and x.requires_grad:
        return F.leaky_relu(x, 0.2)
    return F.leaky_relu_(x, 0.2)


def pixel_norm(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    return x * torch.rsqrt(x.square().mean(dim=-1, keepdim=True) + eps)
