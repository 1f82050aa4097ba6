"""Official CIPS checkpoints: train.py's {g, d, g_ema, g_optim, d_optim} dict or a bare g_ema state dict."""

from __future__ import annotations

import pickle
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from engine.errors import CheckpointError, one_line
from engine.models.cips import CIPSGenerator, WrappedEmbedding


def load_cips_pt(path: Path, device: torch.device) -> CIPSGenerator:
    """Read with torch.load(weights_only=True) (tensors and plain containers only); use g_ema, never g."""
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else "refused"
        raise CheckpointError(f"{path}: refused by the safe loader ({first})") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError) as e:
        msg = one_line(e)
        raise CheckpointError(f"{path}: truncated or corrupted checkpoint ({msg[:200]})") from None
    return cips_from_object(obj, path, device)


def cips_from_object(obj: Any, path: Path | str, device: torch.device, wrapped: WrappedEmbedding | None = None,
                     resolution: int | None = None) -> CIPSGenerator:
    """Pick the EMA state dict out of a loaded object and build the generator (``wrapped`` / ``resolution``:
    our native metadata's, see `engine.models.cips.infer_config`)."""
    if isinstance(obj, Mapping) and "g_ema" in obj:
        obj = obj["g_ema"]
    if not isinstance(obj, Mapping) or not all(torch.is_tensor(v) for v in obj.values()):
        raise CheckpointError(f"{path}: not a CIPS checkpoint (no g_ema state dict)")
    if "lff.ffm.conv.weight" not in obj or "emb.input" not in obj:
        keys = ", ".join(list(obj)[:3])
        raise CheckpointError(f"{path}: unsupported architecture (not CIPS; first keys: {keys})")
    try:
        return CIPSGenerator.from_state_dict(dict(obj), device, str(path), wrapped, resolution)
    except (KeyError, ValueError, RuntimeError) as e:
        msg = one_line(e)
        raise CheckpointError(f"{path}: unsupported CIPS configuration ({msg[:200]})") from None
