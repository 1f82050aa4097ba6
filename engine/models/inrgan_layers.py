"""INR-GAN per-pixel math on channels-last activations [B, P, C]: FMM layers, ToRGB, coordinate features."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from engine.models.inrgan_config import FMMLayer, Fuser, ToRGB

DEMOD_EPS = 1e-8  # added to the row norm, not inside a square root (spec §2.3)
NORM_EPS = 1e-8
GROUPED_MAX = 256  # per-pixel styles with at most this many distinct values run one GEMM per value
WEIGHT_CHUNK = 1 << 24  # floats of per-pixel modulated weights materialised at once


class Styles:
    """Where each layer's style comes from: one w per sample, or per-pixel mixes of K anchors.

    ``ws`` is [B, num_ws, w_dim] (uniform) or the K anchors [K, num_ws, w_dim]; ``lam`` maps a ws row to
    the anchor weights [P, K] of the current point set (absent: uniform styles).
    """

    def __init__(self, ws: torch.Tensor, lam: dict[int, torch.Tensor] | None = None) -> None:
        self.ws = ws
        self.lam = lam
        self._cache: dict[str, torch.Tensor] = {}

    def uniform(self, row: int, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return torch.addmm(bias, self.ws[:, row], weight.t())

    def folded(self, key: str, make: object) -> torch.Tensor:
        """Per-call cache of uniform modulated weights (bands of one render reuse them)."""
        if key not in self._cache:
            self._cache[key] = make()  # type: ignore[operator]
        return self._cache[key]


def fmm_weight(layer: FMMLayer, s: torch.Tensor) -> torch.Tensor:
    """Modulated weights [U, O, I] for styles s [U, (O + I) * rank]."""
    o, i = layer.weight.shape
    r = layer.rank
    a = s[:, : o * r].reshape(-1, o, r)
    b = s[:, o * r :].reshape(-1, r, i)
    m = torch.bmm(a, b) / math.sqrt(r)
    if layer.activation == "tanh":
        m = torch.tanh(m)
    elif layer.activation == "sigmoid":
        m = torch.sigmoid(m) - 0.5
    w = layer.weight[None] * (1.0 + m)
    if layer.activation == "demod":
        w = w / (w.norm(dim=2, keepdim=True) + DEMOD_EPS)
    return w


def _bias_act(h: torch.Tensor, layer: FMMLayer) -> torch.Tensor:
    h = F.leaky_relu(h + layer.bias, 0.2) * layer.act_gain
    return h if layer.clamp is None else h.clamp(-layer.clamp, layer.clamp)


def instance_norm(x: torch.Tensor) -> torch.Tensor:
    """-bil only: divide by the unbiased std over all pixels of the scale, no centring."""
    return x / (x.std(dim=1, keepdim=True) + NORM_EPS)


def fmm_forward(layer: FMMLayer, x: torch.Tensor, styles: Styles) -> torch.Tensor:
    """x [B, P, I] -> [B, P, O] (B == 1 with per-pixel styles)."""
    lam = styles.lam.get(layer.row) if styles.lam is not None else None
    aw, ab = layer.affine.weight, layer.affine.bias
    if lam is None:
        w = styles.folded(layer.name, lambda: fmm_weight(layer, styles.uniform(layer.row, aw, ab)))
        return _bias_act(torch.bmm(x, w.transpose(1, 2)), layer)
    proj = styles.ws[:, layer.row] @ aw.t()  # [K, S]: styles are affine in w, so mix projections
    uniq, inv = torch.unique(lam, dim=0, return_inverse=True)
    xs = x[0]
    if len(uniq) == 1:
        w = fmm_weight(layer, torch.addmm(ab, uniq, proj))
        return _bias_act((xs @ w[0].t())[None], layer)
    out = xs.new_empty(xs.shape[0], layer.weight.shape[0])
    if len(uniq) <= GROUPED_MAX:
        order = torch.argsort(inv)
        counts = torch.bincount(inv, minlength=len(uniq)).tolist()
        start = 0
        for u, n in enumerate(counts):
            idx = order[start : start + n]
            start += n
            w = fmm_weight(layer, torch.addmm(ab, uniq[u : u + 1], proj))[0]
            out[idx] = xs[idx] @ w.t()
    else:
        step = max(1, WEIGHT_CHUNK // layer.weight.numel())
        for p0 in range(0, xs.shape[0], step):
            w = fmm_weight(layer, torch.addmm(ab, lam[p0 : p0 + step], proj))
            out[p0 : p0 + step] = torch.bmm(w, xs[p0 : p0 + step, :, None])[:, :, 0]
    return _bias_act(out[None], layer)


def torgb_forward(t: ToRGB, x: torch.Tensor, styles: Styles) -> torch.Tensor:
    """x [B, P, C] -> RGB [B, P, 3] (modulated, not demodulated)."""
    lam = styles.lam.get(t.row) if styles.lam is not None else None
    aw, ab = t.affine.weight, t.affine.bias
    if lam is None:
        w = styles.folded(t.name, lambda: t.weight[None] * styles.uniform(t.row, aw, ab)[:, None, :])
        y = torch.baddbmm(t.bias[None, None], x, w.transpose(1, 2))
    else:
        s = torch.addmm(ab, lam, styles.ws[:, t.row] @ aw.t())  # [P, C]
        y = torch.addmm(t.bias, x[0] * s, t.weight.t())[None]
    return y if t.clamp is None else y.clamp(-t.clamp, t.clamp)


def fuser_features(
    f: Fuser, xy: torch.Tensor, ij: torch.Tensor, ablate: frozenset[str]
) -> torch.Tensor:
    """[P, F] = sin(e), cos(e), const_embs at pixel ij; xy [P, 2] float32 (x right, y up), ij [P, 2] int."""
    e = xy @ f.basis.t()
    parts = [torch.sin(e)] + ([torch.cos(e)] if f.use_cosine else [])
    if "fourier" in ablate:
        parts = [torch.zeros_like(p) for p in parts]
    r = f.const.shape[0]
    const = f.const[ij[:, 0].clamp(0, r - 1), ij[:, 1].clamp(0, r - 1)]  # border clamp outside the frame
    if "embedding" in ablate:
        const = torch.zeros_like(const)
    return torch.cat(parts + [const], dim=1)
