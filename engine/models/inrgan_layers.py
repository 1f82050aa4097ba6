"""INR-GAN per-pixel math on channels-last activations [B, P, C]: FMM layers, ToRGB, coordinate features."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from engine.models.inrgan_config import FMMLayer, Fuser, ToRGB
from engine.models.inrgan_mix import fmm_mixed, fmm_weight
from engine.models.ops import full_precision
from engine.models.row_blocks import by_blocks, rows_for

NORM_EPS = 1e-8


class Styles:
    """Where each layer's style comes from: one w per sample, or per-pixel mixes of K anchors.

    ``ws`` is [B, num_ws, w_dim] (uniform) or the K anchors [K, num_ws, w_dim]; ``lam`` maps a ws row to
    the anchor weights [P, K] of the current point set (absent: uniform styles).
    """

    def __init__(
        self,
        ws: torch.Tensor,
        lam: dict[int, torch.Tensor] | None = None,
        cache: dict[str, torch.Tensor] | None = None,
    ) -> None:
        self.ws = ws
        self.lam = lam
        self._cache: dict[str, torch.Tensor] = {} if cache is None else cache

    def uniform(self, row: int, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """Styles [B, S] of one ws row, one sample at a time (a sample's style does not depend on the batch)."""
        return by_blocks(lambda w: torch.addmm(bias, w, weight.t()), self.ws[:, row], block=1)

    def folded(self, key: str, make: Callable[[], torch.Tensor]) -> torch.Tensor:
        """Uniform modulated weights, cached for the whole call (every band of a render shares them)."""
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]


def _act_(h: torch.Tensor, layer: FMMLayer) -> torch.Tensor:
    """In place on a fresh GEMM output that already holds the bias: lrelu(0.2) * gain, clamp."""
    h = F.leaky_relu_(h, 0.2).mul_(layer.act_gain)
    return h if layer.clamp is None else h.clamp_(-layer.clamp, layer.clamp)


def _bias_act(h: torch.Tensor, layer: FMMLayer) -> torch.Tensor:
    return _act_(h.add_(layer.bias), layer)


def instance_norm(x: torch.Tensor) -> torch.Tensor:
    """-bil only: divide by the unbiased std over all pixels of the scale, no centring."""
    d = x - x.mean(dim=1, keepdim=True)  # two passes vectorise over channels; torch.std(dim=1) does not
    std = (d.square_().sum(dim=1, keepdim=True) / max(x.shape[1] - 1, 1)).sqrt_()
    return x / (std + NORM_EPS)


def fmm_forward(layer: FMMLayer, x: torch.Tensor, styles: Styles) -> torch.Tensor:
    """x [B, P, I] -> [B, P, O] (B == 1 with per-pixel styles)."""
    lam = styles.lam.get(layer.row) if styles.lam is not None else None
    aw, ab = layer.affine.weight, layer.affine.bias
    if lam is None:
        wt = styles.folded(layer.name, lambda: fmm_weight(layer, styles.uniform(layer.row, aw, ab))).transpose(1, 2)
        y = by_blocks(lambda xb: torch.baddbmm(layer.bias[None, None], xb, wt), x, block=rows_for(x.shape[2]), dim=1)
        return _act_(y, layer)
    proj = styles.ws[:, layer.row] @ aw.t()  # [K, S]: styles are affine in w, so mix projections
    return _bias_act(fmm_mixed(layer, x[0], lam, proj, ab)[None], layer)


def fmm_split_forward(
    layer: FMMLayer, x: torch.Tensor, parent: torch.Tensor, feats: torch.Tensor, styles: Styles
) -> torch.Tensor:
    """Uniform-style FMM of [x[:, parent], feats] without building it: x [B, Pc, Ic], feats [P, F]."""
    aw, ab = layer.affine.weight, layer.affine.bias
    w = styles.folded(layer.name, lambda: fmm_weight(layer, styles.uniform(layer.row, aw, ab)))
    ic = x.shape[2]
    w_prev, w_feat = w[:, :, :ic].transpose(1, 2), w[:, :, ic:].transpose(1, 2)
    rows = rows_for(x.shape[2])
    coarse = by_blocks(lambda xb: torch.baddbmm(layer.bias[None, None], xb, w_prev), x, block=rows, dim=1)
    # each coarse pixel's share of the GEMM is computed once, then gathered to its children
    feats_b = feats[None].expand(x.shape[0], -1, -1)
    h = by_blocks(lambda hb, fb: torch.baddbmm(hb, fb, w_feat), coarse[:, parent], feats_b, block=rows, dim=1)
    return _act_(h, layer)


def torgb_forward(t: ToRGB, x: torch.Tensor, styles: Styles) -> torch.Tensor:
    """x [B, P, C] -> RGB [B, P, 3] (modulated, not demodulated)."""
    lam = styles.lam.get(t.row) if styles.lam is not None else None
    aw, ab = t.affine.weight, t.affine.bias
    if lam is None:
        wt = styles.folded(t.name, lambda: t.weight[None] * styles.uniform(t.row, aw, ab)[:, None, :]).transpose(1, 2)
        y = by_blocks(lambda xb: torch.baddbmm(t.bias[None, None], xb, wt), x, block=rows_for(x.shape[2]), dim=1)
    else:
        proj = styles.ws[:, t.row] @ aw.t()
        y = by_blocks(lambda xb, lb: torch.addmm(t.bias, xb * torch.addmm(ab, lb, proj), t.weight.t()), x[0], lam,
                      block=rows_for(x.shape[2]))[None]
    return y if t.clamp is None else y.clamp(-t.clamp, t.clamp)


def fuser_features(
    f: Fuser, xy: torch.Tensor, ij: torch.Tensor, ablate: frozenset[str]
) -> torch.Tensor:
    """[P, F] = sin(e), cos(e), const_embs at pixel ij; xy [P, 2] float32 (x right, y up), ij [P, 2] int."""
    with full_precision(xy.device):
        e = by_blocks(lambda a: a @ f.basis.t(), xy)
        parts = [torch.sin(e)] + ([torch.cos(e)] if f.use_cosine else [])
    if "fourier" in ablate:
        parts = [torch.zeros_like(p) for p in parts]
    r = f.const.shape[0]
    const = f.const[ij[:, 0].clamp(0, r - 1), ij[:, 1].clamp(0, r - 1)]  # border clamp outside the frame
    if "embedding" in ablate:
        const = torch.zeros_like(const)
    return torch.cat(parts + [const], dim=1)
