"""StyleGAN-family network snapshots (.pkl): read through the allowlisting unpickler, then routed by structure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from engine.checkpoints.network_pickle import ModuleRecord, load_network_pickle
from engine.errors import CheckpointError, one_line
from engine.models.base import Generator


def detect_family(g: ModuleRecord) -> str:
    """'inrgan', 'creps', or a description of the unsupported architecture."""
    kids = g.children
    syn = kids.get("synthesis")
    if syn is None or "mapping" not in kids:
        return "unknown (no synthesis / mapping networks)"
    if "cfg" in g.init_kwargs:
        return "inrgan"
    blocks = syn.children
    b4 = blocks.get("b4")
    if b4 is not None and getattr(b4.children.get("input"), "class_name", "") == "SynthesisInput":
        return "creps"
    if "input" in blocks:
        return "StyleGAN3 (not a coordinate-based generator)"
    if b4 is not None:
        return "StyleGAN2 (not a coordinate-based generator)"
    return "unknown"


def load_snapshot(path: Path, device: torch.device, **options: Any) -> Generator:
    snap = load_network_pickle(path)
    g = snap["G_ema"]
    family = detect_family(g)
    try:
        if family == "inrgan":
            from engine.models.inrgan import InrGanGenerator

            return InrGanGenerator.from_snapshot(snap, device, str(path), **options)
        if family == "creps":
            from engine.models.creps import CrepsGenerator

            return CrepsGenerator.from_snapshot(snap, device, str(path), **options)
    except CheckpointError:
        raise
    except (KeyError, ValueError, TypeError, RuntimeError, IndexError) as e:
        msg = one_line(e)
        raise CheckpointError(f"{path}: unsupported {family} configuration ({msg[:200]})") from None
    raise CheckpointError(f"{path}: unsupported architecture: {family}")
