"""Exact FMM layers under per-pixel style mixes of K anchors (DESIGN.md §6 ``weights``)."""

from __future__ import annotations

import math

import torch

from engine.models.host import host_float64
from engine.models.inrgan_config import FMMLayer
from engine.models.ops import DEMOD_EPS, anchor_alone
from engine.models.row_blocks import by_blocks, rows_for

FORCE_ROUTE = ""  # tests may force "grouped", "quadratic" or "pixel"
PAIRS_MAX = 15  # quadratic form over at most this many anchor pairs (4 anchors), else per pixel
PIXEL_ROWS = 32  # pixels per block of the per-pixel route (a [32, O, I] weight stack each)
QUAD_ROWS = 512  # pixels per block of the quadratic form (pair products [512, J, O])


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


def fmm_mixed(
    layer: FMMLayer, x: torch.Tensor, lam: torch.Tensor, proj: torch.Tensor, bias: torch.Tensor
) -> torch.Tensor:
    """W'(p) x(p) for x [P, I], anchor weights lam [P, K], anchor projections proj [K, S], affine bias [S].

    The route of a pixel depends only on its own weights and the layer, never on the other pixels of the
    call, so a tile renders its pixels exactly as the whole image does: a pixel that is one anchor alone
    takes that anchor's folded weight ("grouped": one GEMM per anchor), any other the quadratic form of
    `_quadratic` when the layer demodulates and the anchors are few, else a modulated weight per pixel.
    """
    k = lam.shape[1]
    route = FORCE_ROUTE
    if not route:
        j = (k + 1) * (k + 2) // 2
        route = "quadratic" if layer.activation == "demod" and j <= PAIRS_MAX else "pixel"
    out = x.new_empty(x.shape[0], layer.weight.shape[0])
    if route == "grouped":  # every distinct style its own group (tests compare the routes)
        uniq, inv = torch.unique(lam, dim=0, return_inverse=True)
        rest = torch.zeros(x.shape[0], dtype=torch.bool, device=x.device)
    else:
        uniq, inv = torch.eye(k, dtype=lam.dtype, device=lam.device), anchor_alone(lam)
        rest = inv < 0
    for u in torch.unique(inv[inv >= 0]).tolist():
        idx = (inv == u).nonzero()[:, 0]
        wt = fmm_weight(layer, torch.addmm(bias, uniq[u : u + 1], proj))[0].t()
        out[idx] = by_blocks(lambda xb, wt=wt: xb @ wt, x[idx], block=rows_for(x.shape[1]))
    if bool(rest.any()):
        idx = rest.nonzero()[:, 0]
        if route == "quadratic":
            out[idx] = _quadratic(layer, x[idx], lam[idx], proj, bias)
        else:
            out[idx] = by_blocks(lambda xb, lb: _per_pixel(layer, xb, lb, proj, bias), x[idx], lam[idx],
                                 block=PIXEL_ROWS)
    return out


def _per_pixel(
    layer: FMMLayer, x: torch.Tensor, lam: torch.Tensor, proj: torch.Tensor, bias: torch.Tensor
) -> torch.Tensor:
    """A modulated weight per pixel (the fallback route)."""
    w = fmm_weight(layer, torch.addmm(bias, lam, proj))
    return torch.bmm(w, x[:, :, None])[:, :, 0]


def _quadratic(
    layer: FMMLayer, x: torch.Tensor, lam: torch.Tensor, proj: torch.Tensor, bias: torch.Tensor
) -> torch.Tensor:
    """The style of pixel p is s(p) = b + Σ_k λ_k(p) s_k, so with λ'_0 = 1 and s_0 = b the FMM matrix
    M(p) = Σ_kl λ'_k λ'_l A_k B_l / √R is quadratic in λ'. With q_j = λ'_k λ'_l over pairs j = (k ≤ l)
    and V_j = W ⊙ G_j (G_j the symmetrised A_k B_l / √R; G_00 also carries the 1 of "1 + M"),
    W'(p) = Σ_j q_j V_j: then W'(p) x = Σ_j q_j (V_j x) takes J GEMMs shared by all pixels, and the
    squared row norms are quadratic forms q^T C_o q with Gram matrices C_o = V_o V_o^T. No per-pixel
    weight matrix is built.
    """
    o, i = layer.weight.shape
    r = layer.rank
    s = torch.cat([bias[None], proj])  # [K', S]: the bias is anchor 0 with λ'_0 = 1
    a = s[:, : o * r].reshape(-1, o, r)
    b = s[:, o * r :].reshape(-1, r, i)
    k1 = s.shape[0]
    pairs = [(k, m) for k in range(k1) for m in range(k, k1)]
    g = []
    for k, m in pairs:
        gk = a[k] @ b[m] if k == m else a[k] @ b[m] + a[m] @ b[k]
        g.append(gk / math.sqrt(r))
    v = layer.weight[None] * torch.stack(g)  # [J, O, I]
    v[0] += layer.weight  # the "1 +" of W ⊙ (1 + M) rides on the pair (0, 0), whose q is always 1
    nj = len(pairs)
    with host_float64():  # the Gram matrices in float64, on the host
        vd = v.detach().cpu().double()
        gram = torch.einsum("joi,koi->jok", vd, vd).float().reshape(nj, o * nj).to(v.device)  # C_o[j, k]
    lam1 = torch.cat([lam.new_ones(lam.shape[0], 1), lam], 1)
    kk = torch.tensor([p[0] for p in pairs], device=x.device)
    mm = torch.tensor([p[1] for p in pairs], device=x.device)
    vt = v.reshape(nj * o, i).t()

    def rows(xb: torch.Tensor, lb: torch.Tensor) -> torch.Tensor:
        q = lb[:, kk] * lb[:, mm]  # [Pb, J]
        h = torch.einsum("pj,pjo->po", q, (xb @ vt).reshape(-1, nj, o))
        n2 = ((q @ gram).reshape(-1, o, nj) * q[:, None, :]).sum(2)
        return h / (n2.clamp_min_(0).sqrt_() + DEMOD_EPS)

    return by_blocks(rows, x, lam1, block=QUAD_ROWS)
