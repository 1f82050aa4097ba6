"""Residual convolutional discriminator (StyleGAN2-style, equalised learning rate) for small training images."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from engine.models.ops import SQRT2


class EqConv2d(nn.Module):
    """Conv with weights ~ N(0, 1) scaled by 1/sqrt(fan_in) at run time (equalised learning rate)."""

    def __init__(self, cin: int, cout: int, kernel: int, bias: bool = True) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(cout)) if bias else None
        self.scale = 1.0 / math.sqrt(cin * kernel * kernel)
        self.pad = kernel // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.pad)


class EqLinear(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.scale = 1.0 / math.sqrt(cin)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.scale, self.bias)


def _act(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, 0.2) * SQRT2


class DBlock(nn.Module):
    """conv3x3 -> conv3x3 -> 2x average-pool, plus a pooled 1x1 skip; sum scaled by 1/sqrt(2)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = EqConv2d(cin, cin, 3)
        self.conv2 = EqConv2d(cin, cout, 3)
        self.skip = EqConv2d(cin, cout, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.avg_pool2d(_act(self.conv2(_act(self.conv1(x)))), 2)
        return (y + self.skip(F.avg_pool2d(x, 2))) / SQRT2


class Discriminator(nn.Module):
    """Logits for [B, in_channels, res, res] images (RGB, optionally + the pixels' x, y coordinates).

    Parameters
    ----------
    res
        Input side (a power of two >= 8).
    base, cap
        Channels at the input resolution (doubling per halving) and their maximum.
    in_channels
        3 for RGB, 5 for RGB + frame coordinates (CIPS' default discriminator input).
    mbstd_group
        Minibatch standard-deviation group size (StyleGAN); 1 disables it.
    """

    def __init__(self, res: int = 64, base: int = 32, cap: int = 256, in_channels: int = 5,
                 mbstd_group: int = 4) -> None:
        super().__init__()
        if res < 8 or res & (res - 1):
            raise ValueError(f"res: expected a power of two >= 8, got {res}")
        ch = {r: min(base * (res // r), cap) for r in [res >> k for k in range(int(math.log2(res)) - 1)]}
        self.from_rgb = EqConv2d(in_channels, ch[res], 1)
        self.blocks = nn.ModuleList(DBlock(ch[r], ch[r // 2]) for r in sorted(ch, reverse=True) if r > 4)
        self.mbstd_group = mbstd_group
        c4 = ch[4]
        self.conv = EqConv2d(c4 + (1 if mbstd_group > 1 else 0), c4, 3)
        self.fc = EqLinear(c4 * 16, c4)
        self.out = EqLinear(c4, 1)

    def _mbstd(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        g = min(self.mbstd_group, b)
        while b % g:
            g -= 1
        y = x.reshape(g, -1, c, h, w)
        y = (y.var(dim=0, unbiased=False) + 1e-8).sqrt().mean(dim=(1, 2, 3))  # [B/g]
        y = y.reshape(-1, 1, 1, 1).repeat(g, 1, h, w)
        return torch.cat([x, y], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _act(self.from_rgb(x))
        for blk in self.blocks:
            x = blk(x)
        if self.mbstd_group > 1:
            x = self._mbstd(x)
        x = _act(self.conv(x))
        x = _act(self.fc(x.flatten(1)))
        return self.out(x).squeeze(1)
