"""The CREPS network (Nguyen et al., CVPR 2023): exact re-implementation of the official generator (spec creps.md);
`engine.models.creps.CrepsGenerator` is its `Generator` adapter.

#----------------------------------------------------------------------------
# Every layer before the composition acts on one line sample at a time: a row sample depends only on its
# row coordinate u, a column sample only on v. Each block's running bi-line gives rank-K maps
# F(u, v) = sum_k X_k(u) Y_k(v); per pixel, F maps are fused by unmodulated MLP decoders and a styled
# head. Axis-aligned grids evaluate H row and W column samples (separable path); any other grid
# evaluates each pixel's own (u_p, v_p) samples (exact per-pixel path).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from engine.models.creps_config import CrepsConfig
from engine.models.creps_ops import (
    DEMOD_EPS,
    bias_act,
    fc,
    fold_modulated,
    modulated_folded,
    modulated_per_pixel,
)
from engine.models.row_blocks import PIXEL_BLOCK, blocks, by_blocks, pad_rows

SQRT_HALF = math.sqrt(0.5)
# Fixed GEMM shapes (engine.models.row_blocks): a pixel renders alike in any tile, pan strip or batch.
LINE_BLOCK = 32  # line positions per pass through the line network (x K samples, a 256-row GEMM at K = 8)
LINE_STYLES_KEPT = 2  # styles whose line tables stay cached (a painted view's two anchors)
STYLE_ROWS = 16  # rows per block of the style and mapping layers (one image, or one painted group, per row)
PIXEL_ROWS = 4 * PIXEL_BLOCK  # pixels per block of the decoders and head (narrow layers: larger blocks)
PIXEL_CHUNK = 16384  # pixels per pass of the render paths (PIXEL_ROWS-pixel blocks through decoders and head)
LINE_CACHE_BYTES = 96 << 20  # per (style, slot family): ~16k cached positions at the 256 release config
PRECISIONS = ("float32", "fp16-head")
_BUFFERS = ("synthesis.b4.input.freqs", "synthesis.b4.input.coords", "mapping.w_avg")
_HEAD = ("synthesis.block0.fc0", "synthesis.block0.fc1", "synthesis.block0.tores",
         "synthesis.block1.fc0", "synthesis.block1.fc1", "synthesis.block1.tores")

Compute = Callable[[torch.Tensor], list[torch.Tensor]]
Head = tuple[str, Any]  # ("fold", [wm per head layer]) or ("pixel", (style tables, weights of the pixels [P, K]))


@dataclass
class LineStyles:
    """Styles of the line network: folded weights per image, or per-group (s, d) tables (two-GEMM form)."""

    amp: torch.Tensor  # [N or G, 2K, C4] styled sinusoid amplitudes
    layers: dict[str, Any]  # path -> folded weight [N, O, I], or (s [G, I], d [G, O] | None)
    per_sample: bool
    key: tuple[Any, int | None] | None = None  # (styles, image index): folded styles' line-cache key

    def select(self, b: int) -> LineStyles:
        if self.amp.shape[0] == 1 and b == 0:
            return self
        key = None if self.key is None else (self.key[0], b)
        return LineStyles(self.amp[b:b + 1], {k: v[b:b + 1] for k, v in self.layers.items()}, self.per_sample, key)


# Line tables are reused across tiles, passes and frames: a line sample depends only on its 1-D coordinate and
# the line style (spec creps.md §3.8), so tables are cached by the float32 coordinate value: bands of one frame
# share their columns, a pan re-evaluates only the new rows / columns, and every reused sample is
# bit-identical to a fresh one.
class LineCache:
    """Tables [N, M, K, Cb] per composed block for sorted distinct coordinates [M] of one slot family."""

    def __init__(self) -> None:
        self.coords: torch.Tensor | None = None
        self.tables: list[torch.Tensor] = []

    def lookup(self, coords: torch.Tensor, compute: Compute) -> list[torch.Tensor]:
        """Tables at `coords` [Q] (any order, repeats allowed); only coordinates not cached are computed."""
        uq, inv = torch.unique(coords, sorted=True, return_inverse=True)
        hit = torch.zeros(uq.shape[0], dtype=torch.bool, device=uq.device)
        pos = None
        if self.coords is not None:
            pos = torch.searchsorted(self.coords, uq).clamp_(max=self.coords.shape[0] - 1)
            hit = self.coords[pos] == uq
        miss = uq[~hit]
        if miss.numel():
            new = compute(miss)
            row_bytes = sum(t[:, :1].numel() for t in new) * 4
            if self.coords is None:
                keep_c, keep_t = miss[:0], [t[:, :0] for t in new]
            elif (self.coords.shape[0] + miss.shape[0]) * row_bytes > LINE_CACHE_BYTES:
                assert pos is not None  # over budget: keep only what this call needs
                keep_c, keep_t = self.coords[pos[hit]], [t[:, pos[hit]] for t in self.tables]
            else:
                keep_c, keep_t = self.coords, self.tables
            merged = torch.cat([keep_c, miss])
            order = torch.argsort(merged)
            self.coords = merged[order]
            self.tables = [torch.cat([a, b], dim=1)[:, order] for a, b in zip(keep_t, new, strict=True)]
        assert self.coords is not None
        idx = torch.searchsorted(self.coords, uq)[inv]
        return [t[:, idx] for t in self.tables]


class CrepsNetwork:
    """The CREPS network of one official G_ema: its official-named tensors, config and every computation (mapping,
    line network with its caches, decoders and styled head), for `creps_render`, `creps_lines`, `creps_layers`
    and the `CrepsGenerator` adapter.

    Parameters
    ----------
    config, tensors
        The inferred `CrepsConfig` and the flat official-named state dict.
    device
        Where the tensors live.
    head_precision
        "float32" (= official ``force_fp32=True``) or "fp16-head" (the official default: blocks flagged
        ``use_fp16`` -- block0 / block1 -- run in float16; per-pixel ``weights`` renders stay float32).
    """

    lattice_density = 1.5  # "lattice" mode: line samples per pixel distance, ...
    lattice_budget = 1.8  # ... at most this many per output row plus column (cost bound; 0: none), ...
    lattice_per_period = 0.0  # ... at least this many per period of the fastest input sinusoid (0: off)

    def __init__(self, config: CrepsConfig, tensors: Mapping[str, torch.Tensor], device: torch.device,
                 head_precision: str = "float32") -> None:
        if head_precision not in PRECISIONS:
            raise ValueError(f"precision: expected one of {', '.join(PRECISIONS)}, got {head_precision!r}")
        self.cfg, self.device, self.head_precision = config, device, head_precision
        self.num_ws = config.num_ws
        self.t = {k: v.detach().to(device, torch.float32 if v.is_floating_point() else v.dtype).contiguous()
                  for k, v in tensors.items()}
        self._prepare()

    def _prepare(self) -> None:
        t, c = self.t, self.cfg
        K, c4 = c.rank, c.input_channels
        # freqs[0, c*K + k] -> [k, c]; amplitude weight [1, C4, 1, 2K] -> [2K, C4]
        self._freqs = t["synthesis.b4.input.freqs"].view(c4 // 2, K).t().contiguous()
        self.max_frequency = float(self._freqs.abs().max())  # cycles per unit of u or v
        self._amp_w = t["synthesis.b4.input.weight"][0, :, 0, :].t().contiguous()
        self._cache: dict[str, Any] = {}
        self._line_caches: dict[Any, LineCache] = {}
        self._fp16 = dict.fromkeys(_HEAD, self.head_precision == "fp16-head" and c.head_fp16)
        for r, half in zip(c.block_res, c.block_fp16, strict=True):
            for name in ("fc0", "fc1", "tores"):
                self._fp16[f"synthesis.b{r}.{name}"] = self.head_precision == "fp16-head" and half

    # ----------------------------------------------------------------- weights
    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        """z [B, z_dim] -> w [B, w_dim] (pixel norm, then the FC stack)."""
        x = z.to(torch.float32)
        x = x * (x.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()
        for i in range(self.cfg.mapping_layers):
            x = self._fc(f"mapping.fc{i}", x)
        return x

    @property
    def w_avg(self) -> torch.Tensor:
        return self.t["mapping.w_avg"]

    def parameters(self) -> list[torch.Tensor]:
        """The official module's parameters (its buffers freqs, coords and w_avg excluded)."""
        return [v for k, v in self.t.items() if k not in _BUFFERS]

    def to(self, device: torch.device) -> None:
        """Move the tensors; the caches are dropped."""
        self.device = device
        self.t = {k: v.to(device) for k, v in self.t.items()}
        self._prepare()

    # ----------------------------------------------------------------- layers
    def _fc(self, path: str, x: torch.Tensor, block: int = STYLE_ROWS) -> torch.Tensor:
        s = self.cfg.fcs[path]
        w, b = self.t[path + ".weight"], self.t.get(path + ".bias")
        return by_blocks(lambda xb: fc(xb, w, b, s.weight_gain, s.bias_gain, s.act), x, block=block)

    def _style(self, path: str, w: torch.Tensor) -> torch.Tensor:
        """Styles of a modulated layer for w [N, w_dim] (ToRes: times its weight gain)."""
        s = self._fc(path + ".affine", w)
        gain = self.cfg.mods[path].style_gain
        return s * gain if gain != 1 else s

    def _fold(self, path: str, w: torch.Tensor) -> torch.Tensor:
        spec = self.cfg.mods[path]
        return fold_modulated(self.t[path + ".weight"], self._style(path, w), spec.demodulate, self._fp16[path])

    def _apply(self, path: str, x: torch.Tensor, wm: torch.Tensor) -> torch.Tensor:
        spec = self.cfg.mods[path]
        return modulated_folded(x, wm, self.t[path + ".bias"], spec.act, spec.act_gain, spec.clamp)

    def _mlp(self, name: str, x: torch.Tensor) -> torch.Tensor:
        for i in range(self.cfg.decoders[name]):
            x = self._fc(f"synthesis.{name}.{i}", x, PIXEL_ROWS)
        return x

    # ----------------------------------------------------------------- line network
    def _cached(self, kind: str, ws: torch.Tensor, make: Any) -> Any:
        """Last folded weights per kind, keyed by the styles' bytes: tiles of one view fold only once."""
        key = (kind, tuple(ws.shape), hashlib.sha1(ws.detach().cpu().numpy().tobytes()).digest())
        hit = self._cache.get(kind)
        if hit is None or hit[0] != key:
            hit = (key, make(ws))
            self._cache[kind] = hit
        return hit[1]

    def _line_input(self, amp: torch.Tensor, coords: torch.Tensor, fourier: bool) -> torch.Tensor:
        """Styled sinusoids: coords [M], amp [N, 1, K, C4] or [M, K, C4] (per coordinate) -> [N or 1, M*K, C4]."""
        c4 = self.cfg.input_channels
        if fourier:
            th = coords[:, None, None] * self._freqs[None]
            th = th * (2 * math.pi)
            feat = torch.cat([torch.sin(th), torch.sin(th + math.pi / 2)], dim=-1)  # [M, K, C4]
        else:
            feat = torch.zeros(coords.shape[0], self.cfg.rank, c4, device=coords.device)
        x = feat * amp / math.sqrt(c4)
        return x.reshape(-1 if amp.ndim == 4 else 1, coords.shape[0] * self.cfg.rank, c4)

    def line_styles(self, ws: torch.Tensor) -> LineStyles:
        """Folded line weights for ws [N, L, w_dim] (one style per image; cached for the next call)."""
        st: LineStyles = self._cached("lines", ws, self._make_line_folds)
        if st.key is None:
            st.key = (self._cache["lines"][0], None)
        return st

    def clear_line_cache(self) -> None:
        """Forget the cached line tables (they are exact; this only frees memory or cold-starts a benchmark)."""
        self._line_caches = {}

    def lines(self, st: LineStyles, coords: torch.Tensor, slot: int, fourier: bool) -> list[torch.Tensor]:
        """`line_tables` through the per-coordinate cache (folded styles only; other styles: computed)."""
        if st.key is None or st.per_sample:
            return self.line_tables(st, coords, slot, fourier)
        styles = list(dict.fromkeys(k[0][0] for k in self._line_caches))  # least recently used first
        if st.key[0] not in styles and len(styles) >= LINE_STYLES_KEPT:  # a new style: drop the oldest's tables
            self._line_caches = {k: c for k, c in self._line_caches.items() if k[0][0] != styles[0]}
        key = (st.key, slot, fourier)
        cache = self._line_caches.pop(key, None) or LineCache()
        self._line_caches[key] = cache  # most recently used last
        return cache.lookup(coords, lambda c: self.line_tables(st, c, slot, fourier))

    def _make_line_folds(self, ws: torch.Tensor) -> LineStyles:
        layers = {path: self._fold(path, ws[:, i]) for path, i in self.cfg.line_layers()}
        return LineStyles(self._amplitudes(ws[:, 0]), layers, per_sample=False)

    def line_style_tables(self, wl: torch.Tensor) -> LineStyles:
        """Per-group style tables for the two-GEMM form: wl [G, L, w_dim] -> s [G, I] and demod d [G, O]."""
        layers: dict[str, Any] = {}
        for path, i in self.cfg.line_layers():
            s = self._style(path, wl[:, i])
            d = None
            if self.cfg.mods[path].demodulate:
                w2t = self.t[path + ".weight"].square().t()
                d = by_blocks(lambda sb, w2t=w2t: (sb.square() @ w2t + DEMOD_EPS).rsqrt(), s, block=STYLE_ROWS)
            layers[path] = (s, d)
        return LineStyles(self._amplitudes(wl[:, 0]), layers, per_sample=True)

    def _amplitudes(self, w0: torch.Tensor) -> torch.Tensor:
        a = self._fc("synthesis.b4.input.affine", w0).view(w0.shape[0], self.cfg.input_channels, -1)
        return (self._amp_w.t()[None] * a).transpose(1, 2)  # [N, 2K, C4], slot-major

    def line_tables(self, st: LineStyles, coords: torch.Tensor, slot: int, fourier: bool,
                     group: torch.Tensor | None = None, stop: str | None = None) -> list[torch.Tensor]:
        """Per composed block, the scaled bi-line at `coords` [M] for one slot family (0 rows, 1 columns).

        Folded styles give [N, M, K, Cb] (every image at every coordinate); per-sample style tables give
        [1, M, K, Cb] with coordinate m styled by group[m]. With ``stop`` (a line layer of
        `creps_layers.line_layers`): only that layer's output [N, M, K, C] (ToRes: the running bi-line, unscaled).
        """
        K, cb, res = self.cfg.rank, self.cfg.biline_channels, self.cfg.block_res
        amp = st.amp[:, slot * K:(slot + 1) * K]
        out: list[list[torch.Tensor]] = [[] for _ in res[1:]]
        kept: list[torch.Tensor] = []
        step = LINE_BLOCK
        layer: Callable[[str, torch.Tensor], torch.Tensor]  # one of two definitions per chunk, by st.per_sample
        for c0 in range(0, coords.shape[0], step):
            chunk = coords[c0:c0 + step]
            m = chunk.shape[0]
            pad = step - m
            chunk = torch.cat([chunk, chunk[-1:].expand(pad)])

            def keep(name: str, t: torch.Tensor, m: int = m, n: int = chunk.shape[0]) -> bool:
                if name == stop:
                    kept.append(t.float().view(t.shape[0], n, K, -1)[:, :m])
                return name == stop

            if st.per_sample:
                assert group is not None
                g = group[c0:c0 + step]
                g = torch.cat([g, g[-1:].expand(pad)])
                x = self._line_input(amp[g], chunk, fourier)  # [1, m*K, C4]
                gs = g.repeat_interleave(K)

                def layer(path: str, x: torch.Tensor, gs: torch.Tensor = gs) -> torch.Tensor:
                    return self._apply_pp(path, x, st.layers[path], gs)
            else:
                x = self._line_input(amp[:, None], chunk, fourier)

                def layer(path: str, x: torch.Tensor) -> torch.Tensor:
                    return self._apply(path, self._cast(x, path), st.layers[path])
            if keep("b4.input", x):
                continue
            x = layer("synthesis.b4.fc1", x)
            if keep("b4.fc1", x):
                continue
            bl = None
            for i, r in enumerate(res[1:]):
                p = f"synthesis.b{r}"
                x = layer(p + ".fc0", x)
                if keep(f"b{r}.fc0", x):
                    break
                x = layer(p + ".fc1", x)
                if keep(f"b{r}.fc1", x):
                    break
                y = layer(p + ".tores", x).float()
                bl = y if bl is None else bl + y
                if keep(f"b{r}.tores", bl):
                    break
                out[i].append((bl * SQRT_HALF).view(x.shape[0], chunk.shape[0], K, cb)[:, :m])
        if stop is not None:
            if not kept:
                raise ValueError(f"layer: {stop!r} is not a line layer")
            return [torch.cat(kept, dim=1)]
        return [torch.cat(o, dim=1) for o in out]

    def _apply_pp(self, path: str, x: torch.Tensor, sd: tuple[torch.Tensor, torch.Tensor | None],
                  gs: torch.Tensor) -> torch.Tensor:
        """Modulated layer with a style per sample row: x [1, S, I], style tables indexed by gs [S]."""
        spec, (s, d) = self.cfg.mods[path], sd
        y = (x[0] * s[gs]) @ self.t[path + ".weight"].t()
        if d is not None:
            y.mul_(d[gs])
        return bias_act(y, self.t[path + ".bias"], spec.act, spec.act_gain, spec.clamp)[None]

    def _cast(self, x: torch.Tensor, path: str) -> torch.Tensor:
        return x.to(torch.float16 if self._fp16[path] else torch.float32)

    # ----------------------------------------------------------------- pixel part
    def head_fold(self, w_last: torch.Tensor) -> Head:
        return ("fold", self._cached("head", w_last, lambda w: [self._fold(p, w) for p in _HEAD]))

    def head_pixel(self, ws: torch.Tensor, a: torch.Tensor) -> Head:
        """Per-pixel head styles: s(p) = sum_k a_k(p) affine(ws[k]) (affine maps commute with convex blends)."""
        tabs = []
        for p in _HEAD:
            bias = self.t[p + ".affine.bias"] * self.cfg.fcs[p + ".affine"].bias_gain
            tabs.append((self._fc(p + ".affine", ws[:, -1]) - bias, bias))
        return ("pixel", (tabs, a))

    def pixels(self, fs: list[torch.Tensor], head: Head, sel: torch.Tensor | slice | None = None,
                stop: str | None = None) -> torch.Tensor:
        """Decoders + head: composed maps fs [N, P, Cb] -> RGB [N, P, C]; `sel` picks per-pixel head weights.

        Runs on blocks of exactly PIXEL_ROWS pixels (the last one padded). With ``stop`` (a pixel layer of
        `creps_layers.activation_layers` that is not a line layer): that layer's output [N, P, C] instead.
        """
        a = None
        if head[0] == "pixel":
            a = head[1][1][sel] if sel is not None else head[1][1]
        p = fs[0].shape[1]
        out = []
        for b in blocks(p, PIXEL_ROWS):
            k = min(b.stop, p) - b.start
            fb = [pad_rows(f[:, b.start:b.start + k], PIXEL_ROWS, 1) for f in fs]
            hb = head if a is None else ("pixel", (head[1][0], pad_rows(a[b.start:b.start + k], PIXEL_ROWS)))
            out.append(self._pixel_block(fb, hb, stop)[:, :k])
        return out[0] if len(out) == 1 else torch.cat(out, 1)

    def _pixel_block(self, fs: list[torch.Tensor], head: Head, stop: str | None) -> torch.Tensor:
        """`pixels` on one block: fs [N, PIXEL_ROWS, Cb], per-pixel head weights already selected."""
        n, p, cb = fs[0].shape

        def kept(t: torch.Tensor) -> torch.Tensor:
            return t.reshape(n, p, -1)

        if stop is not None and stop.endswith(".compose"):
            return kept(fs[[f"b{r}.compose" for r in self.cfg.composed].index(stop)])
        x = fs[0].reshape(n * p, cb)
        for r, f in zip(self.cfg.block_res[2:], fs[1:], strict=True):
            x = self._mlp(f"decoder_{r}", x) + f.reshape(n * p, cb)
            if stop == f"b{r}.feature":
                return kept(x)
        x = self._mlp("decoder_last", x)
        if stop == "decoder_last":
            return kept(x)
        img = self._fc("synthesis.decoder_img", x, PIXEL_ROWS).view(n, p, -1)
        if stop == "decoder_img":
            return kept(img)
        x = x.view(n, p, cb)
        if head[0] == "fold":
            x = self._cast(x, _HEAD[0])
            for j, path in enumerate(_HEAD):
                y = self._apply(path, x, head[1][j])
                if j % 3 == 2:
                    img = img + y.float()
                else:
                    x = y
                if stop == path.removeprefix("synthesis."):
                    return kept(img if j % 3 == 2 else x)
            return img
        tabs, a = head[1]
        x, img = x[0], img[0]
        for j, path in enumerate(_HEAD):
            spec = self.cfg.mods[path]
            proj, bias = tabs[j]
            s = a @ proj + bias
            s = s * spec.style_gain if spec.style_gain != 1 else s
            y = modulated_per_pixel(x, self.t[path + ".weight"], s, self.t[path + ".bias"], spec.act,
                                    spec.act_gain, spec.clamp, spec.demodulate)
            if j % 3 == 2:
                img = img + y
            else:
                x = y
            if stop == path.removeprefix("synthesis."):
                return kept((img if j % 3 == 2 else x)[None])
        return img[None]
