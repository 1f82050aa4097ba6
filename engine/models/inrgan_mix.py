"""Exact FMM layers under per-pixel style mixes of K anchors (DESIGN.md §6 ``weights``)."""

from __future__ import annotations

import math

import torch

from engine.models.inrgan_config import FMMLayer

GROUP_OVERHEAD = 200_000  # flop-equivalent of the per-style Python/dispatch overhead
FORCE_ROUTE = ""  # tests may force "grouped", "quadratic" or "pixel"
PAIRS_MAX = 15  # quadratic form over at most this many anchor pairs (4 anchors in use), else per pixel
CHUNK_FLOATS = 1 << 24  # per-chunk working set of the pair products / per-pixel weights
DEMOD_EPS = 1e-8


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

    Picks the cheapest exact route by a flop estimate: one folded GEMM per distinct style ("grouped"),
    the quadratic form of `_quadratic`, or a modulated weight per pixel (the fallback).
    """
    used = (lam != 0).any(0)
    lam, proj = lam[:, used], proj[used]
    uniq, inv = torch.unique(lam, dim=0, return_inverse=True)
    o, i = layer.weight.shape
    p, u, r = x.shape[0], len(uniq), layer.rank
    j = (lam.shape[1] + 1) * (lam.shape[1] + 2) // 2
    per_style = o * i * (2 * r + 6)  # flops to fold one style into the weights
    cost = {"grouped": u * (per_style + GROUP_OVERHEAD) + p * o * i, "pixel": p * per_style}
    if layer.activation == "demod" and j <= PAIRS_MAX:
        cost["quadratic"] = p * o * (i * j + 2 * j * j) + j * j * o * i
    route = FORCE_ROUTE or min(cost, key=cost.__getitem__)
    if route == "grouped":
        return _grouped(layer, x, uniq, inv, proj, bias)
    if route == "quadratic":
        return _quadratic(layer, x, lam, proj, bias)
    out = x.new_empty(x.shape[0], layer.weight.shape[0])
    step = max(1, CHUNK_FLOATS // layer.weight.numel())
    for p0 in range(0, x.shape[0], step):
        w = fmm_weight(layer, torch.addmm(bias, lam[p0 : p0 + step], proj))
        out[p0 : p0 + step] = torch.bmm(w, x[p0 : p0 + step, :, None])[:, :, 0]
    return out


def _grouped(
    layer: FMMLayer, x: torch.Tensor, uniq: torch.Tensor, inv: torch.Tensor, proj: torch.Tensor, bias: torch.Tensor
) -> torch.Tensor:
    if len(uniq) == 1:
        return x @ fmm_weight(layer, torch.addmm(bias, uniq, proj))[0].t()
    out = x.new_empty(x.shape[0], layer.weight.shape[0])
    order = torch.argsort(inv)
    start = 0
    for u, n in enumerate(torch.bincount(inv, minlength=len(uniq)).tolist()):
        idx = order[start : start + n]
        start += n
        out[idx] = x[idx] @ fmm_weight(layer, torch.addmm(bias, uniq[u : u + 1], proj))[0].t()
    return out


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
    vd = v.double() if v.device.type != "mps" else v
    gram = torch.einsum("joi,koi->jok", vd, vd).float().reshape(nj, o * nj)  # C_o[j, k]
    lam1 = torch.cat([lam.new_ones(lam.shape[0], 1), lam], 1)
    kk = torch.tensor([p[0] for p in pairs], device=x.device)
    mm = torch.tensor([p[1] for p in pairs], device=x.device)
    vt = v.reshape(nj * o, i).t()
    out = x.new_empty(x.shape[0], o)
    step = max(1, CHUNK_FLOATS // (nj * o))
    for p0 in range(0, x.shape[0], step):
        q = lam1[p0 : p0 + step, kk] * lam1[p0 : p0 + step, mm]  # [Pc, J]
        h = torch.einsum("pj,pjo->po", q, (x[p0 : p0 + step] @ vt).reshape(-1, nj, o))
        n2 = ((q @ gram).reshape(-1, o, nj) * q[:, None, :]).sum(2)
        out[p0 : p0 + step] = h / (n2.clamp_min_(0).sqrt_() + DEMOD_EPS)
    return out
