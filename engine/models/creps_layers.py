"""CREPS layer activations for the layer viewer: every line and pixel layer of the real forward, per pixel.

#----------------------------------------------------------------------------
# Line layers (b4.input ... b<R>.tores) act on line samples [C, N, 2K] (spec creps.md §3.4): at pixel p
# we show the row line at u_p in slots 0..K-1 and the column line at v_p in slots K..2K-1, flattened as
# channel c * 2K + slot (the official tensor's own (C, 2K) order), so a row slot is constant along image
# rows and a column slot along image columns. Pixel layers (compositions, fused features, decoders, head)
# are per pixel. Painted styles follow the render's rules: a pixel that is one anchor alone as that anchor's
# plain render, the others with line samples styled per group of equal line weights and the head per pixel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from engine.models.creps_network import CrepsNetwork, Head, LineStyles
from engine.models.creps_ops import compose_pairs
from engine.models.creps_render import blend_styles, pixel_anchors, unique_pairs

if TYPE_CHECKING:
    from engine.models.creps_config import CrepsConfig

PIXEL_CHUNK = 4096  # pixels per pass (line layers keep C * 2K floats per pixel)


HEAD_LAYERS = ("decoder_last", "decoder_img", *(f"block{i}.{n}" for i in (0, 1) for n in ("fc0", "fc1", "tores")))


def activation_layers(cfg: CrepsConfig) -> list[str]:
    """Viewable layers in execution order: line layers, and after each block b<r> (r >= 8) its composition
    ``b<r>.compose`` (F_r = sum_k X_k(u) Y_k(v) of the scaled bi-line) and, from the second on, the fused
    feature ``b<r>.feature`` = decoder_r(feature) + F_r; then the head (decoder_img: the first RGB;
    ``tores``: the running bi-line of a line block, the running RGB of block0/1)."""
    names = ["b4.input", "b4.fc1"]
    for i, r in enumerate(cfg.composed):
        names += [f"b{r}.fc0", f"b{r}.fc1", f"b{r}.tores", f"b{r}.compose"] + ([f"b{r}.feature"] if i else [])
    return names + list(HEAD_LAYERS)


def line_layers(cfg: CrepsConfig) -> list[str]:
    """The layers that act on line samples (one value per row / column coordinate and slot)."""
    return [n for n in activation_layers(cfg)
            if n not in HEAD_LAYERS and not n.endswith((".compose", ".feature"))]


def layer_activations(net: CrepsNetwork, ws: torch.Tensor, grid: torch.Tensor, weights: torch.Tensor | None,
                      layer: str, fourier: bool) -> torch.Tensor:
    """``layer`` at grid [H, W, 2] (frame x, y), [C, H, W]: ws [1, L, w_dim] or K anchors with weights [L, H, W, K]."""
    u, v = (grid[..., 1] + 1) * 0.5, (grid[..., 0] + 1) * 0.5  # frame (x, y) -> (row u, column v)
    h, w = u.shape
    uf, vf = u.reshape(-1), v.reshape(-1)
    n_ws = net.num_ws
    line = layer in line_layers(net.cfg)
    # each pixel by the route the render gives it (creps_render.painted): (pixels, folded styles, head, groups)
    routes: list[tuple[torch.Tensor, LineStyles | None, Head, torch.Tensor | None]] = []
    if weights is None:
        routes.append((torch.arange(h * w, device=net.device), net.line_styles(ws[:1]), net.head_fold(ws[:1, -1]),
                       None))
    else:
        a = weights.permute(1, 2, 0, 3).reshape(h * w, n_ws, -1)
        anchor = pixel_anchors(a)
        for j in torch.unique(anchor[anchor >= 0]).tolist():
            routes.append(((anchor == j).nonzero()[:, 0], net.line_styles(ws[j:j + 1]), net.head_fold(ws[j:j + 1, -1]),
                           None))
        if bool((anchor < 0).any()):
            routes.append(((anchor < 0).nonzero()[:, 0], None, net.head_pixel(ws, a[:, -1]),
                           a[:, :-1].reshape(h * w, -1)))
    out: torch.Tensor | None = None
    for pixels, folded, head, a_line in routes:
        for idx in pixels.split(PIXEL_CHUNK):
            if a_line is None:
                assert folded is not None
                st: LineStyles = folded
                uu, iu = torch.unique(uf[idx], return_inverse=True)
                vv, iv = torch.unique(vf[idx], return_inverse=True)
                gu = gv = None
            else:  # line samples are unique (group, coordinate) pairs, styled per sample
                groups, gp = torch.unique(a_line[idx], dim=0, return_inverse=True)
                st = net.line_style_tables(blend_styles(ws, groups, n_ws - 1))
                gu, uu, iu = unique_pairs(gp, uf[idx])
                gv, vv, iv = unique_pairs(gp, vf[idx])
            part = _chunk(net, st, head, idx, (uu, iu, gu), (vv, iv, gv), layer if line else None,
                          None if line else layer, fourier)
            if out is None:
                out = part.new_empty(h * w, part.shape[1])
            out[idx] = part
    assert out is not None
    return out.t().reshape(-1, h, w)


Axis = tuple[torch.Tensor, torch.Tensor, "torch.Tensor | None"]  # (distinct coords, pixel -> coord, groups)


def _chunk(net: CrepsNetwork, st: LineStyles, head: Head, idx: torch.Tensor, rows: Axis, cols: Axis,
           line_stop: str | None, pixel_stop: str | None, fourier: bool) -> torch.Tensor:
    """One chunk of pixels idx: [P, C] of a line layer (c * 2K + slot) or of a pixel layer."""
    (uu, iu, gu), (vv, iv, gv) = rows, cols
    xs = net.line_tables(st, uu, 0, fourier, gu, line_stop)  # per block [1, Mu, K, C]
    ys = net.line_tables(st, vv, 1, fourier, gv, line_stop)
    if line_stop is not None:
        x, y = xs[0][0, iu].transpose(1, 2), ys[0][0, iv].transpose(1, 2)  # [P, C, K] each
        return torch.cat([x, y], dim=2).reshape(idx.shape[0], -1)
    fs = [compose_pairs(x[0, iu], y[0, iv])[None] for x, y in zip(xs, ys, strict=True)]
    return net.pixels(fs, head, idx, pixel_stop)[0].float()
