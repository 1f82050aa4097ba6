"""CREPS' approximate lattice path for rotated grids (the line tables it reads are cached by the network:
`creps_network.LineCache`).

#----------------------------------------------------------------------------
# Rotated (non-separable) grids need each pixel's own (u_p, v_p): ~338 MFLOP per pixel exactly (§4.4).
# The "lattice" mode (approximate, opt-in) evaluates the lines on the fixed lattice k * h (see lattice_step:
# ~1.3-1.5 nodes per pixel distance, at most 1.8 line samples per output row plus column) and interpolates
# linearly per pixel; the lattice does not move with pans or rotations, so a gesture reuses the cached nodes.
"""

from __future__ import annotations

import math

import torch

from engine.models.creps_network import PIXEL_CHUNK, CrepsNetwork, Head, LineStyles
from engine.models.creps_ops import compose_pairs
from engine.models.host import host_float64

LATTICE_CHUNK = 512  # pixels per interpolation pass: the gathered tables (6 KB a pixel) stay in cache


def pixel_steps(u: torch.Tensor, v: torch.Tensor) -> tuple[float, float]:
    """Median (Euclidean, L1) length in (u, v) of the steps between horizontally / vertically neighbouring
    pixels ((0, 0) for one pixel). On a grid turned by t both directions give d and d (|cos t| + |sin t|),
    so a one-pixel strip measures what its whole frame does."""
    du, dv = [], []
    if u.shape[1] > 1:
        du.append((u[:, 1:] - u[:, :-1]).reshape(-1))
        dv.append((v[:, 1:] - v[:, :-1]).reshape(-1))
    if u.shape[0] > 1:
        du.append((u[1:] - u[:-1]).reshape(-1))
        dv.append((v[1:] - v[:-1]).reshape(-1))
    if not du:
        return 0.0, 0.0
    with host_float64():
        a, b = torch.cat(du).cpu().double(), torch.cat(dv).cpu().double()
        return float(torch.hypot(a, b).median()), float((a.abs() + b.abs()).median())


def _nodes(q: torch.Tensor, h: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Lattice cell of each coordinate: (node coordinates [M], lower node index [Q], upper [Q], fraction [Q])."""
    with host_float64():  # cells from float64 positions, computed on the host
        t = q.detach().cpu().double() / h
        k = torch.floor(t)
        frac = (t - k).float()
        ks, inv = torch.unique(torch.cat([k, k + 1]), sorted=True, return_inverse=True)
        lo, hi = inv[:q.shape[0]], inv[q.shape[0]:]
        nodes = (ks * h).float()
    dev = q.device
    return nodes.to(dev), lo.to(dev), hi.to(dev), frac.to(dev)


def lattice_render(net: CrepsNetwork, st: LineStyles, u: torch.Tensor, v: torch.Tensor, head: Head,
                   fourier: bool, out: torch.Tensor) -> bool:
    """Approximate render of one image (N = 1 styles) on any grid into out [H*W, C]; False if the grid has no
    pixel spacing (one pixel), where the caller renders exactly instead.

    Each pixel's row / column tables are the linear interpolation of the lattice tables at the two nodes
    around u_p (v_p). Per pixel the arithmetic is fixed, so tiles and pans render identical pixels.
    """
    d, l1 = pixel_steps(u, v)
    if not (d > 0 and math.isfinite(l1)):
        return False
    h = lattice_step(d, l1, net.lattice_density, net.lattice_budget, net.lattice_per_period, net.max_frequency)
    per_axis = []
    for q, slot in ((u.reshape(-1), 0), (v.reshape(-1), 1)):
        nodes, lo, hi, frac = _nodes(q, h)
        tabs = net.lines(st, nodes, slot, fourier)  # per block [1, M, K, Cb]
        flat = torch.stack([t[0] for t in tabs], dim=1)  # [M, blocks, K, Cb]
        per_axis.append((flat.reshape(flat.shape[0], -1), lo, hi, frac[:, None]))
    (tu, ulo, uhi, uf), (tv, vlo, vhi, vf) = per_axis
    n_blocks, k, cb = flat.shape[1:]
    for p0 in range(0, out.shape[0], PIXEL_CHUNK):
        p1 = min(p0 + PIXEL_CHUNK, out.shape[0])
        composed = tu.new_empty(p1 - p0, n_blocks, cb)
        for s0 in range(p0, p1, LATTICE_CHUNK):
            sl = slice(s0, min(s0 + LATTICE_CHUNK, p1))
            x = torch.lerp(tu.index_select(0, ulo[sl]), tu.index_select(0, uhi[sl]), uf[sl])
            y = torch.lerp(tv.index_select(0, vlo[sl]), tv.index_select(0, vhi[sl]), vf[sl])
            # all blocks at once: the same element-wise chain as compose_pairs per block
            composed[sl.start - p0:sl.stop - p0] = compose_pairs(x.view(-1, n_blocks, k, cb),
                                                                 y.view(-1, n_blocks, k, cb))
        out[p0:p1] = net.pixels([composed[None, :, b] for b in range(n_blocks)], head, slice(p0, p1))[0]
    return True


def lattice_step(d: float, l1: float, density: float, budget: float, per_period: float,
                 max_frequency: float) -> float:
    """Lattice spacing for pixel steps of length d (L1 length l1, see `pixel_steps`).

    `density` nodes per pixel distance, but (`budget` > 0) at most `budget` nodes per output row plus column:
    an H x W grid turned by t spans (H + W) l1 in u and v together, so a cold frame evaluates at most
    budget (H + W) line samples, against H + W when axis-aligned. If `per_period` > 0, at least that many
    nodes per period of the fastest line input sinusoid (fidelity in zoomed-out views or sparse pass grids,
    at any cost). Rounded to 1/16 octave, so views of one zoom and angle (whose measured steps differ in
    the last bits) share the lattice and its cached nodes.
    """
    h = d / density
    if budget > 0:
        h = max(h, l1 / budget)
    if per_period > 0 and max_frequency > 0:
        h = min(h, 1.0 / (per_period * max_frequency))
    return float(2.0 ** (round(math.log2(h) * 16) / 16))
