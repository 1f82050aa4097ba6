"""CREPS configuration inferred from a checkpoint's tensors and module attributes, with shape validation."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from engine.errors import CheckpointError

DEFAULT_MAPPING_LR = 0.01  # MappingNetwork lr_multiplier default (spec §2)


@dataclass(frozen=True)
class FCSpec:
    """A FullyConnectedLayer's run-time constants (weight = W * weight_gain, bias = b * bias_gain)."""

    weight_gain: float
    bias_gain: float
    act: str  # "linear" | "lrelu"


@dataclass(frozen=True)
class ModSpec:
    """A SynthesisLayer (demodulate=True) or ToResLayer (demodulate=False)."""

    demodulate: bool
    act: str  # "lrelu" for SynthesisLayer, "linear" for ToRes
    act_gain: float  # applied by bias_act (sqrt 2 for lrelu layers)
    clamp: float
    style_gain: float  # ToRes: styles *= 1/sqrt(in); SynthesisLayer: 1


@dataclass(frozen=True)
class CrepsConfig:
    """Everything the forward needs, read from the checkpoint (names follow networks_creps.py).

    ``layers`` lists the style-consuming modules of the line network in execution order as
    (module path, ws index); the head's six layers all read ``ws[num_ws - 1]``.
    """

    z_dim: int
    w_dim: int
    img_resolution: int  # R: native grid is R x R
    img_channels: int
    num_ws: int
    rank: int  # K: line thickness
    input_channels: int  # C4: sinusoid channels of b4.input
    biline_channels: int  # Cb
    block_res: tuple[int, ...]  # (4, 8, ..., R)
    block_fp16: tuple[bool, ...]  # per block (official use_fp16)
    head_fp16: bool  # block0 / block1 use_fp16 (True in the official code)
    mapping_layers: int
    fcs: Mapping[str, FCSpec] = field(repr=False)
    mods: Mapping[str, ModSpec] = field(repr=False)
    decoders: Mapping[str, int] = field(repr=False)  # decoder name -> number of FC layers

    @property
    def composed(self) -> tuple[int, ...]:
        """Blocks whose bi-line is composed into a 2D map (all but b4)."""
        return self.block_res[1:]

    def line_layers(self) -> list[tuple[str, int]]:
        """(module path, ws index) of the line network's modulated layers, execution order."""
        out = [("synthesis.b4.fc1", 1)]
        for k, r in enumerate(self.block_res[1:], start=1):
            out += [(f"synthesis.b{r}.fc0", 2 * k - 1), (f"synthesis.b{r}.fc1", 2 * k),
                    (f"synthesis.b{r}.tores", 2 * k + 1)]
        return out

    def layer_names(self) -> list[str]:
        users: list[list[str]] = [[] for _ in range(self.num_ws)]
        users[0].append("b4.input (sinusoid amplitudes)")
        for path, i in self.line_layers():
            users[i].append(path.removeprefix("synthesis."))
        users[-1].append("head (block0, block1)")
        return [f"{i}: " + " + ".join(u) for i, u in enumerate(users)]


def _need(tensors: Mapping[str, torch.Tensor], name: str, shape: tuple[int, ...] | None, src: str) -> torch.Tensor:
    t = tensors.get(name)
    if t is None:
        raise CheckpointError(f"{src}: CREPS checkpoint lacks tensor {name}")
    if not isinstance(t, torch.Tensor) or not t.is_floating_point():
        raise CheckpointError(f"{src}: CREPS tensor {name} is not a floating-point tensor")
    if shape is not None and tuple(t.shape) != shape:
        raise CheckpointError(f"{src}: CREPS tensor {name} has shape {list(t.shape)}, expected {list(shape)}")
    return t


def _num(v: Any, default: float) -> float:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else default


def infer_config(tensors: Mapping[str, torch.Tensor], init_kwargs: Mapping[str, Any],
                 attrs: Mapping[str, Mapping[str, Any]] | None = None, source: str = "") -> CrepsConfig:
    """Build and validate the config from a flat state dict, G's init kwargs and (optional) module attributes.

    ``attrs`` maps a module path ("synthesis.b8.fc0") to its plain attributes (weight_gain, use_fp16, ...);
    missing attributes take the official class defaults. Raises CheckpointError on any inconsistency.
    """
    src = source or "checkpoint"
    attrs = attrs or {}

    def attr(path: str, key: str) -> Any:
        return (attrs.get(path) or {}).get(key)

    if int(init_kwargs.get("c_dim", 0) or 0) != 0 or "mapping.embed.weight" in tensors:
        raise CheckpointError(f"{src}: conditional CREPS models (c_dim > 0) are not supported")

    # ---- mapping
    n_map = 0
    while f"mapping.fc{n_map}.weight" in tensors:
        n_map += 1
    if n_map == 0:
        raise CheckpointError(f"{src}: CREPS checkpoint has no mapping layers")
    w0 = _need(tensors, "mapping.fc0.weight", None, src)
    if w0.ndim != 2:
        raise CheckpointError(f"{src}: mapping.fc0.weight must be 2-D")
    z_dim = w0.shape[1]
    mk = init_kwargs.get("mapping_kwargs") or {}
    lr_map = _num(mk.get("lr_multiplier") if isinstance(mk, Mapping) else None, DEFAULT_MAPPING_LR)
    fcs: dict[str, FCSpec] = {}
    width = z_dim
    for i in range(n_map):
        p = f"mapping.fc{i}"
        w = _need(tensors, p + ".weight", None, src)
        if w.ndim != 2 or w.shape[1] != width:
            raise CheckpointError(f"{src}: {p}.weight has shape {list(w.shape)}, expected [*, {width}]")
        width = w.shape[0]
        _need(tensors, p + ".bias", (width,), src)
        fcs[p] = _fc_spec(attrs.get(p), w.shape[1], lr_map, "lrelu")
    w_dim = width
    _need(tensors, "mapping.w_avg", (w_dim,), src)

    # ---- blocks
    res = sorted({int(m.group(1)) for k in tensors if (m := re.match(r"synthesis\.b(\d+)\.", k))})
    if not res or res[0] != 4 or len(res) < 2 or res != [4 * 2**i for i in range(len(res))]:
        raise CheckpointError(f"{src}: CREPS blocks {res} are not b4, b8, ..., b<resolution>")
    R = res[-1]
    kw_res = init_kwargs.get("img_resolution")
    if kw_res is not None and int(kw_res) != R:
        raise CheckpointError(f"{src}: img_resolution {kw_res} does not match the last block b{R}")
    inp = "synthesis.b4.input"
    wi = _need(tensors, inp + ".weight", None, src)
    if wi.ndim != 4 or wi.shape[0] != 1 or wi.shape[2] != 1 or wi.shape[3] % 2 or wi.shape[1] % 2:
        raise CheckpointError(f"{src}: {inp}.weight has shape {list(wi.shape)}, expected [1, C, 1, 2K]")
    c4, K = wi.shape[1], wi.shape[3] // 2
    if attr(inp, "rank") is not None and int(attr(inp, "rank")) != K:
        raise CheckpointError(f"{src}: {inp}.rank does not match its weight shape")
    _need(tensors, inp + ".freqs", (1, c4 // 2 * K), src)
    _need(tensors, inp + ".coords", (1, R, 2, 1), src)
    _need(tensors, inp + ".affine.weight", (c4 * 2 * K, w_dim), src)
    _need(tensors, inp + ".affine.bias", (c4 * 2 * K,), src)
    fcs[inp + ".affine"] = _fc_spec(attrs.get(inp + ".affine"), w_dim, 1.0, "linear")
    cb_w = _need(tensors, "synthesis.decoder_img.weight", None, src)
    if cb_w.ndim != 2:
        raise CheckpointError(f"{src}: synthesis.decoder_img.weight must be 2-D")
    img_channels, cb = cb_w.shape
    _need(tensors, "synthesis.decoder_img.bias", (img_channels,), src)
    fcs["synthesis.decoder_img"] = _fc_spec(attrs.get("synthesis.decoder_img"), cb, 1.0, "linear")

    mods: dict[str, ModSpec] = {}

    def modlayer(path: str, cin: int, cout: int | None, demod: bool) -> int:
        w = _need(tensors, path + ".weight", None, src)
        if w.ndim != 2 or w.shape[1] != cin or (cout is not None and w.shape[0] != cout):
            raise CheckpointError(f"{src}: {path}.weight has shape {list(w.shape)}, expected [{cout or '*'}, {cin}]")
        _need(tensors, path + ".bias", (w.shape[0],), src)
        _need(tensors, path + ".affine.weight", (cin, w_dim), src)
        _need(tensors, path + ".affine.bias", (cin,), src)
        fcs[path + ".affine"] = _fc_spec(attrs.get(path + ".affine"), w_dim, 1.0, "linear")
        a = attrs.get(path) or {}
        clamp = _num(a.get("fc_clamp", a.get("conv_clamp")), 256.0)
        if demod:
            mods[path] = ModSpec(True, str(a.get("activation", "lrelu")), _num(a.get("act_gain"), math.sqrt(2)),
                                 clamp, 1.0)
        else:
            mods[path] = ModSpec(False, "linear", 1.0, clamp, _num(a.get("weight_gain"), 1 / math.sqrt(cin)))
        return int(w.shape[0])

    width = modlayer("synthesis.b4.fc1", c4, c4, True)
    for r in res[1:]:
        width = modlayer(f"synthesis.b{r}.fc0", width, None, True)
        width = modlayer(f"synthesis.b{r}.fc1", width, width, True)
        modlayer(f"synthesis.b{r}.tores", width, cb, False)
    h = modlayer("synthesis.block0.fc0", cb, None, True)
    h = modlayer("synthesis.block0.fc1", h, h, True)
    modlayer("synthesis.block0.tores", h, img_channels, False)
    h = modlayer("synthesis.block1.fc0", h, None, True)
    h = modlayer("synthesis.block1.fc1", h, h, True)
    modlayer("synthesis.block1.tores", h, img_channels, False)

    decoders: dict[str, int] = {}
    for name in [f"decoder_{r}" for r in res[2:]] + ["decoder_last"]:
        width, i = cb, 0
        while f"synthesis.{name}.{i}.weight" in tensors:
            p = f"synthesis.{name}.{i}"
            w = _need(tensors, p + ".weight", None, src)
            if w.ndim != 2 or w.shape[1] != width:
                raise CheckpointError(f"{src}: {p}.weight has shape {list(w.shape)}, expected [*, {width}]")
            width = w.shape[0]
            _need(tensors, p + ".bias", (width,), src)
            fcs[p] = _fc_spec(attrs.get(p), w.shape[1], 1.0, "lrelu")
            i += 1
        if i == 0 or width != cb:
            raise CheckpointError(f"{src}: CREPS decoder synthesis.{name} is missing or does not end at {cb} channels")
        decoders[name] = i

    num_ws = 2 * len(res) + 1
    for p in ("synthesis", "mapping", ""):
        if attr(p, "num_ws") is not None and int(attr(p, "num_ws")) != num_ws:
            raise CheckpointError(f"{src}: num_ws {attr(p, 'num_ws')} does not match {num_ws} blocks")
    n_fp16 = int(_num(init_kwargs.get("num_fp16_res"), 0))
    fp16_res = max(2 ** (int(math.ceil(math.log2(R))) + 1 - n_fp16), 8)
    block_fp16 = tuple(bool(attr(f"synthesis.b{r}", "use_fp16") if attr(f"synthesis.b{r}", "use_fp16") is not None
                            else r >= fp16_res) for r in res)
    for path, act in [(p, f.act) for p, f in fcs.items()] + [(p, m.act) for p, m in mods.items()]:
        if act not in ("linear", "lrelu"):
            raise CheckpointError(f"{src}: {path} has an unsupported activation {act!r}")
    head_fp16 = all(attr(f"synthesis.block{i}", "use_fp16") is not False for i in (0, 1))
    return CrepsConfig(z_dim=z_dim, w_dim=w_dim, img_resolution=R, img_channels=img_channels, num_ws=num_ws,
                       rank=K, input_channels=c4, biline_channels=cb, block_res=tuple(res),
                       block_fp16=block_fp16, head_fp16=head_fp16, mapping_layers=n_map, fcs=fcs, mods=mods,
                       decoders=decoders)


def _fc_spec(a: Mapping[str, Any] | None, fan_in: int, lr: float, act: str) -> FCSpec:
    a = a or {}
    return FCSpec(_num(a.get("weight_gain"), lr / math.sqrt(fan_in)), _num(a.get("bias_gain"), lr),
                  str(a.get("activation", act)))
