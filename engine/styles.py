"""Style seam: StyleSpec -> (ws anchors, per-pixel weights) for a generator and an output grid."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from engine.types import Anchor, StyleSpec

if TYPE_CHECKING:
    from engine.models.base import Generator


def z_from_seed(seed: int, z_dim: int) -> np.ndarray:
    """StyleGAN's convention: RandomState(seed).randn(z_dim), as float32."""
    if not 0 <= int(seed) < 2**32:
        raise ValueError(f"seed: must be in 0..2**32-1, got {seed}")
    return np.random.RandomState(int(seed)).randn(z_dim).astype(np.float32)


def anchor_z(anchor: Anchor, z_dim: int) -> np.ndarray | None:
    if anchor.seed is not None:
        return z_from_seed(anchor.seed, z_dim)
    if anchor.z is not None:
        z = anchor.z.array.reshape(-1)
        if z.shape != (z_dim,):
            raise ValueError(f"anchor z: expected {z_dim} values, got {z.size}")
        return z
    return None


def anchor_ws(g: Generator, anchor: Anchor, psi: float, cutoff: int | None) -> np.ndarray:
    """[num_ws, w_dim] style stack of one anchor (seeds and z are mapped and truncated; w used as is)."""
    z = anchor_z(anchor, g.z_dim)
    if z is not None:
        return g.mapping(z[None], psi=psi, cutoff=cutoff)[0]
    if anchor.w is None:
        raise ValueError("anchor: needs a seed, a z or a w")
    w = anchor.w.array
    if w.shape == (g.w_dim,):
        return np.broadcast_to(w, (g.num_ws, g.w_dim)).copy()
    if w.shape != (g.num_ws, g.w_dim):
        raise ValueError(f"anchor w: expected [{g.w_dim}] or [{g.num_ws}, {g.w_dim}], got {list(w.shape)}")
    return w.astype(np.float32)


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation between two z (falls back to lerp for parallel vectors)."""
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    cos = float(np.clip(np.dot(a / na, b / nb), -1.0, 1.0)) if na > 0 and nb > 0 else 1.0
    omega = np.arccos(cos)
    if omega < 1e-6:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def mix_weights(spec: StyleSpec) -> np.ndarray:
    k = len(spec.anchors)
    m = np.zeros(k, np.float32)
    if spec.mix is None:
        m[0] = 1.0
        return m
    if len(spec.mix) != k:
        raise ValueError(f"mix: expected {k} weights (one per anchor), got {len(spec.mix)}")
    m[:] = spec.mix
    if not np.isfinite(m).all():
        raise ValueError("mix: weights must be finite")
    return m


def base_style(g: Generator, spec: StyleSpec) -> tuple[np.ndarray, np.ndarray]:
    """(anchor stacks [K, num_ws, w_dim], the blended base stack [num_ws, w_dim])."""
    if not spec.anchors:
        raise ValueError("anchors: at least one anchor is needed")
    stacks = np.stack([anchor_ws(g, a, spec.psi, spec.cutoff) for a in spec.anchors])
    if spec.layer_table is not None:
        table = spec.layer_table.array
        if table.shape != (g.num_ws, len(spec.anchors)) or not np.isfinite(table).all():
            raise ValueError(f"layer_table: expected finite [{g.num_ws}, {len(spec.anchors)}], got {list(table.shape)}")
        return stacks, np.einsum("lk,klc->lc", table, stacks).astype(np.float32)
    m = mix_weights(spec)
    nz = np.flatnonzero(m)
    zs = [anchor_z(spec.anchors[i], g.z_dim) for i in nz]
    if spec.interp == "slerp-z" and len(nz) == 2 and all(z is not None for z in zs):
        t = float(m[nz[1]] / (m[nz[0]] + m[nz[1]]))
        z = slerp(zs[0], zs[1], t)  # type: ignore[arg-type]
        return stacks, g.mapping(z[None], psi=spec.psi, cutoff=spec.cutoff)[0]
    if spec.interp not in ("lerp-w", "slerp-z"):
        raise ValueError(f"interp: expected 'lerp-w' or 'slerp-z', got {spec.interp!r}")
    return stacks, np.einsum("k,klc->lc", m, stacks).astype(np.float32)


def sample_masks(masks: np.ndarray, extent: tuple[float, float, float, float], grid: np.ndarray) -> np.ndarray:
    """Bilinearly sample [K, Hm, Wm] masks (covering `extent` of frame coordinates) at grid [H, W, 2] -> [H, W, K].

    Mask pixel centres tile the extent; outside it the masks are 0 (unpainted).
    """
    k, hm, wm = masks.shape
    x0, y0, x1, y1 = extent
    u = (grid[..., 0] - x0) / (x1 - x0) * wm - 0.5
    v = (grid[..., 1] - y0) / (y1 - y0) * hm - 0.5
    iu, iv = np.floor(u).astype(np.int64), np.floor(v).astype(np.int64)
    fu, fv = (u - iu).astype(np.float32), (v - iv).astype(np.float32)
    out = np.zeros(grid.shape[:2] + (k,), np.float32)
    for du, dv, wt in ((0, 0, (1 - fu) * (1 - fv)), (1, 0, fu * (1 - fv)), (0, 1, (1 - fu) * fv), (1, 1, fu * fv)):
        cu, cv = iu + du, iv + dv
        ok = (cu >= 0) & (cu < wm) & (cv >= 0) & (cv < hm)
        vals = masks[:, np.clip(cv, 0, hm - 1), np.clip(cu, 0, wm - 1)].transpose(1, 2, 0)
        out += np.where(ok[..., None], vals, 0.0) * wt[..., None]
    return out


def resolve_style(g: Generator, spec: StyleSpec, grid: np.ndarray,
                  mapped: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """(ws, weights) for `Generator.synthesis`: one stack [1, num_ws, w_dim] and no weights, or with painted
    masks K+1 anchors (base style first) and per-pixel weights [H, W, K+1] (a partition of unity), or
    [num_ws, H, W, K+1] when ``mask_layers`` gives masks different layer ranges. ``mapped``: `base_style`'s
    result when the caller has it already (a job's bands map the anchors once)."""
    stacks, base = mapped if mapped is not None else base_style(g, spec)
    if spec.masks is None:
        return base[None], None
    masks = spec.masks.array
    k = len(spec.anchors)
    if spec.mask_anchors is None and spec.mask_layers is None:
        if masks.ndim != 3 or masks.shape[0] != k:
            raise ValueError(f"masks: expected [{k}, H, W], got {list(masks.shape)}")
        if not np.isfinite(masks).all():
            raise ValueError("masks: contain NaN or infinite values")
        painted = np.clip(sample_masks(np.clip(masks, 0, 1), spec.mask_extent, grid), 0.0, 1.0)
        weights = _partition(painted)
    else:
        anchors, layer_sets = _mask_routing(spec, masks, k, g.num_ws)
        if not np.isfinite(masks).all():
            raise ValueError("masks: contain NaN or infinite values")
        sampled = np.clip(sample_masks(np.clip(masks, 0, 1), spec.mask_extent, grid), 0.0, 1.0)
        maps: dict[tuple[int, ...], np.ndarray] = {}
        for active in dict.fromkeys(layer_sets):  # layers that see the same masks share one map
            painted = np.zeros(grid.shape[:2] + (k,), np.float32)
            for i in active:
                painted[..., anchors[i]] += sampled[..., i]
            maps[active] = _partition(np.minimum(painted, 1.0))  # two masks of one anchor: at most 1
        weights = maps[layer_sets[0]] if len(maps) == 1 else np.stack([maps[s] for s in layer_sets])
    return np.concatenate([base[None], stacks]), weights


def _partition(painted: np.ndarray) -> np.ndarray:
    """Painted anchor weights [H, W, K] -> [H, W, K+1] with the base style first; over-painting is normalised."""
    total = painted.sum(-1, keepdims=True)
    painted = np.where(total > 1.0, painted / np.maximum(total, 1e-12), painted)
    return np.concatenate([1.0 - painted.sum(-1, keepdims=True), painted], axis=-1).astype(np.float32)


def _mask_routing(spec: StyleSpec, masks: np.ndarray, k: int,
                  num_ws: int) -> tuple[tuple[int, ...], list[tuple[int, ...]]]:
    """(anchor of each mask, per style layer the indices of the masks that drive it)."""
    if masks.ndim != 3 or masks.shape[0] < 1:
        raise ValueError(f"masks: expected [M, H, W], got {list(masks.shape)}")
    m = masks.shape[0]
    anchors = tuple(range(m)) if spec.mask_anchors is None else tuple(int(a) for a in spec.mask_anchors)
    if len(anchors) != m or any(not 0 <= a < k for a in anchors):
        raise ValueError(f"mask_anchors: expected {m} anchor indices in 0..{k - 1}, got {list(anchors)}")
    ranges = [None] * m if spec.mask_layers is None else list(spec.mask_layers)
    if len(ranges) != m:
        raise ValueError(f"mask_layers: expected {m} layer ranges (one per mask), got {len(ranges)}")
    bounds = []
    for r in ranges:
        first, stop = (0, num_ws) if r is None else (int(r[0]), int(r[1]))
        if not 0 <= first < stop:
            raise ValueError(f"mask_layers: a range must be [first, stop) with 0 <= first < stop, got {r}")
        bounds.append((first, stop))
    return anchors, [tuple(i for i, (a, b) in enumerate(bounds) if a <= layer < b) for layer in range(num_ws)]


def seed_style(style: StyleSpec, seed: int) -> StyleSpec:
    """``style`` with one seed as its only anchor (ψ, cutoff, noise and ablations kept): a seed of an average."""
    return dataclasses.replace(style, anchors=(Anchor(seed=seed),), mix=None, layer_table=None, masks=None)
