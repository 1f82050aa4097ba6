"""The INR-GAN synthesis network (Skorokhodov et al. 2021) of one official snapshot: its weights (`InrGanConfig`)
and every render path (official pyramid, exact points at any grid, the -bil variant's samples, layer taps).

`engine.models.inrgan.InrGanGenerator` is the thin `Generator` adapter around it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from engine.models.base import LayerReached
from engine.models.host import host_float64
from engine.models.inrgan_config import Block, InrGanConfig, to_device
from engine.models.inrgan_layers import (
    Styles,
    fmm_forward,
    fmm_split_forward,
    fuser_features,
    instance_norm,
    torgb_forward,
)

SNAP = 1e-3  # grid points this close (in native pixels) to a native pixel are that pixel
PTS_MAX = float(2**24)  # native pixels; float32 coordinates carry no information beyond this

Tap = Callable[[str, torch.Tensor], None]  # (layer name, activation [B, P, C] at the level's points)


class InrGanNetwork:
    """INR-GAN / INR-GAN-bil synthesis on ``device`` (see `InrGanGenerator` for the coordinate conventions).

    Attributes
    ----------
    config : InrGanConfig
        Architecture and weights inferred from the pickle.
    chunk_pixels : int
        Output points (times batch) rendered at once on the pixel-independent path; bounds memory.
    pixel_independent : bool
        True for nearest upsampling without instance norm: any grid, tile or band renders exactly per
        pixel. False for -bil: other grids are bilinear samples of the (cached) native render.
    """

    chunk_pixels = 1 << 16

    def __init__(self, config: InrGanConfig, device: torch.device) -> None:
        self.config = config
        self.device = device
        to_device(config, device)
        self.resolution, self.num_ws = config.resolution, config.num_ws
        self.pixel_independent = config.upsampling == "nearest" and not any(
            layer.instance_norm for b in config.blocks for layer in b.layers
        )
        self._native_cache: tuple[Any, torch.Tensor] | None = None
        self._folds: tuple[Any, dict[str, torch.Tensor]] | None = None

    def to(self, device: torch.device) -> None:
        """Move the weights; the caches are dropped."""
        self.device = device
        to_device(self.config, device)
        self._native_cache = None
        self._folds = None

    def fold_cache(self, ws: torch.Tensor) -> dict[str, torch.Tensor]:
        """Folded weights of the last styles: tiles, passes and view changes of one style fold only once
        (the affines read ~230 MB of weights per fold, ~40 ms on the 2-core CPU)."""
        key = (tuple(ws.shape), str(ws.device), hashlib.sha1(ws.detach().cpu().numpy().tobytes()).digest())
        if self._folds is None or self._folds[0] != key:
            self._folds = (key, {})
        return self._folds[1]

    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        """z [B, z_dim] -> w [B, w_dim] (pixel norm, then the FC stack)."""
        x = z.float() * torch.rsqrt(z.float().square().mean(dim=1, keepdim=True) + 1e-8)
        for fc in self.config.mapping:
            x = torch.addmm(fc.bias, x, fc.weight.t())
            if self.config.mapping_act == "lrelu":
                x = F.leaky_relu(x, 0.2) * 2**0.5
        return x

    def layer_names(self) -> list[str]:
        """Rows by block and layer, e.g. ``"b64.conv0 + b32.torgb"`` (a ToRGB shares the next block's row)."""
        convs: list[list[str]] = [[] for _ in range(self.num_ws)]
        rgbs: list[list[str]] = [[] for _ in range(self.num_ws)]
        for b in self.config.blocks:
            for layer in b.layers:
                convs[layer.row].append(layer.name)
            rgbs[b.torgb.row].append(b.torgb.name)
        return [" + ".join(c + t) for c, t in zip(convs, rgbs, strict=True)]

    def coordinate_embeddings(self) -> dict[str, torch.Tensor]:
        return {f"{b.name}.const_embs": b.fuser.const.permute(2, 0, 1)
                for b in self.config.blocks if b.fuser is not None and b.fuser.const.shape[2] > 0}

    def activation_layers(self) -> list[str]:
        """Execution order: per block its coordinate features (``<block>.coord_fuser``: sin, cos, const
        embeddings) when it has a fuser, each FMM layer, then its ToRGB (the running skip RGB)."""
        names: list[str] = []
        for b in self.config.blocks:
            if b.fuser is not None:
                names.append(f"{b.name}.coord_fuser")
            names += [layer.name for layer in b.layers]
            names.append(b.torgb.name)
        return names

    def points(self, grid: torch.Tensor | None) -> tuple[torch.Tensor, tuple[int, int]]:
        """Continuous native pixel positions [P, 2] = (column, row), float64 on the CPU, and (H, W)."""
        n = self.resolution
        # index bookkeeping runs on the CPU in float64 (MPS has no float64); only GEMM inputs go to the device
        with host_float64():
            if grid is None:
                ii, jj = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
                return torch.stack([jj, ii], -1).reshape(-1, 2).double(), (n, n)
            pts = ((grid.reshape(-1, 2).cpu().double() + 1.0) * ((n - 1) / 2.0)).clamp(-PTS_MAX, PTS_MAX)
            near = pts.round()
            return torch.where((pts - near).abs() < SNAP, near, pts), (grid.shape[0], grid.shape[1])

    def synthesize(
        self,
        ws: torch.Tensor,
        grid: torch.Tensor | None,
        weights: torch.Tensor | None,
        ablate: frozenset[str],
    ) -> torch.Tensor:
        """RGB [B or 1, 3, H, W] (`Generator._synthesize`; INR-GAN has no noise inputs)."""
        pts, hw = self.points(grid)
        lam = None if weights is None else weights.reshape(self.num_ws, -1, weights.shape[-1])
        if self.pixel_independent:
            rgb = self.render_points(ws, pts, lam, ablate)
        else:
            rgb = self.render_coupled(ws, pts, hw, grid is None, weights, ablate)
        return rgb.reshape(rgb.shape[0], hw[0], hw[1], 3).permute(0, 3, 1, 2).contiguous()

    # ----------------------------------------------------------------- layer viewer
    def layer_activations(self, ws: torch.Tensor, grid: torch.Tensor, weights: torch.Tensor | None,
                           layer: str, ablate: frozenset[str]) -> torch.Tensor:
        """One layer at the grid, [C, H, W]. A layer of a coarser scale shows, per grid point, what the
        render carries from that scale: the ancestor pixel's value (nearest upsampling; exactly the render's
        own chain) or, for -bil, the scale's map sampled bilinearly at the align_corners=True position
        P (r - 1)/(N - 1) of its upsampling (at the native scale: the render's own sampling)."""
        pts, hw = self.points(grid)
        ws = ws[:1] if weights is None else ws
        if self.pixel_independent:
            lam = None if weights is None else weights.reshape(self.num_ws, -1, weights.shape[-1])
            acts = self.render_points(ws, pts, lam, ablate, layer)
        else:
            acts = self.coupled_activations(ws, pts, hw, weights, ablate, layer)
        return acts[0].t().reshape(-1, hw[0], hw[1])

    def coupled_activations(self, ws: torch.Tensor, pts: torch.Tensor, hw: tuple[int, int],
                             weights: torch.Tensor | None, ablate: frozenset[str], layer: str) -> torch.Tensor:
        n = self.resolution
        if weights is not None and not torch.equal(pts, self.points(None)[0]):
            raise ValueError(
                "weights: the bilinear INR-GAN variant is not pixel-independent; per-pixel style maps are only "
                "supported at the native grid"
            )
        seen: list[torch.Tensor] = []

        def tap(name: str, t: torch.Tensor) -> None:
            if name == layer:
                seen.append(t.clone())
                raise LayerReached

        try:
            self.render_dense(ws, weights, ablate, tap=tap)
        except LayerReached:
            pass
        t = seen[0]
        r = round(t.shape[1] ** 0.5)
        return _bilinear_sample(t.reshape(t.shape[0], r, r, -1), pts * ((r - 1) / (n - 1)))

    # ----------------------------------------------------------------- pixel-independent path (nearest)
    def render_points(
        self, ws: torch.Tensor, pts: torch.Tensor, lam: torch.Tensor | None, ablate: frozenset[str],
        layer: str | None = None,
    ) -> torch.Tensor:
        """RGB [B', P, 3] at continuous native pixel positions pts [P, 2] = (column, row), float64;
        with ``layer``, that layer's activations [B', P, C] instead."""
        cfg, n = self.config, self.resolution
        coarse = cfg.levels[:-1]
        # global ancestor ids per coarse level, so area-averaged styles do not depend on the banding
        inv: list[torch.Tensor] = []
        anc: list[torch.Tensor] = []
        for r in coarse:
            with host_float64():
                a = torch.floor(pts * (r / n)).long()  # [P, 2] (col, row) at scale r
            lo = a.min(0).values
            span = a.max(0).values - lo + 1
            key = (a[:, 1] - lo[1]) * span[0] + (a[:, 0] - lo[0])
            uk, iv = torch.unique(key, return_inverse=True)
            anc.append(torch.stack([uk // span[0] + lo[1], uk % span[0] + lo[0]], 1))  # (row, col)
            inv.append(iv)
        level_lam: list[dict[int, torch.Tensor]] = []
        if lam is not None:
            for li in range(len(coarse)):
                rows = self.rows_at(cfg.levels[li])
                cnt = torch.bincount(inv[li], minlength=len(anc[li])).to(lam)[:, None]
                iv = inv[li].to(lam.device)
                d = {}
                for row in rows:
                    s = lam.new_zeros(len(anc[li]), lam.shape[-1]).index_add_(0, iv, lam[row])
                    d[row] = s / cnt
                level_lam.append(d)
        b_out = 1 if lam is not None else ws.shape[0]
        step = max(1, self.chunk_pixels // b_out)
        out = []
        cache = self.fold_cache(ws)
        for p0 in range(0, pts.shape[0], step):
            band = slice(p0, p0 + step)
            sub = None if lam is None else lam[:, band]
            inv_band = [i[band] for i in inv]
            with host_float64():
                pts_band = pts[band]
            out.append(self.render_band(ws, pts_band, inv_band, anc, level_lam, sub, ablate, cache, layer))
        return torch.cat(out, 1)

    def rows_at(self, res: int) -> set[int]:
        """The style rows (ws indices) the blocks of scale ``res`` read."""
        rows: set[int] = set()
        for b in self.config.blocks:
            if b.res == res:
                rows.update(layer.row for layer in b.layers)
                rows.add(b.torgb.row)
        return rows

    def render_band(
        self,
        ws: torch.Tensor,
        pts: torch.Tensor,
        inv: list[torch.Tensor],
        anc: list[torch.Tensor],
        level_lam: list[dict[int, torch.Tensor]],
        lam: torch.Tensor | None,
        ablate: frozenset[str],
        cache: dict[str, torch.Tensor],
        layer: str | None = None,
    ) -> torch.Tensor:
        """One band of points through every scale: at each coarse scale its ancestors (``inv`` / ``anc``: the
        band's indices into the global ancestor lists), at the finest its own points; RGB [B', P, 3], or the
        activations of ``layer``."""
        cfg, n, dev = self.config, self.resolution, self.device
        seen: list[torch.Tensor] = []
        x: torch.Tensor | None = None
        img: torch.Tensor | None = None
        prev_local: torch.Tensor | None = None  # band point -> index into the previous level's rows
        for li, r in enumerate(cfg.levels):
            blocks = [b for b in cfg.blocks if b.res == r]
            if li < len(cfg.levels) - 1:
                ids, local = torch.unique(inv[li], return_inverse=True)
                ij = anc[li][ids]
                xy = torch.stack([2.0 * ij[:, 1] / r - 1.0, 1.0 - 2.0 * (ij[:, 0] + 1) / r], 1)
                idd = ids.to(dev)
                st = Styles(ws, None if lam is None else {k: v[idd] for k, v in level_lam[li].items()}, cache)
            else:  # finest scale: every requested point, sin/cos at its exact coordinate
                local = torch.arange(pts.shape[0])
                with host_float64():
                    ij = torch.floor(pts).long().flip(1)
                    xy = torch.stack([2.0 * pts[:, 0] / n - 1.0, 1.0 - 2.0 * (pts[:, 1] + 1) / n], 1).float()
                st = Styles(ws, None if lam is None else {k: lam[k] for k in self.rows_at(r)}, cache)
            parent = None
            if prev_local is not None:
                cpu_parent = torch.empty(int(local.max()) + 1, dtype=torch.long)
                cpu_parent[local] = prev_local
                parent = cpu_parent.to(dev)
                img = img[:, parent]  # type: ignore[index]
            tap = None if layer is None else _gather_tap(layer, local.to(dev), seen)
            try:
                x, img = self.run_level(blocks, x, img, xy.float().to(dev), ij.to(dev), st, ablate,
                                         parent=parent, tap=tap)
            except LayerReached:
                return seen[0]
            prev_local = local
        if layer is not None:
            raise ValueError(f"layer: no layer named {layer!r}")
        assert img is not None
        return img

    # ----------------------------------------------------------------- shared level runner
    def run_level(
        self,
        blocks: list[Block],
        x: torch.Tensor | None,
        img: torch.Tensor | None,
        xy: torch.Tensor,
        ij: torch.Tensor,
        st: Styles,
        ablate: frozenset[str],
        trace: dict[str, tuple[torch.Tensor, torch.Tensor]] | None = None,
        parent: torch.Tensor | None = None,
        tap: Tap | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the blocks of one scale on its points; ``x`` is at the previous scale's points when
        ``parent`` (this scale's point -> previous point) is given, else already at this scale.
        ``tap(name, activation)`` sees every `activation_layers` output at this scale's points."""
        b = st.ws.shape[0] if st.lam is None else 1
        for block in blocks:
            layers = block.layers
            if block.fuser is not None:
                feats = fuser_features(block.fuser, xy, ij, ablate)
                if tap is not None:
                    tap(f"{block.name}.coord_fuser", feats[None])
                if x is not None and parent is not None and st.lam is None:
                    # nearest upsampling commutes with the channel GEMM: the previous features' share
                    # of conv0 is computed once per coarse pixel, then copied to its children
                    x = fmm_split_forward(layers[0], x, parent, feats, st)
                    if tap is not None:
                        tap(layers[0].name, x)
                    layers = layers[1:]
                elif x is None:
                    x = feats[None].expand(b, -1, -1)
                else:
                    x = x if parent is None else x[:, parent]
                    x = torch.cat([x, feats[None].expand(b, -1, -1)], dim=2)
            elif parent is not None:
                x = x[:, parent]  # type: ignore[index]
            parent = None
            assert x is not None
            for layer in layers:
                if layer.instance_norm:
                    x = instance_norm(x)
                x = fmm_forward(layer, x, st)
                if tap is not None:
                    tap(layer.name, x)
            y = torgb_forward(block.torgb, x, st)
            img = y if img is None else img + y
            if tap is not None:
                tap(block.torgb.name, img)
            if trace is not None:
                trace[block.name] = (x, img)
        assert x is not None and img is not None
        return x, img

    # ----------------------------------------------------------------- coupled path (-bil)
    def render_coupled(
        self,
        ws: torch.Tensor,
        pts: torch.Tensor,
        hw: tuple[int, int],
        native: bool,
        weights: torch.Tensor | None,
        ablate: frozenset[str],
    ) -> torch.Tensor:
        n = self.resolution
        if not native and hw == (n, n):
            jj, ii = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="xy")
            native = bool(torch.equal(pts, torch.stack([jj, ii], -1).reshape(-1, 2).double()))
        if native:
            return self.render_dense(ws, weights, ablate)
        if weights is not None:
            raise ValueError(
                "weights: the bilinear INR-GAN variant is not pixel-independent; per-pixel style maps are only "
                "supported at the native grid (grid=None)"
            )
        key = (ws.cpu().numpy().tobytes(), tuple(ws.shape), ablate)
        if self._native_cache is None or self._native_cache[0] != key:  # tiles of one view share it
            self._native_cache = (key, self.render_dense(ws, None, ablate).reshape(-1, n, n, 3))
        return _bilinear_sample(self._native_cache[1], pts)

    def render_dense(
        self,
        ws: torch.Tensor,
        weights: torch.Tensor | None,
        ablate: frozenset[str],
        trace: dict[str, tuple[torch.Tensor, torch.Tensor]] | None = None,
        tap: Tap | None = None,
    ) -> torch.Tensor:
        """The official multi-scale pyramid (any upsampling mode, instance norm): RGB [B', N*N, 3]."""
        cfg, n = self.config, self.resolution
        mode = cfg.upsampling
        x: torch.Tensor | None = None
        img: torch.Tensor | None = None
        folds = self.fold_cache(ws)  # one style key (a host copy and a hash of ws) per render, not per scale
        for r in cfg.levels:
            ar = torch.arange(r, device=self.device)
            ii, jj = torch.meshgrid(ar, ar, indexing="ij")
            ij = torch.stack([ii, jj], -1).reshape(-1, 2)
            xy = torch.stack([2.0 * ij[:, 1] / r - 1.0, 1.0 - 2.0 * (ij[:, 0] + 1) / r], 1).float()
            lam = None
            if weights is not None:
                k = weights.shape[-1]
                maps = weights.permute(0, 3, 1, 2)  # area average over each scale-r pixel
                pooled = F.avg_pool2d(maps, n // r) if r < n else maps
                lam = {row: pooled[row].reshape(k, -1).t().contiguous() for row in self.rows_at(r)}
            if x is not None and img is not None:
                x, img = _upsample(x, r // 2, mode), _upsample(img, r // 2, mode)
            blocks = [b for b in cfg.blocks if b.res == r]
            st = Styles(ws, lam, folds)
            x, img = self.run_level(blocks, x, img, xy, ij, st, ablate, trace, tap=tap)
        assert img is not None
        return img


def _gather_tap(layer: str, local: torch.Tensor, seen: list[torch.Tensor]) -> Tap:
    """A tap that keeps ``layer``'s activation at the band's points (level point index ``local``) and stops."""

    def tap(name: str, t: torch.Tensor) -> None:
        if name == layer:
            seen.append(t[:, local])
            raise LayerReached

    return tap


def _upsample(t: torch.Tensor, r: int, mode: str) -> torch.Tensor:
    """[B, r*r, C] -> [B, 4 r*r, C] with the official interpolate (align_corners=True for bilinear)."""
    b, _, c = t.shape
    t = t.reshape(b, r, r, c).permute(0, 3, 1, 2)
    if mode == "nearest":
        t = F.interpolate(t, scale_factor=2, mode="nearest")
    else:
        t = F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=True)
    return t.permute(0, 2, 3, 1).reshape(b, 4 * r * r, c)


def _bilinear_sample(img: torch.Tensor, pts: torch.Tensor) -> torch.Tensor:
    """img [B, N, N, 3] at continuous pixel positions pts [P, 2] (column, row), border clamp -> [B, P, 3].

    Exact at integer positions (weights 1 and 0), unlike grid_sample's renormalised coordinates.
    """
    n = img.shape[1]
    p = pts.clamp(0, n - 1)
    p0 = p.floor()
    f = (p - p0).to(img)
    c0, r0 = p0[:, 0].long().to(img.device), p0[:, 1].long().to(img.device)
    c1, r1 = (c0 + 1).clamp(max=n - 1), (r0 + 1).clamp(max=n - 1)
    fx, fy = f[:, 0:1], f[:, 1:2]
    top = img[:, r0, c0] * (1 - fx) + img[:, r0, c1] * fx
    bottom = img[:, r1, c0] * (1 - fx) + img[:, r1, c1] * fx
    return top * (1 - fy) + bottom * fy
