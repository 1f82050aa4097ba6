"""CREPS render paths: separable (axis-aligned grids), per-pixel (any grid) and painted (per-pixel styles)."""

from __future__ import annotations

import torch

from engine.models.creps_lines import lattice_render
from engine.models.creps_network import PIXEL_CHUNK, CrepsNetwork, Head, LineStyles
from engine.models.creps_ops import compose_outer, compose_pairs
from engine.models.ops import anchor_alone

PER_PIXEL_CHUNK = 2048  # pixels per line-network pass on non-separable grids (2K line samples each)
TABLE_BYTES = 128 << 20  # painted renders: bi-line tables of one tile stay below this
TILE_ALIGNED, TILE_GENERAL = 256, 64  # painted renders: tile sides (rows/columns shared vs not)


def render(net: CrepsNetwork, ws: torch.Tensor, grid: torch.Tensor | None, weights: torch.Tensor | None,
           fourier: bool, lattice: bool = False) -> torch.Tensor:
    """The `_synthesize` hook: [B, L, w_dim] styles on a grid (None = stored native coords) -> [B, C, H, W];
    ``lattice``: unpainted off-axis grids from interpolated line lattices (the interactive preview)."""
    if grid is None:
        coords = net.t["synthesis.b4.input.coords"]
        ur, vc = coords[0, :, 0, 0], coords[0, :, 1, 0]
        u, v = ur[:, None].expand(-1, vc.shape[0]), vc[None].expand(ur.shape[0], -1)
    else:
        u, v = (grid[..., 1] + 1) * 0.5, (grid[..., 0] + 1) * 0.5  # frame (x, y) -> (row u, column v)
    layout = _layout(u, v)
    if weights is None:
        head = net.head_fold(ws[:, -1])
        st = net.line_styles(ws)
        if layout is not None:
            return separable(net, st, u, v, layout, head, fourier).permute(0, 3, 1, 2)
        h, w = u.shape
        out = torch.empty(ws.shape[0], h * w, net.cfg.img_channels, device=net.device)
        idx = torch.arange(h * w, device=net.device)
        for b in range(ws.shape[0]):
            hb = ("fold", [m[b:b + 1] for m in head[1]])
            if lattice and lattice_render(net, st.select(b), u, v, hb, fourier, out[b]):
                continue
            per_pixel(net, st.select(b), idx, u.reshape(-1), v.reshape(-1), hb, fourier, out[b])
        return out.view(-1, h, w, net.cfg.img_channels).permute(0, 3, 1, 2)
    return painted(net, ws, weights, u, v, layout, fourier).permute(0, 3, 1, 2)


def _layout(u: torch.Tensor, v: torch.Tensor) -> str | None:
    """Which separable layout a grid has, if any.

    "rows": u depends only on the output row and v only on the column (axis-aligned grids); "cols": the
    transpose (grids turned by 90 degrees); None: any other grid (per-pixel path).
    """
    if bool((u == u[:, :1]).all() and (v == v[:1]).all()):
        return "rows"
    if bool((u == u[:1]).all() and (v == v[:, :1]).all()):
        return "cols"
    return None


def separable(net: CrepsNetwork, st: LineStyles, u: torch.Tensor, v: torch.Tensor, layout: str, head: Head,
              fourier: bool) -> torch.Tensor:
    """Separable grid ([H, W] u and v, see `_layout`), folded line styles -> [N, H, W, C].

    Row lines are evaluated once per distinct u, column lines once per distinct v; the composition of a pixel
    is the same addcmul chain as on the per-pixel path, so both paths give bit-identical pixels.
    """
    if layout == "rows":
        by_row, by_col = net.lines(st, u[:, 0], 0, fourier), net.lines(st, v[0], 1, fourier)
    else:
        by_row, by_col = net.lines(st, v[:, 0], 1, fourier), net.lines(st, u[0], 0, fourier)
    n, (h, w) = by_row[0].shape[0], u.shape
    out = torch.empty(n, h, w, net.cfg.img_channels, device=net.device)
    step = max(1, PIXEL_CHUNK // (w * n))
    for i0 in range(0, h, step):
        i1 = min(h, i0 + step)
        fs = [compose_outer(r[:, i0:i1], c).reshape(n, (i1 - i0) * w, -1) for r, c in zip(by_row, by_col, strict=True)]
        out[:, i0:i1] = net.pixels(fs, head, slice(i0 * w, i1 * w)).view(n, i1 - i0, w, -1)
    return out


def per_pixel(net: CrepsNetwork, st: LineStyles, idx: torch.Tensor, u: torch.Tensor, v: torch.Tensor, head: Head,
              fourier: bool, out: torch.Tensor) -> None:
    """Pixels idx (flat) with one folded line style, each at its own (u_p, v_p), written into out [P, C].

    The spec's exact per-pixel evaluation: row lines at the u_p, column lines at the v_p, element-wise
    composition. Equal coordinates are evaluated once (and, with folded styles, kept in the line cache).
    """
    for unit in idx.split(PER_PIXEL_CHUNK):
        uu, iu = torch.unique(u[unit], return_inverse=True)
        vv, iv = torch.unique(v[unit], return_inverse=True)
        xs = net.lines(st, uu, 0, fourier)
        ys = net.lines(st, vv, 1, fourier)
        for s0 in range(0, unit.shape[0], PIXEL_CHUNK):
            sl = slice(s0, s0 + PIXEL_CHUNK)
            fs = [compose_pairs(x[0, iu[sl]], y[0, iv[sl]])[None] for x, y in zip(xs, ys, strict=True)]
            out[unit[sl]] = net.pixels(fs, head, unit[sl])[0]


def blend_styles(ws: torch.Tensor, a: torch.Tensor, rows: int) -> torch.Tensor:
    """Styles of anchor weights a [G, rows*K] over the first `rows` layers: [G, rows, w_dim].

    Element-wise in anchor order (not a GEMM), so a group's style does not depend on the other groups.
    """
    a = a.view(a.shape[0], rows, ws.shape[0], 1)
    out = a[:, :, 0] * ws[0, :rows]
    for k in range(1, ws.shape[0]):
        out = torch.addcmul(out, a[:, :, k], ws[k, :rows])
    return out


def painted(net: CrepsNetwork, ws: torch.Tensor, weights: torch.Tensor, u: torch.Tensor, v: torch.Tensor,
            layout: str | None, fourier: bool) -> torch.Tensor:
    """Per-pixel anchor weights [L, H, W, K] over anchors ws [K, L, w_dim]: one image [1, H, W, C].

    Every pixel gets exactly the image of its own blended style, by a route that depends on its own weights
    only (so a tile renders its pixels as the whole image does): a pixel that is one anchor at every layer
    renders as the plain render of that anchor; any other pixel takes the grouped two-GEMM form
    (`_painted_groups`).
    """
    L, h, w, k = weights.shape
    a = weights.permute(1, 2, 0, 3).reshape(h * w, L, k)
    anchor = pixel_anchors(a)
    out = torch.empty(h * w, net.cfg.img_channels, device=net.device)
    for j in torch.unique(anchor[anchor >= 0]).tolist():
        st, head = net.line_styles(ws[j:j + 1]), net.head_fold(ws[j:j + 1, -1])
        idx = (anchor == j).nonzero()[:, 0]
        if layout is not None and idx.numel() == h * w:
            return separable(net, st, u, v, layout, head, fourier)
        per_pixel(net, st, idx, u.reshape(-1), v.reshape(-1), head, fourier, out)
    mixed = anchor < 0
    if bool(mixed.any()):
        head = net.head_pixel(ws, a[:, -1])
        a_line = a[:, :-1].reshape(h * w, (L - 1) * k)
        _painted_groups(net, ws, a_line, u, v, head, layout is not None, fourier, mixed, out)
    return out.view(1, h, w, -1)


def pixel_anchors(a: torch.Tensor) -> torch.Tensor:
    """For per-pixel weights a [P, L, K]: the anchor a pixel is alone at every layer (weight 1, the others
    0), or -1 for a blend: [P] long. This decides a pixel's route, from its own weights only."""
    per_layer = anchor_alone(a.reshape(-1, a.shape[2])).view(a.shape[0], a.shape[1])
    return torch.where((per_layer == per_layer[:, :1]).all(1), per_layer[:, 0], -1)


def unique_pairs(group: torch.Tensor, coords: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Distinct (group, float32 coordinate) pairs, keyed by the coordinate's bits (no float64: MPS has none):
    (groups [M], coordinates [M], pair of each input [P])."""
    bits = coords.contiguous().view(torch.int32).to(torch.int64) & 0xFFFFFFFF
    keys, inv = torch.unique(group.to(torch.int64) * (1 << 32) + bits, return_inverse=True)
    return keys >> 32, coords.new_zeros(keys.shape[0]).scatter_(0, inv, coords), inv


def _painted_groups(net: CrepsNetwork, ws: torch.Tensor, a_line: torch.Tensor, u: torch.Tensor, v: torch.Tensor,
                    head: Head, aligned: bool, fourier: bool, todo: torch.Tensor, out: torch.Tensor) -> None:
    """Pixels `todo` [H*W] (bool) of several line styles into out [H*W, C]: per tile, line samples are unique
    (group, coordinate) pairs, styled per sample."""
    h, w = u.shape
    c = net.cfg
    budget = max(2, TABLE_BYTES // (len(c.composed) * c.rank * c.biline_channels * 4))
    uf, vf = u.reshape(-1), v.reshape(-1)
    side = TILE_ALIGNED if aligned else TILE_GENERAL
    tiles = [(i, min(i + side, h), j, min(j + side, w)) for i in range(0, h, side) for j in range(0, w, side)]
    while tiles:
        i0, i1, j0, j1 = tiles.pop()
        dev = net.device
        idx = (torch.arange(i0, i1, device=dev)[:, None] * w + torch.arange(j0, j1, device=dev)).reshape(-1)
        idx = idx[todo[idx]]
        if idx.numel() == 0:
            continue
        groups, gp = torch.unique(a_line[idx], dim=0, return_inverse=True)
        rg, ru, ri = unique_pairs(gp, uf[idx])
        cg, cv, ci = unique_pairs(gp, vf[idx])
        if ru.shape[0] + cv.shape[0] > budget and idx.numel() > 1:
            im, jm = (i0 + i1 + 1) // 2, (j0 + j1 + 1) // 2
            tiles += [t for t in ((i0, im, j0, jm), (i0, im, jm, j1), (im, i1, j0, jm), (im, i1, jm, j1))
                      if t[0] < t[1] and t[2] < t[3]]
            continue
        st = net.line_style_tables(blend_styles(ws, groups, c.num_ws - 1))
        xs = net.line_tables(st, ru, 0, fourier, rg)
        ys = net.line_tables(st, cv, 1, fourier, cg)
        for s0 in range(0, idx.numel(), PIXEL_CHUNK):
            sl = slice(s0, s0 + PIXEL_CHUNK)
            fs = [compose_pairs(x[0, ri[sl]], y[0, ci[sl]])[None] for x, y in zip(xs, ys, strict=True)]
            out[idx[sl]] = net.pixels(fs, head, idx[sl])[0]
