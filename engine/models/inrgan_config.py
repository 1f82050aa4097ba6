"""INR-GAN architecture inferred from a network-pickle G_ema record (specs/inrgan.md §6), with its weights."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import torch

from engine.checkpoints.network_pickle import ModuleRecord, PersistentRecord

_INTERP = re.compile(r"^\$\{([^}]+)\}$")
FMM_ACTIVATIONS = ("demod", "tanh", "sigmoid", "none", "linear")


class ConfigError(ValueError):
    """The record is not a supported INR-GAN generator (message without the file name)."""


@dataclass
class Affine:
    """FullyConnectedLayer w_dim -> S with its run-time gains folded in: s = w @ weight.T + bias."""

    weight: torch.Tensor  # [S, w_dim]
    bias: torch.Tensor  # [S]


@dataclass
class FMMLayer:
    """Factorized multiplicative modulation layer (kernel 1): one ws row, template [O, I], rank-R style."""

    name: str  # "b64.conv0"
    row: int  # ws row it reads
    weight: torch.Tensor  # [O, I] template
    bias: torch.Tensor  # [O]
    affine: Affine  # -> (O + I) * rank
    rank: int
    activation: str  # fmm.activation: "demod" demodulates; "tanh"/"sigmoid" squash M instead
    instance_norm: bool
    act_gain: float
    clamp: float | None  # conv_clamp * act_gain, None when unclamped


@dataclass
class ToRGB:
    """StyleGAN2 ToRGB with a 1x1 kernel, no demodulation; the 1/sqrt(C) style gain is in the affine."""

    name: str
    row: int
    weight: torch.Tensor  # [3, C]
    bias: torch.Tensor  # [3]
    affine: Affine  # -> C
    clamp: float | None


@dataclass
class Fuser:
    """CoordFuser at one scale: sin/cos of basis · (x, y) then learned per-position embeddings."""

    res: int
    basis: torch.Tensor  # [D, 2]: log_basis rows then random_basis rows
    use_cosine: bool
    const: torch.Tensor  # [r, r, n_const] (channels last; row i from the top, column j)

    @property
    def channels(self) -> int:
        return self.basis.shape[0] * (2 if self.use_cosine else 1) + self.const.shape[2]


@dataclass
class Block:
    name: str  # "b64"
    res: int  # effective (run) resolution
    up: bool  # upsamples its input x2 (and owns a fuser)
    fuser: Fuser | None
    layers: list[FMMLayer]
    torgb: ToRGB


@dataclass
class InrGanConfig:
    z_dim: int
    w_dim: int
    resolution: int
    num_ws: int
    mapping: list[Affine]  # FC layers (lrelu * sqrt 2 after each)
    mapping_act: str
    w_avg: torch.Tensor
    blocks: list[Block]
    upsampling: str  # "nearest" | "bilinear"
    levels: list[int] = field(default_factory=list)  # distinct run resolutions, coarse to fine

    def tensors(self) -> list[torch.Tensor]:
        out: list[torch.Tensor] = [self.w_avg]
        for a in self.mapping:
            out += [a.weight, a.bias]
        for b in self.blocks:
            if b.fuser is not None:
                out += [b.fuser.basis, b.fuser.const]
            for layer in b.layers:
                out += [layer.weight, layer.bias, layer.affine.weight, layer.affine.bias]
            out += [b.torgb.weight, b.torgb.bias, b.torgb.affine.weight, b.torgb.affine.bias]
        return out


def resolve_interpolations(cfg: Any) -> Any:
    """Replace every string ``'${a.b.c}'`` by the node at that dotted path from the cfg root (recursively)."""

    def lookup(path: str, depth: int) -> Any:
        node: Any = cfg
        for part in path.strip().split("."):
            if not isinstance(node, dict) or part not in node:
                raise ConfigError(f"cfg interpolation ${{{path}}} points nowhere")
            node = node[part]
        return walk(node, depth + 1)

    def walk(v: Any, depth: int) -> Any:
        if depth > 50:
            raise ConfigError("cfg interpolations are circular")
        if isinstance(v, str):
            m = _INTERP.match(v)
            return lookup(m.group(1), depth) if m else v
        if isinstance(v, dict):
            return {k: walk(x, depth + 1) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x, depth + 1) for x in v]
        return v

    return walk(cfg, 0)


def _get(d: Any, path: str, default: Any = None) -> Any:
    for part in path.split("."):
        if not isinstance(d, dict) or part not in d:
            return default
        d = d[part]
    return d


def _tensor(rec: ModuleRecord, name: str, shape: tuple[int, ...] | None = None) -> torch.Tensor:
    t = {**rec.parameters, **rec.buffers}.get(name)
    if t is None:
        raise ConfigError(f"{rec.class_name} lacks tensor {name!r}")
    if shape is not None and tuple(t.shape) != shape:
        raise ConfigError(f"{rec.class_name}.{name} has shape {list(t.shape)}, expected {list(shape)}")
    return t.detach().float().contiguous()


def _child(rec: ModuleRecord, path: str) -> ModuleRecord:
    try:
        return rec.child(path)
    except KeyError as e:
        raise ConfigError(str(e).strip("'\"")) from None


def _affine(rec: ModuleRecord, in_dim: int, out_dim: int) -> Affine:
    kw = rec.init_kwargs
    lr = float(kw.get("lr_multiplier", 1.0))
    w = _tensor(rec, "weight", (out_dim, in_dim))
    b = _tensor(rec, "bias", (out_dim,)) if "bias" in rec.parameters else torch.zeros(out_dim)
    return Affine(w * (lr / math.sqrt(in_dim)), b * lr)


def _clamp(rec: ModuleRecord, gain: float) -> float | None:
    c = rec.attr("conv_clamp", rec.init_kwargs.get("conv_clamp"))
    return None if c is None else float(c) * gain


def _fuser(rec: ModuleRecord, res: int, res_cfg: Any) -> tuple[torch.Tensor, torch.Tensor, bool | None]:
    if not isinstance(res_cfg, dict):
        raise ConfigError(f"coords.res_configs has no entry for resolution {res}")
    for key in ("predictable_emb_size", "shared_emb_size"):
        if int(res_cfg.get(key, 0) or 0) > 0:
            raise ConfigError(f"coordinate fuser option {key} is not supported")
    if res_cfg.get("use_raw_coords"):
        raise ConfigError("coordinate fuser option use_raw_coords is not supported")
    bases = []  # the stored buffers are authoritative; the conv input width cross-checks them
    if int(res_cfg.get("log_emb_size", 0) or 0) > 0:
        bases.append(_tensor(rec, "log_basis"))
    if int(res_cfg.get("random_emb_size", 0) or 0) > 0:
        bases.append(_tensor(rec, "random_basis", (int(res_cfg["random_emb_size"]), 2)))
    if any(b.ndim != 2 or b.shape[1] != 2 for b in bases):
        raise ConfigError(f"coordinate basis at resolution {res} is not [n, 2]")
    basis = torch.cat(bases) if bases else torch.zeros(0, 2)
    n_const = int(res_cfg.get("const_emb_size", 0) or 0)
    if n_const > 0:
        const = _tensor(rec, "const_embs", (1, n_const, res, res))[0].permute(1, 2, 0).contiguous()
    else:
        const = torch.zeros(res, res, 0)
    cos = res_cfg.get("use_cosine")
    return basis, const, None if cos is None else bool(cos)


def infer_config(g: PersistentRecord) -> InrGanConfig:
    """Build the architecture from G_ema's init_kwargs and cross-check every tensor shape against it."""
    kw = g.init_kwargs
    cfg = resolve_interpolations(kw.get("cfg"))
    if not isinstance(cfg, dict) or "coords" not in cfg or "fmm" not in cfg:
        raise ConfigError("G_ema init_kwargs carry no INR-GAN cfg (coords / fmm)")
    z_dim, w_dim, res = int(kw["z_dim"]), int(kw["w_dim"]), int(kw["img_resolution"])
    if int(kw.get("c_dim", 0)) != 0:
        raise ConfigError("conditional INR-GAN models (c_dim > 0) are not supported")
    if int(kw.get("img_channels", 3)) != 3:
        raise ConfigError("only RGB generators (img_channels 3) are supported")
    if res < 4 or res & (res - 1):
        raise ConfigError(f"img_resolution {res} is not a power of two")
    syn = kw.get("synthesis_kwargs") or {}
    channel_base = int(syn.get("channel_base", 32768))
    channel_max = int(syn.get("channel_max", 512))
    mkw = kw.get("mapping_kwargs") or {}

    def nch(r: int) -> int:
        return min(channel_base // r, channel_max)

    # mapping network
    mapping = _child(g, "mapping")
    n_map = int(mkw.get("num_layers", 8))
    m_act = str(mkw.get("activation", "lrelu"))
    if m_act not in ("lrelu", "linear"):
        raise ConfigError(f"mapping activation {m_act!r} is not supported")
    if mkw.get("embed_features") not in (None, w_dim) or int(mapping.attr("c_dim", 0) or 0):
        raise ConfigError("mapping network with embedding features is not supported")
    feats = [z_dim] + [int(mkw.get("layer_features") or w_dim)] * (n_map - 1) + [w_dim]
    fcs = [_affine(_child(mapping, f"fc{i}"), feats[i], feats[i + 1]) for i in range(n_map)]
    w_avg = _tensor(mapping, "w_avg", (w_dim,))

    # synthesis network
    syn_rec = _child(g, "synthesis")
    coords = cfg["coords"]
    fmm = cfg["fmm"]
    if not fmm.get("enabled", True):
        raise ConfigError("INR-GAN without FMM layers (fmm.enabled false) is not supported")
    if _get(cfg, "input.type", "coords") != "coords" or not coords.get("enabled", True):
        raise ConfigError("only coordinate-input INR-GAN models are supported")
    if not coords.get("per_resolution", True):
        raise ConfigError("coords.per_resolution false (a fuser in every block) is not supported")
    if int(coords.get("kernel_size", 1)) != 1:
        raise ConfigError("only kernel_size 1 (per-pixel) INR-GAN layers are supported")
    rank = int(fmm.get("rank", 10))
    activation = str(fmm.get("activation", "demod"))
    if activation not in FMM_ACTIVATIONS:
        raise ConfigError(f"fmm.activation {activation!r} is not supported")
    inorm = bool(fmm.get("instance_norm", False))
    up_mode = str(cfg.get("upsampling_mode", "nearest"))
    if up_mode not in ("nearest", "bilinear"):
        raise ConfigError(f"upsampling_mode {up_mode!r} is not supported")
    r0 = int(_get(cfg, "input.resolution", 4))
    if r0 < 1 or r0 & (r0 - 1) or r0 > res:
        raise ConfigError(f"input.resolution {r0} is not a power of two <= {res}")
    input_fuser_cfg = _get(cfg, "input.coord_fuser_cfg", coords)
    extra_cfg = cfg.get("num_extra_convs") or {}
    act_gain = math.sqrt(2.0)

    blocks: list[Block] = []
    row = 0
    prev_ch = 0
    nominal = [2**i for i in range(2, int(math.log2(res)) + 1)]
    for bi, nom in enumerate(nominal):
        brec = _child(syn_rec, f"b{nom}")
        eff = max(nom, r0)
        up = bi > 0 and nom > r0
        out_ch = nch(nom)
        fuser = None
        fuser_ch = 0
        if bi == 0 or up:
            frec = _child(brec, "input.input.coord_fuser") if bi == 0 else _child(brec, "coord_fuser")
            fcfg = input_fuser_cfg if bi == 0 else coords
            rcs = _get(fcfg, "res_configs", {}) or {}
            basis, const, cos = _fuser(frec, eff, rcs.get(str(eff), rcs.get(eff)))
            conv_name = "conv1" if bi == 0 else "conv0"
            conv_in = _tensor(_child(brec, conv_name), "weight").shape[1]
            n_sincos = conv_in - (prev_ch if up else 0) - const.shape[2]
            if cos is None:  # not in the cfg: the conv's input width tells
                cos = n_sincos == 2 * basis.shape[0]
            if n_sincos != basis.shape[0] * (2 if cos else 1):
                raise ConfigError(f"b{nom}: {conv_name} input width {conv_in} does not match its coordinate fuser")
            fuser = Fuser(eff, basis, cos, const)
            fuser_ch = fuser.channels
        names = ["conv1"] if bi == 0 else ["conv0", "conv1"]
        n_extra = int(extra_cfg.get(str(eff), extra_cfg.get(eff, 0)) or 0)
        names += [f"extra_convs.{k}" for k in range(n_extra)]
        extras_rec = brec.children.get("extra_convs")
        extras = extras_rec.children if extras_rec is not None else {}
        if len(extras) != n_extra:
            raise ConfigError(f"b{nom}: expected {n_extra} extra layers, found {len(extras)}")
        layers = []
        cin = (prev_ch + fuser_ch) if bi > 0 else fuser_ch
        for li, lname in enumerate(names):
            lrec = _child(brec, lname)
            norm = inorm and (lname == "conv1" and bi > 0 or lname.startswith("extra"))
            stored = lrec.attr("instance_norm")
            if isinstance(stored, bool) and stored != norm:
                raise ConfigError(f"b{nom}.{lname}: instance_norm {stored} contradicts the cfg")
            lin = cin if li == 0 else out_ch
            layers.append(FMMLayer(
                name=f"b{nom}.{lname}", row=row + li,
                weight=_tensor(lrec, "weight", (out_ch, lin, 1, 1))[:, :, 0, 0].contiguous(),
                bias=_tensor(lrec, "bias", (out_ch,)),
                affine=_affine(_child(lrec, "affine"), w_dim, (out_ch + lin) * rank),
                rank=rank, activation=activation, instance_norm=norm, act_gain=act_gain,
                clamp=_clamp(lrec, act_gain),
            ))
        trec = _child(brec, "torgb")
        aff = _affine(_child(trec, "affine"), w_dim, out_ch)
        aff = Affine(aff.weight / math.sqrt(out_ch), aff.bias / math.sqrt(out_ch))
        torgb = ToRGB(f"b{nom}.torgb", row + len(names), _tensor(trec, "weight", (3, out_ch, 1, 1))[:, :, 0, 0]
                      .contiguous(), _tensor(trec, "bias", (3,)), aff, _clamp(trec, 1.0))
        blocks.append(Block(f"b{nom}", eff, up, fuser, layers, torgb))
        row += len(names)
        prev_ch = out_ch
    num_ws = row + 1
    stored_ws = syn_rec.attr("num_ws")
    if isinstance(stored_ws, int) and stored_ws != num_ws:
        raise ConfigError(f"synthesis expects {stored_ws} ws rows, the inferred layout has {num_ws}")
    levels = sorted({b.res for b in blocks})
    return InrGanConfig(z_dim, w_dim, res, num_ws, fcs, m_act, w_avg, blocks, up_mode, levels)


def to_device(cfg: InrGanConfig, device: torch.device) -> None:
    """Move every tensor of the config in place."""
    cfg.w_avg = cfg.w_avg.to(device)
    cfg.mapping = [Affine(a.weight.to(device), a.bias.to(device)) for a in cfg.mapping]
    for b in cfg.blocks:
        if b.fuser is not None:
            b.fuser.basis, b.fuser.const = b.fuser.basis.to(device), b.fuser.const.to(device)
        for layer in b.layers:
            layer.weight, layer.bias = layer.weight.to(device), layer.bias.to(device)
            layer.affine = Affine(layer.affine.weight.to(device), layer.affine.bias.to(device))
        t = b.torgb
        t.weight, t.bias = t.weight.to(device), t.bias.to(device)
        t.affine = Affine(t.affine.weight.to(device), t.affine.bias.to(device))
