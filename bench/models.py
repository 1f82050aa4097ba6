"""Random-weight generators with the official release structure (for benchmarks; no checkpoint files needed).

CIPS default (specs/cips.md §10), INR-GAN churches / bedrooms (specs/inrgan.md §2.2), CREPS FFHQ-256
(specs/creps.md §5). Built through the same loaders as real checkpoints, so every shape is checked.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import torch

from engine.checkpoints.network_pickle import ModuleObjectRecord, PersistentRecord, _record_class


def cips_default(seed: int = 0) -> Any:
    """CIPSskip, size 256, hidden 512, style 512, 8 mapping layers, channel multiplier 2."""
    from engine.models.cips import CIPSConfig, CIPSGenerator, CIPSNetwork

    torch.manual_seed(seed)
    return CIPSGenerator(CIPSNetwork(CIPSConfig.official("skip", 256)))


# ----------------------------------------------------------------------------- INR-GAN
def _rec(cls: str, params: dict[str, Any] | None = None, bufs: dict[str, Any] | None = None,
         mods: dict[str, Any] | None = None, kwargs: dict[str, Any] | None = None, **attrs: Any) -> PersistentRecord:
    state = {"_parameters": dict(params or {}), "_buffers": dict(bufs or {}), "_modules": dict(mods or {}),
             "_non_persistent_buffers_set": set(), "_init_args": (), "_init_kwargs": kwargs or {}, **attrs}
    return PersistentRecord(cls, "", 6, state)


def _fc(i: int, o: int, lr: float = 1.0, bias_init: float = 0.0) -> PersistentRecord:
    p = {"weight": torch.randn(o, i) / lr, "bias": torch.full((o,), bias_init)}
    return _rec("FullyConnectedLayer", p, kwargs={"lr_multiplier": lr})


def _log_basis(r: int, diagonal: bool) -> torch.Tensor:
    k = 2.0 ** torch.arange(math.ceil(math.log2(r)))
    rows = [k[:, None] * torch.tensor([0.0, math.pi / 2]), k[:, None] * torch.tensor([math.pi / 2, 0.0])]
    if diagonal:
        rows += [k[:, None] * torch.tensor([-math.pi / 4, math.pi / 4]),
                 k[:, None] * torch.tensor([math.pi / 4, math.pi / 4])]
    return torch.cat(rows)


def inrgan_cfg(extra: dict[str, int] | None = None, bilinear: bool = False) -> dict[str, Any]:
    """The inr-gan.yml generator node (interpolations unresolved, as train.py stores it)."""
    return {
        "upsampling_mode": "bilinear" if bilinear else "nearest",
        "num_extra_convs": dict(extra or {}),
        "input": {"type": "coords", "resolution": 32, "coord_fuser_cfg": "${coords}"},
        "coords": {
            "enabled": True, "per_resolution": True, "kernel_size": 1,
            "low_res_cfg": {"log_emb_size": 64, "use_diagonal": True, "use_cosine": True, "const_emb_size": 128},
            "medium_res_cfg": {"log_emb_size": 32, "random_emb_size": 32, "use_cosine": True,
                               "const_emb_size": 64},
            "res_configs": {str(r): "${coords.low_res_cfg}" for r in (4, 8, 16, 32, 64)}
            | {"128": "${coords.medium_res_cfg}", "256": "${coords.medium_res_cfg}"},
        },
        "fmm": {"enabled": True, "rank": 10, "activation": "demod", "instance_norm": bilinear},
    }


def inrgan_record(config: str = "churches", seed: int = 0) -> PersistentRecord:
    """G_ema record of a released configuration: "churches" (no extra layers), "bedrooms", "bil"."""
    from engine.models.inrgan_config import resolve_interpolations

    torch.manual_seed(seed)
    extra = {} if config == "churches" else {"128": 1, "256": 1}
    cfg = inrgan_cfg(extra, bilinear=config == "bil")
    full = resolve_interpolations(cfg)
    res, r0, rank, w_dim = 256, 32, 10, 512

    def nch(r: int) -> int:
        return min(32768 // r, 512)

    def fuser(r: int) -> tuple[PersistentRecord, int]:
        rc = full["coords"]["res_configs"][str(r)]
        bufs: dict[str, Any] = {"log_basis": _log_basis(r, bool(rc.get("use_diagonal")))}
        d = bufs["log_basis"].shape[0]
        if rc.get("random_emb_size"):
            bufs["random_basis"] = torch.randn(rc["random_emb_size"], 2) * math.sqrt(10)
            d += rc["random_emb_size"]
        p = {"const_embs": torch.randn(1, rc["const_emb_size"], r, r)}
        return _rec("CoordFuser", p, bufs), 2 * d + rc["const_emb_size"]

    def layer(i: int, o: int, norm: bool) -> PersistentRecord:
        p = {"weight": torch.randn(o, i, 1, 1), "bias": torch.zeros(o)}
        return _rec("SynthesisLayer", p, mods={"affine": _fc(w_dim, (i + o) * rank)}, instance_norm=norm)

    inorm = bool(full["fmm"]["instance_norm"])
    blocks: dict[str, PersistentRecord] = {}
    prev, nws = 0, 0
    for bi, nom in enumerate(2**k for k in range(2, int(math.log2(res)) + 1)):
        eff, out, mods = max(nom, r0), nch(nom), {}
        if bi == 0:
            f, fd = fuser(eff)
            mods["input"] = _rec("GenInput", mods={"input": _rec("CoordsInput", mods={"coord_fuser": f})})
            mods["conv1"] = layer(fd, out, False)
            nws += 1
        else:
            fd = 0
            if nom > r0:
                mods["coord_fuser"], fd = fuser(eff)
            mods["conv0"], mods["conv1"] = layer(prev + fd, out, False), layer(out, out, inorm)
            nws += 2
        ne = extra.get(str(eff), 0)
        if ne:
            ml: Any = _record_class("torch.nn.modules.container", "ModuleList", ModuleObjectRecord)()
            ml.state = {"_modules": {str(k): layer(out, out, inorm) for k in range(ne)}}
            mods["extra_convs"] = ml
            nws += ne
        p = {"weight": torch.randn(3, out, 1, 1), "bias": torch.zeros(3)}
        mods["torgb"] = _rec("ToRGBLayer", p, mods={"affine": _fc(w_dim, out, bias_init=1.0)})
        blocks[f"b{nom}"] = _rec("SynthesisBlock", mods=mods)
        prev = out
    mapping = _rec("MappingNetwork", bufs={"w_avg": torch.zeros(w_dim)},
                   mods={f"fc{i}": _fc(512 if i == 0 else w_dim, w_dim, 0.01) for i in range(2)})
    kw = {"z_dim": 512, "w_dim": w_dim, "mapping_kwargs": {"num_layers": 2}, "c_dim": 0, "img_channels": 3,
          "synthesis_kwargs": {"channel_base": 32768, "channel_max": 512}, "cfg": cfg, "img_resolution": res}
    syn = _rec("SynthesisNetwork", mods=blocks, num_ws=nws + 1)
    return _rec("Generator", mods={"synthesis": syn, "mapping": mapping}, kwargs=kw)


def inrgan(config: str = "churches", seed: int = 0) -> Any:
    from engine.models.inrgan import InrGanGenerator

    return InrGanGenerator.from_snapshot({"G_ema": inrgan_record(config, seed)}, "cpu", f"random {config}")


# ----------------------------------------------------------------------------- CREPS
def creps_state(R: int = 256, seed: int = 0) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Official-layout CREPS state dict + init kwargs of the released config at resolution R (spec §5)."""
    gen = torch.Generator().manual_seed(seed)
    K, cb, w_dim = 8, 32, 512

    def rn(*shape: int, scale: float = 1.0, offset: float = 0.0) -> torch.Tensor:
        return torch.randn(*shape, generator=gen) * scale + offset

    res = [4 * 2**i for i in range(int(math.log2(R)) - 1)]
    ch = {r: min(65536 // r, 1024) for r in res}
    t: dict[str, torch.Tensor] = {}
    for i in range(8):
        t[f"mapping.fc{i}.weight"], t[f"mapping.fc{i}.bias"] = rn(w_dim, w_dim, scale=100), torch.zeros(w_dim)
    t["mapping.w_avg"] = torch.zeros(w_dim)
    c4, p = ch[4], "synthesis.b4.input."
    t[p + "weight"], t[p + "freqs"] = rn(1, c4, 1, 2 * K), rn(1, c4 // 2 * K, scale=10)
    t[p + "coords"] = torch.linspace(0, 1, R)[None, :, None, None].repeat(1, 1, 2, 1)
    t[p + "affine.weight"], t[p + "affine.bias"] = rn(c4 * 2 * K, w_dim), torch.ones(c4 * 2 * K)

    def mod(path: str, cin: int, cout: int) -> None:
        t[path + ".weight"], t[path + ".bias"] = rn(cout, cin), torch.zeros(cout)
        t[path + ".affine.weight"], t[path + ".affine.bias"] = rn(cin, w_dim), torch.ones(cin)

    mod("synthesis.b4.fc1", c4, c4)
    mod("synthesis.b4.tores", c4, cb)
    for prev, r in itertools.pairwise(res):
        mod(f"synthesis.b{r}.fc0", ch[prev], ch[r])
        mod(f"synthesis.b{r}.fc1", ch[r], ch[r])
        mod(f"synthesis.b{r}.tores", ch[r], cb)
    for name in [f"decoder_{r}" for r in res[1:]] + ["decoder_last"]:
        for i, (a, b) in enumerate([(cb, 2 * cb), (2 * cb, 4 * cb), (4 * cb, 2 * cb), (2 * cb, cb)]):
            t[f"synthesis.{name}.{i}.weight"], t[f"synthesis.{name}.{i}.bias"] = rn(b, a), torch.zeros(b)
    t["synthesis.decoder_img.weight"], t["synthesis.decoder_img.bias"] = rn(3, cb), torch.zeros(3)
    for blk, cin, hid in (("block0", cb, 4 * cb), ("block1", 4 * cb, 2 * cb)):
        mod(f"synthesis.{blk}.fc0", cin, hid)
        mod(f"synthesis.{blk}.fc1", hid, hid)
        mod(f"synthesis.{blk}.tores", hid, 3)
    kw = {"z_dim": 512, "w_dim": w_dim, "mapping_kwargs": {"num_layers": 8}, "channel_base": 65536,
          "channel_max": 1024, "c_dim": 0, "img_resolution": R, "img_channels": 3}
    return t, kw


def creps(R: int = 256, seed: int = 0) -> Any:
    from engine.models.creps import CrepsGenerator

    t, kw = creps_state(R, seed)
    return CrepsGenerator.from_state_dict(t, kw, source=f"random creps-{R}")


# ----------------------------------------------------------------------------- FLOP counts (specs)
def gflop(family: str, h: int, w: int) -> float:
    """Matrix-product GFLOP of one H x W render (the specs' counts, multiply-add = 2 FLOP)."""
    if family == "cips":
        return 6.802688e-3 * h * w  # cips.md §10
    if family == "inrgan":
        return 25.6 * h * w / 256**2  # inrgan.md §7 (churches, native grid; other grids scale per pixel)
    if family == "creps":
        return 169.2e-3 * (h + w) + 0.316e-3 * h * w  # creps.md §7 (R = 256, separable grid)
    raise ValueError(family)


def seeds(g: Any, n: int = 1, seed: int = 0) -> np.ndarray:
    return g.mapping(np.random.RandomState(seed).randn(n, g.z_dim))  # type: ignore[no-any-return]
